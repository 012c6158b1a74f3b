import ArgumentParser
import LabelmillCore
import LabelmillDaemon
import LabelmillFS
#if canImport(Glibc)
import Glibc
#endif

struct NextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "next",
        abstract: "Sign in and take pages from the queue; prints the paths of the pages you hold.")

    @OptionGroup var workspace: WorkspaceOptions
    @OptionGroup var labeler: LabelerOptions

    func run() throws {
        let (project, name) = (labeler.project, labeler.name)
        let ws = Workspace(root: workspace.rootPath)
        // A root set up for several users: the daemon fills the folder; this only signs in.
        if RootAccess.isSharedRoot(ws) { return try signInToSharedRoot(WorkQueue(workspace: ws, project: project), name: name) }
        let settings: ProjectSettings
        do { settings = try ProjectRules.load(project, in: ws) } catch { throw CommandFailure(error.description) }
        let queue = WorkQueue(workspace: ws, project: project)
        do {
            try queue.signIn(name)
            for id in try queue.fill(name, upTo: settings.pagesPerLabeler) {
                try EventLog.record(Event(time: wallClock(), kind: .assigned, project: project, page: id, labeler: name), in: ws)
            }
        } catch { throw CommandFailure(error.description) }
        let held = queue.held(by: name)
        guard !held.isEmpty else { throw CommandFailure("no more pages in \(project); you stay signed in and new pages will arrive in \(ws.labeler(project, name))") }
        for id in held { print(ws.folder(of: id, in: project, at: .labeler(name))) }
    }
}

extension NextCommand {
    /// Signs `name` in to a root laid out by `labelmill setup`: only Unix user
    /// `name` (or root) may; the folder is theirs, mode 0700, with the daemon
    /// (the owner of .labelmill) let in by ACL; the daemon then fills it.
    func signInToSharedRoot(_ queue: WorkQueue, name: String) throws {
        let ws = queue.workspace, project = queue.project
        let uid = getuid()
        let labeler = try SharedRootUser.require(name, for: .next, in: project)
        var st = stat()
        // Labelers cannot read Inbox: the project is known by its folder in Watch.
        guard lstat(ws.watch(project), &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw CommandFailure("there is no project \(project) in \(ws.watchRoot) (the daemon makes it once an admin creates the project)")
        }
        guard lstat(ws.stateRoot, &st) == 0 else { throw CommandFailure("cannot see \(ws.stateRoot): \(String(cString: strerror(errno)))") }
        let daemon = st.st_uid
        let folder = ws.labeler(project, name)
        if lstat(folder, &st) == 0, st.st_uid != labeler.uid, st.st_uid != daemon {
            let owner = UnixAccounts.userName(st.st_uid) ?? "uid \(st.st_uid)"
            throw CommandFailure("\(folder) belongs to Unix user \(owner), not \(name); ask an admin to remove it, then sign in again")
        }
        do throws(FileSystemError) {
            try queue.signIn(name)
            if uid == 0, lchown(folder, labeler.uid, gid_t.max) != 0 { throw FileSystemError("change the owner of", folder) }
            if lstat(folder, &st) == 0, st.st_uid == labeler.uid {
                guard chmod(folder, 0o700) == 0 else { throw FileSystemError("change the mode of", folder) }
                try PosixACL.update(folder) { $0.set(.user, 7, id: daemon) }
                try PosixACL.update(folder, isDefault: true) { acl in
                    acl = PosixACL(mode: 0o700)
                    acl.set(.user, 7, id: daemon)
                }
            }
        } catch {
            throw CommandFailure(error.description)
        }
        let held = queue.held(by: name)
        for id in held { print(ws.folder(of: id, in: project, at: .labeler(name))) }
        if held.isEmpty { printError("labelmill: signed in to \(project); the daemon puts your pages in \(folder)") }
    }
}

