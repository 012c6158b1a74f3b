import Foundation
import LabelmillCore
import Testing

/// Issue 11, cases 10 and 11: a submission survives `leave`, and the holder
/// of a page is the daemon's record, never the folder or the file.
@Suite("Who holds a page")
struct HolderTests {
    func workspace(pages: Int) throws -> TempWorkspace {
        let ws = try TempWorkspace("holder")
        try ws.project("p", task: "multi-class", tags: ["Cat", "Dog"], pageSize: 1)
        for i in 0..<pages { try ws.write("Inbox/p/img\(i).png", PNGFixture.make(width: 6 + i, height: 5, seed: UInt8(20 + i))) }
        try ws.run("watch", "--once")
        return ws
    }

    func events(_ ws: TempWorkspace, _ kind: String) throws -> [JSONValue] {
        guard ws.exists("Outbox/p/events.jsonl") else { return [] }
        return try ws.read("Outbox/p/events.jsonl").split(separator: "\n").map { try StrictJSON.parse(Array($0.utf8)).value }
            .filter { $0["event"]?.stringValue == kind }
    }

    @Test("submit, then leave before the daemon looks: the page is reviewed, not returned open")
    func submitThenLeave() throws {
        let ws = try workspace(pages: 1)
        try ws.run("next", "p", "--as", "ann")
        try ws.run("tag", "page-000001", "--all", "--tag", "Cat")
        try ws.run("submit", "page-000001")
        let leave = try ws.run("leave", "p", "--as", "ann")
        #expect(leave.stderr.contains("kept page-000001"), "\(leave.stderr)")
        #expect(ws.queued.isEmpty)
        #expect(try events(ws, "returned").isEmpty)
        try ws.run("watch", "--once")
        #expect(ws.list("Outbox/p").contains("page-000001"))
        #expect(try events(ws, "submitted").map { $0["labeler"]?.stringValue } == ["ann"])
        #expect(try events(ws, "done").map { $0["labeler"]?.stringValue } == ["ann"])
        #expect(try ws.pageJSON("Outbox/p/page-000001")["assigned_to"]?.stringValue == "ann")
    }

    @Test("A submitted page in the queue is not taken by next: it is reviewed first")
    func submittedInQueueIsNotHandedOut() throws {
        let ws = try workspace(pages: 1)
        try ws.run("tag", "page-000001", "--all", "--tag", "Dog")
        try ws.run("submit", "page-000001")
        try ws.run("next", "p", "--as", "bob", expect: 1)
        #expect(try ws.pageJSON("Watch/p/queue/page-000001")["status"]?.stringValue == "submitted")
        try ws.run("watch", "--once")
        #expect(ws.list("Outbox/p").contains("page-000001"))
    }

    @Test("ann's page moved into bob's folder is a misplaced copy: set aside, restored, bob not credited")
    func movedIntoAnotherFolder() throws {
        let ws = try workspace(pages: 1)
        try ws.run("next", "p", "--as", "ann")
        try ws.run("next", "p", "--as", "bob", expect: 1)
        try ws.run("tag", "page-000001", "--all", "--tag", "Cat")
        try FileManager.default.moveItem(atPath: ws.path("Watch/p/labelers/ann/page-000001"), toPath: ws.path("Watch/p/labelers/bob/page-000001"))
        try ws.run("submit", ws.path("Watch/p/labelers/bob/page-000001"))
        try ws.run("watch", "--once")
        #expect(!ws.list("Outbox/p").contains("page-000001"))
        #expect(try events(ws, "done").isEmpty)
        let conflicts = ws.list("Watch/p/conflicts")
        #expect(conflicts.count == 1 && conflicts.first?.hasPrefix("page-000001.bob.") == true, "\(conflicts)")
        if let folder = conflicts.first {
            #expect(try ws.read("Watch/p/conflicts/\(folder)/NOTE.txt").contains("held by ann"))
        }
        // The page is back in the daemon's hands; it is nobody's until it is assigned again.
        let places = ws.queued + ws.list("Watch/p/labelers/ann") + ws.list("Watch/p/labelers/bob")
        #expect(places.filter { $0 == "page-000001" }.count == 1, "\(places)")
    }

    @Test("An assigned_to key written into page.json credits nobody but the holder")
    func forgedAssignedTo() throws {
        let ws = try workspace(pages: 1)
        try ws.run("next", "p", "--as", "ann")
        try ws.run("tag", "page-000001", "--all", "--tag", "Cat")
        let file = ws.path("Watch/p/labelers/ann/page-000001/page.json")
        let text = try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(of: "\"assigned_to\": \"ann\"", with: "\"assigned_to\": \"bob\"")
        #expect(text.contains("\"bob\""))
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        try ws.run("submit", "page-000001")
        try ws.run("watch", "--once")
        #expect(try events(ws, "done").map { $0["labeler"]?.stringValue } == ["ann"])
        #expect(try ws.pageJSON("Outbox/p/page-000001")["assigned_to"]?.stringValue == "ann")
    }

    @Test("A page queued and handed in with nobody holding it is accepted with no labeler named")
    func queuedSubmissionHasNoLabeler() throws {
        let ws = try workspace(pages: 1)
        let file = ws.path("Watch/p/queue/page-000001/page.json")
        let text = try String(contentsOfFile: file, encoding: .utf8)
            .replacingOccurrences(of: "\"status\": \"open\",", with: "\"status\": \"open\",\n  \"assigned_to\": \"bob\",")
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        try ws.run("tag", "page-000001", "--all", "--tag", "Cat")
        try ws.run("submit", "page-000001")
        try ws.run("watch", "--once")
        let done = try events(ws, "done")
        #expect(done.count == 1 && done.first?["labeler"] == nil)
        #expect(try ws.pageJSON("Outbox/p/page-000001")["assigned_to"] == nil)
    }
}
