import LabelmillCore
import Testing

/// The named states of the workflow and their transitions (SPEC sections 1-3), no disk.
@Suite("Workflow states")
struct WorkflowStateTests {
    let t0 = 1_000_000.0

    func settings(_ tags: [String] = ["a", "b"]) throws -> ProjectSettings {
        try ProjectSettings(bytes: Array("{\"task\": \"multi-class\", \"tags\": [\(tags.map { "\"\($0)\"" }.joined(separator: ", "))]}".utf8))
    }

    @Test("Project: unconfigured until read, waiting for space on a full disk, ready again after")
    func projectPhases() throws {
        let s = try settings()
        var phase = ProjectPhase.unconfigured(reason: "missing")
        #expect(phase.settings == nil)
        #expect(phase.diskFull == phase, "an unconfigured project runs no step")
        phase = phase.configured(s)
        #expect(phase == .ready(s))
        phase = phase.diskFull
        #expect(phase == .waitingForSpace(s))
        #expect(phase.isWaitingForSpace)
        // project.json changes while the disk is full: still waiting, with the new settings.
        let more = try settings(["a", "b", "c"])
        phase = phase.configured(more)
        #expect(phase == .waitingForSpace(more))
        phase = phase.spaceAgain
        #expect(phase == .ready(more))
        #expect(phase.spaceAgain == phase)
    }

    @Test("Page: open -> held -> submitted -> rejected -> submitted -> done", arguments: [
        (PagePhase.queued, PagePhase.Event.assigned(to: "ann"), PagePhase?.some(.held(by: "ann"))),
        (.held(by: "ann"), .submitted, .submitted(by: "ann")),
        (.submitted(by: "ann"), .rejected, .rejected(by: "ann")),
        (.rejected(by: "ann"), .submitted, .submitted(by: "ann")),
        (.submitted(by: "ann"), .accepted, .done),
        (.held(by: "ann"), .returned, .queued),
        (.rejected(by: "ann"), .returned, .queued),
        (.queued, .submitted, .submitted(by: nil)),
        (.held(by: "ann"), .restored, .queued),
        (.submitted(by: "ann"), .restored, .queued),
        // What cannot happen: a done page never changes; no acceptance without a submission.
        (.done, .restored, nil),
        (.done, .submitted, nil),
        (.held(by: "ann"), .accepted, nil),
        (.queued, .rejected, nil),
        (.held(by: "ann"), .assigned(to: "bob"), nil),
    ])
    func pageTransitions(from: PagePhase, event: PagePhase.Event, to: PagePhase?) {
        #expect(from.after(event) == to)
    }

    @Test("The revision goes up when a page changes hands, not when it is rejected", arguments: [
        (PagePhase.Event.assigned(to: "ann"), 3), (.returned, 3), (.restored, 3),
        (.submitted, 2), (.rejected, 2), (.accepted, 2),
    ])
    func revisions(event: PagePhase.Event, revision: Int) {
        #expect(PagePhase.revision(2, after: event) == revision)
    }

    func seat(_ name: String, signedIn: Bool = true, held: Int, since: Double?) -> LabelerSeat {
        LabelerSeat(name: name, signedIn: signedIn, held: held, lease: Lease(labeler: name, assigned: since))
    }

    @Test("Staffing: signed-in labelers are kept filled; signed-out ones are not")
    func refill() {
        let actions = Staffing.actions(for: [seat("ann", held: 0, since: nil), seat("bob", signedIn: false, held: 0, since: nil),
                                             seat("cy", held: 2, since: t0)],
                                       pagesPerLabeler: 2, leaseMinutes: 60, now: t0 + 60)
        #expect(actions == [.fill(labeler: "ann", upTo: 2), .fill(labeler: "cy", upTo: 2)])
    }

    @Test("Staffing: a lease that ran out times the labeler out, signed in or not, and gives no new pages")
    func expiry() {
        let seats = [seat("ann", held: 1, since: t0), seat("bob", signedIn: false, held: 1, since: t0), seat("cy", held: 1, since: t0 + 30 * 60)]
        let actions = Staffing.actions(for: seats, pagesPerLabeler: 1, leaseMinutes: 60, now: t0 + 60 * 60)
        #expect(actions == [.expireLease(labeler: "ann"), .expireLease(labeler: "bob"), .fill(labeler: "cy", upTo: 1)])
        #expect(Staffing.phase(of: seats[0], after: actions) == .timedOut)
        #expect(Staffing.phase(of: seats[2], after: actions) == .signedIn)
        #expect(Staffing.phase(of: seat("dee", signedIn: false, held: 0, since: nil), after: actions) == .signedOut)
        // Holding nothing, nothing expires.
        #expect(Staffing.actions(for: [seat("ann", held: 0, since: t0)], pagesPerLabeler: 1, leaseMinutes: 60, now: t0 + 1e6)
            == [.fill(labeler: "ann", upTo: 1)])
    }

    @Test("Staffing: a leave request returns the held pages of a signed-out labeler, before any lease rule; nothing else does")
    func leaveRequest() {
        var leaving = seat("ann", signedIn: false, held: 2, since: t0)
        leaving.leaveRequested = true
        var nothingHeld = seat("bob", signedIn: false, held: 0, since: nil)
        nothingHeld.leaveRequested = true
        let plain = seat("cy", signedIn: false, held: 1, since: t0)
        let actions = Staffing.actions(for: [leaving, nothingHeld, plain], pagesPerLabeler: 2, leaseMinutes: 60, now: t0 + 61 * 60)
        #expect(actions == [.returnPages(labeler: "ann"), .expireLease(labeler: "cy")])
        #expect(Staffing.phase(of: leaving, after: actions) == .left)
        #expect(Staffing.phase(of: nothingHeld, after: actions) == .signedOut)
        // An old SIGNED-OUT.txt (no request) keeps the pages until the lease runs out.
        #expect(Staffing.actions(for: [plain], pagesPerLabeler: 2, leaseMinutes: 60, now: t0 + 60) == [])
    }

    @Test("Staffing: `leave` then `next` (a move by a command) starts the lease from the new page's files")
    func leaveAndNext() {
        var lease = Lease(labeler: "ann")
        lease.assign(at: t0)
        // The page the command moved in: its files, first seen by the daemon, date from t0 + 50 min.
        lease.touch(at: t0 + 50 * 60)
        let actions = Staffing.actions(for: [LabelerSeat(name: "ann", signedIn: true, held: 1, lease: lease)],
                                       pagesPerLabeler: 1, leaseMinutes: 60, now: t0 + 61 * 60)
        #expect(actions == [.fill(labeler: "ann", upTo: 1)])
    }
}

