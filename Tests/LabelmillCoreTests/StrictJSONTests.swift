import Testing
@testable import LabelmillCore

/// Bytes of a test text where every scalar up to U+00FF stands for one raw byte,
/// so bad UTF-8 can be written (`"\u{FF}"` is the byte 0xFF).
private func raw(_ s: String) -> [UInt8] { s.unicodeScalars.map { UInt8($0.value) } }

@Suite("StrictJSON conformance")
struct StrictJSONConformanceTests {
    /// Texts every strict reader must accept.
    static let accepted: [String] = [
        "[]", "{}", "[1]", "[-0]", "[0]", "[0.5]", "[1e5]", "[1E+2]", "[1e-2]", "[-1.5e-10]",
        "[0e0]", "[-0.0e0]", "[1.0]", "[123456789012345678901234567890]", "[1e308]", "[1e-400]",
        "[-9007199254740993]", "\"abc\"", "1", "true", "false", "null", "[false, true, null]",
        "{\"a\":null}", "{\"a\":{\"b\":[1,{\"c\":\"d\"}]}}", "[\"\"]", "[\"\\u0000\"]",
        "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", "[\"\\uD834\\uDD1E\"]", "[\"\\u00e9\\u20AC\"]",
        "[\"é\"]", "[\"😀\"]", "[\"日本語\"]", " \t\r\n[ 1 , 2 ]\n", "\r\n{\r\n\"a\" : 1\r\n}\r\n",
        "{\"a\":1,\"b\":2}", "{\"\":0}", "{\"a\":1,\"A\":2}", "[1,[2,[3]]]", "[\"a\\u005Cb\"]",
        "[\"\u{2028}\u{2029}\"]", "[\"\u{7F}\"]", "[[] , {}]", "{\"a\":[],\"b\":{}}",
        "[\"\\uDBFF\\uDFFF\"]", "[1.7976931348623157e308]", "[-1.7976931348623157e308]",
        "[5e-324]", "{\"x\" :\n  \"y\"}",
    ]

    @Test(arguments: accepted)
    func accepts(_ text: String) throws {
        _ = try StrictJSON.parse(Array(text.utf8))
    }

    @Test func acceptsBOM() throws {
        let node = try StrictJSON.parse([0xEF, 0xBB, 0xBF] + Array("{\"a\": 1}".utf8))
        #expect(node.value == .object([("a", .number(1))]))
        #expect(node.position == JSONPosition(line: 1, column: 1, offset: 3))
    }

