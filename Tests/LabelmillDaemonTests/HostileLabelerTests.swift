import Foundation
import LabelmillCore
import LabelmillDaemon
import LabelmillFS
import Testing

/// A folder outside the workspace root, on the same file system, for links planted by a labeler.
final class OutsideFolder {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "labelmill-outside-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Every entry below the folder, relative to it, sorted (links not followed).
    var contents: [String] { ((try? FileManager.default.subpathsOfDirectory(atPath: path)) ?? []).sorted() }
}

extension DaemonFixture {
    /// ann signs in and gets page-000001; returns its folder.
    func annHoldsPage() throws -> String {
        try signIn("ann")
        watchPass()
        #expect(held("ann") == ["page-000001"])
        return page("page-000001", .labeler("ann"))
    }

    func sha256(_ path: String) throws -> String { Hashing.sha256(try LocalPaths.read(path).bytes) }

    func bytes(_ path: String) throws -> [UInt8] { try LocalPaths.read(path).bytes }

    /// Submits the held page tagged `tag`; while one pass checks it the labeler saves a newer
    /// open version (tag square), once. Returns the bytes of that newer page.json.
    func passWithNewerSaveDuringCheck(_ folder: String, submittedTag tag: String) throws -> [UInt8] {
        try label(folder, tag: tag, status: "submitted")
        var newer: [UInt8] = []
        engine.afterCheck = { [unowned self] checked in
            guard newer.isEmpty else { return }
            try? self.label(checked, tag: "square", status: "open")
            newer = (try? self.bytes(checked + "/page.json")) ?? []
        }
        once()
        return newer
    }

    /// Every entry of every folder set aside in conflicts, as "FOLDER/NAME" with the stamp left out.
    var conflictEntries: [String] {
        conflicts.flatMap { folder in list(workspace.conflicts("p") + "/" + folder) }.sorted()
    }
}

@Suite("A hostile labeler: links, junk, hard links and races in labeler folders")
struct HostileLabelerTests {
    @Test("1: a labeler folder replaced by a symlink out of the root is never followed; its page is restored to the queue")
    func symlinkedLabelerFolder() throws {
        let f = try DaemonFixture(pages: 1)
        let folder = try f.annHoldsPage()
        let outside = try OutsideFolder()
        #expect(rename(f.workspace.labeler("p", "ann"), outside.path + "/ann") == 0)
        #expect(symlink(outside.path + "/ann", f.workspace.labeler("p", "ann")) == 0)
        try f.label(outside.path + "/ann/page-000001", status: "submitted")
        let before = outside.contents
        let saved = try f.bytes(outside.path + "/ann/page-000001/page.json")
        f.watchPass(after: 10)
        f.once()
        #expect(outside.contents == before, "nothing written outside the root")
        #expect(try f.bytes(outside.path + "/ann/page-000001/page.json") == saved)
        #expect(!LocalPaths.exists(f.page("page-000001", .outbox)))
        #expect(f.queued == ["page-000001"])
        #expect(try f.manifest(f.page("page-000001", .queue))["revision"]?.numberValue == 3)
        #expect(WorkQueue(workspace: f.workspace, project: "p").labelers.isEmpty, "the link is not a labeler folder")
        _ = folder
    }

    @Test("2: junk in a held page (links, a FIFO, a folder) is set aside when the page changes hands; the page is rebuilt from the daemon's copy",
          arguments: ["leave", "time-out"])
    func junkHandedOn(how: String) throws {
        let f = try DaemonFixture(pages: 1)
        let folder = try f.annHoldsPage()
        let outside = try OutsideFolder()
        try Data("secret\n".utf8).write(to: URL(fileURLWithPath: outside.path + "/secret"))
        try f.label(folder, tag: "square")
        #expect(unlink(folder + "/circle-1.png") == 0)
        #expect(symlink(outside.path + "/secret", folder + "/circle-1.png") == 0)
        #expect(mkfifo(folder + "/fifo.png", 0o644) == 0)
        #expect(symlink(outside.path + "/secret", folder + "/link.png") == 0)
        #expect(mkdir(folder + "/sub", 0o755) == 0)
        if how == "leave" {
            let queue = WorkQueue(workspace: f.workspace, project: "p")
            #expect(try queue.release("ann", reason: "test") == ["page-000001"])
        } else {
            f.watchPass(after: 61 * 60)
        }
        f.watchPass(after: 1)
        let queued = f.page("page-000001", .queue)
        #expect(f.list(queued) == ["circle-1.png", "page.json"])
        #expect(LocalPaths.status(queued + "/circle-1.png")?.kind == .regular)
        let copy = try #require(PageJournal(workspace: f.workspace, project: "p").manifest(of: "page-000001"))
        #expect(try f.sha256(queued + "/circle-1.png") == copy.images[0].sha256)
        #expect(try f.manifest(queued)["images"]?.arrayValue?.first?["tags"] == .array([.string("square")]), "labels kept")
        #expect(f.conflictEntries == ["NOTE.txt", "circle-1.png", "fifo.png", "link.png", "sub"])
        // The next labeler can hand the page in.
        try f.signIn("bob")
        f.watchPass(after: 1)
        try f.label(f.page("page-000001", .labeler("bob")), status: "submitted")
        f.once()
        #expect(LocalPaths.exists(f.page("page-000001", .outbox) + "/page.json"))
    }

