import CShims
import LabelmillCore
#if canImport(Glibc)
import Glibc
#endif

/// File-system calls on plain paths, for the commands and the watcher, which
/// work outside a held-open root. Every write is atomic (temp file in the same
/// folder, fsync, rename, fsync of the folder) and no call follows a symlink
/// at the last component. The daemon goes through `FileSystem` instead.
public enum LocalPaths {
    public static func status(_ path: String) -> FileStatus? {
        var s = stat()
        guard lstat(path, &s) == 0 else { return nil }
        return FileStatus(s)
    }

    public static func status(rawPath: [UInt8]) -> FileStatus? {
        if LongPath.isLong(rawPath) { return LongPath.status(rawPath) }
        var s = stat()
        let rc = rawPath.withCString { lstat($0, &s) }
        guard rc == 0 else { return nil }
        return FileStatus(s)
    }

    public static func exists(_ path: String) -> Bool { status(path) != nil }

    public static func isDirectory(_ path: String) -> Bool { status(path)?.kind == .directory }

    /// Lists a directory without following symlinks; `.` and `..` left out.
    public static func list(_ path: String) throws(FileSystemError) -> [DirectoryEntry] {
        try list(rawPath: Array(path.utf8))
    }

    public static func list(rawPath: [UInt8]) throws(FileSystemError) -> [DirectoryEntry] {
        guard let dir = rawPath.withCString({ opendir($0) }) else { throw FileSystemError("list", RawName.escaped(rawPath)) }
        defer { closedir(dir) }
        return entries(of: dir)
    }

    /// The entries of an open directory stream, `.` and `..` left out.
    static func entries(of dir: OpaquePointer) -> [DirectoryEntry] {
        var entries: [DirectoryEntry] = []
        while let ent = readdir(dir) {
            let raw: [UInt8] = withUnsafeBytes(of: ent.pointee.d_name) { buf in
                Array(buf.prefix { $0 != 0 })
            }
            if raw == [46] || raw == [46, 46] { continue }
            let type = ent.pointee.d_type
            let isDir: Bool? = type == UInt8(DT_UNKNOWN) ? nil : type == UInt8(DT_DIR)
            entries.append(DirectoryEntry(rawName: raw, isDirectory: isDir))
        }
        return entries
    }

