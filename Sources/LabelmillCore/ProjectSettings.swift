/// A project's settings, from `Inbox/<project>/project.json` (SPEC section 2).
public struct ProjectSettings: Sendable, Equatable {
    public var task: TaskKind
    public var tags: [String]
    public var pageSize: Int = 4
    public var pagesPerLabeler: Int = 1
    public var leaseMinutes: Double = 60
    public var flushSeconds: Double = 10
    /// ML assist (SPEC section 7); nil when the project does not use it.
    public var assist: AssistSettings?
    /// The model the daemon asks (SPEC section 8); nil when there is none.
    public var predictor: PredictorSettings?

    public static let keys = ["task", "tags", "page_size", "pages_per_labeler", "lease_minutes", "flush_seconds", "assist", "predictor"]

    public init(task: TaskKind, tags: [String], pageSize: Int = 4, pagesPerLabeler: Int = 1,
                leaseMinutes: Double = 60, flushSeconds: Double = 10) {
        self.task = task; self.tags = tags; self.pageSize = pageSize
        self.pagesPerLabeler = pagesPerLabeler; self.leaseMinutes = leaseMinutes; self.flushSeconds = flushSeconds
    }

    /// Parses project.json strictly: unknown keys, wrong types and bad values are
    /// errors naming the key (the caller adds the file).
    public init(bytes: [UInt8]) throws(SettingsError) {
        let root: JSONNode
        do { root = try StrictJSON.parse(bytes) } catch {
            throw SettingsError(key: nil, message: "not valid JSON at line \(error.position.line), column \(error.position.column): \(error.message)")
        }
        guard case .object(let members) = root.kind else {
            throw SettingsError(key: nil, message: "must be a JSON object like {\"task\": \"multi-class\", \"tags\": [\"A\", \"B\"]}")
        }
        var task: TaskKind?
        var tags: [String]?
        var settings = ProjectSettings(task: .multiClass, tags: [])
        for member in members {
            let v = member.value
            switch member.key {
            case "task":
                guard case .string(let s) = v.kind, let t = TaskKind(rawValue: s) else {
                    throw SettingsError(key: "task", message: "must be one of \(TaskKind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
                }
                task = t
            case "tags":
                tags = try Self.parseTags(v)
            case "page_size":
                settings.pageSize = try Self.integer(v, key: "page_size", in: 1...64)
            case "pages_per_labeler":
                settings.pagesPerLabeler = try Self.integer(v, key: "pages_per_labeler", in: 1...1000)
            case "lease_minutes":
                settings.leaseMinutes = try Self.positive(v, key: "lease_minutes")
            case "flush_seconds":
                settings.flushSeconds = try Self.positive(v, key: "flush_seconds", allowZero: true)
            case "assist":
                settings.assist = try AssistSettings(node: v)
            case "predictor":
                settings.predictor = try PredictorSettings(node: v)
            default:
                let hint = Suggest.nearest(to: member.key, in: Self.keys).map { "; did you mean \"\($0)\"?" } ?? ""
                throw SettingsError(key: member.key, message: "unknown key \"\(member.key)\"\(hint)")
            }
        }
        guard let task else { throw SettingsError(key: "task", message: "is required: one of \(TaskKind.allCases.map(\.rawValue).joined(separator: ", "))") }
        guard let tags else { throw SettingsError(key: "tags", message: "is required: a list of 1 to 1000 tag names") }
        settings.task = task
        settings.tags = tags
        if settings.predictor?.url != nil {
            if settings.assist?.embedder == .predictor {
                throw SettingsError(key: "assist.embedder", message: "is \"predictor\" but the predictor is a Label Studio ML backend, which has no embeddings: use \"builtin\", or a \"command\" predictor")
            }
            if settings.task.isClassification {
                throw SettingsError(key: "predictor.url", message: "names a Label Studio ML backend, whose RectangleLabels and PolygonLabels this daemon takes in bbox and polygon projects; this project's task is \"\(settings.task.rawValue)\"")
            }
        }
        if settings.assist?.embedder == .predictor && settings.predictor == nil {
            throw SettingsError(key: "assist.embedder", message: "is \"predictor\" but the project has no \"predictor\": add one, like \"predictor\": {\"command\": [\"python3\", \"predictors/efficientnet_lite0.py\"]}, or use \"builtin\"")
        }
        self = settings
    }

    /// The settings as project.json text.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("task", .string(task.rawValue)),
            ("tags", .array(tags.map(JSONValue.string))),
            ("page_size", .number(Double(pageSize))),
            ("pages_per_labeler", .number(Double(pagesPerLabeler))),
            ("lease_minutes", .number(leaseMinutes)),
            ("flush_seconds", .number(flushSeconds)),
        ]
        if let assist { members.append(("assist", assist.json)) }
        if let predictor { members.append(("predictor", predictor.json)) }
        return .object(members)
    }

    /// The one rule every command applies to project.json against what the
    /// project's pages already fix: the task cannot change once pages exist,
    /// and a tag already used keeps its position (tags may only be appended),
    /// so class ids never move. Nil when the settings are fine.
    public func changeError(from history: ClassHistory) -> String? {
        if let made = history.task, made != task {
            return "\"task\" is \"\(task.rawValue)\" but the project's pages were made as \"\(made.rawValue)\"; "
                + "the task of a project with pages cannot change: put back \"task\": \"\(made.rawValue)\", or start a new project"
        }
        for (i, tag) in history.tags.enumerated() where history.used.contains(tag) {
            if i >= tags.count || tags[i] != tag {
                let now = tags.firstIndex(of: tag).map { "it is at position \($0 + 1) now" } ?? "it was removed"
                return "tag \"\(tag)\" is already used by labeled pages and must stay at position \(i + 1) (\(now)); "
                    + "tags may only be appended, so class ids never move: put the tags back in the order \(history.tags.map { "\"\($0)\"" }.joined(separator: ", ")) and add new ones after them"
            }
        }
        return nil
    }

    static func parseTags(_ v: JSONNode) throws(SettingsError) -> [String] {
        guard case .array(let items) = v.kind else {
            throw SettingsError(key: "tags", message: "must be a list of tag names, like [\"Cat\", \"Dog\"]")
        }
        guard (1...1000).contains(items.count) else {
            throw SettingsError(key: "tags", message: "must hold 1 to 1000 tags, not \(items.count)")
        }
        var seen = Set<String>()
        var tags: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item.kind else {
                throw SettingsError(key: "tags", message: "tag \(i + 1) must be a string")
            }
            if let problem = Self.tagProblem(s) {
                throw SettingsError(key: "tags", message: "tag \(i + 1) \(problem)")
            }
            guard seen.insert(s).inserted else {
                throw SettingsError(key: "tags", message: "tag \"\(s)\" appears twice; tags must be distinct")
            }
            tags.append(s)
        }
        return tags
    }

    /// Why a tag name is not allowed, or nil when it is fine.
    public static func tagProblem(_ s: String) -> String? {
        if s.isEmpty { return "is empty" }
        if s.count > 100 { return "is longer than 100 characters" }
        if s.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "contains a control character"
        }
        return nil
    }

    static func integer(_ v: JSONNode, key: String, in range: ClosedRange<Int>) throws(SettingsError) -> Int {
        guard case .number(let n, _) = v.kind, n == n.rounded(), n >= Double(range.lowerBound), n <= Double(range.upperBound) else {
            throw SettingsError(key: key, message: "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(n)
    }

    static func positive(_ v: JSONNode, key: String, allowZero: Bool = false) throws(SettingsError) -> Double {
        guard case .number(let n, _) = v.kind, n.isFinite, allowZero ? n >= 0 : n > 0, n <= 1e9 else {
            throw SettingsError(key: key, message: allowZero ? "must be a number of 0 or more" : "must be a number greater than 0")
        }
        return n
    }
}

/// What a project's pages already fix (SPEC section 2): the task and the tag
/// order of the newest page, and every tag a label uses.
public struct ClassHistory: Sendable, Equatable {
    /// The task pages were made with; nil when there are no pages yet.
    public var task: TaskKind?
    /// The tags of the newest page, in key order.
    public var tags: [String]
    /// Tags used by labels on the project's pages.
    public var used: Set<String>

    public init(task: TaskKind? = nil, tags: [String] = [], used: Set<String> = []) {
        self.task = task; self.tags = tags; self.used = used
    }

    public static let none = ClassHistory()
}

public struct SettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The offending key, or nil when the file as a whole is wrong.
    public var key: String?
    public var message: String
    public var description: String { key.map { "\"\($0)\" \(message)" } ?? message }
}

/// Nearest-name suggestions for typos ("tgas" -> "tags").
public enum Suggest {
    /// The candidate closest to `word` by edit distance, if close enough to be a typo.
    public static func nearest(to word: String, in candidates: [String]) -> String? {
        let w = Array(word.lowercased().unicodeScalars)
        var best: (String, Int)?
        for c in candidates {
            let d = distance(w, Array(c.lowercased().unicodeScalars))
            if best == nil || d < best!.1 { best = (c, d) }
        }
        guard let (name, d) = best else { return nil }
        return d <= max(2, w.count / 3) ? name : nil
    }

    /// Damerau-Levenshtein (optimal string alignment) distance.
    static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev2 = [Int](repeating: 0, count: b.count + 1)
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    cur[j] = min(cur[j], prev2[j - 2] + 1)
                }
            }
            (prev2, prev, cur) = (prev, cur, prev2)
        }
        return prev[b.count]
    }
}
