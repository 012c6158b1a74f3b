import ArgumentParser
import LabelmillCore
import LabelmillFS

/// What the labeler verbs share: finding the page, applying one edit, an
/// atomic replace of page.json, one line on stderr.
enum LabelVerb {
    static func run(page argument: String, workspace: WorkspaceOptions,
                    _ verb: (PageLabeling) throws(LabelingRefusal) -> LabelEdit) throws {
        let target = try PageArgument.folder(for: argument, workspace: workspace)
        let (folder, file) = (target.folder, target.file)
        let bytes: [UInt8]
        do { bytes = try target.directory.read("page.json", maxBytes: Int64(StrictJSON.maxBytes) + 1).bytes } catch {
            throw CommandFailure("\(file): \(error.isNotFound ? "missing; a page folder holds its page.json" : error.description)")
        }
        let node: JSONNode
        do { node = try StrictJSON.parse(bytes) } catch {
            throw CommandFailure("\(file):\(error.position.line):\(error.position.column): \(error.message); fix page.json by hand first")
        }
        let result: LabelEdit
        do {
            let labeling = try PageLabeling(node.value, fallbackID: Path.name(PageFolder.absolute(folder)))
            result = try verb(labeling)
        } catch {
            throw CommandFailure(error.message)
        }
        if result.changed {
            try PageEdit.rewrite(target, expecting: bytes) { $0 = result.page }
        }
        printError(result.summary)
    }
}
