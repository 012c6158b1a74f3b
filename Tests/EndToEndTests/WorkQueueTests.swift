import Foundation
import LabelmillCore
import TestSupport
import Testing

/// The work queue as people and sync tools use it: labeler folders filled and
/// refilled, sign-out and time-outs, copies pushed back by real rsync, and the
/// save patterns of editors and sync tools. Each test runs the built binary on
/// its own workspace.
@Suite("Work queue: assignment, leases, conflicts, restores, with real rsync")
struct WorkQueueTests {
    // MARK: Fixtures

    /// A project with `pages` one-image pages in the queue.
    func workspace(pages: Int, perLabeler: Int = 1, lease: String = "60") throws -> TempWorkspace {
        let ws = try TempWorkspace("queue")
        try ws.project("p", task: "multi-class", tags: ["Cat", "Dog"], pageSize: 1,
                       extra: ", \"pages_per_labeler\": \(perLabeler), \"lease_minutes\": \(lease)")
        try drop(ws, pages)
        try ws.run("watch", "--once")
        #expect(ws.queued.count == pages)
        return ws
    }

    /// Drops `count` distinct images into the inbox.
    func drop(_ ws: TempWorkspace, _ count: Int, from first: Int = 0) throws {
        for i in first..<first + count {
            try ws.write("Inbox/p/img\(i).png", PNGFixture.make(width: 6 + i % 5, height: 5, seed: UInt8(truncatingIfNeeded: 11 + i * 3)))
        }
    }

    /// Tags every image of the page in `folder` (an absolute path) and sets its status.
    func label(_ folder: String, tag: String = "Cat", status: String = "submitted") throws {
        try Data(JSONWriter.pretty(try labeled(folder, tag: tag, status: status)).utf8).write(to: URL(fileURLWithPath: folder + "/page.json"))
    }

    /// The page in `folder` with every image tagged and the status set, not yet written.
    func labeled(_ folder: String, tag: String, status: String = "submitted") throws -> JSONValue {
        var page = try self.page(folder)
        var images = try #require(page["images"]?.arrayValue, "no images in \(folder)/page.json")
        for i in images.indices { images[i].setMember("tags", .array([.string(tag)])) }
        page.setMember("images", .array(images))
        page.setMember("status", .string(status))
        return page
    }

