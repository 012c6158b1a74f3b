import Foundation
import LabelmillCore
import LabelmillDaemon
import LabelmillFS
import Logging
import TestSupport
import Testing

/// A clock the test moves by hand.
final class MockClock: @unchecked Sendable {
    var now: Double
    init(_ now: Double) { self.now = now }
}

/// The daemon's clock starts far from the kernel's: a rule that compared the
/// two would see every file 56 years in the future.
let daemonEpoch = 1_000_000.0

/// One workspace with pages made from the repository's sample images, and an
/// engine on a mock clock: leases and quiet periods without sleeping.
final class DaemonFixture {
    let root: String
    let workspace: Workspace
    let clock = MockClock(daemonEpoch)
    private(set) var engine: Engine

    init(pages: Int = 2, pageSize: Int = 1, settings: String = "", task: String = "multi-class") throws {
        root = try makeTemporaryFolder("labelmill-daemon")
        workspace = Workspace(root: root)
        engine = Self.makeEngine(workspace, clock)
        let fm = FileManager.default
        try fm.createDirectory(atPath: workspace.inbox("p"), withIntermediateDirectories: true)
        try Data("{\"task\": \"\(task)\", \"tags\": [\"circle\", \"square\"], \"page_size\": \(pageSize)\(settings)}".utf8)
            .write(to: URL(fileURLWithPath: workspace.settingsFile("p")))
        let samples = Self.samples
        for name in ["circle-1.png", "square-1.png", "circle-2.png", "triangle-1.png"].prefix(pages) {
            try Self.copySample(name, from: samples, to: workspace.inbox("p") + "/" + name)
        }
        try engine.prepare()
        once()
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// The repository's sample images.
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Inbox/sample").path

    /// A sample image of the repo; from git when `scripts/demo` has paged Inbox/sample.
    static func copySample(_ name: String, from samples: String, to destination: String) throws {
        if FileManager.default.fileExists(atPath: samples + "/" + name) {
            try FileManager.default.copyItem(atPath: samples + "/" + name, toPath: destination)
            return
        }
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        git.arguments = ["git", "-C", samples, "show", "HEAD:./" + name]
        let out = Pipe()
        git.standardOutput = out
        try git.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        git.waitUntilExit()
        guard git.terminationStatus == 0, !data.isEmpty else { throw CocoaError(.fileReadNoSuchFile) }
        try data.write(to: URL(fileURLWithPath: destination))
    }

    /// The edge measures how old a file is on `fileClock`: real time, plus every
    /// second the test moves the mock clock on (the files age with it).
    static func makeEngine(_ workspace: Workspace, _ clock: MockClock) -> Engine {
        Engine(workspace: workspace, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), now: { clock.now },
               fileClock: { Date().timeIntervalSince1970 + (clock.now - daemonEpoch) })
    }

    /// `watch --once` as the command runs it: its second look comes after the mock clock moves on.
    func once() {
        engine.runOnce { [clock] seconds in clock.now += seconds }
    }

    /// A new engine on the same workspace, as after a restart or a new `watch --once`.
    func restart() throws {
        engine = Self.makeEngine(workspace, clock)
        try engine.prepare()
    }

    /// A pass as `watch` runs it (quiet periods apply), after moving the clock on.
    func watchPass(after seconds: Double = 0) {
        clock.now += seconds
        engine.pass(once: false)
    }

    func list(_ folder: String) -> [String] { LocalPaths.names(folder) }
    var queued: [String] { list(workspace.queue("p")) }
    var conflicts: [String] { list(workspace.conflicts("p")) }
    func held(_ name: String) -> [String] { list(workspace.labeler("p", name)) }
    func page(_ id: String, _ place: Workspace.Place) -> String { workspace.folder(of: id, in: "p", at: place) }

    func signIn(_ name: String) throws {
        try FileManager.default.createDirectory(atPath: workspace.labeler("p", name), withIntermediateDirectories: true)
    }

    func manifest(_ folder: String) throws -> JSONValue {
        try StrictJSON.parse(try LocalPaths.read(folder + "/page.json").bytes).value
    }

    /// Tags the page's image and sets its status, as a labeler's editor saves it.
    func label(_ folder: String, tag: String = "circle", status: String = "open") throws {
        try LocalPaths.writeAtomically(folder + "/page.json", Array(JSONWriter.pretty(try labeled(folder, tag: tag, status: status)).utf8))
    }

    /// The page in `folder` with every image tagged and the status set, not yet written.
    func labeled(_ folder: String, tag: String, status: String) throws -> JSONValue {
        var page = try manifest(folder)
        var images = try #require(page["images"]?.arrayValue, "no images in \(folder)/page.json")
        for i in images.indices { images[i].setMember("tags", .array([.string(tag)])) }
        page.setMember("images", .array(images))
        page.setMember("status", .string(status))
        return page
    }

