import Foundation
import LabelmillCore
import LabelmillDaemon
import LabelmillFS
import Logging
import Testing

/// The workload of the crash test, on the in-memory file system with a mock
/// clock: drops (one of them a duplicate, one not an image), paging, an
/// accepted and a rejected submission, sign-ins and refills, a lease that
/// runs out, `leave`, a page folder deleted and restored. It stops at the
/// crash point; what it saw the labelers save is what must survive.
final class CrashWorkload {
    static let root = "/crash-root"
    static let workspace = Workspace(root: root)
    static let samples: [(name: String, bytes: [UInt8])] = {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Inbox/sample").path
        return ["circle-1.png", "square-1.png", "circle-2.png", "triangle-1.png", "batch2/circle-3.jpg"].map { name in
            let scratch = NSTemporaryDirectory() + "labelmill-crash-sample-\(getpid())-\(UUID().uuidString)"
            try? DaemonFixture.copySample(name, from: folder, to: scratch)
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            return (URL(fileURLWithPath: name).lastPathComponent, Array((try? Data(contentsOf: URL(fileURLWithPath: scratch))) ?? Data()))
        }
    }()
    static let notAnImage = Array("not an image\n".utf8)

    let clock = MockClock(1_800_000_000)
    let fs: MemoryFileSystem
    var engine: Engine
    /// Every file dropped in the inbox, by SHA-256: how many times.
    var dropped: [String: Int] = [:]
    /// The labels a page must have (page -> tags per image): those of the latest
    /// save that completed, or, while one was cut off by the crash, of it or the one before.
    var saved: [String: [[JSONValue]]] = [:]
    let ws = CrashWorkload.workspace

    /// `copyingLinks`: links are copies with inodes of their own, as on sshfs.
    init(crashAfter limit: Int?, copyingLinks: Bool = false) {
        let clock = self.clock
        fs = MemoryFileSystem(path: Self.root, clock: { clock.now })
        if copyingLinks { fs.copyOnLink() }
        if let limit { fs.crash(after: limit) }
        engine = Self.engine(on: fs, clock)
    }

