/// Which pool images go on the next pages (SPEC section 7): confident images
/// (the model's top probability at or above the threshold) on prelabeled
/// pages, the others on manual pages; within each, clustered pages when the
/// project clusters, else in the order they came. Pages of both kinds are
/// handed out oldest first (by the image that has waited longest), so none
/// starves. Pure: the daemon gives it what it knows and writes what it says.
public enum PoolPlan {
    /// One pool image as the planner sees it.
    public struct Candidate: Sendable, Equatable {
        public var id: String
        /// Smaller waited longer.
        public var arrival: Double
        /// Its normalized embedding, once computed.
        public var vector: [Double]?
        /// Its cluster in the latest clustering, if it was in it.
        public var cluster: Int?
        /// The model's confidence in its top tag, when a model is in use.
        public var confidence: Double?
        /// Still waiting for the embedder or the predictor (false: what could be had is here, or
        /// could not be had); by default, waiting while it has no vector.
        public var waiting: Bool

        public init(id: String, arrival: Double, vector: [Double]? = nil, cluster: Int? = nil, confidence: Double? = nil, waiting: Bool? = nil) {
            (self.id, self.arrival, self.vector, self.cluster, self.confidence) = (id, arrival, vector, cluster, confidence)
            self.waiting = waiting ?? (vector == nil)
        }
    }

    public struct Page: Sendable, Equatable {
        public var ids: [String]
        public var clustered: Bool
        public var prelabeled: Bool
        public init(ids: [String], clustered: Bool, prelabeled: Bool) {
            (self.ids, self.clustered, self.prelabeled) = (ids, clustered, prelabeled)
        }
    }

    /// Up to `count` pages of `size`; a short page only with `flush`.
    /// `threshold`: prelabel images whose confidence reaches it (nil: none).
    /// An image still `waiting` (for its embedding or its predicted regions)
    /// is left in the pool until it has waited `embedWait` seconds (on the
    /// clock of `arrival` and `now`): then it goes on a page without what is
    /// missing, so labelers never wait long for the embedder or the predictor.
    public static func pages(_ pool: [Candidate], size: Int, count: Int, flush: Bool, cluster: Bool, threshold: Double?,
                             now: Double, embedWait: Double) -> [Page] {
        guard size > 0, count > 0, !pool.isEmpty else { return [] }
        func confident(_ c: Candidate) -> Bool {
            guard let threshold, let confidence = c.confidence else { return false }
            return confidence >= threshold
        }
        var made: [(anchor: Double, page: Page)] = []
        for (prelabeled, group) in [(true, pool.filter(confident)), (false, pool.filter { !confident($0) })] where !group.isEmpty {
            let ready = group.filter { !$0.waiting || now - $0.arrival >= embedWait }
            let embedded = ready.filter { $0.vector != nil }
            var rest = ready.filter { $0.vector == nil }
            if cluster && !embedded.isEmpty {
                // Images outside the latest clustering each count as a cluster of their own.
                var next = (embedded.compactMap(\.cluster).max() ?? -1) + 1
                let clusters = embedded.map { c -> Int in
                    if let k = c.cluster { return k }
                    defer { next += 1 }
                    return next
                }
                let images = embedded.map { PoolImage(id: $0.id, arrival: $0.arrival, vector: $0.vector!) }
                let pages = ClusteredPages.pages(from: images, clusters: clusters, size: size, count: count)
                let arrival = Dictionary(uniqueKeysWithValues: embedded.map { ($0.id, $0.arrival) })
                for ids in pages { made.append((arrival[ids[0]]!, Page(ids: ids, clustered: true, prelabeled: prelabeled))) }
                // Enough similar pages: the rest waits for the next ones.
                if pages.count >= count { continue }
                let used = Set(pages.joined())
                rest += embedded.filter { !used.contains($0.id) }
            } else {
                rest += embedded
            }
            rest.sort { ($0.arrival, $0.id) < ($1.arrival, $1.id) }
            var start = 0
            while start < rest.count {
                let end = min(rest.count, start + size)
                if end - start < size && !flush { break }
                made.append((rest[start].arrival, Page(ids: rest[start..<end].map(\.id), clustered: false, prelabeled: prelabeled)))
                start = end
            }
        }
        made.sort { ($0.anchor, $0.page.ids[0]) < ($1.anchor, $1.page.ids[0]) }
        return made.prefix(count).map(\.page)
    }
}