    /// Texts every strict reader must refuse (as `raw` bytes), with a piece of the message.
    static let rejected: [(String, String)] = [
        ("", "the file is empty"),
        ("   \n\t ", "the file is empty"),
        ("[", "the text stops inside a list opened at line 1, column 1"),
        ("{", "the text stops inside an object opened at line 1, column 1"),
        ("[1,]", "trailing comma before ']'"),
        ("{\"a\":1,}", "trailing comma before '}'"),
        ("[,1]", "expected a value"),
        ("[1,,2]", "expected a value"),
        ("{,}", "expected a key in double quotes"),
        ("{\"a\"}", "expected ':' after the key \"a\""),
        ("{\"a\":}", "expected a value"),
        ("{\"a\" 1}", "expected ':' after the key \"a\""),
        ("{\"a\"::1}", "expected a value"),
        ("{a:1}", "expected a key in double quotes"),
        ("{'a':1}", "double quotes"),
        ("['a']", "double quotes"),
        ("[1 2]", "expected ',' or ']' after item 1 of the list (is a comma missing?), found '2'"),
        ("{\"a\":1 \"b\":2}", "expected ',' or '}' after the value of \"a\" (is a comma missing?), found '\"'"),
        ("[NaN]", "NaN is not allowed"),
        ("[Infinity]", "Infinity is not allowed"),
        ("[-Infinity]", "-Infinity is not allowed"),
        ("[01]", "leading zeros"),
        ("[-01]", "leading zeros"),
        ("[1.]", "expected a digit after the decimal point"),
        ("[.5]", "numbers must start with a digit"),
        ("[+1]", "must not start with '+'"),
        ("[1e]", "expected a digit in the exponent"),
        ("[1e+]", "expected a digit in the exponent"),
        ("[-]", "expected a digit after '-'"),
        ("[--1]", "expected a digit after '-'"),
        ("[0x1F]", "invalid number \"0x1F\""),
        ("[1.2.3]", "invalid number \"1.2.3\""),
        ("[1e1.5]", "invalid number"),
        ("[True]", "write true in lowercase"),
        ("[nul]", "unexpected word \"nul\""),
        ("[tru]", "unexpected word \"tru\""),
        ("[undefined]", "did you mean null?"),
        ("[1] [2]", "after the end of the JSON value"),
        ("[1]x", "after the end of the JSON value"),
        ("[1]]", "after the end of the JSON value"),
        ("{\"a\":1}}", "after the end of the JSON value"),
        ("// c\n[]", "comments are not allowed"),
        ("[1 /* c */]", "comments are not allowed"),
        ("[1, 2] // end", "comments are not allowed"),
        ("[\"a\u{01}\"]", "control character U+0001"),
        ("[\"a\n\"]", "a line break is not allowed inside a string"),
        ("[\"a\tb\"]", "a tab character is not allowed inside a string"),
        ("[\"\\x\"]", "invalid escape \\x"),
        ("[\"\\u12\"]", "4 hexadecimal digits"),
        ("[\"\\uD800\"]", "a high surrogate must be followed by a low surrogate"),
        ("[\"\\uDC00\"]", "a low surrogate must follow a high surrogate"),
        ("[\"\\uD800\\u0041\"]", "not \\u0041"),
        ("[\"\\uD800x\"]", "a high surrogate must be followed"),
        ("[\"\\uD800\\uD800\"]", "not \\uD800"),
        ("[\"abc", "the text stops inside a string that starts at line 1, column 2"),
        ("\"abc", "the text stops inside a string that starts at line 1, column 1"),
        ("[1e400]", "number too large"),
        ("[-1e400]", "number too large"),
        ("[\"\u{FF}\"]", "invalid UTF-8 (byte 0xFF)"),
        ("[\"\u{C0}\u{80}\"]", "invalid UTF-8 (byte 0xC0)"),
        ("[\"\u{ED}\u{A0}\u{80}\"]", "invalid UTF-8 (byte 0xED)"),
        ("[\"\u{F4}\u{90}\u{80}\u{80}\"]", "invalid UTF-8 (byte 0xF4)"),
        ("[\"\u{E2}\u{82}\"]", "invalid UTF-8 (byte 0xE2)"),
        ("[\"\u{E2}\u{82}", "invalid UTF-8 (byte 0xE2)"),
        ("[\u{FF}]", "invalid UTF-8 (byte 0xFF)"),
        ("[1]\u{80}", "invalid UTF-8 (byte 0x80)"),
        ("{\"a\":1,\"a\":2}", "duplicate key \"a\" (first at line 1, column 2)"),
        ("{\"a\":1,\"\\u0061\":2}", "duplicate key \"a\""),
        ("[1,", "the text stops inside a list opened at line 1, column 1"),
        ("{\"a\":[1,{\"b\":", "the text stops inside an object opened at line 1, column 9 (3 brackets are left open)"),
        ("[\u{C2}\u{A0}1]", "an unusual space (U+00A0)"),
        ("[\u{E2}\u{80}\u{9C}a\u{E2}\u{80}\u{9D}]", "curly quote"),
        ("\u{EF}\u{BB}\u{BF}\u{EF}\u{BB}\u{BF}[]", "byte order mark"),
        ("\u{FE}\u{FF}[]", "invalid UTF-8 (byte 0xFE)"),
        ("[}", "expected a value"),
        ("{]", "expected a key in double quotes"),
        ("{\"a\":1,", "the text stops inside an object"),
        ("[1,2", "the text stops inside a list"),
        ("{\"a\":-", "the text stops inside an object"),
        ("{\"a\":tr", "the text stops inside an object"),
        ("[\"\\", "the text stops inside a string"),
        ("[\"\\u00", "the text stops inside a string"),
        ("[\u{01}]", "control character U+0001"),
        ("nul", "unexpected word"),
        ("-", "expected a digit after '-'"),
    ]

