import ArgumentParser
import LabelmillCore
import LabelmillDaemon
import LabelmillFS
#if canImport(Glibc)
import Glibc
#endif

struct SetupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Lay out a root for several Unix users (run as root): owners, modes and ACLs of SPEC section 10.",
        discussion: """
        Safe to run again, on a new or an existing root. Afterwards run the daemon as the \
        daemon user: runuser -u USER -- labelmill watch (or the systemd unit).
        """)

    @OptionGroup var workspace: WorkspaceOptions

    @Option(name: .customLong("daemon-user"), help: "The Unix user the daemon runs as; it owns Watch, Outbox and .labelmill.")
    var daemonUser: String

    @Option(help: "The Unix group whose members create projects and write Inbox; nobody else may.")
    var admins: String

    @Option(help: "The Unix group whose members sign in as labelers and read Outbox and the instructions.")
    var labelers: String

    func run() throws {
        guard geteuid() == 0 else { throw CommandFailure("setup changes owners and must run as root (sudo labelmill setup ...)") }
        guard let daemon = UnixAccounts.user(named: daemonUser) else {
            throw CommandFailure("there is no Unix user \(daemonUser); create it first: useradd --system \(daemonUser)")
        }
        guard let adminsID = UnixAccounts.group(named: admins) else { throw CommandFailure("there is no Unix group \(admins); create it first: groupadd \(admins)") }
        guard let labelersID = UnixAccounts.group(named: labelers) else { throw CommandFailure("there is no Unix group \(labelers); create it first: groupadd \(labelers)") }
        let layout = RootLayout(workspace: Workspace(root: workspace.rootPath), daemon: daemon, admins: adminsID, labelers: labelersID)
        do {
            for line in try layout.apply(RootAccess(daemonUser: daemonUser, admins: admins, labelers: labelers)) { print(line) }
        } catch { throw CommandFailure(error.description) }
    }
}

/// The owners, modes and ACLs of a set-up root, applied to what is there.
struct RootLayout {
    let workspace: Workspace
    let daemon: (uid: uid_t, gid: gid_t, name: String)
    let admins: gid_t
    let labelers: gid_t

    /// Lays the root out and returns what it did, one line each.
    func apply(_ access: RootAccess) throws(FileSystemError) -> [String] {
        var said: [String] = []
        let ws = workspace
        for folder in [ws.root, ws.inboxRoot, ws.watchRoot, ws.outboxRoot, ws.stateRoot] where !LocalPaths.exists(folder) {
            guard mkdir(folder, 0o755) == 0 || errno == EEXIST else { throw FileSystemError("create", folder) }
            said.append("created \(folder)")
        }
        try set(ws.root, owner: daemon.uid, group: admins, mode: 0o755)
        said.append("\(ws.root): owned by \(daemon.name), mode 0755 (everyone may enter; the folders below decide)")

        // .labelmill: the daemon's alone.
        let state = try walk(ws.stateRoot) { path, st throws(FileSystemError) in
            try self.set(path, owner: self.daemon.uid, group: self.daemon.gid, mode: nil)
        }
        try set(ws.stateRoot, owner: daemon.uid, group: daemon.gid, mode: 0o700)
        let marker = RootAccess.file(ws)
        try writeFile(marker, JSONWriter.prettyBytes(access.json), owner: daemon.uid, group: daemon.gid, mode: 0o600)
        said.append("\(ws.stateRoot): \(state) entries owned by \(daemon.name), mode 0700 (private to the daemon); set-up recorded in \(marker)")

        // Inbox: the admins' group writes, the daemon reads and takes; new entries keep both.
        let inbox = try walk(ws.inboxRoot) { path, st throws(FileSystemError) in
            if (st.st_mode & S_IFMT) == S_IFDIR { try self.inboxFolder(path, owner: nil) } else { try self.inboxFile(path) }
        }
        try inboxFolder(ws.inboxRoot, owner: 0)
        said.append("\(ws.inboxRoot): \(inbox) entries; group \(name(admins)) writes (setgid folders, mode 2770), user \(daemon.name) reads and takes images (ACL), group \(name(labelers)) may read the images it pages, nobody else enters")

        // Watch and Outbox: the daemon's; the labelers' group reads, the admins' group reads.
        let watch = try walk(ws.watchRoot) { path, st throws(FileSystemError) in try self.watchEntry(path, st) }
        try set(ws.watchRoot, owner: daemon.uid, group: labelers, mode: 0o2750)
        try PosixACL.update(ws.watchRoot) { $0.set(.group, 5, id: self.admins) }
        said.append("\(ws.watchRoot): \(watch) entries owned by \(daemon.name), group \(name(labelers)) reads (mode 2750), group \(name(admins)) reads (ACL)")
        said.append("  Watch/<project>/labelers/: mode 1730, a labeler creates only their own folder and cannot list, rename or delete another's")
        said.append("  Watch/<project>/labelers/<name>/: owned by Unix user <name>, mode 0700 with the daemon let in (ACL); each page there opens to <name> alone (ACL)")
        said.append("  Watch/<project>/queue/ and conflicts/: mode 0700, the daemon's alone")
        let outbox = try walk(ws.outboxRoot) { path, st throws(FileSystemError) in
            try self.set(path, owner: self.daemon.uid, group: self.labelers, mode: nil)
        }
        try set(ws.outboxRoot, owner: daemon.uid, group: labelers, mode: 0o2750)
        try PosixACL.update(ws.outboxRoot) { $0.set(.group, 5, id: self.admins) }
        said.append("\(ws.outboxRoot): \(outbox) entries owned by \(daemon.name), group \(name(labelers)) reads (mode 2750), group \(name(admins)) reads (ACL)")
        said.append("run the daemon as \(daemon.name): runuser -u \(daemon.name) -- labelmill watch --root \(ws.root)")
        return said
    }

