import CShims
import LabelmillCore
#if canImport(Glibc)
import Glibc
#endif

/// Paths longer than the kernel takes (PATH_MAX): an inbox can hold one, and
/// a file there must still be refused and moved, not retried forever. The
/// parent folder is opened a part at a time with `openat`, then the call is
/// made relative to it.
enum LongPath {
    /// The longest path the kernel takes, without the terminating NUL.
    static let limit = Int(PATH_MAX) - 1

    static func isLong(_ path: [UInt8]) -> Bool { path.count > limit }

    /// Runs `body` with a descriptor of the parent folder and the last name;
    /// nil (errno set) when the parent cannot be opened.
    static func withParent<R>(_ path: [UInt8], _ body: (Int32, [UInt8]) -> R) -> R? {
        guard let slash = path.lastIndex(of: 47), slash > 0 else { return nil }
        let parent = Array(path[..<slash]), name = Array(path[(slash + 1)...])
        // The longest leading part that fits is opened at once, the rest folder by folder.
        var cut = min(parent.count, limit)
        if cut < parent.count { while cut > 0 && parent[cut] != 47 { cut -= 1 } }
        guard cut > 0 else { return nil }
        var fd = Array(parent[..<cut]).withCString { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { return nil }
        for part in parent[cut...].split(separator: 47) {
            let next = Array(part).withCString { openat(fd, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            let saved = errno
            close(fd)
            guard next >= 0 else { errno = saved; return nil }
            fd = next
        }
        defer { close(fd) }
        return body(fd, name)
    }

    static func status(_ path: [UInt8]) -> FileStatus? {
        withParent(path) { fd, name -> FileStatus? in
            var s = stat()
            return name.withCString({ fstatat(fd, $0, &s, AT_SYMLINK_NOFOLLOW) }) == 0 ? FileStatus(s) : nil
        } ?? nil
    }

    /// Renames without replacing, from a long path to a short one.
    static func moveNoReplace(_ from: [UInt8], to: String) -> Bool {
        withParent(from) { fd, name in name.withCString { lm_rename_noreplace(fd, $0, AT_FDCWD, to) } == 0 } ?? false
    }

    static func remove(_ path: [UInt8]) -> Bool {
        withParent(path) { fd, name in name.withCString { unlinkat(fd, $0, 0) } == 0 || errno == ENOENT } ?? false
    }
}
