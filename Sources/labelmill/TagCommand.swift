import ArgumentParser
import LabelmillCore

struct TagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag",
        abstract: "Tag images of a classification page (multi-class: replaces the tag; multi-label: adds it).")

    @OptionGroup var workspace: WorkspaceOptions

    @Argument(help: .page)
    var page: String

    @OptionGroup var images: ImageSelectionOptions
    @OptionGroup var tag: TagChoiceOptions

    func run() throws {
        try LabelVerb.run(page: page, workspace: workspace) { labeling throws(LabelingRefusal) in
            try labeling.tag(images.selection, with: tag.choice)
        }
    }
}
