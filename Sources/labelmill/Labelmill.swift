import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

@main
struct Labelmill: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labelmill",
        abstract: "Image labeling with plain folders: Inbox -> pages in Watch -> Outbox.",
        subcommands: [
            WatchCommand.self,
            ProjectCommand.self,
            StatusCommand.self,
            CheckCommand.self,
            SubmitCommand.self,
            NextCommand.self,
            LeaveCommand.self,
            TagCommand.self,
            UntagCommand.self,
            BoxCommand.self,
            PolygonCommand.self,
            RegionCommand.self,
            ExportCommand.self,
            SchemaCommand.self,
        ]
    )

    /// Runs the command; usage errors exit 2 (SPEC section 4) rather than
    /// ArgumentParser's 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
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