/// A page in no folder of Watch: restored at once at start-up and in --once,
/// after a grace period while watching (it may be changing hands).
@Suite("Missing page")
struct MissingPageTests {
    let t0 = 1_000_000.0

    @Test("While watching: restored once missing for the grace period")
    func grace() {
        let grace = QuietPeriod(seconds: 2)
        #expect(MissingPage.step(missingSince: nil, now: t0, grace: grace, immediately: false) == .wait(since: t0))
        #expect(MissingPage.step(missingSince: t0, now: t0 + 1.9, grace: grace, immediately: false) == .wait(since: t0))
        #expect(MissingPage.step(missingSince: t0, now: t0 + 2, grace: grace, immediately: false) == .restore)
        // Set aside by the daemon itself: no waiting.
        #expect(MissingPage.step(missingSince: -.infinity, now: t0, grace: grace, immediately: false) == .restore)
        #expect(MissingPage.step(missingSince: nil, now: t0, grace: grace, immediately: true) == .restore)
    }

    @Test("Restored open, held by no one, labels kept, errors dropped, one revision up")
    func restoredPage() {
        let image = PageImage(file: "a.png", width: 4, height: 3, source: "a.png", sha256: "aa", tags: ["cat"])
        let copy = PageManifest(schema: "", project: "p", page: "page-000001", revision: 3, task: .multiClass, tags: ["cat"],
                                status: .rejected, images: [image], assignedTo: "ann",
                                errors: [PageError(line: 1, column: 1, pointer: "", message: "x")])
        let back = MissingPage.restored(copy)
        #expect(back.status == .open)
        #expect(back.assignedTo == nil)
        #expect(back.errors == nil)
        #expect(back.revision == 4)
        #expect(back.images == copy.images)
    }
}
