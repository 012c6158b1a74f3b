import Testing
@testable import LabelmillCore

/// Pages as the daemon writes them: image 1 is 640x480, image 2 320x240, image 3 100x80.
enum LabelingPages {
    static let tags = ["Dog", "Cat", "Bird"]

    static func page(_ task: TaskKind, status: String = "open", tags: [String] = tags,
                     labels: [JSONValue]? = nil, extraImageKey: Bool = false) -> JSONValue {
        let sizes = [("a.png", 640, 480), ("b.png", 320, 240), ("c.png", 100, 80)]
        let key = task.isClassification ? "tags" : "regions"
        var images: [JSONValue] = []
        for (k, (file, w, h)) in sizes.enumerated() {
            var members: [(String, JSONValue)] = [
                ("file", .string(file)), ("width", .number(Double(w))), ("height", .number(Double(h))),
                ("source", .string("in/" + file)), ("sha256", .string(String(repeating: "\(k)", count: 4))),
                (key, labels?[k] ?? .null),
            ]
            if extraImageKey { members.append(("comment", .string("blurry"))) }
            images.append(.object(members))
        }
        return .object([
            ("$schema", .string("../../../page.schema.json")),
            ("project", .string("animals")),
            ("page", .string("page-000007")),
            ("revision", .number(2)),
            ("task", .string(task.rawValue)),
            ("tags", .array(tags.map(JSONValue.string))),
            ("status", .string(status)),
            ("comment", .string("a labeler's note")),
            ("images", .array(images)),
        ])
    }

    static func labeling(_ task: TaskKind, status: String = "open", labels: [JSONValue]? = nil) throws -> PageLabeling {
        try PageLabeling(page(task, status: status, labels: labels), fallbackID: "folder")
    }

    static func tagList(_ names: String...) -> JSONValue { .array(names.map(JSONValue.string)) }

    static func box(_ tag: String, _ x: Double, _ y: Double, _ w: Double, _ h: Double) -> JSONValue {
        Region(tag: tag, shape: .box(Box(x: x, y: y, width: w, height: h))).json
    }

    static func polygon(_ tag: String, _ points: [(Double, Double)]) -> JSONValue {
        Region(tag: tag, shape: .polygon(points.map { Point(x: $0.0, y: $0.1) })).json
    }

    static let square = [Point(x: 10, y: 10), Point(x: 60, y: 10), Point(x: 60, y: 50), Point(x: 10, y: 50)]

    static func image(_ page: JSONValue, _ n: Int) -> JSONValue? { page["images"]?.arrayValue?[n - 1] }

    static func tagsOf(_ page: JSONValue, _ n: Int) -> [String]? {
        image(page, n)?["tags"]?.arrayValue?.compactMap(\.stringValue)
    }

    static func regionsOf(_ page: JSONValue, _ n: Int) -> [Region]? {
        image(page, n)?["regions"]?.arrayValue?.compactMap(Region.init(json:))
    }

    /// The message a verb refused with.
    static func refusal(_ body: () throws(LabelingRefusal) -> LabelEdit) -> String {
        do {
            let edit = try body()
            return "not refused: \(edit.summary)"
        } catch {
            return error.message
        }
    }

    /// The validator's messages for a page handed in as it is.
    static func validatorMessages(_ page: JSONValue) -> [String] {
        var submitted = page
        submitted.setMember("status", .string("submitted"))
        return SubmissionValidator.check(Array(JSONWriter.pretty(submitted).utf8), expected: nil, files: nil).errors.map(\.message)
    }
}

@Suite("Labeling: command-line values")
struct LabelingInputTests {
    @Test func rectParses() throws {
        #expect(try LabelingInput.rect("10,20,50,40") == Box(x: 10, y: 20, width: 50, height: 40))
        #expect(try LabelingInput.rect(" 1.5, 2 ,3,4") == Box(x: 1.5, y: 2, width: 3, height: 4))
    }

