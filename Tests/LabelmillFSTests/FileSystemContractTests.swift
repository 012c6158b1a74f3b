import Foundation
import LabelmillCore
import LabelmillFS
import Testing

/// One file system under test: the local one on a temp folder, or the fake.
final class FileSystemSubject {
    let fs: any FileSystem
    private let makeLink: (String, String) throws -> Void
    private let folder: String?

    init(_ kind: FileSystemKind) throws {
        switch kind {
        case .local, .withoutNoReplace, .withoutLinks:
            var template = Array((NSTemporaryDirectory() + "labelmill-fs-XXXXXX").utf8CString)
            guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
            let root = String(cString: made)
            folder = root
            fs = try RootedDirectory.open(root, abilities: kind.abilities)
            makeLink = { path, target in
                guard Glibc.symlink(target, root + "/" + path) == 0 else { throw CocoaError(.fileWriteUnknown) }
            }
        case .memory:
            folder = nil
            let memory = MemoryFileSystem(path: "/memory-root", clock: { 1_800_000_000 })
            fs = memory
            makeLink = { path, target in try memory.makeSymlink(path, to: target) }
        }
    }

    deinit { if let folder { try? FileManager.default.removeItem(atPath: folder) } }

    func symlink(_ path: String, to target: String) throws { try makeLink(path, target) }

    func text(_ path: String) throws -> String { String(decoding: try fs.read(path).bytes, as: UTF8.self) }
}

enum FileSystemKind: String, CaseIterable, CustomTestStringConvertible {
    case local, memory
    /// The local one made to use its fallbacks, as on sshfs: no RENAME_NOREPLACE, no syncfs (links work).
    case withoutNoReplace
    /// And without hard links either: copies, and check-then-rename for every move.
    case withoutLinks
    var testDescription: String { rawValue }

    var abilities: FileSystemAbilities? {
        switch self {
        case .local, .memory: nil
        case .withoutNoReplace: FileSystemAbilities(renameNoReplace: false, syncfs: false)
        case .withoutLinks: FileSystemAbilities(renameNoReplace: false, hardLinks: false, syncfs: false)
        }
    }
}

/// The errno a call threw, or nil when it did not throw (-1: not a FileSystemError).
func errnoOf(_ body: () throws -> Void) -> Int32? {
    do { try body() } catch let error as FileSystemError { return error.errno } catch { return -1 }
    return nil
}

@Suite("FileSystem contract: RootedDirectory and MemoryFileSystem behave alike")
struct FileSystemContractTests {
    @Test("New files: O_EXCL, status as lstat gives it, read with a limit", arguments: FileSystemKind.allCases)
    func newFiles(_ kind: FileSystemKind) throws {
        let s = try FileSystemSubject(kind)
        let fs = s.fs
        let written = try fs.writeNew("a.txt", Array("hello".utf8))
        #expect(written.kind == .regular && written.size == 5 && written.links == 1)
        #expect(errnoOf { try fs.writeNew("a.txt", Array("again".utf8)) } == EEXIST)
        let read = try fs.read("a.txt")
        #expect(read.bytes == Array("hello".utf8))
        #expect(read.status.inode == written.inode)
        #expect(fs.status("a.txt")?.inode == written.inode)
        #expect(errnoOf { _ = try fs.read("a.txt", maxBytes: 4) } == EFBIG)
        #expect(errnoOf { _ = try fs.read("missing.txt") } == ENOENT)
        #expect(errnoOf { try fs.writeNew("no/such/folder.txt", []) } == ENOENT)
        #expect(fs.status("missing.txt") == nil && !fs.exists("missing.txt"))
        // The root's own path names paths inside; going up or outside is refused.
        #expect(try fs.read(fs.path + "/a.txt").bytes == Array("hello".utf8))
        #expect(errnoOf { _ = try fs.read("../a.txt") } == EXDEV)
        #expect(errnoOf { _ = try fs.read("/elsewhere/a.txt") } == EXDEV)
    }

