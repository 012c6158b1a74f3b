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
    /// Why the scan already refuses it (a folder nested too deep), else nil.
    public var refusal: String?
}

/// What a scan of one inbox found.
public struct InboxScan: Sendable {
    public var items: [InboxItem] = []
    /// Folders below the inbox that are another labelmill root (they hold
    /// `.labelmill/lock`): never walked, never taken from.
    public var otherRoots: [String] = []
}

/// Lists what an inbox holds. The scanner, not the watcher, decides what exists:
/// events only say where to look.
public enum InboxScanner {
    /// Folders deeper than this below `Inbox/<project>/` are refused whole, with
    /// a reason: the walk holds one descriptor per level.
    public static let maxDepth = 256

    /// Files at any depth under `Inbox/<project>/`, except project.json and
    /// INSTRUCTIONS.md at the top and hidden or temporary names. Symlinks are
    /// reported (to be refused), never followed.
    public static func scan(_ folder: String) -> [InboxItem] { walk(folder).items }

    /// Walks the inbox folder by folder with `openat`, so no path is too long
    /// to list (a file whose path is past PATH_MAX is found, and refused by
    /// the examination). One descriptor per level is open at a time.
    public static func walk(_ folder: String) -> InboxScan {
        // The inbox itself is never reached through a link either.
        guard LocalPaths.status(folder)?.kind == .directory, let root = try? RootedDirectory.open(folder) else { return InboxScan() }
        return walk(folder, in: root)
    }

    /// As `walk(_:)`, for the inbox at `folder` in a file system.
    public static func walk(_ folder: String, in fs: any FileSystem) -> InboxScan {
        var scan = InboxScan()
        try? fs.visitTree(folder) { entry in
            let raw = entry.name
            if Names.isIgnored(raw: raw) { return false }
            if entry.depth == 0, raw == Array("project.json".utf8) || raw == Array("INSTRUCTIONS.md".utf8) { return false }
            var item = InboxItem(rawPath: entry.path, source: RawName.escaped(entry.relative), name: String(validating: raw, as: UTF8.self),
                                 rawName: raw, status: entry.status)
            guard entry.status.kind == .directory else {
                scan.items.append(item)
                return false
            }
            if fs.status(rawPath: entry.path + Array("/.labelmill/lock".utf8))?.kind == .regular {
                scan.otherRoots.append(RawName.escaped(entry.path))
                return false
            }
            if entry.depth + 1 >= maxDepth {
                item.refusal = "a folder \(maxDepth) levels below the project's inbox; images are taken up to \(maxDepth - 1) folders deep: move them higher and drop them again"
                scan.items.append(item)
                return false
            }
            return true
        }
        return scan
    }
}