    func page(_ path: String) throws -> JSONValue {
        try StrictJSON.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path + "/page.json")))).value
    }

    /// `rsync -a FROM/ TO/`, as a labeler syncs a laptop folder.
    func rsync(_ from: String, _ to: String, _ options: [String] = []) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/rsync")
        p.arguments = ["-a"] + options + [from + "/", to + "/"]
        let err = Pipe()
        p.standardError = err
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "rsync \(from) \(to): \(message)")
    }

    /// ann takes a page with `next` and pulls her folder (`remote`) to her laptop (`mine`) with rsync.
    func annTakesAPage(_ ws: TempWorkspace, to laptop: TempWorkspace) throws -> (mine: String, remote: String) {
        let mine = laptop.path("ann")
        let remote = ws.path("Watch/p/labelers/ann")
        try ws.run("next", "p", "--as", "ann")
        try rsync(remote, mine)
        return (mine, remote)
    }

    /// Every place in Watch and the outbox where a page folder with this id lives.
    func places(of id: String, in ws: TempWorkspace) -> [String] {
        var found: [String] = []
        if ws.list("Watch/p/queue").contains(id) { found.append("Watch/p/queue/\(id)") }
        for name in ws.list("Watch/p/labelers") where ws.list("Watch/p/labelers/\(name)").contains(id) {
            found.append("Watch/p/labelers/\(name)/\(id)")
        }
        if ws.list("Outbox/p").contains(id) { found.append("Outbox/p/\(id)") }
        return found
    }

    func events(_ ws: TempWorkspace) throws -> [JSONValue] {
        guard ws.exists("Outbox/p/events.jsonl") else { return [] }
        return try ws.read("Outbox/p/events.jsonl").split(separator: "\n").map { try StrictJSON.parse(Array($0.utf8)).value }
    }

    func events(_ ws: TempWorkspace, _ kind: String) throws -> [JSONValue] {
        try events(ws).filter { $0["event"]?.stringValue == kind }
    }

    func statusJSON(_ ws: TempWorkspace) throws -> JSONValue {
        let out = try ws.run("status", "p", "--json").stdout
        let root = try StrictJSON.parse(Array(out.utf8)).value
        return try #require(root["projects"]?.arrayValue?.first)
    }

    // MARK: 1. Assignment

    @Test("Signing in by folder or with next fills to pages_per_labeler; a submission is refilled; an empty queue says so")
    func assignmentAndRefill() throws {
        let ws = try workspace(pages: 5, perLabeler: 2)
        // Sign in as over ssh: create the folder.
        try FileManager.default.createDirectory(atPath: ws.path("Watch/p/labelers/ann"), withIntermediateDirectories: true)
        try ws.run("watch", "--once")
        #expect(ws.list("Watch/p/labelers/ann") == ["page-000001", "page-000002"])
        let held = try ws.pageJSON("Watch/p/labelers/ann/page-000001")
        #expect(held["assigned_to"]?.stringValue == "ann")
        #expect(held["revision"]?.numberValue == 2)
        #expect(held["$schema"]?.stringValue == "../../../../page.schema.json")
        #expect(try ws.pageJSON("Watch/p/queue/page-000003")["revision"]?.numberValue == 1)

        // Sign in with the verb: prints the held pages' paths.
        let next = try ws.run("next", "p", "--as", "bob")
        #expect(next.stdout.split(separator: "\n").map(String.init) == [ws.path("Watch/p/labelers/bob/page-000003"), ws.path("Watch/p/labelers/bob/page-000004")])
        // Asking again holds the same pages, takes no more.
        #expect(try ws.run("next", "p", "--as", "bob").stdout == next.stdout)

        // An accepted submission is refilled from the queue.
        try label(ws.path("Watch/p/labelers/ann/page-000001"))
        try ws.run("watch", "--once")
        #expect(ws.exists("Outbox/p/page-000001/page.json"))
        #expect(ws.list("Watch/p/labelers/ann") == ["page-000002", "page-000005"])
        #expect(ws.queued.isEmpty)

        // The queue is empty: next says so, exits 1, and the folder holds NO-MORE-PAGES.txt.
        let empty = try ws.run("next", "p", "--as", "carol", expect: 1)
        #expect(empty.stderr.contains("no more pages in p"))
        #expect(ws.list("Watch/p/labelers/carol") == ["NO-MORE-PAGES.txt"])
        #expect(try ws.read("Watch/p/labelers/carol/NO-MORE-PAGES.txt").count < 300)
        // New pages arrive by themselves and the notice goes.
        try drop(ws, 1, from: 10)
        try ws.run("watch", "--once")
        #expect(ws.list("Watch/p/labelers/carol") == ["page-000006"])

        let assigned = try events(ws, "assigned")
        #expect(assigned.count == 6)
        #expect(assigned.contains { $0["labeler"]?.stringValue == "bob" && $0["page"]?.stringValue == "page-000004" })
        let status = try statusJSON(ws)
        #expect(status["held"]?["ann"]?.numberValue == 2)
        #expect(status["held"]?["carol"]?.numberValue == 1)
        #expect(status["done"]?.numberValue == 1)
    }

    // MARK: rsync round trip

    @Test("rsync round trip: sign in by rsync, pull, label on a laptop, push back, the page reaches the outbox")
    func rsyncRoundTrip() throws {
        let ws = try workspace(pages: 2)
        let laptop = try TempWorkspace("laptop")
        let mine = laptop.path("ann")
        try FileManager.default.createDirectory(atPath: mine, withIntermediateDirectories: true)
        let remote = ws.path("Watch/p/labelers/ann")
        // Pushing an empty folder creates the labeler folder: a sign-in.
        try rsync(mine, remote)
        try ws.run("watch", "--once")
        #expect(ws.list("Watch/p/labelers/ann") == ["page-000001"])

        try rsync(remote, mine)
        #expect(laptop.list("ann/page-000001") == ["img0.png", "page.json"])
        try label(mine + "/page-000001", tag: "Dog")
        try rsync(mine, remote)
        try ws.run("watch", "--once")

        let done = try ws.pageJSON("Outbox/p/page-000001")
        #expect(done["status"]?.stringValue == "done")
        #expect(done["assigned_to"]?.stringValue == "ann")
        #expect(done["images"]?.arrayValue?.first?["tags"] == .array([.string("Dog")]))
        #expect(ws.list("Outbox/p/page-000001") == ["img0.png", "page.json"])
        #expect(ws.list("Watch/p/conflicts").isEmpty)
        // Refilled: the next pull brings the next page; the finished one is gone with --delete.
        #expect(ws.list("Watch/p/labelers/ann") == ["page-000002"])
        try rsync(remote, mine, ["--delete"])
        #expect(laptop.list("ann") == ["page-000002"])
        #expect(places(of: "page-000001", in: ws) == ["Outbox/p/page-000001"])
    }

    // MARK: 3. Late and stale copies

    @Test("A late copy pushed back by rsync after reassignment goes to conflicts; the live page stays in one place")
    func lateCopyAfterReassignment() throws {
        let ws = try workspace(pages: 1)
        let laptop = try TempWorkspace("laptop")
        let (mine, remote) = try annTakesAPage(ws, to: laptop)

        // ann signs out; bob takes the page.
        let leave = try ws.run("leave", "p", "--as", "ann")
        #expect(leave.stderr.contains("1 page returned"))
        #expect(ws.exists("Watch/p/labelers/ann/SIGNED-OUT.txt"))
        #expect(try ws.pageJSON("Watch/p/queue/page-000001")["revision"]?.numberValue == 3)
        try ws.run("next", "p", "--as", "bob")
        #expect(try ws.pageJSON("Watch/p/labelers/bob/page-000001")["revision"]?.numberValue == 4)

        // ann labels her stale copy on the laptop and pushes it back.
        try label(mine + "/page-000001", tag: "Dog")
        try rsync(mine, remote)
        try ws.run("watch", "--once")

        #expect(places(of: "page-000001", in: ws) == ["Watch/p/labelers/bob/page-000001"])
        let conflicts = ws.list("Watch/p/conflicts")
        #expect(conflicts.count == 1)
        let kept = try #require(conflicts.first)
        #expect(kept.hasPrefix("page-000001.ann."))
        let note = try ws.read("Watch/p/conflicts/\(kept)/NOTE.txt")
        #expect(note.contains("stale"))
        #expect(note.contains("revision 2"))
        #expect(note.contains(ws.path("Watch/p/labelers/bob/page-000001")))
        // ann's labels are kept, not applied to bob's page.
        #expect(try ws.pageJSON("Watch/p/conflicts/\(kept)")["images"]?.arrayValue?.first?["tags"] == .array([.string("Dog")]))
        #expect(try ws.pageJSON("Watch/p/labelers/bob/page-000001")["images"]?.arrayValue?.first?["tags"] == .null)
        #expect(try statusJSON(ws)["conflicts"]?.numberValue == 1)
        let conflict = try events(ws, "conflict")
        #expect(conflict.count == 1)
        #expect(conflict.first?["labeler"]?.stringValue == "ann")
        #expect(try events(ws, "returned").count == 1)

        // bob finishes; ann pushes her copy once more: a page already done.
        try label(ws.path("Watch/p/labelers/bob/page-000001"))
        try ws.run("watch", "--once")
        #expect(places(of: "page-000001", in: ws) == ["Outbox/p/page-000001"])
        try rsync(mine, remote)
        try ws.run("watch", "--once")
        #expect(places(of: "page-000001", in: ws) == ["Outbox/p/page-000001"])
        #expect(try ws.pageJSON("Outbox/p/page-000001")["images"]?.arrayValue?.first?["tags"] == .array([.string("Cat")]))
        let second = try #require(ws.list("Watch/p/conflicts").first { $0 != kept })
        let doneNote = try ws.read("Watch/p/conflicts/\(second)/NOTE.txt")
        #expect(doneNote.contains("already done"))
        #expect(doneNote.contains(ws.path("Outbox/p/page-000001")))
        #expect(try statusJSON(ws)["conflicts"]?.numberValue == 2)
    }

    @Test("A page copied into another labeler's folder goes to conflicts; the holder keeps it")
    func copyIntoAnotherFolder() throws {
        let ws = try workspace(pages: 2)
        // zed signs in first; the copy lands in a folder that sorts before zed's.
        try ws.run("next", "p", "--as", "zed")
        try ws.run("next", "p", "--as", "ann")
        #expect(ws.list("Watch/p/labelers/zed").contains("page-000001"))
        // zed labels, then a sync tool copies zed's page into ann's folder too.
        try label(ws.path("Watch/p/labelers/zed/page-000001"), status: "open")
        try rsync(ws.path("Watch/p/labelers/zed/page-000001"), ws.path("Watch/p/labelers/ann/page-000001"))
        try ws.run("watch", "--once")
        #expect(places(of: "page-000001", in: ws) == ["Watch/p/labelers/zed/page-000001"])
        let kept = try #require(ws.list("Watch/p/conflicts").first)
        #expect(kept.hasPrefix("page-000001.ann."))
        #expect(try ws.pageJSON("Watch/p/labelers/zed/page-000001")["images"]?.arrayValue?.first?["tags"] == .array([.string("Cat")]))
    }

    // MARK: 2. Sign-out and time-outs

    @Test("leave returns held pages with their labels; next signs in again")
    func leaveKeepsLabels() throws {
        let ws = try workspace(pages: 3, perLabeler: 2)
        try ws.run("next", "p", "--as", "ann")
        try label(ws.path("Watch/p/labelers/ann/page-000001"), tag: "Dog", status: "open")
        try ws.run("leave", "p", "--as", "ann")
        #expect(ws.list("Watch/p/labelers/ann") == ["SIGNED-OUT.txt"])
        let returned = try ws.pageJSON("Watch/p/queue/page-000001")
        #expect(returned["images"]?.arrayValue?.first?["tags"] == .array([.string("Dog")]))
        #expect(returned["assigned_to"] == nil)
        #expect(returned["$schema"]?.stringValue == "../../../page.schema.json")
        // Signed out: the daemon gives ann nothing.
        try ws.run("watch", "--once")
        #expect(ws.list("Watch/p/labelers/ann") == ["SIGNED-OUT.txt"])
        // next signs in again.
        try ws.run("next", "p", "--as", "ann")
        #expect(ws.list("Watch/p/labelers/ann") == ["page-000001", "page-000002"])
        #expect(try ws.pageJSON("Watch/p/labelers/ann/page-000001")["images"]?.arrayValue?.first?["tags"] == .array([.string("Dog")]))
        #expect(try events(ws, "returned").count == 2)
        // Leaving twice is harmless; leaving a project never joined is an error.
        try ws.run("leave", "p", "--as", "ann")
        try ws.run("leave", "p", "--as", "ann")
        try ws.run("leave", "p", "--as", "nobody", expect: 1)
    }

    @Test("leave keeps a page whose page.json is not valid JSON where it is, and says so")
    func leaveWithBrokenPage() throws {
        let ws = try workspace(pages: 2, perLabeler: 2)
        try ws.run("next", "p", "--as", "ann")
        try ws.write("Watch/p/labelers/ann/page-000002/page.json", "{\"status\": \"open\",")
        let leave = try ws.run("leave", "p", "--as", "ann", expect: 1)
        #expect(leave.stderr.contains("1 page returned"))
        #expect(leave.stderr.contains("page-000002 stayed in"))
        #expect(ws.queued == ["page-000001"])
        #expect(ws.list("Watch/p/labelers/ann") == ["SIGNED-OUT.txt", "page-000002"])
        #expect(try ws.read("Watch/p/labelers/ann/page-000002/page.json") == "{\"status\": \"open\",")
    }

    @Test("Lease expiry: labels kept, SIGNED-OUT.txt; rsync's old file times do not count as idle; deleting the file signs in again")
    func leaseExpiry() throws {
        // 0.06 minutes = 3.6 s: room for a slow `watch --once` start on a loaded machine.
        let ws = try workspace(pages: 2, lease: "0.06")
        let laptop = try TempWorkspace("laptop")
        let (mine, remote) = try annTakesAPage(ws, to: laptop)
        try label(mine + "/page-000001", tag: "Dog", status: "open")
        // The laptop's clock says the save is an hour old; rsync -a carries that time over.
        let old = Date().addingTimeInterval(-3600)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: mine + "/page-000001/page.json")
        usleep(4_000_000)
        try rsync(mine, remote)
        let pushed = try FileManager.default.attributesOfItem(atPath: remote + "/page-000001/page.json")[.modificationDate] as? Date
        #expect(abs((pushed ?? Date()).timeIntervalSince(old)) < 1)
        try ws.run("watch", "--once")
        #expect(ws.list("Watch/p/labelers/ann") == ["page-000001"], "a push just now is activity, whatever file times it carries")

        usleep(4_000_000)
        try ws.run("watch", "--once")
        #expect(ws.list("Watch/p/labelers/ann") == ["SIGNED-OUT.txt"])
        let signedOut = try ws.read("Watch/p/labelers/ann/SIGNED-OUT.txt")
        #expect(signedOut.contains("labelmill next p --as ann"))
        let back = try ws.pageJSON("Watch/p/queue/page-000001")
        #expect(back["images"]?.arrayValue?.first?["tags"] == .array([.string("Dog")]))
        #expect(back["revision"]?.numberValue == 3)
        #expect(back["assigned_to"] == nil)
        let expired = try events(ws, "expired")
        #expect(expired.count == 1)
        #expect(expired.first?["labeler"]?.stringValue == "ann")
        #expect(expired.first?["page"]?.stringValue == "page-000001")

        // Deleting SIGNED-OUT.txt signs in again; the labels come back with the page.
        try FileManager.default.removeItem(atPath: remote + "/SIGNED-OUT.txt")
        try ws.run("watch", "--once")
        #expect(ws.list("Watch/p/labelers/ann") == ["page-000001"])
        #expect(try ws.pageJSON("Watch/p/labelers/ann/page-000001")["images"]?.arrayValue?.first?["tags"] == .array([.string("Dog")]))
    }

    // MARK: Restores

    @Test("A page folder a labeler deletes is restored from the daemon's copy, one revision later")
    func deletedPageRestored() throws {
        let ws = try workspace(pages: 1)
        try ws.run("next", "p", "--as", "ann")
        let original = try Data(contentsOf: URL(fileURLWithPath: ws.path("Watch/p/labelers/ann/page-000001/img0.png")))
        try FileManager.default.removeItem(atPath: ws.path("Watch/p/labelers/ann/page-000001"))
        try ws.run("watch", "--once")
        // Restored to the queue, then handed to ann again, who is still signed in.
        #expect(places(of: "page-000001", in: ws) == ["Watch/p/labelers/ann/page-000001"])
        let restored = try ws.pageJSON("Watch/p/labelers/ann/page-000001")
        #expect(restored["revision"]?.numberValue ?? 0 > 2)
        #expect(restored["images"]?.arrayValue?.first?["tags"] == .null)
        #expect(try Data(contentsOf: URL(fileURLWithPath: ws.path("Watch/p/labelers/ann/page-000001/img0.png"))) == original)
        #expect(try events(ws, "restored").count == 1)

        #expect(ws.list("Watch/p/conflicts").isEmpty)
    }

    @Test("A labeler's old copy pushed over a restored page is stale: kept in conflicts, the page stays live once")
    func oldCopyOverRestoredPage() throws {
        let ws = try workspace(pages: 1)
        let laptop = try TempWorkspace("laptop")
        let (mine, remote) = try annTakesAPage(ws, to: laptop)
        try label(mine + "/page-000001", tag: "Dog", status: "open")
        // A careless `rsync --delete` from an empty folder wipes the page on the server.
        let empty = laptop.path("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        try rsync(empty, remote, ["--delete"])
        try ws.run("watch", "--once")
        let restored = try ws.pageJSON("Watch/p/labelers/ann/page-000001")
        #expect(restored["revision"]?.numberValue ?? 0 > 2)
        // The old copy (revision 2) comes back over the restored page.
        try rsync(mine, remote)
        try ws.run("watch", "--once")
        #expect(places(of: "page-000001", in: ws).count == 1)
        let kept = try #require(ws.list("Watch/p/conflicts").first)
        #expect(try ws.pageJSON("Watch/p/conflicts/\(kept)")["images"]?.arrayValue?.first?["tags"] == .array([.string("Dog")]))
        #expect(try ws.read("Watch/p/conflicts/\(kept)/NOTE.txt").contains("revision 2"))
    }

    @Test("An image deleted from a held page is put back from the daemon's copy; the labels stay and the page is accepted")
    func deletedImagePutBack() throws {
        let ws = try workspace(pages: 1)
        try ws.run("next", "p", "--as", "ann")
        let folder = ws.path("Watch/p/labelers/ann/page-000001")
        let original = try Data(contentsOf: URL(fileURLWithPath: folder + "/img0.png"))
        try FileManager.default.removeItem(atPath: folder + "/img0.png")
        try label(folder, tag: "Dog")
        try ws.run("watch", "--once")
        #expect(try ws.pageJSON("Outbox/p/page-000001")["images"]?.arrayValue?.first?["tags"] == .array([.string("Dog")]))
        #expect(try Data(contentsOf: URL(fileURLWithPath: ws.path("Outbox/p/page-000001/img0.png"))) == original)
        #expect(try events(ws, "restored").first?["reason"]?.stringValue?.contains("img0.png") == true)
        #expect(try events(ws, "rejected").isEmpty)
    }

    @Test("rsync without the labeler's folder in the path: the page copy lands in labelers/ and goes to conflicts, never served as a labeler")
    func misplacedPush() throws {
        let ws = try workspace(pages: 2)
        let laptop = try TempWorkspace("laptop")
        try ws.run("next", "p", "--as", "ann")
        try rsync(ws.path("Watch/p/labelers/ann"), laptop.path("ann"))
        try label(laptop.path("ann/page-000001"), tag: "Dog")
        // `rsync -a ann/ server:Watch/p/labelers/`: the page folder arrives one level up.
        try rsync(laptop.path("ann"), ws.path("Watch/p/labelers"))
        #expect(ws.list("Watch/p/labelers") == ["ann", "page-000001"])
        try ws.run("watch", "--once")
        #expect(ws.list("Watch/p/labelers") == ["ann"])
        #expect(places(of: "page-000001", in: ws) == ["Watch/p/labelers/ann/page-000001"])
        #expect(ws.queued == ["page-000002"], "the misplaced folder was served pages as if it were a labeler")
        let kept = try #require(ws.list("Watch/p/conflicts").first)
        #expect(kept.hasPrefix("page-000001.misplaced."))
        let note = try ws.read("Watch/p/conflicts/\(kept)/NOTE.txt")
        #expect(note.contains(ws.path("Watch/p/labelers/ann/page-000001")))
        #expect(try ws.pageJSON("Watch/p/conflicts/\(kept)")["images"]?.arrayValue?.first?["tags"] == .array([.string("Dog")]))
        #expect(!(try ws.run("status", "p").stdout.contains("page-000001")))
        try ws.run("next", "p", "--as", "page-000007", expect: 2)

        // `rsync -a ann server:Watch/p/labelers/ann`: one level too deep.
        try rsync(laptop.path("ann"), ws.path("Watch/p/labelers/ann/ann"))
        try ws.run("watch", "--once")
        #expect(ws.list("Watch/p/labelers/ann") == ["ann", "page-000001"])
        #expect(ws.list("Watch/p/labelers/ann/ann").isEmpty)
        #expect(ws.list("Watch/p/conflicts").filter { $0.hasPrefix("page-000001.misplaced.") }.count == 2)
    }

    // MARK: Save patterns of editors and sync tools

    @Test("vim's save: the 4913 probe and the page.json~ rename dance, seen at every step, lose nothing")
    func vimSaveDance() throws {
        let ws = try workspace(pages: 1)
        try ws.run("next", "p", "--as", "ann")
        let folder = ws.path("Watch/p/labelers/ann/page-000001")
        let file = folder + "/page.json"
        let page = try labeled(folder, tag: "Dog")

        // vim checks the folder is writable with a file named 4913.
        #expect(FileManager.default.createFile(atPath: folder + "/4913", contents: nil))
        try ws.run("watch", "--once")
        try FileManager.default.removeItem(atPath: folder + "/4913")
        // Swap file while editing, then the backup rename: page.json is briefly missing.
        try ws.write("Watch/p/labelers/ann/page-000001/.page.json.swp", "swap")
        #expect(rename(file, file + "~") == 0)
        try ws.run("watch", "--once")
        #expect(ws.list("Watch/p/conflicts").isEmpty, "a page.json mid-save is not a damaged page")
        #expect(places(of: "page-000001", in: ws) == ["Watch/p/labelers/ann/page-000001"])
        // The new page.json is written; the backup is still there.
        try Data(JSONWriter.pretty(page).utf8).write(to: URL(fileURLWithPath: file))
        try FileManager.default.removeItem(atPath: file + "~")
        try FileManager.default.removeItem(atPath: folder + "/.page.json.swp")
        try ws.run("watch", "--once")
        #expect(ws.list("Watch/p/conflicts").isEmpty)
        #expect(try events(ws, "rejected").isEmpty)
        #expect(try ws.pageJSON("Outbox/p/page-000001")["images"]?.arrayValue?.first?["tags"] == .array([.string("Dog")]))
    }

    @Test("Under the running daemon (inotify): vim's save dance and an rsync push, step by step, lose nothing")
    func savesUnderRunningDaemon() throws {
        let ws = try workspace(pages: 2)
        let daemon = try Binary.start(["watch", "--root", ws.root])
        defer { if daemon.isRunning { daemon.terminate(); daemon.waitUntilExit() } }
        try FileManager.default.createDirectory(atPath: ws.path("Watch/p/labelers/ann"), withIntermediateDirectories: true)
        #expect(eventually(within: 15) { ws.list("Watch/p/labelers/ann") == ["page-000001"] })

        // vim: probe, swap, backup rename, write, remove the backup.
        let folder = ws.path("Watch/p/labelers/ann/page-000001")
        let file = folder + "/page.json"
        let page = try labeled(folder, tag: "Dog")
        #expect(FileManager.default.createFile(atPath: folder + "/4913", contents: nil))
        try FileManager.default.removeItem(atPath: folder + "/4913")
        try Data("swap".utf8).write(to: URL(fileURLWithPath: folder + "/.page.json.swp"))
        #expect(rename(file, file + "~") == 0)
        // The quiet period for page.json~ is checked on the mock clock (LabelmillDaemonTests); here the events.
        try Data(JSONWriter.pretty(page).utf8).write(to: URL(fileURLWithPath: file))
        try? FileManager.default.removeItem(atPath: file + "~")
        try? FileManager.default.removeItem(atPath: folder + "/.page.json.swp")
        #expect(eventually(within: 15) { ws.exists("Outbox/p/page-000001/page.json") })
        #expect(try ws.pageJSON("Outbox/p/page-000001")["images"]?.arrayValue?.first?["tags"] == .array([.string("Dog")]))

        // rsync: pull, label on the laptop, push back (hidden temp, then rename).
        #expect(eventually(within: 15) { ws.list("Watch/p/labelers/ann") == ["page-000002"] })
        let laptop = try TempWorkspace("laptop")
        try rsync(ws.path("Watch/p/labelers/ann"), laptop.path("ann"))
        try label(laptop.path("ann/page-000002"))
        try rsync(laptop.path("ann"), ws.path("Watch/p/labelers/ann"))
        #expect(eventually(within: 15) { ws.exists("Outbox/p/page-000002/page.json") })
        #expect(ws.list("Watch/p/conflicts").isEmpty)
        #expect(try events(ws, "rejected").isEmpty)
    }

    @Test("In-place truncate-and-write: an empty page.json mid-save is neither rejected nor replaced")
    func truncateAndWrite() throws {
        let ws = try workspace(pages: 1)
        try ws.run("next", "p", "--as", "ann")
        let folder = ws.path("Watch/p/labelers/ann/page-000001")
        let before = try ws.read("Watch/p/labelers/ann/page-000001/page.json")
        let handle = try #require(FileHandle(forUpdatingAtPath: folder + "/page.json"))
        try handle.truncate(atOffset: 0)
        try ws.run("watch", "--once")
        #expect(try ws.read("Watch/p/labelers/ann/page-000001/page.json").isEmpty)
        #expect(ws.list("Watch/p/conflicts").isEmpty)
        #expect(places(of: "page-000001", in: ws) == ["Watch/p/labelers/ann/page-000001"])
        let labeled = before.replacingOccurrences(of: "\"tags\": null", with: "\"tags\": [\"Cat\"]")
            .replacingOccurrences(of: "\"status\": \"open\"", with: "\"status\": \"submitted\"")
        try handle.write(contentsOf: Data(labeled.utf8))
        try handle.close()
        try ws.run("watch", "--once")
        #expect(try events(ws, "rejected").isEmpty)
        #expect(try ws.pageJSON("Outbox/p/page-000001")["status"]?.stringValue == "done")
    }

    @Test("rsync and Syncthing leftovers in a page folder cause no rejection; a sync-conflict copy is kept in conflicts")
    func syncToolLeftovers() throws {
        let ws = try workspace(pages: 1)
        try ws.run("next", "p", "--as", "ann")
        let folder = "Watch/p/labelers/ann/page-000001"
        let competing = try ws.read(folder + "/page.json").replacingOccurrences(of: "\"tags\": null", with: "\"tags\": [\"Dog\"]")
        // An interrupted rsync's hidden temps, Syncthing's temp and its conflict copy.
        try ws.write(folder + "/.page.json.Xq81Zt", "{\"partial")
        try ws.write(folder + "/.img0.png.a1B2c3", Data([0x89, 0x50]))
        try ws.write(folder + "/.syncthing.page.json.tmp", "{")
        try ws.write(folder + "/page.sync-conflict-20260301-101500-ABCDEFG.json", competing)
        try label(ws.path(folder))
        try ws.run("watch", "--once")
        #expect(try events(ws, "rejected").isEmpty)
        #expect(try ws.pageJSON("Outbox/p/page-000001")["status"]?.stringValue == "done")
        // The competing version is not dropped and not applied: it waits in conflicts.
        #expect(try ws.pageJSON("Outbox/p/page-000001")["images"]?.arrayValue?.first?["tags"] == .array([.string("Cat")]))
        let kept = try #require(ws.list("Watch/p/conflicts").first)
        #expect(ws.list("Watch/p/conflicts/\(kept)").contains("page.sync-conflict-20260301-101500-ABCDEFG.json"))
        #expect(try ws.read("Watch/p/conflicts/\(kept)/NOTE.txt").contains("Syncthing"))
        #expect(!ws.list("Outbox/p/page-000001").contains { $0.contains("sync-conflict") })
        #expect(try statusJSON(ws)["conflicts"]?.numberValue == 1)
    }
}