    func name(_ gid: gid_t) -> String { getgrgid(gid).map { String(cString: $0.pointee.gr_name) } ?? "\(gid)" }

    func inboxFolder(_ path: String, owner: uid_t?) throws(FileSystemError) {
        try set(path, owner: owner, group: admins, mode: 0o2770)
        let daemon = self.daemon.uid, labelers = self.labelers
        try PosixACL.update(path) { $0.set(.user, 7, id: daemon); $0.set(.owningGroup, 7); $0.set(.other, 0) }
        try PosixACL.update(path, isDefault: true) { acl in
            acl = PosixACL(mode: 0o770)
            acl.set(.user, 7, id: daemon)
            acl.set(.group, 5, id: labelers)
        }
    }

    func inboxFile(_ path: String) throws(FileSystemError) {
        try set(path, owner: nil, group: admins, mode: nil)
        let daemon = self.daemon.uid, labelers = self.labelers
        try PosixACL.update(path) { acl in
            acl.set(.owningGroup, 6)
            acl.set(.user, 6, id: daemon)
            acl.set(.group, 4, id: labelers)
            acl.set(.other, 0)
        }
    }

    func watchEntry(_ path: String, _ st: stat) throws(FileSystemError) {
        let parts = path.dropFirst(workspace.watchRoot.count + 1).split(separator: "/").map(String.init)
        let isFolder = (st.st_mode & S_IFMT) == S_IFDIR
        // parts: project, labelers, name, page, file
        if parts.count >= 3, parts[1] == "labelers", let labeler = UnixAccounts.user(named: parts[2]), Names.isValidName(parts[2]) {
            if parts.count == 3 {
                guard isFolder else { return try set(path, owner: daemon.uid, group: labelers, mode: nil) }
                try set(path, owner: labeler.uid, group: labelers, mode: 0o700)
                let daemon = self.daemon.uid
                try PosixACL.update(path) { $0.set(.user, 7, id: daemon) }
                try PosixACL.update(path, isDefault: true) { acl in
                    acl = PosixACL(mode: 0o700)
                    acl.set(.user, 7, id: daemon)
                }
                return
            }
            try set(path, owner: daemon.uid, group: labelers, mode: nil)
            if parts.count == 4, isFolder, PageID.number(parts[3]) != nil, LocalPaths.exists(Path.join(path, "page.json")) {
                try set(path, owner: nil, group: nil, mode: 0o700)
                try LabelerAccess.grant(page: path, in: workspace, daemon: daemon.uid, labeler: labeler.uid)
            }
            return
        }
        try set(path, owner: daemon.uid, group: labelers, mode: nil)
        // A labeler folder of a name that is no Unix user: nobody but the daemon enters.
        if isFolder, parts.count == 3, parts[1] == "labelers" { return try set(path, owner: nil, group: nil, mode: 0o700) }
        guard isFolder, parts.count == 2 else { return }
        switch parts[1] {
        case "labelers": try set(path, owner: nil, group: nil, mode: 0o1730)
        case "queue", "conflicts", "pool": try set(path, owner: nil, group: nil, mode: 0o700)
        default: break
        }
    }

    /// Visits every entry below `folder` (not `folder` itself), deepest last,
    /// never through a symlink. Returns how many it visited.
    func walk(_ folder: String, _ visit: (String, stat) throws(FileSystemError) -> Void) throws(FileSystemError) -> Int {
        guard let dir = opendir(folder) else {
            if errno == ENOENT { return 0 }
            throw FileSystemError("list", folder)
        }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(dir)
        var count = 0
        for name in names {
            let path = Path.join(folder, name)
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFLNK { continue }  // never followed, never changed
            try visit(path, st)
            count += 1
            if (st.st_mode & S_IFMT) == S_IFDIR { count += try walk(path, visit) }
        }
        return count
    }

    /// Sets the owner, group and mode given (nil: left as it is) of an entry, never through a symlink.
    func set(_ path: String, owner: uid_t?, group: gid_t?, mode: mode_t?) throws(FileSystemError) {
        if owner != nil || group != nil {
            guard lchown(path, owner ?? uid_t.max, group ?? gid_t.max) == 0 else { throw FileSystemError("change the owner of", path) }
        }
        if let mode {
            var st = stat()
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFLNK else { return }
            guard chmod(path, mode) == 0 else { throw FileSystemError("change the mode of", path) }
        }
    }

    func writeFile(_ path: String, _ bytes: [UInt8], owner: uid_t, group: gid_t, mode: mode_t) throws(FileSystemError) {
        let temp = path + ".tmp"
        unlink(temp)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileSystemError("write", temp) }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0 && fchown(fd, owner, group) == 0
        close(fd)
        guard written == bytes.count, synced, rename(temp, path) == 0 else { throw FileSystemError("write", path) }
    }
}
