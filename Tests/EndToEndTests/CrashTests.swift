import Foundation
import LabelmillCore
import Testing

@Suite("Crash safety: kill -9 at random moments loses nothing")
struct CrashTests {
    /// Drops images and submits pages while the daemon is killed with SIGKILL
    /// again and again; afterwards every image is in exactly one place and every
    /// page.json parses.
    @Test func killNineWhileWorking() throws {
        let ws = try TempWorkspace("crash")
        try ws.project("p", task: "multi-class", tags: ["A", "B"], pageSize: 3, extra: ", \"flush_seconds\": 0")
        var generator = SystemRandomNumberGenerator()
        var dropped: [String: String] = [:]  // sha -> source
        var seed: UInt8 = 0
        let kills = 24
        for round in 0..<kills {
            // New images arrive as finished files: written aside, renamed in.
            for i in 0..<Int.random(in: 1...5, using: &generator) {
                seed &+= 1
                let data = PNGFixture.make(width: 6 + Int(seed % 9), height: 5 + Int(round % 7), seed: seed)
                let name = "r\(round)-\(i).png"
                let dir = round % 2 == 0 ? "Inbox/p" : "Inbox/p/batch\(round % 5)"
                try ws.dropFinished("\(dir)/\(name)", data)
                dropped[sha256(data)] = "\(dir)/\(name)"
            }
            // Labelers submit some open pages.
            for page in ws.queued.shuffled(using: &generator).prefix(2) {
                try? ws.submitEveryImage(tagged: "A", in: "Watch/p/queue/\(page)")
            }
            try ws.startDaemonThenKillNine(round: round, pauseMicroseconds: 5_000...250_000, using: &generator)
        }
        // A last clean run finishes whatever the kills interrupted.
        try ws.run("watch", "--once")
        try ws.run("watch", "--once")

        #expect(ws.files(under: "Inbox/p") == ["project.json"])
        var places: [String: [String]] = [:]
        func collect(_ folder: String) throws {
            for file in ws.list(folder) where file.hasSuffix(".png") {
                let data = try Data(contentsOf: URL(fileURLWithPath: ws.path("\(folder)/\(file)")))
                places[sha256(data), default: []].append("\(folder)/\(file)")
            }
        }
        for page in ws.queued { try collect("Watch/p/queue/\(page)") }
        for page in ws.list("Outbox/p") where page.hasPrefix("page-") { try collect("Outbox/p/\(page)") }
        try collect("Outbox/p/rejected")
        #expect(ws.list("Watch/p/conflicts").isEmpty)
        for (sha, source) in dropped {
            #expect(places[sha]?.count == 1, "\(source) is in \(places[sha] ?? [])")
        }
        #expect(places.count == dropped.count)
        // Every page.json parses, and lists exactly the images beside it.
        for folder in ws.queued.map({ "Watch/p/queue/\($0)" }) + ws.list("Outbox/p").filter({ $0.hasPrefix("page-") }).map({ "Outbox/p/\($0)" }) {
            let page = try ws.pageJSON(folder)
            let listed = Set(page["images"]?.arrayValue?.compactMap { $0["file"]?.stringValue } ?? [])
            #expect(listed == Set(ws.list(folder).filter { $0.hasSuffix(".png") }), "\(folder)")
        }
        #expect(ws.list("Outbox/p").contains { $0.hasPrefix("page-") })
    }
}

/// SHA-256 through the system's sha256sum, so the test does not share the daemon's code.
func sha256(_ data: Data) -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    let input = Pipe(), output = Pipe()
    p.standardInput = input
    p.standardOutput = output
    try? p.run()
    input.fileHandleForWriting.write(data)
    try? input.fileHandleForWriting.close()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: out.prefix(64), as: UTF8.self)
}
