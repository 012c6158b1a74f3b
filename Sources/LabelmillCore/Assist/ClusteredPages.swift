/// An image waiting in the pool, with its (normalized) embedding.
public struct PoolImage: Sendable, Equatable {
    public var id: String
    /// When it entered the pool, on any clock: smaller waited longer.
    public var arrival: Double
    public var vector: [Double]

    public init(id: String, arrival: Double, vector: [Double]) {
        (self.id, self.arrival, self.vector) = (id, arrival, vector)
    }
}

/// Pages of similar images (SPEC section 7, "Clustering"): the pool is
/// clustered with k-means; each page starts from the image that has waited
/// longest, so none starves, and takes the images nearest it from its own
/// cluster, then the nearest of the rest when the cluster runs short.
public enum ClusteredPages {
    /// Up to `count` pages of `size` image ids. A page short of `size` is made
    /// only when `partial` (the pool is to be flushed).
    public static func pages(from pool: [PoolImage], size: Int, count: Int, partial: Bool = false,
                             using generator: inout some RandomNumberGenerator) -> [[String]] {
        guard size > 0, count > 0, !pool.isEmpty else { return [] }
        let k = clusterCount(images: pool.count, pageSize: size)
        let clusters = KMeans.fit(pool.map(\.vector), k: k, using: &generator).assignment
        return pages(from: pool, clusters: clusters, size: size, count: count, partial: partial)
    }

    /// The same with the clusters given (`clusters[i]` is the cluster of
    /// `pool[i]`), as the daemon does with the clusters its worker last found.
    public static func pages(from pool: [PoolImage], clusters: [Int], size: Int, count: Int, partial: Bool = false) -> [[String]] {
        guard size > 0, count > 0, !pool.isEmpty, clusters.count == pool.count else { return [] }
        var waiting = Set(pool.indices)
        let byAge = pool.indices.sorted { (pool[$0].arrival, pool[$0].id) < (pool[$1].arrival, pool[$1].id) }
        var pages: [[String]] = []
        var cursor = 0
        while pages.count < count, waiting.count >= (partial ? 1 : size) {
            while !waiting.contains(byAge[cursor]) { cursor += 1 }
            let anchor = byAge[cursor]
            waiting.remove(anchor)
            func distance(_ i: Int) -> Double { Vectors.squaredDistance(pool[i].vector, pool[anchor].vector) }
            // Own cluster first, nearest first; ties by age so the order is fixed.
            let ranked = waiting.sorted { a, b in
                let (sameA, sameB) = (clusters[a] == clusters[anchor], clusters[b] == clusters[anchor])
                if sameA != sameB { return sameA }
                let (da, db) = (distance(a), distance(b))
                if da != db { return da < db }
                return (pool[a].arrival, pool[a].id) < (pool[b].arrival, pool[b].id)
            }
            let mates = ranked.prefix(size - 1)
            for m in mates { waiting.remove(m) }
            pages.append([pool[anchor].id] + mates.map { pool[$0].id })
        }
        return pages
    }

    /// About two pages' worth of images per cluster: small enough that a
    /// cluster is one kind of image, large enough to fill a page from it.
    public static func clusterCount(images: Int, pageSize: Int) -> Int {
        max(1, min(images, images / max(1, 2 * pageSize)))
    }

    /// The share of images on each page that carry the page's most common
    /// label, over all pages: 1 when every page is of one kind.
    public static func purity(_ pages: [[String]], labels: [String: String]) -> Double {
        var same = 0, total = 0
        for page in pages {
            var counts: [String: Int] = [:]
            for id in page { if let label = labels[id] { counts[label, default: 0] += 1 } }
            same += counts.values.max() ?? 0
            total += page.count
        }
        return total == 0 ? 0 : Double(same) / Double(total)
    }
}
