import LabelmillCore
import LabelmillFS

/// What one project holds right now, counted from its folders.
struct ProjectSummary {
    var name: String
    var problem: String?
    var inbox = 0
    var queued = 0
    var held: [(String, Int)] = []
    /// Folders in labelers/ whose names are not labeler names, and the pages in them.
    var notLabelers: [(String, Int)] = []
    var done = 0
    var rejectedInputs = 0
    var conflicts = 0
    /// Pages done per labeler, from the outbox's events.jsonl.
    var throughput: [Throughput] = []

    init(workspace ws: Workspace, name: String, now: Double) {
        self.name = name
        do { _ = try ProjectRules.load(name, in: ws) } catch { problem = error.description }
        inbox = InboxScanner.scan(ws.inbox(name)).count
        // Counts come from folder listings, never from reading pages.
        queued = LocalPaths.countEntries(ws.queue(name), where: PageID.isPageID)
        for labeler in LocalPaths.names(ws.labelers(name)) where PageID.number(labeler) == nil && LocalPaths.isDirectory(ws.labeler(name, labeler)) {
            let count = LocalPaths.countEntries(ws.labeler(name, labeler), where: PageID.isPageID)
            if Names.isValidName(labeler) {
                held.append((labeler, count))
            } else {
                notLabelers.append((labeler, count))
            }
        }
        done = LocalPaths.countEntries(ws.outbox(name), where: PageID.isPageID)
        rejectedInputs = LocalPaths.countEntries(ws.rejected(name)) { $0.count > 11 && $0.reversed().starts(with: ".reason.txt".utf8.reversed()) }
        conflicts = LocalPaths.countEntries(ws.conflicts(name)) { !($0.count == 1 && $0[0] == 46) && !($0.count == 2 && $0[0] == 46 && $0[1] == 46) }
        throughput = LocalPaths.withMappedFile(ws.events(name)) { Throughput.count(eventsJSONL: $0, now: now) } ?? []
    }

    /// Everyone who holds pages or has finished some, by name.
    var labelers: [(name: String, held: Int, throughput: Throughput)] {
        let heldBy = Dictionary(held, uniquingKeysWith: +)
        let doneBy = Dictionary(throughput.map { ($0.labeler, $0) }, uniquingKeysWith: { a, _ in a })
        return Set(heldBy.keys).union(doneBy.keys).sorted().map {
            ($0, heldBy[$0] ?? 0, doneBy[$0] ?? Throughput(labeler: $0, done: 0, doneLastDay: 0))
        }
    }

    var heldTotal: Int { held.reduce(0) { $0 + $1.1 } }
}
