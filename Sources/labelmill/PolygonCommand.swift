import ArgumentParser
import LabelmillCore

struct PolygonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "polygon",
        abstract: "Add a polygon to an image of a polygon page.")

    @OptionGroup var target: NewRegionArguments

    // Unconditional, so a negative coordinate is read as a value and refused in the validator's words.
    @Option(parsing: .unconditional, help: ArgumentHelp("The outline as \"X,Y X,Y X,Y ...\" in pixels, 3 or more points; it closes itself.", valueName: "points"))
    var points: String

    func validate() throws {
        do { _ = try LabelingInput.points(points) } catch { throw ValidationError(error.message) }
    }

    func run() throws {
        let outline: [Point]
        do { outline = try LabelingInput.points(points) } catch { throw ValidationError(error.message) }
        try LabelVerb.run(page: target.page, workspace: target.workspace) { labeling throws(LabelingRefusal) in
            try labeling.addPolygon(image: target.image, tag: target.tag.choice, points: outline)
        }
    }
}
