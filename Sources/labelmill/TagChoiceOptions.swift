import ArgumentParser
import LabelmillCore

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
