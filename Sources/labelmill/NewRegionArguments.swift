import ArgumentParser

/// `[--root DIR] PAGE IMAGE (--tag NAME | --key N)`: what `box` and `polygon` take before the shape.
struct NewRegionArguments: ParsableArguments {
    @OptionGroup var workspace: WorkspaceOptions

    @Argument(help: .page)
    var page: String

    @Argument(help: .image)
    var image: String

    @OptionGroup var tag: TagChoiceOptions
}
