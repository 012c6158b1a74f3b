import ArgumentParser
import LabelmillCore
import LabelmillDaemon
import LabelmillFS
#if canImport(Glibc)
import Glibc
#endif

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check a root: permissions, file system, inotify limits and free space; says what is wrong and how to fix it.",
        discussion: "Exit status 1 when it found a problem. Run it as root or as the daemon user to see every folder.")

    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        let ws = Workspace(root: workspace.rootPath)
        guard LocalPaths.status(ws.root)?.kind == .directory else { throw CommandFailure("\(ws.root) is not a folder") }
        let problems = RootCheckup(workspace: ws).problems()
        guard !problems.isEmpty else {
            print("no problems found in \(ws.root)")
            return
        }
        for problem in problems { print("problem: \(problem)") }
        throw CommandFailure("\(problems.count) problem\(problems.count == 1 ? "" : "s") found in \(ws.root)")
    }
}

/// What `labelmill doctor` looks at, each problem a sentence that says how to fix it.
struct RootCheckup {
    let workspace: Workspace

    func problems() -> [String] {
        var found: [String] = []
        if let kind = MountKind.networkName(of: workspace.root) {
            let sshfs = kind.contains("FUSE") ? " (for sshfs, mount with -o dir_cache=no, or new files show up to 20 s late)" : ""
            found.append("\(workspace.root) is on \(kind), where inotify does not see what other machines write: run the daemon with `labelmill watch --poll 2`\(sshfs)")
        }
        found += acls()
        let access = RootAccess.load(workspace)
        found += inbox(access)
        found += labelerFolders(access)
        found += inotify()
        var vfs = statvfs()
        if statvfs(workspace.root, &vfs) == 0, vfs.f_blocks > 0 {
            let used = Double(vfs.f_blocks - vfs.f_bavail) / Double(vfs.f_blocks)
            if used > 0.95 {
                found.append("the disk of \(workspace.root) is \(Int(used * 100))% full: free space or move the root; the daemon waits while it is full")
            }
        }
        return found
    }

    func acls() -> [String] {
        var found: [String] = []
        let fd = open(workspace.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            if !PosixACL.isSupported(fd: fd) {
                found.append("the file system of \(workspace.root) has no POSIX ACLs, which `labelmill setup` and the daemon's per-page grants need: mount it with ACLs (ext4, xfs, btrfs, tmpfs have them)")
            }
            close(fd)
        }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        if !path.split(separator: ":").contains(where: { access("\($0)/setfacl", X_OK) == 0 }) {
            found.append("setfacl and getfacl are not installed, so the ACLs labelmill sets cannot be seen or fixed by hand: apt-get install acl")
        }
        return found
    }

