import LabelmillCore
import LabelmillFS
#if canImport(Glibc)
import Glibc
#endif

/// Who may touch what in a root that `labelmill setup` laid out (SPEC
/// section 10), recorded in `.labelmill/access.json`. Without that file the
/// root is one user's and nothing here changes a permission.
public struct RootAccess: Equatable, Sendable {
    public var daemonUser: String
    public var admins: String
    public var labelers: String

    public init(daemonUser: String, admins: String, labelers: String) {
        self.daemonUser = daemonUser
        self.admins = admins
        self.labelers = labelers
    }

    public static func file(_ workspace: Workspace) -> String { Path.join(workspace.stateRoot, "access.json") }

    public var json: JSONValue {
        .object([("daemon_user", .string(daemonUser)), ("admins", .string(admins)), ("labelers", .string(labelers))])
    }

    /// The recorded set-up, or nil when the root was never set up (or the caller cannot read .labelmill).
    public static func load(_ workspace: Workspace) -> RootAccess? {
        let fd = open(file(workspace), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard n > 0, let node = try? StrictJSON.parse(Array(bytes.prefix(n))),
              let user = node["daemon_user"]?.value.stringValue, let admins = node["admins"]?.value.stringValue,
              let labelers = node["labelers"]?.value.stringValue else { return nil }
        return RootAccess(daemonUser: user, admins: admins, labelers: labelers)
    }

    /// Whether the root is shared: `.labelmill` belongs to another user than the
    /// caller, who is then a labeler or an admin, not the daemon (root is neither).
    public static func isSharedRoot(_ workspace: Workspace, for uid: uid_t = getuid()) -> Bool {
        var st = stat()
        guard lstat(workspace.stateRoot, &st) == 0 else { return false }
        return st.st_uid != uid
    }
}

/// The daemon's side of the permissions: a page put into `labelers/NAME/`
/// opens to Unix user NAME, and closes again when it leaves.
public enum LabelerAccess {
    /// Grants labeler `name` read-write on a page folder the daemon has just
    /// built (before it is renamed into the labeler's folder, so it arrives
    /// granted) and on its page.json; what is saved in the folder later stays
    /// readable by the daemon. Nothing when the root was not set up or `name`
    /// is no Unix user.
    public static func grant(page folder: String, to name: String, in workspace: Workspace) throws(FileSystemError) {
        guard let access = RootAccess.load(workspace), let labeler = UnixAccounts.user(named: name),
              let daemon = UnixAccounts.user(named: access.daemonUser) else { return }
        try grant(page: folder, in: workspace, daemon: daemon.uid, labeler: labeler.uid)
    }

    public static func grant(page folder: String, in workspace: Workspace, daemon: uid_t, labeler: uid_t) throws(FileSystemError) {
        try PosixACL.update(folder) { $0.set(.user, 7, id: labeler); $0.set(.other, 0) }
        try PosixACL.update(folder, isDefault: true) { acl in
            acl = PosixACL(mode: 0o700)
            acl.set(.user, 7, id: daemon)
            acl.set(.user, 7, id: labeler)
        }
        try PosixACL.update(Path.join(folder, "page.json")) { $0.set(.user, 6, id: labeler); $0.set(.other, 0) }
    }

    /// Takes every named user's grant off a page folder that left a labeler's
    /// folder (set aside in conflicts/): whoever held it cannot enter it any more.
    public static func revoke(page folder: String, in workspace: Workspace) {
        guard RootAccess.load(workspace) != nil else { return }
        try? PosixACL.update(folder) { acl in
            acl.entries.removeAll { $0.tag == .user }
        }
    }

    /// Whether the daemon may fill `labelers/NAME/`: in a set-up root, only a
    /// folder that Unix user NAME (or the daemon) owns, so nobody can make a
    /// folder under another's name and receive their pages.
    public static func mayFill(_ folder: String, for name: String, in workspace: Workspace) -> Bool {
        guard RootAccess.load(workspace) != nil else { return true }
        var st = stat()
        guard lstat(folder, &st) == 0 else { return false }
        if st.st_uid == getuid() { return true }
        return UnixAccounts.user(named: name)?.uid == st.st_uid
    }

    /// Keeps a project's folders in a set-up root as SPEC section 10 says:
    /// labelers/ lets the labelers' group create their own folder (sticky:
    /// nobody renames or deletes another's; no read: nobody lists them); queue/
    /// conflicts/ and pool/ (ML assist) are the daemon's alone.
    public static func secure(project: String, in workspace: Workspace, root: any FileSystem) throws(FileSystemError) {
        guard RootAccess.load(workspace) != nil else { return }
        try root.makeFolders(workspace.labelers(project))
        let modes: [(String, mode_t)] = [(workspace.labelers(project), 0o1730), (workspace.queue(project), 0o700), (workspace.conflicts(project), 0o700),
                                         (workspace.pool(project), 0o700)]
        for (folder, mode) in modes {
            var st = stat()
            guard lstat(folder, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR, st.st_uid == getuid(), st.st_mode & 0o7777 != mode else { continue }
            guard chmod(folder, mode) == 0 else { throw FileSystemError("chmod", folder) }
        }
    }
}
