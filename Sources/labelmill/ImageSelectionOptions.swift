import ArgumentParser
import LabelmillCore

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
