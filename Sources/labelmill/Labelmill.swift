import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

@main
struct Labelmill: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labelmill",
        abstract: "Image labeling with plain folders: Inbox -> pages in Watch -> Outbox.",
        version: "0.1.0",
        groupedSubcommands: [
            CommandGroup(name: "admin", subcommands: [
                WatchCommand.self, ProjectCommand.self, StatusCommand.self, ExportCommand.self, ServeCommand.self, TokenCommand.self,
            ]),
            CommandGroup(name: "labeler", subcommands: [
                NextCommand.self, LeaveCommand.self, TagCommand.self, UntagCommand.self, BoxCommand.self,
                PolygonCommand.self, RegionCommand.self, CheckCommand.self, SubmitCommand.self,
            ]),
            CommandGroup(name: "plumbing", subcommands: [
                SchemaCommand.self,
            ]),
        ]
    )

    /// Runs the command; usage errors exit 2 (SPEC section 4) rather than
    /// ArgumentParser's 64.
    static func main() async {
        do {
            var command = try parseAsRoot(WatchCommand.expandingServe(Array(CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                printError(fullMessage(for: error))
                Glibc.exit(2)
            }
            exit(withError: error)
        }
    }
}
