import LabelmillCore
import LabelmillFS

/// What the screen is told about a labeler's held pages (Server-Sent Events).
struct PageEvent: Sendable, Equatable {
    enum Kind: String, Sendable {
        case changed = "page-changed", accepted = "page-accepted", rejected = "page-rejected"
        case removed = "page-removed", added = "page-added"
    }
    var kind: Kind
    var page: String
    var etag: String?

    /// The SSE frame: `event: NAME`, one `data:` line of JSON, a blank line.
    var frame: String {
        var data: [(String, JSONValue)] = [("page", .string(page))]
        if let etag { data.append(("etag", .string(etag))) }
        return "event: \(kind.rawValue)\ndata: \(JSONWriter.compact(.object(data)))\n\n"
    }
}

/// Compares a labeler's held pages with how they were at the last look: a
/// few stats of page.json per look, reading a file only when its stat changed.
/// (The daemon's inotify watcher keeps global state, so the server looks by stat.)
struct PageWatch {
    struct Seen {
        var status: FileStatus?
        var etag: String
        var rejected: Bool
    }

    let pages: LabelerPages
    private(set) var seen: [String: Seen] = [:]

    init(pages: LabelerPages) {
        self.pages = pages
        for page in pages.held { seen[page] = look(page, before: nil) }
    }

    mutating func poll() -> [PageEvent] {
        var events: [PageEvent] = []
        let now = pages.held
        let current = Set(now)
        for page in seen.keys.sorted() where !current.contains(page) {
            seen[page] = nil
            let accepted = LocalPaths.statusBeneath(pages.workspace.root, ["Outbox", pages.project, page])?.kind == .directory
            events.append(PageEvent(kind: accepted ? .accepted : .removed, page: page))
        }
        for page in now {
            guard let before = seen[page] else {
                seen[page] = look(page, before: nil)
                events.append(PageEvent(kind: .added, page: page))
                continue
            }
            let status = LocalPaths.statusBeneath(pages.workspace.root, pages.components(page, "page.json"))
            if let status, let old = before.status, status.sameVersion(as: old) { continue }
            if status == nil && before.status == nil { continue }
            let after = look(page, before: before)
            seen[page] = after
            guard after.etag != before.etag else { continue }
            if after.rejected && !before.rejected {
                events.append(PageEvent(kind: .rejected, page: page, etag: after.etag))
            } else {
                events.append(PageEvent(kind: .changed, page: page, etag: after.etag))
            }
        }
        return events
    }

    private func look(_ page: String, before: Seen?) -> Seen {
        let components = pages.components(page, "page.json")
        guard let read = try? LocalPaths.readBeneath(pages.workspace.root, components, maxBytes: Int64(StrictJSON.maxBytes) + 1) else {
            return Seen(status: nil, etag: "", rejected: before?.rejected ?? false)
        }
        let rejected = (try? StrictJSON.parse(read.bytes))?.value["status"]?.stringValue == PageStatus.rejected.rawValue
        return Seen(status: read.status, etag: PageTag.of(read.bytes), rejected: rejected)
    }
}