    /// The absolute path with every symlink resolved, for messages; nil when it cannot be.
    public static func resolved(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    /// Counts the entries whose raw name passes `test`, without decoding or
    /// sorting names: `status` on folders of 100,000 pages. 0 when it does not exist.
    /// A folder that is there but that the caller may not list (EACCES).
    public static func isClosedFolder(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd >= 0 { close(fd); return false }
        return errno == EACCES
    }

    public static func countEntries(_ path: String, where test: (UnsafeBufferPointer<UInt8>) -> Bool) -> Int {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0, let dir = fdopendir(fd) else { return 0 }
        defer { closedir(dir) }
        var count = 0
        while let ent = readdir(dir) {
            let hit = withUnsafeBytes(of: &ent.pointee.d_name) { raw -> Bool in
                let b = raw.bindMemory(to: UInt8.self)
                return test(UnsafeBufferPointer(rebasing: b[..<(b.firstIndex(of: 0) ?? b.count)]))
            }
            if hit { count += 1 }
        }
        return count
    }

    /// Maps a regular file read-only (never through a symlink) for one pass
    /// over its bytes; nil when it cannot be opened. An empty file is an empty buffer.
    public static func withMappedFile<R>(_ path: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var s = stat()
        guard fstat(fd, &s) == 0, s.st_mode & S_IFMT == S_IFREG else { return nil }
        let size = Int(s.st_size)
        guard size > 0 else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0), base != MAP_FAILED else { return nil }
        defer { munmap(base, size) }
        return body(UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: size))
    }

    /// Names of the entries of a directory that have valid names; [] when it does not exist.
    public static func names(_ path: String) -> [String] {
        ((try? list(path)) ?? []).compactMap(\.name).sorted()
    }

    /// Reads a regular file without following a symlink or blocking on a FIFO.
    /// Returns the bytes and the file's status as read (fstat before and after
    /// must agree, or the file was changing).
    public static func read(_ path: String, maxBytes: Int64 = 1 << 30) throws(FileSystemError) -> (bytes: [UInt8], status: FileStatus) {
        try read(cPath: path, display: path, maxBytes: maxBytes)
    }

    public static func read(rawPath: [UInt8], maxBytes: Int64 = 1 << 30) throws(FileSystemError) -> (bytes: [UInt8], status: FileStatus) {
        let s = String(decoding: rawPath, as: UTF8.self)
        return try read(cPath: rawPath, display: s, maxBytes: maxBytes)
    }

    private static func read(cPath: some ContiguousBytesConvertible, display: String, maxBytes: Int64) throws(FileSystemError) -> (bytes: [UInt8], status: FileStatus) {
        let fd = cPath.withCString { open($0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
        guard fd >= 0 else { throw FileSystemError.opening(display) }
        defer { close(fd) }
        return try readOpenFile(fd, display: display, maxBytes: maxBytes)
    }

    /// Reads a file opened with O_NOFOLLOW | O_NONBLOCK: only a regular file, at most `maxBytes`.
    static func readOpenFile(_ fd: Int32, display: String, maxBytes: Int64) throws(FileSystemError) -> (bytes: [UInt8], status: FileStatus) {
        var s = stat()
        guard fstat(fd, &s) == 0 else { throw FileSystemError("stat", display) }
        let before = FileStatus(s)
        guard before.kind == .regular else { throw FileSystemError("read", display, errno: EINVAL, detail: "not a regular file") }
        guard before.size <= maxBytes else {
            throw FileSystemError("read", display, errno: EFBIG, detail: "the file is \(before.size) bytes, over the limit of \(maxBytes) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: Int(before.size))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 { if errno == EINTR { continue }; throw FileSystemError("read", display) }
            if n == 0 { break }
            done += n
        }
        if done < bytes.count { bytes.removeLast(bytes.count - done) }
        guard fstat(fd, &s) == 0 else { throw FileSystemError("stat", display) }
        return (bytes, FileStatus(s))
    }

    /// Creates a folder and its parents (mode 0777 less the umask, so a default ACL applies whole); fine if it exists.
    public static func makeDirectories(_ path: String) throws(FileSystemError) {
        if mkdir(path, 0o777) == 0 { return }
        if errno == EEXIST {
            switch status(path)?.kind {
            case .directory: break
            case .symlink: throw FileSystemError("create folder (a symbolic link is in the way; labelmill never follows links: replace it with a real folder)", path, errno: ENOTDIR)
            default: throw FileSystemError("create folder (a file is in the way)", path, errno: ENOTDIR)
            }
            return
        }
        guard errno == ENOENT else { throw FileSystemError("create folder", path) }
        let parent = Path.parent(path)
        guard parent != path, !parent.isEmpty else { throw FileSystemError("create folder", path) }
        try makeDirectories(parent)
        if mkdir(path, 0o777) != 0 && errno != EEXIST { throw FileSystemError("create folder", path) }
    }

    /// Writes a file the safe way: temp file in the same folder, fsync, rename
    /// over the target, fsync of the folder. Readers see the old or the new text, never a mix.
    public static func writeAtomically(_ path: String, _ bytes: some Collection<UInt8>, durable: Bool = true) throws(FileSystemError) {
        let dir = Path.parent(path)
        let temp = Path.join(dir, ".\(Path.name(path)).labelmill-\(getpid()).tmp")
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError("create", temp) }
        do throws(FileSystemError) {
            try writeAll(fd, bytes, path: temp)
            if durable && fsync(fd) != 0 { throw FileSystemError("sync", temp) }
        } catch {
            close(fd); unlink(temp); throw error
        }
        close(fd)
        guard rename(temp, path) == 0 else {
            let e = FileSystemError("replace", path); unlink(temp); throw e
        }
        if durable { syncDirectory(dir) }
    }

    /// Writes a new file; fails with EEXIST rather than replace one.
    /// Returns the new file's status.
    @discardableResult
    public static func writeNew(_ path: String, _ bytes: some Collection<UInt8>) throws(FileSystemError) -> FileStatus {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError("create", path) }
        defer { close(fd) }
        do throws(FileSystemError) { try writeAll(fd, bytes, path: path) } catch { unlink(path); throw error }
        var s = stat()
        guard fstat(fd, &s) == 0 else { throw FileSystemError("stat", path) }
        return FileStatus(s)
    }

    /// Appends one line (events.jsonl): a single write with O_APPEND stays whole.
    public static func append(_ path: String, _ text: String) throws(FileSystemError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError("open", path) }
        defer { close(fd) }
        try writeAll(fd, Array(text.utf8), path: path)
    }

    static func writeAll(_ fd: Int32, _ bytes: some Collection<UInt8>, path: String) throws(FileSystemError) {
        let array = Array(bytes)
        var done = 0
        while done < array.count {
            let n = array.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 { if errno == EINTR { continue }; throw FileSystemError("write", path) }
            done += n
        }
    }

    /// Renames without ever replacing: fails with EEXIST when the target exists.
    public static func moveNoReplace(_ from: String, _ to: String) throws(FileSystemError) {
        guard lm_rename_noreplace(AT_FDCWD, from, AT_FDCWD, to) == 0 else { throw FileSystemError("move \(from) to", to) }
    }

    public static func moveNoReplace(rawFrom: [UInt8], to: String) throws(FileSystemError) {
        if LongPath.isLong(rawFrom) {
            guard LongPath.moveNoReplace(rawFrom, to: to) else { throw FileSystemError("move \(RawName.escaped(rawFrom)) to", to) }
            return
        }
        let rc = rawFrom.withCString { lm_rename_noreplace(AT_FDCWD, $0, AT_FDCWD, to) }
        guard rc == 0 else { throw FileSystemError("move \(RawName.escaped(rawFrom)) to", to) }
    }

    /// Moves `from` to `to`, or to `to` with `-2`, `-3`... before the extension when taken.
    @discardableResult
    public static func moveKeepingBoth(rawFrom: [UInt8], to: String) throws(FileSystemError) -> String {
        var candidate = to
        for n in 2...10_000 {
            do throws(FileSystemError) { try moveNoReplace(rawFrom: rawFrom, to: candidate); return candidate } catch {
                guard error.isExists else { throw error }
                candidate = Path.numbered(to, n)
            }
        }
        throw FileSystemError("move", to, errno: EEXIST)
    }

    /// A hard link: the page and the daemon's copy share the image's bytes.
    public static func link(_ from: String, _ to: String) throws(FileSystemError) {
        guard Glibc.link(from, to) == 0 else { throw FileSystemError("link \(from) to", to) }
    }

    public static func link(rawFrom: [UInt8], to: String) throws(FileSystemError) {
        let rc = rawFrom.withCString { Glibc.link($0, to) }
        guard rc == 0 else { throw FileSystemError("link \(RawName.escaped(rawFrom)) to", to) }
    }

    public static func remove(_ path: String) throws(FileSystemError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw FileSystemError("remove", path) }
    }

    public static func remove(rawPath: [UInt8]) throws(FileSystemError) {
        if LongPath.isLong(rawPath) {
            guard LongPath.remove(rawPath) else { throw FileSystemError("remove", RawName.escaped(rawPath)) }
            return
        }
        let rc = rawPath.withCString { unlink($0) }
        guard rc == 0 || errno == ENOENT else { throw FileSystemError("remove", RawName.escaped(rawPath)) }
    }

    /// Removes a folder and everything in it, never following symlinks.
    public static func removeTree(_ path: String) throws(FileSystemError) {
        guard let st = status(path) else { return }
        if st.kind == .directory {
            for entry in try list(path) {
                let child = Array(path.utf8) + [47] + entry.rawName
                if entry.isDirectory == true || (entry.isDirectory == nil && status(rawPath: child)?.kind == .directory) {
                    try removeTree(String(decoding: child, as: UTF8.self))
                } else {
                    try remove(rawPath: child)
                }
            }
            guard rmdir(path) == 0 || errno == ENOENT else { throw FileSystemError("remove folder", path) }
        } else {
            try remove(path)
        }
    }

    /// Makes a folder's entries (renames, new files) durable.
    public static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// Flushes every file of the file system holding `path`: one call instead of
    /// an fsync per file when a batch of pages is written.
    public static func syncFileSystem(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        lm_syncfs(fd)
        close(fd)
    }
}

/// Raw bytes or a String, handed to a C call as a NUL-terminated path.
protocol ContiguousBytesConvertible {
    func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R
}

extension String: ContiguousBytesConvertible {}

extension Array: ContiguousBytesConvertible where Element == UInt8 {
    func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        try (self + [0]).withUnsafeBufferPointer { p in
            try p.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }
}