    @Test(arguments: ["10,20,50", "10,20,50,40,1", "a,b,c,d", "", "10,20,,40", "nan,1,1,1", "inf,1,1,1"])
    func badRectRefused(_ text: String) {
        #expect(throws: LabelingArgumentError.self) { try LabelingInput.rect(text) }
    }

    @Test func pointsParse() throws {
        #expect(try LabelingInput.points("1,2  3,4\t5.5,6") == [Point(x: 1, y: 2), Point(x: 3, y: 4), Point(x: 5.5, y: 6)])
        #expect(throws: LabelingArgumentError.self) { try LabelingInput.points("   ") }
        #expect(throws: LabelingArgumentError.self) { try LabelingInput.points("1,2 3") }
        #expect(try LabelingInput.point("3,4", option: "--template") == Point(x: 3, y: 4))
    }

    @Test func imageListsSplitOnCommas() throws {
        #expect(try LabelingInput.images("1,3") == ["1", "3"])
        #expect(try LabelingInput.images("a.png, 2") == ["a.png", "2"])
        #expect(throws: LabelingArgumentError.self) { try LabelingInput.images("1,,3") }
        #expect(throws: LabelingArgumentError.self) { try LabelingInput.images("") }
    }

    @Test(arguments: [0, 10, -1])
    func keysRunFromOneToNine(_ key: Int) {
        #expect(throws: LabelingArgumentError.self) { try LabelingInput.key(key) }
    }
}

@Suite("Labeling: tags on classification pages")
struct LabelingTagTests {
    typealias P = LabelingPages

    @Test("Keys 1-9 are the page's first nine tags", arguments: [(1, "Dog"), (2, "Cat"), (3, "Bird")])
    func keyMapping(_ key: Int, _ tag: String) throws {
        let labeling = try P.labeling(.multiClass)
        #expect(try labeling.resolve(.key(key)) == tag)
    }

    @Test func keyBeyondTheTagsIsRefused() throws {
        let labeling = try P.labeling(.multiClass)
        let message = P.refusal { () throws(LabelingRefusal) in try labeling.tag(.all, with: .key(4)) }
        #expect(message.contains("key 4 is not set on page-000007"))
        #expect(message.contains("1 \"Dog\", 2 \"Cat\", 3 \"Bird\""))
        let ten = P.refusal { () throws(LabelingRefusal) in try labeling.tag(.all, with: .key(10)) }
        #expect(ten.contains("keys are 1 to 9"))
    }

    @Test func keyNineOfManyTags() throws {
        let tags = (1...12).map { "T\($0)" }
        let labeling = try PageLabeling(P.page(.multiLabel, tags: tags), fallbackID: "x")
        #expect(try labeling.resolve(.key(9)) == "T9")
    }

    @Test func multiClassReplaces() throws {
        let labeling = try P.labeling(.multiClass, labels: [P.tagList("Cat"), P.tagList("Dog"), .null])
        let edit = try labeling.tag(.some(["1", "3"]), with: .name("Dog"))
        #expect(edit.changed)
        #expect(P.tagsOf(edit.page, 1) == ["Dog"])
        #expect(P.tagsOf(edit.page, 2) == ["Dog"])
        #expect(P.tagsOf(edit.page, 3) == ["Dog"])
        #expect(edit.summary == "page-000007: tagged images 1, 3 as \"Dog\" (replacing \"Cat\")")
    }

    @Test func multiLabelAdds() throws {
        let labeling = try P.labeling(.multiLabel, labels: [P.tagList("Cat"), P.tagList("Dog"), .null])
        let edit = try labeling.tag(.all, with: .key(1))
        #expect(P.tagsOf(edit.page, 1) == ["Cat", "Dog"])
        #expect(P.tagsOf(edit.page, 2) == ["Dog"])
        #expect(P.tagsOf(edit.page, 3) == ["Dog"])
        #expect(edit.summary == "page-000007: tagged images 1, 3 as \"Dog\"")
    }

    @Test func taggingAgainChangesNothing() throws {
        let labeling = try P.labeling(.multiLabel, labels: [P.tagList("Dog"), P.tagList("Dog", "Cat"), .null])
        let edit = try labeling.tag(.some(["1", "b.png"]), with: .name("Dog"))
        #expect(!edit.changed)
        #expect(edit.page == labeling.page)
        #expect(edit.summary.contains("nothing changed"))
    }

