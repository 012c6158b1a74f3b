/// A predictor's answer to `op: predict` (SPEC section 8), checked as strictly
/// as a labeler's page.json: each region by SPEC section 3's rules (a known
/// tag, a box inside the image with finite numbers, a polygon that is simple
/// and inside the image) and a confidence in [0, 1]. A region or tag that
/// fails is dropped with the reason; the others are kept.
public struct PredictedRegion: Sendable, Equatable {
    public var region: Region
    public var confidence: Double
    public init(region: Region, confidence: Double) { self.region = region; self.confidence = confidence }
}

public struct PredictedTag: Sendable, Equatable {
    public var tag: String
    public var confidence: Double
    public init(tag: String, confidence: Double) { self.tag = tag; self.confidence = confidence }
}

extension PredictorWire {
    public enum Prediction: Sendable, Equatable {
        /// Regions (bbox and polygon projects), best first; `dropped` says what was left out and why.
        case regions([PredictedRegion], dropped: [String])
        /// Tags (classification projects), best first.
        case tags([PredictedTag], dropped: [String])
        case refused(String)
    }

    /// The most regions or tags one answer may hold.
    public static let maxPredictions = 1_000

    /// Reads one answer line (without its newline) to a `predict` request for
    /// an image of `width` x `height` in a project of `task` and `tags`.
    public static func predictAnswer(_ line: [UInt8], task: TaskKind, tags: [String], width: Int, height: Int)
        -> Result<(id: Int, prediction: Prediction), Problem> {
        let node: JSONNode, id: Int
        switch answerObject(line) {
        case .failure(let problem): return .failure(problem)
        case .success(let (parsed, parsedID)): (node, id) = (parsed, parsedID)
        }
        if let error = node["error"] {
            guard case .string(let message) = error.kind else { return .failure(.invalid(id: id, "\"error\" must be a string")) }
            return .success((id, .refused(String(message.prefix(500)))))
        }
        let key = task.isClassification ? "tags" : "regions"
        guard let field = node[key] else {
            return .failure(.invalid(id: id, "has neither \"\(key)\" nor \"error\" (a \(task.rawValue) project's predictions are \"\(key)\")"))
        }
        guard case .array(let items) = field.kind, items.count <= maxPredictions else {
            return .failure(.invalid(id: id, "\"\(key)\" must be a list of at most \(maxPredictions) \(key)"))
        }
        var dropped: [String] = []
        var review = PageReview(expected: nil, files: nil)
        review.task = task
        review.pageTags = tags
        review.pageTagSet = Set(tags)
        let size = (width: Double(width), height: Double(height))
        if task.isClassification {
            var found: [PredictedTag] = []
            for (k, item) in items.enumerated() {
                let label = "tag \(k + 1)"
                guard case .object = item.kind, case .string(let tag)? = item["tag"]?.kind else {
                    dropped.append("\(label): must be {\"tag\": \"...\", \"confidence\": 0.9}")
                    continue
                }
                guard let confidence = confidence(item, label, &dropped) else { continue }
                guard tags.contains(tag) else {
                    dropped.append("\(label): unknown tag \(JSONWriter.compact(.string(tag))); the project's tags are \(tags.map { JSONWriter.compact(.string($0)) }.joined(separator: ", "))")
                    continue
                }
                if case .object(let members) = item.kind, let unknown = members.first(where: { $0.key != "tag" && $0.key != "confidence" }) {
                    dropped.append("\(label): unknown key \(JSONWriter.compact(.string(unknown.key)))")
                    continue
                }
                found.append(PredictedTag(tag: tag, confidence: confidence))
            }
            return .success((id, .tags(found.sorted { $0.confidence > $1.confidence }, dropped: dropped)))
        }
        var found: [PredictedRegion] = []
        for (k, item) in items.enumerated() {
            let label = "region \(k + 1)"
            guard case .object(let members) = item.kind else {
                dropped.append("\(label): must be an object with \"tag\", \"\(task == .bbox ? "box" : "polygon")\" and \"confidence\"")
                continue
            }
            guard let confidence = confidence(item, label, &dropped) else { continue }
            // The region itself, without its confidence, by the page's rules; its first error says why it is dropped.
            var shape = item
            shape.kind = .object(members.filter { $0.key != "confidence" })
            let before = review.errorCount
            review.region(shape, "", label: label, size: size)
            if let error = review.firstError(after: before) {
                dropped.append("\(label): \(error)")
                continue
            }
            guard let region = Region(json: shape.value) else {
                dropped.append("\(label): not a region")
                continue
            }
            found.append(PredictedRegion(region: region, confidence: confidence))
        }
        return .success((id, .regions(found.sorted { $0.confidence > $1.confidence }, dropped: dropped)))
    }

    /// A prediction's `"confidence"`: a number in [0, 1], else nil with the reason in `dropped`.
    private static func confidence(_ item: JSONNode, _ label: String, _ dropped: inout [String]) -> Double? {
        guard case .number(let c, _)? = item["confidence"]?.kind, c.isFinite, c >= 0, c <= 1 else {
            dropped.append("\(label): \"confidence\" must be a number from 0 to 1")
            return nil
        }
        return c
    }

    /// The line as a JSON object with a whole-number id, or why the stream cannot be trusted.
    public static func answerObject(_ line: [UInt8]) -> Result<(JSONNode, Int), Problem> {
        let node: JSONNode
        do { node = try StrictJSON.parse(line) } catch {
            return .failure(.broken("printed a line that is not JSON (column \(error.position.column): \(error.message)): \(excerpt(line))"))
        }
        guard case .object = node.kind else { return .failure(.broken("printed a JSON value that is not an object: \(excerpt(line))")) }
        guard case .number(let n, _)? = node["id"]?.kind, n >= 0, n <= 1e15, n == n.rounded() else {
            return .failure(.broken("printed an answer without a whole-number \"id\": \(excerpt(line))"))
        }
        return .success((node, Int(n)))
    }
}

extension PageReview {
    var errorCount: Int { found.count }

    /// The message of the first error (in file order) reported after the first `count`.
    func firstError(after count: Int) -> String? {
        found.dropFirst(count).min { ($0.offset, $0.order) < ($1.offset, $1.order) }?.error.message
    }
}