@Suite("Status for people: per-labeler throughput")
struct StatusThroughputTests {
    @Test("status shows pages done per labeler and pages/hour over the last 24 h, in text and JSON")
    func throughput() throws {
        let ws = try TempWorkspace("status")
        try ws.project("p", task: "multi-class", tags: ["Cat", "Dog"], pageSize: 1, extra: ", \"pages_per_labeler\": 2")
        for i in 0..<5 { try ws.write("Inbox/p/i\(i).png", PNGFixture.make(width: 5 + i, height: 4, seed: UInt8(40 + i))) }
        try ws.run("watch", "--once")
        try ws.run("next", "p", "--as", "ann")
        try ws.run("next", "p", "--as", "bob")
        for folder in ["ann/page-000001", "ann/page-000002", "bob/page-000003"] {
            try ws.submitEveryImage(tagged: "Dog", in: "Watch/p/labelers/\(folder)")
        }
        try ws.run("watch", "--once")
        // A page ann finished two days ago.
        let old = Timestamp.iso8601(Date().timeIntervalSince1970 - 2 * 86_400)
        let handle = try #require(FileHandle(forWritingAtPath: ws.path("Outbox/p/events.jsonl")))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"time\":\"\(old)\",\"event\":\"done\",\"project\":\"p\",\"page\":\"page-000099\",\"labeler\":\"ann\"}\n".utf8))
        try handle.close()

        let out = try ws.run("status", "p", "--json").stdout
        let project = try #require(try StrictJSON.parse(Array(out.utf8)).value["projects"]?.arrayValue?.first)
        let ann = try #require(project["labelers"]?["ann"])
        #expect(ann["done"]?.numberValue == 3)
        #expect(ann["done_24h"]?.numberValue == 2)
        #expect(ann["pages_per_hour_24h"]?.numberValue == 0.083)
        #expect(ann["held"]?.numberValue == 1)  // refilled with page-000005
        let bob = try #require(project["labelers"]?["bob"])
        #expect(bob["done"]?.numberValue == 1)
        #expect(bob["held"]?.numberValue == 1)
        #expect(project["done"]?.numberValue == 3)

        let text = try ws.run("status", "p").stdout
        #expect(text.contains("ann  holds 1, done 3 (2 in the last 24 h, 0.08/h)"))
        #expect(text.contains("bob  holds 1, done 1 (1 in the last 24 h, 0.04/h)"))
        #expect(text.contains("pages/hour over the last 24 h"))
    }
}
