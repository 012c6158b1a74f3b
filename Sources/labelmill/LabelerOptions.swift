import ArgumentParser
import LabelmillCore

/// `PROJECT --as NAME`, shared by `next` and `leave`.
struct LabelerOptions: ParsableArguments {
    @Argument(help: "The project.")
    var project: String

    // Unconditional, so a name that starts with '-' (`--as -rf`) is read as the name.
    @Option(name: .customLong("as"), parsing: .unconditional, help: "Your labeler name: 1-64 letters, digits, '-', '_' or '.'.")
    var name: String

    func validate() throws {
        if let problem = Names.nameProblem(name, what: "labeler") { throw ValidationError(problem) }
        if PageID.number(name) != nil { throw ValidationError("labeler name \"\(name)\" looks like a page id; pick another name") }
    }
}
