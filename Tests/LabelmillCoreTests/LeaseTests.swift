import LabelmillCore
import Testing

/// The lease rule and the quiet periods, on instants of a daemon clock that
/// starts at 1,000,000: no disk, no sleeping, no real time.
@Suite("Lease")
struct LeaseRuleTests {
    let t0 = 1_000_000.0

    @Test("Runs out lease_minutes after the assignment when nothing changes")
    func expiresAfterAssignment() {
        var lease = Lease(labeler: "ann")
        lease.assign(at: t0)
        #expect(!lease.isExpired(at: t0 + 59 * 60, minutes: 60))
        #expect(lease.isExpired(at: t0 + 60 * 60, minutes: 60))
        #expect(lease.expiry(minutes: 0.5) == t0 + 30)
    }

    @Test("A change seen later restarts it; an older one (rsync -a keeps old file times) does not")
    func touchesCountOnlyForward() {
        var lease = Lease(labeler: "ann")
        lease.assign(at: t0)
        lease.touch(at: t0 + 50 * 60)
        #expect(!lease.isExpired(at: t0 + 100 * 60, minutes: 60))
        // A file carried over with a time from last year changes nothing.
        lease.touch(at: t0 - 365 * 86_400)
        #expect(lease.untouchedSince == t0 + 50 * 60)
        #expect(lease.isExpired(at: t0 + 110 * 60, minutes: 60))
    }

    @Test("The latest of assignment and change counts, whichever came last")
    func latestOfBoth() {
        var lease = Lease(labeler: "ann", lastChange: t0 + 10)
        lease.assign(at: t0 + 5)
        #expect(lease.untouchedSince == t0 + 10)
        lease.assign(at: t0 + 20)
        #expect(lease.untouchedSince == t0 + 20)
        // An assignment does not move the lease back.
        lease.assign(at: t0)
        #expect(lease.untouchedSince == t0 + 20)
    }

    @Test("Nothing known: never runs out")
    func unknownNeverExpires() {
        #expect(!Lease(labeler: "ann").isExpired(at: .greatestFiniteMagnitude, minutes: 0))
    }
}

@Suite("Quiet periods and the change tracker")
struct QuietPeriodTests {
    let t0 = 1_000_000.0

    @Test("Over once the thing has been unchanged for the period", arguments: [
        (QuietPeriod.inboxFile, 0.99, false), (QuietPeriod.inboxFile, 1.0, true),
        (QuietPeriod.pageFile, 0.29, false), (QuietPeriod.pageFile, 0.3, true),
        (QuietPeriod.setAside, 4.9, false), (QuietPeriod.setAside, 5, true),
        (QuietPeriod(seconds: 10), 9.5, false), (QuietPeriod(seconds: 10), 10, true),
    ])
    func period(_ quiet: QuietPeriod, after: Double, over: Bool) {
        #expect(quiet.isOver(since: t0, now: t0 + after) == over)
        #expect(quiet.end(since: t0) == t0 + quiet.seconds)
    }

    @Test("A version keeps the instant it was first seen; a new version starts again")
    func versions() {
        var tracker = ChangeTracker<String, Int>()
        #expect(tracker.look("a", version: 1, at: t0) == t0)
        #expect(tracker.look("a", version: 1, at: t0 + 3) == t0)
        #expect(tracker.look("a", version: 2, at: t0 + 4) == t0 + 4)
        #expect(tracker.since("a") == t0 + 4)
        #expect(tracker.version("a") == 2)
        tracker.forget("a")
        #expect(tracker.since("a") == nil)
    }

    @Test("A file first seen is dated by its age; a new version never before the last look that found the old one")
    func ages() {
        var tracker = ChangeTracker<String, Int>()
        // After a restart: the file is two hours old by the real clock.
        #expect(tracker.look("page.json", version: 1, at: t0, age: 7200) == t0 - 7200)
        // rsync -a brings a new version with a file time from last year: it is new since the last look.
        #expect(tracker.look("page.json", version: 2, at: t0 + 60, age: 365 * 86_400) == t0)
        // A new version made 0.5 s ago, found 10 s after the last look.
        #expect(tracker.look("page.json", version: 3, at: t0 + 70, age: 0.5) == t0 + 69.5)
        // A file time in the future (another machine's clock) is taken as now.
        #expect(tracker.look("other", version: 1, at: t0, age: -30) == t0)
    }

    @Test("What was not looked at for a while is forgotten and judged as new")
    func forgetting() {
        var tracker = ChangeTracker<String, Int>()
        tracker.look("old", version: 1, at: t0)
        tracker.look("new", version: 1, at: t0 + 700)
        tracker.forget(lookedBefore: t0 + 100)
        #expect(!tracker.contains("old"))
        #expect(tracker.contains("new"))
        tracker.forget { $0 == "new" }
        #expect(tracker.count == 0)
    }
}
