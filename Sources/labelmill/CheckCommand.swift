import ArgumentParser
import LabelmillCore
import LabelmillFS

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a page without submitting it; prints FILE:LINE:COLUMN: error: MESSAGE lines.")

    @OptionGroup var workspace: WorkspaceOptions

    @Argument(help: "A page folder, its page.json, or a page id.")
    var path: String

    func run() throws {
        let report = PageReport(PageArgument.folder(for: path, workspace: Workspace(root: workspace.rootPath)))
        report.printErrors()
        if !report.check.errors.isEmpty { throw ExitCode(1) }
        printError("\(report.file): no errors")
    }
}

/// A page checked as the daemon would check a submission.
struct PageReport {
    let target: PageTarget
    let folder: String
    let file: String
    let bytes: [UInt8]
    let check: PageCheck

    init(_ target: PageTarget) {
        self.target = target
        folder = target.folder
        file = target.file
        do { bytes = try target.directory.read("page.json", maxBytes: Int64(StrictJSON.maxBytes) + 1).bytes } catch {
            fail("\(file): \(error.isNotFound ? "missing; a page folder holds its page.json" : error.description)")
        }
        let files: [PageFolderFile]
        do { files = try PageFolder.files(target.directory) } catch { fail(error.description) }
        check = SubmissionValidator.check(bytes, expected: PageFolder.expectedManifest(for: folder), files: files)
    }

    /// One line per error, like a compiler, on stdout.
    func printErrors() {
        for e in check.errors { print("\(file):\(e.line):\(e.column): error: \(e.message)") }
    }
}
