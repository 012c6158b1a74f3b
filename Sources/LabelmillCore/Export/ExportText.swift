/// Number and text forms the formats need, written here rather than through
/// Foundation so output is the same on every platform and locale.
public enum ExportText {
    /// `value` with exactly `digits` decimals, rounded half away from zero: `0.500000`.
    public static func fixed(_ value: Double, digits: Int = 6) -> String {
        guard value.isFinite else { return "0" }
        var scale: Int64 = 1
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * Double(scale)).rounded(.toNearestOrAwayFromZero)
        guard scaled < 9e18 else { return JSONWriter.formatNumber(value) }
        let n = Int64(scaled)
        let fraction = String(n % scale)
        let sign = value < 0 && n != 0 ? "-" : ""
        guard digits > 0 else { return sign + String(n) }
        return sign + String(n / scale) + "." + String(repeating: "0", count: digits - fraction.count) + fraction
    }

    /// A number as JSON writes it: `12`, `12.5`, `0.1`.
    public static func number(_ value: Double) -> String { JSONWriter.formatNumber(value) }

    /// One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF.
    public static func csvField(_ field: String) -> String {
        let special = field.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
        guard special || field.hasPrefix(" ") || field.hasSuffix(" ") else { return field }
        var quoted = "\""
        for scalar in field.unicodeScalars {
            if scalar == "\"" { quoted += "\"\"" } else { quoted.unicodeScalars.append(scalar) }
        }
        return quoted + "\""
    }

    /// One CSV row with its CRLF ending (RFC 4180).
    public static func csvRow(_ fields: [String]) -> String {
        fields.map(csvField).joined(separator: ",") + "\r\n"
    }

    /// Text for XML element content or attributes. Characters XML 1.0 cannot hold
    /// at all (most control characters) become U+FFFD.
    public static func xmlEscaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
                out.unicodeScalars.append("\u{FFFD}")
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A YAML double-quoted scalar: safe for any tag (`"yes"`, `"1.0"`, `"a: b"` stay strings).
    public static func yamlQuoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value):
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\x" + (hex.count < 2 ? "0" : "") + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
