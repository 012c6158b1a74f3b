import Foundation
import LabelmillCore
import TestSupport
import Testing

@Suite("Labeler verbs: tag, untag, box, polygon, region, run as the built binary")
struct LabelVerbTests {
    static let folder = "Watch/p/queue/page-000001"

    /// A project with two 100x80 images, a.png and b.png, on one page.
    func onePage(task: String) throws -> TempWorkspace {
        let ws = try TempWorkspace("verbs")
        try ws.project("p", task: task, tags: ["Cat", "Dog", "Bird"], pageSize: 2)
        try ws.write("Inbox/p/a.png", PNGFixture.make(width: 100, height: 80, seed: 1))
        try ws.write("Inbox/p/b.png", PNGFixture.make(width: 100, height: 80, seed: 2))
        try ws.run("watch", "--once")
        #expect(ws.queued == ["page-000001"])
        return ws
    }

    /// The labels of image `file` on a page.
    func labels(_ page: JSONValue, _ file: String, _ key: String) -> JSONValue? {
        page["images"]?.arrayValue?.first { $0["file"]?.stringValue == file }?[key]
    }

    func tags(_ page: JSONValue, _ file: String) -> [String]? {
        labels(page, file, "tags")?.arrayValue?.compactMap(\.stringValue)
    }

    func regions(_ page: JSONValue, _ file: String) -> [Region]? {
        labels(page, file, "regions")?.arrayValue?.compactMap(Region.init(json:))
    }

    /// Submits the page with the verb, runs the daemon once, and returns the page as completed.
    func submitAndAccept(_ ws: TempWorkspace, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
        try ws.run("submit", "page-000001", sourceLocation: sourceLocation)
        try ws.run("watch", "--once", sourceLocation: sourceLocation)
        #expect(ws.queued.isEmpty, sourceLocation: sourceLocation)
        let done = try ws.pageJSON("Outbox/p/page-000001")
        #expect(done["status"]?.stringValue == "done", sourceLocation: sourceLocation)
        return done
    }

    // MARK: Each task, labeled only with verbs, is accepted

    @Test("A multi-class page labeled with tag is accepted; tag replaces")
    func multiClass() throws {
        let ws = try onePage(task: "multi-class")
        let tagged = try ws.run("tag", "page-000001", "--all", "--tag", "Cat")
        #expect(tagged.stderr == "page-000001: tagged images 1, 2 as \"Cat\"\n")
        let replaced = try ws.run("tag", ws.path(Self.folder), "--images", "b.png", "--key", "2")
        #expect(replaced.stderr.contains("tagged image 2 as \"Dog\" (replacing \"Cat\")"))
        let done = try submitAndAccept(ws)
        #expect(tags(done, "a.png") == ["Cat"])
        #expect(tags(done, "b.png") == ["Dog"])
    }

    @Test("A multi-label page labeled with tag and untag is accepted; tag adds")
    func multiLabel() throws {
        let ws = try onePage(task: "multi-label")
        try ws.run("tag", "page-000001", "--all", "--key", "1")
        try ws.run("tag", "page-000001", "--images", "1,2", "--tag", "Bird")
        let untagged = try ws.run("untag", ws.path(Self.folder + "/page.json"), "--images", "2", "--tag", "Cat")
        #expect(untagged.stderr == "page-000001: removed \"Cat\" from image 2\n")
        let done = try submitAndAccept(ws)
        #expect(tags(done, "a.png") == ["Cat", "Bird"])
        #expect(tags(done, "b.png") == ["Bird"])
    }

