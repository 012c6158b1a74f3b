/// project.json `predictor` (SPEC section 8): a command the daemon starts and
/// talks to by JSON lines on stdin and stdout,
///
///     "predictor": {"command": ["python3", "predictors/efficientnet_lite0.py"], "timeout_seconds": 30, "min_confidence": 0.5}
///
/// or a Label Studio ML backend that is already running:
///
///     "predictor": {"url": "http://127.0.0.1:9090", "protocol": "label-studio"}
///
/// A relative program or argument is taken from the workspace's folder (the
/// one holding Inbox/, Watch/ and Outbox/), where the command runs.
public struct PredictorSettings: Sendable, Equatable {
    /// The program and its arguments, run without a shell (empty for a backend).
    public var command: [String]
    /// A Label Studio ML backend's base URL (`http://host:port`, maybe a path), or nil for a command.
    public var url: String?
    /// How long one answer may take before the predictor is taken for hung and restarted.
    public var timeoutSeconds: Double = 30
    /// Predicted regions below this confidence are not filled in.
    public var minConfidence: Double = 0.5

    public static let keys = ["command", "url", "protocol", "timeout_seconds", "min_confidence"]
    /// The one protocol a `url` may speak.
    public static let labelStudio = "label-studio"

    /// The name its proposals carry as `model`: the first script the command
    /// names (a file with a letters-only extension, `predictors/faces.py` ->
    /// `faces`), else its program (`/opt/bin/detector` -> `detector`).
    public var modelName: String {
        if let url { return "label-studio:" + Self.authority(of: url) }
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

    public init(labelStudio url: String, timeoutSeconds: Double = 30, minConfidence: Double = 0.5) {
        self.command = []; self.url = url; self.timeoutSeconds = timeoutSeconds; self.minConfidence = minConfidence
    }

    /// `host:port` of an http URL.
    static func authority(of url: String) -> String {
        let rest = url.dropFirst("http://".count)
        return String(rest.prefix { $0 != "/" })
    }

    /// An http URL with a host, an optional port and path, and nothing else; nil when it is one, else why not.
    static func urlProblem(_ url: String) -> String? {
        guard url.hasPrefix("http://") else {
            return url.hasPrefix("https://") ? "must be http://: the daemon speaks plain HTTP to a backend on this machine or its network"
                : "must be an http:// URL like \"http://127.0.0.1:9090\""
        }
        let authority = Self.authority(of: url)
        guard !authority.isEmpty, !authority.contains("@"), url.utf8.count <= 2048,
              url.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 && $0 != "?" && $0 != "#" }) else {
            return "must be a plain http:// URL with a host, like \"http://127.0.0.1:9090\" (no user, query or spaces)"
        }
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            guard let port = Int(authority[authority.index(after: colon)...]), (1...65535).contains(port) else {
                return "has a port that is not a number from 1 to 65535"
            }
        }
        return nil
    }

    /// Parses the `predictor` object; errors name the key as `predictor.KEY`.
    init(node: JSONNode) throws(SettingsError) {
        guard case .object(let members) = node.kind else {
            throw SettingsError(key: "predictor", message: "must be an object like {\"command\": [\"python3\", \"predictors/efficientnet_lite0.py\"], \"timeout_seconds\": 30}")
        }
        var command: [String]?
        var url: String?
        var spoken: String?
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
            case "url":
                guard case .string(let s) = v.kind else {
                    throw SettingsError(key: key, message: "must be a string, a Label Studio ML backend's address like \"http://127.0.0.1:9090\"")
                }
                if let why = Self.urlProblem(s) { throw SettingsError(key: key, message: why) }
                url = s.hasSuffix("/") ? String(s.dropLast()) : s
            case "protocol":
                guard case .string(let s) = v.kind, s == Self.labelStudio else {
                    throw SettingsError(key: key, message: "must be \"label-studio\" (a Label Studio ML backend's API), the one protocol a \"url\" speaks")
                }
                spoken = s
            default:
                let hint = Suggest.nearest(to: member.key, in: Self.keys).map { "; did you mean \"\($0)\"?" } ?? ""
                throw SettingsError(key: key, message: "unknown key \"\(member.key)\"\(hint)")
            }
        }
        if let url {
            guard command == nil else {
                throw SettingsError(key: "predictor.url", message: "and \"command\" are both given: a predictor is either a command or a Label Studio ML backend")
            }
            guard spoken != nil else {
                throw SettingsError(key: "predictor.protocol", message: "is required with \"url\": \"protocol\": \"label-studio\"")
            }
            settings.url = url
            self = settings
            return
        }
        guard spoken == nil else {
            throw SettingsError(key: "predictor.url", message: "is required with \"protocol\": the backend's address, like \"http://127.0.0.1:9090\"")
        }
        guard let command else {
            throw SettingsError(key: "predictor.command", message: "is required: the program and its arguments, like [\"python3\", \"predictors/efficientnet_lite0.py\"], or a Label Studio ML backend's \"url\" with \"protocol\": \"label-studio\"")
        }
        settings.command = command
        self = settings
    }

    public var json: JSONValue {
        let source: [(String, JSONValue)] = url.map { [("url", .string($0)), ("protocol", .string(Self.labelStudio))] }
            ?? [("command", .array(command.map(JSONValue.string)))]
        return .object(source + [
            ("timeout_seconds", .number(timeoutSeconds)),
            ("min_confidence", .number(minConfidence)),
        ])
    }
}
