import Foundation
import LabelmillCore
import LabelmillFS
import TestSupport
import Testing

/// `--root` may be relative (`labelmill status --root ws`): the rooted
/// folder's own path, spelled as it was opened, names the folder itself.
@Suite("A folder opened by a relative path")
struct RelativeRootTests {
    @Test("Its own relative path is the folder itself: the inbox scan finds its images")
    func ownRelativePath() throws {
        let base = try makeTemporaryFolder("labelmill-relative")
        defer { try? FileManager.default.removeItem(atPath: base) }
        // A relative spelling of the folder, from the current directory (changing it would disturb tests running beside).
        let cwd = FileManager.default.currentDirectoryPath.split(separator: "/")
        let relative = String(repeating: "../", count: cwd.count) + base.drop(while: { $0 == "/" }) + "/ws/Inbox/p"
        try FileManager.default.createDirectory(atPath: base + "/ws/Inbox/p/sub", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: base + "/ws/Inbox/p/a.png", contents: Data([1]))
        FileManager.default.createFile(atPath: base + "/ws/Inbox/p/sub/b.png", contents: Data([2]))
        #expect(InboxScanner.scan(relative).filter { $0.status.kind == .regular }.map(\.source).sorted() == ["a.png", "sub/b.png"])
        let fs = try RootedDirectory.open(relative)
        #expect(fs.names(relative) == ["a.png", "sub"])
        #expect(fs.names(relative + "/sub") == ["b.png"])
    }
}