    @Test func untagRemovesAndLeavesUnlabeledAsNull() throws {
        let labeling = try P.labeling(.multiLabel, labels: [P.tagList("Dog", "Cat"), P.tagList("Dog"), P.tagList("Cat")])
        let edit = try labeling.untag(.all, with: .name("Dog"))
        #expect(P.tagsOf(edit.page, 1) == ["Cat"])
        #expect(P.image(edit.page, 2)?["tags"] == .null)
        #expect(P.tagsOf(edit.page, 3) == ["Cat"])
        #expect(edit.summary == "page-000007: removed \"Dog\" from images 1, 2")
        let again = try PageLabeling(edit.page, fallbackID: "x").untag(.all, with: .name("Dog"))
        #expect(!again.changed)
    }

    @Test func unknownTagSuggestsTheNearest() throws {
        let labeling = try P.labeling(.multiClass)
        #expect(P.refusal { () throws(LabelingRefusal) in try labeling.tag(.all, with: .name("Dgo")) }
            == "unknown tag \"Dgo\"; did you mean \"Dog\"?")
        #expect(P.refusal { () throws(LabelingRefusal) in try labeling.tag(.all, with: .name("dog")) }
            == "unknown tag \"dog\"; did you mean \"Dog\"? (capitals matter)")
        #expect(P.refusal { () throws(LabelingRefusal) in try labeling.untag(.all, with: .name("Elephant")) }
            .hasPrefix("unknown tag \"Elephant\"; the page's tags are: Dog, Cat, Bird"))
    }

    @Test("Tags on a region page name the right verb", arguments: [(TaskKind.bbox, "`labelmill box`"), (.polygon, "`labelmill polygon`")])
    func tagsRefusedOnRegionPages(_ task: TaskKind, _ verb: String) throws {
        let labeling = try P.labeling(task)
        let message = P.refusal { () throws(LabelingRefusal) in try labeling.tag(.all, with: .name("Dog")) }
        #expect(message.contains("is a \(task.rawValue) page"))
        #expect(message.contains(verb))
        #expect(P.refusal { () throws(LabelingRefusal) in try labeling.untag(.all, with: .name("Dog")) }.contains(verb))
    }

    @Test func imagesByNumberOrName() throws {
        let labeling = try P.labeling(.multiClass)
        #expect(try labeling.imageIndex("2") == 1)
        #expect(try labeling.imageIndex("c.png") == 2)
        #expect(P.refusal { () throws(LabelingRefusal) in try labeling.tag(.some(["4"]), with: .name("Dog")) }
            == "page-000007 has 3 images; there is no image 4 (use images 1 to 3 or a file name)")
        #expect(P.refusal { () throws(LabelingRefusal) in try labeling.tag(.some(["0"]), with: .name("Dog")) }.contains("no image 0"))
        #expect(P.refusal { () throws(LabelingRefusal) in try labeling.tag(.some(["b.pgn"]), with: .name("Dog")) }
            == "no image \"b.pgn\" on page-000007; did you mean \"b.png\"?")
    }
}

@Suite("Labeling: which pages a verb may edit")
struct LabelingStatusTests {
    typealias P = LabelingPages

