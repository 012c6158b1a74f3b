import Foundation
import LabelmillCore
import Testing

/// Issue 11, case 5: every command that reads project.json applies the
/// daemon's rule that class ids never move.
@Suite("project.json rules in every command")
struct ProjectRulesTests {
    /// One page done with tag Cat, exported once.
    func doneProject() throws -> TempWorkspace {
        let ws = try TempWorkspace.withOneImagePages("rules", tags: ["Dog", "Cat"], images: [("a.png", PNGFixture.make(width: 5, height: 5, seed: 1))])
        try ws.run("tag", "page-000001", "--all", "--tag", "Cat")
        try ws.run("submit", "page-000001")
        try ws.run("watch", "--once")
        #expect(ws.list("Outbox/p").contains("page-000001"))
        try ws.run("export", "p", "--format", "csv", "--out", ws.path("before"))
        #expect(try ws.read("before/labels.csv").contains("Cat"))
        return ws
    }

    /// The done project, then its project.json rewritten by the owner with `task` and `tags`.
    func doneProject(editedTo task: String, tags: [String]) throws -> TempWorkspace {
        let ws = try doneProject()
        try ws.project("p", task: task, tags: tags, pageSize: 1)
        return ws
    }

    @Test("Reordering a used tag: status shows the problem, export and next refuse with the reason")
    func reorderedTags() throws {
        let ws = try doneProject(editedTo: "multi-class", tags: ["Cat", "Dog"])
        let status = try ws.run("status", "p")
        #expect(status.stdout.contains("problem:"), "\(status.stdout)")
        #expect(status.stdout.contains("\"Cat\""), "\(status.stdout)")
        let json = try StrictJSON.parse(Array(try ws.run("status", "p", "--json").stdout.utf8)).value
        #expect(json["projects"]?.arrayValue?.first?["problem"]?.stringValue?.contains("only be appended") == true)
        let export = try ws.run("export", "p", "--format", "csv", "--out", ws.path("after"), expect: 1)
        #expect(export.stderr.contains("\"Cat\"") && export.stderr.contains("position 2"), "\(export.stderr)")
        #expect(!ws.exists("after"))
        let next = try ws.run("next", "p", "--as", "ann", expect: 1)
        #expect(next.stderr.contains("only be appended"), "\(next.stderr)")
        // Appending is fine for every command.
        try ws.project("p", task: "multi-class", tags: ["Dog", "Cat", "Bird"], pageSize: 1)
        #expect(try ws.run("status", "p").stdout.contains("problem:") == false)
        try ws.run("export", "p", "--format", "csv", "--out", ws.path("appended"))
    }

    @Test("Changing the task of a used project is refused by watch, status and export")
    func changedTask() throws {
        let ws = try doneProject(editedTo: "multi-label", tags: ["Dog", "Cat"])
        let watch = try ws.run("watch", "--once")
        #expect(watch.stderr.contains("\"task\""), "\(watch.stderr)")
        #expect(try ws.run("status", "p").stdout.contains("pages were made as \"multi-class\""))
        let export = try ws.run("export", "p", "--format", "csv", "--out", ws.path("after"), expect: 1)
        #expect(export.stderr.contains("cannot change"), "\(export.stderr)")
    }

    @Test("Without the daemon's record (an older workspace) the commands read the journal")
    func withoutRecord() throws {
        let ws = try doneProject()
        try FileManager.default.removeItem(atPath: ws.path(".labelmill/pages/p/classes.json"))
        try ws.project("p", task: "multi-class", tags: ["Cat", "Dog"], pageSize: 1)
        try ws.run("export", "p", "--format", "csv", "--out", ws.path("after"), expect: 1)
    }
}

extension ProjectRulesTests {
    @Test("leave still signs out while project.json is refused, and says why")
    func leaveWhileRefused() throws {
        let ws = try doneProject()
        try ws.write("Inbox/p/b.png", PNGFixture.make(width: 6, height: 5, seed: 2))
        try ws.run("watch", "--once")
        try ws.run("next", "p", "--as", "ann")
        try ws.project("p", task: "multi-class", tags: ["Cat", "Dog"], pageSize: 1)
        let leave = try ws.run("leave", "p", "--as", "ann")
        #expect(leave.stderr.contains("warning") && leave.stderr.contains("signed out"), "\(leave.stderr)")
        #expect(ws.queued == ["page-000002"])
    }
}
