import Foundation
import LabelmillCore
import TestSupport
import Testing

@Suite("Ingest: inbox to pages")
struct IngestTests {
    @Test("PNGs at any depth become pages of page_size, with sizes and hashes; the inbox is emptied")
    func pagesFromNestedDrops() throws {
        let ws = try TempWorkspace()
        try ws.project("p", task: "multi-class", tags: ["Cat", "Dog"], pageSize: 2)
        try ws.write("Inbox/p/a.png", PNGFixture.make(width: 10, height: 7, seed: 1))
        try ws.write("Inbox/p/batch1/b.png", PNGFixture.make(width: 12, height: 5, seed: 2))
        try ws.write("Inbox/p/batch1/deep/er/c.png", PNGFixture.make(width: 3, height: 4, seed: 3))
        try ws.run("watch", "--once")
        #expect(ws.queued == ["page-000001", "page-000002"])
        #expect(ws.files(under: "Inbox/p") == ["project.json"])
        var seen: [String: (Int, Int, String)] = [:]
        for page in ws.queued {
            let json = try ws.pageJSON("Watch/p/queue/\(page)")
            #expect(json["$schema"]?.stringValue == "../../../page.schema.json")
            #expect(json["page"]?.stringValue == page)
            #expect(json["status"]?.stringValue == "open")
            #expect(json["revision"]?.numberValue == 1)
            for image in json["images"]?.arrayValue ?? [] {
                let file = try #require(image["file"]?.stringValue)
                #expect(ws.exists("Watch/p/queue/\(page)/\(file)"))
                #expect(image["tags"] == .null)
                seen[try #require(image["source"]?.stringValue)] = (Int(image["width"]?.numberValue ?? 0), Int(image["height"]?.numberValue ?? 0), image["sha256"]?.stringValue ?? "")
            }
        }
        #expect(seen.count == 3)
        #expect(seen["a.png"]?.0 == 10 && seen["a.png"]?.1 == 7)
        #expect(seen["batch1/b.png"]?.0 == 12)
        #expect(seen["batch1/deep/er/c.png"]?.1 == 4)
        #expect(seen["a.png"]?.2.count == 64)
        let events = try ws.read("Outbox/p/events.jsonl")
        #expect(events.components(separatedBy: "\"event\":\"ingested\"").count - 1 == 3)
        #expect(events.components(separatedBy: "\"event\":\"paged\"").count - 1 == 2)
        #expect(ws.exists("Watch/page.schema.json"))
    }

    @Test("Hidden, temporary and sync-tool names are never taken")
    func tempNamesIgnored() throws {
        let ws = try TempWorkspace()
        try ws.project("p", task: "multi-class", tags: ["Cat"])
        let png = PNGFixture.make(width: 4, height: 4)
        let names = [".hidden.png", "a.png~", "b.png.tmp", "c.png.part", "d.png.crdownload", ".e.png.swp", "4913",
                     "#f.png#", ".g.png.Ab12Cd", ".syncthing.h.png.tmp", "i.sync-conflict-20260101-120000-ABCDEFG.png"]
        for n in names { try ws.write("Inbox/p/\(n)", png) }
        try ws.run("watch", "--once")
        #expect(ws.queued.isEmpty)
        #expect(ws.list("Outbox/p/rejected").isEmpty)
        #expect(Set(ws.list("Inbox/p")) == Set(names + ["project.json"]))
    }

    @Test("Hostile inputs are each refused with a reason; nothing crashes, nothing is lost")
    func hostileInputs() throws {
        let ws = try TempWorkspace()
        try ws.project("p", task: "multi-class", tags: ["Cat"])
        let good = PNGFixture.make(width: 8, height: 8, seed: 9)
        try ws.write("Inbox/p/good.png", good)
        try ws.write("Inbox/p/empty.png", Data())
        try ws.write("Inbox/p/text.png", "hello world, not a picture")
        try ws.write("Inbox/p/truncated.png", good.prefix(good.count - 20))
        var flipped = good
        flipped[60] ^= 0x10
        try ws.write("Inbox/p/flipped.png", flipped)
        try ws.write("Inbox/p/huge.png", PNGFixture.claiming(width: 100_000, height: 100_000))
        try ws.write("Inbox/p/gif.gif", Data("GIF89a\u{01}\u{00}\u{01}\u{00}".utf8))
        try ws.write("Inbox/p/sub/dup.png", good)
        let outside = try TempWorkspace("outside")
        try outside.write("secret.png", PNGFixture.make(width: 2, height: 2, seed: 77))
        try FileManager.default.createSymbolicLink(atPath: ws.path("Inbox/p/link.png"), withDestinationPath: outside.path("secret.png"))
        #expect(mkfifo(ws.path("Inbox/p/fifo.png"), 0o644) == 0)
        let badName = ws.path("Inbox/p/") + "bad\u{FFFD}"
        // A name with a raw 0xFF byte: not valid UTF-8.
        var raw = Array(ws.path("Inbox/p/bad").utf8) + [0xFF] + Array(".png".utf8) + [0]
        let fd = raw.withUnsafeMutableBufferPointer { p in
            p.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT, 0o644) }
        }
        #expect(fd >= 0)
        _ = good.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        _ = badName

