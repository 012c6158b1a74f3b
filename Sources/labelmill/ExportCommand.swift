import ArgumentParser

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Write a project's completed labels in a training format.")
    @OptionGroup var workspace: WorkspaceOptions
    func run() throws {}
}
