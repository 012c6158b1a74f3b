/// What the daemon does with a handed-in page once it is checked (SPEC
/// section 3): move it to the outbox, rewrite page.json with `errors` (the
/// labels stay where they are), or, when page.json must not be rewritten,
/// write the errors to ERRORS.txt beside it.
public enum SubmissionVerdict: Sendable, Equatable {
    /// Every check passed: the page goes to the outbox as done.
    case accept(PageManifest)
    /// page.json is rewritten as `text`, with `errors` as its last key; the status becomes rejected.
    case reject(text: String, errors: [PageError])
    /// page.json is left as the labeler wrote it and the errors go to ERRORS.txt.
    /// `handedIn`: the submission is logged as one (a page too large to rewrite);
    /// false for a status that is no status at all.
    case errorsFile([PageError], handedIn: Bool)

    /// The verdict on a page whose status said it was handed in. Nil when the
    /// page is not strict JSON (that case is ERRORS.txt, decided earlier).
    /// `statusName`: the status as written, which may be a typo.
    public static func of(_ check: PageCheck, statusName: String?) -> SubmissionVerdict? {
        guard let node = check.node else { return nil }
        if check.errors.isEmpty, let manifest = try? PageManifest(json: node.value) { return .accept(manifest) }
        guard let rewrite = SubmissionValidator.rejectedText(for: check) else {
            // Only the status or old errors were wrong, and accepting sets both,
            // unless the status is unknown: then the labeler is told, in ERRORS.txt.
            if statusName.flatMap(PageStatus.init(rawValue:)) != nil, let manifest = try? PageManifest(json: node.value) {
                return .accept(manifest)
            }
            return .errorsFile(check.errors, handedIn: false)
        }
        // Even on one line the page would pass its size limit: left as it is, the errors beside it.
        guard rewrite.text.utf8.count <= StrictJSON.maxBytes else { return .errorsFile(rewrite.errors, handedIn: true) }
        return .reject(text: rewrite.text, errors: rewrite.errors)
    }
}