    @Test("3: an image replaced by a hard link to the labeler's own file never reaches the outbox as that inode")
    func hardLinkedImage() throws {
        let f = try DaemonFixture(pages: 1)
        let folder = try f.annHoldsPage()
        let outside = try OutsideFolder()
        let own = outside.path + "/own.png"
        try Data(try f.bytes(folder + "/circle-1.png")).write(to: URL(fileURLWithPath: own))
        #expect(unlink(folder + "/circle-1.png") == 0)
        #expect(link(own, folder + "/circle-1.png") == 0)
        try f.label(folder, status: "submitted")
        f.once()
        let done = f.page("page-000001", .outbox) + "/circle-1.png"
        let outboxImage = try #require(LocalPaths.status(done))
        let labelers = try #require(LocalPaths.status(own))
        #expect(outboxImage.inode != labelers.inode)
        #expect(outboxImage.links == 1, "no other name can change the finished image")
        let original = try f.bytes(done)
        try Data("changed".utf8).write(to: URL(fileURLWithPath: own))
        #expect(try f.bytes(done) == original)
    }

    @Test("3: a hard link the labeler made to the page's image (same inode as the daemon's copy) does not reach the outbox")
    func labelersLinkToPageImage() throws {
        let f = try DaemonFixture(pages: 1)
        let folder = try f.annHoldsPage()
        let outside = try OutsideFolder()
        let own = outside.path + "/mine.png"
        #expect(link(folder + "/circle-1.png", own) == 0)
        try f.label(folder, status: "submitted")
        f.once()
        let outboxImage = try #require(LocalPaths.status(f.page("page-000001", .outbox) + "/circle-1.png"))
        #expect(outboxImage.inode != LocalPaths.status(own)?.inode)
        #expect(outboxImage.links == 1)
    }

    @Test("4: a newer save made while a submission is checked is never overwritten (accept path)")
    func newerSaveDuringAccept() throws {
        let f = try DaemonFixture(pages: 1)
        let folder = try f.annHoldsPage()
        let newer = try f.passWithNewerSaveDuringCheck(folder, submittedTag: "circle")
        #expect(!newer.isEmpty)
        #expect(!LocalPaths.exists(f.page("page-000001", .outbox)), "the newer save is open: not accepted")
        #expect(try f.bytes(folder + "/page.json") == newer)
    }

    @Test("4: a newer save made while a submission is checked is never overwritten (rejection path)")
    func newerSaveDuringRejection() throws {
        let f = try DaemonFixture(pages: 1)
        let folder = try f.annHoldsPage()
        let newer = try f.passWithNewerSaveDuringCheck(folder, submittedTag: "no-such-tag")
        #expect(!newer.isEmpty)
        #expect(try f.bytes(folder + "/page.json") == newer)
    }

