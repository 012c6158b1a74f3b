import Foundation
import LabelmillCore
import LabelmillDaemon
import LabelmillFS
import Testing

/// The daemon driven by watcher events, on a mock clock: each event is acted
/// on at once, without waiting for a pass or a quiet period when the file is whole.
@Suite("Acting on events, on a mock clock")
struct EventRoutingTests {
    /// A fixture whose labeler ann holds page-000001; files written now look fresh to the daemon.
    static func holding() throws -> DaemonFixture {
        let f = try DaemonFixture(pages: 2)
        try f.signIn("ann")
        f.watchPass()
        #expect(f.held("ann") == ["page-000001"])
        return f
    }

    static func event(_ kind: WatchEvent.Kind, _ path: String, folder: Bool = false) -> WatchEvent {
        WatchEvent(kind, folder: Path.parent(path), rawName: Array(Path.name(path).utf8), isFolder: folder)
    }

    @Test("A submitted page.json renamed into place is accepted on its event, with no quiet period")
    func submissionOnEvent() throws {
        let f = try Self.holding()
        let folder = f.page("page-000001", .labeler("ann"))
        try f.label(folder, status: "submitted")
        f.engine.react(WatchBatch(events: [Self.event(.renamedIn, folder + "/page.json")]))
        #expect(LocalPaths.exists(f.page("page-000001", .outbox) + "/page.json"))
        // The labeler is refilled in the same step.
        #expect(f.held("ann") == ["page-000002"])
    }

    @Test("A save landing while the page is checked is a version of its own: reviewed on its event, not taken as handled")
    func saveDuringCheckIsReviewedOnItsEvent() throws {
        let f = try Self.holding()
        let folder = f.page("page-000001", .labeler("ann"))
        try f.label(folder, tag: "sqare", status: "submitted")
        var saved = false
        f.engine.afterCheck = { checked in
            guard !saved else { return }
            saved = true
            try? f.label(checked, tag: "square", status: "submitted")
        }
        f.engine.react(WatchBatch(events: [Self.event(.renamedIn, folder + "/page.json")]))
        #expect(saved)
        #expect(!LocalPaths.exists(f.page("page-000001", .outbox)), "the checked version was not rewritten over the newer save")
        f.engine.react(WatchBatch(events: [Self.event(.renamedIn, folder + "/page.json")]))
        #expect(LocalPaths.exists(f.page("page-000001", .outbox) + "/page.json"))
    }

    @Test("A leave request (SIGNED-OUT.txt from `leave` in a shared root) returns the held pages on its event; an old SIGNED-OUT.txt does not")
    func leaveRequestOnEvent() throws {
        let f = try Self.holding()
        try f.label(f.page("page-000001", .labeler("ann")), tag: "square")
        let note = f.workspace.labeler("p", "ann") + "/SIGNED-OUT.txt"
        try LocalPaths.writeAtomically(note, Array("Signed out with `labelmill leave`; an old copy a sync brought back\n".utf8))
        f.engine.react(WatchBatch(events: [Self.event(.renamedIn, note)]))
        #expect(f.held("ann") == ["SIGNED-OUT.txt", "page-000001"])
        try WorkQueue(workspace: f.workspace, project: "p").requestLeave("ann")
        f.engine.react(WatchBatch(events: [Self.event(.renamedIn, note)]))
        #expect(f.held("ann") == ["SIGNED-OUT.txt"])
        #expect(f.queued == ["page-000001", "page-000002"])
        #expect(try f.manifest(f.page("page-000001", .queue))["images"]?.arrayValue?.first?["tags"] == .array([.string("square")]), "labels kept")
        #expect(f.events("returned").count == 1)
        #expect(try !LocalPaths.read(note).bytes.starts(with: WorkQueue.leaveRequestLine.utf8), "the request is carried out once")
        // Signed out: no new pages.
        f.engine.react(WatchBatch(events: [Self.event(.renamedIn, note)]))
        #expect(f.held("ann") == ["SIGNED-OUT.txt"])
    }

    @Test("The same save seen by a pass waits the quiet period (the file was just written)")
    func submissionOnPassWaits() throws {
        let f = try Self.holding()
        let folder = f.page("page-000001", .labeler("ann"))
        try f.label(folder, status: "submitted")
        f.engine.pass(once: false)
        #expect(!LocalPaths.exists(f.page("page-000001", .outbox)))
    }

    @Test("A submitted page.json that does not parse gets ERRORS.txt only after the quiet period")
    func brokenSubmissionWaits() throws {
        let f = try Self.holding()
        let folder = f.page("page-000001", .labeler("ann"))
        try LocalPaths.writeAtomically(folder + "/page.json", Array("{\"status\": \"submitted\", ".utf8))
        f.engine.react(WatchBatch(events: [Self.event(.closedAfterWrite, folder + "/page.json")]))
        #expect(!LocalPaths.exists(folder + "/ERRORS.txt"))
        #expect(f.events("rejected").isEmpty)
        f.clock.now += 1
        f.engine.tick()
        #expect(LocalPaths.exists(folder + "/ERRORS.txt"))
        #expect(f.events("rejected").count == 1)
    }

