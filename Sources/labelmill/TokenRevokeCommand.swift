import ArgumentParser
import LabelmillCore
import LabelmillServe

struct TokenRevokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "End every sign-in link of a labeler, and the sessions opened with them.")

    @OptionGroup var workspace: WorkspaceOptions

    @Argument(help: "The labeler whose links end.")
    var name: String

    func run() throws {
        let store = TokenStore(workspace: Workspace(root: workspace.rootPath))
        let removed: Int
        do { removed = try store.revoke(name) } catch { throw CommandFailure("\(error)") }
        guard removed > 0 else { throw CommandFailure("\(name) has no sign-in link (see `labelmill token list`)") }
        printError("revoked \(counted(removed, "sign-in link")) of \(name)")
    }
}