    @Test(arguments: rejected)
    func rejects(_ text: String, _ message: String) {
        let error = #expect(throws: JSONSyntaxError.self) { try StrictJSON.parse(raw(text)) }
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
    }

    @Test func truncatedTextSaysSo() {
        let text = "{\n  \"images\": [\n    {\"file\": \"a.png\", \"tags\": [\"Dog\""
        let error = #expect(throws: JSONSyntaxError.self) { try StrictJSON.parse(Array(text.utf8)) }
        #expect(error?.message == "unexpected end of file: the text stops inside a list opened at line 3, column 31 (4 brackets are left open); the file looks truncated")
        #expect(error?.position == JSONPosition(line: 3, column: 37, offset: text.utf8.count))
    }
}

@Suite("StrictJSON positions and limits")
struct StrictJSONPositionTests {
    @Test func positionsOfValuesCountCharactersNotBytes() throws {
        let text = "{\n  \"a\": [1, \"é\", {\"b\": null}],\n  \"ü\": true\n}"
        let root = try StrictJSON.parse(Array(text.utf8))
        #expect(root.position == JSONPosition(line: 1, column: 1, offset: 0))
        let a = try #require(root.member("a"))
        #expect(a.keyPosition == JSONPosition(line: 2, column: 3, offset: 4))
        #expect(a.value.position == JSONPosition(line: 2, column: 8, offset: 9))
        guard case .array(let items) = a.value.kind else { Issue.record("not a list"); return }
        #expect(items[0].position == JSONPosition(line: 2, column: 9, offset: 10))
        #expect(items[1].position == JSONPosition(line: 2, column: 12, offset: 13))
        #expect(items[2].position == JSONPosition(line: 2, column: 17, offset: 19))
        #expect(items[2]["b"]?.position == JSONPosition(line: 2, column: 23, offset: 25))
        let u = try #require(root.member("ü"))
        #expect(u.keyPosition == JSONPosition(line: 3, column: 3, offset: 35))
        #expect(u.value.position == JSONPosition(line: 3, column: 8, offset: 41))
    }

    @Test func errorAfterMultibyteCharacters() {
        let text = "{\"é😀\": tru}"
        let error = #expect(throws: JSONSyntaxError.self) { try StrictJSON.parse(Array(text.utf8)) }
        #expect(error?.position == JSONPosition(line: 1, column: 8, offset: 11))
    }

