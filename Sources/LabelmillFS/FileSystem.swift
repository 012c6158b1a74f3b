import CShims
import LabelmillCore
#if canImport(Glibc)
import Glibc
#endif

/// A failed system call, with the path and what we were doing, in plain words.
public struct FileSystemError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Int32
    /// Plain words instead of strerror, when the system's words would mislead.
    public var detail: String?

    /// A sentence of its own instead of "cannot OPERATION PATH" (the export's messages).
    var sentence: String?

    public init(_ operation: String, _ path: String, errno: Int32 = Glibc.errno, detail: String? = nil) {
        self.operation = operation
        self.path = path
        self.errno = errno
        self.detail = detail
    }

    /// A failed call said as a sentence that names the file, e.g. "cannot open X";
    /// the system's words follow.
    public init(failed sentence: String, errno: Int32 = Glibc.errno) {
        self.init("", "", errno: errno)
        self.sentence = sentence
    }

    /// A problem that is no failed call (a file of the wrong kind, too large), in a sentence.
    public init(message: String) {
        self.init("", "", errno: 0)
        sentence = message
    }

    /// The disk or the quota is full: wait and retry, drop nothing.
    public var isNoSpace: Bool { errno == ENOSPC || errno == EDQUOT }
    public var isNotFound: Bool { errno == ENOENT }
    public var isExists: Bool { errno == EEXIST || errno == ENOTEMPTY }
    /// A symlink stood where a folder or file of the root was expected.
    public var isSymlink: Bool { errno == ELOOP }

    public var description: String {
        if let sentence { return errno == 0 ? sentence : "\(sentence): \(detail ?? String(cString: strerror(errno)))" }
        return "cannot \(operation) \(path): \(detail ?? String(cString: strerror(errno)))"
    }

    static let symlinkDetail = "it is a symbolic link, and labelmill never follows links inside its root"

    /// A failed open with O_NOFOLLOW: ELOOP means the name is a symlink.
    static func opening(_ path: String, errno e: Int32 = Glibc.errno) -> FileSystemError {
        FileSystemError("open", path, errno: e, detail: e == ELOOP ? symlinkDetail : nil)
    }
}

/// What `lstat` says about one path (never following a symlink).
public struct FileStatus: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case regular, directory, symlink, fifo, device, socket, other }
    public var kind: Kind
    public var size: Int64
    /// Modification time in nanoseconds since the epoch.
    public var mtime: Int64
    /// Status-change time in nanoseconds: set by every write or rename, and
    /// unlike mtime never carried over by `rsync -a` or `touch`.
    public var ctime: Int64
    public var inode: UInt64
    public var device: UInt64
    public var links: Int

    public init(kind: Kind, size: Int64, mtime: Int64, ctime: Int64, inode: UInt64, device: UInt64, links: Int) {
        (self.kind, self.size, self.mtime, self.ctime, self.inode, self.device, self.links) = (kind, size, mtime, ctime, inode, device, links)
    }

    init(_ s: stat) {
        switch s.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        case S_IFIFO: kind = .fifo
        case S_IFCHR, S_IFBLK: kind = .device
        case S_IFSOCK: kind = .socket
        default: kind = .other
        }
        size = Int64(s.st_size)
        mtime = Int64(s.st_mtim.tv_sec) * 1_000_000_000 + Int64(s.st_mtim.tv_nsec)
        ctime = Int64(s.st_ctim.tv_sec) * 1_000_000_000 + Int64(s.st_ctim.tv_nsec)
        inode = UInt64(s.st_ino)
        device = UInt64(s.st_dev)
        links = Int(s.st_nlink)
    }

    /// Same file, same content as far as the inode tells.
    public func sameVersion(as other: FileStatus) -> Bool {
        inode == other.inode && device == other.device && size == other.size && mtime == other.mtime && ctime == other.ctime
    }
}

/// One entry of a directory. `name` is nil when the raw name is not valid UTF-8.
public struct DirectoryEntry: Sendable {
    public var rawName: [UInt8]
    public var name: String?
    public var isDirectory: Bool?

    public init(rawName: [UInt8], isDirectory: Bool?) {
        self.rawName = rawName
        self.name = String(validating: rawName, as: UTF8.self)
        self.isDirectory = isDirectory
    }

    /// A printable name: invalid bytes shown as %XX.
    public var displayName: String { name ?? RawName.escaped(rawName) }
}

public enum RawName {
    /// Percent-escapes the bytes of a name that is not valid UTF-8 (and `%` itself).
    public static func escaped(_ bytes: [UInt8]) -> String {
        if let s = String(validating: bytes, as: UTF8.self), !s.contains("%") { return s }
        var out = ""
        var i = 0
        while i < bytes.count {
            // Keep valid multi-byte sequences; escape stray bytes.
            var decoded = false
            for len in 1...4 where i + len <= bytes.count {
                if let s = String(validating: bytes[i..<i + len], as: UTF8.self), s != "%" {
                    out += s; i += len; decoded = true; break
                }
            }
            if !decoded { out += String(format2: bytes[i]); i += 1 }
        }
        return out
    }
}

