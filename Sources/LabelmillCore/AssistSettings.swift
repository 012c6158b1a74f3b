/// project.json `assist` (SPEC section 7): clustering and prelabels.
public struct AssistSettings: Sendable, Equatable {
    public enum Embedder: String, Sendable, CaseIterable {
        /// Features the daemon computes from the decoded pixels.
        case builtin
        /// The project's predictor answers `embed` (SPEC section 8).
        case predictor
    }
    public var embedder: Embedder = .builtin
    /// New pages take images near one another in embedding space.
    public var cluster = true
    /// Confident images get their tags filled in by a model.
    public var prelabel = true
    /// Images labeled by people before the first model is trained.
    public var minLabeled = 300
    /// The precision prelabels must reach.
    public var targetPrecision = 0.97
    /// New human labels between two trainings.
    public var retrainEvery = 100
    /// Pages are made only while the queue holds fewer than this.
    public var queuePages = 20

    public static let keys = ["embedder", "cluster", "prelabel", "min_labeled", "target_precision", "retrain_every", "queue_pages"]

    public init() {}

    /// Parses the `assist` object; errors name the key as `assist.KEY`.
    init(node: JSONNode) throws(SettingsError) {
        guard case .object(let members) = node.kind else {
            throw SettingsError(key: "assist", message: "must be an object like {\"embedder\": \"builtin\", \"cluster\": true, \"prelabel\": true}")
        }
        var settings = AssistSettings()
        for member in members {
            let key = "assist.\(member.key)"
            let v = member.value
            switch member.key {
            case "embedder":
                guard case .string(let s) = v.kind, let e = Embedder(rawValue: s) else {
                    throw SettingsError(key: key, message: "must be \"builtin\" or \"predictor\"")
                }
                settings.embedder = e
            case "cluster":
                settings.cluster = try Self.flag(v, key: key)
            case "prelabel":
                settings.prelabel = try Self.flag(v, key: key)
            case "min_labeled":
                settings.minLabeled = try ProjectSettings.integer(v, key: key, in: 10...1_000_000)
            case "target_precision":
                guard case .number(let n, _) = v.kind, n > 0.5, n < 1 else {
                    throw SettingsError(key: key, message: "must be a number above 0.5 and below 1, like 0.97")
                }
                settings.targetPrecision = n
            case "retrain_every":
                settings.retrainEvery = try ProjectSettings.integer(v, key: key, in: 1...1_000_000)
            case "queue_pages":
                settings.queuePages = try ProjectSettings.integer(v, key: key, in: 1...100_000)
            default:
                let hint = Suggest.nearest(to: member.key, in: Self.keys).map { "; did you mean \"\($0)\"?" } ?? ""
                throw SettingsError(key: key, message: "unknown key \"\(member.key)\"\(hint)")
            }
        }
        self = settings
    }

    static func flag(_ v: JSONNode, key: String) throws(SettingsError) -> Bool {
        guard case .bool(let b) = v.kind else { throw SettingsError(key: key, message: "must be true or false") }
        return b
    }

    public var json: JSONValue {
        .object([
            ("embedder", .string(embedder.rawValue)),
            ("cluster", .bool(cluster)),
            ("prelabel", .bool(prelabel)),
            ("min_labeled", .number(Double(minLabeled))),
            ("target_precision", .number(targetPrecision)),
            ("retrain_every", .number(Double(retrainEvery))),
            ("queue_pages", .number(Double(queuePages))),
        ])
    }
}
