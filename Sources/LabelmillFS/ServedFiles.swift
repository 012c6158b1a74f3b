import LabelmillCore
#if canImport(Glibc)
import Glibc
#endif

/// File access for the web page: every path the server opens is a chain of
/// plain names below a known folder, each opened with O_NOFOLLOW, so no
/// symlink, `..` or absolute path in a request or a page.json leads outside.
extension LocalPaths {
    /// Whether `name` can be one step of a confined path: not empty, `.` or `..`, no `/`, no NUL.
    public static func isPlainComponent(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.utf8.contains(47) && !name.utf8.contains(0)
    }

    /// Opens `base/components...` for reading: every folder on the way and the
    /// file itself without following symlinks; the file must be a regular file.
    /// The caller closes the descriptor.
    public static func openBeneath(_ base: String, _ components: [String]) throws(FileSystemError) -> (fd: Int32, status: FileStatus) {
        let display = Path.join([base] + components)
        guard !components.isEmpty, components.allSatisfy(isPlainComponent) else {
            throw FileSystemError("open (not a plain name)", display, errno: EINVAL)
        }
        var dir = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dir >= 0 else { throw FileSystemError("open", base) }
        for folder in components.dropLast() {
            let next = openat(dir, folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let e = errno
            close(dir)
            guard next >= 0 else { throw FileSystemError("open", display, errno: e == ELOOP ? ENOENT : e) }
            dir = next
        }
        let fd = openat(dir, components[components.count - 1], O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        let e = errno
        close(dir)
        guard fd >= 0 else { throw FileSystemError("open", display, errno: e == ELOOP ? ENOENT : e) }
        var s = stat()
        guard fstat(fd, &s) == 0 else { let e = FileSystemError("stat", display); close(fd); throw e }
        let status = FileStatus(s)
        guard status.kind == .regular else { close(fd); throw FileSystemError("open (not a regular file)", display, errno: ENOENT) }
        return (fd, status)
    }

    /// Reads `base/components...` whole, as `openBeneath` opens it.
    public static func readBeneath(_ base: String, _ components: [String], maxBytes: Int64) throws(FileSystemError) -> (bytes: [UInt8], status: FileStatus) {
        let (fd, status) = try openBeneath(base, components)
        defer { close(fd) }
        guard status.size <= maxBytes else { throw FileSystemError("read (too large)", Path.join([base] + components), errno: EFBIG) }
        let bytes = try readAll(fd, from: 0, display: Path.join([base] + components))
        return (bytes, status)
    }

    /// The status of `base/components...` as `openBeneath` would reach it, without opening the file.
    public static func statusBeneath(_ base: String, _ components: [String]) -> FileStatus? {
        guard !components.isEmpty, components.allSatisfy(isPlainComponent) else { return nil }
        var dir = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dir >= 0 else { return nil }
        defer { close(dir) }
        for folder in components.dropLast() {
            let next = openat(dir, folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard next >= 0 else { return nil }
            close(dir)
            dir = next
        }
        var s = stat()
        guard fstatat(dir, components[components.count - 1], &s, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        return FileStatus(s)
    }

    /// The bytes of a file from `offset` to its end (a journal's new lines), with its status.
    public static func readTail(_ path: String, from offset: Int64) throws(FileSystemError) -> (bytes: [UInt8], status: FileStatus) {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("open", path) }
        defer { close(fd) }
        var s = stat()
        guard fstat(fd, &s) == 0 else { throw FileSystemError("stat", path) }
        let status = FileStatus(s)
        guard status.kind == .regular else { throw FileSystemError("read (not a regular file)", path, errno: EINVAL) }
        return (try readAll(fd, from: min(offset, status.size), display: path), status)
    }

    /// Reads from `offset` to the end of the file.
    public static func readAll(_ fd: Int32, from offset: Int64, display: String) throws(FileSystemError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var at = offset
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(at)) }
            if n < 0 { if errno == EINTR { continue }; throw FileSystemError("read", display) }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            at += Int64(n)
        }
        return bytes
    }

    /// Atomic replace, as `writeAtomically`, for a file only its owner may read (mode 0600).
    public static func writePrivately(_ path: String, _ bytes: [UInt8]) throws(FileSystemError) {
        let temp = uniqueTemp(for: path)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileSystemError("create", temp) }
        do throws(FileSystemError) {
            // The umask cannot widen 0600, but an inherited ACL default could: set it exactly.
            guard fchmod(fd, 0o600) == 0 else { throw FileSystemError("chmod", temp) }
            try writeBytes(fd, bytes, path: temp)
            guard fsync(fd) == 0 else { throw FileSystemError("sync", temp) }
        } catch {
            close(fd); unlink(temp); throw error
        }
        close(fd)
        guard rename(temp, path) == 0 else { let e = FileSystemError("replace", path); unlink(temp); throw e }
        syncDirectory(Path.parent(path))
    }

    /// Replaces `path` with `bytes` only if it still holds `expecting`: the new
    /// text is written and synced aside first, then the file is read again just
    /// before the rename, so an edit made meanwhile (vim, the daemon) is not lost.
    /// False, and nothing written, when the file changed.
    public static func replaceIfUnchanged(_ path: String, expecting: [UInt8], with bytes: [UInt8], durable: Bool = true) throws(FileSystemError) -> Bool {
        let temp = uniqueTemp(for: path)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError("create", temp) }
        do throws(FileSystemError) {
            try writeBytes(fd, bytes, path: temp)
            if durable && fsync(fd) != 0 { throw FileSystemError("sync", temp) }
        } catch {
            close(fd); unlink(temp); throw error
        }
        close(fd)
        let now: [UInt8]
        do { now = try read(path, maxBytes: Int64(max(expecting.count, 1)) + 1).bytes } catch {
            unlink(temp)
            if error.errno == EFBIG { return false }
            throw error
        }
        guard now == expecting else { unlink(temp); return false }
        guard rename(temp, path) == 0 else { let e = FileSystemError("replace", path); unlink(temp); throw e }
        if durable { syncDirectory(Path.parent(path)) }
        return true
    }

    /// A temp name no other writer in this process or another uses at the same time.
    static func uniqueTemp(for path: String) -> String {
        let tag = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        return Path.join(Path.parent(path), ".\(Path.name(path)).labelmill-\(getpid())-\(tag).tmp")
    }

    static func writeBytes(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileSystemError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 { if errno == EINTR { continue }; throw FileSystemError("write", path) }
            done += n
        }
    }
}
