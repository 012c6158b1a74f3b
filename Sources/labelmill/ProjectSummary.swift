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
    /// With ML assist: images in the pool, and what the daemon's model.json says.
    var assist: AssistStatus?

    init(workspace ws: Workspace, name: String, now: Double) {
        self.name = name
        var settings: ProjectSettings?
        do { settings = try ProjectRules.load(name, in: ws) } catch { problem = error.description }
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
        if settings?.assist != nil || LocalPaths.isDirectory(ws.pool(name)) {
            let model = (try? LocalPaths.read(ws.assistModelFile(name), maxBytes: 1 << 20).bytes).flatMap { try? StrictJSON.parse($0).value }
            assist = AssistStatus(pool: LocalPaths.countEntries(ws.pool(name)) { $0.first != 46 }, model: model,
                                  trains: settings.map { $0.task == .multiClass && $0.assist?.prelabel != false } ?? true)
        }
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

/// ML assist as `status` shows it (SPEC section 7): the pool, and from the
/// daemon's `.labelmill/assist/<project>/model.json` the model in use, its
/// threshold and coverage, tasks clustered and prelabeled, and the realized
/// precision of each model's prelabels (kept / reviewed).
struct AssistStatus {
    var pool: Int
    /// model.json as the daemon wrote it; nil before its first page or model.
    var model: JSONValue?
    /// The daemon trains models for this project (multi-class with prelabels on).
    var trains = true

    var counts: AssistCounts { model?["counts"].flatMap(AssistCounts.init(json:)) ?? AssistCounts() }

    var json: JSONValue {
        var m: [(String, JSONValue)] = [("pool", .number(Double(pool)))]
        let c = counts
        m += [("tasks_clustered", .number(Double(c.tasksClustered))), ("tasks_prelabeled", .number(Double(c.tasksPrelabeled)))]
        if let model {
            for key in ["model", "trained_on", "state", "reason", "threshold", "coverage", "precision_bound"] {
                if let v = model[key] { m.append((key, v)) }
            }
        }
        m.append(("realized_precision", .object(c.byModel.keys.sorted().map { name in
            let r = c.byModel[name]!
            return (name, .object([("reviewed", .number(Double(r.reviewed))), ("accepted", .number(Double(r.accepted))),
                                   ("precision", r.precision.map(JSONValue.number) ?? .null)]))
        })))
        m.append(("regions", .object(c.regionsByModel.keys.sorted().map { name in
            let r = c.regionsByModel[name]!
            return (name, .object([("proposed", .number(Double(r.proposed))), ("kept", .number(Double(r.kept))),
                                   ("adjusted", .number(Double(r.adjusted))), ("deleted", .number(Double(r.deleted)))]))
        })))
        return .object(m)
    }

    static func percent(_ x: Double) -> String {
        let tenths = Int((x * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }

    var lines: [String] {
        let c = counts
        var out = ["  pool: \(pool) images waiting for a page (ML assist)",
                   "  ML assist: tasks clustered \(c.tasksClustered), tasks prelabeled \(c.tasksPrelabeled)"]
        if let name = model?["model"]?.stringValue {
            var line = "    model \(name)"
            if let n = model?["trained_on"]?.numberValue { line += " (trained on \(Int(n)) labels)" }
            line += ": " + (model?["state"]?.stringValue ?? "unknown")
            if let t = model?["threshold"]?.numberValue, let cov = model?["coverage"]?.numberValue {
                line += ", threshold \(Self.percent(t)), held-out coverage \(Self.percent(cov))"
            }
            out.append(line)
            if let reason = model?["reason"]?.stringValue { out.append("    paused: \(reason)") }
        } else if trains {
            out.append("    no model yet: one is trained once min_labeled images are labeled by people")
        }
        for name in c.byModel.keys.sorted() {
            let r = c.byModel[name]!
            out.append("    realized precision of \(name): \(r.accepted)/\(r.reviewed) kept" + (r.precision.map { " (\(Self.percent($0)))" } ?? ""))
        }
        for name in c.regionsByModel.keys.sorted() {
            let r = c.regionsByModel[name]!
            out.append("    regions from \(name) on accepted pages: \(r.proposed) proposed, \(r.kept) kept, \(r.adjusted) adjusted, \(r.deleted) deleted")
        }
        return out
    }
}
