import ArgumentParser
import LabelmillCore
import LabelmillFS

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Bring in labels another tool (or a labelmill export) wrote.",
        discussion: """
            Reads PATH in the format given (an export folder, or its labels file), matches \
            each image to one of the project's images by SHA-256 (the image file beside the \
            labels) or by its path in the inbox, and checks the labels as strictly as a \
            page.json. The daemon then puts them on the images' pages: as prelabels a \
            labeler confirms (model import:FORMAT), or with --as done straight into the \
            outbox (label_source import). Images must not be started by a labeler yet: \
            drop them into Inbox/PROJECT first. Any problem and nothing is imported; \
            importing the same labels again changes nothing.
            """)

    @OptionGroup var workspace: WorkspaceOptions

    @Argument(help: "The project to import into (its folder name under Inbox).")
    var project: String

    @Option(help: "The format of PATH.")
    var format: ImportFormat

    @Argument(help: ArgumentHelp("The export folder, or its labels file (annotations.json, labels.jsonl, labels.csv, a Label Studio JSON export).", valueName: "path"))
    var path: String

    @Option(name: .customLong("as"), help: "prelabels: a labeler confirms them; done: accepted as they are.")
    var mode: ImportMode = .prelabels

    @Flag(help: "Import the images that match and list the others, instead of importing nothing.")
    var skipUnmatched = false

    func validate() throws {
        try ProjectName.validate(project)
    }

    func run() throws {
        let report: ProjectImport.Report
        do {
            report = try ProjectImport(root: workspace.rootPath, project: project, format: format, path: path, mode: mode,
                                       skipUnmatched: skipUnmatched).run()
        } catch {
            throw CommandFailure("import: \(error); nothing was imported")
        }
        for problem in report.problems { printError("\(problem)") }
        for miss in report.unmatched { printError("\(miss.place): \(miss.image) not matched: \(miss.reason)") }
        if !report.problems.isEmpty {
            throw CommandFailure("import: \(counted(report.problems.count, "problem")) in \(path); nothing was imported. Fix them (or the project's tags) and import again")
        }
        if !report.unmatched.isEmpty && !skipUnmatched {
            throw CommandFailure("import: \(counted(report.unmatched.count, "image")) of \(path) not matched; nothing was imported. Drop the images into Inbox/\(project)/ first, or pass --skip-unmatched to import the \(report.matched.count) that matched")
        }
        if let earlier = report.alreadyImported {
            print("these labels were imported before (\(earlier)): nothing changed")
            return
        }
        if report.written == nil && report.alreadyDone > 0 {
            print("the \(counted(report.alreadyDone, "image")) of \(path) are done with these labels already: nothing changed")
            return
        }
        guard report.written != nil else {
            throw CommandFailure("import: no labeled images in \(path); nothing was imported")
        }
        var waiting = 0, queued = 0
        for match in report.matched {
            if case .queue = match.whereabouts { queued += 1 } else { waiting += 1 }
        }
        let how = mode == .done ? "as done (label_source import)" : "as prelabels (model \(format.modelName))"
        print("imported labels for \(counted(report.matched.count, "image")) \(how): \(waiting) not paged yet, \(queued) on pages in the queue; the daemon puts them on their pages"
              + (report.unmatched.isEmpty ? "" : "; \(report.unmatched.count) not matched, listed above"))
    }
}
