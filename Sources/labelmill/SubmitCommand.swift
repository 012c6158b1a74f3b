import ArgumentParser
import LabelmillCore
import LabelmillFS

struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Check a page, then hand it in (status \"submitted\").")

    @OptionGroup var workspace: WorkspaceOptions

    @Argument(help: "A page folder, its page.json, or a page id.")
    var page: String

    func run() throws {
        let report = PageReport(PageArgument.folder(for: page, workspace: Workspace(root: workspace.rootPath)))
        guard let node = report.check.node else {
            report.printErrors()
            fail("\(report.file) is not valid JSON; fix it and submit again")
        }
        let status = node["status"]?.value.stringValue ?? ""
        guard status == PageStatus.open.rawValue || status == PageStatus.rejected.rawValue else {
            fail("\(report.file) is \(status.isEmpty ? "without a status" : "already \(status)"); only open or rejected pages can be submitted")
        }
        report.printErrors()
        if !report.check.errors.isEmpty {
            fail("not submitted: \(report.check.errors.count) error\(report.check.errors.count == 1 ? "" : "s") to fix first")
        }
        try PageEdit.rewrite(report.target, expecting: report.bytes) { value in
            value.setMember("status", .string(PageStatus.submitted.rawValue))
            value.removeMember("errors")
        }
        printError("\(report.file): submitted")
    }
}

/// Editing page.json as an editor would: read, change, atomic replace.
enum PageEdit {
    /// Rewrites page.json with `change` applied, refusing if it changed since `expecting` was read.
    static func rewrite(_ page: PageTarget, expecting: [UInt8], _ change: (inout JSONValue) -> Void) throws {
        let file = page.file
        guard let node = try? StrictJSON.parse(expecting) else { fail("\(file) is not valid JSON") }
        var value = node.value
        change(&value)
        guard (try? page.directory.read("page.json").bytes) == expecting else {
            fail("\(file) changed while it was being edited; run the command again")
        }
        do { try page.directory.writeAtomically("page.json", JSONWriter.prettyBytes(value)) } catch {
            fail(error.description)
        }
    }
}