    @Test(arguments: ["submitted", "done"])
    func closedPagesRefused(_ status: String) {
        #expect(throws: LabelingRefusal("page-000007 is \(status); only open or rejected pages can be labeled")) {
            try P.labeling(.multiClass, status: status)
        }
    }

    @Test func rejectedPagesCanBeFixed() throws {
        var page = P.page(.multiClass, status: "rejected")
        page.setMember("errors", .array([]))
        let edit = try PageLabeling(page, fallbackID: "x").tag(.all, with: .name("Cat"))
        #expect(edit.page["status"] == .string("rejected"))
        #expect(edit.page["errors"] == .array([]))
    }

    @Test func theFolderNameStandsInForAMissingID() throws {
        var page = P.page(.bbox)
        page.removeMember("page")
        let edit = try PageLabeling(page, fallbackID: "page-000042").clearRegions(image: "1")
        #expect(edit.summary.hasPrefix("page-000042: "))
    }

    @Test func malformedLabelsAreNotOverwritten() throws {
        var page = P.page(.multiLabel)
        guard case .array(var images) = page["images"] else { Issue.record("no images"); return }
        images[0].setMember("tags", .string("Dog"))
        page.setMember("images", .array(images))
        let labeling = try PageLabeling(page, fallbackID: "x")
        #expect(P.refusal { () throws(LabelingRefusal) in try labeling.tag(.all, with: .name("Cat")) }
            .contains("\"tags\" of image 1 (\"a.png\") is not a list of tag names"))
    }

    @Test func keyOrderCommentsAndOtherImagesKept() throws {
        let page = P.page(.multiClass, extraImageKey: true)
        let edit = try PageLabeling(page, fallbackID: "x").tag(.some(["2"]), with: .name("Bird"))
        guard case .object(let before) = page, case .object(let after) = edit.page else { Issue.record("not objects"); return }
        #expect(before.map(\.0) == after.map(\.0))
        #expect(P.image(edit.page, 1) == P.image(page, 1))
        #expect(P.image(edit.page, 3) == P.image(page, 3))
        guard case .object(let image) = P.image(edit.page, 2) else { Issue.record("no image 2"); return }
        #expect(image.map(\.0) == ["file", "width", "height", "source", "sha256", "tags", "comment"])
        #expect(edit.page["comment"] == .string("a labeler's note"))
    }
}

@Suite("Labeling: boxes and polygons")
struct LabelingRegionTests {
    typealias P = LabelingPages

