/// SPEC section 3, rule 1: strict JSON (UTF-8, at most 16 MiB, nesting at most 64,
/// no duplicate keys, no trailing commas, no NaN/Infinity: `StrictJSON` holds those)
/// and no unknown keys, naming the nearest known one.
extension PageError {
    /// The one error of a text that is not strict JSON: nothing else is checked.
    init(notStrictJSON error: JSONSyntaxError) {
        self.init(line: error.position.line, column: error.position.column, pointer: "", message: error.message)
    }
}

extension PageReview {
    /// Keys that are known somewhere in a page, and where they belong.
    static let homes: [String: String] = {
        var homes: [String: String] = [:]
        for key in ["file", "width", "height", "source", "sha256", "regions", "prelabels"] { homes[key] = "inside an image of \"images\"" }
        for key in ["tag", "box", "polygon"] { homes[key] = "inside a region of \"regions\"" }
        for key in ["project", "page", "revision", "task", "status", "assigned_to", "images", "errors"] { homes[key] = "at the top of page.json" }
        return homes
    }()

    mutating func unknownKey(_ m: JSONMember, in parent: String, allowed: [String]) {
        let p = pointer(parent, m.key)
        if let near = Suggest.nearest(to: m.key, in: allowed), near != m.key {
            report(m.keyPosition, p, "unknown key \(quoted(m.key)); did you mean \(quoted(near))?")
        } else if let home = Self.homes[m.key] {
            report(m.keyPosition, p, "unknown key \(quoted(m.key)) here; it belongs \(home)")
        } else {
            report(m.keyPosition, p, "unknown key \(quoted(m.key)); the keys allowed here are: \(allowed.joined(separator: ", "))")
        }
    }

}
