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
        let root = workspace.rootPath
        do {
            let settings = try OutboxPages.settings(root: root, project: project)
            guard format.fits(settings.task) else { throw ExportRefusal(format.refusal(for: settings.task)) }
            let outbox = try OutboxPages.list(root: root, project: project)
            try refuseWorkspaceFolders(root: root)
            let folder = try ExportFolder(path: out, imageMode: images, outbox: outbox?.path)
            let context = ExportContext(project: project, task: settings.task, tags: settings.tags,
                                        publishedPath: folder.absolutePath, imageMode: images)
            var session = ExportSession(format: format, context: context)
            for stray in outbox?.strays ?? [] {
                Self.say("skipped \(outbox!.path)/\(stray): not a page folder")
            }
            var sink = folder
            try session.begin(into: &sink)
            for page in outbox?.pages ?? [] {
                let manifest = try outbox!.read(page)
                for warning in try session.add(manifest, into: &sink) { Self.say(warning) }
            }
            try session.finish(into: &sink)
            try folder.publish()
            let s = session.summary
            if s.images == 0 {
                Self.say("nothing to export: project \(project) has no completed pages yet; wrote an empty \(format.rawValue) export to \(out)")
            }
            if let problem = folder.linkProblem {
                Self.say("copied \(folder.copiedInsteadOfLinked) image\(folder.copiedInsteadOfLinked == 1 ? "" : "s") instead of linking: \(problem)")
            }
            print("exported \(s.images) image\(s.images == 1 ? "" : "s"), \(s.regions) region\(s.regions == 1 ? "" : "s") from \(s.pages) page\(s.pages == 1 ? "" : "s") to \(out) (\(format.rawValue))")
        } catch let error as ExportRefusal {
            Self.say("labelmill export: \(error.message)")
            throw ExitCode(1)
        } catch let error as ExportIOError {
            Self.say("labelmill export: \(error.message)")
            throw ExitCode(1)
        } catch let error as ExportProblem {
            Self.say("labelmill export: \(error); nothing was written")
            throw ExitCode(1)
        }
    }

    /// An export inside Inbox would be taken as new images by the daemon, and one in
    /// Watch, Outbox or .labelmill would be mistaken for pages or state.
    func refuseWorkspaceFolders(root: String) throws {
        let target = ExportFolder.absolute(out)
        let base = ExportFolder.absolute(root)
        for folder in ["Inbox", "Watch", "Outbox", ".labelmill"] {
            let inside = (base == "/" ? "" : base) + "/" + folder
            if target == inside || target.hasPrefix(inside + "/") {
                throw ExportRefusal("\(out) is inside the workspace's \(folder) folder; export to a folder outside Inbox, Watch, Outbox and .labelmill")
            }
        }
    }

    struct ExportRefusal: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    static func say(_ line: String) {
        fputs(line + "\n", stderr)
    }

    /// SPEC section 1: 1-64 letters, digits, `-`, `_`, `.`, not starting with `.`.
    static func isProjectName(_ name: String) -> Bool {
        guard (1...64).contains(name.unicodeScalars.count), !name.hasPrefix(".") else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) }
    }
}
