import LabelmillCore
#if canImport(Glibc)
import Glibc
#endif

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
        var scan = InboxScan()
        let top = open(folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard top >= 0, let topDir = fdopendir(top) else {
            if top >= 0 { close(top) }
            return scan
        }
        // Each frame: an open folder, its path and its path below the inbox.
        var stack: [(dir: OpaquePointer, path: [UInt8], relative: [UInt8])] = [(topDir, Array(folder.utf8), [])]
        while let frame = stack.last {
            guard let ent = readdir(frame.dir) else {
                closedir(frame.dir)
                stack.removeLast()
                continue
            }
            let raw: [UInt8] = withUnsafeBytes(of: ent.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if raw == [46] || raw == [46, 46] || Names.isIgnored(raw: raw) { continue }
            let depth = stack.count - 1
            if depth == 0, raw == Array("project.json".utf8) || raw == Array("INSTRUCTIONS.md".utf8) { continue }
            let fd = dirfd(frame.dir)
            var s = stat()
            guard raw.withCString({ fstatat(fd, $0, &s, AT_SYMLINK_NOFOLLOW) }) == 0 else { continue }
            let status = FileStatus(s)
            let full = frame.path + [47] + raw
            let rel = frame.relative.isEmpty ? raw : frame.relative + [47] + raw
            let name = String(validating: raw, as: UTF8.self)
            var item = InboxItem(rawPath: full, source: RawName.escaped(rel), name: name, rawName: raw, status: status)
            guard status.kind == .directory else {
                scan.items.append(item)
                continue
            }
            if isOtherRoot(fd, raw) {
                scan.otherRoots.append(RawName.escaped(full))
                continue
            }
            if depth + 1 >= maxDepth {
                item.refusal = "a folder \(maxDepth) levels below the project's inbox; images are taken up to \(maxDepth - 1) folders deep: move them higher and drop them again"
                scan.items.append(item)
                continue
            }
            let child = raw.withCString { openat(fd, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            guard child >= 0, let dir = fdopendir(child) else {
                if child >= 0 { close(child) }
                continue
            }
            stack.append((dir, full, rel))
        }
        return scan
    }

    /// Whether the folder `name` in `parent` holds `.labelmill/lock`: a root of its own.
    static func isOtherRoot(_ parent: Int32, _ name: [UInt8]) -> Bool {
        var s = stat()
        let lock = name + Array("/.labelmill/lock".utf8)
        return lock.withCString { fstatat(parent, $0, &s, AT_SYMLINK_NOFOLLOW) } == 0 && s.st_mode & S_IFMT == S_IFREG
    }
}