    @Test func boxAdded() throws {
        let labeling = try P.labeling(.bbox, labels: [.array([P.box("Cat", 1, 1, 5, 5)]), .null, .null])
        let edit = try labeling.addBox(image: "1", tag: .name("Dog"), at: .rect(Box(x: 10, y: 20, width: 50, height: 40)))
        #expect(P.regionsOf(edit.page, 1) == [
            Region(tag: "Cat", shape: .box(Box(x: 1, y: 1, width: 5, height: 5))),
            Region(tag: "Dog", shape: .box(Box(x: 10, y: 20, width: 50, height: 40))),
        ])
        #expect(edit.summary == "page-000007: image 1 (\"a.png\"): added box 2 \"Dog\" at x 10, y 20, 50x40")
        let first = try labeling.addBox(image: "c.png", tag: .key(3), at: .rect(Box(x: 0, y: 0, width: 100, height: 80)))
        #expect(P.regionsOf(first.page, 3) == [Region(tag: "Bird", shape: .box(Box(x: 0, y: 0, width: 100, height: 80)))])
    }

    @Test func templateIsFiftyByFiftyOnAPageWithoutBoxes() throws {
        let labeling = try P.labeling(.bbox)
        #expect([labeling.templateSize.width, labeling.templateSize.height] == [50, 50])
        let edit = try labeling.addBox(image: "2", tag: .name("Dog"), at: .template(Point(x: 3, y: 4)))
        #expect(P.regionsOf(edit.page, 2) == [Region(tag: "Dog", shape: .box(Box(x: 3, y: 4, width: 50, height: 50)))])
    }

    @Test func templateCopiesTheMostRecentBox() throws {
        // Verbs append, so the page's last box is the one added last.
        let labels: [JSONValue] = [.array([P.box("Cat", 0, 0, 7, 9)]), .array([P.box("Dog", 0, 0, 11, 13), P.box("Dog", 5, 5, 17, 19)]), .array([])]
        var labeling = try P.labeling(.bbox, labels: labels)
        #expect([labeling.templateSize.width, labeling.templateSize.height] == [17, 19])
        let edit = try labeling.addBox(image: "3", tag: .name("Bird"), at: .rect(Box(x: 1, y: 1, width: 20, height: 21)))
        labeling = try PageLabeling(edit.page, fallbackID: "x")
        #expect([labeling.templateSize.width, labeling.templateSize.height] == [20, 21])
        let templated = try labeling.addBox(image: "1", tag: .name("Bird"), at: .template(Point(x: 100, y: 100)))
        #expect(P.regionsOf(templated.page, 1)?.last == Region(tag: "Bird", shape: .box(Box(x: 100, y: 100, width: 20, height: 21))))
    }

    @Test("A box the validator would refuse is refused in its words", arguments: [
        Box(x: 600, y: 10, width: 50, height: 40),
        Box(x: 10, y: 450, width: 50, height: 40),
        Box(x: -1, y: 10, width: 50, height: 40),
        Box(x: 10, y: 10, width: 0, height: 40),
        Box(x: 10, y: 10, width: 20, height: -3),
    ])
    func badBoxRefused(_ box: Box) throws {
        let labeling = try P.labeling(.bbox)
        let message = P.refusal { () throws(LabelingRefusal) in try labeling.addBox(image: "1", tag: .name("Dog"), at: .rect(box)) }
        // The same page with the box written in by hand: the daemon's messages.
        var page = labeling.page
        guard case .array(var images) = page["images"] else { Issue.record("no images"); return }
        images[0].setMember("regions", .array([Region(tag: "Dog", shape: .box(box)).json]))
        page.setMember("images", .array(images))
        let daemon = P.validatorMessages(page).filter { $0.contains("box") }
        #expect(!daemon.isEmpty)
        #expect(message == "image 1 (\"a.png\"): " + daemon.joined(separator: "; "))
    }

    @Test func rightEdgeWording() throws {
        let labeling = try P.labeling(.bbox)
        #expect(P.refusal { () throws(LabelingRefusal) in
            try labeling.addBox(image: "1", tag: .name("Dog"), at: .rect(Box(x: 650, y: 10, width: 50, height: 40)))
        } == "image 1 (\"a.png\"): box extends past the right edge: x + width = 700 > image width 640")
        // A template box is checked the same way.
        #expect(P.refusal { () throws(LabelingRefusal) in
            try labeling.addBox(image: "3", tag: .name("Dog"), at: .template(Point(x: 60, y: 0)))
        }.contains("x + width = 110 > image width 100"))
    }

    @Test func polygonAdded() throws {
        let labeling = try P.labeling(.polygon)
        let edit = try labeling.addPolygon(image: "2", tag: .name("Cat"), points: P.square)
        #expect(P.regionsOf(edit.page, 2) == [Region(tag: "Cat", shape: .polygon(P.square))])
        #expect(edit.summary == "page-000007: image 2 (\"b.png\"): added polygon 1 \"Cat\" with 4 points")
    }

    static let badPolygons: [(points: [[Double]], words: String)] = [
        ([[1, 1], [8, 6], [8, 1], [1, 6]], "edges cross"),
        ([[1, 1], [8, 6]], "at least 3 points"),
        ([[1, 1], [8, 6], [700, 1]], "outside the image: x = 700 > image width 640"),
        ([[1, 1], [2, 2], [3, 3]], "zero area"),
        ([[1, 1], [8, 6], [8, 6], [1, 6]], "repeats point 2"),
        ([[1, 1], [8, 6], [1, 6], [1, 1]], "the last point repeats the first"),
    ]

    @Test("A polygon the validator would refuse is refused in its words", arguments: badPolygons)
    func badPolygonRefused(_ points: [[Double]], _ words: String) throws {
        let labeling = try P.labeling(.polygon)
        let outline = points.map { Point(x: $0[0], y: $0[1]) }
        let message = P.refusal { () throws(LabelingRefusal) in try labeling.addPolygon(image: "1", tag: .name("Dog"), points: outline) }
        #expect(message.hasPrefix("image 1 (\"a.png\"): "))
        #expect(message.contains(words))
    }

    @Test("Regions on a classification page name the right verb", arguments: [TaskKind.multiClass, .multiLabel])
    func regionsRefusedOnClassificationPages(_ task: TaskKind) throws {
        let labeling = try P.labeling(task)
        let refusals = [
            P.refusal { () throws(LabelingRefusal) in try labeling.addBox(image: "1", tag: .name("Dog"), at: .template(Point(x: 0, y: 0))) },
            P.refusal { () throws(LabelingRefusal) in try labeling.addPolygon(image: "1", tag: .name("Dog"), points: P.square) },
            P.refusal { () throws(LabelingRefusal) in try labeling.clearRegions(image: "1") },
            P.refusal { () throws(LabelingRefusal) in try labeling.deleteRegion(image: "1", index: 1) },
        ]
        for message in refusals {
            #expect(message.contains("is a \(task.rawValue) page: its images get tags, not regions; use `labelmill tag`"))
        }
    }

    @Test func theOtherShapeIsRefused() throws {
        let bbox = try P.labeling(.bbox)
        #expect(P.refusal { () throws(LabelingRefusal) in try bbox.addPolygon(image: "1", tag: .name("Dog"), points: P.square) }
            .contains("is a bbox page: mark regions with boxes (`labelmill box`"))
        let polygon = try P.labeling(.polygon)
        #expect(P.refusal { () throws(LabelingRefusal) in try polygon.addBox(image: "1", tag: .name("Dog"), at: .template(Point(x: 0, y: 0))) }
            .contains("is a polygon page: mark regions with polygons (`labelmill polygon`"))
    }
}

