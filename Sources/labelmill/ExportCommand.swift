import ArgumentParser
import LabelmillCore
import LabelmillFS

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a project's completed labels in a training format.",
        discussion: """
            Reads the completed pages in Outbox/PROJECT, oldest first, and writes them \
            to a new folder with the images and a README naming the format's conventions. \
            Class ids follow the tag order in project.json. The folder appears only when \
            the export is complete.
            """)

    @OptionGroup var workspace: WorkspaceOptions

    @Argument(help: "The project to export (its folder name under Inbox and Outbox).")
    var project: String

    @Option(help: "The format to write.")
    var format: ExportFormat

    @Option(help: ArgumentHelp("The folder to create for the export; it must not exist or be empty.", valueName: "dir"))
    var out: String

    @Option(help: "How images go with the export: hard links (copies across file systems), copies, or none.")
    var images: ExportImageMode = .link

    func validate() throws {
        try ProjectName.validate(project)
    }

    func run() throws {
        let export = ProjectExport(root: workspace.rootPath, project: project, format: format, out: out, imageMode: images)
        let result: ProjectExport.Result
        do {
            result = try export.run(warn: printError)
        } catch let error as ExportProblem {
            printError("labelmill export: \(error); nothing was written")
            throw ExitCode(1)
        } catch {
            printError("labelmill export: \(error)")
            throw ExitCode(1)
        }
        let s = result.summary
        if s.images == 0 {
            printError("nothing to export: project \(project) has no completed pages yet; wrote an empty \(format.rawValue) export to \(out)")
        }
        if let problem = result.linkProblem {
            printError("copied \(counted(result.copiedInsteadOfLinked, "image")) instead of linking: \(problem)")
        }
        print("exported \(counted(s.images, "image")), \(counted(s.regions, "region")) from \(counted(s.pages, "page")) to \(out) (\(format.rawValue))")
    }
}
