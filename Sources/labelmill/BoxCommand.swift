import ArgumentParser
import LabelmillCore

struct BoxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "box",
        abstract: "Add a bounding box to an image of a bbox page.")

    @OptionGroup var target: NewRegionArguments

    // Unconditional, so a negative coordinate is read as a value and refused in the validator's words.
    @Option(parsing: .unconditional, help: ArgumentHelp("The box as X,Y,W,H in pixels: top-left corner, width and height.", valueName: "x,y,w,h"))
    var rect: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Top-left corner X,Y of a box the size of the page's last box (50x50 when there is none).", valueName: "x,y"))
    var template: String?

    func validate() throws {
        switch (rect, template) {
        case (nil, nil): throw ValidationError("place the box with --rect X,Y,W,H or --template X,Y")
        case (.some, .some): throw ValidationError("give --rect or --template, not both")
        default: _ = try placement()
        }
    }

    func placement() throws -> BoxPlacement {
        do {
            if let rect { return .rect(try LabelingInput.rect(rect)) }
            return .template(try LabelingInput.point(template ?? "", option: "--template"))
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() throws {
        let placement = try placement()
        try LabelVerb.run(page: target.page, workspace: target.workspace) { labeling throws(LabelingRefusal) in
            try labeling.addBox(image: target.image, tag: target.tag.choice, at: placement)
        }
    }
}