@Suite("Labeling: editing one region")
struct LabelingRegionEditTests {
    typealias P = LabelingPages

    func threeBoxes() throws -> PageLabeling {
        var second = P.box("Cat", 20, 20, 10, 10)
        second.setMember("comment", .string("half hidden"))
        return try P.labeling(.bbox, labels: [.array([P.box("Dog", 0, 0, 10, 10), second, P.box("Bird", 40, 40, 10, 10)]), .null, .null])
    }

    @Test func deleteByOneBasedIndex() throws {
        let edit = try threeBoxes().deleteRegion(image: "1", index: 2)
        #expect(P.regionsOf(edit.page, 1)?.map(\.tag) == ["Dog", "Bird"])
        #expect(edit.summary == "page-000007: image 1 (\"a.png\"): deleted region 2 \"Cat\"")
    }

    @Test func deletingTheLastRegionLeavesAnEmptyList() throws {
        let labeling = try P.labeling(.bbox, labels: [.array([P.box("Dog", 0, 0, 10, 10)]), .null, .null])
        let edit = try labeling.deleteRegion(image: "1", index: 1)
        #expect(P.image(edit.page, 1)?["regions"] == .array([]))
    }

    @Test(arguments: [0, 4])
    func indexOutOfRange(_ index: Int) throws {
        let labeling = try threeBoxes()
        #expect(P.refusal { () throws(LabelingRefusal) in try labeling.deleteRegion(image: "1", index: index) }
            == "image 1 (\"a.png\") has regions 1 to 3; there is no region \(index)")
        #expect(P.refusal { () throws(LabelingRefusal) in try labeling.deleteRegion(image: "2", index: 1) }
            == "image 2 (\"b.png\") has no regions yet; add one with `labelmill box`")
    }

    @Test func retagKeepsTheShapeAndComment() throws {
        let edit = try threeBoxes().retagRegion(image: "a.png", index: 2, tag: .key(1))
        let region = P.image(edit.page, 1)?["regions"]?.arrayValue?[1]
        #expect(region?["tag"] == .string("Dog"))
        #expect(region?["comment"] == .string("half hidden"))
        #expect(region?["box"] == P.box("Cat", 20, 20, 10, 10)["box"])
        #expect(edit.summary == "page-000007: image 1 (\"a.png\"): region 2 is now \"Dog\" (was \"Cat\")")
        let boxes = try threeBoxes()
        let unknown = P.refusal { () throws(LabelingRefusal) in try boxes.retagRegion(image: "1", index: 1, tag: .name("Brid")) }
        #expect(unknown == "unknown tag \"Brid\"; did you mean \"Bird\"?")
    }

    @Test func setReplacesTheShapeAndKeepsTheTag() throws {
        let edit = try threeBoxes().setRegion(image: "1", index: 2, to: .box(Box(x: 100, y: 100, width: 30, height: 20)))
        let region = P.image(edit.page, 1)?["regions"]?.arrayValue?[1]
        guard case .object(let members) = region else { Issue.record("no region"); return }
        #expect(members.map(\.0) == ["tag", "box", "comment"])
        #expect(Region(json: region!) == Region(tag: "Cat", shape: .box(Box(x: 100, y: 100, width: 30, height: 20))))
        let boxes = try threeBoxes()
        let outside = P.refusal { () throws(LabelingRefusal) in
            try boxes.setRegion(image: "1", index: 2, to: .box(Box(x: 100, y: 470, width: 30, height: 20)))
        }
        #expect(outside.contains("box extends past the bottom edge: y + height = 490 > image height 480"))
        let wrong = P.refusal { () throws(LabelingRefusal) in try boxes.setRegion(image: "1", index: 2, to: .polygon(P.square)) }
        #expect(wrong.contains("is a bbox page"))
    }

    @Test func setAPolygon() throws {
        let labeling = try P.labeling(.polygon, labels: [.array([P.polygon("Dog", [(1, 1), (9, 1), (5, 7)])]), .null, .null])
        let edit = try labeling.setRegion(image: "1", index: 1, to: .polygon(P.square))
        #expect(P.regionsOf(edit.page, 1) == [Region(tag: "Dog", shape: .polygon(P.square))])
    }

    @Test func clearLeavesNothingToMark() throws {
        let edit = try threeBoxes().clearRegions(image: "1")
        #expect(P.image(edit.page, 1)?["regions"] == .array([]))
        #expect(edit.summary == "page-000007: image 1 (\"a.png\"): deleted all 3 regions (nothing to mark)")
        let unlabeled = try threeBoxes().clearRegions(image: "2")
        #expect(P.image(unlabeled.page, 2)?["regions"] == .array([]))
        let again = try PageLabeling(edit.page, fallbackID: "x").clearRegions(image: "1")
        #expect(!again.changed)
    }
}

