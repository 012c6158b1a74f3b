import Foundation
import LabelmillCore
@testable import LabelmillFS
import TestSupport
import Testing

/// A root folder and a folder outside it, each a fresh temp folder.
final class RootAndOutside {
    let root: String
    let outside: String

    init() throws {
        root = try Self.temp("root")
        outside = try Self.temp("outside")
    }

    static func temp(_ label: String) throws -> String {
        try makeTemporaryFolder("labelmill-fs-\(label)")
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
        try? FileManager.default.removeItem(atPath: outside)
    }

    func write(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// Every entry below the outside folder with its bytes: what a test must leave alone.
    var outsideContents: [String: Data] {
        var out: [String: Data] = [:]
        for relative in (try? FileManager.default.subpathsOfDirectory(atPath: outside)) ?? [] {
            out[relative] = FileManager.default.contents(atPath: outside + "/" + relative) ?? Data()
        }
        return out
    }

    /// `root/<name>` made a symlink to `outside/<name>`, a folder holding one file.
    func linkedFolder(_ name: String) throws {
        try write(outside + "/\(name)/file.txt", "outside\n")
        try FileManager.default.createDirectory(atPath: (root + "/" + name as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        #expect(symlink(outside + "/" + name, root + "/" + name) == 0)
    }
}

@Suite("RootedDirectory: every path opened with openat and O_NOFOLLOW, never through a link")
struct RootedDirectoryTests {
    @Test("A folder on the way that is a symlink is refused for every operation; nothing outside changes")
    func linkedComponentRefused() throws {
        let t = try RootAndOutside()
        try t.linkedFolder("Watch/p/labelers")
        let before = t.outsideContents
        let root = try RootedDirectory.open(t.root)
        let inside = t.root + "/Watch/p/labelers/file.txt"
        var errors: [FileSystemError] = []
        func attempt(_ body: () throws -> Void) {
            do { try body() } catch let error as FileSystemError { errors.append(error) } catch { Issue.record("\(error)") }
        }
        attempt { _ = try root.read(inside) }
        attempt { try root.writeAtomically(inside, Array("x".utf8)) }
        attempt { _ = try root.writeNew(t.root + "/Watch/p/labelers/new.txt", Array("x".utf8)) }
        attempt { try root.append(inside, "x") }
        attempt { _ = try root.list(t.root + "/Watch/p/labelers") }
        attempt { try root.makeFolders(t.root + "/Watch/p/labelers/ann") }
        attempt { try root.remove(inside) }
        attempt { try root.moveNoReplace(inside, to: t.root + "/moved.txt") }
        attempt { try root.link(inside, to: t.root + "/linked.txt") }
        #expect(errors.count == 9)
        #expect(errors.allSatisfy { $0.isSymlink && $0.description.contains("Watch/p/labelers: a symbolic link is in the way") }, "\(errors)")
        #expect(root.status(inside) == nil)
        #expect(root.names("Watch/p/labelers").isEmpty)
        try root.removeTree(t.root + "/Watch/p")
        #expect(t.outsideContents == before)
        #expect(!FileManager.default.fileExists(atPath: t.root + "/Watch/p"))
    }

    @Test("A file that is a symlink is neither read nor written through; a FIFO is refused without blocking; size is capped")
    func lastComponentChecks() throws {
        let t = try RootAndOutside()
        try t.write(t.outside + "/secret", "secret\n")
        try t.write(t.root + "/page/real.json", "{}")
        #expect(symlink(t.outside + "/secret", t.root + "/page/page.json") == 0)
        #expect(mkfifo(t.root + "/page/fifo.png", 0o644) == 0)
        let root = try RootedDirectory.open(t.root)
        #expect(throws: FileSystemError.self) { _ = try root.read("page/page.json") }
        do { _ = try root.read("page/page.json") } catch { #expect(error.isSymlink && error.description.contains("symbolic link")) }
        do { _ = try root.read("page/fifo.png") } catch { #expect(error.description.contains("not a regular file")) }
        do { _ = try root.read("page/real.json", maxBytes: 1) } catch { #expect(error.errno == EFBIG) }
        #expect(throws: FileSystemError.self) { _ = try root.writeNew("page/page.json", Array("x".utf8)) }
        #expect(throws: FileSystemError.self) { try root.append("page/page.json", "x") }
        // An atomic replace swaps the link itself for a file; the target is untouched.
        try root.writeAtomically("page/page.json", Array("{\"a\": 1}".utf8))
        #expect(root.status("page/page.json")?.kind == .regular)
        #expect(try String(contentsOfFile: t.outside + "/secret", encoding: .utf8) == "secret\n")
        #expect(root.names("page") == ["fifo.png", "page.json", "real.json"], "no temp file left behind")
    }

    @Test("Paths outside the folder and paths going up are refused")
    func pathsOutside() throws {
        let t = try RootAndOutside()
        try t.write(t.outside + "/secret", "secret\n")
        let root = try RootedDirectory.open(t.root)
        for path in [t.outside + "/secret", "../" + (t.outside as NSString).lastPathComponent + "/secret", "a/../../secret"] {
            #expect(throws: FileSystemError.self, "\(path)") { _ = try root.read(path) }
        }
        // The folder's own path, and other spellings of it, name paths inside.
        try root.writeNew(t.root + "/a.txt", Array("a".utf8))
        #expect(try root.read(t.root + "//./a.txt").bytes == Array("a".utf8))
        #expect(try root.read("a.txt").bytes == Array("a".utf8))
    }

    @Test("No-clobber moves and links between folders; a link is linked as a link, not its target")
    func movesAndLinks() throws {
        let t = try RootAndOutside()
        let root = try RootedDirectory.open(t.root)
        try root.makeFolders("Watch/p/queue")
        try root.makeFolders(t.root + "/Watch/p/labelers/ann")
        let queue = try root.folder("Watch/p/queue")
        let ann = try root.folder(t.root + "/Watch/p/labelers/ann")
        try queue.makeFolders("page-000001")
        try queue.writeNew("page-000001/page.json", Array("{}".utf8))
        try ann.makeFolders("page-000001")
        #expect(throws: FileSystemError.self) { try queue.moveNoReplace("page-000001", to: "page-000001", in: ann) }
        try ann.removeTree("page-000001")
        try queue.moveNoReplace("page-000001", to: "page-000001", in: ann)
        #expect(ann.names() == ["page-000001"] && queue.names().isEmpty)
        #expect(ann.folderNames() == ["page-000001"])
        try t.write(t.outside + "/secret", "secret\n")
        #expect(symlink(t.outside + "/secret", t.root + "/Watch/p/labelers/ann/page-000001/link.png") == 0)
        try ann.link("page-000001/link.png", to: "copy.png", in: queue)
        #expect(queue.status("copy.png")?.kind == .symlink)
        try ann.link("page-000001/page.json", to: "page.json", in: queue)
        #expect(queue.status("page.json")?.links == 2)
        #expect(try root.moveKeepingBoth("Watch/p/queue/page.json", to: "Watch/p/queue/copy.png") == "Watch/p/queue/copy-2.png")
    }

    @Test("A symlinked folder never counts as a folder, and removing a tree never follows one")
    func treesAndFolderNames() throws {
        let t = try RootAndOutside()
        try t.linkedFolder("labelers/bob")
        try t.write(t.root + "/labelers/ann/page-000001/page.json", "{}")
        let before = t.outsideContents
        let root = try RootedDirectory.open(t.root)
        #expect(root.folderNames("labelers") == ["ann"])
        #expect(root.names("labelers") == ["ann", "bob"])
        #expect(throws: FileSystemError.self) { _ = try root.folder("labelers/bob") }
        try root.removeTree("labelers")
        #expect(t.outsideContents == before)
        #expect(root.names().isEmpty)
    }
}

@Suite("RootedDirectory.status in one resolution (openat2) answers as the walk does")
struct StatusBeneathTests {
    @Test("Files, folders, links at the end and on the way, missing entries, a file used as a folder")
    func sameAnswersAsTheWalk() throws {
        let dirs = try RootAndOutside()
        try dirs.write(dirs.root + "/a/b/c/page.json", "{}")
        try dirs.write(dirs.outside + "/secret/page.json", "{}")
        #expect(symlink(dirs.outside + "/secret", dirs.root + "/a/b/out") == 0)
        #expect(symlink("c/page.json", dirs.root + "/a/b/file-link") == 0)
        let root = try RootedDirectory.open(dirs.root)
        func walked(_ path: String) -> FileStatus? {
            guard let folder = try? root.folder(Path.parent(path)) else { return nil }
            return folder.status(entry: Array(Path.name(path).utf8))
        }
        let paths = ["a", "a/b", "a/b/c/page.json", "a/b/out", "a/b/out/page.json", "a/b/file-link",
                     "a/b/file-link/x", "a/b/c/page.json/x", "a/missing", "a/b/c/../c/page.json", dirs.root + "/a/b/c/page.json"]
        for path in paths {
            let fast = root.status(path)
            let slow = walked(path.hasPrefix("/") ? String(path.dropFirst(dirs.root.count + 1)) : path)
            #expect(fast?.inode == slow?.inode && fast?.kind == slow?.kind && fast?.size == slow?.size, "\(path)")
        }
        #expect(root.status("a/b/out")?.kind == .symlink)
        #expect(root.status("a/b/out/page.json") == nil)
        #expect(root.status("a/b/c/page.json")?.kind == .regular)
        // This kernel has openat2, so the single resolution was used, not given up.
        #expect(RootedDirectory.resolvesBeneath)
    }
}
