import ArgumentParser
import LabelmillCore

struct UntagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "untag",
        abstract: "Remove a tag from images of a classification page.")

    @OptionGroup var edit: TagEditArguments

    func run() throws {
        try LabelVerb.run(page: edit.page, workspace: edit.workspace) { labeling throws(LabelingRefusal) in
            try labeling.untag(edit.images.selection, with: edit.tag.choice)
        }
    }
}