    @Test("A bbox page labeled with box and region clear is accepted; --template reuses the last box's size")
    func bbox() throws {
        let ws = try onePage(task: "bbox")
        let first = try ws.run("box", "page-000001", "a.png", "--tag", "Dog", "--rect", "10,20,30,15")
        #expect(first.stderr == "page-000001: image 1 (\"a.png\"): added box 1 \"Dog\" at x 10, y 20, 30x15\n")
        try ws.run("box", "page-000001", "1", "--key", "1", "--template", "50,50")
        try ws.run("region", "clear", "page-000001", "b.png")
        let done = try submitAndAccept(ws)
        #expect(regions(done, "a.png") == [
            Region(tag: "Dog", shape: .box(Box(x: 10, y: 20, width: 30, height: 15))),
            Region(tag: "Cat", shape: .box(Box(x: 50, y: 50, width: 30, height: 15))),
        ])
        #expect(labels(done, "b.png", "regions") == .array([]))
    }

    @Test("A polygon page labeled with polygon is accepted")
    func polygon() throws {
        let ws = try onePage(task: "polygon")
        let added = try ws.run("polygon", "page-000001", "1", "--tag", "Bird", "--points", "10,10 60,12 30.5,40")
        #expect(added.stderr == "page-000001: image 1 (\"a.png\"): added polygon 1 \"Bird\" with 3 points\n")
        try ws.run("polygon", "page-000001", "2", "--key", "3", "--points", "1,1 99,1 99,79 1,79")
        let done = try submitAndAccept(ws)
        #expect(regions(done, "a.png") == [Region(tag: "Bird", shape: .polygon([Point(x: 10, y: 10), Point(x: 60, y: 12), Point(x: 30.5, y: 40)]))])
        #expect(regions(done, "b.png")?.map(\.tag) == ["Bird"])
    }

    // MARK: Editing regions

    @Test("region delete, retag and set edit one region by its 1-based index")
    func regionEdits() throws {
        let ws = try onePage(task: "bbox")
        try ws.run("box", "page-000001", "1", "--tag", "Cat", "--rect", "0,0,10,10")
        try ws.run("box", "page-000001", "1", "--tag", "Dog", "--rect", "20,20,10,10")
        try ws.run("box", "page-000001", "1", "--tag", "Bird", "--rect", "40,40,10,10")
        let deleted = try ws.run("region", "delete", "page-000001", "1", "2")
        #expect(deleted.stderr == "page-000001: image 1 (\"a.png\"): deleted region 2 \"Dog\"\n")
        let retagged = try ws.run("region", "retag", "page-000001", "a.png", "2", "--key", "2")
        #expect(retagged.stderr == "page-000001: image 1 (\"a.png\"): region 2 is now \"Dog\" (was \"Bird\")\n")
        try ws.run("region", "set", "page-000001", "1", "1", "--rect", "5,5,90,70")
        var page = try ws.pageJSON(Self.folder)
        #expect(regions(page, "a.png") == [
            Region(tag: "Cat", shape: .box(Box(x: 5, y: 5, width: 90, height: 70))),
            Region(tag: "Dog", shape: .box(Box(x: 40, y: 40, width: 10, height: 10))),
        ])
        let missing = try ws.run("region", "delete", "page-000001", "1", "3", expect: 1)
        #expect(missing.stderr.contains("image 1 (\"a.png\") has regions 1 to 2; there is no region 3"))
        try ws.run("region", "clear", "page-000001", "1")
        page = try ws.pageJSON(Self.folder)
        #expect(labels(page, "a.png", "regions") == .array([]))
        #expect(labels(page, "b.png", "regions") == .null)
    }

    @Test("region set reshapes a polygon, keeping its tag")
    func regionSetPolygon() throws {
        let ws = try onePage(task: "polygon")
        try ws.run("polygon", "page-000001", "1", "--tag", "Cat", "--points", "1,1 9,1 5,7")
        try ws.run("region", "set", "page-000001", "1", "1", "--points", "10,10 20,10 20,20 10,20")
        let page = try ws.pageJSON(Self.folder)
        #expect(regions(page, "a.png") == [Region(tag: "Cat", shape: .polygon([
            Point(x: 10, y: 10), Point(x: 20, y: 10), Point(x: 20, y: 20), Point(x: 10, y: 20),
        ]))])
    }

    // MARK: A laptop copy

    @Test("Verbs work on a page folder copied outside the root; the copy, brought back, is accepted")
    func laptopCopy() throws {
        let ws = try onePage(task: "multi-label")
        let laptop = try TempWorkspace("laptop")
        let copy = laptop.path("page-000001")
        try FileManager.default.copyItem(atPath: ws.path(Self.folder), toPath: copy)
        // No workspace around the copy: the verbs need only the folder.
        let tagged = try Binary.run(["tag", copy, "--all", "--tag", "Dog"])
        #expect(tagged.status == 0, "\(tagged.stderr)")
        #expect(tagged.stderr == "page-000001: tagged images 1, 2 as \"Dog\"\n")
        let added = try Binary.run(["tag", copy + "/page.json", "--images", "2", "--key", "3"])
        #expect(added.status == 0, "\(added.stderr)")
        let refused = try Binary.run(["tag", copy, "--all", "--tag", "Dgo"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("unknown tag \"Dgo\"; did you mean \"Dog\"?"))
        #expect(try ws.pageJSON(Self.folder)["images"]?.arrayValue?.first?["tags"] == .null)
        // Back from the laptop, as rsync would bring it.
        try ws.write(Self.folder + "/page.json", try laptop.read("page-000001/page.json"))
        let done = try submitAndAccept(ws)
        #expect(tags(done, "a.png") == ["Dog"])
        #expect(tags(done, "b.png") == ["Dog", "Bird"])
    }

    // MARK: Refusals

    @Test("Refusals exit 1 with a plain message and leave page.json as it was")
    func refusals() throws {
        let ws = try onePage(task: "bbox")
        try ws.run("box", "page-000001", "1", "--tag", "Cat", "--rect", "0,0,10,10")
        let before = try ws.read(Self.folder + "/page.json")
        let cases: [([String], String)] = [
            (["tag", "page-000001", "--all", "--tag", "Cat"], "page-000001 is a bbox page: its images get regions, not tags; mark them with `labelmill box`"),
            (["polygon", "page-000001", "1", "--tag", "Cat", "--points", "1,1 5,1 5,5"], "is a bbox page: mark regions with boxes"),
            (["box", "page-000001", "1", "--tag", "Dgo", "--rect", "0,0,5,5"], "unknown tag \"Dgo\"; did you mean \"Dog\"?"),
            (["box", "page-000001", "1", "--key", "4", "--rect", "0,0,5,5"], "key 4 is not set on page-000001: it has 3 tags, 1 \"Cat\", 2 \"Dog\", 3 \"Bird\""),
            (["box", "page-000001", "2", "--tag", "Cat", "--rect", "80,10,30,10"], "image 2 (\"b.png\"): box extends past the right edge: x + width = 110 > image width 100"),
            (["box", "page-000001", "2", "--tag", "Cat", "--rect", "10,10,0,10"], "box width must be greater than 0, not 0"),
            (["box", "page-000001", "2", "--tag", "Cat", "--rect", "-5,10,10,10"], "box extends past the left edge: x = -5 < 0"),
            (["polygon", "page-000001", "2", "--tag", "Cat", "--points", "-1,1 5,1 5,5"], "is a bbox page"),
            (["box", "page-000001", "7", "--tag", "Cat", "--rect", "1,1,2,2"], "page-000001 has 2 images; there is no image 7"),
            (["box", "page-000001", "c.png", "--tag", "Cat", "--rect", "1,1,2,2"], "no image \"c.png\" on page-000001; did you mean"),
            (["region", "retag", "page-000001", "2", "1", "--tag", "Dog"], "image 2 (\"b.png\") has no regions yet"),
            (["tag", "page-000099", "--all", "--tag", "Cat"], "no page page-000099"),
            (["tag", ws.path("nowhere"), "--all", "--tag", "Cat"], "no such page folder"),
        ]
        for (args, message) in cases {
            let result = try ws.run(args, expect: 1)
            #expect(result.stderr.contains(message), "labelmill \(args.joined(separator: " ")): \(result.stderr)")
            #expect(result.stderr.hasPrefix("labelmill: "))
        }
        #expect(try ws.read(Self.folder + "/page.json") == before)
    }

    @Test("--template without a box on the page is 50x50, and is refused when that does not fit")
    func templateDefault() throws {
        let ws = try TempWorkspace("verbs")
        try ws.project("p", task: "bbox", tags: ["Cat"], pageSize: 1)
        try ws.write("Inbox/p/small.png", PNGFixture.make(width: 40, height: 30))
        try ws.run("watch", "--once")
        let result = try ws.run("box", "page-000001", "1", "--tag", "Cat", "--template", "0,0", expect: 1)
        #expect(result.stderr.contains("box extends past the right edge: x + width = 50 > image width 40"))
    }

    @Test("Regions are refused on a classification page, naming the tag verb")
    func regionsOnClassification() throws {
        let ws = try onePage(task: "multi-class")
        let result = try ws.run("box", "page-000001", "1", "--tag", "Cat", "--rect", "0,0,5,5", expect: 1)
        #expect(result.stderr.contains("page-000001 is a multi-class page: its images get tags, not regions; use `labelmill tag`"))
        try ws.run("region", "clear", "page-000001", "1", expect: 1)
    }

    @Test("A submitted page is refused; a rejected one can be fixed with the verbs")
    func onlyOpenOrRejected() throws {
        let ws = try onePage(task: "multi-class")
        try ws.run("tag", "page-000001", "--all", "--tag", "Cat")
        try ws.run("submit", "page-000001")
        let refused = try ws.run("tag", "page-000001", "--all", "--tag", "Dog", expect: 1)
        #expect(refused.stderr == "labelmill: page-000001 is submitted; only open or rejected pages can be labeled\n")
        #expect(tags(try ws.pageJSON(Self.folder), "a.png") == ["Cat"])

        // Rejected by the daemon: a tag it does not know, written by hand.
        var page = try ws.pageJSON(Self.folder)
        guard case .array(var images) = page["images"] else { Issue.record("no images"); return }
        images[1].setMember("tags", .array([.string("Cta")]))
        page.setMember("images", .array(images))
        try ws.write(Self.folder + "/page.json", JSONWriter.pretty(page))
        try ws.run("watch", "--once")
        #expect(try ws.pageJSON(Self.folder)["status"]?.stringValue == "rejected")
        try ws.run("tag", "page-000001", "--images", "2", "--tag", "Cat")
        #expect(try ws.pageJSON(Self.folder)["status"]?.stringValue == "rejected")
        let done = try submitAndAccept(ws)
        #expect(tags(done, "b.png") == ["Cat"])
    }

    @Test("A page.json that is not strict JSON is refused, not rewritten")
    func brokenJSON() throws {
        let ws = try onePage(task: "multi-class")
        let broken = try ws.read(Self.folder + "/page.json").replacingOccurrences(of: "\"status\": \"open\"", with: "\"status\": \"open\",,")
        try ws.write(Self.folder + "/page.json", broken)
        let result = try ws.run("tag", "page-000001", "--all", "--tag", "Cat", expect: 1)
        #expect(result.stderr.contains("page.json:"))
        #expect(result.stderr.contains("fix page.json by hand first"))
        #expect(try ws.read(Self.folder + "/page.json") == broken)
    }

    @Test("What a verb does not touch stays as it was: key order, comments, other images")
    func untouchedKept() throws {
        let ws = try onePage(task: "multi-class")
        var page = try ws.pageJSON(Self.folder)
        page.setMember("comment", .string("two cats, one blurry"), after: "status")
        guard case .array(var images) = page["images"] else { Issue.record("no images"); return }
        images[0].setMember("comment", .string("blurry"))
        images[0].setMember("tags", .array([.string("Bird")]))
        page.setMember("images", .array(images))
        try ws.write(Self.folder + "/page.json", JSONWriter.pretty(page))
        try ws.run("tag", "page-000001", "--images", "2", "--tag", "Dog")
        let after = try ws.pageJSON(Self.folder)
        guard case .object(let before) = page, case .object(let now) = after else { Issue.record("not objects"); return }
        #expect(before.map(\.0) == now.map(\.0))
        #expect(after["comment"] == .string("two cats, one blurry"))
        #expect(after["images"]?.arrayValue?[0] == images[0])
        #expect(tags(after, "b.png") == ["Dog"])
        // An edit that changes nothing leaves the file alone.
        let text = try ws.read(Self.folder + "/page.json")
        let again = try ws.run("tag", "page-000001", "--images", "2", "--tag", "Dog")
        #expect(again.stderr.contains("nothing changed"))
        #expect(try ws.read(Self.folder + "/page.json") == text)
    }

    // MARK: Usage

    @Test("Usage errors exit 2", arguments: [
        ["tag", "page-000001", "--all", "--images", "1", "--tag", "Cat"],
        ["tag", "page-000001", "--tag", "Cat"],
        ["tag", "page-000001", "--all"],
        ["tag", "page-000001", "--all", "--tag", "Cat", "--key", "1"],
        ["untag", "page-000001", "--all", "--key", "0"],
        ["untag", "page-000001", "--all", "--key", "10"],
        ["tag", "page-000001", "--images", "1,,2", "--tag", "Cat"],
        ["box", "page-000001", "1", "--tag", "Cat"],
        ["box", "page-000001", "1", "--tag", "Cat", "--rect", "1,1,2,2", "--template", "1,1"],
        ["box", "page-000001", "1", "--tag", "Cat", "--rect", "1,1,2"],
        ["box", "page-000001", "--tag", "Cat", "--rect", "1,1,2,2"],
        ["polygon", "page-000001", "1", "--tag", "Cat", "--points", "1,1 2"],
        ["polygon", "page-000001", "1", "--tag", "Cat"],
        ["region", "set", "page-000001", "1", "1"],
        ["region", "set", "page-000001", "1", "1", "--rect", "1,1,2,2", "--points", "1,1 2,2 3,1"],
        ["region", "delete", "page-000001", "1", "0"],
        ["region", "delete", "page-000001", "1", "x"],
        ["region", "retag", "page-000001", "1", "1"],
        ["region", "frob", "page-000001", "1"],
    ])
    func usageErrors(_ args: [String]) throws {
        let ws = try TempWorkspace("verbs")
        let result = try ws.run(args, expect: 2)
        #expect(!result.stderr.isEmpty)
    }

    @Test("Help names every option")
    func help() throws {
        let tag = try Binary.run(["tag", "--help"])
        #expect(tag.status == 0)
        for word in ["--all", "--images", "--tag", "--key", "1-9", "multi-class", "multi-label"] {
            #expect(tag.stdout.contains(word), "tag --help lacks \(word)")
        }
        let box = try Binary.run(["box", "--help"])
        for word in ["--rect", "--template", "50x50", "X,Y,W,H"] {
            #expect(box.stdout.contains(word), "box --help lacks \(word)")
        }
        let region = try Binary.run(["region", "--help"])
        for word in ["delete", "retag", "set", "clear"] {
            #expect(region.stdout.contains(word), "region --help lacks \(word)")
        }
        let root = try Binary.run(["--help"])
        for verb in ["tag", "untag", "box", "polygon", "region"] {
            #expect(root.stdout.contains("  \(verb) "), "labelmill --help lacks \(verb)")
        }
    }
}
