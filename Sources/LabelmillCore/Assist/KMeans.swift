/// k-means on embeddings: k-means++ seeding (each next centre drawn with
/// probability proportional to its squared distance from the nearest centre
/// so far), then Lloyd's iterations until no point changes cluster. A cluster
/// left empty takes the point farthest from its centre, so k stays k.
public struct KMeans: Sendable, Equatable {
    public let centroids: [[Double]]
    /// The cluster of each point, in the order given.
    public let assignment: [Int]

    public static func fit(_ points: [[Double]], k wanted: Int, maxIterations: Int = 100,
                           using generator: inout some RandomNumberGenerator) -> KMeans {
        let k = min(wanted, points.count)
        guard k > 0 else { return KMeans(centroids: [], assignment: []) }
        var centroids = seeds(points, k: k, using: &generator)
        var assignment = [Int](repeating: -1, count: points.count)
        for _ in 0..<maxIterations {
            var changed = false
            for (i, p) in points.enumerated() {
                let c = nearest(p, among: centroids).index
                if c != assignment[i] { assignment[i] = c; changed = true }
            }
            if !changed { break }
            centroids = means(points, assignment, previous: centroids)
        }
        return KMeans(centroids: centroids, assignment: assignment)
    }

    /// The index of the centre nearest `point`, and its squared distance.
    public static func nearest(_ point: [Double], among centres: [[Double]]) -> (index: Int, distance: Double) {
        var best = (index: 0, distance: Double.infinity)
        for (c, centre) in centres.enumerated() {
            let d = Vectors.squaredDistance(point, centre)
            if d < best.distance { best = (c, d) }
        }
        return best
    }

    static func seeds(_ points: [[Double]], k: Int, using generator: inout some RandomNumberGenerator) -> [[Double]] {
        var centres = [points[Int.random(in: 0..<points.count, using: &generator)]]
        var distance = points.map { Vectors.squaredDistance($0, centres[0]) }
        while centres.count < k {
            let total = distance.reduce(0, +)
            var pick = 0
            if total > 0 {
                var target = Double.random(in: 0..<total, using: &generator)
                for (i, d) in distance.enumerated() {
                    target -= d
                    if target < 0 { pick = i; break }
                    pick = i
                }
            } else {
                pick = Int.random(in: 0..<points.count, using: &generator)  // all points alike
            }
            centres.append(points[pick])
            for i in points.indices { distance[i] = min(distance[i], Vectors.squaredDistance(points[i], points[pick])) }
        }
        return centres
    }

    static func means(_ points: [[Double]], _ assignment: [Int], previous: [[Double]]) -> [[Double]] {
        let dims = points[0].count
        var sums = [[Double]](repeating: [Double](repeating: 0, count: dims), count: previous.count)
        var counts = [Int](repeating: 0, count: previous.count)
        for (i, p) in points.enumerated() {
            let c = assignment[i]
            counts[c] += 1
            for j in 0..<dims { sums[c][j] += p[j] }
        }
        var centres = previous
        for c in centres.indices where counts[c] > 0 {
            centres[c] = sums[c].map { $0 / Double(counts[c]) }
        }
        // An empty cluster takes the point farthest from its own centre.
        for c in centres.indices where counts[c] == 0 {
            let far = points.indices.max { Vectors.squaredDistance(points[$0], centres[assignment[$0]]) < Vectors.squaredDistance(points[$1], centres[assignment[$1]]) }!
            centres[c] = points[far]
        }
        return centres
    }
}

/// SplitMix64: a small seeded generator, so the daemon's clusterings can be
/// replayed (the same pool gives the same pages).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
