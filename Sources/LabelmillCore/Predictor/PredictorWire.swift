/// The lines the daemon and a predictor exchange (SPEC section 8): one JSON
/// object a line each way, every answer carrying the id of its request.
/// Answers are read as strictly as a labeler's page.json: what is not an
/// object with a known id is a broken stream (the predictor is restarted);
/// an answer for a known id whose content is wrong fails that request only.
public enum PredictorWire {
    public enum Op: String, Sendable { case embed, predict }

    public struct Request: Sendable, Equatable {
        public var id: Int
        public var op: Op
        /// Absolute path of the image file.
        public var image: String
        public var width: Int
        public var height: Int
        public var task: TaskKind
        public var tags: [String]

        public init(id: Int, op: Op, image: String, width: Int, height: Int, task: TaskKind, tags: [String]) {
            self.id = id; self.op = op; self.image = image; self.width = width; self.height = height; self.task = task; self.tags = tags
        }

        /// The request's line, newline included.
        public var line: String {
            JSONWriter.compact(.object([
                ("id", .number(Double(id))), ("op", .string(op.rawValue)), ("image", .string(image)),
                ("width", .number(Double(width))), ("height", .number(Double(height))),
                ("task", .string(task.rawValue)), ("tags", .array(tags.map(JSONValue.string))),
            ])) + "\n"
        }
    }

    public enum Answer: Sendable, Equatable {
        case embedding([Double])
        /// The predictor said it could not: `{"id": 7, "error": "..."}`.
        case refused(String)
    }

    /// Why an answer line is not taken.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// Not one JSON object with a whole-number id: the stream cannot be trusted.
        case broken(String)
        /// The answer to request `id` is not what was asked for.
        case invalid(id: Int, String)

        public var description: String {
            switch self {
            case .broken(let why): return why
            case .invalid(let id, let why): return "answer \(id): \(why)"
            }
        }
    }

    /// The most values an embedding may have.
    public static let maxDimensions = 65_536
    /// The longest answer line read (a 65,536-value embedding in full precision fits).
    public static let maxLineBytes = 4 << 20

    /// Reads one answer line (without its newline) to an `embed` request.
    /// `dimensions`: the length every embedding must have, once known.
    public static func embedAnswer(_ line: [UInt8], dimensions: Int?) -> Result<(id: Int, answer: Answer), Problem> {
        let node: JSONNode, id: Int
        switch answerObject(line) {
        case .failure(let problem): return .failure(problem)
        case .success(let (parsed, parsedID)): (node, id) = (parsed, parsedID)
        }
        if let error = node["error"] {
            guard case .string(let message) = error.kind else { return .failure(.invalid(id: id, "\"error\" must be a string")) }
            return .success((id, .refused(String(message.prefix(500)))))
        }
        guard let field = node["embedding"] else {
            return .failure(.invalid(id: id, "has neither \"embedding\" nor \"error\""))
        }
        guard case .array(let items) = field.kind, !items.isEmpty, items.count <= maxDimensions else {
            return .failure(.invalid(id: id, "\"embedding\" must be a list of 1 to \(maxDimensions) numbers"))
        }
        var vector: [Double] = []
        vector.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            guard case .number(let v, _) = item.kind, v.isFinite, abs(v) <= 1e30 else {
                return .failure(.invalid(id: id, "\"embedding\" value \(i + 1) is not a finite number within ±1e30"))
            }
            vector.append(v)
        }
        if let dimensions, vector.count != dimensions {
            return .failure(.invalid(id: id, "\"embedding\" has \(vector.count) values; this predictor's embeddings have \(dimensions)"))
        }
        return .success((id, .embedding(vector)))
    }

    /// The start of a line, printable, for log lines.
    public static func excerpt(_ line: [UInt8]) -> String {
        let text = String(decoding: line.prefix(80), as: UTF8.self).unicodeScalars
            .map { $0.properties.generalCategory == .control ? "?" : String($0) }.joined()
        return line.count > 80 ? "\"\(text)...\"" : "\"\(text)\""
    }
}

/// When a failed predictor may be started again: 1 s after the first
/// failure, doubling to at most a minute, back to 1 s once it answers.
public struct RestartBackoff: Sendable, Equatable {
    public static let first = 1.0
    public static let longest = 60.0
    public private(set) var failures = 0
    /// No start before this time (on the caller's clock).
    public private(set) var notBefore = -Double.infinity

    public init() {}

    /// A failure at `now`; returns the wait before the next start.
    @discardableResult
    public mutating func failed(at now: Double) -> Double {
        let wait = min(Self.longest, Self.first * Double(1 << min(failures, 10)))
        failures += 1
        notBefore = now + wait
        return wait
    }

    /// It answered: the next failure waits the shortest time again.
    public mutating func succeeded() { failures = 0 }

    public func mayStart(at now: Double) -> Bool { now >= notBefore }
}
