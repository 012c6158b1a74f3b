import ArgumentParser
import LabelmillCore

struct TagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag",
        abstract: "Tag images of a classification page (multi-class: replaces the tag; multi-label: adds it).")

    @OptionGroup var edit: TagEditArguments

    func run() throws {
        try LabelVerb.run(page: edit.page, workspace: edit.workspace) { labeling throws(LabelingRefusal) in
            try labeling.tag(edit.images.selection, with: edit.tag.choice)
        }
    }
}
