import CShims
#if canImport(Glibc)
import Glibc
#endif

/// A POSIX access control list, read and written as the kernel's
/// `system.posix_acl_access` / `system.posix_acl_default` extended attributes
/// through a file descriptor: no libacl to build against, and a path opened
/// with O_NOFOLLOW is never a link a labeler planted. The owner of a file may
/// change its ACL without root, which is what lets the daemon grant per page.
public struct PosixACL: Equatable, Sendable {
    public enum Tag: UInt16, Sendable { case owner = 0x01, user = 0x02, owningGroup = 0x04, group = 0x08, mask = 0x10, other = 0x20 }

    public struct Entry: Equatable, Sendable {
        public var tag: Tag
        /// r = 4, w = 2, x = 1.
        public var permissions: UInt16
        /// The uid or gid of a named entry; unused for the others.
        public var id: UInt32

        public init(_ tag: Tag, _ permissions: UInt16, id: UInt32 = Entry.noID) {
            self.tag = tag
            self.permissions = permissions
            self.id = id
        }

        public static let noID = UInt32.max
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// The ACL that a plain mode stands for (owner, group, other).
    public init(mode: mode_t) {
        entries = [Entry(.owner, UInt16((mode >> 6) & 7)), Entry(.owningGroup, UInt16((mode >> 3) & 7)), Entry(.other, UInt16(mode & 7))]
    }

    static let accessName = "system.posix_acl_access"
    static let defaultName = "system.posix_acl_default"

    /// The ACL of an open file; its mode's when it has none. `isDefault`: the
    /// ACL new entries of a folder start with (nil when it has none).
    public static func read(fd: Int32, isDefault: Bool = false) -> PosixACL? {
        let name = isDefault ? defaultName : accessName
        var buffer = [UInt8](repeating: 0, count: 4 + 8 * 64)
        let size = buffer.withUnsafeMutableBytes { fgetxattr(fd, name, $0.baseAddress, $0.count) }
        if size < 4 {
            if isDefault { return nil }
            var st = stat()
            guard fstat(fd, &st) == 0 else { return nil }
            return PosixACL(mode: st.st_mode)
        }
        var entries: [Entry] = []
        var at = 4
        while at + 8 <= size {
            let tag = UInt16(buffer[at]) | UInt16(buffer[at + 1]) << 8
            let perm = UInt16(buffer[at + 2]) | UInt16(buffer[at + 3]) << 8
            let id = UInt32(buffer[at + 4]) | UInt32(buffer[at + 5]) << 8 | UInt32(buffer[at + 6]) << 16 | UInt32(buffer[at + 7]) << 24
            if let t = Tag(rawValue: tag) { entries.append(Entry(t, perm, id: id)) }
            at += 8
        }
        return PosixACL(entries: entries)
    }

    /// Sets (or replaces) the entry for `tag` and `id`.
    public mutating func set(_ tag: Tag, _ permissions: UInt16, id: UInt32 = Entry.noID) {
        let named = tag == .user || tag == .group
        entries.removeAll { $0.tag == tag && (!named || $0.id == id) }
        entries.append(Entry(tag, permissions, id: named ? id : Entry.noID))
    }

    /// Drops the named entry for `id` (a user or a group).
    public mutating func remove(_ tag: Tag, id: UInt32) {
        entries.removeAll { $0.tag == tag && $0.id == id }
    }

    public func permissions(_ tag: Tag, id: UInt32 = Entry.noID) -> UInt16? {
        entries.first { $0.tag == tag && ((tag != .user && tag != .group) || $0.id == id) }?.permissions
    }

    /// The bytes the kernel takes: sorted by tag and id, with a mask that lets
    /// every named entry through (as setfacl computes it), or none when nothing is named.
    var bytes: [UInt8] {
        var list = entries.filter { $0.tag != .mask }
        let groupClass = list.filter { $0.tag == .user || $0.tag == .group || $0.tag == .owningGroup }
        if list.contains(where: { $0.tag == .user || $0.tag == .group }) {
            list.append(Entry(.mask, groupClass.reduce(UInt16(0)) { $0 | $1.permissions }))
        }
        list.sort { ($0.tag.rawValue, $0.id) < ($1.tag.rawValue, $1.id) }
        var out: [UInt8] = [2, 0, 0, 0]
        for e in list {
            out += [UInt8(e.tag.rawValue & 0xff), UInt8(e.tag.rawValue >> 8), UInt8(e.permissions & 0xff), UInt8(e.permissions >> 8)]
            out += [UInt8(e.id & 0xff), UInt8((e.id >> 8) & 0xff), UInt8((e.id >> 16) & 0xff), UInt8(e.id >> 24)]
        }
        return out
    }

    /// Writes this ACL on an open file (the access ACL also sets the mode's bits).
    public func write(fd: Int32, isDefault: Bool = false, shown path: String) throws(FileSystemError) {
        let bytes = self.bytes
        let done = bytes.withUnsafeBytes { fsetxattr(fd, isDefault ? Self.defaultName : Self.accessName, $0.baseAddress, $0.count, 0) }
        guard done == 0 else { throw FileSystemError(isDefault ? "set the default ACL of" : "set the ACL of", path) }
    }

    /// Whether the file system of an open file has POSIX ACLs at all.
    public static func isSupported(fd: Int32) -> Bool {
        fgetxattr(fd, accessName, nil, 0) >= 0 || errno != EOPNOTSUPP
    }

    /// Removes a folder's default ACL (nothing when it had none).
    public static func removeDefault(fd: Int32, shown path: String) throws(FileSystemError) {
        guard fremovexattr(fd, defaultName) == 0 || errno == ENODATA else { throw FileSystemError("remove the default ACL of", path) }
    }

    /// Opens a path for changing its ACL, never through a symlink at its end.
    public static func open(_ path: String) throws(FileSystemError) -> Int32 {
        let fd = Glibc.open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("open", path) }
        return fd
    }

    /// Changes the ACL of `path` (the access one, or the default one of a folder).
    public static func update(_ path: String, isDefault: Bool = false, _ change: (inout PosixACL) -> Void) throws(FileSystemError) {
        let fd = try open(path)
        defer { close(fd) }
        var acl = read(fd: fd, isDefault: isDefault) ?? read(fd: fd) ?? PosixACL(mode: 0o700)
        change(&acl)
        try acl.write(fd: fd, isDefault: isDefault, shown: path)
    }
}

/// Unix users and groups by name, for the ACLs and the sign-in check.
public enum UnixAccounts {
    public static func user(named name: String) -> (uid: uid_t, gid: gid_t, name: String)? {
        guard let pw = getpwnam(name) else { return nil }
        return (pw.pointee.pw_uid, pw.pointee.pw_gid, String(cString: pw.pointee.pw_name))
    }

    public static func userName(_ uid: uid_t) -> String? {
        guard let pw = getpwuid(uid) else { return nil }
        return String(cString: pw.pointee.pw_name)
    }

    public static func group(named name: String) -> gid_t? {
        getgrnam(name).map { $0.pointee.gr_gid }
    }
}
