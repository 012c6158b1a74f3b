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
    /// Writes the lines of a step before it happens, and holds them until it has.
    func plan(_ events: [Event], check: EventIntents.Check, in project: ProjectState) throws(FileSystemError) {
        try EventIntents(workspace: workspace, project: project.name, root: root).record(events, check: check)
        project.intentsRecorded = true
    }
}