    @Test("Atomic writes replace with a new inode and leave no temp file; appends add in place", arguments: FileSystemKind.allCases)
    func atomicAndAppend(_ kind: FileSystemKind) throws {
        let s = try FileSystemSubject(kind)
        let fs = s.fs
        try fs.writeAtomically("f", Array("one".utf8))
        let first = try #require(fs.status("f"))
        try fs.writeAtomically("f", Array("two!".utf8), durable: false)
        let second = try #require(fs.status("f"))
        #expect(try s.text("f") == "two!")
        #expect(second.inode != first.inode && second.size == 4)
        #expect(fs.names() == ["f"])
        #expect(try fs.list().map(\.name) == ["f"])
        try fs.append("log", "a\n")
        let log = try #require(fs.status("log"))
        try fs.append("log", "b\n")
        #expect(try s.text("log") == "a\nb\n")
        #expect(fs.status("log")?.inode == log.inode)
        try fs.makeFolders("d")
        #expect(errnoOf { try fs.writeAtomically("d", Array("x".utf8)) } != nil)
        #expect(fs.names() == ["d", "f", "log"], "a failed replace leaves no temp file")
    }

    @Test("Replace only while unchanged", arguments: FileSystemKind.allCases)
    func replaceIfUnchanged(_ kind: FileSystemKind) throws {
        let s = try FileSystemSubject(kind)
        let fs = s.fs
        try fs.writeAtomically("page.json", Array("v1".utf8))
        let v1 = try fs.read("page.json")
        #expect(fs.isUnchanged("page.json", since: v1))
        #expect(try fs.replaceIfUnchanged("page.json", since: v1, with: Array("daemon".utf8)))
        #expect(try s.text("page.json") == "daemon")
        #expect(!fs.isUnchanged("page.json", since: v1))
        let mine = try fs.read("page.json")
        try fs.writeAtomically("page.json", Array("labeler".utf8))
        #expect(try !fs.replaceIfUnchanged("page.json", since: mine, with: Array("lost".utf8)))
        #expect(try s.text("page.json") == "labeler")
        #expect(fs.names() == ["page.json"])
        #expect(try !fs.replaceIfUnchanged("gone.json", since: mine, with: Array("x".utf8)))
        #expect(fs.names() == ["page.json"])
    }

    @Test("Moves never replace; folders move whole", arguments: FileSystemKind.allCases)
    func moves(_ kind: FileSystemKind) throws {
        let s = try FileSystemSubject(kind)
        let fs = s.fs
        try fs.makeFolders("stage/page")
        try fs.writeNew("stage/page/page.json", Array("{}".utf8))
        try fs.makeFolders("queue")
        try fs.moveNoReplace("stage/page", to: "queue/page")
        #expect(fs.names("stage").isEmpty && fs.names("queue/page") == ["page.json"])
        try fs.writeNew("x", [1])
        try fs.writeNew("y", [2])
        #expect(errnoOf { try fs.moveNoReplace("x", to: "y") } == EEXIST)
        #expect(errnoOf { try fs.moveNoReplace("nothing", to: "z") } == ENOENT)
        #expect(errnoOf { try fs.moveNoReplace("x", to: "no/such/z") } == ENOENT)
        #expect(errnoOf { try fs.moveNoReplace("queue", to: "queue/page/inside") } == EINVAL)
        #expect(try fs.moveKeepingBoth("x", to: "y") == "y-2")
        #expect(try fs.read("y-2").bytes == [1])
        #expect(try fs.read("y").bytes == [2])
        let moved = try #require(fs.status("y-2"))
        try fs.moveNoReplace(rawFrom: Array("y-2".utf8), to: Array("queue/y".utf8))
        #expect(fs.status("queue/y")?.inode == moved.inode)
    }

