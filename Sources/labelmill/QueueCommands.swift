import ArgumentParser
import LabelmillCore
import LabelmillDaemon
import LabelmillFS

/// The project and its settings, or a clear failure: the same rules as the daemon's.
func loadProject(_ name: String, in ws: Workspace) -> ProjectSettings {
    do { return try ProjectRules.load(name, in: ws) } catch { fail(error.description) }
}

/// `PROJECT --as NAME`, shared by `next` and `leave`.
struct LabelerOptions: ParsableArguments {
    @Argument(help: "The project.")
    var project: String

    // Unconditional, so a name that starts with '-' (`--as -rf`) is read as the name.
    @Option(name: .customLong("as"), parsing: .unconditional, help: "Your labeler name: 1-64 letters, digits, '-', '_' or '.'.")
    var name: String

    func validate() throws {
        if let problem = Names.nameProblem(name, what: "labeler") { throw ValidationError(problem) }
        if PageID.number(name) != nil { throw ValidationError("labeler name \"\(name)\" looks like a page id; pick another name") }
    }
}

struct NextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "next",
        abstract: "Sign in and take pages from the queue; prints the paths of the pages you hold.")

    @OptionGroup var workspace: WorkspaceOptions
    @OptionGroup var labeler: LabelerOptions

    func run() throws {
        let (project, name) = (labeler.project, labeler.name)
        let ws = Workspace(root: workspace.rootPath)
        let settings = loadProject(project, in: ws)
        let queue = WorkQueue(workspace: ws, project: project)
        do {
            try queue.signIn(name)
            for id in try queue.fill(name, upTo: settings.pagesPerLabeler) {
                try EventLog.record(Event(time: wallClock(), kind: .assigned, project: project, page: id, labeler: name), in: ws)
            }
        } catch { fail(error.description) }
        let held = queue.held(by: name)
        guard !held.isEmpty else { fail("no more pages in \(project); you stay signed in and new pages will arrive in \(ws.labeler(project, name))") }
        for id in held { print(ws.folder(of: id, in: project, at: .labeler(name))) }
    }
}

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
            guard LocalPaths.exists(ws.settingsFile(project)) else { fail(error.description) }
            printError("labelmill: warning: \(error.description); signing out anyway")
        }
        let root: RootedDirectory
        do {
            root = try RootedDirectory.open(ws.root)
            _ = try root.folder(ws.labeler(project, name))
        } catch {
            if error.isNotFound { fail("\(name) is not signed in to \(project) (no folder \(ws.labeler(project, name)))") }
            fail(error.description)
        }
        let queue = WorkQueue(workspace: ws, project: project, root: root)
        do {
            let returned = try queue.release(name, reason: "Signed out with `labelmill leave`; your pages went back to the queue with their labels.")
            for id in returned {
                try EventLog.record(Event(time: wallClock(), kind: .returned, project: project, page: id, labeler: name), in: ws)
            }
            printError("signed out of \(project); \(returned.count) page\(returned.count == 1 ? "" : "s") returned to the queue")
        } catch { fail(error.description) }
        // A submitted page is the daemon's to review: it stays, and leave says so.
        let handedIn = queue.submitted(by: name)
        if !handedIn.isEmpty {
            printError("kept \(handedIn.joined(separator: ", ")) in \(ws.labeler(project, name)): submitted, so the daemon reviews it there; "
                       + "if it is rejected, run `labelmill next \(project) --as \(name)` to fix it (or it goes back to the queue when the lease runs out)")
        }
        // A page.json that is not valid JSON cannot carry its labels back: say so, never drop it.
        let kept = queue.held(by: name).filter { !handedIn.contains($0) }
        if !kept.isEmpty {
            fail("\(kept.joined(separator: ", ")) stayed in \(ws.labeler(project, name)): the page.json is not valid JSON (run `labelmill check` on it); fix it and run leave again")
        }
    }
}