    func events(_ kind: String) -> [JSONValue] {
        guard let bytes = try? LocalPaths.read(workspace.events("p")).bytes else { return [] }
        return bytes.split(separator: UInt8(ascii: "\n")).compactMap { try? StrictJSON.parse(Array($0)).value }
            .filter { $0["event"]?.stringValue == kind }
    }
}

@Suite("Leases on a mock clock")
struct LeaseTests {
    @Test("A labeler idle for lease_minutes is timed out: labels kept, SIGNED-OUT.txt, expired event")
    func idleLabelerTimesOut() throws {
        let f = try DaemonFixture(pages: 1)
        try f.signIn("ann")
        f.watchPass()
        #expect(f.held("ann") == ["page-000001"])
        try f.label(f.page("page-000001", .labeler("ann")), tag: "square")
        f.watchPass(after: 59 * 60)
        #expect(f.held("ann") == ["page-000001"])
        f.watchPass(after: 2 * 60)
        #expect(f.held("ann") == ["SIGNED-OUT.txt"])
        #expect(f.queued == ["page-000001"])
        let back = try f.manifest(f.page("page-000001", .queue))
        #expect(back["images"]?.arrayValue?.first?["tags"] == .array([.string("square")]))
        #expect(back["revision"]?.numberValue == 3)
        #expect(f.events("expired").map { $0["labeler"]?.stringValue } == ["ann"])
        // Signed out: no new pages until the file goes.
        f.watchPass(after: 1)
        #expect(f.held("ann") == ["SIGNED-OUT.txt"])
        try LocalPaths.remove(f.workspace.labeler("p", "ann") + "/SIGNED-OUT.txt")
        f.watchPass(after: 1)
        #expect(f.held("ann") == ["page-000001"])
    }

    @Test("A change the daemon sees while running restarts the lease, whatever the file times say")
    func seenChangeCounts() throws {
        let f = try DaemonFixture(pages: 1)
        try f.signIn("ann")
        f.watchPass()
        f.watchPass(after: 50 * 60)
        // Saved now by the real clock, which is 50 minutes behind the daemon's.
        try f.label(f.page("page-000001", .labeler("ann")))
        f.watchPass(after: 1)
        f.watchPass(after: 50 * 60)
        #expect(f.held("ann") == ["page-000001"], "50 minutes after the last change seen")
        f.watchPass(after: 11 * 60)
        #expect(f.queued == ["page-000001"])
    }

    @Test("A save by rsync -a (an mtime a day old, a new ctime) restarts the lease from when the daemon saw it")
    func rsyncKeepsOldMtime() throws {
        let f = try DaemonFixture(pages: 1)
        try f.signIn("ann")
        f.watchPass()
        f.watchPass(after: 50 * 60)
        let folder = f.page("page-000001", .labeler("ann"))
        try f.label(folder)
        // rsync -a carries the laptop's file time over.
        let old = time(nil) - 86_400
        var times = [timespec(tv_sec: old, tv_nsec: 0), timespec(tv_sec: old, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, folder + "/page.json", &times, 0) == 0)
        f.watchPass(after: 1)
        f.watchPass(after: 50 * 60)
        #expect(f.held("ann") == ["page-000001"], "50 minutes after the change was seen, whatever its mtime says")
        f.watchPass(after: 11 * 60)
        #expect(f.queued == ["page-000001"])
    }

    @Test("A restart or a new --once does not restart leases")
    func restartKeepsLeases() throws {
        let f = try DaemonFixture(pages: 1)
        try f.signIn("ann")
        f.watchPass()
        #expect(f.held("ann") == ["page-000001"])
        f.clock.now += 61 * 60
        try f.restart()
        f.once()
        #expect(f.held("ann") == ["SIGNED-OUT.txt"])
        #expect(f.queued == ["page-000001"])
    }

    @Test("Fractional lease_minutes")
    func fractionalLease() throws {
        let f = try DaemonFixture(pages: 1, settings: ", \"lease_minutes\": 0.5")
        try f.signIn("ann")
        f.watchPass()
        f.watchPass(after: 29)
        #expect(f.held("ann") == ["page-000001"])
        f.watchPass(after: 2)
        #expect(f.held("ann") == ["SIGNED-OUT.txt"])
    }

    @Test("A signed-out labeler's pages time out too (an old SIGNED-OUT.txt pushed back by rsync)")
    func signedOutHolder() throws {
        let f = try DaemonFixture(pages: 1)
        try f.signIn("ann")
        f.watchPass()
        try LocalPaths.writeAtomically(f.workspace.labeler("p", "ann") + "/SIGNED-OUT.txt", Array("old\n".utf8))
        f.watchPass(after: 30 * 60)
        #expect(f.held("ann") == ["SIGNED-OUT.txt", "page-000001"])
        f.watchPass(after: 31 * 60)
        #expect(f.queued == ["page-000001"])
        #expect(f.held("ann") == ["SIGNED-OUT.txt"])
        #expect(f.events("expired").count == 1)
    }

