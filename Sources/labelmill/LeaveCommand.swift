import ArgumentParser
import LabelmillCore
import LabelmillDaemon
import LabelmillFS

struct LeaveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leave",
        abstract: "Sign out: the pages you hold go back to the queue, labels kept.")

    @OptionGroup var workspace: WorkspaceOptions
    @OptionGroup var labeler: LabelerOptions

    func run() throws {
        let (project, name) = (labeler.project, labeler.name)
        let ws = Workspace(root: workspace.rootPath)
        // A root set up for several users: the labeler cannot write the queue, so the daemon returns the pages.
        if RootAccess.isSharedRoot(ws) { return try leaveSharedRoot(WorkQueue(workspace: ws, project: project), name: name) }
        // Signing out never waits for project.json to be fixed: the pages only go back to the queue.
        do { _ = try ProjectRules.load(project, in: ws) } catch {
            guard LocalPaths.exists(ws.settingsFile(project)) else { throw CommandFailure(error.description) }
            printError("labelmill: warning: \(error.description); signing out anyway")
        }
        let root: RootedDirectory
        do {
            root = try RootedDirectory.open(ws.root)
            _ = try root.folder(ws.labeler(project, name))
        } catch {
            if error.isNotFound { throw CommandFailure("\(name) is not signed in to \(project) (no folder \(ws.labeler(project, name)))") }
            throw CommandFailure(error.description)
        }
        let queue = WorkQueue(workspace: ws, project: project, root: root)
        do {
            let returned = try queue.release(name, reason: "Signed out with `labelmill leave`; your pages went back to the queue with their labels.")
            for id in returned {
                try EventLog.record(Event(time: wallClock(), kind: .returned, project: project, page: id, labeler: name), in: ws)
            }
            printError("signed out of \(project); \(counted(returned.count, "page")) returned to the queue")
        } catch { throw CommandFailure(error.description) }
        // A submitted page is the daemon's to review: it stays, and leave says so.
        let handedIn = queue.submitted(by: name)
        if !handedIn.isEmpty {
            printError("kept \(handedIn.joined(separator: ", ")) in \(ws.labeler(project, name)): submitted, so the daemon reviews it there; "
                       + "if it is rejected, run `labelmill next \(project) --as \(name)` to fix it (or it goes back to the queue when the lease runs out)")
        }
        // A page.json that is not valid JSON cannot carry its labels back: say so, never drop it.
        let kept = queue.held(by: name).filter { !handedIn.contains($0) }
        if !kept.isEmpty {
            throw CommandFailure("\(kept.joined(separator: ", ")) stayed in \(ws.labeler(project, name)): the page.json is not valid JSON (run `labelmill check` on it); fix it and run leave again")
        }
    }
}

extension LeaveCommand {
    /// Signs `name` out of a root laid out by `labelmill setup`: only Unix user
    /// `name` (or root) may. SIGNED-OUT.txt asks the daemon to return the pages,
    /// which it does on its next look; no new pages come meanwhile.
    func leaveSharedRoot(_ queue: WorkQueue, name: String) throws {
        let ws = queue.workspace, project = queue.project
        try SharedRootUser.require(name, for: .leave, in: project)
        let folder = ws.labeler(project, name)
        guard LocalPaths.status(folder)?.kind == .directory else {
            throw CommandFailure("\(name) is not signed in to \(project) (no folder \(folder))")
        }
        let handedIn = queue.submitted(by: name)
        let returning = queue.held(by: name).filter { !handedIn.contains($0) }
        do { try queue.requestLeave(name) } catch { throw CommandFailure(error.description) }
        printError("signed out of \(project); the daemon returns \(counted(returning.count, "page")) to the queue with their labels")
        if !handedIn.isEmpty {
            printError("kept \(handedIn.joined(separator: ", ")) in \(folder): submitted, so the daemon reviews it there")
        }
    }
}
