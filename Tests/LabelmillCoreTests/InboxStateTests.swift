import LabelmillCore
import Testing

/// When an inbox file is taken, and when a partial page is flushed, on a mock
/// clock: the version numbers stand for what the edge read (size, times, inode).
@Suite("Inbox state")
struct InboxStateTests {
    let t0 = 1_000_000.0

    @Test("A scanned file is examined once it has stayed the same version for the settle period")
    func settles() {
        var inbox = InboxState<String, Int>(settle: .inboxFile)
        #expect(inbox.saw("a.png", version: 1, change: .scanned, at: t0) == .wait(until: t0 + 1))
        #expect(inbox.saw("a.png", version: 1, change: .scanned, at: t0 + 0.5) == .wait(until: t0 + 1))
        // Still being written: the quiet period starts again.
        #expect(inbox.saw("a.png", version: 2, change: .changed, at: t0 + 0.9) == .wait(until: t0 + 1.9))
        #expect(inbox.saw("a.png", version: 2, change: .scanned, at: t0 + 1.9) == .examine(refuseIfBroken: true))
    }

    @Test("Closed after writing or renamed in: examined at once, refused only once quiet", arguments: [FileChange.closedAfterWriting, .renamedIn])
    func writerFinished(_ change: FileChange) {
        var inbox = InboxState<String, Int>(settle: .inboxFile)
        #expect(inbox.saw("a.png", version: 1, change: change, at: t0) == .examine(refuseIfBroken: false))
        // Not whole, so left; the scan a second later may refuse it.
        #expect(inbox.saw("a.png", version: 1, change: .scanned, at: t0 + 1) == .examine(refuseIfBroken: true))
    }

    @Test("A file that vanishes is forgotten; back again, it starts over")
    func vanishes() {
        var inbox = InboxState<String, Int>()
        _ = inbox.saw("a.png", version: 1, change: .scanned, at: t0)
        #expect(inbox.saw("a.png", version: 1, change: .vanished, at: t0 + 1) == .forget)
        #expect(inbox.saw("a.png", version: nil, change: .scanned, at: t0 + 1) == .forget)
        #expect(inbox.count == 0)
        #expect(inbox.saw("a.png", version: 1, change: .scanned, at: t0 + 2) == .wait(until: t0 + 3))
        inbox.keep(only: [])
        #expect(inbox.count == 0)
    }

    @Test("flush_seconds runs from the last change in the inbox: a new file, a changed one, one taken")
    func flush() {
        var inbox = InboxState<String, Int>()
        let flush = QuietPeriod(seconds: 10)
        _ = inbox.saw("a.png", version: 1, change: .scanned, at: t0)
        #expect(!inbox.isQuiet(for: flush, now: t0 + 9))
        // Looking again at an unchanged file is no activity.
        _ = inbox.saw("a.png", version: 1, change: .scanned, at: t0 + 5)
        #expect(inbox.isQuiet(for: flush, now: t0 + 10))
        inbox.done("a.png")
        inbox.noteActivity(at: t0 + 12)
        #expect(!inbox.isQuiet(for: flush, now: t0 + 21))
        #expect(inbox.isQuiet(for: flush, now: t0 + 22))
        // An instant older than one known does not move it back.
        inbox.noteActivity(at: t0)
        #expect(inbox.lastActivity == t0 + 12)
    }
}

/// When a live page.json is read, on a mock clock.
@Suite("Page file rule")
struct PageFileRuleTests {
    let t0 = 1_000_000.0

    @Test("A scanned page.json is read once it has been quiet for the page settle period; --once reads it at once")
    func settles() {
        #expect(PageFileRule.step(change: .scanned, since: t0, now: t0 + 0.1, quiet: .pageFile, once: false) == .wait(until: t0 + 0.3))
        #expect(PageFileRule.step(change: .scanned, since: t0, now: t0 + 0.3, quiet: .pageFile, once: false) == .review)
        #expect(PageFileRule.step(change: .changed, since: t0, now: t0, quiet: .pageFile, once: true) == .review)
    }

    @Test("Closed after writing or renamed into place: read at once if it parses, else it waits (it may be mid-save)",
          arguments: [FileChange.closedAfterWriting, .renamedIn])
    func writerFinished(_ change: FileChange) {
        #expect(PageFileRule.step(change: change, since: t0, now: t0, quiet: .pageFile, once: false, parses: true) == .review)
        #expect(PageFileRule.step(change: change, since: t0, now: t0, quiet: .pageFile, once: false, parses: false) == .wait(until: t0 + 0.3))
        #expect(PageFileRule.step(change: change, since: t0, now: t0, quiet: .pageFile, once: false) == .wait(until: t0 + 0.3))
        // A change in place (an editor writing over the file) is no word that the writer is done.
        #expect(PageFileRule.step(change: .changed, since: t0, now: t0, quiet: .pageFile, once: false, parses: true) == .wait(until: t0 + 0.3))
    }
}
