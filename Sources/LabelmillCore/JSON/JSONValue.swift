/// Where a value starts in a JSON text: 1-based line and column (columns count
/// Unicode scalars) and the 0-based byte offset.
public struct JSONPosition: Sendable, Hashable, Comparable {
    public var line: Int
    public var column: Int
    public var offset: Int

    public init(line: Int, column: Int, offset: Int) {
        self.line = line
        self.column = column
        self.offset = offset
    }

    public static func < (a: JSONPosition, b: JSONPosition) -> Bool { a.offset < b.offset }
}

/// A JSON value without positions: what the daemon builds and writes.
/// Objects keep their key order, so output is stable.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var numberValue: Double? { if case .number(let n) = self { return n } else { return nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var isNull: Bool { if case .null = self { return true } else { return false } }
}

/// A parsed JSON value with the position where it starts in the text.
public struct JSONNode: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case null
        case bool(Bool)
        /// The number and its literal text as written (kept for exact messages).
        case number(Double, literal: String)
        case string(String)
        case array([JSONNode])
        case object([JSONMember])
    }

    public var kind: Kind
    public var position: JSONPosition

    public init(_ kind: Kind, at position: JSONPosition) {
        self.kind = kind
        self.position = position
    }

    /// The member named `key`, if this is an object holding it.
    public func member(_ key: String) -> JSONMember? {
        guard case .object(let members) = kind else { return nil }
        return members.first { $0.key == key }
    }

    public subscript(key: String) -> JSONNode? { member(key)?.value }

    /// The same value without positions.
    public var value: JSONValue {
        switch kind {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let n, _): return .number(n)
        case .string(let s): return .string(s)
        case .array(let items): return .array(items.map(\.value))
        case .object(let members): return .object(members.map { ($0.key, $0.value.value) })
        }
    }
}

/// One `"key": value` pair of an object, with the key's own position.
public struct JSONMember: Sendable, Equatable {
    public var key: String
    public var keyPosition: JSONPosition
    public var value: JSONNode

    public init(key: String, keyPosition: JSONPosition, value: JSONNode) {
        self.key = key
        self.keyPosition = keyPosition
        self.value = value
    }
}

/// Why a text is not strict JSON, and where.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var position: JSONPosition
    public var message: String

    public init(_ message: String, at position: JSONPosition) {
        self.message = message
        self.position = position
    }

    public var description: String { "\(position.line):\(position.column): \(message)" }
}

extension JSONValue {
    /// Sets a member in place, or inserts it after `after` (else before
    /// "images"/"errors", else at the end): the stable key order of page.json.
    public mutating func setMember(_ key: String, _ newValue: JSONValue, after: String? = nil) {
        guard case .object(var members) = self else { return }
        if let i = members.firstIndex(where: { $0.0 == key }) {
            members[i].1 = newValue
        } else if let after, let i = members.firstIndex(where: { $0.0 == after }) {
            members.insert((key, newValue), at: i + 1)
        } else if let i = members.firstIndex(where: { $0.0 == "images" || $0.0 == "errors" }) {
            members.insert((key, newValue), at: i)
        } else {
            members.append((key, newValue))
        }
        self = .object(members)
    }

    public mutating func removeMember(_ key: String) {
        guard case .object(let members) = self else { return }
        self = .object(members.filter { $0.0 != key })
    }
}