    static func engine(on fs: any FileSystem, _ clock: MockClock) -> Engine {
        Engine(workspace: workspace, fileSystem: fs, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), now: { clock.now })
    }

    struct Stop: Error {}

    /// A labeler's (or an admin's) step; the workload ends at the crash.
    func act(_ body: () throws -> Void) throws {
        guard !fs.hasCrashed else { throw Stop() }
        do { try body() } catch { throw Stop() }
    }

    func pass(after seconds: Double = 2) throws {
        guard !fs.hasCrashed else { throw Stop() }
        clock.now += seconds
        engine.pass(once: false)
    }

    func drop(_ name: String, _ bytes: [UInt8]) throws {
        let path = Path.join(ws.inbox("p"), name)
        try act { try fs.makeFolders(Path.parent(path)) }
        // As rsync or `cp` then `mv` drop it: whole, synced, renamed in. The crash may come after the rename.
        defer { if fs.exists(path) { dropped[Hashing.sha256(bytes), default: 0] += 1 } }
        try act { try fs.writeAtomically(path, bytes) }
    }

    func page(_ id: String, _ place: Workspace.Place) -> String { Path.join(ws.folder(of: id, in: "p", at: place), "page.json") }

    func held(_ name: String) -> [String] { fs.folderNames(ws.labeler("p", name)) }

    /// A labeler's editor saves page.json with `tags` on every image and `status`.
    func save(_ id: String, by name: String, tags: [String], status: String) throws {
        let file = page(id, .labeler(name))
        let before = fs.status(file)
        var value = try StrictJSON.parse(try fs.read(file).bytes).value
        guard case .array(var images) = value["images"] else { throw Stop() }
        for i in images.indices { images[i].setMember("tags", .array(tags.map(JSONValue.string))) }
        value.setMember("images", .array(images))
        value.setMember("status", .string(status))
        let text = Array(JSONWriter.pretty(value).utf8)
        let labels = images.map { $0["tags"] ?? .null }
        do { try act { try fs.writeAtomically(file, text) } } catch {
            // Cut off by the crash: its rename may have happened.
            if fs.status(file)?.inode != before?.inode { saved[id, default: []].append(labels) }
            throw error
        }
        saved[id] = [labels]
    }

    /// The whole workload; returns when it is done or at the crash.
    func run() {
        do {
            try act {
                try fs.makeFolders(ws.inbox("p"))
                try fs.writeNew(ws.settingsFile("p"), Array("""
                {"task": "multi-class", "tags": ["circle", "square", "triangle"], "page_size": 1, "pages_per_labeler": 1, "lease_minutes": 1, "flush_seconds": 1}
                """.utf8))
            }
            try act { try engine.prepare() }
            for (name, bytes) in Self.samples.prefix(4) { try drop(name, bytes) }
            try drop("again/circle-copy.png", Self.samples[0].bytes)
            try drop("notes.txt", Self.notAnImage)
            try pass()
            try pass()
            // ann signs in and is filled; her first page is accepted.
            try act { try fs.makeFolders(ws.labeler("p", "ann")) }
            try pass()
            guard let first = held("ann").first else { throw Stop() }
            try save(first, by: "ann", tags: ["circle"], status: "submitted")
            try pass()
            try pass()
            // Refilled; her second page is submitted with two tags on one image: rejected, labels kept.
            guard let second = held("ann").first else { throw Stop() }
            try save(second, by: "ann", tags: ["circle", "square"], status: "submitted")
            try pass()
            // bob signs in, labels, and goes quiet until his lease runs out.
            try act { try fs.makeFolders(ws.labeler("p", "bob")) }
            try pass()
            guard let third = held("bob").first else { throw Stop() }
            try save(third, by: "bob", tags: ["square"], status: "open")
            try pass()  // the daemon sees bob's change: his lease runs from here
            try pass(after: 30)
            // A late image arrives meanwhile, and ann fixes part of her rejected page (her lease goes on).
            try drop(Self.samples[4].name, Self.samples[4].bytes)
            try save(second, by: "ann", tags: ["square"], status: "open")
            try pass()
            try pass(after: 29)
            // ann signs out with `leave`: her rejected page goes back to the queue with its labels.
            try act {
                let queue = WorkQueue(workspace: ws, project: "p", root: fs, now: { [clock] in clock.now })
                for id in try queue.release("ann", reason: "Signed out with `labelmill leave`.") {
                    try EventLog.record(Event(time: clock.now, kind: .returned, project: "p", page: id, labeler: "ann"), in: ws, root: fs)
                }
            }
            try pass()
            // Someone deletes a queued page folder; the daemon restores it.
            let queued = fs.names(ws.queue("p")).filter { saved[$0] == nil }
            if let victim = queued.last { try act { try fs.removeTree(Path.join(ws.queue("p"), victim)) } }
            try pass()
            try pass(after: 6)
        } catch {
            return
        }
    }

    // MARK: After the crash

    /// A new engine on what the crash kept, recovered and run until it is quiet.
    static func recover(_ kept: MemoryFileSystem, _ clock: MockClock) throws -> Engine {
        let engine = Self.engine(on: kept, clock)
        try engine.prepare()
        for _ in 0..<4 {
            clock.now += 6
            engine.pass(once: false)
        }
        return engine
    }

    /// Where each image is, by SHA-256: pages in Watch and Outbox, rejected/, the inbox.
    static func places(in fs: any FileSystem) -> [String: [String]] {
        let ws = workspace
        var found: [String: [String]] = [:]
        func count(_ folder: String, skip: (String) -> Bool) {
            for name in fs.names(folder) where !skip(name) && !Names.isIgnored(name) {
                let path = Path.join(folder, name)
                guard fs.status(path)?.kind == .regular, let bytes = try? fs.read(path).bytes else { continue }
                found[Hashing.sha256(bytes), default: []].append(path)
            }
        }
        let pageParts: (String) -> Bool = { $0 == "page.json" || $0 == "ERRORS.txt" }
        for id in fs.folderNames(ws.queue("p")) { count(Path.join(ws.queue("p"), id), skip: pageParts) }
        for name in fs.folderNames(ws.labelers("p")) {
            for id in fs.folderNames(ws.labeler("p", name)) { count(Path.join(ws.labeler("p", name), id), skip: pageParts) }
        }
        for id in fs.folderNames(ws.outbox("p")) where id != "rejected" { count(Path.join(ws.outbox("p"), id), skip: pageParts) }
        count(ws.rejected("p")) { $0.hasSuffix(".reason.txt") }
        for item in InboxScanner.walk(ws.inbox("p"), in: fs).items where item.status.kind == .regular {
            if let bytes = try? fs.read(rawPath: item.rawPath).bytes { found[Hashing.sha256(bytes), default: []].append(item.source) }
        }
        return found
    }

    /// The tags per image of page `id` where it lives now: done in the outbox, or live in Watch.
    static func labels(of id: String, in fs: any FileSystem) -> [[JSONValue]] {
        let ws = workspace
        var folders = [ws.folder(of: id, in: "p", at: .outbox), ws.folder(of: id, in: "p", at: .queue)]
        for name in fs.folderNames(ws.labelers("p")) { folders.append(ws.folder(of: id, in: "p", at: .labeler(name))) }
        return folders.compactMap { folder in
            guard let bytes = try? fs.read(Path.join(folder, "page.json")).bytes, let node = try? StrictJSON.parse(bytes),
                  let images = node["images"]?.value.arrayValue else { return nil }
            return images.map { $0["tags"] ?? .null }
        }
    }

    /// What is wrong after recovery, in words; empty when nothing is.
    func problems(after kept: MemoryFileSystem) -> [String] {
        var problems: [String] = []
        let places = Self.places(in: kept)
        for (sha, times) in dropped where places[sha]?.count != times {
            problems.append("image \(sha.prefix(12)) dropped \(times)x is in \(places[sha] ?? [])")
        }
        for (sha, where_) in places where dropped[sha] == nil {
            problems.append("a file nobody dropped: \(sha.prefix(12)) in \(where_)")
        }
        for (id, choices) in saved {
            let found = Self.labels(of: id, in: kept)
            if !found.contains(where: choices.contains) {
                problems.append("\(id): saved labels \(JSONWriter.compact(.array(choices.map { .array($0) }))) not found; the page has \(JSONWriter.compact(.array(found.map { .array($0) })))")
            }
        }
        return problems
    }
}

