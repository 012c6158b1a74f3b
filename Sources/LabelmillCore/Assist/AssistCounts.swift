/// What `status` shows of ML assist (SPEC section 7): tasks (images) on
/// clustered pages and prelabeled, and per model the prelabels people
/// reviewed and how many they kept (its realized precision). Counted from the
/// daemon's copies of the pages, then kept up to date page by page.
public struct AssistCounts: Sendable, Equatable {
    public struct Reviews: Sendable, Equatable {
        public var reviewed = 0
        public var accepted = 0
        public var precision: Double? { reviewed == 0 ? nil : Double(accepted) / Double(reviewed) }
    }

    public var tasksClustered = 0
    public var tasksPrelabeled = 0
    public var byModel: [String: Reviews] = [:]
    /// Per predictor model, its proposed regions on accepted pages: kept, adjusted, deleted (SPEC section 8).
    public var regionsByModel: [String: Provenance.RegionReviews] = [:]

    public init() {}

    public init(pages: some Sequence<PageManifest>) {
        for page in pages {
            made(page)
            if page.status == .done { accepted(page) }
        }
    }

    /// A page the daemon made.
    public mutating func made(_ page: PageManifest) {
        if page.assist?.clustered == true { tasksClustered += page.images.count }
        tasksPrelabeled += page.images.filter { $0.prelabels?.isEmpty == false }.count
    }

    /// A page accepted into the outbox, with its `label_source`s.
    public mutating func accepted(_ page: PageManifest) {
        guard page.task.isClassification else {
            for (model, r) in Provenance.regionReviews(page) {
                regionsByModel[model, default: .init()].proposed += r.proposed
                regionsByModel[model, default: .init()].kept += r.kept
                regionsByModel[model, default: .init()].adjusted += r.adjusted
            }
            return
        }
        for image in page.images {
            guard let model = image.prelabels?.first?.model else { continue }
            byModel[model, default: Reviews()].reviewed += 1
            if image.labelSource == .modelAccepted { byModel[model, default: Reviews()].accepted += 1 }
        }
    }

    public var json: JSONValue {
        .object([
            ("tasks_clustered", .number(Double(tasksClustered))),
            ("tasks_prelabeled", .number(Double(tasksPrelabeled))),
            ("models", .object(byModel.keys.sorted().map { name in
                let r = byModel[name]!
                return (name, .object([("reviewed", .number(Double(r.reviewed))), ("accepted", .number(Double(r.accepted)))]))
            })),
            ("regions", .object(regionsByModel.keys.sorted().map { name in
                let r = regionsByModel[name]!
                return (name, .object([("proposed", .number(Double(r.proposed))), ("kept", .number(Double(r.kept))),
                                       ("adjusted", .number(Double(r.adjusted))), ("deleted", .number(Double(r.deleted)))]))
            })),
        ])
    }

    public init?(json: JSONValue) {
        guard let clustered = json["tasks_clustered"]?.numberValue, let prelabeled = json["tasks_prelabeled"]?.numberValue,
              let clusteredCount = Int(exactly: clustered), let prelabeledCount = Int(exactly: prelabeled) else { return nil }
        tasksClustered = clusteredCount
        tasksPrelabeled = prelabeledCount
        if case .object(let models)? = json["models"] {
            for (name, value) in models {
                guard let reviewed = value["reviewed"]?.numberValue.flatMap({ Int(exactly: $0) }),
                      let accepted = value["accepted"]?.numberValue.flatMap({ Int(exactly: $0) }) else { continue }
                byModel[name] = Reviews(reviewed: reviewed, accepted: accepted)
            }
        }
        if case .object(let models)? = json["regions"] {
            for (name, value) in models {
                func count(_ key: String) -> Int? { value[key]?.numberValue.flatMap { Int(exactly: $0) } }
                guard let proposed = count("proposed"), let kept = count("kept"), let adjusted = count("adjusted") else { continue }
                regionsByModel[name] = Provenance.RegionReviews(proposed: proposed, kept: kept, adjusted: adjusted)
            }
        }
    }
}
