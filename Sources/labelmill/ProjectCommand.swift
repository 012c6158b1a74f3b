import ArgumentParser
import LabelmillCore
import LabelmillFS

struct ProjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "project",
        abstract: "Manage projects.",
        subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write Inbox/NAME/project.json for a new project.")

        @OptionGroup var workspace: WorkspaceOptions

        @Argument(help: "The project name: 1-64 letters, digits, '-', '_' or '.'.")
        var name: String

        @Option(help: "The labeling task.")
        var task: TaskKind

        @Option(help: "Comma-separated tags in key order, e.g. Cat,Dog,Bird.")
        var tags: String

        @Option(help: "Images per page, 1-64 (4 is the 2x2 layout; 6 and 9 are common too).")
        var pageSize: Int = 4

        @Option(help: "Pages a signed-in labeler holds at once.")
        var pagesPerLabeler: Int = 1

        @Option(help: "Minutes of inactivity before a labeler's pages go back to the queue.")
        var leaseMinutes: Double = 60

        @Option(help: "Seconds of inbox quiet before a partly filled page is written.")
        var flushSeconds: Double = 10

        func validate() throws {
            if let problem = Names.nameProblem(name, what: "project") { throw ValidationError(problem) }
            if !(1...64).contains(pageSize) { throw ValidationError("--page-size must be from 1 to 64") }
            if pagesPerLabeler < 1 { throw ValidationError("--pages-per-labeler must be at least 1") }
            if !(leaseMinutes > 0) { throw ValidationError("--lease-minutes must be greater than 0") }
            if !(flushSeconds >= 0) { throw ValidationError("--flush-seconds must be 0 or more") }
        }

        func run() throws {
            let list = tags.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces }
            let settings = ProjectSettings(task: task, tags: list, pageSize: pageSize, pagesPerLabeler: pagesPerLabeler,
                                           leaseMinutes: leaseMinutes, flushSeconds: flushSeconds)
            let text = JSONWriter.pretty(settings.json)
            // The same rules as the daemon's, so what is written is always accepted.
            do { _ = try ProjectSettings(bytes: Array(text.utf8)) } catch { throw CommandFailure("--tags: \(error.message)") }
            let ws = Workspace(root: workspace.rootPath)
            let file = ws.settingsFile(name)
            if LocalPaths.exists(file) { throw CommandFailure("\(file) already exists; edit it to change the project") }
            do {
                try LocalPaths.makeDirectories(ws.inbox(name))
                try LocalPaths.writeNew(file, Array(text.utf8))
            } catch { throw CommandFailure(error.description) }
            printError("created \(file): drop images into \(ws.inbox(name))/")
        }
    }
}
