/// project.json `predictor` (SPEC section 8): a command the daemon starts and
/// talks to by JSON lines on stdin and stdout.
///
///     "predictor": {"command": ["python3", "predictors/efficientnet_lite0.py"], "timeout_seconds": 30, "min_confidence": 0.5}
///
/// A relative program or argument is taken from the workspace's folder (the
/// one holding Inbox/, Watch/ and Outbox/), where the command runs.
public struct PredictorSettings: Sendable, Equatable {
    /// The program and its arguments, run without a shell.
    public var command: [String]
    /// How long one answer may take before the predictor is taken for hung and restarted.
    public var timeoutSeconds: Double = 30
    /// Predicted regions below this confidence are not filled in.
    public var minConfidence: Double = 0.5

    public static let keys = ["command", "timeout_seconds", "min_confidence"]

    /// The name its proposals carry as `model`: the first script the command
    /// names (a file with a letters-only extension, `predictors/faces.py` ->
    /// `faces`), else its program (`/opt/bin/detector` -> `detector`).
    public var modelName: String {
        func base(_ word: String) -> String { word.split(separator: "/").last.map(String.init) ?? word }
        for word in command where !word.hasPrefix("-") {
            let file = base(word)
            guard let dot = file.lastIndex(of: "."), dot != file.startIndex else { continue }
            let ext = file[file.index(after: dot)...]
            if !ext.isEmpty, ext.allSatisfy({ $0.isASCII && $0.isLetter }) { return String(file[..<dot]) }
        }
        let program = base(command.first ?? "")
        return program.isEmpty ? "predictor" : program
    }

    public init(command: [String], timeoutSeconds: Double = 30, minConfidence: Double = 0.5) {
        self.command = command; self.timeoutSeconds = timeoutSeconds; self.minConfidence = minConfidence
    }

    /// Parses the `predictor` object; errors name the key as `predictor.KEY`.
    init(node: JSONNode) throws(SettingsError) {
        guard case .object(let members) = node.kind else {
            throw SettingsError(key: "predictor", message: "must be an object like {\"command\": [\"python3\", \"predictors/efficientnet_lite0.py\"], \"timeout_seconds\": 30}")
        }
        var command: [String]?
        var settings = PredictorSettings(command: [])
        for member in members {
            let key = "predictor.\(member.key)"
            let v = member.value
            switch member.key {
            case "command":
                guard case .array(let items) = v.kind, !items.isEmpty, items.count <= 1000 else {
                    throw SettingsError(key: key, message: "must be a non-empty list of strings: the program, then its arguments, like [\"python3\", \"predictors/efficientnet_lite0.py\"]")
                }
                var words: [String] = []
                for (i, item) in items.enumerated() {
                    guard case .string(let s) = item.kind, !s.isEmpty, !s.utf8.contains(0) else {
                        throw SettingsError(key: key, message: "item \(i + 1) must be a non-empty string")
                    }
                    words.append(s)
                }
                command = words
            case "timeout_seconds":
                guard case .number(let n, _) = v.kind, n > 0, n <= 3600 else {
                    throw SettingsError(key: key, message: "must be a number of seconds above 0 and at most 3600, like 30")
                }
                settings.timeoutSeconds = n
            case "min_confidence":
                guard case .number(let n, _) = v.kind, n >= 0, n <= 1 else {
                    throw SettingsError(key: key, message: "must be a number from 0 to 1, like 0.5")
                }
                settings.minConfidence = n
            case "url", "protocol":
                throw SettingsError(key: key, message: "names a Label Studio ML backend, which this version does not talk to yet; use \"command\"")
            default:
                let hint = Suggest.nearest(to: member.key, in: Self.keys).map { "; did you mean \"\($0)\"?" } ?? ""
                throw SettingsError(key: key, message: "unknown key \"\(member.key)\"\(hint)")
            }
        }
        guard let command else {
            throw SettingsError(key: "predictor.command", message: "is required: the program and its arguments, like [\"python3\", \"predictors/efficientnet_lite0.py\"]")
        }
        settings.command = command
        self = settings
    }

    public var json: JSONValue {
        .object([
            ("command", .array(command.map(JSONValue.string))),
            ("timeout_seconds", .number(timeoutSeconds)),
            ("min_confidence", .number(minConfidence)),
        ])
    }
}
