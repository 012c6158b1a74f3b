import Foundation
import LabelmillCore
import TestSupport
import Testing

/// Issue 11, case 12: each odd input gets a message that names the file and the fix.
@Suite("Clear messages for odd inputs")
struct MessageTests {
    func workspace(pages: Int = 1) throws -> TempWorkspace {
        let ws = try TempWorkspace("msg")
        try ws.project("p", task: "multi-class", tags: ["Cat", "Dog"], pageSize: 1)
        for i in 0..<pages { try ws.write("Inbox/p/img\(i).png", PNGFixture.make(width: 6 + i, height: 5, seed: UInt8(40 + i))) }
        try ws.run("watch", "--once")
        return ws
    }

    static let folder = "Watch/p/queue/page-000001"

    @Test("An image replaced by a symlink or a FIFO is named for what it is, not \"altered\"")
    func linkAndFIFO() throws {
        let ws = try workspace()
        try ws.run("tag", "page-000001", "--all", "--tag", "Cat")
        let image = ws.path(Self.folder + "/img0.png")
        try FileManager.default.removeItem(atPath: image)
        #expect(symlink("/etc/hostname", image) == 0)
        let link = try ws.run("check", "page-000001", expect: 1)
        #expect(link.stdout.contains("symbolic link") && !link.stdout.contains("altered"), "\(link.stdout)")
        try FileManager.default.removeItem(atPath: image)
        #expect(mkfifo(image, 0o644) == 0)
        let fifo = try ws.run("check", "page-000001", expect: 1)
        #expect(fifo.stdout.contains("FIFO") && !fifo.stdout.contains("altered"), "\(fifo.stdout)")
    }

    @Test("An unreadable image says permission denied", .enabled(if: getuid() != 0, "root reads a chmod 000 file, so nothing is unreadable to it"))
    func unreadable() throws {
        let ws = try workspace()
        let image = ws.path(Self.folder + "/img0.png")
        #expect(chmod(image, 0) == 0)
        defer { chmod(image, 0o644) }
        let result = try ws.run("check", "page-000001", expect: 1)
        #expect(result.stdout.contains("permission denied"), "\(result.stdout)")
    }

    @Test("A status of \"DONE\" or \"foo\" is a hand-in with an error, not a page left sitting", arguments: ["DONE", "foo", "sumbitted"])
    func unknownStatus(_ status: String) throws {
        let ws = try workspace()
        try ws.run("tag", "page-000001", "--all", "--tag", "Cat")
        let file = ws.path(Self.folder + "/page.json")
        let text = try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(of: "\"status\": \"open\"", with: "\"status\": \"\(status)\"")
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        try ws.run("watch", "--once")
        let errors = try ws.read(Self.folder + "/ERRORS.txt")
        #expect(errors.contains("\"status\" must be one of"), "\(errors)")
        if status == "DONE" { #expect(errors.contains("did you mean \"done\"")) }
        if status == "sumbitted" { #expect(errors.contains("did you mean \"submitted\"")) }
        #expect(!ws.list("Outbox/p").contains("page-000001"))
    }

    @Test("A bad status with other errors is rejected with those errors")
    func unknownStatusAndUnlabeled() throws {
        let ws = try workspace()
        let file = ws.path(Self.folder + "/page.json")
        let text = try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(of: "\"status\": \"open\"", with: "\"status\": \"Done\"")
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        try ws.run("watch", "--once")
        let page = try ws.pageJSON(Self.folder)
        #expect(page["status"]?.stringValue == "rejected")
        #expect(page["errors"]?.arrayValue?.isEmpty == false)
    }

    @Test("Folders in labelers/ that are not labeler names get a note; status lists them on one line each")
    func notLabelerFolders() throws {
        let ws = try workspace()
        let long = String(repeating: "x", count: 65)
        for name in ["a b", ".hidden", long, "new\nline"] {
            try FileManager.default.createDirectory(atPath: ws.path("Watch/p/labelers/\(name)"), withIntermediateDirectories: true)
        }
        try FileManager.default.createDirectory(atPath: ws.path("Watch/p/labelers/ann"), withIntermediateDirectories: true)
        let watch = try ws.run("watch", "--once")
        #expect(watch.stderr.contains("not a labeler folder"), "\(watch.stderr)")
        #expect(try ws.read("Watch/p/labelers/a b/NOT-A-LABELER.txt").contains("a_b"))
        #expect(ws.exists("Watch/p/labelers/\(long)/NOT-A-LABELER.txt"))
        #expect(ws.list("Watch/p/labelers/a b") == ["NOT-A-LABELER.txt"])
        #expect(ws.list("Watch/p/labelers/ann") == ["page-000001"])
        let status = try ws.run("status", "p").stdout
        let line = try #require(status.split(separator: "\n").first { $0.contains("not labeler folders") })
        #expect(line.contains("\"a b\"") && line.contains("\".hidden\"") && line.contains("\"new\\nline\""), "\(status)")
        #expect(!status.contains("a b:"))
        #expect(!status.split(separator: "\n").contains { $0.hasPrefix("line") })
        let json = try StrictJSON.parse(Array(try ws.run("status", "p", "--json").stdout.utf8)).value
        #expect(json["projects"]?.arrayValue?.first?["not_labeler_folders"]?["new\nline"] != nil)
    }

    @Test("A symlinked root or queue says so plainly")
    func symlinks() throws {
        let ws = try workspace()
        let link = ws.path("link")
        #expect(symlink(ws.root, link) == 0)
        let root = try Binary.run(["watch", "--once", "--root", link])
        #expect(root.status == 1)
        #expect(root.stderr.contains("is a symbolic link") && root.stderr.contains("--root \(ws.root)"), "\(root.stderr)")
        let outside = try TempWorkspace("msg-outside")
        try FileManager.default.moveItem(atPath: ws.path("Watch/p/queue"), toPath: outside.path("queue"))
        #expect(symlink(outside.path("queue"), ws.path("Watch/p/queue")) == 0)
        let queue = try ws.run("watch", "--once")
        #expect(queue.stderr.contains("symbolic link is in the way"), "\(queue.stderr)")
    }

    @Test("--as -rf and --as=-rf take -rf as the name")
    func dashName() throws {
        let ws = try workspace(pages: 2)
        let spaced = try ws.run("next", "p", "--as", "-rf")
        #expect(spaced.stdout.contains("labelers/-rf/page-000001"), "\(spaced.stderr)")
        let joined = try ws.run("leave", "p", "--as=-rf")
        #expect(joined.stderr.contains("signed out"))
        let bad = try ws.run("next", "p", "--as", "-r f", expect: 2)
        #expect(bad.stderr.contains("labeler name"))
    }
}