    @Test func errorPositionAfterBOM() {
        let error = #expect(throws: JSONSyntaxError.self) {
            try StrictJSON.parse([0xEF, 0xBB, 0xBF] + Array("{\"a\": x}".utf8))
        }
        #expect(error?.position == JSONPosition(line: 1, column: 7, offset: 9))
    }

    @Test func badUTF8InsideStringIsPositioned() {
        let bytes = Array("{\n  \"é\": \"ab".utf8) + [0xE9] + Array("\"}".utf8)
        let error = #expect(throws: JSONSyntaxError.self) { try StrictJSON.parse(bytes) }
        #expect(error?.message == "invalid UTF-8 (byte 0xE9): the file must be saved as UTF-8")
        #expect(error?.position == JSONPosition(line: 2, column: 11, offset: 13))
    }

    @Test func lineBreaksCRLFAndCR() throws {
        let root = try StrictJSON.parse(Array("[\r\n1,\r2,\n3]".utf8))
        guard case .array(let items) = root.kind else { Issue.record("not a list"); return }
        #expect(items.map(\.position.line) == [2, 3, 4])
        #expect(items.map(\.position.column) == [1, 1, 1])
    }

    @Test func duplicateKeyNamesTheFirst() {
        let text = "{\n  \"tags\": [],\n  \"tags\": []\n}"
        let error = #expect(throws: JSONSyntaxError.self) { try StrictJSON.parse(Array(text.utf8)) }
        #expect(error?.message == "duplicate key \"tags\" (first at line 2, column 3)")
        #expect(error?.position == JSONPosition(line: 3, column: 3, offset: 18))
    }

    @Test func duplicateKeyInABigObject() {
        var text = "{"
        for n in 0..<100 { text += "\"k\(n)\": \(n), " }
        text += "\"k42\": 0}"
        let error = #expect(throws: JSONSyntaxError.self) { try StrictJSON.parse(Array(text.utf8)) }
        #expect(error?.message.hasPrefix("duplicate key \"k42\" (first at line 1, column ") == true)
    }

    @Test func trailingCommaPointsAtTheComma() {
        let error = #expect(throws: JSONSyntaxError.self) { try StrictJSON.parse(Array("[1, 2 ,\n]".utf8)) }
        #expect(error?.message == "trailing comma before ']'; remove the comma after the last item")
        #expect(error?.position == JSONPosition(line: 1, column: 7, offset: 6))
    }

    @Test func nestingOf64IsAcceptedAnd65Refused() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        _ = try StrictJSON.parse(Array(ok.utf8))
        let objects = String(repeating: "{\"a\":", count: 63) + "[]" + String(repeating: "}", count: 63)
        _ = try StrictJSON.parse(Array(objects.utf8))
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        let error = #expect(throws: JSONSyntaxError.self) { try StrictJSON.parse(Array(deep.utf8)) }
        #expect(error?.message == "nesting is deeper than 64 levels")
        #expect(error?.position.column == 65)
        let veryDeep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try StrictJSON.parse(Array(veryDeep.utf8)) }
    }

    @Test func bigNumbers() throws {
        let root = try StrictJSON.parse(Array("[1e308, 123456789012345678901234567890, -0, 0.1, 1e-400, 9007199254740993]".utf8))
        guard case .array(let items) = root.kind else { Issue.record("not a list"); return }
        let numbers = items.compactMap { item -> Double? in
            if case .number(let n, _) = item.kind { return n } else { return nil }
        }
        #expect(numbers == [1e308, 1.2345678901234568e29, 0, 0.1, 0, 9007199254740992])
        if case .number(_, let literal) = items[1].kind { #expect(literal == "123456789012345678901234567890") }
        let error = #expect(throws: JSONSyntaxError.self) { try StrictJSON.parse(Array("{\"x\": 2e308}".utf8)) }
        #expect(error?.message.hasPrefix("number too large") == true)
        #expect(error?.position.column == 7)
    }

    @Test func stringsDecode() throws {
        let root = try StrictJSON.parse(Array(#"["a\"b\\c\/d\b\f\n\r\t", "\u00e9\uD83D\uDE00", "é😀", "\u0000"]"#.utf8))
        #expect(root.value == .array([.string("a\"b\\c/d\u{08}\u{0C}\n\r\t"), .string("é😀"), .string("é😀"), .string("\u{0}")]))
    }

    @Test func sizeLimit() {
        var bytes = [UInt8](repeating: 0x20, count: StrictJSON.maxBytes + 1)
        bytes[0] = 0x30
        let error = #expect(throws: JSONSyntaxError.self) { try StrictJSON.parse(bytes) }
        #expect(error?.message.hasPrefix("the file is too large") == true)
        bytes.removeLast()
        #expect(throws: Never.self) { try StrictJSON.parse(bytes) }
    }

    static let values: [JSONValue] = [
        .null, .bool(true), .number(0), .number(-3.5e-7), .number(0.1), .number(1e300), .number(123456),
        .string("line\nbreak \"quoted\" \\ tab\t \u{01} é 😀 \u{7F}"),
        .array([]), .object([]),
        .object([
            ("$schema", .string("../../../page.schema.json")), ("revision", .number(3)),
            ("tags", .array([.string("Dog"), .string("Cat")])),
            ("images", .array([.object([
                ("file", .string("a.png")), ("width", .number(640)),
                ("regions", .array([.object([("tag", .string("Dog")),
                    ("box", .object([("x", .number(1.5)), ("y", .number(2)), ("width", .number(3)), ("height", .number(4))]))])])),
                ("polygon", .array((0..<40).map { .array([.number(Double($0)), .number(Double($0) / 3)]) })),
            ])])),
            ("nested", .array([.array([.array([.null, .object([("k", .bool(false))])])])])),
        ]),
    ]

    @Test(arguments: values)
    func roundTripThroughThePrettyWriter(_ value: JSONValue) throws {
        let text = JSONWriter.pretty(value)
        #expect(try StrictJSON.parse(Array(text.utf8)).value == value)
        #expect(try StrictJSON.parse(Array(JSONWriter.compact(value).utf8)).value == value)
    }
}
