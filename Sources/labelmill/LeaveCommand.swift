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