    @Test("Hard links share the bytes and count; removing one name keeps the other", arguments: FileSystemKind.allCases)
    func links(_ kind: FileSystemKind) throws {
        let s = try FileSystemSubject(kind)
        let fs = s.fs
        try fs.makeFolders("kept")
        try fs.writeNew("image.png", Array("png".utf8))
        try fs.link("image.png", to: "kept/abc")
        try fs.makeReadOnly("kept/abc")
        let a = try #require(fs.status("image.png")), b = try #require(fs.status("kept/abc"))
        if fs.linksShowIdentity {
            #expect(a.inode == b.inode && a.links == 2 && b.links == 2)
        } else {
            // The copy instead: the same bytes, read-only, a file of its own.
            #expect(a.inode != b.inode && a.links == 1 && b.links == 1 && b.size == a.size)
        }
        #expect(errnoOf { try fs.link("image.png", to: "kept/abc") } == EEXIST)
        #expect(errnoOf { try fs.link("kept", to: "kept2") } == EPERM)
        #expect(errnoOf { try fs.link("none", to: "kept/none") } == ENOENT)
        try fs.remove("image.png")
        #expect(fs.status("kept/abc")?.links == 1)
        #expect(fs.status("kept/abc").map { $0.kind == .regular } == true)
        #expect(try fs.read("kept/abc").bytes == Array("png".utf8))
        try fs.remove("image.png")  // gone already: fine
    }

    @Test("Removing: files, empty folders, whole trees", arguments: FileSystemKind.allCases)
    func removing(_ kind: FileSystemKind) throws {
        let s = try FileSystemSubject(kind)
        let fs = s.fs
        try fs.makeFolders("t/a/b")
        try fs.writeNew("t/a/b/f", [1])
        try fs.writeNew("t/g", [2])
        #expect(errnoOf { try fs.remove("t/a") } != nil, "remove takes no folder")
        #expect(try !fs.removeEmptyFolder("t/a"))
        #expect(errnoOf { _ = try fs.removeEmptyFolder("t/g") } == ENOTDIR)
        try fs.removeTree("t/a")
        #expect(fs.names("t") == ["g"])
        #expect(try fs.removeEmptyFolder("t/nothing"))
        try fs.remove("t/g")
        #expect(try fs.removeEmptyFolder("t"))
        try fs.removeTree("t")
        try fs.removeTree("t/deeper/still")
        #expect(fs.names().isEmpty)
    }

    @Test("Folders: made with their parents; a file in the way is ENOTDIR", arguments: FileSystemKind.allCases)
    func folders(_ kind: FileSystemKind) throws {
        let s = try FileSystemSubject(kind)
        let fs = s.fs
        try fs.makeFolders("Watch/p/queue")
        try fs.makeFolders("Watch/p/queue")
        try fs.requireFolder("Watch/p")
        #expect(fs.isDirectory("Watch/p/queue") && fs.status("Watch")?.kind == .directory)
        try fs.writeNew("Watch/file", [])
        #expect(errnoOf { try fs.makeFolders("Watch/file/sub") } == ENOTDIR)
        #expect(errnoOf { try fs.requireFolder("Watch/file") } == ENOTDIR)
        #expect(errnoOf { try fs.requireFolder("Watch/none") } == ENOENT)
        #expect(errnoOf { _ = try fs.list("Watch/none") } == ENOENT)
        #expect(fs.folderNames("Watch") == ["p"] && fs.names("Watch") == ["file", "p"])
        #expect(fs.names("Watch/none").isEmpty)
    }

    @Test("Syncing named files and folders: never through a link; a missing one is ENOENT", arguments: FileSystemKind.allCases)
    func syncNamed(_ kind: FileSystemKind) throws {
        let s = try FileSystemSubject(kind)
        let fs = s.fs
        try fs.makeFolders("a/b")
        try fs.writeNew("a/b/file", [1])
        try fs.sync(["a/b/file", "a/b", "a", ""])
        try s.symlink("a/link", to: "b/file")
        #expect(errnoOf { try fs.sync(["a/link"]) } == ELOOP)
        #expect(errnoOf { try fs.sync(["a/link/file"]) } == ELOOP)
        #expect(errnoOf { try fs.sync(["a/none"]) } == ENOENT)
        #expect(try s.text("a/b/file") == "\u{1}")
    }

