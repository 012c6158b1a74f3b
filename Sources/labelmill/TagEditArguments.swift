import ArgumentParser

/// `[--root DIR] PAGE (--all | --images 1,3) (--tag NAME | --key N)`: what `tag` and `untag` take.
struct TagEditArguments: ParsableArguments {
    @OptionGroup var workspace: WorkspaceOptions

    @Argument(help: .page)
    var page: String

    @OptionGroup var images: ImageSelectionOptions
    @OptionGroup var tag: TagChoiceOptions
}
