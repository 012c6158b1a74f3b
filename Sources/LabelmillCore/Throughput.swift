/// Pages one labeler finished, counted from the `done` lines of
/// `Outbox/<project>/events.jsonl` (each carries `labeler`).
public struct Throughput: Sendable, Equatable {
    public var labeler: String
    /// Pages done, all time.
    public var done: Int
    /// Pages done in the 24 hours before now.
    public var doneLastDay: Int

    public init(labeler: String, done: Int, doneLastDay: Int) {
        self.labeler = labeler; self.done = done; self.doneLastDay = doneLastDay
    }

    /// Pages per hour over the last 24 hours.
    public var pagesPerHour: Double { Double(doneLastDay) / 24 }

    /// Counts each page once (its latest `done` line), by labeler, sorted by
    /// name. Lines that do not parse, pages done from the queue (no labeler)
    /// and every other event are skipped.
    public static func count(eventsJSONL bytes: [UInt8], now: Double) -> [Throughput] {
        bytes.withUnsafeBufferPointer { count(eventsJSONL: $0, now: now) }
    }

    /// As `count(eventsJSONL:now:)`, on bytes in place (a mapped file).
    public static func count(eventsJSONL bytes: UnsafeBufferPointer<UInt8>, now: Double) -> [Throughput] {
        var latest: [String: (labeler: String, time: Double)] = [:]
        for range in doneLines(bytes) {
            let line = UnsafeBufferPointer(rebasing: bytes[range])
            guard let (page, labeler, time) = daemonDoneLine(line) ?? parsedDoneLine(line) else { continue }
            if let seen = latest[page], seen.time > time { continue }
            latest[page] = (labeler, time)
        }
        var byLabeler: [String: Throughput] = [:]
        for (labeler, time) in latest.values {
            var t = byLabeler[labeler] ?? Throughput(labeler: labeler, done: 0, doneLastDay: 0)
            t.done += 1
            if time > now - 86_400 && time <= now + 60 { t.doneLastDay += 1 }
            byLabeler[labeler] = t
        }
        return byLabeler.values.sorted { $0.labeler < $1.labeler }
    }

    static let marker = Array("\"event\":\"done\"".utf8)
    /// `{"time":"2026-11-29T01:48:53.123Z","event":"` as the daemon writes every line.
    static let prefix = Array("{\"time\":\"".utf8), eventKey = Array("\",\"event\":\"".utf8), done = Array("done\"".utf8)

    /// The lines that may be `done` events, as byte ranges. One pass over the
    /// bytes, eight at a time: the daemon's lines are told by a fixed offset,
    /// others by a search, so a log of half a million lines takes milliseconds.
    static func doneLines(_ b: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var found: [Range<Int>] = []
        var start = 0
        let n = b.count
        while start < n {
            let end = nextNewline(b, from: start)
            let valueAt = start + prefix.count + 24 + eventKey.count
            let isDone: Bool
            if matches(b, prefix, at: start, before: end) && matches(b, eventKey, at: start + prefix.count + 24, before: end) {
                isDone = matches(b, done, at: valueAt, before: end)
            } else {
                var hit = false
                var i = start
                while !hit && i + marker.count <= end { hit = matches(b, marker, at: i, before: end); i += 1 }
                isDone = hit
            }
            if isDone { found.append(start..<end) }
            start = end + 1
        }
        return found
    }

    static func matches(_ b: UnsafeBufferPointer<UInt8>, _ word: [UInt8], at i: Int, before end: Int) -> Bool {
        guard i >= 0, i + word.count <= end else { return false }
        for k in 0..<word.count where b[i + k] != word[k] { return false }
        return true
    }

    /// The index of the next `\n` at or after `from`, or the end: a word at a time.
    static func nextNewline(_ b: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        var i = from
        let n = b.count
        guard let base = b.baseAddress else { return n }
        let raw = UnsafeRawPointer(base)
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080, newlines: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
        while i + 8 <= n {
            let x = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ newlines
            let zero = (x &- ones) & ~x & highs
            if zero != 0 { return i + UInt64(littleEndian: zero).trailingZeroBitCount / 8 }
            i += 8
        }
        while i < n && b[i] != 10 { i += 1 }
        return i
    }

