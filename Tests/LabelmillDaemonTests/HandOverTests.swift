import Foundation
import LabelmillCore
import LabelmillDaemon
import LabelmillFS
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A page changing hands (`labelmill next`, the web page's sign-in, `leave`)
/// is taken aside in one rename and the rebuilt folder renamed in after: for
/// a moment it is in no place. The daemon must not restore it in that moment.
@Suite("Pages changing hands beside the daemon, on a mock clock")
struct HandOverTests {
    @Test("A page missing for a moment while another process moves it is not restored")
    func momentaryAbsenceIsNotALoss() throws {
        let f = try DaemonFixture(pages: 1)
        let queued = f.page("page-000001", .queue)
        let aside = f.workspace.conflicts("p") + "/page-000001.queue.mover"
        // The mover has taken the folder aside and not yet put the new one in.
        #expect(rename(queued, aside) == 0)
        f.watchPass(after: 0.5)
        #expect(f.queued.isEmpty)
        #expect(f.events("restored").isEmpty)
        // The mover finishes (here: puts it back, as a mover that lost a race does).
        #expect(rename(aside, queued) == 0)
        f.watchPass(after: 0.5)
        f.watchPass(after: 5)
        #expect(f.queued == ["page-000001"])
        #expect(f.events("restored").isEmpty)
        #expect(f.conflicts.isEmpty)
    }

    @Test("A page deleted while the daemon watches is restored once it stays missing")
    func deletedPageIsRestoredAfterTheGrace() throws {
        let f = try DaemonFixture(pages: 1)
        try FileManager.default.removeItem(atPath: f.page("page-000001", .queue))
        f.watchPass(after: 0.5)
        #expect(f.events("restored").isEmpty)
        f.watchPass(after: 1)
        f.watchPass(after: 1)
        #expect(f.queued == ["page-000001"])
        #expect(f.events("restored").count == 1)
        #expect(try f.manifest(f.page("page-000001", .queue))["revision"]?.numberValue == 2)
    }

    @Test("A real hand-over by the work queue while the daemon watches: one live page, labels kept, nothing restored")
    func handOverBesideTheDaemon() throws {
        let f = try DaemonFixture(pages: 1)
        try f.signIn("ann")
        // As the web page's sign-in does: its own work queue fills ann's folder.
        let queue = WorkQueue(workspace: f.workspace, project: "p", now: { f.clock.now })
        #expect(try queue.fill("ann", upTo: 1) == ["page-000001"])
        try f.label(f.page("page-000001", .labeler("ann")), tag: "square")
        for _ in 0..<4 { f.watchPass(after: 1) }
        #expect(f.held("ann") == ["page-000001"])
        #expect(f.queued.isEmpty)
        #expect(f.events("restored").isEmpty)
        let page = try f.manifest(f.page("page-000001", .labeler("ann")))
        #expect(page["images"]?.arrayValue?.first?["tags"] == .array([.string("square")]))
    }
}
