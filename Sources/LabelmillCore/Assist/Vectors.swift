/// Embeddings as the assist math sees them: one row of numbers per image.
public enum Vectors {
    public static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var sum = 0.0
        for i in a.indices { sum += a[i] * b[i] }
        return sum
    }

    public static func squaredDistance(_ a: [Double], _ b: [Double]) -> Double {
        var sum = 0.0
        for i in a.indices {
            let d = a[i] - b[i]
            sum += d * d
        }
        return sum
    }

    /// The row scaled to length 1 (all zeros stays all zeros): on such rows
    /// squared distance is 2 - 2 cos, so nearest means most alike in direction.
    public static func normalized(_ v: [Double]) -> [Double] {
        let length = dot(v, v).squareRoot()
        guard length > 0, length.isFinite else { return v.map { _ in 0 } }
        return v.map { $0 / length }
    }
}

/// Each feature moved to mean 0 and scaled to standard deviation 1, by the
/// mean and deviation of the rows it was fitted on (a constant feature
/// keeps scale 1, so it stays 0).
public struct Standardizer: Sendable, Equatable {
    public let mean: [Double]
    public let scale: [Double]

    public init(mean: [Double], scale: [Double]) {
        self.mean = mean
        self.scale = scale
    }

    public init(fitting rows: [[Double]]) {
        let dims = rows.first?.count ?? 0
        var mean = [Double](repeating: 0, count: dims)
        for row in rows { for j in 0..<dims { mean[j] += row[j] } }
        let n = Double(max(rows.count, 1))
        for j in 0..<dims { mean[j] /= n }
        var variance = [Double](repeating: 0, count: dims)
        for row in rows {
            for j in 0..<dims {
                let d = row[j] - mean[j]
                variance[j] += d * d
            }
        }
        self.mean = mean
        self.scale = variance.map { v in
            let sd = (v / n).squareRoot()
            return sd > 1e-12 ? sd : 1
        }
    }

    public func apply(_ row: [Double]) -> [Double] {
        var out = row
        for j in out.indices { out[j] = (row[j] - mean[j]) / scale[j] }
        return out
    }
}
