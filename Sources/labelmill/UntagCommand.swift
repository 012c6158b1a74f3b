import ArgumentParser
import LabelmillCore

struct UntagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "untag",
        abstract: "Remove a tag from images of a classification page.")

    @OptionGroup var workspace: WorkspaceOptions

    @Argument(help: .page)
    var page: String

    @OptionGroup var images: ImageSelectionOptions
    @OptionGroup var tag: TagChoiceOptions

    func run() throws {
        try LabelVerb.run(page: page, workspace: workspace) { labeling throws(LabelingRefusal) in
            try labeling.untag(images.selection, with: tag.choice)
        }
    }
}
