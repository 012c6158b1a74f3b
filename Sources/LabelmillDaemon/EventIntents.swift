import LabelmillCore
import LabelmillFS

/// `.labelmill/pages/<project>/events.pending`: the event lines of a step,
/// written before the step changes anything on disk and removed once the
/// lines are in events.jsonl. After a crash, recovery appends the lines of
/// each step that did happen (its pages are journaled, its page reached the
/// outbox) and drops the others, so the log agrees with the folders.
struct EventIntents {
    let workspace: Workspace
    let project: String
    let root: any FileSystem

    var file: String { Path.join(workspace.copies(project), "events.pending") }

    /// How to tell, after a crash, whether the step happened.
    enum Check: String {
        /// A new page: it happened once the journal names the page.
        case journaled
        /// An accepted page: it happened once the outbox holds it as done.
        case done
    }

    /// Records the lines of a step about to happen (one write).
    func record(_ events: [Event], check: Check) throws(FileSystemError) {
        guard !events.isEmpty else { return }
        let text = events.map { event in
            JSONWriter.compact(.object([("check", .string(check.rawValue)), ("page", .string(event.page ?? "")), ("line", event.json)])) + "\n"
        }.joined()
        try root.append(file, text)
    }

    func clear() throws(FileSystemError) { try root.remove(file) }

    /// The recorded steps: (check, page, event line as written to events.jsonl).
    func load() -> [(check: Check, page: String, line: String)] {
        guard let bytes = try? root.read(file, maxBytes: 1 << 30).bytes else { return [] }
        return bytes.split(separator: 10).compactMap { raw in
            // A line a stop cut short describes a step that never started.
            guard let node = try? StrictJSON.parse(Array(raw)), let check = node["check"]?.value.stringValue.flatMap(Check.init(rawValue:)),
                  let page = node["page"]?.value.stringValue, let line = node["line"]?.value else { return nil }
            return (check, page, JSONWriter.compact(line))
        }
    }
}

extension Engine {
    /// Appends what a crash cut off: the lines of recorded steps that
    /// happened and are not in events.jsonl yet. Runs when a project is
    /// loaded, after the journal.
    func recoverEvents(_ project: ProjectState) throws(FileSystemError) {
        let intents = EventIntents(workspace: workspace, project: project.name, root: root)
        let recorded = intents.load()
        guard !recorded.isEmpty else {
            try intents.clear()
            return
        }
        var happened: [String: Bool] = [:]
        func didHappen(_ check: EventIntents.Check, _ page: String) -> Bool {
            let key = check.rawValue + "/" + page
            if let known = happened[key] { return known }
            let yes: Bool
            switch check {
            case .journaled: yes = project.copies[page] != nil
            case .done: yes = readManifest(Path.join(workspace.folder(of: page, in: project.name, at: .outbox), "page.json"))?.status == .done
            }
            happened[key] = yes
            return yes
        }
        // Lines already appended before the stop are in the log's tail.
        let written = logTail(project, bytes: recorded.reduce(0) { $0 + $1.line.utf8.count + 1 } * 2 + (1 << 20))
        let missing = recorded.filter { didHappen($0.check, $0.page) && !written.contains($0.line) }.map(\.line)
        if !missing.isEmpty {
            try EventLog.append(missing, project: project.name, in: workspace, root: root)
            logger.info("event lines a stop cut off added to events.jsonl", metadata: ["project": "\(project.name)", "lines": "\(missing.count)"])
        }
        try intents.clear()
    }

    /// The last lines of events.jsonl, at most `bytes` of them.
    func logTail(_ project: ProjectState, bytes: Int) -> Set<String> {
        guard let all = try? root.read(workspace.events(project.name)).bytes else { return [] }
        let tail = all.suffix(bytes)
        return Set(tail.split(separator: 10).map { String(decoding: $0, as: UTF8.self) })
    }

    /// Writes the lines of a step before it happens, and holds them until it has.
    func plan(_ events: [Event], check: EventIntents.Check, in project: ProjectState) throws(FileSystemError) {
        try EventIntents(workspace: workspace, project: project.name, root: root).record(events, check: check)
        project.intentsRecorded = true
    }
}
