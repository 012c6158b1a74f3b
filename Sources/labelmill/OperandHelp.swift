import ArgumentParser

extension ArgumentHelp {
    /// `PAGE`, as every command that takes a page says it.
    static let page = ArgumentHelp("A page folder, its page.json, or a page id.")
    /// `IMAGE`, as every verb that edits one image says it.
    static let image = ArgumentHelp("The image: its number on the page (from 1) or its file name.")
}
