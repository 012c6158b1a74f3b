import ArgumentParser
import LabelmillCore
import LabelmillServe

struct TokenListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the labelers who have sign-in links, and when each link was made.")

    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        let entries: [TokenStore.Entry]
        do { entries = try TokenStore(workspace: Workspace(root: workspace.rootPath)).entries() } catch { throw CommandFailure("\(error)") }
        if entries.isEmpty { printError("no sign-in links; make one with `labelmill token add NAME`") }
        for entry in entries { print("\(entry.name)\t\(entry.created)") }
    }
}