extension String {
    init(format2 byte: UInt8) {
        let hex = String(byte, radix: 16, uppercase: true)
        self = "%" + (hex.count == 1 ? "0" + hex : hex)
    }
}


/// One entry met by `FileSystem.visitTree`, as lstat saw it.
public struct TreeEntry: Sendable {
    /// The path as handed to `visitTree`, then `/` (none after "") and the entry's path below it.
    public var path: [UInt8]
    /// The entry's path below the folder walked.
    public var relative: [UInt8]
    public var name: [UInt8]
    public var status: FileStatus
    /// 0 for an entry of the folder walked itself.
    public var depth: Int
}

/// Every file access of the daemon: the workspace root and the paths below
/// it. `RootedDirectory` is the local one (openat and O_NOFOLLOW throughout);
/// `MemoryFileSystem` is the fake with the same semantics and a crash mode.
///
/// Paths are relative to the root or start with its `path` (so `Workspace`
/// paths work as they are); `..` is refused; no call follows a symlink, at
/// any component. Errors are `FileSystemError` with the errno a local call
/// would give (ENOENT, EEXIST, ENOTDIR, ENOTEMPTY, ELOOP for a link in the
/// way), and messages that name the file.
public protocol FileSystem: AnyObject, Sendable {
    /// The root's path as opened, for messages and to recognise paths inside it.
    var path: String { get }

    /// What lstat says; nil when it, or a folder on the way, is missing or a link.
    func status(rawPath: [UInt8]) -> FileStatus?
    /// The entries of a folder, `.` and `..` left out, in no particular order.
    func list(rawPath: [UInt8]) throws(FileSystemError) -> [DirectoryEntry]
    /// Throws unless `path` is a real folder reached without links (ELOOP, ENOTDIR, ENOENT).
    func requireFolder(_ path: String) throws(FileSystemError)
    /// Reads a regular file, at most `maxBytes`: the bytes and the status as read.
    func read(rawPath: [UInt8], maxBytes: Int64) throws(FileSystemError) -> (bytes: [UInt8], status: FileStatus)
    /// Reads `count` bytes of a regular file from `offset` (fewer at its end), without reading the rest.
    func read(_ path: String, at offset: Int64, count: Int) throws(FileSystemError) -> [UInt8]
    /// Visits every entry below a folder, depth first, never through a link;
    /// a folder is entered when `visit` returns true. A folder below that
    /// cannot be opened is skipped; only the top one throws.
    func visitTree(_ path: String, _ visit: (TreeEntry) -> Bool) throws(FileSystemError)

    /// Temp file with a unique name beside the target, (fsync), rename over
    /// it, (fsync of the folder): readers see the old or the new bytes, never a mix.
    func writeAtomically(_ path: String, _ bytes: some Collection<UInt8>, durable: Bool) throws(FileSystemError)
    /// A new file (O_EXCL): EEXIST rather than replace one. Not synced.
    @discardableResult
    func writeNew(_ path: String, _ bytes: some Collection<UInt8>) throws(FileSystemError) -> FileStatus
    /// Replaces a file only while it still holds the version read earlier; false when it changed.
    func replaceIfUnchanged(_ path: String, since read: (bytes: [UInt8], status: FileStatus),
                            with bytes: some Collection<UInt8>) throws(FileSystemError) -> Bool
    /// Appends in one write (O_APPEND keeps it whole); creates the file. Not synced.
    func append(_ path: String, _ text: String) throws(FileSystemError)
    /// Renames without ever replacing (RENAME_NOREPLACE): EEXIST when `to` exists.
    func moveNoReplace(rawFrom: [UInt8], to: [UInt8]) throws(FileSystemError)
    /// A hard link of a file (of a link itself, never its target).
    func link(rawFrom: [UInt8], to: String) throws(FileSystemError)
    /// Mode 0444, never through a link.
    func makeReadOnly(_ path: String) throws(FileSystemError)
    /// Removes a file or a link; fine if it is gone.
    func remove(rawPath: [UInt8]) throws(FileSystemError)
    /// Removes a folder if it is empty; false when something is in it; true when gone.
    func removeEmptyFolder(_ path: String) throws(FileSystemError) -> Bool
    /// Removes a folder and everything in it (or a file), never following a link; fine if gone.
    func removeTree(_ path: String) throws(FileSystemError)
    /// Creates a folder and the missing ones above it (0755); fine if it exists.
    func makeFolders(_ path: String) throws(FileSystemError)
    /// Makes every write so far durable (syncfs).
    func syncFileSystem()
    /// Makes the bytes of these files and the entries of these folders
    /// durable, one fsync each, never through a link: what a step needs
    /// before it goes on, without flushing the rest of the device as
    /// `syncFileSystem` does. Where every write is synced as it is made (no
    /// working syncfs), there is nothing left to do.
    func sync(_ paths: [String]) throws(FileSystemError)
    /// Whether a hard link's two names show one inode (false on sshfs, or
    /// where links are copies): then the daemon tells its own copies by their bytes.
    var linksShowIdentity: Bool { get }
}

