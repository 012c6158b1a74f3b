/// A strict JSON reader (RFC 8259) that keeps the position of every value.
/// Foundation's parser accepts trailing commas, silently keeps one of two
/// duplicate keys and reports no positions; page validation needs all three.
///
/// One pass over the bytes: UTF-8 is validated inside strings as they are read,
/// and any other non-ASCII byte is an error where it stands, so every byte before
/// the current one is known to be valid UTF-8 and columns can count lead bytes.
public enum StrictJSON {
    public static let maxBytes = 16 << 20
    public static let maxDepth = 64

    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONNode {
        if bytes.count > maxBytes {
            throw JSONSyntaxError(
                "the file is too large: \(bytes.count) bytes, more than the limit of 16 MiB (\(maxBytes) bytes)",
                at: JSONPosition(line: 1, column: 1, offset: 0))
        }
        let result: Result<JSONNode, JSONSyntaxError> = bytes.withUnsafeBufferPointer { buffer in
            var reader = StrictJSONReader(buffer)
            do throws(JSONSyntaxError) {
                return .success(try reader.document())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Parses UTF-8 text given as a String (tests, embedded texts like the schema).
    public static func parse(_ text: String) throws(JSONSyntaxError) -> JSONNode {
        try parse(Array(text.utf8))
    }
}

private let quote: UInt8 = 0x22, backslash: UInt8 = 0x5C, slash: UInt8 = 0x2F
private let comma: UInt8 = 0x2C, colon: UInt8 = 0x3A
private let openBrace: UInt8 = 0x7B, closeBrace: UInt8 = 0x7D
private let openBracket: UInt8 = 0x5B, closeBracket: UInt8 = 0x5D
private let minus: UInt8 = 0x2D, plus: UInt8 = 0x2B, dot: UInt8 = 0x2E
private let zero: UInt8 = 0x30, nine: UInt8 = 0x39
private let newline: UInt8 = 0x0A, carriageReturn: UInt8 = 0x0D, space: UInt8 = 0x20, tab: UInt8 = 0x09

private struct StrictJSONReader {
    let bytes: UnsafeBufferPointer<UInt8>
    let end: Int
    var i = 0
    var line = 1
    /// Offset of the first byte of the current line.
    var lineStart = 0
    /// A known column on the current line, so columns are counted incrementally.
    var columnMarkOffset = 0
    var columnMark = 1
    /// Open containers, innermost last, for messages about a truncated text.
    var open: [(isObject: Bool, position: JSONPosition)] = []
    /// Scratch space for strings with escapes.
    var scratch: [UInt8] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        self.end = bytes.count
    }

    // MARK: Positions

    /// The position of `offset`, which must lie on the current line.
    mutating func position(_ offset: Int) -> JSONPosition {
        if offset < columnMarkOffset || columnMarkOffset < lineStart {
            columnMarkOffset = lineStart
            columnMark = 1
        }
        var column = columnMark
        var k = columnMarkOffset
        while k < offset {
            if bytes[k] & 0xC0 != 0x80 { column += 1 }
            k += 1
        }
        columnMarkOffset = offset
        columnMark = column
        return JSONPosition(line: line, column: column, offset: offset)
    }

    mutating func fail(_ message: String, at offset: Int) -> JSONSyntaxError {
        JSONSyntaxError(message, at: position(offset))
    }

    mutating func startLine(at offset: Int) {
        line += 1
        lineStart = offset
        columnMarkOffset = offset
        columnMark = 1
    }

    mutating func skipWhitespace() {
        while i < end {
            switch bytes[i] {
            case space, tab:
                i += 1
            case newline:
                i += 1
                startLine(at: i)
            case carriageReturn:
                // CRLF is one line break; a lone CR counts as one too, as editors show it.
                i += 1
                if i < end, bytes[i] == newline { i += 1 }
                startLine(at: i)
            default:
                return
            }
        }
    }

    // MARK: Document

    mutating func document() throws(JSONSyntaxError) -> JSONNode {
        if end >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            // A UTF-8 byte order mark: skipped, and not counted as a column (editors hide it).
            i = 3
            lineStart = 3
            columnMarkOffset = 3
        }
        skipWhitespace()
        if i == end {
            throw JSONSyntaxError("the file is empty", at: JSONPosition(line: 1, column: 1, offset: 0))
        }
        let root = try value(depth: 0)
        skipWhitespace()
        if i < end {
            try checkByteIsText(at: i)
            if bytes[i] == slash { throw fail("comments are not allowed in JSON", at: i) }
            throw fail("unexpected \(describe(at: i)) after the end of the JSON value; the text should end here", at: i)
        }
        return root
    }

    mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONNode {
        skipWhitespace()
        guard i < end else { throw endOfFile() }
        let start = i
        switch bytes[i] {
        case openBrace:
            return try object(depth: depth + 1)
        case openBracket:
            return try array(depth: depth + 1)
        case quote:
            let at = position(start)
            return JSONNode(.string(try string()), at: at)
        case minus, zero...nine:
            let at = position(start)
            return JSONNode(try number(), at: at)
        case 0x41...0x5A, 0x61...0x7A:
            let at = position(start)
            return JSONNode(try word(), at: at)
        default:
            throw unexpected(at: start, expected: "a value (an object, a list, a string, a number, true, false or null)")
        }
    }

    mutating func object(depth: Int) throws(JSONSyntaxError) -> JSONNode {
        let at = position(i)
        if depth > StrictJSON.maxDepth {
            throw JSONSyntaxError("nesting is deeper than \(StrictJSON.maxDepth) levels", at: at)
        }
        open.append((true, at))
        i += 1
        var members: [JSONMember] = []
        var index: [String: Int]?
        skipWhitespace()
        if i < end, bytes[i] == closeBrace {
            i += 1
            open.removeLast()
            return JSONNode(.object(members), at: at)
        }
        while true {
            skipWhitespace()
            guard i < end else { throw endOfFile() }
            guard bytes[i] == quote else {
                throw unexpected(at: i, expected: "a key in double quotes")
            }
            let keyAt = position(i)
            let key = try string()
            // Duplicate keys: a linear look for small objects, a dictionary for big ones.
            var first: Int?
            if let dictionary = index {
                first = dictionary[key]
            } else {
                first = members.firstIndex { $0.key == key }
                if members.count >= 16 {
                    var dictionary: [String: Int] = [:]
                    for (n, m) in members.enumerated() { dictionary[m.key] = n }
                    index = dictionary
                }
            }
            if let first {
                let p = members[first].keyPosition
                throw JSONSyntaxError(
                    "duplicate key \(quoted(key)) (first at line \(p.line), column \(p.column))", at: keyAt)
            }
            skipWhitespace()
            guard i < end else { throw endOfFile() }
            guard bytes[i] == colon else {
                throw unexpected(at: i, expected: "':' after the key \(quoted(key))")
            }
            i += 1
            let item = try value(depth: depth)
            index?[key] = members.count
            members.append(JSONMember(key: key, keyPosition: keyAt, value: item))
            skipWhitespace()
            guard i < end else { throw endOfFile() }
            switch bytes[i] {
            case comma:
                try skipComma(closing: closeBrace, "trailing comma before '}'; remove the comma after the last member")
            case closeBrace:
                i += 1
                open.removeLast()
                return JSONNode(.object(members), at: at)
            default:
                throw unexpected(at: i, expected: "',' or '}' after the value of \(quoted(key))\(commaHint(at: i))")
            }
        }
    }

    /// Steps over a comma and the space after it, refusing a trailing comma (`close` next),
    /// positioned at the comma.
    mutating func skipComma(closing close: UInt8, _ trailingComma: String) throws(JSONSyntaxError) {
        let commaAt = i, commaLine = line, commaLineStart = lineStart
        i += 1
        skipWhitespace()
        if i < end, bytes[i] == close {
            (line, lineStart) = (commaLine, commaLineStart)
            throw fail(trailingComma, at: commaAt)
        }
    }

    mutating func array(depth: Int) throws(JSONSyntaxError) -> JSONNode {
        let at = position(i)
        if depth > StrictJSON.maxDepth {
            throw JSONSyntaxError("nesting is deeper than \(StrictJSON.maxDepth) levels", at: at)
        }
        open.append((false, at))
        i += 1
        var items: [JSONNode] = []
        skipWhitespace()
        if i < end, bytes[i] == closeBracket {
            i += 1
            open.removeLast()
            return JSONNode(.array(items), at: at)
        }
        while true {
            items.append(try value(depth: depth))
            skipWhitespace()
            guard i < end else { throw endOfFile() }
            switch bytes[i] {
            case comma:
                try skipComma(closing: closeBracket, "trailing comma before ']'; remove the comma after the last item")
            case closeBracket:
                i += 1
                open.removeLast()
                return JSONNode(.array(items), at: at)
            default:
                throw unexpected(at: i, expected: "',' or ']' after item \(items.count) of the list\(commaHint(at: i))")
            }
        }
    }

    // MARK: Strings

    /// Reads a string starting at the opening quote; leaves `i` after the closing one.
    mutating func string() throws(JSONSyntaxError) -> String {
        let opening = i
        i += 1
        let start = i
        var escaped = false
        while i < end {
            let b = bytes[i]
            if b == quote {
                let text: String
                if escaped {
                    text = String(decoding: scratch, as: UTF8.self)
                } else {
                    text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
                }
                i += 1
                return text
            }
            if b == backslash {
                if !escaped {
                    escaped = true
                    scratch.removeAll(keepingCapacity: true)
                    scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
                }
                try escape(opening: opening)
                continue
            }
            if b < 0x20 {
                throw fail(controlCharacterMessage(b), at: i)
            }
            if b < 0x80 {
                if escaped { scratch.append(b) }
                i += 1
                continue
            }
            let length = try utf8Sequence(at: i)
            if escaped { scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[i..<(i + length)])) }
            i += length
        }
        throw truncatedString(opening)
    }

    func controlCharacterMessage(_ b: UInt8) -> String {
        switch b {
        case 0x09: return "a tab character is not allowed inside a string; write \\t instead"
        case 0x0A, 0x0D: return "a line break is not allowed inside a string; write \\n instead, or close the string with '\"'"
        default: return "control character U+\(hex(UInt32(b), width: 4)) is not allowed inside a string; write it as \\u\(hex(UInt32(b), width: 4))"
        }
    }

    /// Reads one escape starting at the backslash and appends its UTF-8 to `scratch`.
    mutating func escape(opening: Int) throws(JSONSyntaxError) {
        let start = i
        i += 1
        guard i < end else { throw truncatedString(opening) }
        let b = bytes[i]
        i += 1
        switch b {
        case quote: scratch.append(quote)
        case backslash: scratch.append(backslash)
        case slash: scratch.append(slash)
        case 0x62: scratch.append(0x08)  // b
        case 0x66: scratch.append(0x0C)  // f
        case 0x6E: scratch.append(0x0A)  // n
        case 0x72: scratch.append(0x0D)  // r
        case 0x74: scratch.append(0x09)  // t
        case 0x75:  // u
            var scalar = try hex4(escapeAt: start, opening: opening)
            if (0xDC00...0xDFFF).contains(scalar) {
                throw fail("invalid escape \\u\(hex(scalar, width: 4)): a low surrogate must follow a high surrogate (\\uD800-\\uDBFF)", at: start)
            }
            if (0xD800...0xDBFF).contains(scalar) {
                let second = i
                guard i + 1 < end, bytes[i] == backslash, bytes[i + 1] == 0x75 else {
                    if i >= end { throw truncatedString(opening) }
                    throw fail("invalid escape \\u\(hex(scalar, width: 4)): a high surrogate must be followed by a low surrogate \\uDC00-\\uDFFF", at: start)
                }
                i += 2
                let low = try hex4(escapeAt: second, opening: opening)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw fail("invalid escape \\u\(hex(scalar, width: 4)): a high surrogate must be followed by a low surrogate \\uDC00-\\uDFFF, not \\u\(hex(low, width: 4))", at: start)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            appendUTF8(scalar)
        default:
            i -= 1
            if b < 0x20 || b >= 0x80 {
                try checkByteIsText(at: i)
                throw fail("invalid escape: a backslash must be followed by one of \" \\ / b f n r t u", at: start)
            }
            throw fail("invalid escape \\\(Character(Unicode.Scalar(b))); valid escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX (to write a backslash, write \\\\)", at: start)
        }
    }

    /// Reads the 4 hex digits after `\u`.
    mutating func hex4(escapeAt start: Int, opening: Int) throws(JSONSyntaxError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard i < end else { throw truncatedString(opening) }
            let b = bytes[i]
            let d: UInt32
            switch b {
            case zero...nine: d = UInt32(b - zero)
            case 0x41...0x46: d = UInt32(b - 0x41 + 10)
            case 0x61...0x66: d = UInt32(b - 0x61 + 10)
            default: throw fail("invalid escape: \\u must be followed by 4 hexadecimal digits", at: start)
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// The text ends inside the string whose opening quote is at `opening`.
    mutating func truncatedString(_ opening: Int) -> JSONSyntaxError {
        let p = position(opening)
        return fail("unexpected end of file: the text stops inside a string that starts at line \(p.line), column \(p.column); the file looks truncated", at: end)
    }

    /// The length of the well-formed UTF-8 sequence starting at `k` (a byte >= 0x80),
    /// or an error there (Unicode Table 3-7: no overlongs, no surrogates, nothing past U+10FFFF).
    mutating func utf8Sequence(at k: Int) throws(JSONSyntaxError) -> Int {
        let b = bytes[k]
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF
        switch b {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw invalidUTF8(at: k)
        }
        guard k + length <= end else { throw invalidUTF8(at: k) }
        let second = bytes[k + 1]
        guard second >= low, second <= high else { throw invalidUTF8(at: k) }
        var n = 2
        while n < length {
            guard bytes[k + n] & 0xC0 == 0x80 else { throw invalidUTF8(at: k) }
            n += 1
        }
        return length
    }

    mutating func invalidUTF8(at k: Int) -> JSONSyntaxError {
        fail("invalid UTF-8 (byte 0x\(hex(UInt32(bytes[k]), width: 2))): the file must be saved as UTF-8", at: k)
    }

    /// Throws the invalid-UTF-8 error if the byte at `k` does not start valid UTF-8.
    mutating func checkByteIsText(at k: Int) throws(JSONSyntaxError) {
        if bytes[k] >= 0x80 { _ = try utf8Sequence(at: k) }
    }

    // MARK: Numbers and words

    mutating func number() throws(JSONSyntaxError) -> JSONNode.Kind {
        let start = i
        var integer = true
        if bytes[i] == minus {
            i += 1
            guard i < end, isDigit(bytes[i]) else {
                if i < end, bytes[i] == 0x49 || bytes[i] == 0x69 {  // -Infinity
                    throw fail("-Infinity is not allowed in JSON; use a finite number", at: start)
                }
                if i >= end, !open.isEmpty { throw endOfFile() }
                throw fail("invalid number: expected a digit after '-'", at: start)
            }
        }
        if bytes[i] == zero {
            i += 1
            if i < end, isDigit(bytes[i]) {
                while i < end, isDigit(bytes[i]) { i += 1 }
                throw fail("numbers must not have leading zeros: \(quoted(text(start, i)))", at: start)
            }
        } else {
            while i < end, isDigit(bytes[i]) { i += 1 }
        }
        if i < end, bytes[i] == dot {
            integer = false
            i += 1
            guard i < end, isDigit(bytes[i]) else {
                if i >= end, !open.isEmpty { throw endOfFile() }
                throw fail("invalid number \(quoted(text(start, i))): expected a digit after the decimal point", at: start)
            }
            while i < end, isDigit(bytes[i]) { i += 1 }
        }
        if i < end, bytes[i] == 0x65 || bytes[i] == 0x45 {
            integer = false
            i += 1
            if i < end, bytes[i] == plus || bytes[i] == minus { i += 1 }
            guard i < end, isDigit(bytes[i]) else {
                if i >= end, !open.isEmpty { throw endOfFile() }
                throw fail("invalid number \(quoted(text(start, i))): expected a digit in the exponent", at: start)
            }
            while i < end, isDigit(bytes[i]) { i += 1 }
        }
        // "1.2.3", "0x1F", "12abc": one bad token, not a number followed by junk.
        if i < end, isWordByte(bytes[i]) || bytes[i] == dot || bytes[i] == plus || bytes[i] == minus {
            var k = i
            while k < end, isWordByte(bytes[k]) || bytes[k] == dot || bytes[k] == plus || bytes[k] == minus { k += 1 }
            throw fail("invalid number \(quoted(text(start, min(k, start + 40))))", at: start)
        }
        let literal = text(start, i)
        let n: Double
        if integer, i - start <= 15 {
            var v: Int64 = 0
            var k = bytes[start] == minus ? start + 1 : start
            while k < i { v = v * 10 + Int64(bytes[k] - zero); k += 1 }
            n = bytes[start] == minus ? -Double(v) : Double(v)
        } else {
            guard let d = Double(literal) else {
                throw fail("invalid number \(quoted(literal))", at: start)
            }
            n = d
        }
        guard n.isFinite else {
            throw fail("number too large: \(literal.count > 40 ? String(literal.prefix(40)) + "..." : literal) is beyond the range of a double", at: start)
        }
        return .number(n, literal: literal)
    }

    mutating func word() throws(JSONSyntaxError) -> JSONNode.Kind {
        let start = i
        while i < end, isWordByte(bytes[i]) { i += 1 }
        let w = text(start, i)
        switch w {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null": return .null
        default: break
        }
        let lower = w.lowercased()
        let message: String
        switch lower {
        case "true", "false", "null":
            message = "\(quoted(w)) is not JSON: write \(lower) in lowercase"
        case "nan":
            message = "NaN is not allowed in JSON; use a number or null"
        case "infinity", "inf":
            message = "Infinity is not allowed in JSON; use a finite number"
        case "undefined", "none", "nil":
            message = "\(w) is not JSON; did you mean null?"
        default:
            if !open.isEmpty, i >= end { throw endOfFile() }
            message = "unexpected word \(quoted(w.count > 40 ? String(w.prefix(40)) + "..." : w)): text must be in double quotes, like \"\(w.prefix(40))\""
        }
        throw fail(message, at: start)
    }

    func isDigit(_ b: UInt8) -> Bool { b >= zero && b <= nine }
    func isWordByte(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= zero && b <= nine) || b == 0x5F
    }

    func text(_ from: Int, _ to: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<to]), as: UTF8.self)
    }

    // MARK: Errors

    /// " (is a comma missing?)" when a new value starts where a comma should be.
    func commaHint(at k: Int) -> String {
        switch bytes[k] {
        case quote, openBrace, openBracket, minus, zero...nine, 0x74, 0x66, 0x6E: return " (is a comma missing?)"
        default: return ""
        }
    }

    /// The end of the text came too soon: say what it stopped inside.
    mutating func endOfFile() -> JSONSyntaxError {
        guard let inner = open.last else {
            return fail("unexpected end of file: expected a value; the file looks truncated", at: end)
        }
        let what = inner.isObject ? "an object" : "a list"
        let more = open.count > 1 ? " (\(open.count) brackets are left open)" : ""
        return fail(
            "unexpected end of file: the text stops inside \(what) opened at line \(inner.position.line), column \(inner.position.column)\(more); the file looks truncated",
            at: end)
    }

    /// An error for an unexpected byte at `k` where `expected` should be, naming
    /// the usual mistakes (comments, single quotes, trailing commas) plainly.
    mutating func unexpected(at k: Int, expected: String) -> JSONSyntaxError {
        let b = bytes[k]
        if b >= 0x80 {
            do { _ = try utf8Sequence(at: k) } catch { return error }
        }
        switch b {
        case slash:
            return fail("comments are not allowed in JSON", at: k)
        case 0x27:
            return fail("strings and keys must be in double quotes (\"), not single quotes", at: k)
        case closeBrace, closeBracket:
            return fail("expected \(expected), found '\(Character(Unicode.Scalar(b)))'", at: k)
        case dot where expected.hasPrefix("a value"):
            return fail("numbers must start with a digit: write 0.5, not .5", at: k)
        case plus where expected.hasPrefix("a value"):
            return fail("numbers must not start with '+'", at: k)
        case comma:
            return fail("expected \(expected), found ','; is there a comma too many?", at: k)
        default:
            break
        }
        let description = describe(at: k)
        return fail("expected \(expected), found \(description)", at: k)
    }

    /// A readable name for the character at `k` (which is valid UTF-8).
    func describe(at k: Int) -> String {
        let b = bytes[k]
        if b < 0x80 {
            if b < 0x20 || b == 0x7F { return "control character U+\(hex(UInt32(b), width: 4))" }
            if isWordByte(b) {
                var e = k
                while e < end, e < k + 20, isWordByte(bytes[e]) { e += 1 }
                return e - k > 1 ? "\(quoted(text(k, e)))" : "'\(Character(Unicode.Scalar(b)))'"
            }
            return "'\(Character(Unicode.Scalar(b)))'"
        }
        var length = 2
        if b >= 0xF0 { length = 4 } else if b >= 0xE0 { length = 3 }
        let s = text(k, min(end, k + length))
        guard let scalar = s.unicodeScalars.first else { return "a non-ASCII character" }
        let code = "U+\(hex(scalar.value, width: 4))"
        switch scalar.value {
        case 0x201C, 0x201D, 0x201E, 0x2018, 0x2019:
            return "the curly quote \(s) (\(code)); JSON needs straight double quotes (\")"
        case 0xFEFF:
            return "a byte order mark (\(code)) in the middle of the text"
        case 0x00A0, 0x2000...0x200B, 0x202F, 0x205F, 0x3000, 0x2028, 0x2029, 0x0085:
            return "an unusual space (\(code)); only spaces, tabs and line breaks may separate values"
        default:
            return "'\(s)' (\(code))"
        }
    }
}

private func hex(_ v: UInt32, width: Int) -> String {
    let digits = String(v, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

/// A key or word in double quotes, for messages.
func quoted(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case _ where scalar.value < 0x20: out += "\\u" + hex(scalar.value, width: 4)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
