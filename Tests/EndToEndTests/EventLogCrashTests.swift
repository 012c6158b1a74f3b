import Foundation
import LabelmillCore
import Testing

/// Issue 11, case 14: after any kill -9, events.jsonl agrees with the folders.
@Suite("The audit trail survives kill -9")
struct EventLogCrashTests {
    @Test("Killed again and again while paging and accepting: every page has its lines, once")
    func eventsAgreeWithFolders() throws {
        let ws = try TempWorkspace("eventcrash")
        try ws.project("p", task: "multi-class", tags: ["A", "B"], pageSize: 2, extra: ", \"flush_seconds\": 0")
        var generator = SystemRandomNumberGenerator()
        var seed: UInt8 = 0
        for round in 0..<24 {
            for i in 0..<Int.random(in: 4...12, using: &generator) {
                seed &+= 1
                let data = PNGFixture.make(width: 6 + Int(seed % 13), height: 5 + Int(round % 7), seed: seed)
                let name = "r\(round)-\(i).png"
                try ws.dropFinished("Inbox/p/\(name)", data)
            }
            for page in ws.queued.shuffled(using: &generator).prefix(3) { try? ws.submitEveryImage(tagged: "A", in: "Watch/p/queue/\(page)") }
            try ws.startDaemonThenKillNine(round: round, pauseMicroseconds: 5_000...200_000, using: &generator)
        }
        // Clean runs finish what the kills cut off (and accept at least one page on a slow machine).
        try ws.run("watch", "--once")
        for page in ws.queued.prefix(2) { try ws.submitEveryImage(tagged: "A", in: "Watch/p/queue/\(page)") }
        try ws.run("watch", "--once")

        let events = try ws.read("Outbox/p/events.jsonl").split(separator: "\n").map { try StrictJSON.parse(Array($0.utf8)).value }
        func lines(_ kind: String) -> [JSONValue] { events.filter { $0["event"]?.stringValue == kind } }
        var count: [String: [String: Int]] = [:]
        for e in events { if let page = e["page"]?.stringValue, let kind = e["event"]?.stringValue { count[kind, default: [:]][page, default: 0] += 1 } }
        let ingested = Set(lines("ingested").compactMap { e in e["page"]?.stringValue.flatMap { p in e["file"]?.stringValue.map { p + "/" + $0 } } })

        let queued = ws.queued.map { ("Watch/p/queue/\($0)", $0) }
        let done = ws.list("Outbox/p").filter { $0.hasPrefix("page-") }.map { ("Outbox/p/\($0)", $0) }
        #expect(!done.isEmpty)
        for (folder, id) in queued + done {
            #expect(count["paged"]?[id] == 1, "\(id): \(count["paged"]?[id] ?? 0) paged lines")
            for file in ws.list(folder) where file.hasSuffix(".png") {
                #expect(ingested.contains("\(id)/\(file)"), "no ingested line for \(id)/\(file)")
            }
        }
        for (_, id) in done {
            #expect(count["done"]?[id] == 1, "\(id): \(count["done"]?[id] ?? 0) done lines")
        }
        // No line speaks of a page that is nowhere.
        let everywhere = Set((queued + done).map(\.1))
        #expect(Set(count["paged"]?.keys.map { $0 } ?? []) == everywhere)
        #expect(Set(count["done"]?.keys.map { $0 } ?? []) == Set(done.map(\.1)))
    }
}