    @Test("A symlink is there, never followed", arguments: FileSystemKind.allCases)
    func symlinks(_ kind: FileSystemKind) throws {
        let s = try FileSystemSubject(kind)
        let fs = s.fs
        try fs.makeFolders("real")
        try fs.writeNew("real/secret", Array("s".utf8))
        try s.symlink("link", to: "real")
        try s.symlink("file-link", to: "real/secret")
        #expect(fs.status("link")?.kind == .symlink && fs.status("link/secret") == nil)
        #expect(errnoOf { _ = try fs.read("file-link") } == ELOOP)
        #expect(errnoOf { _ = try fs.read("link/secret") } == ELOOP)
        #expect(errnoOf { _ = try fs.list("link") } == ELOOP)
        #expect(errnoOf { try fs.requireFolder("link") } == ELOOP)
        #expect(errnoOf { try fs.makeFolders("link/sub") } == ELOOP)
        #expect(errnoOf { try fs.writeNew("link/new", []) } == ELOOP)
        #expect(errnoOf { try fs.makeReadOnly("file-link") } == ELOOP)
        #expect(fs.folderNames() == ["real"] && fs.names() == ["file-link", "link", "real"])
        // A link of the link, not of what it points to; removing removes the link.
        try fs.link("file-link", to: "second-link")
        #expect(fs.status("second-link")?.kind == .symlink)
        try fs.makeFolders("tree")
        try fs.moveNoReplace("link", to: "tree/link")
        try fs.removeTree("tree")
        #expect(try s.text("real/secret") == "s")
        #expect(!fs.exists("tree"))
        var seen: [String] = []
        try fs.visitTree("") { entry in
            seen.append(String(decoding: entry.relative, as: UTF8.self))
            return true
        }
        #expect(seen.sorted() == ["file-link", "real", "real/secret", "second-link"])
    }

    @Test("Walking a tree: every entry once, with its depth, entering only what is asked", arguments: FileSystemKind.allCases)
    func visitTree(_ kind: FileSystemKind) throws {
        let s = try FileSystemSubject(kind)
        let fs = s.fs
        try fs.makeFolders("Inbox/p/batch/deep")
        try fs.makeFolders("Inbox/p/skip")
        try fs.writeNew("Inbox/p/a.png", [1])
        try fs.writeNew("Inbox/p/batch/b.png", [2, 2])
        try fs.writeNew("Inbox/p/batch/deep/c.png", [3])
        try fs.writeNew("Inbox/p/skip/d.png", [4])
        var seen: [String: (depth: Int, size: Int64, path: String)] = [:]
        let top = fs.path + "/Inbox/p"
        try fs.visitTree(top) { entry in
            let rel = String(decoding: entry.relative, as: UTF8.self)
            seen[rel] = (entry.depth, entry.status.size, String(decoding: entry.path, as: UTF8.self))
            return rel != "skip"
        }
        #expect(Set(seen.keys) == ["a.png", "batch", "batch/b.png", "batch/deep", "batch/deep/c.png", "skip"])
        #expect(seen["batch/deep/c.png"]?.depth == 2 && seen["batch/b.png"]?.size == 2)
        #expect(seen["batch/b.png"]?.path == top + "/batch/b.png")
        #expect(errnoOf { try fs.visitTree("Inbox/none") { _ in true } } == ENOENT)
        let scan = InboxScanner.walk(top, in: fs)
        #expect(scan.items.map(\.source).sorted() == ["a.png", "batch/b.png", "batch/deep/c.png", "skip/d.png"])
    }
}

@Suite("MemoryFileSystem: its own clock and its crash mode")
struct MemoryFileSystemTests {
    final class Clock: @unchecked Sendable { var now = 1_800_000_000.0 }