extension FileSystem {
    public var linksShowIdentity: Bool { true }

    public func status(_ path: String) -> FileStatus? { status(rawPath: Array(path.utf8)) }

    public func exists(_ path: String) -> Bool { status(path) != nil }

    public func isDirectory(_ path: String) -> Bool { status(path)?.kind == .directory }

    public func list(_ path: String = "") throws(FileSystemError) -> [DirectoryEntry] { try list(rawPath: Array(path.utf8)) }

    /// Valid names in a folder, sorted; [] when it cannot be opened.
    public func names(_ path: String = "") -> [String] {
        ((try? list(path)) ?? []).compactMap(\.name).sorted()
    }

    /// Names of the real folders (not links) in a folder, sorted.
    public func folderNames(_ path: String = "") -> [String] {
        let base = Array(path.utf8)
        return ((try? list(rawPath: base)) ?? []).compactMap { entry in
            guard let name = entry.name else { return nil }
            if let isDir = entry.isDirectory { return isDir ? name : nil }
            return status(rawPath: (base.isEmpty ? [] : base + [47]) + entry.rawName)?.kind == .directory ? name : nil
        }.sorted()
    }

    public func read(_ path: String, at offset: Int64, count: Int) throws(FileSystemError) -> [UInt8] {
        let bytes = try read(path).bytes
        guard offset >= 0, offset < Int64(bytes.count) else { return [] }
        return Array(bytes[Int(offset)..<min(bytes.count, Int(offset) + max(0, count))])
    }

    public func read(_ path: String, maxBytes: Int64 = 1 << 30) throws(FileSystemError) -> (bytes: [UInt8], status: FileStatus) {
        try read(rawPath: Array(path.utf8), maxBytes: maxBytes)
    }

    public func read(rawPath: [UInt8]) throws(FileSystemError) -> (bytes: [UInt8], status: FileStatus) {
        try read(rawPath: rawPath, maxBytes: 1 << 30)
    }

    public func writeAtomically(_ path: String, _ bytes: some Collection<UInt8>) throws(FileSystemError) {
        try writeAtomically(path, bytes, durable: true)
    }

    /// Whether a file still holds exactly the version read earlier: same inode, same bytes.
    /// Where inode numbers name paths rather than files (sshfs gives a renamed
    /// file a new one, and shows a hard link's two names as two inodes), the
    /// bytes alone tell.
    public func isUnchanged(_ path: String, since read: (bytes: [UInt8], status: FileStatus)) -> Bool {
        guard let now = try? self.read(path, maxBytes: Int64(read.bytes.count) + 1),
              now.bytes == read.bytes, now.status.device == read.status.device else { return false }
        return now.status.inode == read.status.inode || !linksShowIdentity
    }

    public func moveNoReplace(_ from: String, to: String) throws(FileSystemError) {
        try moveNoReplace(rawFrom: Array(from.utf8), to: Array(to.utf8))
    }

    /// Moves `from` to `to`, or to `to` with `-2`, `-3`... before the extension when taken. Returns the path used.
    @discardableResult
    public func moveKeepingBoth(_ from: String, to: String) throws(FileSystemError) -> String {
        try moveKeepingBoth(rawFrom: Array(from.utf8), to: to)
    }

    @discardableResult
    public func moveKeepingBoth(rawFrom from: [UInt8], to: String) throws(FileSystemError) -> String {
        var candidate = to
        for n in 2...10_000 {
            do throws(FileSystemError) { try moveNoReplace(rawFrom: from, to: Array(candidate.utf8)); return candidate } catch {
                guard error.isExists else { throw error }
                candidate = Path.numbered(to, n)
            }
        }
        throw FileSystemError("move", to, errno: EEXIST)
    }

    public func link(_ from: String, to: String) throws(FileSystemError) { try link(rawFrom: Array(from.utf8), to: to) }

    /// Puts back a file that `replaceIfUnchanged` took aside when a stop (kill -9)
    /// came between its two renames: the name is free, and the file waits under
    /// the hidden `.NAME.labelmill-aside-...` beside it. True when it was put back.
    @discardableResult
    public func putBackReplaced(_ path: String) throws(FileSystemError) -> Bool {
        guard status(path) == nil else { return false }
        let folder = Path.parent(path)
        let prefix = "." + Path.name(path) + ".labelmill-aside-"
        let asides = names(folder).filter { $0.hasPrefix(prefix) && status(Path.join(folder, $0))?.kind == .regular }
        guard let newest = asides.max(by: { (status(Path.join(folder, $0))?.ctime ?? 0) < (status(Path.join(folder, $1))?.ctime ?? 0) })
        else { return false }
        do { try moveNoReplace(Path.join(folder, newest), to: path) } catch {
            if error.isExists { return false }  // saved again meanwhile: that save stands
            throw error
        }
        return true
    }

    public func remove(_ path: String) throws(FileSystemError) { try remove(rawPath: Array(path.utf8)) }
}
