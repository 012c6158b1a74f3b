import ArgumentParser
import LabelmillCore

struct RegionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "region",
        abstract: "Edit or delete the regions (boxes, polygons) of an image.",
        subcommands: [Delete.self, Retag.self, Reshape.self, Clear.self])

    /// PAGE IMAGE INDEX, shared by the commands that edit one region.
    struct Target: ParsableArguments {
        @Argument(help: .page)
        var page: String

        @Argument(help: .image)
        var image: String

        @Argument(help: "The region: its number in the image's \"regions\" (from 1).")
        var index: Int

        func validate() throws {
            if index < 1 { throw ValidationError("the region number counts from 1, not \(index)") }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete one region of an image.")

        @OptionGroup var workspace: WorkspaceOptions
        @OptionGroup var target: Target

        func run() throws {
            try LabelVerb.run(page: target.page, workspace: workspace) { labeling throws(LabelingRefusal) in
                try labeling.deleteRegion(image: target.image, index: target.index)
            }
        }
    }

    struct Retag: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give one region of an image another tag.")

        @OptionGroup var workspace: WorkspaceOptions
        @OptionGroup var target: Target
        @OptionGroup var tag: TagChoiceOptions

        func run() throws {
            try LabelVerb.run(page: target.page, workspace: workspace) { labeling throws(LabelingRefusal) in
                try labeling.retagRegion(image: target.image, index: target.index, tag: tag.choice)
            }
        }
    }

    struct Reshape: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Move or reshape one region of an image, keeping its tag.")

        @OptionGroup var workspace: WorkspaceOptions
        @OptionGroup var target: Target

        // Unconditional, so a negative coordinate is read as a value and refused in the validator's words.
        @Option(parsing: .unconditional, help: ArgumentHelp("The new box as X,Y,W,H in pixels (bbox pages).", valueName: "x,y,w,h"))
        var rect: String?

        @Option(parsing: .unconditional, help: ArgumentHelp("The new outline as \"X,Y X,Y X,Y ...\" in pixels (polygon pages).", valueName: "points"))
        var points: String?

        func validate() throws { _ = try shape() }

        func shape() throws -> Region.Shape {
            do {
                switch (rect, points) {
                case (nil, nil): throw ValidationError("give the new shape with --rect X,Y,W,H (bbox) or --points \"X,Y X,Y X,Y\" (polygon)")
                case (.some, .some): throw ValidationError("give --rect or --points, not both")
                case (.some(let r), nil): return .box(try LabelingInput.rect(r))
                case (nil, .some(let p)): return .polygon(try LabelingInput.points(p))
                }
            } catch let error as LabelingArgumentError {
                throw ValidationError(error.message)
            }
        }

        func run() throws {
            let shape = try shape()
            try LabelVerb.run(page: target.page, workspace: workspace) { labeling throws(LabelingRefusal) in
                try labeling.setRegion(image: target.image, index: target.index, to: shape)
            }
        }
    }

    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete all regions of an image, leaving [] (\"nothing to mark here\").")

        @OptionGroup var workspace: WorkspaceOptions

        @Argument(help: .page)
        var page: String

        @Argument(help: .image)
        var image: String

        func run() throws {
            try LabelVerb.run(page: page, workspace: workspace) { labeling throws(LabelingRefusal) in
                try labeling.clearRegions(image: image)
            }
        }
    }
}