    @Test("A whole image renamed into the inbox is paged on its event; a truncated one is refused only after the quiet period")
    func inboxOnEvent() throws {
        let f = try DaemonFixture(pages: 0)
        let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Inbox/sample").path
        let whole = f.workspace.inbox("p") + "/circle-1.png"
        try DaemonFixture.copySample("circle-1.png", from: samples, to: whole)
        let cut = f.workspace.inbox("p") + "/square-1.png"
        try DaemonFixture.copySample("square-1.png", from: samples, to: cut)
        let bytes = try LocalPaths.read(cut).bytes
        try LocalPaths.writeAtomically(cut, bytes.prefix(bytes.count / 2))
        f.engine.react(WatchBatch(events: [Self.event(.renamedIn, whole), Self.event(.renamedIn, cut)]))
        #expect(f.queued == ["page-000001"])
        #expect(!LocalPaths.exists(whole))
        #expect(LocalPaths.exists(cut), "a writer may still open it again")
        f.clock.now += f.engine.settleSeconds
        f.engine.tick()
        #expect(!LocalPaths.exists(cut))
        #expect(f.list(f.workspace.rejected("p")) == ["square-1.png", "square-1.png.reason.txt"])
    }

    @Test("A page folder deleted by a labeler is restored after its quiet period, from one event")
    func vanishedPageRestored() throws {
        let f = try Self.holding()
        let folder = f.page("page-000001", .labeler("ann"))
        try FileManager.default.removeItem(atPath: folder)
        f.engine.react(WatchBatch(events: [Self.event(.deleted, folder, folder: true)]))
        #expect(f.events("restored").isEmpty)
        f.clock.now += 2
        f.engine.tick()
        #expect(f.events("restored").count == 1)
        #expect(f.queued == ["page-000001"])
        #expect(try f.manifest(f.page("page-000001", .queue))["revision"]?.numberValue == 3)
    }

    @Test("Labelers are filled from the queue order kept in memory, oldest page first")
    func fillFromKeptOrder() throws {
        let f = try DaemonFixture(pages: 4)
        f.engine.tick()  // a rescan starts: the queue is listed once
        while f.engine.nextDeadline <= f.clock.now { f.engine.tick() }
        try f.signIn("bob")
        f.engine.react(WatchBatch(events: [Self.event(.created, f.workspace.labeler("p", "bob"), folder: true)]))
        #expect(f.held("bob") == ["page-000001"])
        try f.signIn("cat")
        f.engine.react(WatchBatch(events: [Self.event(.created, f.workspace.labeler("p", "cat"), folder: true)]))
        #expect(f.held("cat") == ["page-000002"])
    }

    @Test("The periodic rescan keeps to its share of the work clock; one after lost events runs at once, slice after slice")
    func rescanBudget() throws {
        let f = try DaemonFixture(pages: 4)
        f.engine.tick()  // the first rescan: flat out
        #expect(f.engine.nextDeadline >= f.clock.now + f.engine.rescanSeconds - 1)
        // Each look at the work clock finds 5 ms more spent: at 0.5%, the next slice waits a second.
        var spent = 0.0
        f.engine.workClock = {
            spent += 0.005
            return spent
        }
        f.clock.now += f.engine.rescanSeconds
        f.engine.tick()
        #expect(abs(f.engine.nextDeadline - (f.clock.now + 1)) < 0.01)
        f.clock.now += 1
        f.engine.tick()  // the one slice of four pages: the rescan is over
        #expect(f.engine.nextDeadline >= f.clock.now + f.engine.rescanSeconds - 2)
        // Lost events: a rescan now, over the budget.
        f.clock.now += f.engine.rescanSeconds
        f.engine.tick()
        #expect(f.engine.nextDeadline > f.clock.now)
        f.engine.react(WatchBatch(rescanAll: true))
        #expect(f.engine.nextDeadline <= f.clock.now)
        f.engine.tick()  // starts over, flat out: four pages are one slice
        #expect(f.engine.nextDeadline >= f.clock.now + f.engine.rescanSeconds - 1)
    }

    @Test("An idle daemon has nothing due before the next rescan")
    func idleSleeps() throws {
        let f = try DaemonFixture(pages: 1)
        f.engine.tick()
        while f.engine.nextDeadline <= f.clock.now { f.engine.tick() }
        #expect(f.engine.nextDeadline >= f.clock.now + f.engine.rescanSeconds - 1)
    }
}
