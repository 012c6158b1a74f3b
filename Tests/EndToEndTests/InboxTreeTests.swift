import Foundation
import LabelmillCore
import TestSupport
import Testing

/// Issue 11, cases 7 and 9: every file of an inbox tree ends in one place or
/// is refused with a reason, however deep; roots never nest.
@Suite("Deep inbox trees and nested roots")
struct InboxTreeTests {
    /// Makes `levels` nested folders called `name` below `base`, one `mkdirat`
    /// at a time (so no path is too long to make), and writes `file` at the bottom.
    func chain(_ base: String, name: String, levels: Int, file: String, _ data: Data) throws {
        var fd = open(base, O_RDONLY | O_DIRECTORY)
        #expect(fd >= 0)
        for _ in 0..<levels {
            #expect(mkdirat(fd, name, 0o755) == 0)
            let next = openat(fd, name, O_RDONLY | O_DIRECTORY)
            close(fd)
            try #require(next >= 0)
            fd = next
        }
        defer { close(fd) }
        let out = openat(fd, file, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        try #require(out >= 0)
        _ = data.withUnsafeBytes { write(out, $0.baseAddress, $0.count) }
        close(out)
    }

    func workspace() throws -> TempWorkspace {
        let ws = try TempWorkspace("tree")
        try ws.project("p", task: "multi-class", tags: ["A", "B"], pageSize: 1)
        return ws
    }

    @Test("An image 70 folders below the inbox is paged")
    func seventyDeep() throws {
        let ws = try workspace()
        try chain(ws.path("Inbox/p"), name: "d", levels: 70, file: "deep.png", PNGFixture.make(width: 5, height: 5, seed: 3))
        try ws.run("watch", "--once")
        #expect(ws.queued == ["page-000001"])
        let source = try ws.pageJSON("Watch/p/queue/page-000001")["images"]?.arrayValue?.first?["source"]?.stringValue
        #expect(source == Array(repeating: "d", count: 70).joined(separator: "/") + "/deep.png")
        #expect(try ws.run("status", "p").stdout.contains("inbox: 0 images"))
    }

    @Test("A file whose path is longer than PATH_MAX is refused with the reason, and counted until then")
    func pastPathMax() throws {
        let ws = try workspace()
        try chain(ws.path("Inbox/p"), name: String(repeating: "n", count: 250), levels: 18, file: "long.png", PNGFixture.make(width: 5, height: 5, seed: 4))
        #expect(try ws.run("status", "p").stdout.contains("inbox: 1 images"))
        try ws.run("watch", "--once")
        #expect(ws.list("Outbox/p/rejected") == ["long.png", "long.png.reason.txt"])
        #expect(try ws.read("Outbox/p/rejected/long.png.reason.txt").contains("bytes long"))
        #expect(try ws.run("status", "p").stdout.contains("inbox: 0 images"))
    }

    @Test("A folder nested past the depth limit is refused whole, with the reason")
    func pastDepthLimit() throws {
        let ws = try workspace()
        try chain(ws.path("Inbox/p"), name: "d", levels: 300, file: "x.png", PNGFixture.make(width: 5, height: 5, seed: 5))
        try ws.run("watch", "--once")
        #expect(ws.list("Outbox/p/rejected") == ["d", "d.reason.txt"])
        #expect(try ws.read("Outbox/p/rejected/d.reason.txt").contains("levels below"))
        #expect(ws.queued.isEmpty)
    }

    @Test("A folder too long for inotify leaves the rest of the tree on inotify")
    func inotifyKeepsWorking() throws {
        let ws = try workspace()
        try chain(ws.path("Inbox/p"), name: String(repeating: "n", count: 250), levels: 18, file: "long.png", PNGFixture.make(width: 5, height: 5, seed: 6))
        let daemon = try WatchDaemon(ws)
        #expect(eventually(within: 20) { ws.list("Outbox/p/rejected").contains("long.png") })
        try ws.write("Inbox/p/new.png", PNGFixture.make(width: 7, height: 7, seed: 7))
        #expect(eventually(within: 20) { ws.queued == ["page-000001"] })
        let log = daemon.stop()
        #expect(log.contains("mode=inotify"), "\(log)")
        #expect(!log.contains("scanning every 2 seconds"))
    }

    @Test("A root inside another root's inbox is refused, naming it; so is a root containing one")
    func nestedRoots() throws {
        let outer = try workspace()
        try outer.run("watch", "--once")
        let inner = outer.path("Inbox/p/inner")
        try FileManager.default.createDirectory(atPath: inner + "/Inbox/q", withIntermediateDirectories: true)
        try Data("{\"task\": \"multi-class\", \"tags\": [\"A\"]}".utf8).write(to: URL(fileURLWithPath: inner + "/Inbox/q/project.json"))
        let refused = try Binary.run(["watch", "--once", "--root", inner])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("inside the Inbox folder of another labelmill root, \(outer.root)"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: inner + "/.labelmill"))

        // The other way round: a root already inside the inbox stops the outer one from starting.
        let second = try workspace()
        let nested = second.path("Inbox/p/batch/other")
        try FileManager.default.createDirectory(atPath: nested + "/Inbox/q", withIntermediateDirectories: true)
        try Data("{\"task\": \"multi-class\", \"tags\": [\"A\"]}".utf8).write(to: URL(fileURLWithPath: nested + "/Inbox/q/project.json"))
        try PNGFixture.make(width: 5, height: 5, seed: 8).write(to: URL(fileURLWithPath: nested + "/Inbox/q/a.png"))
        let alone = try Binary.run(["watch", "--once", "--root", nested])
        #expect(alone.status == 0, "\(alone.stderr)")
        let outerRun = try second.run("watch", "--once", expect: 1)
        #expect(outerRun.stderr.contains("\(nested) is another labelmill root"), "\(outerRun.stderr)")
        #expect(!second.exists("Outbox/p/rejected"))
        #expect(FileManager.default.fileExists(atPath: nested + "/Inbox/q/project.json"))
    }
}
