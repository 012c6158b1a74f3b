import ArgumentParser
import LabelmillCore

struct TagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag",
        abstract: "Tag images of a classification page (multi-class: replaces the tag; multi-label: adds it).")

    @OptionGroup var workspace: WorkspaceOptions

    @Argument(help: "A page folder, its page.json, or a page id.")
    var page: String

    @OptionGroup var images: ImageSelectionOptions
    @OptionGroup var tag: TagChoiceOptions

    func run() throws {
        LabelVerb.run(page: page, workspace: workspace) { labeling throws(LabelingRefusal) in
            try labeling.tag(images.selection, with: tag.choice)
        }
    }
}

struct UntagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "untag",
        abstract: "Remove a tag from images of a classification page.")

    @OptionGroup var workspace: WorkspaceOptions

    @Argument(help: "A page folder, its page.json, or a page id.")
    var page: String

    @OptionGroup var images: ImageSelectionOptions
    @OptionGroup var tag: TagChoiceOptions

    func run() throws {
        LabelVerb.run(page: page, workspace: workspace) { labeling throws(LabelingRefusal) in
            try labeling.untag(images.selection, with: tag.choice)
        }
    }
}
