import ArgumentParser
import LabelmillCore
import LabelmillServe

struct TokenAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Make a sign-in link for a labeler; it is printed once and only its hash is kept.")

    @OptionGroup var workspace: WorkspaceOptions

    @Argument(help: "The labeler's name: 1-64 letters, digits, '-', '_' or '.'.")
    var name: String

    @Option(help: ArgumentHelp("The address labelers open (the --listen address or a --host-name with its port), put in the link.", valueName: "host:port"))
    var address = "127.0.0.1:8080"

    func validate() throws {
        if let problem = Names.nameProblem(name, what: "labeler") { throw ValidationError(problem) }
        if PageID.number(name) != nil { throw ValidationError("labeler name \"\(name)\" looks like a page id; pick another name") }
        if address.isEmpty || address.contains("/") || address.contains(" ") { throw ValidationError("--address must be HOST:PORT, like lab.example.org:8080") }
    }

    func run() throws {
        let store = TokenStore(workspace: Workspace(root: workspace.rootPath))
        let token: String
        do { token = try store.add(name, created: Timestamp.iso8601(wallClock())) } catch { throw CommandFailure("\(error)") }
        print("http://\(address)/?token=\(token)")
        printError("sign-in link for \(name); it is shown only now (only its hash is kept in \(store.file)); `labelmill token revoke \(name)` ends it")
    }
}
