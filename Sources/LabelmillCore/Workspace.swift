/// The folder layout of a workspace (SPEC section 1). Pure path arithmetic.
public struct Workspace: Sendable, Equatable {
    public var root: String

    public init(root: String) {
        var r = root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        self.root = r
    }

    func path(_ parts: String...) -> String { ([root] + parts).joined(separator: "/") }

    public var inboxRoot: String { path("Inbox") }
    public var watchRoot: String { path("Watch") }
    public var outboxRoot: String { path("Outbox") }
    public var schemaFile: String { path("Watch", "page.schema.json") }

    public func inbox(_ project: String) -> String { path("Inbox", project) }
    public func settingsFile(_ project: String) -> String { path("Inbox", project, "project.json") }
    public func instructions(_ project: String) -> String { path("Inbox", project, "INSTRUCTIONS.md") }
    public func watch(_ project: String) -> String { path("Watch", project) }
    public func queue(_ project: String) -> String { path("Watch", project, "queue") }
    public func labelers(_ project: String) -> String { path("Watch", project, "labelers") }
    public func labeler(_ project: String, _ name: String) -> String { path("Watch", project, "labelers", name) }
    public func conflicts(_ project: String) -> String { path("Watch", project, "conflicts") }
    /// With ML assist, taken images wait here (named by SHA-256) until paged.
    public func pool(_ project: String) -> String { path("Watch", project, "pool") }
    public func outbox(_ project: String) -> String { path("Outbox", project) }
    public func rejected(_ project: String) -> String { path("Outbox", project, "rejected") }
    public func events(_ project: String) -> String { path("Outbox", project, "events.jsonl") }

    /// The daemon's own state: lock, staging, and its copy of every page.
    public var stateRoot: String { path(".labelmill") }
    public var lockFile: String { path(".labelmill", "lock") }
    public var staging: String { path(".labelmill", "staging") }
    /// The daemon's copy of each page: page.json as it last wrote it, plus hard
    /// links to the images while the page is live.
    public func copies(_ project: String) -> String { path(".labelmill", "pages", project) }
    /// ML assist's state: the embeddings (embeddings.log) and the model in use (model.json).
    public func assist(_ project: String) -> String { path(".labelmill", "assist", project) }
    /// Labels `labelmill import` recorded for the daemon to put on pages, one file per import.
    public func imports(_ project: String) -> String { path(".labelmill", "imports", project) }
    public func assistModelFile(_ project: String) -> String { path(".labelmill", "assist", project, "model.json") }

    /// Where a page lives.
    public enum Place: Sendable, Equatable, Hashable {
        case queue
        case labeler(String)
        case outbox

        /// `$schema` in page.json: from the page folder to Watch/page.schema.json.
        public var schemaReference: String {
            switch self {
            case .queue: return "../../../page.schema.json"
            case .labeler: return "../../../../page.schema.json"
            case .outbox: return "../../../Watch/page.schema.json"
            }
        }
    }

    public func folder(of page: String, in project: String, at place: Place) -> String {
        switch place {
        case .queue: return path("Watch", project, "queue", page)
        case .labeler(let name): return path("Watch", project, "labelers", name, page)
        case .outbox: return path("Outbox", project, page)
        }
    }
}

/// Naming rules of SPEC sections 1 and 6.
public enum Names {
    /// Project and labeler names: 1-64 of letters, digits, `-`, `_`, `.`, not starting with `.`.
    public static func isValidName(_ s: String) -> Bool {
        guard (1...64).contains(s.unicodeScalars.count), !s.hasPrefix(".") else { return false }
        return s.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "-" || c == "_" || c == "."
        }
    }

    public static func nameProblem(_ s: String, what: String) -> String? {
        isValidName(s) ? nil : "\(what) name \"\(s)\" must be 1-64 letters, digits, '-', '_' or '.', not starting with '.'"
    }

    /// Hidden, temporary and sync-tool names that are never taken: editors'
    /// backups and probes, partial downloads, rsync and Syncthing temps.
    public static func isIgnored(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { isIgnored(bytes: $0) }
    }

    static let ignoredSuffixes: [[UInt8]] = [".tmp", ".part", ".crdownload", ".swp", ".swx", ".partial", ".download"].map { Array($0.utf8) }
    static let syncConflict = Array(".sync-conflict-".utf8)

    /// Byte-level check (ASCII case-insensitive suffixes): runs for every file scanned.
    static func isIgnored(bytes b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = b.first, let last = b.last else { return true }
        if first == UInt8(ascii: ".") || last == UInt8(ascii: "~") { return true }
        if first == UInt8(ascii: "#") && last == UInt8(ascii: "#") { return true }
        if b.count == 4 && b.elementsEqual("4913".utf8) { return true }
        func lower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c + 32 : c }
        for suffix in ignoredSuffixes where b.count >= suffix.count {
            if zip(b[(b.count - suffix.count)...], suffix).allSatisfy({ lower($0) == $1 }) { return true }
        }
        guard b.count >= syncConflict.count else { return false }
        for start in 0...(b.count - syncConflict.count) where b[start] == UInt8(ascii: ".") {
            if zip(b[start..<(start + syncConflict.count)], syncConflict).allSatisfy({ lower($0) == $1 }) { return true }
        }
        return false
    }

    /// As `isIgnored`, for a raw name that may not be valid UTF-8.
    public static func isIgnored(raw: [UInt8]) -> Bool {
        raw.withUnsafeBufferPointer { isIgnored(bytes: $0) }
    }
}

/// Page ids: `page-000001`, unique in a project forever and sorting by creation.
public enum PageID {
    public static func make(_ number: Int) -> String {
        let digits = String(number)
        return "page-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// As `number(_:) != nil`, on a raw name: counting a folder of 100,000 pages decodes no strings.
    public static func isPageID(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard b.count >= 11, b.count <= 24, b.starts(with: "page-".utf8) else { return false }
        var nonzero = false
        for c in b[5...] {
            guard c >= 48 && c <= 57 else { return false }
            if c != 48 { nonzero = true }
        }
        return nonzero
    }

    public static func number(_ id: String) -> Int? {
        guard id.hasPrefix("page-") else { return nil }
        let digits = id.dropFirst(5)
        guard digits.count >= 6, digits.allSatisfy(\.isASCII), let n = Int(digits), n > 0 else { return nil }
        return n
    }
}
