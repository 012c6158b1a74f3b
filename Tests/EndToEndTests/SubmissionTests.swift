import Foundation
import LabelmillCore
import Testing

/// One labeling scenario per task type: a bad label the daemon must reject
/// with a precise message, and a good one it must accept.
struct LabelCase: CustomTestStringConvertible, Sendable {
    var task: String
    var bad: JSONValue
    var badMessage: String
    var good: JSONValue
    var testDescription: String { task }

    var key: String { task.hasPrefix("multi") ? "tags" : "regions" }

    static let all: [LabelCase] = [
        LabelCase(task: "multi-class", bad: .array([.string("Cat"), .string("Dog")]), badMessage: "exactly one",
                  good: .array([.string("Dog")])),
        LabelCase(task: "multi-label", bad: .array([.string("Dgo")]), badMessage: "did you mean \"Dog\"",
                  good: .array([.string("Cat"), .string("Dog")])),
        LabelCase(task: "bbox",
                  bad: .array([box("Cat", 5, 1, 20, 3)]), badMessage: "right edge",
                  good: .array([box("Cat", 1, 1, 8, 5), box("Dog", 0, 0, 10, 7)])),
        LabelCase(task: "polygon",
                  bad: .array([polygon("Cat", [[1, 1], [8, 6], [8, 1], [1, 6]])]), badMessage: "cross",
                  good: .array([polygon("Dog", [[1, 1], [8, 1], [8, 6], [1, 6]])])),
    ]

    static func box(_ tag: String, _ x: Double, _ y: Double, _ w: Double, _ h: Double) -> JSONValue {
        .object([("tag", .string(tag)), ("box", .object([("x", .number(x)), ("y", .number(y)), ("width", .number(w)), ("height", .number(h))]))])
    }

    static func polygon(_ tag: String, _ points: [[Double]]) -> JSONValue {
        .object([("tag", .string(tag)), ("polygon", .array(points.map { .array($0.map(JSONValue.number)) }))])
    }
}

@Suite("Submissions: validated, rejected with errors, accepted into the outbox")
struct SubmissionTests {
    /// A project with one 10x7 image, paged.
    func onePage(task: String) throws -> TempWorkspace {
        let ws = try TempWorkspace()
        try ws.project("p", task: task, tags: ["Cat", "Dog"], pageSize: 1)
        try ws.write("Inbox/p/a.png", PNGFixture.make(width: 10, height: 7))
        try ws.run("watch", "--once")
        #expect(ws.queued == ["page-000001"])
        return ws
    }

    func label(_ ws: TempWorkspace, _ key: String, _ value: JSONValue, status: String) throws {
        let folder = "Watch/p/queue/page-000001"
        var page = try ws.pageJSON(folder)
        guard case .array(var images) = page["images"] else { Issue.record("no images"); return }
        images[0].setMember(key, value)
        page.setMember("images", .array(images))
        page.setMember("status", .string(status))
        try ws.write(folder + "/page.json", JSONWriter.pretty(page))
    }

