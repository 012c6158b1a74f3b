import ArgumentParser
import LabelmillCore
import LabelmillFS

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each project's inbox, queue, labelers, done pages, refused inputs, conflicts and pages done per labeler.")

    @OptionGroup var workspace: WorkspaceOptions

    @Argument(help: "Only this project.")
    var project: String?

    @Flag(help: "Print JSON for scripts.")
    var json = false

    func run() throws {
        let ws = Workspace(root: workspace.rootPath)
        var names = Set(LocalPaths.names(ws.inboxRoot).filter { LocalPaths.isDirectory(ws.inbox($0)) })
        names.formUnion(LocalPaths.names(ws.watchRoot).filter { LocalPaths.isDirectory(ws.watch($0)) })
        if let project {
            guard names.contains(project) else { throw CommandFailure("no project \(project) in \(ws.root) (Inbox/\(project)/ does not exist)") }
            names = [project]
        }
        let now = wallClock()
        let summaries = names.sorted().map { ProjectSummary(workspace: ws, name: $0, now: now) }
        if json {
            print(JSONWriter.pretty(.object([("root", .string(ws.root)), ("projects", .array(summaries.map(\.json)))])), terminator: "")
        } else if summaries.isEmpty {
            print("no projects in \(ws.inboxRoot); create one with `labelmill project create NAME --task multi-class --tags A,B`")
        } else {
            for s in summaries { print(s.text) }
        }
    }
}
