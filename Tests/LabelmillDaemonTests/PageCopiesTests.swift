import LabelmillCore
import LabelmillFS
@testable import LabelmillDaemon
import Testing

@Suite("The daemon's copies of pages and its image index, kept compact")
struct PageCopiesTests {
    @Test("A digest is its 64 hex digits as 32 bytes; the index finds each image's page and place, and keeps names that are not digests")
    func imageIndex() {
        var index = ImageIndex()
        let a = String(repeating: "0123456789abcdef", count: 4)
        let b = String(repeating: "fedcba9876543210", count: 4)
        #expect(ImageIndex.Digest(hex: a) != nil && ImageIndex.Digest(hex: a) != ImageIndex.Digest(hex: b))
        #expect(ImageIndex.Digest(hex: a.uppercased()) == ImageIndex.Digest(hex: a))
        #expect(ImageIndex.Digest(hex: String(a.dropLast())) == nil && ImageIndex.Digest(hex: String(a.dropLast()) + "g") == nil)
        index.insert(a, page: "page-000007", position: 3)
        index.insert(b, page: "page-1234567", position: 0)
        index.insert("not a digest", page: "page-000001", position: 1)
        #expect(index[a]?.page == "page-000007" && index[a]?.position == 3)
        #expect(index[b]?.page == "page-1234567")
        #expect(index["not a digest"]?.position == 1)
        #expect(index[String(repeating: "0", count: 64)] == nil)
        #expect(index.count == 3)
    }

    @Test("Loaded pages are read back when asked for and answer their status without it; a changed page is kept whole")
    func copies() {
        let page = { (n: Int, status: PageStatus) in
            PageManifest(schema: "", project: "p", page: PageID.make(n), revision: 1, task: .bbox, tags: ["A", "B"], status: status,
                         images: [PageImage(file: "a.png", width: 2, height: 2, source: "a.png", sha256: "s\(n)", regions: status == .done ? [Region(tag: "B", shape: .box(Box(x: 0, y: 0, width: 1, height: 1)))] : nil)])
        }
        var reads = 0
        let disk = [1: page(1, .done), 2: page(2, .open)]
        var copies = PageCopies(loaded: [PageID.make(1): .init(offset: 1, length: 1, status: .done), PageID.make(2): .init(offset: 2, length: 1, status: .open)],
                                history: ClassHistory(task: .bbox, tags: ["A", "B"], used: ["B"]), newest: 2) { _, line in
            reads += 1
            return disk[Int(line.offset)]
        }
        #expect(copies.status(of: PageID.make(1)) == .done && copies.status(of: "page-000009") == nil)
        #expect(reads == 0)
        #expect(copies[PageID.make(2)] == page(2, .open) && reads == 1)
        var changed = page(2, .submitted)
        changed.revision = 2
        copies[PageID.make(2)] = changed
        #expect(copies[PageID.make(2)] == changed && reads == 1 && copies.status(of: PageID.make(2)) == .submitted)
        copies[PageID.make(3)] = page(3, .open)
        #expect(copies.count == 3 && Set(copies.ids) == [PageID.make(1), PageID.make(2), PageID.make(3)])
        #expect(Array(copies.manifests).count == 3)
        let history = copies.history()
        #expect(history.used == ["B"] && history.task == .bbox && history.tags == ["A", "B"])
    }
}

@Suite("Handled page.json versions, keyed compactly")
struct HandledVersionsTests {
    @Test("A queued page is found by its folder, kept by number; other folders by path; a version compares by inode, size and times")
    func versions() throws {
        var handled = HandledVersions(queue: "/r/Watch/p/queue")
        let status = FileStatus(kind: .regular, size: 10, mtime: 5, ctime: 6, inode: 7, device: 8, links: 1)
        handled["/r/Watch/p/queue/page-000012"] = FileVersion(status)
        handled["/r/Watch/p/labelers/ann/page-000012"] = FileVersion(status)
        handled["/r/Watch/p/queue/page-12"] = FileVersion(status)
        #expect(handled["/r/Watch/p/queue/page-000012"]?.sameVersion(as: status) == true)
        #expect(handled["/r/Watch/p/labelers/ann/page-000012"] != nil && handled["/r/Watch/p/queue/page-12"] != nil)
        #expect(handled["/r/Watch/p/queue/page-000013"] == nil)
        var later = status
        later.mtime += 1
        #expect(handled["/r/Watch/p/queue/page-000012"]?.sameVersion(as: later) == false)
        handled["/r/Watch/p/queue/page-000012"] = nil
        #expect(handled["/r/Watch/p/queue/page-000012"] == nil && handled["/r/Watch/p/labelers/ann/page-000012"] != nil)
    }
}
