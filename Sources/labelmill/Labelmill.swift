import ArgumentParser

@main
struct Labelmill: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labelmill",
        abstract: "Image labeling with plain folders: Inbox -> pages in Watch -> Outbox.",
        subcommands: [
            ExportCommand.self,
        ]
    )
}
