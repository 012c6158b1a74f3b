import ArgumentParser
import LabelmillCore
import LabelmillFS

struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Check a page, then hand it in (status \"submitted\").")

    @OptionGroup var workspace: WorkspaceOptions

    @Argument(help: .page)
    var page: String

    func run() throws {
        let report = try PageReport(try PageArgument.folder(for: page, workspace: workspace))
        guard let node = report.check.node else {
            report.printErrors()
            throw CommandFailure("\(report.file) is not valid JSON; fix it and submit again")
        }
        let status = node["status"]?.value.stringValue ?? ""
        guard status == PageStatus.open.rawValue || status == PageStatus.rejected.rawValue else {
            throw CommandFailure("\(report.file) is \(status.isEmpty ? "without a status" : "already \(status)"); only open or rejected pages can be submitted")
        }
        report.printErrors()
        if !report.check.errors.isEmpty {
            throw CommandFailure("not submitted: \(counted(report.check.errors.count, "error")) to fix first")
        }
        try PageEdit.rewrite(report.target, expecting: report.bytes) { value in
            value.setMember("status", .string(PageStatus.submitted.rawValue))
            value.removeMember("errors")
        }
        printError("\(report.file): submitted")
    }
}
