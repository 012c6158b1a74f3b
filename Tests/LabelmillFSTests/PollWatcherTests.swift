import Foundation
import LabelmillCore
import LabelmillFS
import Testing

/// The poll watcher on the in-memory file system with a mock clock: what it
/// reports, what it does not look at, and coarse file times.
@Suite("PollWatcher: inotify's events from folder times")
struct PollWatcherTests {
    final class Clock: @unchecked Sendable { var now = 1_000.0 }

    let clock = Clock()
    let fs: MemoryFileSystem
    let watcher: PollWatcher

    init() throws {
        let clock = self.clock
        fs = MemoryFileSystem(path: "/root", clock: { clock.now })
        for folder in ["Inbox/p", "Watch/p/queue/page-000001", "Watch/p/labelers/ann/page-000002", "Watch/p/conflicts/old"] {
            try fs.makeFolders(folder)
        }
        try fs.writeNew("Watch/p/queue/page-000001/page.json", Array("{}".utf8))
        try fs.writeNew("Watch/p/labelers/ann/page-000002/page.json", Array("{}".utf8))
        watcher = PollWatcher(fileSystem: fs, roots: ["Inbox", "Watch"], watchesBelow: { dir in
            !["queue", "conflicts"].contains(Path.name(dir))
        })
    }

    func look(after seconds: Double = 1) -> [String] {
        clock.now += seconds
        return watcher.look(now: clock.now).events.map { "\($0.kind) \($0.path)\($0.isFolder ? "/" : "")" }.sorted()
    }

    @Test("The first look learns; then each change is one event where inotify would give one")
    func events() throws {
        #expect(look().isEmpty)
        #expect(look().isEmpty, "nothing changed, nothing said")
        try fs.writeAtomically("Inbox/p/a.png", [1, 2, 3])
        #expect(look() == ["created Inbox/p/a.png"])
        // A write in place: the file's times change, its folder's do not.
        try fs.append("Inbox/p/a.png", "more")
        #expect(look() == ["attributes Inbox/p/a.png"])
        // An editor's save by rename in a held page; a page folder moved out of the queue.
        try fs.writeAtomically("Watch/p/labelers/ann/page-000002/page.json", Array("{\"a\":1}".utf8))
        try fs.moveNoReplace("Watch/p/queue/page-000001", to: "Watch/p/labelers/ann/page-000001")
        #expect(look() == ["created Watch/p/labelers/ann/page-000001/", "deleted Watch/p/queue/page-000001/",
                           "renamedIn Watch/p/labelers/ann/page-000002/page.json"])
        // The page is watched where it went: an edit in place there is seen.
        try fs.append("Watch/p/labelers/ann/page-000001/page.json", " ")
        #expect(look() == ["attributes Watch/p/labelers/ann/page-000001/page.json"])
        try fs.remove("Inbox/p/a.png")
        #expect(look() == ["deleted Inbox/p/a.png"])
    }

    @Test("Queued page folders and conflicts' folders are not entered: a look costs a few calls per watched folder")
    func cheap() throws {
        _ = look()
        for n in 3...500 { try fs.makeFolders("Watch/p/queue/page-\(String(format: "%06d", n))") }
        #expect(look().count == 498)
        let watched = watcher.watchedFolders
        #expect(watched == 9, "Inbox, Inbox/p, Watch, Watch/p, queue, labelers, ann, its page, conflicts")
        _ = look()
        // Nothing changed: one lstat per watched folder and per file in them (the held page's page.json), no listing.
        #expect(watcher.lastLookCalls <= watched + 2, "not a listing of the 500 queued pages")
        try fs.append("Watch/p/queue/page-000003/x", "in place, in a queued page")
        try fs.writeNew("Watch/p/conflicts/old/NOTE.txt", [1])
        #expect(look().isEmpty, "the engine's rescan covers these")
    }

    @Test("One-second file times: an entry that came in the listing's second is still seen, one granularity later")
    func coarseTimes() throws {
        fs.coarseTimes(seconds: 1)
        clock.now = 2_000.1
        #expect(watcher.look(now: clock.now).events.isEmpty)
        clock.now = 2_001.2
        try fs.writeNew("Inbox/p/a.png", [1])
        #expect(look(after: 0.1).count == 1, "a.png: the folder's time changed")
        clock.now += 0.2
        try fs.writeNew("Inbox/p/b.png", [2])  // same second: the folder's time stays
        // Not seen from the folder's times alone; the second listing sees it, once.
        #expect(look(after: 1.0) + look(after: 1.0) == ["created Inbox/p/b.png"])
        #expect(look(after: 2.5).isEmpty, "and then the folder is not listed again")
    }
}
