/// The type checks every rule uses, and how values are shown in messages.
extension PageReview {
    @discardableResult
    mutating func requireString(_ v: JSONNode, _ p: String, _ key: String) -> Bool {
        if case .string = v.kind { return true }
        report(v, p, "\"\(key)\" must be a string in double quotes, not \(kindName(v))")
        return false
    }

    @discardableResult
    mutating func requireWholeNumber(_ v: JSONNode, _ p: String, _ key: String, minimum: Double) -> Bool {
        if let n = v.wholeNumber, n >= minimum { return true }
        let range = minimum == 1 ? " greater than 0" : ""
        report(v, p, "\"\(key)\" must be a whole number\(range), not \(kindName(v))")
        return false
    }

    @discardableResult
    mutating func requireChoice(_ v: JSONNode, _ p: String, _ key: String, _ choices: [String]) -> Bool {
        if case .string(let s) = v.kind, choices.contains(s) { return true }
        var message = "\"\(key)\" must be one of \(choices.map(quoted).joined(separator: ", ")), not \(kindName(v))"
        if case .string(let s) = v.kind, let near = Suggest.nearest(to: s, in: choices) {
            message += "; did you mean \(quoted(near))?"
        }
        report(v, p, message)
        return false
    }

    func show(_ value: JSONValue) -> String {
        let text = JSONWriter.compact(value)
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }

    func show(_ node: JSONNode) -> String {
        if case .number(_, let literal) = node.kind { return literal }
        return show(node.value)
    }

    /// A number as the labeler wrote it (any other value as `show` gives it).
    func literal(_ node: JSONNode) -> String { show(node) }

    func number(_ n: Double) -> String { JSONWriter.formatNumber(n) }

    func kindName(_ node: JSONNode) -> String {
        switch node.kind {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(_, let literal): return "the number \(literal)"
        case .string(let s): return "the string \(show(.string(s)))"
        case .array: return "a list"
        case .object: return "an object"
        }
    }
}


/// An RFC 6901 pointer to `key` under `parent`.
func pointer(_ parent: String, _ key: String) -> String {
    var escaped = ""
    for c in key.unicodeScalars {
        switch c {
        case "~": escaped += "~0"
        case "/": escaped += "~1"
        default: escaped.unicodeScalars.append(c)
        }
    }
    return parent + "/" + escaped
}

extension JSONNode {
    var stringValue: String? { if case .string(let s) = kind { return s } else { return nil } }

    /// The value when it is a whole number that a Double holds exactly.
    var wholeNumber: Double? {
        guard case .number(let n, _) = kind, n == n.rounded(), abs(n) <= 9_007_199_254_740_992 else { return nil }
        return n
    }

    /// The strings of a list that holds only strings.
    var stringList: [String]? {
        guard case .array(let items) = kind else { return nil }
        var out: [String] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard case .string(let s) = item.kind else { return nil }
            out.append(s)
        }
        return out
    }

    var numberPair: Bool {
        guard case .array(let xy) = kind, xy.count == 2, case .number = xy[0].kind, case .number = xy[1].kind else { return false }
        return true
    }
}
