import LabelmillCore
import Testing

@Suite("Throughput: pages done per labeler from events.jsonl")
struct ThroughputTests {
    @Test("Timestamps read back what iso8601 writes", arguments: [0.0, 951_782_400.5, 1_795_916_933.123, 4_107_542_399.999, -86_400.25])
    func timestampRoundTrip(_ t: Double) {
        let text = Timestamp.iso8601(t)
        let back = Timestamp.parse(text)
        #expect(back.map { abs($0 - t) < 0.0005 } == true, "\(text) -> \(String(describing: back))")
    }

    @Test("Anything but a UTC timestamp is refused", arguments: ["", "2026-11-29", "2026-11-29T01:48:53", "2026-13-01T00:00:00Z", "2026-11-29T01:48:53.Z", "2026-11-29 01:48:53Z", "2026-11-29T01:48:5xZ"])
    func badTimestamps(_ text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test("Each page counts once, for its labeler; the last 24 h and the rate; other lines skipped")
    func counts() {
        let now = 1_800_000_000.0
        func line(_ kind: String, _ page: String, _ labeler: String?, ago: Double) -> String {
            let who = labeler.map { ",\"labeler\":\"\($0)\"" } ?? ""
            return "{\"time\":\"\(Timestamp.iso8601(now - ago))\",\"event\":\"\(kind)\",\"project\":\"p\",\"page\":\"\(page)\"\(who)}"
        }
        let text = [
            line("done", "page-000001", "ann", ago: 3600),
            line("done", "page-000002", "ann", ago: 2 * 86_400),
            line("done", "page-000003", "bob", ago: 60),
            line("done", "page-000003", "bob", ago: 50),      // the same page twice: once
            line("assigned", "page-000004", "ann", ago: 10),
            line("done", "page-000005", nil, ago: 10),         // done from the queue: nobody's
            "{\"time\":\"garbage\",\"event\":\"done\",\"page\":\"page-000006\",\"labeler\":\"ann\"}",
            "{not json \"event\":\"done\"",
            line("done", "page-000007", "ann", ago: 7200),
        ].joined(separator: "\n") + "\n"
        let result = Throughput.count(eventsJSONL: Array(text.utf8), now: now)
        #expect(result == [
            Throughput(labeler: "ann", done: 3, doneLastDay: 2),
            Throughput(labeler: "bob", done: 1, doneLastDay: 1),
        ])
        #expect(result.first?.pagesPerHour == 2.0 / 24)
        #expect(Throughput.count(eventsJSONL: [], now: now).isEmpty)
    }
}

@Suite("Throughput: the fast reader agrees with the parser")
struct ThroughputFastPathTests {
    @Test("Lines in the daemon's layout, hand-written lines in another key order, and escapes count alike")
    func layouts() {
        let now = 1_800_000_000.0
        let t = Timestamp.iso8601(now - 60)
        let text = [
            "{\"time\":\"\(t)\",\"event\":\"done\",\"project\":\"p\",\"page\":\"page-000001\",\"labeler\":\"ann\"}",
            "{\"event\":\"done\",\"labeler\":\"bob\",\"page\":\"page-000002\",\"time\":\"\(t)\"}",
            "{\"time\":\"\(t)\",\"event\":\"done\",\"project\":\"p\",\"page\":\"page-000003\",\"labeler\":\"a\\u006en\"}",
            "{\"time\":\"\(t)\",\"event\":\"done\",\"project\":\"p\",\"page\":\"page-000004\"}",
            "{\"time\":\"\(t)\",\"event\":\"paged\",\"project\":\"p\",\"page\":\"page-000005\",\"labeler\":\"ann\"}",
        ].joined(separator: "\n")  // no newline at the end: the last line still counts
        #expect(Throughput.count(eventsJSONL: Array(text.utf8), now: now) == [
            Throughput(labeler: "ann", done: 2, doneLastDay: 2),
            Throughput(labeler: "bob", done: 1, doneLastDay: 1),
        ])
    }
}
