/// SPEC section 3, rule 4: every tag is one of the project's tags, exactly (name the nearest one).
extension PageReview {
    /// Rule 4: a tag is one of the page's tags, exactly.
    mutating func checkTag(_ node: JSONNode, _ p: String, _ tag: String) {
        guard let tags = pageTags, !pageTagSet.contains(tag) else { return }
        // Suggestions cost a comparison with every tag: none once the listed errors are full.
        if found.count < Self.errorsListed, let near = Suggest.nearest(to: tag, in: tags) {
            let caseOnly = near.lowercased() == tag.lowercased() ? " (capitals matter)" : ""
            report(node, p, "unknown tag \(quoted(tag)); did you mean \(quoted(near))?\(caseOnly)")
        } else {
            report(node, p, "unknown tag \(quoted(tag)); the page's tags are: \(tagChoices)")
        }
    }

}
