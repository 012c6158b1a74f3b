import LabelmillCore

/// How `status` shows a project: JSON for scripts, lines for people.
extension ProjectSummary {
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
        if let assist { m.append(("assist", assist.json)) }
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
        if let assist { lines += assist.lines }
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
