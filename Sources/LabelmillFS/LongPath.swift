import CShims
import LabelmillCore
#if canImport(Glibc)
import Glibc
#endif

/// Paths longer than the kernel takes (PATH_MAX): an inbox can hold one, and
/// a file there must still be refused and moved, not retried forever. The
/// longest leading part that fits is opened at once, the rest walked by
/// RootedDirectory (openat a component at a time, never through a link).
enum LongPath {
    /// The longest path the kernel takes, without the terminating NUL.
    static let limit = Int(PATH_MAX) - 1

    static func isLong(_ path: [UInt8]) -> Bool { path.count > limit }

    /// The folder holding the last component of `path`, and that component;
    /// nil (errno set) when the folder cannot be opened.
    static func parent(_ path: [UInt8]) -> (folder: RootedDirectory, name: [UInt8])? {
        guard let slash = path.lastIndex(of: 47), slash > 0 else { return nil }
        var cut = min(slash, limit)
        if cut < slash { while cut > 0 && path[cut] != 47 { cut -= 1 } }
        guard cut > 0 else { return nil }
        let top = Array(path[..<cut])
        let fd = top.withCString { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { return nil }
        // The rest is split here, not by RootedDirectory.components: it is below `top` by construction.
        let below = cut < slash ? path[(cut + 1)..<slash].split(separator: 47).map(Array.init) : []
        do throws(FileSystemError) {
            return (try RootedDirectory(fd: fd, path: RawName.escaped(top)).walk(below[...], create: false), Array(path[(slash + 1)...]))
        } catch {
            errno = error.errno
            return nil
        }
    }

    static func status(_ path: [UInt8]) -> FileStatus? {
        guard let (folder, name) = parent(path) else { return nil }
        return folder.status(entry: name)
    }

    /// Renames without replacing, from a long path to a short one.
    static func moveNoReplace(_ from: [UInt8], to: String) -> Bool {
        guard let (folder, name) = parent(from) else { return false }
        return name.withCString { lm_rename_noreplace(folder.fd, $0, AT_FDCWD, to) } == 0
    }

    static func remove(_ path: [UInt8]) -> Bool {
        guard let (folder, name) = parent(path) else { return false }
        return name.withCString { unlinkat(folder.fd, $0, 0) } == 0 || errno == ENOENT
    }
}
