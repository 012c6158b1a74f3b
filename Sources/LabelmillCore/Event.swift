/// One line of `Outbox/<project>/events.jsonl`: a transition of an image or a page.
public struct Event: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case ingested, paged, assigned, submitted, rejected, done, expired, returned, restored, conflict
    }
    public var time: Double
    public var kind: Kind
    public var project: String
    public var page: String?
    public var labeler: String?
    public var file: String?
    public var source: String?
    public var reason: String?

    public init(time: Double, kind: Kind, project: String, page: String? = nil, labeler: String? = nil,
                file: String? = nil, source: String? = nil, reason: String? = nil) {
        self.time = time; self.kind = kind; self.project = project; self.page = page
        self.labeler = labeler; self.file = file; self.source = source; self.reason = reason
    }

    public var json: JSONValue {
        var m: [(String, JSONValue)] = [("time", .string(Timestamp.iso8601(time))), ("event", .string(kind.rawValue)), ("project", .string(project))]
        if let page { m.append(("page", .string(page))) }
        if let labeler { m.append(("labeler", .string(labeler))) }
        if let file { m.append(("file", .string(file))) }
        if let source { m.append(("source", .string(source))) }
        if let reason { m.append(("reason", .string(reason))) }
        return .object(m)
    }
}

public enum Timestamp {
    /// `2026-11-29T01:48:53.123Z` from seconds since the epoch (UTC).
    public static func iso8601(_ t: Double) -> String {
        let ms = Int64((t * 1000).rounded())
        var days = ms / 86_400_000
        var rem = ms % 86_400_000
        if rem < 0 { rem += 86_400_000; days -= 1 }
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let h = rem / 3_600_000, mi = rem / 60_000 % 60, s = rem / 1000 % 60, milli = rem % 1000
        let msText = milli < 10 ? "00\(milli)" : milli < 100 ? "0\(milli)" : "\(milli)"
        return "\(y)-\(two(m))-\(two(d))T\(two(h)):\(two(mi)):\(two(s)).\(msText)Z"
    }
}
