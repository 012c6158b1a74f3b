import LabelmillCore

/// One file found in a project's inbox, as lstat saw it.
public struct InboxItem: Sendable {
    /// Full path as raw bytes: the name may not be valid UTF-8.
    public var rawPath: [UInt8]
    /// Path relative to `Inbox/<project>/`, printable (%XX for bytes that are not UTF-8).
    public var source: String
    /// The last path component, nil when it is not valid UTF-8.
    public var name: String?
    public var rawName: [UInt8]
    public var status: FileStatus
}

/// Lists what an inbox holds. The scanner, not the watcher, decides what exists:
/// events only say where to look.
public enum InboxScanner {
    /// Files at any depth under `Inbox/<project>/`, except project.json and
    /// INSTRUCTIONS.md at the top and hidden or temporary names. Symlinks are
    /// reported (to be refused), never followed.
    public static func scan(_ folder: String) -> [InboxItem] {
        var items: [InboxItem] = []
        walk(Array(folder.utf8), relative: [], depth: 0, into: &items)
        return items
    }

    private static func walk(_ dir: [UInt8], relative: [UInt8], depth: Int, into items: inout [InboxItem]) {
        guard depth < 64, let entries = try? FileSystem.list(rawPath: dir) else { return }
        for entry in entries {
            if Names.isIgnored(raw: entry.rawName) { continue }
            if depth == 0, let n = entry.name, n == "project.json" || n == "INSTRUCTIONS.md" { continue }
            let full = dir + [47] + entry.rawName
            let rel = relative.isEmpty ? entry.rawName : relative + [47] + entry.rawName
            guard let st = FileSystem.status(rawPath: full) else { continue }
            if st.kind == .directory {
                walk(full, relative: rel, depth: depth + 1, into: &items)
            } else {
                items.append(InboxItem(rawPath: full, source: RawName.escaped(rel), name: entry.name,
                                       rawName: entry.rawName, status: st))
            }
        }
    }
}
