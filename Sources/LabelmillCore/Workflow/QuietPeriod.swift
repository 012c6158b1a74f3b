/// A span of time something must stay unchanged before the daemon acts on
/// it, measured on the daemon's clock: an inbox file before it is taken (1 s),
/// a page.json before a submission is read, a page folder before it is set
/// aside in conflicts (5 s), a project's inbox before a partial page is
/// written (`flush_seconds`).
public struct QuietPeriod: Sendable, Equatable {
    public var seconds: Double

    public init(seconds: Double) { self.seconds = seconds }

    /// Whether something last changed at `since` has been quiet long enough at `now`.
    public func isOver(since: Double, now: Double) -> Bool { now - since >= seconds }

    /// When the quiet period of something last changed at `since` ends.
    public func end(since: Double) -> Double { since + seconds }

    public static let inboxFile = QuietPeriod(seconds: 1)
    public static let pageFile = QuietPeriod(seconds: 0.3)
    public static let setAside = QuietPeriod(seconds: 5)
}

/// When the daemon saw each version of something change, on its own clock.
/// The edge reports what it reads (a key, the version, and for a version it
/// has not seen before how old the edge measured it to be on the real clock);
/// the tracker answers "since when has this been as it is now". Kernel times
/// never enter: an age is a duration, not an instant.
public struct ChangeTracker<Key: Hashable & Sendable, Version: Equatable & Sendable>: Sendable {
    struct Seen: Sendable {
        var version: Version
        /// When this version came to be, on the daemon's clock.
        var since: Double
        /// When the daemon last looked and found this version.
        var looked: Double
    }

    var seen: [Key: Seen] = [:]

    public init() {}

    /// Records a look at `key`, found at `version`, at `now`; returns since
    /// when it has been this version. `age`: how long ago the edge measured
    /// the version was made (nil: unknown, taken as now). A new version of
    /// something already seen was made after the last look that found the
    /// old one, never earlier, whatever its file times say.
    @discardableResult
    public mutating func look(_ key: Key, version: Version, at now: Double, age: Double? = nil) -> Double {
        let made = now - max(0, age ?? 0)
        guard var known = seen[key] else {
            seen[key] = Seen(version: version, since: made, looked: now)
            return made
        }
        if known.version != version {
            known.version = version
            known.since = max(known.looked, made)
        }
        known.looked = now
        seen[key] = known
        return known.since
    }

    /// Since when `key` has been as last seen; nil when never seen.
    public func since(_ key: Key) -> Double? { seen[key]?.since }

    /// The version last seen of `key`.
    public func version(_ key: Key) -> Version? { seen[key]?.version }

    /// Forgets `key` (it vanished, or the daemon acted on it).
    public mutating func forget(_ key: Key) { seen[key] = nil }

    /// Forgets every key `drop` names.
    public mutating func forget(where drop: (Key) -> Bool) {
        seen = seen.filter { !drop($0.key) }
    }

    /// Forgets what was not looked at since `time`; seen again, it is judged as new.
    public mutating func forget(lookedBefore time: Double) {
        seen = seen.filter { $0.value.looked >= time }
    }

    /// Whether `key` is being tracked.
    public func contains(_ key: Key) -> Bool { seen[key] != nil }

    public var count: Int { seen.count }
}
