/// Writes JSON the way the daemon writes page.json: two-space indent, keys in
/// the order given, and containers that hold only scalars kept on one line when
/// short (`"tags": ["Dog", "Cat"]`, a box, a point), so files stay readable.
/// Writes UTF-8 bytes straight into one buffer: this is on the ingest path.
public enum JSONWriter {
    /// Containers of scalars shorter than this stay on one line.
    static let inlineLimit = 100

    public static func pretty(_ value: JSONValue) -> String {
        String(decoding: prettyBytes(value), as: UTF8.self)
    }

    public static func prettyBytes(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        write(value, indent: 0, into: &out)
        out.append(10)
        return out
    }

    /// One line, no spaces: for events.jsonl, the journal and exports.
    public static func compact(_ value: JSONValue) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        writeInline(value, into: &out, spaced: false)
        return String(decoding: out, as: UTF8.self)
    }

    private static func newline(_ indent: Int, into out: inout [UInt8]) {
        out.append(10)
        out.append(contentsOf: repeatElement(32, count: indent))
    }

    private static func write(_ value: JSONValue, indent: Int, into out: inout [UInt8]) {
        switch value {
        case .array(let items) where !items.isEmpty:
            if tryInline(value, children: items, into: &out) { return }
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                newline(indent + 2, into: &out)
                write(item, indent: indent + 2, into: &out)
                if i + 1 < items.count { out.append(UInt8(ascii: ",")) }
            }
            newline(indent, into: &out)
            out.append(UInt8(ascii: "]"))
        case .object(let members) where !members.isEmpty:
            if tryInline(value, children: members.map(\.1), into: &out) { return }
            out.append(UInt8(ascii: "{"))
            for (i, (key, item)) in members.enumerated() {
                newline(indent + 2, into: &out)
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                out.append(32)
                write(item, indent: indent + 2, into: &out)
                if i + 1 < members.count { out.append(UInt8(ascii: ",")) }
            }
            newline(indent, into: &out)
            out.append(UInt8(ascii: "}"))
        default:
            writeInline(value, into: &out, spaced: true)
        }
    }

    /// Writes the one-line form of a container whose children are all scalars,
    /// when it is short; otherwise writes nothing and returns false.
    private static func tryInline(_ value: JSONValue, children: [JSONValue], into out: inout [UInt8]) -> Bool {
        for child in children {
            switch child {
            case .array(let a) where !a.isEmpty: return false
            case .object(let o) where !o.isEmpty: return false
            default: continue
            }
        }
        let start = out.count
        writeInline(value, into: &out, spaced: true)
        // Count characters, not bytes: continuation bytes (10xxxxxx) do not start one.
        var characters = 0
        for i in start..<out.count where out[i] & 0xC0 != 0x80 { characters += 1 }
        if characters <= inlineLimit { return true }
        out.removeSubrange(start...)
        return false
    }

    private static func writeInline(_ value: JSONValue, into out: inout [UInt8], spaced: Bool) {
        switch value {
        case .null: out.append(contentsOf: [110, 117, 108, 108])
        case .bool(let b): out.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8))
        case .number(let n): out.append(contentsOf: formatNumber(n).utf8)
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")); if spaced { out.append(32) } }
                writeInline(item, into: &out, spaced: spaced)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            if spaced && !members.isEmpty { out.append(32) }
            for (i, (key, item)) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")); if spaced { out.append(32) } }
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                if spaced { out.append(32) }
                writeInline(item, into: &out, spaced: spaced)
            }
            if spaced && !members.isEmpty { out.append(32) }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Integers print without a fraction; others in Swift's shortest round-trip form.
    public static func formatNumber(_ n: Double) -> String {
        guard n.isFinite else { return "null" }
        if n == n.rounded(), abs(n) < 1e15 { return String(Int64(n)) }
        return "\(n)"
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            var runStart = 0
            for (i, b) in bytes.enumerated() where b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F {
                out.append(contentsOf: bytes[runStart..<i])
                runStart = i + 1
                switch b {
                case 0x22: out.append(contentsOf: [0x5C, 0x22])
                case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
                case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
                default:
                    out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 48, 48, hex[Int(b >> 4)], hex[Int(b & 15)]])
                }
            }
            out.append(contentsOf: bytes[runStart...])
        }
        out.append(UInt8(ascii: "\""))
    }
}
