/// A trained model as the daemon keeps it, `.labelmill/assist/<project>/models/<name>.json`:
/// everything prelabeling needs (the classifier, its standardization, the
/// threshold calibration gave it, the tags in class order), so a restart
/// prelabels with the same model under the same name instead of training again.
extension PrelabelModel {
    public var json: JSONValue {
        func numbers(_ v: [Double]) -> JSONValue { .array(v.map(JSONValue.number)) }
        var members: [(String, JSONValue)] = [
            ("name", .string(name)), ("version", .number(Double(version))), ("trained_on", .number(Double(trainedOn))),
            ("tags", .array(tags.map(JSONValue.string))),
        ]
        if let t = threshold {
            members.append(("threshold", .object([
                ("confidence", .number(t.confidence)), ("coverage", .number(t.coverage)), ("precision", .number(t.precision)),
                ("lower_bound", .number(t.lowerBound)), ("held_out", .number(Double(t.heldOut))),
            ])))
        }
        members += [
            ("mean", numbers(classifier.standardizer.mean)), ("scale", numbers(classifier.standardizer.scale)),
            ("bias", numbers(classifier.bias)), ("weights", .array(classifier.weights.map(numbers))),
        ]
        return .object(members)
    }

    /// Reads a model file back; nil when anything is missing, not finite, or
    /// of the wrong shape (a damaged file means training again, never a crash).
    /// `dimensions` nil: whatever length the file's own vectors agree on.
    public init?(json: JSONValue, dimensions: Int?) {
        func numbers(_ v: JSONValue?) -> [Double]? {
            guard let list = v?.arrayValue else { return nil }
            let out = list.compactMap(\.numberValue)
            return out.count == list.count && out.allSatisfy(\.isFinite) ? out : nil
        }
        func whole(_ key: String) -> Int? { json[key]?.numberValue.flatMap { Int(exactly: $0) } }
        guard let name = json["name"]?.stringValue, let version = whole("version"), let trainedOn = whole("trained_on"),
              let tagList = json["tags"]?.arrayValue, case let tags = tagList.compactMap(\.stringValue), tags.count == tagList.count,
              tags.count > 1, let mean = numbers(json["mean"]), let scale = numbers(json["scale"]), let bias = numbers(json["bias"]),
              let rows = json["weights"]?.arrayValue, case let dimensions = dimensions ?? mean.count, dimensions > 0,
              mean.count == dimensions, scale.count == dimensions,
              scale.allSatisfy({ $0 > 0 }), bias.count == tags.count, rows.count == tags.count else { return nil }
        var weights: [[Double]] = []
        for row in rows {
            guard let w = numbers(row), w.count == dimensions else { return nil }
            weights.append(w)
        }
        var threshold: PrelabelThreshold?
        if let t = json["threshold"] {
            guard let c = t["confidence"]?.numberValue, let cov = t["coverage"]?.numberValue, let p = t["precision"]?.numberValue,
                  let lb = t["lower_bound"]?.numberValue, let n = t["held_out"]?.numberValue.flatMap({ Int(exactly: $0) }),
                  (0...1).contains(c) else { return nil }
            threshold = PrelabelThreshold(confidence: c, coverage: cov, precision: p, lowerBound: lb, heldOut: n)
        }
        self.init(name: name, version: version,
                  classifier: SoftmaxModel(weights: weights, bias: bias, standardizer: Standardizer(mean: mean, scale: scale)),
                  threshold: threshold, trainedOn: trainedOn, tags: tags)
    }
}
