/// A strict JSON reader (RFC 8259) that keeps the position of every value.
/// Foundation's parser accepts trailing commas, silently keeps one of two
/// duplicate keys and reports no positions; page validation needs all three.
public enum StrictJSON {
    public static let maxBytes = 16 << 20
    public static let maxDepth = 64

    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONNode {
        throw JSONSyntaxError("not implemented", at: JSONPosition(line: 1, column: 1, offset: 0))
    }
}
