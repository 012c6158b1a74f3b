import LabelmillCore
import LabelmillFS

/// Sign-in tokens for the web page on a non-loopback address, kept in
/// `.labelmill/tokens.json` (mode 0600) as SHA-256 hashes only: the token
/// itself is printed once by `labelmill token add` and never stored.
public struct TokenStore: Sendable {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var sha256: String
        public var created: String
    }

    public let workspace: Workspace
    public init(workspace: Workspace) { self.workspace = workspace }

    public var file: String { Path.join(workspace.stateRoot, "tokens.json") }

    /// The entries, oldest first; [] when there is no file.
    public func entries() throws -> [Entry] {
        let bytes: [UInt8]
        do { bytes = try LocalPaths.read(file, maxBytes: 16 << 20).bytes } catch {
            if error.isNotFound { return [] }
            throw TokenError("cannot read \(file): \(error)")
        }
        return try Self.decode(bytes, file: file)
    }

    static func decode(_ bytes: [UInt8], file: String) throws -> [Entry] {
        let node: JSONNode
        do { node = try StrictJSON.parse(bytes) } catch {
            throw TokenError("\(file):\(error.position.line):\(error.position.column): \(error.message)")
        }
        guard let list = node.value["tokens"]?.arrayValue else {
            throw TokenError("\(file) must hold {\"tokens\": [...]}; fix it or remove it and add the tokens again")
        }
        return list.compactMap { item in
            guard let name = item["name"]?.stringValue, let hash = item["sha256"]?.stringValue else { return nil }
            return Entry(name: name, sha256: hash, created: item["created"]?.stringValue ?? "")
        }
    }

    /// Adds a token for `name` and returns it (the only time it exists in clear).
    public func add(_ name: String, created: String) throws -> String {
        let token = "lm_" + randomHex(bytes: 32)
        var list = try entries()
        list.append(Entry(name: name, sha256: Self.hash(token), created: created))
        try save(list)
        return token
    }

    /// Removes every token of `name`; returns how many there were.
    @discardableResult
    public func revoke(_ name: String) throws -> Int {
        let list = try entries()
        let kept = list.filter { $0.name != name }
        if kept.count != list.count { try save(kept) }
        return list.count - kept.count
    }

    /// The labeler a token signs in, or nil when it is unknown or revoked.
    public func labeler(for token: String) throws -> String? {
        let hash = Self.hash(token)
        return try entries().first { constantTimeEqual($0.sha256, hash) }?.name
    }

    func save(_ list: [Entry]) throws {
        let value = JSONValue.object([("tokens", .array(list.map { e in
            .object([("name", .string(e.name)), ("sha256", .string(e.sha256)), ("created", .string(e.created))])
        }))])
        do {
            try LocalPaths.makeDirectories(workspace.stateRoot)
            try LocalPaths.writePrivately(file, JSONWriter.prettyBytes(value))
        } catch {
            throw TokenError("cannot write \(file): \(error)")
        }
    }

    public static func hash(_ token: String) -> String { Hashing.sha256(Array(token.utf8)) }
}

public struct TokenError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Equal strings, compared without stopping at the first difference.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<x.count { diff |= x[i] ^ y[i] }
    return diff == 0
}