    @Test("A page whose page.json is broken at time-out is set aside and restored, not left stuck")
    func brokenPageAtTimeOut() throws {
        let f = try DaemonFixture(pages: 1)
        try f.signIn("ann")
        f.watchPass()
        let folder = f.page("page-000001", .labeler("ann"))
        try LocalPaths.writeAtomically(folder + "/page.json", Array("{\"status\": \"open\", ".utf8))
        f.watchPass(after: 61 * 60)
        #expect(f.held("ann") == ["SIGNED-OUT.txt"])
        #expect(f.queued == ["page-000001"])
        let kept = try #require(f.conflicts.first)
        #expect(try LocalPaths.read(f.workspace.conflicts("p") + "/\(kept)/page.json").bytes == Array("{\"status\": \"open\", ".utf8))
        #expect(f.events("restored").count == 1)
    }
}

@Suite("Quiet periods before setting a folder aside, on a mock clock")
struct SetAsideTests {
    @Test("A page folder without page.json (vim's page.json~ rename) is left alone while it is fresh", arguments: [false, true])
    func missingPageJSONWaits(once: Bool) throws {
        let f = try DaemonFixture(pages: 1)
        try f.signIn("ann")
        f.watchPass()
        let folder = f.page("page-000001", .labeler("ann"))
        #expect(rename(folder + "/page.json", folder + "/page.json~") == 0)
        f.clock.now += 1
        once ? f.once() : f.engine.pass(once: false)
        #expect(f.conflicts.isEmpty)
        #expect(f.list(folder) == ["circle-1.png", "page.json~"])
        // Still no page.json long after: damaged. Set aside and restored.
        f.clock.now += 10
        once ? f.once() : f.engine.pass(once: false)
        #expect(f.conflicts.count == 1)
        #expect(f.held("ann") == ["page-000001"])
        #expect(try f.manifest(folder)["revision"]?.numberValue == 4)
        #expect(f.events("restored").count == 1)
    }

    @Test("vim's save in watch mode: the 4913 probe, the swap file and page.json~ past the settle time are not a damaged page")
    func vimSaveDanceInWatchMode() throws {
        let f = try DaemonFixture(pages: 1)
        try f.signIn("ann")
        f.watchPass()
        let folder = f.page("page-000001", .labeler("ann"))
        let file = folder + "/page.json"
        let page = try f.labeled(folder, tag: "square", status: "submitted")
        try LocalPaths.writeAtomically(folder + "/4913", [])
        try LocalPaths.remove(folder + "/4913")
        try LocalPaths.writeAtomically(folder + "/.page.json.swp", Array("swap".utf8))
        #expect(rename(file, file + "~") == 0)
        // Longer than a tick and the page settle time, shorter than the quiet period for a missing page.json.
        f.watchPass(after: 0.4)
        #expect(f.conflicts.isEmpty, "page.json~ mid-save was taken for a damaged page")
        #expect(f.held("ann") == ["page-000001"])
        try LocalPaths.writeAtomically(file, Array(JSONWriter.pretty(page).utf8))
        f.watchPass(after: 0.1)
        try LocalPaths.remove(file + "~")
        try LocalPaths.remove(folder + "/.page.json.swp")
        f.watchPass(after: 1)
        f.watchPass(after: 1)
        #expect(f.conflicts.isEmpty)
        #expect(f.events("rejected").isEmpty)
        let done = try f.manifest(f.page("page-000001", .outbox))
        #expect(done["images"]?.arrayValue?.first?["tags"] == .array([.string("square")]))
    }

    @Test("In-place truncate-and-write: a half-written submission is not read until it settles")
    func halfWrittenSubmission() throws {
        let f = try DaemonFixture(pages: 1)
        try f.signIn("ann")
        f.watchPass()
        let folder = f.page("page-000001", .labeler("ann"))
        let text = try String(decoding: LocalPaths.read(folder + "/page.json").bytes, as: UTF8.self)
            .replacingOccurrences(of: "\"tags\": null", with: "\"tags\": [\"circle\"]")
            .replacingOccurrences(of: "\"status\": \"open\"", with: "\"status\": \"submitted\"")
        let handle = try #require(FileHandle(forUpdatingAtPath: folder + "/page.json"))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data(text.utf8.prefix(text.utf8.count / 2 + 40)))
        f.engine.pass(once: false)
        #expect(!LocalPaths.exists(folder + "/ERRORS.txt"))
        #expect(f.events("rejected").isEmpty)
        try handle.write(contentsOf: Data(text.utf8.dropFirst(text.utf8.count / 2 + 40)))
        try handle.close()
        f.watchPass(after: 1)
        #expect(f.events("rejected").isEmpty)
        #expect(LocalPaths.exists(f.page("page-000001", .outbox) + "/page.json"))
    }

