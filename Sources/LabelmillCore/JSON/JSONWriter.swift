/// Writes JSON the way the daemon writes page.json: two-space indent, keys in
/// the order given, and containers that hold only scalars kept on one line when
/// short (`"tags": ["Dog", "Cat"]`, a box, a point), so files stay readable.
public enum JSONWriter {
    /// Containers of scalars shorter than this stay on one line.
    static let inlineLimit = 100

    public static func pretty(_ value: JSONValue) -> String {
        var out = ""
        write(value, indent: 0, into: &out)
        out.append("\n")
        return out
    }

    /// One line, no spaces beyond `", "` and `": "`: for events.jsonl and exports.
    public static func compact(_ value: JSONValue) -> String {
        var out = ""
        writeInline(value, into: &out, spaced: false)
        return out
    }

    private static func write(_ value: JSONValue, indent: Int, into out: inout String) {
        switch value {
        case .array(let items) where !items.isEmpty:
            if let line = inlineForm(value) { out.append(line); return }
            out.append("[\n")
            for (i, item) in items.enumerated() {
                out.append(String(repeating: " ", count: indent + 2))
                write(item, indent: indent + 2, into: &out)
                out.append(i + 1 < items.count ? ",\n" : "\n")
            }
            out.append(String(repeating: " ", count: indent) + "]")
        case .object(let members) where !members.isEmpty:
            if let line = inlineForm(value) { out.append(line); return }
            out.append("{\n")
            for (i, (key, item)) in members.enumerated() {
                out.append(String(repeating: " ", count: indent + 2))
                writeString(key, into: &out)
                out.append(": ")
                write(item, indent: indent + 2, into: &out)
                out.append(i + 1 < members.count ? ",\n" : "\n")
            }
            out.append(String(repeating: " ", count: indent) + "}")
        default:
            writeInline(value, into: &out, spaced: true)
        }
    }

    /// The one-line form of a container whose children are all scalars, if short.
    private static func inlineForm(_ value: JSONValue) -> String? {
        let children: [JSONValue]
        switch value {
        case .array(let items): children = items
        case .object(let members): children = members.map(\.1)
        default: return nil
        }
        for child in children {
            switch child {
            case .array(let a) where !a.isEmpty: return nil
            case .object(let o) where !o.isEmpty: return nil
            default: continue
            }
        }
        var line = ""
        writeInline(value, into: &line, spaced: true)
        return line.unicodeScalars.count <= inlineLimit ? line : nil
    }

    private static func writeInline(_ value: JSONValue, into out: inout String, spaced: Bool) {
        switch value {
        case .null: out.append("null")
        case .bool(let b): out.append(b ? "true" : "false")
        case .number(let n): out.append(formatNumber(n))
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            out.append("[")
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(spaced ? ", " : ",") }
                writeInline(item, into: &out, spaced: spaced)
            }
            out.append("]")
        case .object(let members):
            out.append(spaced && !members.isEmpty ? "{ " : "{")
            for (i, (key, item)) in members.enumerated() {
                if i > 0 { out.append(spaced ? ", " : ",") }
                writeString(key, into: &out)
                out.append(spaced ? ": " : ":")
                writeInline(item, into: &out, spaced: spaced)
            }
            out.append(spaced && !members.isEmpty ? " }" : "}")
        }
    }

    /// Integers print without a fraction; others in Swift's shortest round-trip form.
    public static func formatNumber(_ n: Double) -> String {
        guard n.isFinite else { return "null" }
        if n == n.rounded(), abs(n) < 1e15 { return String(Int64(n)) }
        return "\(n)"
    }

    private static func writeString(_ s: String, into out: inout String) {
        out.append("\"")
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case "\u{08}": out.append("\\b")
            case "\u{0C}": out.append("\\f")
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.append("\"")
    }
}
