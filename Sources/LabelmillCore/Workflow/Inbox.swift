/// What the watcher, or a scan, can say about one file. inotify reports the
/// first five (IN_CREATE, IN_CLOSE_WRITE, IN_MOVED_TO, IN_MODIFY/IN_ATTRIB,
/// IN_DELETE/IN_MOVED_FROM); a scan, including the rescan after an overflow,
/// knows only that the file is there.
public enum FileChange: Sendable, Equatable, CaseIterable {
    case appeared
    case closedAfterWriting
    case renamedIn
    case changed
    case vanished
    case scanned
}

/// A project's inbox as the workflow sees it: since when each file has been
/// as it is, and when the inbox last changed (for `flush_seconds`), all on the
/// daemon's clock. SPEC section 6: a file is taken only after it has stopped
/// changing and its structure is whole.
public struct InboxState<Key: Hashable & Sendable, Version: Equatable & Sendable>: Sendable {
    /// What to do with one file now.
    public enum Step: Sendable, Equatable {
        /// Read and check it. `refuseIfBroken` false: a writer just finished
        /// (closed or renamed in) but the file has not been quiet yet, so one
        /// that is not whole waits its quiet period before it is refused (the
        /// writer may reopen it).
        case examine(refuseIfBroken: Bool)
        /// Still changing, or too new: look again at `until`.
        case wait(until: Double)
        /// Gone: nothing to do.
        case forget
    }

    /// How long a file must stay the same version before it is taken without a writer's word.
    public var settle: QuietPeriod
    /// When a file last appeared, changed or was taken (or refused).
    public private(set) var lastActivity: Double = 0
    var files = ChangeTracker<Key, Version>()

    public init(settle: QuietPeriod = .inboxFile) { self.settle = settle }

    /// The daemon learned `change` about `key`, found at `version` (nil: gone), at `now`.
    public mutating func saw(_ key: Key, version: Version?, change: FileChange, at now: Double) -> Step {
        guard let version, change != .vanished else {
            files.forget(key)
            return .forget
        }
        let known = files.version(key)
        let since = files.look(key, version: version, at: now)
        if known != version { lastActivity = now }
        let quiet = known == version && settle.isOver(since: since, now: now)
        switch change {
        case .closedAfterWriting, .renamedIn:
            return .examine(refuseIfBroken: quiet)
        case .appeared, .changed, .scanned, .vanished:
            return quiet ? .examine(refuseIfBroken: true) : .wait(until: settle.end(since: since))
        }
    }

    /// The file was dealt with (taken, refused, or found changed while read): it starts again if seen again.
    public mutating func done(_ key: Key) { files.forget(key) }

    /// Something in the inbox was taken or refused at `now`.
    public mutating func noteActivity(at now: Double) { lastActivity = max(lastActivity, now) }

    /// Keeps only the files a scan found.
    public mutating func keep(only present: Set<Key>) { files.forget { !present.contains($0) } }

    /// Whether the inbox has been quiet for `period` (a partial page is written after `flush_seconds`).
    public func isQuiet(for period: QuietPeriod, now: Double) -> Bool { period.isOver(since: lastActivity, now: now) }

    /// Files being watched for quiet.
    public var count: Int { files.count }
}
