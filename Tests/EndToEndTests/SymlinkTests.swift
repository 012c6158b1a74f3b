import Foundation
import LabelmillCore
import TestSupport
import Testing

/// The commands and the daemon with folders of the root replaced by symlinks
/// out of it, and pages the daemon cannot read: run on the built binary.
@Suite("Links out of the root and unreadable pages, end to end")
struct SymlinkTests {
    /// A project with two one-image pages in the queue.
    func workspace() throws -> TempWorkspace {
        let ws = try TempWorkspace.withOneImagePages("links", tags: ["Cat", "Dog"], images: [
            ("a.png", PNGFixture.make(width: 6, height: 5, seed: 1)), ("b.png", PNGFixture.make(width: 7, height: 5, seed: 2)),
        ])
        #expect(ws.queued.count == 2)
        return ws
    }

    /// Moves a folder of the workspace out of it and puts a symlink in its place.
    func replaceWithLink(_ ws: TempWorkspace, _ relative: String, into outside: TempWorkspace) {
        let name = (relative as NSString).lastPathComponent
        #expect(rename(ws.path(relative), outside.path(name)) == 0)
        #expect(symlink(outside.path(name), ws.path(relative)) == 0)
    }

    /// What a folder holds, names and bytes, links not followed.
    func snapshot(_ ws: TempWorkspace) -> [String: Data] {
        var out: [String: Data] = [:]
        for relative in (try? FileManager.default.subpathsOfDirectory(atPath: ws.root)) ?? [] {
            out[relative] = FileManager.default.contents(atPath: ws.path(relative)) ?? Data()
        }
        return out
    }

    @Test("13: next refuses a queue that is a symlink out of the root, and touches nothing there")
    func nextWithLinkedQueue() throws {
        let ws = try workspace()
        let outside = try TempWorkspace("outside")
        replaceWithLink(ws, "Watch/p/queue", into: outside)
        let before = snapshot(outside)
        let result = try ws.run("next", "p", "--as", "ann", expect: 1)
        #expect(result.stderr.contains("symbolic link"), "\(result.stderr)")
        #expect(snapshot(outside) == before)
        #expect(ws.list("Watch/p/labelers/ann").filter { $0.hasPrefix("page-") }.isEmpty)
    }

    @Test("13: next, leave and the labeler verbs refuse a labelers folder that is a symlink out of the root")
    func commandsWithLinkedLabelers() throws {
        let ws = try workspace()
        try ws.run("next", "p", "--as", "ann")
        let outside = try TempWorkspace("outside")
        replaceWithLink(ws, "Watch/p/labelers", into: outside)
        let before = snapshot(outside)
        for args in [["next", "p", "--as", "bob"], ["next", "p", "--as", "ann"], ["leave", "p", "--as", "ann"],
                     ["tag", ws.path("Watch/p/labelers/ann/page-000001"), "--all", "--tag", "Cat"],
                     ["tag", "page-000001", "--all", "--tag", "Cat"],
                     ["submit", ws.path("Watch/p/labelers/ann/page-000001")]] {
            let result = try ws.run(args, expect: 1)
            #expect(result.stderr.contains("symbolic link"), "labelmill \(args.joined(separator: " ")): \(result.stderr)")
        }
        #expect(snapshot(outside) == before)
    }

    @Test("6: a page.json the daemon cannot read (mode 000, the daemon run as nobody) gets ERRORS.txt",
          .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
                   "root reads a mode 000 file; this runs the daemon as nobody, which needs root and setpriv (LabelmillDaemonTests covers non-root runs)"))
    func unreadableAsNobody() throws {
        let ws = try workspace()
        try ws.run("next", "p", "--as", "ann")
        let folder = "Watch/p/labelers/ann/page-000001"
        // Everything writable by nobody, except the page.json it must not read.
        #expect(chmod(ws.root, 0o777) == 0)
        for relative in (try FileManager.default.subpathsOfDirectory(atPath: ws.root)) {
            var st = stat()
            guard lstat(ws.path(relative), &st) == 0, st.st_mode & S_IFMT != S_IFLNK else { continue }
            chmod(ws.path(relative), st.st_mode & S_IFMT == S_IFDIR ? 0o777 : 0o666)
        }
        #expect(chmod(ws.path(folder + "/page.json"), 0) == 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        p.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", Binary.path, "watch", "--once", "--root", ws.root]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(message)")
        let errors = (try? ws.read(folder + "/ERRORS.txt")) ?? ""
        #expect(errors.contains("permission"), "\(message)")
    }
}
