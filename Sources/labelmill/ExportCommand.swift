import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import LabelmillCore
import LabelmillFS

extension ExportFormat: ExpressibleByArgument {}
extension ExportImageMode: ExpressibleByArgument {}

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
        guard Self.isProjectName(project) else {
            throw ValidationError("\"\(project)\" is not a project name: use 1-64 letters, digits, '-', '_' or '.', not starting with '.'")
        }
    }

    func run() throws {
        let export = ProjectExport(root: workspace.rootPath, project: project, format: format, out: out, imageMode: images)
        let result: ProjectExport.Result
        do {
            result = try export.run(warn: Self.say)
        } catch let error as ExportProblem {
            Self.say("labelmill export: \(error); nothing was written")
            throw ExitCode(1)
        } catch {
            Self.say("labelmill export: \(error)")
            throw ExitCode(1)
        }
        let s = result.summary
        if s.images == 0 {
            Self.say("nothing to export: project \(project) has no completed pages yet; wrote an empty \(format.rawValue) export to \(out)")
        }
        if let problem = result.linkProblem {
            Self.say("copied \(Self.count(result.copiedInsteadOfLinked, "image")) instead of linking: \(problem)")
        }
        print("exported \(Self.count(s.images, "image")), \(Self.count(s.regions, "region")) from \(Self.count(s.pages, "page")) to \(out) (\(format.rawValue))")
    }

    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    static func say(_ line: String) { fputs(line + "\n", stderr) }

    /// SPEC section 1: 1-64 letters, digits, `-`, `_`, `.`, not starting with `.`.
    static func isProjectName(_ name: String) -> Bool {
        guard (1...64).contains(name.unicodeScalars.count), !name.hasPrefix(".") else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) }
    }
}