@Suite("Crash at every step, on the in-memory file system", .serialized)
struct CrashAtEveryStepTests {
    /// Steps of the workload without a crash.
    static let totalSteps: Int = {
        let run = CrashWorkload(crashAfter: nil)
        run.run()
        return run.fs.steps
    }()

    @Test("The workload itself: everything ends in its place")
    func noCrash() throws {
        #expect(CrashWorkload.samples.allSatisfy { !$0.bytes.isEmpty }, "the sample images load")
        let run = CrashWorkload(crashAfter: nil)
        run.run()
        #expect(!run.fs.hasCrashed)
        #expect(run.problems(after: run.fs).isEmpty, "\(run.problems(after: run.fs))")
        let ws = CrashWorkload.workspace
        // The workload did what it says: a page done, a rejection with labels kept, expiry, leave, a restore.
        let events = String(decoding: (try? run.fs.read(ws.events("p")).bytes) ?? [], as: UTF8.self)
        for kind in ["\"done\"", "\"rejected\"", "\"expired\"", "\"returned\"", "\"restored\""] {
            #expect(events.contains("\"event\":\(kind)"), "no \(kind) event")
        }
        #expect(run.saved.count == 3)
        #expect(Self.totalSteps > 100)
    }

    @Test("kill -9 after step N, for every N: every image in one place, no saved label lost", arguments: 0..<4)
    func crashEverywhere(_ part: Int) throws {
        let failures = Self.killNineFailures(part: part, through: Self.totalSteps, copyingLinks: false)
        #expect(failures.isEmpty, "\(failures.count) crash points: \(failures.prefix(5).joined(separator: "\n"))")
    }

    /// Every 4th crash point from `part`: kill -9 after that step, recover, and what is wrong after.
    static func killNineFailures(part: Int, through steps: Int, copyingLinks: Bool) -> [String] {
        var failures: [String] = []
        for n in stride(from: part, through: steps, by: 4) {
            let run = CrashWorkload(crashAfter: n, copyingLinks: copyingLinks)
            run.run()
            let kept = run.fs.afterCrash(.process)
            do { _ = try CrashWorkload.recover(kept, run.clock) } catch {
                failures.append("N=\(n): recovery failed: \(error)")
                continue
            }
            let problems = run.problems(after: kept)
            if !problems.isEmpty { failures.append("N=\(n): \(problems.joined(separator: "; "))") }
        }
        return failures
    }

    /// Steps of the workload where links are copies.
    static let totalStepsCopying: Int = {
        let run = CrashWorkload(crashAfter: nil, copyingLinks: true)
        run.run()
        return run.fs.steps
    }()

    @Test("Links as sshfs shows them (copies, inodes of their own): the workload, and kill -9 after step N for every N",
          arguments: 0..<4)
    func crashEverywhereCopyingLinks(_ part: Int) throws {
        let clean = CrashWorkload(crashAfter: nil, copyingLinks: true)
        clean.run()
        #expect(clean.problems(after: clean.fs).isEmpty, "\(clean.problems(after: clean.fs))")
        let failures = Self.killNineFailures(part: part, through: Self.totalStepsCopying, copyingLinks: true)
        #expect(failures.isEmpty, "\(failures.count) crash points: \(failures.prefix(5).joined(separator: "\n"))")
    }

    @Test("Power loss after step N, in the strict ext4 model: the daemon's unsynced writes are not yet safe")
    func powerLossEverywhere() throws {
        withKnownIssue("""
            The acceptance and the moves write the new page.json and image copies without an fsync (or syncfs) \
            before they remove the labeler's folder, so a power loss can leave the outbox page.json or a copied \
            image empty with the original gone. SPEC section 6 promises kill -9, which the test above holds to.
            """) {
            var failures: [String] = []
            for n in 0...Self.totalSteps {
                let run = CrashWorkload(crashAfter: n)
                run.run()
                let kept = run.fs.afterCrash(.power)
                do { _ = try CrashWorkload.recover(kept, run.clock) } catch {
                    failures.append("N=\(n): recovery failed: \(error)")
                    continue
                }
                let problems = run.problems(after: kept)
                if !problems.isEmpty { failures.append("N=\(n): \(problems.joined(separator: "; "))") }
            }
            #expect(failures.isEmpty, "\(failures.count) crash points: \(failures.prefix(3).joined(separator: "\n"))")
        }
    }
}
