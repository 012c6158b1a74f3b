import Foundation
import LabelmillCore
@testable import LabelmillFS
import TestSupport
import Testing

@Suite("Page journal")
struct PageJournalTests {
    static func manifest(_ n: Int, revision: Int) -> PageManifest {
        let sha = String(repeating: String(n % 10), count: 64)
        let images = (0..<4).map { PageImage(file: "\($0).png", width: 4, height: 3, source: "inbox/img-\(n)-\($0).png", sha256: sha) }
        return PageManifest(schema: "", project: "p", page: String(format: "page-%06d", n), revision: revision,
                            task: .multiClass, tags: ["A"], status: .open, images: images)
    }

    @Test("A journal of several chunks loads every page's last line; a line cut by a stop is skipped")
    func loadsAcrossChunks() throws {
        let root = try makeTemporaryFolder("labelmill-journal")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let journal = PageJournal(workspace: Workspace(root: root), project: "p")
        try journal.prepare()
        let pages = 3000
        try journal.append((1...pages).map { Self.manifest($0, revision: 1) })
        try journal.append((1...pages).filter { $0 % 7 == 0 }.map { Self.manifest($0, revision: 2) })
        let size = try #require(try FileManager.default.attributesOfItem(atPath: journal.file)[.size] as? Int)
        #expect(size > 2 << 20)
        let whole = JSONWriter.compact(Self.manifest(pages + 1, revision: 1).json)
        try RootedDirectory.open(root).append(journal.file, String(whole.prefix(whole.count / 2)))

        let loaded = try journal.load()
        #expect(loaded.pages.count == pages)
        #expect(loaded.lines == pages + pages / 7)
        #expect(loaded.pages["page-000014"]?.revision == 2)
        #expect(loaded.pages["page-000015"] == Self.manifest(15, revision: 1))
        #expect(journal.manifest(of: "page-002989")?.revision == 2)
        #expect(journal.manifest(of: "page-003000")?.revision == 1)
        #expect(journal.manifest(of: "page-003001") == nil)
    }

    @Test("Each page's latest line is where loadLines says, across chunks and on the in-memory file system; compaction says where it moved")
    func linesReadBackAlone() throws {
        let root = try makeTemporaryFolder("labelmill-journal")
        defer { try? FileManager.default.removeItem(atPath: root) }
        for fs in [try RootedDirectory.open(root) as any FileSystem, MemoryFileSystem(clock: { 1_000_000 })] {
            let ws = Workspace(root: fs is MemoryFileSystem ? "/memory" : root)
            let journal = PageJournal(workspace: ws, project: "p", root: fs)
            try journal.prepare()
            try journal.append((1...3000).map { Self.manifest($0, revision: 1) })
            try journal.append((1...3000).filter { $0 % 5 == 0 }.map { Self.manifest($0, revision: 2) })
            var spans: [String: PageJournal.LineSpan] = [:]
            let lines = try journal.loadLines { manifest, span in spans[manifest.page] = span }
            #expect(lines == 3600 && spans.count == 3000)
            for n in [1, 5, 1499, 2000, 3000] {
                let id = String(format: "page-%06d", n)
                #expect(journal.manifest(at: spans[id]!) == Self.manifest(n, revision: n % 5 == 0 ? 2 : 1), "\(id)")
            }
            let moved = try journal.compact(spans)
            #expect(moved.count == 3000)
            #expect(try journal.load().lines == 3000)
            for n in [1, 5, 2999, 3000] {
                let id = String(format: "page-%06d", n)
                #expect(journal.manifest(at: moved[id]!) == Self.manifest(n, revision: n % 5 == 0 ? 2 : 1), "\(id)")
            }
        }
    }

    @Test("No journal yet: no pages")
    func missing() throws {
        let root = try makeTemporaryFolder("labelmill-journal")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let loaded = try PageJournal(workspace: Workspace(root: root), project: "p").load()
        #expect(loaded.pages.isEmpty && loaded.lines == 0)
    }
}
