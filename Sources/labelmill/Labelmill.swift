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
                WatchCommand.self, ProjectCommand.self, StatusCommand.self, ExportCommand.self, ImportCommand.self, ServeCommand.self, TokenCommand.self, SetupCommand.self, DoctorCommand.self,
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

    /// Runs the command and maps what it throws to SPEC section 4's exit statuses:
    /// a `CommandFailure` is 1 with its message, a usage error 2 (not ArgumentParser's 64);
    /// the rest (`--help`, `--version`, `ExitCode`) as ArgumentParser does.
    static func main() async {
        do {
            var command = try parseAsRoot(WatchCommand.expandingServe(Array(CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            printError("labelmill: \(failure.message)")
            Glibc.exit(failure.exitStatus)
        } catch where exitCode(for: error) == .validationFailure {
            printError(fullMessage(for: error))
            Glibc.exit(2)
        } catch {
            exit(withError: error)
        }
    }
}