@Suite("Labeling: a page labeled only with verbs passes validation")
struct LabelingAcceptanceTests {
    typealias P = LabelingPages

    @Test(arguments: TaskKind.allCases)
    func labeledPageIsValid(_ task: TaskKind) throws {
        var labeling = try P.labeling(task)
        func apply(_ body: (PageLabeling) throws(LabelingRefusal) -> LabelEdit) throws {
            labeling = try PageLabeling(try body(labeling).page, fallbackID: "x")
        }
        switch task {
        case .multiClass:
            try apply { l throws(LabelingRefusal) in try l.tag(.all, with: .key(2)) }
            try apply { l throws(LabelingRefusal) in try l.tag(.some(["3"]), with: .name("Bird")) }
        case .multiLabel:
            try apply { l throws(LabelingRefusal) in try l.tag(.all, with: .key(1)) }
            try apply { l throws(LabelingRefusal) in try l.tag(.some(["1", "2"]), with: .name("Cat")) }
            try apply { l throws(LabelingRefusal) in try l.untag(.some(["2"]), with: .name("Dog")) }
        case .bbox:
            try apply { l throws(LabelingRefusal) in try l.addBox(image: "1", tag: .name("Dog"), at: .rect(Box(x: 1, y: 2, width: 30, height: 40))) }
            try apply { l throws(LabelingRefusal) in try l.addBox(image: "2", tag: .key(2), at: .template(Point(x: 5, y: 5))) }
            try apply { l throws(LabelingRefusal) in try l.clearRegions(image: "3") }
        case .polygon:
            try apply { l throws(LabelingRefusal) in try l.addPolygon(image: "1", tag: .name("Dog"), points: P.square) }
            try apply { l throws(LabelingRefusal) in try l.addPolygon(image: "2", tag: .key(3), points: P.square) }
            try apply { l throws(LabelingRefusal) in try l.clearRegions(image: "3") }
        }
        #expect(P.validatorMessages(labeling.page) == [])
    }
}
