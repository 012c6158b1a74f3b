/// A labeler's hold on their pages (SPEC section 2, `lease_minutes`): the
/// labeler is timed out once every held page has been untouched for the
/// lease. "Untouched" runs from the latest of the assignment, any file time
/// in the held pages and the last change the daemon saw there. All three are
/// instants on the daemon's clock: the edge converts a file time once, when it
/// first reads it, into "when the daemon saw this change", so the lease never
/// compares its clock with the kernel's.
public struct Lease: Sendable, Equatable {
    public let labeler: String
    /// When the daemon last gave the labeler a page.
    public private(set) var assigned: Double?
    /// The latest change in the held pages: a file time or a change the daemon saw.
    public private(set) var lastChange: Double?

    public init(labeler: String, assigned: Double? = nil, lastChange: Double? = nil) {
        self.labeler = labeler
        self.assigned = assigned
        self.lastChange = lastChange
    }

    /// A page was assigned at `time`.
    public mutating func assign(at time: Double) {
        assigned = max(assigned ?? time, time)
    }

    /// Something in a held page changed at `time` (an instant on the daemon's
    /// clock, never a raw file time). An older instant than one already known
    /// changes nothing: `rsync -a` keeps old file times.
    public mutating func touch(at time: Double) {
        lastChange = max(lastChange ?? time, time)
    }

    /// Since when every held page has been untouched; nil when nothing is known.
    public var untouchedSince: Double? {
        switch (assigned, lastChange) {
        case let (a?, c?): return max(a, c)
        case let (a?, nil): return a
        case let (nil, c?): return c
        case (nil, nil): return nil
        }
    }

    /// When the lease runs out with `minutes` of lease; nil when nothing is known.
    public func expiry(minutes: Double) -> Double? {
        untouchedSince.map { $0 + minutes * 60 }
    }

    /// Whether the lease has run out at `now`. A lease with nothing known
    /// (no assignment seen, no file) never runs out: there is nothing to time.
    public func isExpired(at now: Double, minutes: Double) -> Bool {
        guard let expiry = expiry(minutes: minutes) else { return false }
        return now >= expiry
    }
}
