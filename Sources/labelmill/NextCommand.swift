import ArgumentParser
import LabelmillCore
import LabelmillDaemon
import LabelmillFS

struct NextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "next",
        abstract: "Sign in and take pages from the queue; prints the paths of the pages you hold.")

    @OptionGroup var workspace: WorkspaceOptions
    @OptionGroup var labeler: LabelerOptions

    func run() throws {
        let (project, name) = (labeler.project, labeler.name)
        let ws = Workspace(root: workspace.rootPath)
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
