import LabelmillCore
import Testing

/// Choosing the live copy of a page from what the edge read, and the notes of
/// the copies set aside: no disk.
@Suite("Live copy of a page")
struct LiveCopyTests {
    let outbox = "Outbox/p/page-000001"

    func copy(revision: Int, holder: String?, status: PageStatus = .open) -> PageManifest {
        PageManifest(schema: "", project: "p", page: "page-000001", revision: revision, task: .multiClass, tags: ["a"],
                     status: status, images: [], assignedTo: holder)
    }

    func at(_ name: String?, _ revision: PageCopy.Revision) -> PageCopy {
        let folder = name.map { "Watch/p/labelers/\($0)/page-000001" } ?? "Watch/p/queue/page-000001"
        return PageCopy(folder: folder, place: name.map { .labeler($0) } ?? .queue, revision: revision)
    }

    func choose(_ copies: [PageCopy], _ daemonCopy: PageManifest?) -> LiveCopyChoice {
        LiveCopy.choose(page: "page-000001", project: "p", copies: copies, daemonCopy: daemonCopy, outbox: outbox)
    }

    @Test("The holder's current copy is live; nothing set aside")
    func single() {
        let choice = choose([at("ann", .number(2))], copy(revision: 2, holder: "ann"))
        #expect(choice.live == at("ann", .number(2)))
        #expect(choice.setAside.isEmpty)
    }

    @Test("An earlier holder's copy is stale; the holder's is live")
    func stale() {
        let choice = choose([at("bob", .number(1)), at("ann", .number(3))], copy(revision: 3, holder: "ann"))
        #expect(choice.live?.place == .labeler("ann"))
        #expect(choice.setAside.map(\.reason) == [.staleCopy(revision: 1, current: 3)])
    }

    @Test("A current copy moved into someone else's folder is the wrong holder's")
    func wrongHolder() {
        let choice = choose([at("bob", .number(2))], copy(revision: 2, holder: "ann"))
        #expect(choice.live == nil)
        #expect(choice.setAside.map(\.reason) == [.wrongHolder(foundIn: "bob", holder: "ann")])
        let queued = choose([at("bob", .number(2)), at(nil, .number(2))], copy(revision: 2, holder: nil))
        #expect(queued.live?.place == .queue)
        #expect(queued.setAside.map(\.reason) == [.wrongHolder(foundIn: "bob", holder: nil)])
    }

    @Test("Two current copies: the holder's is kept, the other is a second copy")
    func secondCopy() {
        let choice = choose([at(nil, .number(2)), at("ann", .number(2))], copy(revision: 2, holder: nil))
        #expect(choice.live?.place == .queue)
        #expect(choice.setAside.map(\.reason) == [.wrongHolder(foundIn: "ann", holder: nil)])
        // Two copies in the queue's place (a copy by hand): the first is kept.
        let twice = choose([at(nil, .number(2)), PageCopy(folder: "Watch/p/queue/x", place: .queue, revision: .number(2))], copy(revision: 2, holder: nil))
        #expect(twice.live?.folder == "Watch/p/queue/page-000001")
        #expect(twice.setAside.map(\.reason) == [.secondCopy(live: "Watch/p/queue/page-000001")])
    }

    @Test("A page.json mid-save stays a candidate; a folder without one goes aside")
    func unreadableAndMissing() {
        let saving = choose([at("ann", .unreadable)], copy(revision: 2, holder: "ann"))
        #expect(saving.live == at("ann", .unreadable))
        #expect(saving.setAside.isEmpty)
        let lost = choose([at("ann", .missing)], copy(revision: 2, holder: "ann"))
        #expect(lost.live == nil)
        #expect(lost.setAside.map(\.reason) == [.lostPageJSON])
    }

    @Test("Copies of a done page, or of a page the daemon never made, all go aside")
    func doneAndNotOurs() {
        let done = choose([at("ann", .number(2)), at(nil, .missing)], copy(revision: 2, holder: "ann", status: .done))
        #expect(done.live == nil)
        #expect(done.setAside.map(\.reason) == [.alreadyDone(outbox: outbox), .alreadyDone(outbox: outbox)])
        let strange = choose([at("ann", .number(1))], nil)
        #expect(strange.setAside.map(\.reason) == [.notOurs(project: "p")])
    }

    @Test("Notes are made from the reason and the live place")
    func notes() {
        let from = "Watch/p/labelers/bob/page-000001"
        let stale = ConflictReason.staleCopy(revision: 1, current: 3).note(page: "page-000001", from: from, livePlace: "Watch/p/labelers/ann/page-000001")
        #expect(stale == "a stale copy of page-000001 (revision 1; the page is at revision 3 and has changed hands since). "
            + "The live page is Watch/p/labelers/ann/page-000001. Nothing was applied.\n"
            + "It came from \(from). To use its labels, copy them into the live page by hand.\n")
        let restoring = ConflictReason.wrongHolder(foundIn: "bob", holder: nil).note(page: "page-000001", from: from, livePlace: nil)
        #expect(restoring.contains("the page is not held by anyone"))
        #expect(restoring.contains("The live page is being restored to the queue. Nothing was applied."))
        #expect(ConflictReason.staleCopy(revision: 1, current: 2).namesLivePlace)
        #expect(!ConflictReason.secondCopy(live: "x").namesLivePlace)
        #expect(ConflictReason.misplaced(doneAt: nil).namesLivePlace)
        #expect(!ConflictReason.misplaced(doneAt: outbox).namesLivePlace)
        #expect(ConflictReason.misplaced(doneAt: outbox).note(page: "page-000001", from: "Watch/p/labelers/page-000001", livePlace: nil)
            .contains("The completed page is \(outbox). Nothing was applied."))
        #expect(ConflictReason.misplaced(doneAt: nil).folderTag == "misplaced")
        #expect(ConflictReason.lostPageJSON.folderTag == nil)
        let sync = ConflictReason.syncConflict(files: ["page.sync-conflict-1.json"]).note(page: "page-000001", from: from, livePlace: from)
        #expect(sync.hasPrefix("Syncthing found page.sync-conflict-1.json changed on two machines at once"))
        #expect(!sync.contains("It came from"))
    }

    @Test("No note carries a placeholder for the caller to patch", arguments: [
        ConflictReason.notOurs(project: "p"), .alreadyDone(outbox: "o"), .lostPageJSON, .staleCopy(revision: 1, current: 2),
        .wrongHolder(foundIn: "bob", holder: "ann"), .secondCopy(live: "l"), .misplaced(doneAt: nil), .misplaced(doneAt: "o"),
        .unreadableAtTimeOut, .syncConflict(files: ["a"]),
    ])
    func noPlaceholder(_ reason: ConflictReason) {
        let text = reason.note(page: "page-000001", from: "f", livePlace: "l")
        #expect(!text.contains("LIVE_PAGE"))
        #expect(text.hasSuffix(".\n"))
        #expect(text.contains("page-000001") || text.contains("f"))
    }
}
