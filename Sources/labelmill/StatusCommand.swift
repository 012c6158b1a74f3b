import ArgumentParser
import LabelmillCore
import LabelmillFS

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each project's inbox, queue, labelers, done pages, refused inputs, conflicts and pages done per labeler.")

    @OptionGroup var workspace: WorkspaceOptions

    @Argument(help: "Only this project.")
    var project: String?

    @Flag(help: "Print JSON for scripts.")
    var json = false

    func run() throws {
        let ws = Workspace(root: workspace.rootPath)
        var names = Set(LocalPaths.names(ws.inboxRoot).filter { LocalPaths.isDirectory(ws.inbox($0)) })
        names.formUnion(LocalPaths.names(ws.watchRoot).filter { LocalPaths.isDirectory(ws.watch($0)) })
        if let project {
            guard names.contains(project) else { fail("no project \(project) in \(ws.root) (Inbox/\(project)/ does not exist)") }
            names = [project]
        }
        let now = wallClock()
        let summaries = names.sorted().map { ProjectSummary(workspace: ws, name: $0, now: now) }
        if json {
            print(JSONWriter.pretty(.object([("root", .string(ws.root)), ("projects", .array(summaries.map(\.json)))])), terminator: "")
        } else if summaries.isEmpty {
            print("no projects in \(ws.inboxRoot); create one with `labelmill project create NAME --task multi-class --tags A,B`")
        } else {
            for s in summaries { print(s.text) }
        }
    }
}

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

    var json: JSONValue {
        var m: [(String, JSONValue)] = [("name", .string(name))]
        if let problem { m.append(("problem", .string(problem))) }
        m += [
            ("inbox", .number(Double(inbox))),
            ("queued", .number(Double(queued))),
            ("held", .object(held.map { ($0.0, .number(Double($0.1))) })),
            ("done", .number(Double(done))),
            ("rejected_inputs", .number(Double(rejectedInputs))),
            ("conflicts", .number(Double(conflicts))),
            ("not_labeler_folders", .object(notLabelers.map { ($0.0, .number(Double($0.1))) })),
            ("labelers", .object(labelers.map { l in
                (l.name, .object([
                    ("held", .number(Double(l.held))),
                    ("done", .number(Double(l.throughput.done))),
                    ("done_24h", .number(Double(l.throughput.doneLastDay))),
                    ("pages_per_hour_24h", .number((l.throughput.pagesPerHour * 1000).rounded() / 1000)),
                ]))
            })),
        ]
        return .object(m)
    }

    /// A folder name on one line, in quotes, control characters escaped as in JSON.
    static func quoted(_ name: String) -> String { JSONWriter.compact(.string(name)) }

    var text: String {
        let total = queued + heldTotal + done
        let width = 30
        let filled = total == 0 ? 0 : done * width / total
        let bar = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
        var lines = ["\(name)  \(bar) \(done)/\(total) pages done"]
        if let problem { lines.append("  problem: \(problem)") }
        lines.append("  inbox: \(inbox) images waiting")
        lines.append("  queued: \(queued) pages")
        lines.append("  held: \(heldTotal) pages" + (held.isEmpty ? "" : " (" + held.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + ")"))
        lines.append("  done: \(done) pages")
        lines.append("  rejected inputs: \(rejectedInputs)")
        lines.append("  conflicts: \(conflicts)")
        if !notLabelers.isEmpty {
            let names = notLabelers.map { "\(Self.quoted($0.0))\($0.1 > 0 ? " (\($0.1) page\($0.1 == 1 ? "" : "s"))" : "")" }
            lines.append("  not labeler folders, never filled (a labeler name is 1-64 letters, digits, '-', '_' or '.', not starting with '.'; rename them): "
                         + names.joined(separator: ", "))
        }
        let people = labelers
        if !people.isEmpty {
            lines.append("  labelers (pages/hour over the last 24 h):")
            let width = people.map(\.name.count).max() ?? 0
            for l in people {
                let t = l.throughput
                let hundredths = Int((t.pagesPerHour * 100).rounded())
                let rate = "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
                let name = l.name + String(repeating: " ", count: width - l.name.count)
                lines.append("    \(name)  holds \(l.held), done \(t.done) (\(t.doneLastDay) in the last 24 h, \(rate)/h)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