    func inbox(_ access: RootAccess?) -> [String] {
        let admins = access.flatMap { UnixAccounts.group(named: $0.admins) }
        let daemon = access.flatMap { UnixAccounts.user(named: $0.daemonUser)?.uid }
        var found: [String] = []
        let folders = [workspace.inboxRoot] + folderNames(workspace.inboxRoot).map { Path.join(workspace.inboxRoot, $0) }
        for folder in folders {
            var st = stat()
            guard lstat(folder, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { continue }
            var who: [String] = []
            if st.st_mode & 0o002 != 0 { who.append("everyone (mode \(String(st.st_mode & 0o7777, radix: 8)))") }
            let acl = aclOf(folder)
            let groupWrites = (acl?.permissions(.mask) ?? acl?.permissions(.owningGroup) ?? UInt16((st.st_mode >> 3) & 7)) & 2 != 0
                && (acl?.permissions(.owningGroup) ?? UInt16((st.st_mode >> 3) & 7)) & 2 != 0
            if let admins, st.st_gid != admins, groupWrites { who.append("group \(groupName(st.st_gid))") }
            for entry in acl?.entries ?? [] where entry.permissions & 2 != 0 {
                if entry.tag == .user, entry.id != daemon, entry.id != st.st_uid { who.append("user \(UnixAccounts.userName(entry.id) ?? "\(entry.id)") (ACL)") }
                if entry.tag == .group, entry.id != admins { who.append("group \(groupName(entry.id)) (ACL)") }
            }
            if !who.isEmpty {
                found.append("\(folder) can be written by \(who.joined(separator: ", ")), not only the admins: run `labelmill setup` again, or chmod o-w and setfacl -x the extra entries")
            }
        }
        return found
    }

    func labelerFolders(_ access: RootAccess?) -> [String] {
        let daemon = access.flatMap { UnixAccounts.user(named: $0.daemonUser)?.uid }
        var found: [String] = []
        for project in folderNames(workspace.watchRoot) {
            let labelers = workspace.labelers(project)
            for name in folderNames(labelers) where Names.isValidName(name) && PageID.number(name) == nil {
                let folder = Path.join(labelers, name)
                var st = stat()
                guard lstat(folder, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { continue }
                var who: [String] = []
                if st.st_mode & 0o001 != 0 { who.append("every user (mode \(String(st.st_mode & 0o7777, radix: 8)))") }
                let acl = aclOf(folder)
                let mask = acl?.permissions(.mask) ?? 7
                if (acl?.permissions(.owningGroup) ?? UInt16((st.st_mode >> 3) & 7)) & mask & 1 != 0 {
                    who.append("group \(groupName(st.st_gid)) (mode \(String(st.st_mode & 0o7777, radix: 8)))")
                }
                for entry in acl?.entries ?? [] where entry.permissions & mask & 1 != 0 {
                    if entry.tag == .user, entry.id != daemon, entry.id != st.st_uid { who.append("user \(UnixAccounts.userName(entry.id) ?? "\(entry.id)") (ACL)") }
                    if entry.tag == .group { who.append("group \(groupName(entry.id)) (ACL)") }
                }
                if !who.isEmpty {
                    found.append("\(folder) can be entered by \(who.joined(separator: ", ")), not only \(name): chmod 0700 it and remove the extra ACL entries (or run `labelmill setup` again)")
                }
            }
        }
        return found
    }

    func inotify() -> [String] {
        guard let limit = Self.procNumber("/proc/sys/fs/inotify/max_user_watches") else { return [] }
        // The folders the daemon watches: Inbox's and Watch's, not the page folders in a queue.
        let inbox = countFolders(workspace.inboxRoot, upTo: limit + 1)
        let folders = inbox + countFolders(workspace.watchRoot, upTo: limit + 1 - inbox)
        guard folders > limit else { return [] }
        return ["the daemon watches more than \(limit) folders of the root (Inbox and Watch, queued pages aside) but fs.inotify.max_user_watches is \(limit), so it cannot watch them all: raise it (sysctl -w fs.inotify.max_user_watches=\(max(limit * 2, 524288)), and in /etc/sysctl.d/) or run `labelmill watch --poll 2`"]
    }

    /// A number from /proc/sys. Its files show a size of 0, so they are read
    /// to the end rather than to their size.
    static func procNumber(_ path: String) -> Int? {
        guard let file = fopen(path, "re") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 64)
        guard fgets(&line, Int32(line.count), file) != nil else { return nil }
        let digits = String(cString: line).unicodeScalars.filter { ("0"..."9").contains($0) }
        return Int(String(String.UnicodeScalarView(digits)))
    }

    func countFolders(_ folder: String, upTo limit: Int) -> Int {
        guard limit > 0, LocalPaths.status(folder)?.kind == .directory else { return 0 }
        var count = 1
        // Queued page folders get no watch of their own (WatchService).
        if Path.name(folder) == "queue" && Path.parent(Path.parent(folder)) == workspace.watchRoot { return count }
        for name in folderNames(folder) where count < limit {
            count += countFolders(Path.join(folder, name), upTo: limit - count)
        }
        return count
    }

    /// The sub-folders of a folder (never a symlink), by name.
    func folderNames(_ folder: String) -> [String] {
        LocalPaths.names(folder).filter { LocalPaths.status(Path.join(folder, $0))?.kind == .directory }
    }

    func aclOf(_ path: String) -> PosixACL? {
        guard let fd = try? PosixACL.open(path) else { return nil }
        defer { close(fd) }
        return PosixACL.read(fd: fd)
    }

    func groupName(_ gid: gid_t) -> String { getgrgid(gid).map { String(cString: $0.pointee.gr_name) } ?? "\(gid)" }
}
