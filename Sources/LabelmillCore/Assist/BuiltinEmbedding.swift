#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `builtin` embedder of SPEC section 7: features computed from a small
/// RGB thumbnail of the decoded image, with no model and no dependency.
///
/// - a 16 x 16 grey thumbnail, less its mean, over its deviation (so the
///   layout counts, not the brightness);
/// - a colour histogram, 4 x 4 x 4 bins of RGB, as shares of the pixels;
/// - gradient orientations of the 32 x 32 grey image: 8 unsigned directions in
///   each of 4 x 4 cells, weighted by gradient strength, each cell scaled to
///   length 1 (edges and textures, whatever their contrast).
///
/// Each block is scaled to length 1 before they are joined, so no block
/// outweighs another; the classifier standardizes the features again.
public enum BuiltinEmbedding {
    public static let side = 32
    public static let dimensions = 16 * 16 + 64 + 4 * 4 * 8

    /// The features of a side x side RGB thumbnail (`Thumbnail.rgb`).
    public static func features(rgb: [UInt8]) -> [Double] {
        precondition(rgb.count == side * side * 3, "a \(side) x \(side) RGB thumbnail")
        var grey = [Double](repeating: 0, count: side * side)
        for i in 0..<(side * side) {
            grey[i] = (0.299 * Double(rgb[3 * i]) + 0.587 * Double(rgb[3 * i + 1]) + 0.114 * Double(rgb[3 * i + 2])) / 255
        }
        return Vectors.normalized(layout(grey)) + Vectors.normalized(colours(rgb)) + Vectors.normalized(orientations(grey))
    }

    /// The grey image halved to 16 x 16, centred and scaled.
    static func layout(_ grey: [Double]) -> [Double] {
        let half = side / 2
        var small = [Double](repeating: 0, count: half * half)
        for y in 0..<half {
            for x in 0..<half {
                let at = 2 * y * side + 2 * x
                small[y * half + x] = (grey[at] + grey[at + 1] + grey[at + side] + grey[at + side + 1]) / 4
            }
        }
        let mean = small.reduce(0, +) / Double(small.count)
        let deviation = (small.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(small.count)).squareRoot()
        return small.map { deviation > 1e-9 ? ($0 - mean) / deviation : 0 }
    }

    static func colours(_ rgb: [UInt8]) -> [Double] {
        var bins = [Double](repeating: 0, count: 64)
        let pixels = rgb.count / 3
        for i in 0..<pixels {
            let (r, g, b) = (Int(rgb[3 * i]) >> 6, Int(rgb[3 * i + 1]) >> 6, Int(rgb[3 * i + 2]) >> 6)
            bins[r * 16 + g * 4 + b] += 1
        }
        return bins.map { $0 / Double(pixels) }
    }

    static func orientations(_ grey: [Double]) -> [Double] {
        let cells = 4, bins = 8, cell = side / cells
        var histogram = [Double](repeating: 0, count: cells * cells * bins)
        func at(_ x: Int, _ y: Int) -> Double { grey[min(max(y, 0), side - 1) * side + min(max(x, 0), side - 1)] }
        for y in 0..<side {
            for x in 0..<side {
                let gx = at(x + 1, y) - at(x - 1, y), gy = at(x, y + 1) - at(x, y - 1)
                let strength = (gx * gx + gy * gy).squareRoot()
                guard strength > 0 else { continue }
                // Unsigned direction in [0, pi): a dark-to-light edge and its mirror count alike.
                var angle = atan2(gy, gx)
                if angle < 0 { angle += .pi }
                let bin = min(bins - 1, Int(angle / .pi * Double(bins)))
                histogram[((y / cell) * cells + x / cell) * bins + bin] += strength
            }
        }
        for c in 0..<(cells * cells) {
            let slice = Array(histogram[(c * bins)..<((c + 1) * bins)])
            let unit = Vectors.normalized(slice)
            for b in 0..<bins { histogram[c * bins + b] = unit[b] }
        }
        return histogram
    }
}
