import ArgumentParser
import LabelmillCore
import LabelmillFS

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a page without submitting it; prints FILE:LINE:COLUMN: error: MESSAGE lines.")

    @OptionGroup var workspace: WorkspaceOptions

    @Argument(help: .page)
    var path: String

    func run() throws {
        let report = try PageReport(try PageArgument.folder(for: path, workspace: workspace))
        report.printErrors()
        if !report.check.errors.isEmpty { throw ExitCode(1) }
        printError("\(report.file): no errors")
    }
}
