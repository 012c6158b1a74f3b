/// When a live page's page.json is read (SPEC section 3): an editor or a sync
/// tool may still be writing it, so a version is read once it has been quiet
/// for the page settle period, unless its writer has said it is finished.
public enum PageFileRule {
    public enum Step: Sendable, Equatable {
        /// Read it and act on its status now.
        case review
        /// Still settling: look again at `until`.
        case wait(until: Double)
    }

    /// The step for a page.json the daemon saw become this version at `since`.
    /// `change`: what the watcher said (a scan says nothing). `parses`: whether
    /// the text is strict JSON, when the caller has read it; a file closed
    /// after writing or renamed into place that parses is read at once, one
    /// that does not waits the quiet period (it may be mid-save) before its
    /// errors go to ERRORS.txt. `--once` reads everything at once.
    public static func step(change: FileChange, since: Double, now: Double, quiet: QuietPeriod, once: Bool, parses: Bool? = nil) -> Step {
        if once || quiet.isOver(since: since, now: now) { return .review }
        let writerDone = change == .closedAfterWriting || change == .renamedIn
        return writerDone && parses == true ? .review : .wait(until: quiet.end(since: since))
    }
}
