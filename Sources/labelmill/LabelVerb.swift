import ArgumentParser
import LabelmillCore
import LabelmillFS

/// What the labeler verbs share: finding the page, applying one edit, an
/// atomic replace of page.json, one line on stderr.
enum LabelVerb {
    static func run(page argument: String, workspace: WorkspaceOptions,
                    _ verb: (PageLabeling) throws(LabelingRefusal) -> LabelEdit) {
        let target = PageArgument.folder(for: argument, workspace: Workspace(root: workspace.rootPath))
        let (folder, file) = (target.folder, target.file)
        let bytes: [UInt8]
        do { bytes = try target.directory.read("page.json", maxBytes: Int64(StrictJSON.maxBytes) + 1).bytes } catch {
            fail("\(file): \(error.isNotFound ? "missing; a page folder holds its page.json" : error.description)")
        }
        let node: JSONNode
        do { node = try StrictJSON.parse(bytes) } catch {
            fail("\(file):\(error.position.line):\(error.position.column): \(error.message); fix page.json by hand first")
        }
        let result: LabelEdit
        do {
            let labeling = try PageLabeling(node.value, fallbackID: Path.name(PageFolder.absolute(folder)))
            result = try verb(labeling)
        } catch {
            fail(error.message)
        }
        if result.changed {
            try? PageEdit.rewrite(target, expecting: bytes) { $0 = result.page }
        }
        printError(result.summary)
    }
}

/// `--tag NAME` or `--key N`.
struct TagChoiceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The tag by name, exactly as in the page's \"tags\".", valueName: "name"))
    var tag: String?

    @Option(help: ArgumentHelp("The tag by number key: 1-9 are the page's first nine tags, as on Azure ML's labeling screen.", valueName: "n"))
    var key: Int?

    func validate() throws {
        switch (tag, key) {
        case (nil, nil): throw ValidationError("name the tag with --tag NAME or --key N")
        case (.some, .some): throw ValidationError("give --tag or --key, not both")
        case (nil, .some(let n)):
            do { try LabelingInput.key(n) } catch { throw ValidationError(error.message) }
        case (.some(let name), nil):
            if name.isEmpty { throw ValidationError("--tag needs a tag name") }
        }
    }

    var choice: TagChoice {
        if let key { return .key(key) }
        return .name(tag ?? "")
    }
}

/// `--all` or `--images 1,3`.
struct ImageSelectionOptions: ParsableArguments {
    @Flag(help: "Every image of the page.")
    var all = false

    @Option(help: ArgumentHelp("The images: numbers from 1 or file names, separated by commas, like 1,3.", valueName: "list"))
    var images: String?

    func validate() throws {
        switch (all, images) {
        case (false, nil): throw ValidationError("choose the images with --all or --images 1,3")
        case (true, .some): throw ValidationError("give --all or --images, not both")
        case (false, .some(let list)):
            do { _ = try LabelingInput.images(list) } catch { throw ValidationError(error.message) }
        case (true, nil): break
        }
    }

    var selection: ImageSelection {
        guard let images, let list = try? LabelingInput.images(images) else { return .all }
        return .some(list)
    }
}