    @Test("A bad label is rejected in place, labels and revision kept, errors last; the fix is accepted", arguments: LabelCase.all)
    func rejectThenAccept(_ c: LabelCase) throws {
        let ws = try onePage(task: c.task)
        let folder = "Watch/p/queue/page-000001"
        try label(ws, c.key, c.bad, status: "submitted")
        let check = try ws.run("check", ws.path(folder), expect: 1)
        #expect(check.stdout.contains("page.json:"))
        #expect(check.stdout.contains(c.badMessage))
        try ws.run("watch", "--once")
        let rejected = try ws.pageJSON(folder)
        #expect(rejected["status"]?.stringValue == "rejected")
        #expect(rejected["revision"]?.numberValue == 1)
        #expect(rejected["images"]?.arrayValue?.first?[c.key] == c.bad)
        guard case .object(let members) = rejected else { return }
        #expect(members.last?.0 == "errors")
        let errors = rejected["errors"]?.arrayValue ?? []
        #expect(!errors.isEmpty)
        #expect(errors.first?["message"]?.stringValue?.contains(c.badMessage) == true)
        // The error's line and column point at the offending value in the rewritten file.
        let text = try ws.read(folder + "/page.json")
        let line = Int(errors.first?["line"]?.numberValue ?? 0)
        #expect(line > 0 && line <= text.split(separator: "\n", omittingEmptySubsequences: false).count)
        #expect(errors.first?["pointer"]?.stringValue?.hasPrefix("/images/0") == true)

        try label(ws, c.key, c.good, status: "rejected")
        try ws.run("check", ws.path(folder))
        try ws.run("submit", "page-000001")
        #expect(try ws.pageJSON(folder)["status"]?.stringValue == "submitted")
        try ws.run("watch", "--once")
        #expect(ws.queued.isEmpty)
        let done = try ws.pageJSON("Outbox/p/page-000001")
        #expect(done["status"]?.stringValue == "done")
        #expect(done["errors"] == nil)
        #expect(done["$schema"]?.stringValue == "../../../Watch/page.schema.json")
        #expect(done["images"]?.arrayValue?.first?[c.key] == c.good)
        #expect(ws.exists("Outbox/p/page-000001/a.png"))
        let events = try ws.read("Outbox/p/events.jsonl")
        #expect(events.contains("\"event\":\"done\""))
        #expect(events.contains("\"event\":\"rejected\",\"project\":\"p\",\"page\":\"page-000001\""))
    }

    @Test("An incomplete page cannot be submitted with the verb; check names the unlabeled image")
    func submitRefusesIncomplete() throws {
        let ws = try onePage(task: "multi-class")
        let result = try ws.run("submit", "page-000001", expect: 1)
        #expect(result.stdout.contains("a.png"))
        #expect(try ws.pageJSON("Watch/p/queue/page-000001")["status"]?.stringValue == "open")
    }

    @Test("A submitted page.json that is not strict JSON is left as written, with ERRORS.txt beside it")
    func notStrictJSONGetsErrorsFile() throws {
        let ws = try onePage(task: "multi-class")
        let folder = "Watch/p/queue/page-000001"
        let original = try ws.read(folder + "/page.json")
        let broken = original.replacingOccurrences(of: "\"status\": \"open\"", with: "\"status\": \"submitted\",")
            .replacingOccurrences(of: "\"tags\": null", with: "\"tags\": [\"Cat\",]")
        try ws.write(folder + "/page.json", broken)
        try ws.run("watch", "--once")
        #expect(try ws.read(folder + "/page.json") == broken)
        let errors = try ws.read(folder + "/ERRORS.txt")
        #expect(errors.hasPrefix("page.json:"))
        #expect(errors.contains(": error: "))
        // Fixed and resubmitted: accepted, ERRORS.txt gone with the page.
        try ws.write(folder + "/page.json", original.replacingOccurrences(of: "\"status\": \"open\"", with: "\"status\": \"submitted\"")
            .replacingOccurrences(of: "\"tags\": null", with: "\"tags\": [\"Cat\"]"))
        try ws.run("watch", "--once")
        #expect(ws.exists("Outbox/p/page-000001/page.json"))
        #expect(!ws.exists("Outbox/p/page-000001/ERRORS.txt"))
    }

    @Test("Changing what the daemon wrote, or adding a file to the page, is rejected")
    func daemonFieldsAndFilesProtected() throws {
        let ws = try onePage(task: "multi-class")
        let folder = "Watch/p/queue/page-000001"
        var page = try ws.pageJSON(folder)
        guard case .array(var images) = page["images"] else { return }
        images[0].setMember("tags", .array([.string("Cat")]))
        images[0].setMember("width", .number(11))
        page.setMember("images", .array(images))
        page.setMember("status", .string("submitted"))
        try ws.write(folder + "/page.json", JSONWriter.pretty(page))
        try ws.write(folder + "/extra.png", PNGFixture.make(width: 2, height: 2, seed: 5))
        try ws.run("watch", "--once")
        let errors = (try ws.pageJSON(folder))["errors"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
        #expect(errors.contains { $0.contains("width") })
        #expect(errors.contains { $0.contains("extra.png") })
    }
}
