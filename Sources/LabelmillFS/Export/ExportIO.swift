#if canImport(Glibc)
import Glibc
#endif

/// Small POSIX helpers for the export: descriptors, whole reads and writes.
enum ExportIO {
    static let directoryFlags = O_RDONLY | O_DIRECTORY | O_CLOEXEC

    /// Opens a folder below `dir` without following a symlink at its last component.
    static func openDirectory(_ dir: Int32, _ name: String) -> Int32 {
        openat(dir, name, directoryFlags | O_NOFOLLOW)
    }

    /// Reads a whole regular file (never through a symlink), refusing more than `limit` bytes.
    static func readFile(_ dir: Int32, _ name: String, limit: Int) throws -> [UInt8] {
        let fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError(failed: "cannot open \(name)") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileSystemError(failed: "cannot stat \(name)") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw FileSystemError(message: "\(name) is not a regular file") }
        guard Int(st.st_size) <= limit else { throw FileSystemError(message: "\(name) is larger than \(limit) bytes") }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var done = 0
        while true {
            if done == bytes.count { bytes.append(contentsOf: [UInt8](repeating: 0, count: max(4096, done))) }
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 { if errno == EINTR { continue }; throw FileSystemError(failed: "cannot read \(name)") }
            if n == 0 { break }
            done += n
            guard done <= limit else { throw FileSystemError(message: "\(name) is larger than \(limit) bytes") }
        }
        bytes.removeSubrange(done...)
        return bytes
    }

    /// Writes all of `bytes` to `fd`, retrying short writes.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, name: String) throws {
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 { if errno == EINTR { continue }; throw FileSystemError(failed: "cannot write \(name)") }
            done += n
        }
    }

    /// Copies the rest of `source` into `target` through `buffer`.
    static func copyContents(from source: Int32, to target: Int32, name: String, buffer: inout [UInt8]) throws {
        while true {
            let n = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress!, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw FileSystemError(failed: "cannot read \(name)") }
            if n == 0 { return }
            try buffer.withUnsafeBytes { try writeAll(target, UnsafeRawBufferPointer(rebasing: $0[..<n]), name: name) }
        }
    }

    /// Whether `name` below `dir` is a folder (not following a symlink), or nil when absent.
    static func isDirectory(_ dir: Int32, _ name: String) throws -> Bool? {
        var st = stat()
        guard fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return nil }
            throw FileSystemError(failed: "cannot look at \(name)")
        }
        return (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// The names in an open folder, without `.` and `..`. Takes ownership of `fd`.
    static func names(_ fd: Int32, path: String) throws -> [(name: String, type: UInt8)] {
        guard let dir = fdopendir(fd) else { close(fd); throw FileSystemError(failed: "cannot list \(path)") }
        defer { closedir(dir) }
        var out: [(String, UInt8)] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw FileSystemError(failed: "cannot list \(path)") }
                return out
            }
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            out.append((name, entry.pointee.d_type))
        }
    }

    /// Removes `name` below `dir` and everything in it, never following symlinks.
    static func removeTree(_ dir: Int32, _ name: String) {
        if unlinkat(dir, name, 0) == 0 || errno == ENOENT { return }
        let fd = openDirectory(dir, name)
        guard fd >= 0 else { return }
        if let entries = try? names(dup(fd), path: name) {
            for entry in entries { removeTree(fd, entry.name) }
        }
        close(fd)
        unlinkat(dir, name, AT_REMOVEDIR)
    }
}
