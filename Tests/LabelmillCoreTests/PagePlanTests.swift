import LabelmillCore
import Testing

@Suite("Page planner")
struct PagePlanTests {
    @Test("Full pages only, until a flush takes the partial one", arguments: [
        (10, 4, false, [4, 4]),
        (10, 4, true, [4, 4, 2]),
        (3, 4, false, []),
        (3, 4, true, [3]),
        (0, 4, true, []),
        (9, 9, false, [9]),
        (7, 1, false, [1, 1, 1, 1, 1, 1, 1]),
    ])
    func sizes(pending: Int, pageSize: Int, flush: Bool, expected: [Int]) {
        #expect(PagePlan.pageSizes(pending: pending, pageSize: pageSize, flush: flush) == expected)
    }

    @Test("At most maxPages per batch; the rest waits for the next")
    func batchLimit() {
        #expect(PagePlan.pageSizes(pending: 100, pageSize: 4, flush: true, maxPages: 3) == [4, 4, 4])
    }

    @Test("Images that share a name on one page get -2, -3 before the extension")
    func clashingNames() {
        #expect(PagePlan.fileNames(["a.png", "b.png", "a.png", "a.png", "a-2.png"]) == ["a.png", "b.png", "a-2.png", "a-3.png", "a-2-2.png"])
        #expect(PagePlan.fileNames(["noext", "noext"]) == ["noext", "noext-2"])
    }

    @Test("Page ids sort by creation and parse back", arguments: [1, 42, 999_999])
    func pageIDs(n: Int) {
        let id = PageID.make(n)
        #expect(PageID.number(id) == n)
        #expect(id.count == 11)
    }

    @Test("Names: projects and labelers", arguments: [
        ("animals", true), ("a.b_c-d", true), (".hidden", false), ("", false), ("has space", false),
        (String(repeating: "x", count: 64), true), (String(repeating: "x", count: 65), false), ("ünï", false),
    ])
    func names(name: String, valid: Bool) {
        #expect(Names.isValidName(name) == valid)
    }

    @Test("Temporary and sync-tool names are ignored", arguments: [
        (".x.png", true), ("a.png~", true), ("a.PNG.TMP", true), ("a.part", true), ("a.crdownload", true),
        ("a.swp", true), ("4913", true), ("#a#", true), ("a.sync-conflict-20260101-1.png", true),
        ("a.png", false), ("photo.jpg", false), ("tmp.png", false), ("49130", false),
    ])
    func ignored(name: String, ignored: Bool) {
        #expect(Names.isIgnored(name) == ignored)
    }
}

@Suite("Class ids never move")
struct ClassHistoryTests {
    let history = ClassHistory(task: .bbox, tags: ["Dog", "Cat", "Bird"], used: ["Cat"])

    @Test func appendingAndUnusedChangesAreFine() {
        #expect(ProjectSettings(task: .bbox, tags: ["Dog", "Cat", "Bird", "Fish"]).changeError(from: history) == nil)
        #expect(ProjectSettings(task: .bbox, tags: ["Bird", "Cat"]).changeError(from: history) == nil)
        #expect(ProjectSettings(task: .polygon, tags: ["A"]).changeError(from: .none) == nil)
    }

    @Test func movedOrRemovedUsedTagIsRefused() throws {
        let moved = try #require(ProjectSettings(task: .bbox, tags: ["Cat", "Dog"]).changeError(from: history))
        #expect(moved.contains("\"Cat\"") && moved.contains("position 2") && moved.contains("position 1 now"))
        let removed = try #require(ProjectSettings(task: .bbox, tags: ["Dog"]).changeError(from: history))
        #expect(removed.contains("removed"))
    }

    @Test func changedTaskIsRefused() throws {
        let error = try #require(ProjectSettings(task: .polygon, tags: ["Dog", "Cat", "Bird"]).changeError(from: history))
        #expect(error.contains("\"bbox\""))
    }
}
