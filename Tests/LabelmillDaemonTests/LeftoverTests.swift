import Foundation
import LabelmillCore
import LabelmillDaemon
import LabelmillFS
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A stop after a batch of pages was journaled and before the inbox originals
/// moved into the page folders leaves each original in the inbox as a hard
/// link of the daemon's kept image, and the page folder missing.
@Suite("Inbox leftovers of a stop while paging, on a mock clock")
struct LeftoverTests {
    @Test("The leftover goes when its page is restored, so it is never refused as a duplicate once the page is done")
    func leftoverGoesWithTheRestore() throws {
        let f = try DaemonFixture(pages: 1)
        let images = f.workspace.copies("p") + "/images"
        let kept = try #require(f.list(images).first)
        // The state such a stop leaves.
        try FileManager.default.removeItem(atPath: f.page("page-000001", .queue))
        #expect(link(images + "/" + kept, f.workspace.inbox("p") + "/circle-1.png") == 0)
        try f.restart()
        // Inbox files wait long here, so the page is done before the leftover is looked at.
        f.engine.settleSeconds = 10
        f.watchPass()
        #expect(f.list(f.workspace.inbox("p")) == ["project.json"])
        #expect(f.queued == ["page-000001"])
        // Labeled and handed in at once, before the leftover would have settled.
        try f.label(f.page("page-000001", .queue), status: "submitted")
        f.watchPass(after: 5)
        #expect(f.list(f.workspace.outbox("p")).contains("page-000001"))
        f.watchPass(after: 11)
        f.watchPass(after: 11)
        #expect(f.list(f.workspace.outbox("p") + "/page-000001").sorted() == ["circle-1.png", "page.json"])
        #expect(f.list(f.workspace.rejected("p")).isEmpty)
        #expect(f.events("rejected").isEmpty)
    }

    @Test("A leftover beside its page (a stop between a restore and its clean-up) goes before the page's kept images do")
    func leftoverBesideItsPage() throws {
        let f = try DaemonFixture(pages: 1)
        let images = f.workspace.copies("p") + "/images"
        let kept = try #require(f.list(images).first)
        #expect(link(images + "/" + kept, f.workspace.inbox("p") + "/circle-1.png") == 0)
        try f.restart()
        f.engine.settleSeconds = 10
        try f.label(f.page("page-000001", .queue), status: "submitted")
        f.watchPass(after: 5)
        #expect(f.list(f.workspace.outbox("p")).contains("page-000001"))
        #expect(f.list(f.workspace.inbox("p")) == ["project.json"])
        f.watchPass(after: 11)
        f.watchPass(after: 11)
        #expect(f.list(f.workspace.rejected("p")).isEmpty)
        #expect(f.events("rejected").isEmpty)
    }
}
