import ArgumentParser
import LabelmillCore
import LabelmillFS
#if canImport(Glibc)
import Glibc
#endif

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
        // Counts from folders the caller cannot list would be zeros that are not true: say so instead.
        let closed = names.sorted().flatMap { p in [ws.queue(p), ws.labelers(p), ws.conflicts(p)] }.filter(LocalPaths.isClosedFolder)
        if !closed.isEmpty {
            var st = stat()
            let owner = lstat(ws.stateRoot, &st) == 0 ? UnixAccounts.userName(st.st_uid) : nil
            throw CommandFailure("cannot list \(closed.joined(separator: ", ")) (permission denied): in a root set up for several users "
                                 + "they are the daemon's; run `sudo -u \(owner ?? "DAEMON-USER") labelmill status` instead")
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