        try ws.run("watch", "--once")
        #expect(ws.queued.count == 1)
        let page = try ws.pageJSON("Watch/p/queue/page-000001")
        #expect(page["images"]?.arrayValue?.count == 1)
        let rejected = ws.list("Outbox/p/rejected")
        func reason(_ name: String) throws -> String { try ws.read("Outbox/p/rejected/\(name).reason.txt").lowercased() }
        #expect(try reason("empty.png").contains("empty"))
        #expect(try reason("text.png").contains("not an image"))
        #expect(try reason("truncated.png").contains("truncated"))
        #expect(try reason("flipped.png").contains("crc") || reason("flipped.png").contains("corrupt"))
        #expect(try reason("huge.png").contains("megapixel"))
        #expect(try reason("gif.gif").contains("gif"))
        #expect(try reason("dup.png").contains("duplicate"))
        #expect(try reason("dup.png").contains("page-000001"))
        #expect(try reason("link.png").contains("symbolic link"))
        #expect(try reason("fifo.png").contains("fifo"))
        #expect(rejected.contains { $0.hasPrefix("bad%FF") && $0.hasSuffix(".reason.txt") })
        #expect(try String(contentsOfFile: ws.path("Outbox/p/rejected/bad%FF.png.reason.txt"), encoding: .utf8).contains("UTF-8"))
        // The symlink's target outside the root is untouched.
        #expect(outside.exists("secret.png"))
        // Nothing left in the inbox but the settings.
        #expect(ws.files(under: "Inbox/p") == ["project.json"])
        // The daemon never leaves the root: all 11 inputs are accounted for.
        #expect(rejected.filter { $0.hasSuffix(".reason.txt") }.count == 10)
    }

    @Test("A broken project.json is reported and skipped; other projects go on")
    func brokenProjectDoesNotStopOthers() throws {
        let ws = try TempWorkspace()
        try ws.project("good", task: "bbox", tags: ["Car"])
        try ws.write("Inbox/bad/project.json", "{\"task\": \"multi-class\", \"tgas\": [\"A\"]}")
        try ws.write("Inbox/good/a.png", PNGFixture.make(width: 5, height: 5))
        try ws.write("Inbox/bad/a.png", PNGFixture.make(width: 5, height: 5, seed: 3))
        let result = try ws.run("watch", "--once")
        #expect(ws.list("Watch/good/queue") == ["page-000001"])
        #expect(ws.exists("Inbox/bad/a.png"))
        #expect(result.stderr.contains("Inbox/bad/project.json"))
        #expect(result.stderr.contains("did you mean \"tags\""))
        let status = try ws.run("status", "--json")
        let json = try StrictJSON.parse(Array(status.stdout.utf8)).value
        let bad = json["projects"]?.arrayValue?.first { $0["name"]?.stringValue == "bad" }
        #expect(bad?["problem"]?.stringValue?.contains("tgas") == true)
    }

    @Test("Page ids stay unique after the outbox is emptied and the daemon restarts")
    func pageIdsUniqueForever() throws {
        let ws = try TempWorkspace()
        try ws.project("p", task: "multi-class", tags: ["Cat"], pageSize: 1)
        try ws.write("Inbox/p/a.png", PNGFixture.make(width: 5, height: 5, seed: 1))
        try ws.run("watch", "--once")
        try FileManager.default.removeItem(atPath: ws.path("Watch/p/queue/page-000001"))
        try ws.write("Inbox/p/b.png", PNGFixture.make(width: 5, height: 5, seed: 2))
        try ws.run("watch", "--once")
        // page-000001 was deleted by hand: restored from the daemon's copy; the new image gets page-000002.
        #expect(ws.queued == ["page-000001", "page-000002"])
    }

    @Test("A second daemon on the same root refuses and names the holder")
    func oneDaemonPerRoot() throws {
        let ws = try TempWorkspace()
        let p = try Binary.start(["watch", "--root", ws.root, "--poll", "0.2"])
        defer { p.terminate(); p.waitUntilExit() }
        #expect(eventually(within: 15) { ((try? ws.read(".labelmill/lock")) ?? "").contains("pid \(p.processIdentifier)") })
        let second = try ws.run("watch", "--once", expect: 1)
        #expect(second.stderr.contains("pid \(p.processIdentifier)"))
    }
}

@Suite("Project settings over time")
struct SettingsChangeTests {
    @Test("Tags may be appended; reordering a used tag is refused, also after a restart")
    func tagsOnlyAppend() throws {
        let ws = try TempWorkspace()
        try ws.project("p", task: "multi-class", tags: ["Cat", "Dog"], pageSize: 1)
        try ws.write("Inbox/p/a.png", PNGFixture.make(width: 5, height: 5, seed: 1))
        try ws.run("watch", "--once")
        try ws.run("tag", "page-000001", "--all", "--tag", "Dog")
        // Appending is fine: the next page offers the new tag.
        try ws.project("p", task: "multi-class", tags: ["Cat", "Dog", "Bird"], pageSize: 1)
        try ws.write("Inbox/p/b.png", PNGFixture.make(width: 5, height: 5, seed: 2))
        try ws.run("watch", "--once")
        #expect(try ws.pageJSON("Watch/p/queue/page-000002")["tags"]?.arrayValue?.count == 3)
        // Swapping a used tag would move class ids: refused, the project skipped, nothing taken.
        try ws.project("p", task: "multi-class", tags: ["Dog", "Cat", "Bird"], pageSize: 1)
        try ws.write("Inbox/p/c.png", PNGFixture.make(width: 5, height: 5, seed: 3))
        let result = try ws.run("watch", "--once")
        #expect(result.stderr.contains("\"Dog\""))
        #expect(result.stderr.contains("only be appended"))
        #expect(ws.exists("Inbox/p/c.png"))
        #expect(ws.queued == ["page-000001", "page-000002"])
    }
}