    @Test("File times come from the injected clock, and every change moves them on")
    func times() throws {
        let clock = Clock()
        let fs = MemoryFileSystem(path: "/m", clock: { clock.now })
        try fs.makeFolders("d")
        try fs.writeNew("d/f", [1])
        let first = try #require(fs.status("d/f"))
        #expect(abs(Double(first.mtime) / 1e9 - clock.now) < 0.001)
        clock.now += 600
        try fs.append("d/f", "x")
        let second = try #require(fs.status("d/f"))
        #expect(Double(second.mtime) / 1e9 >= clock.now && !second.sameVersion(as: first))
        try fs.append("d/f", "y")  // the clock stood still: the time still moves on
        #expect(try #require(fs.status("d/f")).mtime > second.mtime)
        #expect(try #require(fs.status("d")).mtime >= first.mtime)
    }

    @Test("After the crash point every mutating step fails and changes nothing")
    func crashPoint() throws {
        let fs = MemoryFileSystem(path: "/m", clock: { 1_800_000_000 })
        try fs.makeFolders("a/b")
        #expect(fs.steps == 2)
        fs.crash(after: 3)
        try fs.writeNew("a/one", [1])
        #expect(fs.hasCrashed)
        #expect(errnoOf { try fs.writeNew("a/two", [2]) } == EIO)
        #expect(errnoOf { try fs.moveNoReplace("a/one", to: "a/b/one") } == EIO)
        fs.syncFileSystem()
        #expect(fs.names("a") == ["b", "one"] && fs.steps == 3)
        let kept = fs.afterCrash(.process)
        #expect(kept.tree().map(\.path) == ["a", "a/b", "a/one"])
        try kept.writeNew("a/two", [2])
        #expect(kept.names("a") == ["b", "one", "two"])
    }

    @Test("A power loss keeps every rename and link in order, and only the bytes last made durable")
    func powerLoss() throws {
        let fs = MemoryFileSystem(path: "/m", clock: { 1_800_000_000 })
        try fs.writeNew("synced", Array("s".utf8))
        try fs.append("log", "line 1\n")
        fs.syncFileSystem()
        try fs.append("log", "line 2\n")
        try fs.writeNew("unsynced", Array("u".utf8))
        try fs.writeAtomically("durable", Array("d".utf8))
        try fs.writeAtomically("quick", Array("q".utf8), durable: false)
        try fs.link("unsynced", to: "unsynced-link")
        try fs.moveNoReplace("synced", to: "renamed")
        let power = fs.afterCrash(.power)
        #expect(power.names() == ["durable", "log", "quick", "renamed", "unsynced", "unsynced-link"])
        #expect(try power.read("renamed").bytes == Array("s".utf8))
        #expect(try power.read("log").bytes == Array("line 1\n".utf8))
        #expect(try power.read("durable").bytes == Array("d".utf8))
        #expect(try power.read("unsynced").bytes.isEmpty)
        #expect(try power.read("quick").bytes.isEmpty)
        #expect(power.status("unsynced-link")?.links == 2)
        let process = fs.afterCrash(.process)
        #expect(try process.read("log").bytes == Array("line 1\nline 2\n".utf8))
        #expect(try process.read("unsynced").bytes == Array("u".utf8))
    }

    @Test("A power loss keeps the bytes of files synced by name, one step each, and no others")
    func powerLossAfterNamedSync() throws {
        let fs = MemoryFileSystem(path: "/m", clock: { 1_800_000_000 })
        try fs.makeFolders("kept")
        try fs.writeNew("kept/image", Array("i".utf8))
        try fs.link("kept/image", to: "page-image")
        try fs.append("journal", "page 1\n")
        try fs.writeNew("other", Array("o".utf8))
        let before = fs.steps
        try fs.sync(["kept/image", "kept", "journal"])
        #expect(fs.steps == before + 3)
        try fs.append("journal", "page 2\n")
        let power = fs.afterCrash(.power)
        #expect(try power.read("page-image").bytes == Array("i".utf8))
        #expect(try power.read("journal").bytes == Array("page 1\n".utf8))
        #expect(try power.read("other").bytes.isEmpty)
    }
}
