/// A page the daemon made, not done, that is in no folder of Watch and not
/// done in the outbox (SPEC section 6: a page folder a labeler deletes or
/// damages is restored to the queue from the daemon's copy).
public enum MissingPage {
    public enum Step: Sendable, Equatable {
        /// Put it back in the queue now.
        case restore
        /// Missing since `since`: perhaps changing hands (`next`, the web
        /// page's sign-in take the folder aside, then rename the new one in).
        /// Look again; restored once missing for the grace period.
        case wait(since: Double)
    }

    /// `missingSince`: when it was first found missing while watching (nil:
    /// now). `immediately`: recovery at start, `--once` and the daemon's own
    /// set-asides restore at once.
    public static func step(missingSince: Double?, now: Double, grace: QuietPeriod, immediately: Bool) -> Step {
        if immediately { return .restore }
        let since = missingSince ?? now
        return grace.isOver(since: since, now: now) ? .restore : .wait(since: since)
    }

    /// The page as it goes back to the queue: open, held by no one, its labels
    /// so far kept, old errors dropped, and a new revision (restoring changes
    /// hands, so a copy of the lost folder that turns up later is stale).
    public static func restored(_ copy: PageManifest) -> PageManifest {
        var page = copy
        page.status = .open
        page.assignedTo = nil
        page.errors = nil
        page.revision = PagePhase.revision(copy.revision, after: .restored)
        return page
    }
}