    @Test("A stale copy still arriving is set aside only once quiet, in watch mode")
    func staleCopyWaitsForQuiet() throws {
        let f = try DaemonFixture(pages: 1)
        try f.signIn("ann")
        f.watchPass()
        let live = f.page("page-000001", .labeler("ann"))
        // A copy of revision 1 arrives in bob's folder, as a sync tool writes it.
        let stale = f.page("page-000001", .labeler("bob"))
        try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: true)
        var old = try f.manifest(live)
        old.setMember("revision", .number(1))
        try LocalPaths.writeAtomically(stale + "/page.json", Array(JSONWriter.pretty(old).utf8))
        try LocalPaths.writeAtomically(f.workspace.labeler("p", "bob") + "/SIGNED-OUT.txt", Array("x\n".utf8))
        f.engine.pass(once: false)
        #expect(f.conflicts.isEmpty)
        f.watchPass(after: 6)
        #expect(f.conflicts.count == 1)
        #expect(f.held("ann") == ["page-000001"])
        #expect(!LocalPaths.exists(stale))
    }
}

@Suite("Partial pages on a mock clock")
struct PartialPageTests {
    @Test("In watch mode a partial page is made only after flush_seconds of quiet in the inbox")
    func partialPageWaitsForQuiet() throws {
        let f = try DaemonFixture(pages: 0, pageSize: 2, settings: ", \"flush_seconds\": 5")
        try DaemonFixture.copySample("circle-1.png", from: DaemonFixture.samples, to: f.workspace.inbox("p") + "/circle-1.png")
        f.watchPass(after: 1)
        f.watchPass(after: 1)
        f.watchPass(after: 1)
        #expect(f.queued.isEmpty, "one image of two, and the inbox quiet for less than flush_seconds")
        f.watchPass(after: 6)
        #expect(f.queued == ["page-000001"])
        #expect(f.list(f.workspace.inbox("p")) == ["project.json"])
        #expect(try f.manifest(f.page("page-000001", .queue))["images"]?.arrayValue?.count == 1)
    }
}

@Suite("The second look of --once, on a mock clock")
struct OnceRecheckTests {
    @Test("An inbox file replaced between the scan and the second look is not taken then; unchanged, it is")
    func replacedBetweenLooks() throws {
        let f = try DaemonFixture(pages: 1)
        let file = f.workspace.inbox("p") + "/square-1.png"
        try DaemonFixture.copySample("square-1.png", from: DaemonFixture.samples, to: file)
        f.engine.pass(once: true)
        let due = try #require(f.engine.recheckDue, "read right after the scan: a second look is asked for")
        #expect(LocalPaths.exists(file), "not taken before the second look")
        // The same bytes renamed over it, as a writer's atomic save does: another version.
        try DaemonFixture.copySample("square-1.png", from: DaemonFixture.samples, to: file + ".tmp")
        #expect(rename(file + ".tmp", file) == 0)
        f.clock.now = due
        f.engine.recheck()
        #expect(f.engine.recheckDue == nil)
        #expect(LocalPaths.exists(file))
        #expect(f.queued == ["page-000001"])
        f.once()
        #expect(!LocalPaths.exists(file))
        #expect(f.queued == ["page-000001", "page-000002"])
    }
}

@Suite("Another root inside the inbox")
struct NestedRootTests {
    @Test("A root that turns up inside a running daemon's inbox is never taken from")
    func otherRootIsSkipped() throws {
        let f = try DaemonFixture(pages: 1)
        let inner = f.workspace.inbox("p") + "/inner"
        try FileManager.default.createDirectory(atPath: inner + "/.labelmill", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: inner + "/Inbox/q", withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: inner + "/.labelmill/lock"))
        try Data("{\"task\": \"bbox\", \"tags\": [\"A\"]}".utf8).write(to: URL(fileURLWithPath: inner + "/Inbox/q/project.json"))
        try FileManager.default.copyItem(atPath: f.page("page-000001", .queue) + "/circle-1.png", toPath: inner + "/Inbox/q/c.png")
        f.watchPass(after: 5)
        f.watchPass(after: 5)
        #expect(FileManager.default.fileExists(atPath: inner + "/Inbox/q/project.json"))
        #expect(FileManager.default.fileExists(atPath: inner + "/Inbox/q/c.png"))
        #expect(f.list(f.workspace.rejected("p")).isEmpty)
        #expect(f.queued == ["page-000001"])
    }
}
