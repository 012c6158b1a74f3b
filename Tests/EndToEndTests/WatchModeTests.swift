import Foundation
import LabelmillCore
import TestSupport
import Testing

@Suite("The daemon under inotify: real time, real events")
struct WatchModeTests {
    @Test("Drop, page, sign in, submit, done; SIGTERM stops the daemon cleanly")
    func fullCycleWithInotify() throws {
        let ws = try TempWorkspace("watch")
        try ws.project("p", task: "multi-label", tags: ["Cat", "Dog"], pageSize: 2, extra: ", \"flush_seconds\": 0.3")
        let daemon = try WatchDaemon(ws)
        #expect(eventually(within: 15) { ws.exists("Watch/page.schema.json") })

        // A file still being written (growing) is not taken until it settles.
        try ws.write("Inbox/p/new/a.png", PNGFixture.make(width: 9, height: 9, seed: 1))
        #expect(eventually(within: 15) { ws.queued == ["page-000001"] })   // partial page flushed after 0.3 s of quiet
        let page = try ws.pageJSON("Watch/p/queue/page-000001")
        #expect(page["images"]?.arrayValue?.first?["source"]?.stringValue == "new/a.png")

        // A labeler signs in by creating a folder.
        try FileManager.default.createDirectory(atPath: ws.path("Watch/p/labelers/ann"), withIntermediateDirectories: true)
        #expect(eventually(within: 15) { ws.list("Watch/p/labelers/ann").contains("page-000001") })
        let held = "Watch/p/labelers/ann/page-000001"
        var labeled = try ws.pageJSON(held)
        #expect(labeled["assigned_to"]?.stringValue == "ann")
        #expect(labeled["revision"]?.numberValue == 2)
        guard case .array(var images) = labeled["images"] else { return }
        images[0].setMember("tags", .array([.string("Cat"), .string("Dog")]))
        labeled.setMember("images", .array(images))
        try ws.write(held + "/page.json", JSONWriter.pretty(labeled))
        try ws.run("submit", ws.path(held))
        #expect(eventually(within: 15) { ws.exists("Outbox/p/page-000001/page.json") })
        #expect(try ws.pageJSON("Outbox/p/page-000001")["assigned_to"]?.stringValue == "ann")
        // With the queue empty, the labeler's folder says so.
        #expect(eventually(within: 15) { ws.exists("Watch/p/labelers/ann/NO-MORE-PAGES.txt") })

        let log = daemon.stop()
        #expect(daemon.process.terminationReason == .exit)
        #expect(daemon.process.terminationStatus == 0)
        #expect(log.contains("page done"))
    }
}
