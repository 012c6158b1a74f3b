import Foundation
import LabelmillCore
import TestSupport
import Testing

@Suite("A full disk: the daemon waits and retries, drops nothing")
struct FullDiskTests {
    /// Mounts a small tmpfs at a fresh temp folder; nil where mounting is not allowed.
    static func smallFileSystem(megabytes: Int) throws -> TempWorkspace? {
        let ws = try TempWorkspace("fulldisk")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/mount")
        p.arguments = ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", ws.root]
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus == 0 ? ws : nil
    }

    static func unmount(_ ws: TempWorkspace) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/umount")
        p.arguments = ["-l", ws.root]
        try? p.run()
        p.waitUntilExit()
    }

    /// Whether this machine lets the test mount a tmpfs (root, as in CI).
    static let canMount: Bool = {
        guard let ws = try? smallFileSystem(megabytes: 1) else { return false }
        unmount(ws)
        return true
    }()

    @Test(.enabled(if: FullDiskTests.canMount, "needs to mount a small tmpfs (root, as in CI)"))
    func waitsForSpaceThenFinishes() throws {
        let ws = try #require(try Self.smallFileSystem(megabytes: 3))
        defer { Self.unmount(ws) }
        try ws.project("p", task: "multi-class", tags: ["A"], pageSize: 2, extra: ", \"flush_seconds\": 0")
        // The daemon's stderr goes to a file off the small file system, read while it runs.
        let logFolder = try makeTemporaryFolder("fulldisk-log")
        defer { try? FileManager.default.removeItem(atPath: logFolder) }
        FileManager.default.createFile(atPath: logFolder + "/stderr", contents: nil)
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: logFolder + "/stderr"))
        func log() -> String { (try? String(contentsOfFile: logFolder + "/stderr", encoding: .utf8)) ?? "" }
        let daemon = try Binary.start(["watch", "--root", ws.root, "--poll", "0.1", "--settle", "0.5"], standardError: err)
        defer { if daemon.isRunning { daemon.terminate(); daemon.waitUntilExit() } }
        #expect(eventually(within: 15) { ws.exists("Watch/page.schema.json") })

        // Images arrive, and the disk fills up before the daemon takes them.
        var hashes: Set<String> = []
        for i in 0..<6 {
            let data = PNGFixture.make(width: 90, height: 90, seed: UInt8(i))
            hashes.insert(sha256(data))
            try ws.write("Inbox/p/img\(i).png", data)
        }
        let filler = ws.path("filler")
        FileManager.default.createFile(atPath: filler, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: filler))
        let block = Data(repeating: 0x55, count: 4096)
        while (try? handle.write(contentsOf: block)) != nil {}
        try? handle.close()

        #expect(eventually(within: 20) { log().contains("disk full") }, "the daemon never met the full disk")
        // Stuck for space, but nothing lost: every image is still in the inbox or in a page.
        #expect(daemon.isRunning)
        #expect(try everyImage(in: ws) == hashes)

        try FileManager.default.removeItem(atPath: filler)
        // Pages are renamed into the queue whole: three there means the daemon is done.
        #expect(eventually(within: 20) { ws.files(under: "Inbox/p") == ["project.json"] && ws.list("Watch/p/queue").count == 3 })
        daemon.terminate()
        daemon.waitUntilExit()
        #expect(ws.files(under: "Inbox/p") == ["project.json"])
        #expect(ws.list("Watch/p/queue").count == 3)
        #expect(try everyImage(in: ws) == hashes)
        #expect(ws.list("Outbox/p/rejected").isEmpty)
        try? err.close()
    }

    /// The hashes of the images in the inbox and in queued pages; fails on an image in two places.
    func everyImage(in ws: TempWorkspace) throws -> Set<String> {
        var seen: [String] = []
        for file in ws.files(under: "Inbox/p") where file.hasSuffix(".png") {
            seen.append(sha256(try Data(contentsOf: URL(fileURLWithPath: ws.path("Inbox/p/\(file)")))))
        }
        for page in ws.list("Watch/p/queue") {
            for file in ws.list("Watch/p/queue/\(page)") where file.hasSuffix(".png") {
                seen.append(sha256(try Data(contentsOf: URL(fileURLWithPath: ws.path("Watch/p/queue/\(page)/\(file)")))))
            }
        }
        #expect(seen.count == Set(seen).count, "an image is in two places")
        return Set(seen)
    }
}
