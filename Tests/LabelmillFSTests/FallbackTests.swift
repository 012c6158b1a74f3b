import Foundation
import LabelmillCore
import LabelmillFS
import TestSupport
import Testing

/// RootedDirectory's fallbacks for file systems without RENAME_NOREPLACE,
/// hard links or syncfs (sshfs, some NFS and SMB servers), forced on a local
/// folder: each keeps what the call promises. The contract tests run whole
/// on them too (FileSystemKind.withoutNoReplace, .withoutLinks); sshfs itself
/// is in Tests/deploy/test_netfs.py.
@Suite("RootedDirectory fallbacks")
struct FallbackTests {
    static let none = FileSystemAbilities(renameNoReplace: false, hardLinks: false, syncfs: false)
    static let linksOnly = FileSystemAbilities(renameNoReplace: false, syncfs: false)

    func folder() throws -> String { try makeTemporaryFolder("labelmill-fallback") }

    @Test("The probe finds every ability on a local disk, and says so in no fallbacks")
    func probeLocal() throws {
        let root = try folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fs = try RootedDirectory.open(root)
        try fs.makeFolders(".labelmill/staging")
        let found = fs.probeAbilities(in: ".labelmill/staging")
        try #require(MountKind.networkName(of: root) == nil, "the temp folder is on a local file system")
        #expect(found == .full && found.fallbacks.isEmpty)
        #expect(fs.names(".labelmill/staging").isEmpty, "the probe leaves nothing behind")
        #expect(FallbackTests.none.fallbacks.count == 3)
        #expect(FallbackTests.linksOnly.fallbacks.first?.contains("link then unlink") == true)
    }

    @Test("Without RENAME_NOREPLACE: a move never replaces a file or a folder, within a folder or between folders",
          arguments: [FallbackTests.linksOnly, FallbackTests.none])
    func noClobber(_ abilities: FileSystemAbilities) throws {
        let root = try folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fs = try RootedDirectory.open(root, abilities: abilities)
        try fs.makeFolders("page")
        try fs.writeNew("page/page.json", Array("labeler".utf8))
        try fs.writeNew("page/.page.json.aside", Array("daemon".utf8))
        // Within a folder: the labeler's save stays.
        #expect(errnoOf { try fs.moveNoReplace("page/.page.json.aside", to: "page/page.json") } == EEXIST)
        #expect(try fs.read("page/page.json").bytes == Array("labeler".utf8))
        #expect(try fs.read("page/.page.json.aside").bytes == Array("daemon".utf8))
        try fs.remove("page/page.json")
        try fs.moveNoReplace("page/.page.json.aside", to: "page/page.json")
        #expect(fs.names("page") == ["page.json"] && fs.status("page/page.json")?.links == 1)
        // Between folders: a file, then a folder onto one with something in it.
        try fs.makeFolders("rejected")
        try fs.writeNew("rejected/a.png", [1])
        try fs.writeNew("a.png", [2])
        let before = try #require(fs.status("a.png"))
        #expect(errnoOf { try fs.moveNoReplace("a.png", to: "rejected/a.png") } == EEXIST)
        #expect(try fs.moveKeepingBoth("a.png", to: "rejected/a.png") == "rejected/a-2.png")
        #expect(fs.status("rejected/a-2.png")?.inode == before.inode, "a rename, not a copy")
        #expect(try fs.read("rejected/a.png").bytes == [1])
        try fs.makeFolders("queue/page")
        try fs.writeNew("queue/page/page.json", Array("other".utf8))
        #expect(errnoOf { try fs.moveNoReplace("page", to: "queue/page") } == EEXIST)
        #expect(try fs.read("queue/page/page.json").bytes == Array("other".utf8))
        #expect(errnoOf { try fs.moveNoReplace("gone", to: "queue/gone") } == ENOENT)
    }

    @Test("Without hard links: a link is a synced copy with the source's mode, and never replaces")
    func copies() throws {
        let root = try folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fs = try RootedDirectory.open(root, abilities: FallbackTests.none)
        try fs.makeFolders("kept")
        try fs.writeNew("image.png", Array(repeating: 7, count: 3 << 20))
        try fs.makeReadOnly("image.png")
        try fs.link("image.png", to: "kept/abc")
        let copy = try #require(fs.status("kept/abc"))
        #expect(copy.size == 3 << 20 && copy.inode != fs.status("image.png")?.inode)
        #expect(try fs.read("kept/abc").bytes == Array(repeating: 7, count: 3 << 20))
        var st = stat()
        #expect(lstat(root + "/kept/abc", &st) == 0 && st.st_mode & 0o777 == 0o444)
        #expect(errnoOf { try fs.link("image.png", to: "kept/abc") } == EEXIST)
        #expect(!fs.linksShowIdentity)
    }

    @Test("Without syncfs: writes, appends, moves and removals all still land (each synced as made)")
    func withoutSyncfs() throws {
        let root = try folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fs = try RootedDirectory.open(root, abilities: FileSystemAbilities(syncfs: false))
        try fs.makeFolders("a/b")
        try fs.writeNew("a/b/new", [1])
        try fs.append("a/log", "one\n")
        try fs.append("a/log", "two\n")
        try fs.writeAtomically("a/state", [3], durable: false)
        try fs.moveNoReplace("a/b/new", to: "a/moved")
        try fs.remove("a/state")
        fs.syncFileSystem()
        #expect(fs.names("a") == ["b", "log", "moved"])
        #expect(try fs.read("a/log").bytes == Array("one\ntwo\n".utf8))
        #expect(fs.abilities.fallbacks == ["no working syncfs: each write is synced as it is made"])
    }
}