    @Test("8: hidden files, folders and links in a submitted page stay out of the outbox, kept in conflicts with a note")
    func junkInOutbox() throws {
        let f = try DaemonFixture(pages: 1)
        let folder = try f.annHoldsPage()
        let outside = try OutsideFolder()
        try Data("secret\n".utf8).write(to: URL(fileURLWithPath: outside.path + "/secret"))
        #expect(symlink(outside.path + "/secret", folder + "/.shadow") == 0)
        #expect(mkdir(folder + "/.stash", 0o755) == 0)
        try Data("stash".utf8).write(to: URL(fileURLWithPath: folder + "/.stash/x"))
        let big = open(folder + "/.big", O_WRONLY | O_CREAT, 0o644)
        #expect(big >= 0 && ftruncate(big, 5 << 30) == 0)
        close(big)
        try f.label(folder, status: "submitted")
        f.once()
        let done = f.page("page-000001", .outbox)
        #expect(f.list(done) == ["circle-1.png", "page.json"])
        #expect(f.conflictEntries == [".big", ".shadow", ".stash", "NOTE.txt"])
    }
}

@Suite("Pages the daemon cannot read tell the labeler in the page folder")
struct UnreadablePageTests {
    func errorsText(_ f: DaemonFixture, _ folder: String) -> String {
        (try? LocalPaths.read(folder + "/ERRORS.txt").bytes).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    @Test("6: page.json a symlink gets ERRORS.txt, and the link is left as it is")
    func symlinkedPageJSON() throws {
        let f = try DaemonFixture(pages: 1)
        let folder = try f.annHoldsPage()
        try f.label(folder, status: "submitted")
        #expect(rename(folder + "/page.json", folder + "/real.json") == 0)
        #expect(symlink("real.json", folder + "/page.json") == 0)
        f.once()
        #expect(errorsText(f, folder).contains("symbolic link"))
        #expect(LocalPaths.status(folder + "/page.json")?.kind == .symlink)
    }

    @Test("6: page.json that is not a regular file (a FIFO, unreadable even for root) gets ERRORS.txt")
    func fifoPageJSON() throws {
        let f = try DaemonFixture(pages: 1)
        let folder = try f.annHoldsPage()
        #expect(unlink(folder + "/page.json") == 0)
        #expect(mkfifo(folder + "/page.json", 0o644) == 0)
        f.once()
        #expect(errorsText(f, folder).contains("not a regular file"))
    }

    @Test("6: page.json without read permission gets ERRORS.txt", .enabled(if: getuid() != 0, "root reads a chmod 000 file; EndToEndTests run this case as nobody"))
    func unreadablePageJSON() throws {
        let f = try DaemonFixture(pages: 1)
        let folder = try f.annHoldsPage()
        #expect(chmod(folder + "/page.json", 0) == 0)
        f.once()
        #expect(errorsText(f, folder).contains("permission"))
    }

    @Test("6: page.json over 16 MiB gets ERRORS.txt")
    func hugePageJSON() throws {
        let f = try DaemonFixture(pages: 1)
        let folder = try f.annHoldsPage()
        try f.label(folder, status: "submitted")
        var text = try f.bytes(folder + "/page.json")
        text += [UInt8](repeating: 32, count: 17 << 20)
        try LocalPaths.writeAtomically(folder + "/page.json", text)
        f.once()
        #expect(errorsText(f, folder).contains("16 MiB"))
    }

    @Test("6: a rejection rewrite of a large compact page stays under 16 MiB and can be checked again")
    func rejectionStaysReadable() throws {
        let f = try DaemonFixture(pages: 1, task: "polygon")
        let folder = try f.annHoldsPage()
        var page = try f.manifest(folder)
        guard case .array(var images) = page["images"] else { Issue.record("no images"); return }
        // 100 polygons of 10,001 points, written compactly (8 MB): one point on
        // each line of a pretty rewrite would make it three times as large.
        let points: JSONValue = .array(Array(repeating: .array([.number(10), .number(10)]), count: 10_001))
        let region: JSONValue = .object([("tag", .string("circle")), ("polygon", points)])
        images[0].setMember("regions", .array(Array(repeating: region, count: 100)))
        page.setMember("images", .array(images))
        page.setMember("status", .string("submitted"))
        try LocalPaths.writeAtomically(folder + "/page.json", Array(JSONWriter.compact(page).utf8))
        f.once()
        let after = try LocalPaths.read(folder + "/page.json", maxBytes: 1 << 30).bytes
        #expect(after.count <= StrictJSON.maxBytes)
        let reparsed = try StrictJSON.parse(after)
        #expect(reparsed["status"]?.value.stringValue == "rejected")
        #expect((reparsed["errors"]?.value.arrayValue?.count ?? 0) > 0)
    }
}