    static let doneRest = Array("done\",\"project\":\"".utf8), pageKey = Array(",\"page\":\"".utf8), labelerKey = Array(",\"labeler\":\"".utf8)

    /// A `done` line exactly as the daemon writes it, read without a parser;
    /// nil for anything else (the parser then decides).
    static func daemonDoneLine(_ b: UnsafeBufferPointer<UInt8>) -> (page: String, labeler: String, time: Double)? {
        let n = b.count
        guard matches(b, prefix, at: 0, before: n), matches(b, doneRest, at: prefix.count + 24 + eventKey.count, before: n) else { return nil }
        func plain(from: Int) -> Int? {
            var i = from
            while i < n && b[i] != 34 { if b[i] == 92 || b[i] < 32 { return nil }; i += 1 }
            return i < n ? i : nil
        }
        guard let projectEnd = plain(from: prefix.count + 24 + eventKey.count + doneRest.count),
              matches(b, pageKey, at: projectEnd + 1, before: n), let pageEnd = plain(from: projectEnd + 1 + pageKey.count),
              matches(b, labelerKey, at: pageEnd + 1, before: n), let labelerEnd = plain(from: pageEnd + 1 + labelerKey.count),
              labelerEnd + 1 < n, b[labelerEnd + 1] == 125 || b[labelerEnd + 1] == 44,
              let time = Timestamp.parse(String(decoding: UnsafeBufferPointer(rebasing: b[prefix.count..<prefix.count + 24]), as: UTF8.self))
        else { return nil }
        let page = String(decoding: UnsafeBufferPointer(rebasing: b[(projectEnd + 1 + pageKey.count)..<pageEnd]), as: UTF8.self)
        let labeler = String(decoding: UnsafeBufferPointer(rebasing: b[(pageEnd + 1 + labelerKey.count)..<labelerEnd]), as: UTF8.self)
        return (page, labeler, time)
    }

    static func parsedDoneLine(_ line: UnsafeBufferPointer<UInt8>) -> (page: String, labeler: String, time: Double)? {
        guard let node = try? StrictJSON.parse(Array(line)), node["event"]?.value.stringValue == "done",
              let page = node["page"]?.value.stringValue, let labeler = node["labeler"]?.value.stringValue,
              let text = node["time"]?.value.stringValue, let time = Timestamp.parse(text) else { return nil }
        return (page, labeler, time)
    }
}
extension Timestamp {
    /// Seconds since the epoch from `2026-11-29T01:48:53.123Z` (UTC, as
    /// `iso8601` writes it; the fraction is optional). Nil for anything else.
    public static func parse(_ text: String) -> Double? {
        let u = Array(text.utf8)
        guard u.count >= 20, u.last == UInt8(ascii: "Z"), u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"),
              u[10] == UInt8(ascii: "T"), u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":") else { return nil }
        func digits(_ r: Range<Int>) -> Int64? {
            var v: Int64 = 0
            for i in r {
                guard u[i] >= UInt8(ascii: "0"), u[i] <= UInt8(ascii: "9") else { return nil }
                v = v * 10 + Int64(u[i] - UInt8(ascii: "0"))
            }
            return v
        }
        guard let y = digits(0..<4), let m = digits(5..<7), let d = digits(8..<10),
              let h = digits(11..<13), let mi = digits(14..<16), let s = digits(17..<19),
              (1...12).contains(m), (1...31).contains(d), h < 24, mi < 60, s < 61 else { return nil }
        var fraction = 0.0
        if u.count > 20 {
            guard u[19] == UInt8(ascii: "."), u.count > 21, let f = digits(20..<u.count - 1) else { return nil }
            fraction = Double(f) / pow10(u.count - 21)
        } else if u[19] != UInt8(ascii: "Z") {
            return nil
        }
        // Days since 1970-01-01 from a civil date (Howard Hinnant's algorithm).
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Double(days * 86_400 + h * 3600 + mi * 60 + s) + fraction
    }

    private static func pow10(_ n: Int) -> Double {
        var v = 1.0
        for _ in 0..<n { v *= 10 }
        return v
    }
}
