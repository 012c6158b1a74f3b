import ArgumentParser

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
            ExportCommand.self,
            SchemaCommand.self,
        ]
    )
}
