import Testing
@testable import LabelmillCore

let allTasks = ["multi-class", "multi-label", "bbox", "polygon"]

@Suite("Validation: strict JSON, keys and types (rule 1)")
struct ValidationRule1Tests {
    @Test(arguments: allTasks)
    func validPageHasNoErrors(_ task: String) {
        let text = Pages.text(task, Pages.images(task))
        expectErrors(task, text, [])
        expectErrors(task, text, [], expected: false)
        expectErrors(task, text, [], expected: false, files: false)
        let check = SubmissionValidator.check(Array(text.utf8), expected: Pages.expected(task), files: Pages.files)
        #expect(check.isStrictJSON && check.isValid)
        #expect(check.manifest?.images.count == 2)
        #expect(SubmissionValidator.rejectedText(for: check) == nil)
    }

    @Test func notStrictJSONIsOneError() {
        let text = Pages.text("multi-class", Pages.multiClass).replacing("\"tags\": [\"Cat\"] }", with: "\"tags\": [\"Cat\",] }")
        let check = SubmissionValidator.check(Array(text.utf8), expected: nil, files: nil)
        #expect(!check.isStrictJSON)
        #expect(check.errors == [Wanted(11, ",]", "", "trailing comma before ']'; remove the comma after the last item").error(in: text)])
        #expect(SubmissionValidator.rejectedText(for: check) == nil)
    }

    @Test func duplicateKeyIsOneError() {
        let text = Pages.edit("bbox", image: 1, "\"regions\": []", "\"regions\": [], \"regions\": null")
        let check = SubmissionValidator.check(Array(text.utf8), expected: nil, files: nil)
        #expect(check.errors == [Wanted(11, "\"regions\": null", "", "duplicate key \"regions\" (first at line 11, column 91)").error(in: text)])
    }

    @Test func emptyFile() {
        let check = SubmissionValidator.check([], expected: nil, files: nil)
        #expect(check.errors == [PageError(line: 1, column: 1, pointer: "", message: "the file is empty")])
    }

    @Test func notAnObject() {
        let check = SubmissionValidator.check(Array("[1]".utf8), expected: nil, files: nil)
        #expect(check.errors.map(\.pointer) == [""])
        #expect(check.errors.first?.message.hasPrefix("page.json must be a JSON object") == true)
        #expect(SubmissionValidator.rejectedText(for: check) == nil)
    }

    @Test func unknownPageKeyNamesTheNearest() {
        let text = Pages.text("multi-class", Pages.multiClass).replacing("\"status\": \"submitted\",", with: "\"status\": \"submitted\", \"commnet\": \"hi\", \"regions\": [], \"colour\": 1,")
        expectErrors("multi-class", text, [
            Wanted(8, "\"commnet\"", "/commnet", "unknown key \"commnet\"; did you mean \"comment\"?"),
            Wanted(8, "\"regions\"", "/regions", "unknown key \"regions\" here; it belongs inside an image of \"images\""),
            Wanted(8, "\"colour\"", "/colour", "unknown key \"colour\"; the keys allowed here are: $schema, project, page, revision, task, tags, status, assist, assigned_to, comment, images, errors"),
        ])
    }

    @Test func unknownImageKey() {
        let text = Pages.edit("multi-class", image: 1, "\"tags\"", "\"tgas\"")
        expectErrors("multi-class", text, [
            Wanted(11, "{", "/images/1", "image 2 (\"b.png\") has no tag yet; choose one of: Dog, Cat"),
            Wanted(11, "\"tgas\"", "/images/1/tgas", "unknown key \"tgas\"; did you mean \"tags\"?"),
        ])
    }

    @Test func wrongLabelKeyForTheTask() {
        let bbox = Pages.edit("bbox", image: 1, "\"regions\": []", "\"tags\": [\"Dog\"]")
        expectErrors("bbox", bbox, [
            Wanted(11, "\"tags\"", "/images/1/tags", "\"tags\" is for classification pages; this is a bbox page: label image 2 (\"b.png\") with \"regions\" instead"),
        ])
        let multiLabel = Pages.edit("multi-label", image: 1, "\"tags\": [\"Cat\"]", "\"regions\": []")
        expectErrors("multi-label", multiLabel, [
            Wanted(11, "\"regions\"", "/images/1/regions", "\"regions\" is for bbox and polygon pages; this is a multi-label page: label image 2 (\"b.png\") with \"tags\" instead"),
        ])
    }

    @Test func wrongShapeForTheTask() {
        let bbox = Pages.edit("bbox", image: 1, "\"regions\": []", "\"regions\": [{ \"tag\": \"Dog\", \"polygon\": [[1, 1], [5, 1], [3, 4]] }]")
        expectErrors("bbox", bbox, [
            Wanted(11, "\"polygon\"", "/images/1/regions/0/polygon", "\"polygon\" is for polygon pages; this is a bbox page: give the region a \"box\" with \"x\", \"y\", \"width\" and \"height\""),
        ])
        let polygon = Pages.edit("polygon", image: 1, "\"regions\": []", "\"regions\": [{ \"tag\": \"Dog\", \"box\": { \"x\": 1, \"y\": 1, \"width\": 2, \"height\": 2 } }]")
        expectErrors("polygon", polygon, [
            Wanted(11, "\"box\"", "/images/1/regions/0/box", "\"box\" is for bbox pages; this is a polygon page: give the region a \"polygon\", a list of [x, y] points"),
        ])
    }

    @Test func unknownKeysInRegionsAndBoxes() {
        let text = Pages.edit("bbox", image: 0, "\"tag\": \"Dog\", \"box\": { \"x\": 10, \"y\": 20, \"width\": 50",
                              "\"tga\": \"Dog\", \"box\": { \"x\": 10, \"y\": 20, \"widht\": 50")
        expectErrors("bbox", text, [
            Wanted(10, "{ \"tga\"", "/images/0/regions/0", "region 1 of image 1 (\"a.png\") has no \"tag\"; choose one of: Dog, Cat"),
            Wanted(10, "\"tga\"", "/images/0/regions/0/tga", "unknown key \"tga\"; did you mean \"tag\"?"),
            Wanted(10, "{ \"x\"", "/images/0/regions/0/box", "the box is missing \"width\"; a box needs \"x\", \"y\", \"width\" and \"height\""),
            Wanted(10, "\"widht\"", "/images/0/regions/0/box/widht", "unknown key \"widht\"; did you mean \"width\"?"),
        ])
    }

    @Test func wrongTypes() {
        var text = Pages.text("multi-class", Pages.multiClass)
            .replacing("\"revision\": 2", with: "\"revision\": \"2\"")
            .replacing("\"status\": \"submitted\"", with: "\"status\": \"submited\"")
        text = text.replacing("\"width\": 320", with: "\"width\": 320.5")
        expectErrors("multi-class", text, [
            Wanted(5, "\"2\"", "/revision", "\"revision\" must be a whole number, not the string \"2\""),
            Wanted(8, "\"submited\"", "/status", "\"status\" must be one of \"open\", \"submitted\", \"rejected\", \"done\", not the string \"submited\"; did you mean \"submitted\"?"),
            Wanted(11, "320.5", "/images/1/width", "\"width\" must be a whole number greater than 0, not the number 320.5"),
        ])
    }

    @Test func wrongTypesInLabels() {
        let text = Pages.edit("multi-label", image: 1, "[\"Cat\"]", "[\"Cat\", 7]")
        expectErrors("multi-label", text, [
            Wanted(11, "7]", "/images/1/tags/1", "tag 2 of image 2 (\"b.png\") must be a tag name in double quotes, not the number 7"),
        ])
        let notList = Pages.edit("multi-class", image: 0, "[\"Dog\"]", "\"Dog\"")
        expectErrors("multi-class", notList, [
            Wanted(10, "\"Dog\"", "/images/0/tags", "\"tags\" of image 1 (\"a.png\") must be a list of tag names, like [\"Dog\"], not the string \"Dog\""),
        ])
        let regions = Pages.edit("bbox", image: 1, "\"regions\": []", "\"regions\": {}")
        expectErrors("bbox", regions, [
            Wanted(11, "{}", "/images/1/regions", "\"regions\" of image 2 (\"b.png\") must be a list of regions, or [] if there is nothing to mark, not an object"),
        ])
        let boxX = Pages.edit("bbox", image: 0, "\"x\": 10", "\"x\": \"10\"")
        expectErrors("bbox", boxX, [
            Wanted(10, "\"10\"", "/images/0/regions/0/box/x", "\"x\" of a box must be a number of pixels, not the string \"10\""),
        ])
    }

    @Test func daemonListsAreAcceptedAndChecked() {
        let text = Pages.edit("bbox", image: 1, "\"regions\": []",
                              "\"regions\": [], \"comment\": \"blurry\", \"prelabels\": [{ \"tag\": \"Dog\", \"confidence\": 0.93, \"model\": \"m1\", \"box\": { \"x\": 1, \"y\": 2, \"width\": 3, \"height\": 4 } }]")
            .replacing("\"status\": \"submitted\",", with: "\"status\": \"submitted\", \"assigned_to\": \"ana\", \"comment\": \"done\",")
            .replacing("\n  ]\n}", with: "\n  ],\n  \"errors\": [{ \"line\": 3, \"column\": 4, \"pointer\": \"/x\", \"message\": \"m\" }]\n}")
        expectErrors("bbox", text, [])
        let bad = text.replacing("0.93", with: "1.5").replacing("\"pointer\"", with: "\"pointr\"")
        expectErrors("bbox", bad, [
            Wanted(11, "1.5", "/images/1/prelabels/0/confidence", "\"confidence\" must be a number from 0 to 1, not the number 1.5"),
            Wanted(13, "\"pointr\"", "/errors/0/pointr", "unknown key \"pointr\"; did you mean \"pointer\"?"),
        ])
    }

    @Test func assistNotesAreAcceptedAndChecked() {
        let text = Pages.edit("multi-class", image: 1, "\"tags\": [\"Cat\"]",
                              "\"prelabels\": [{ \"tag\": \"Cat\", \"confidence\": 0.99, \"model\": \"builtin-1\" }], \"tags\": [\"Cat\"], \"label_source\": \"model-accepted\"")
            .replacing("\"status\": \"submitted\",", with: "\"status\": \"submitted\", \"assist\": { \"clustered\": true, \"prelabeled\": true, \"model\": \"builtin-1\" },")
        expectErrors("multi-class", text, [])
        let bad = text.replacing("\"clustered\": true", with: "\"clustered\": \"yes\"")
            .replacing("\"model\": \"builtin-1\" },", with: "\"modle\": \"builtin-1\" },")
            .replacing("\"model-accepted\"", with: "\"model-acepted\"")
        expectErrors("multi-class", bad, [
            Wanted(8, "\"yes\"", "/assist/clustered", "\"clustered\" must be true or false, not the string \"yes\""),
            Wanted(8, "\"modle\"", "/assist/modle", "unknown key \"modle\"; did you mean \"model\"?"),
            Wanted(11, "\"model-acepted\"", "/images/1/label_source", "\"label_source\" must be one of \"human\", \"model-accepted\", \"model-corrected\", \"model-adjusted\", \"import\", not the string \"model-acepted\"; did you mean \"model-accepted\"?"),
        ])
    }

    @Test func hugeNumbersAreErrorsNotCrashes() {
        let text = Pages.text("bbox", Pages.bbox).replacing("\"revision\": 2", with: "\"revision\": 1e300")
            .replacing("\"width\": 320", with: "\"width\": 1e20")
        let check = SubmissionValidator.check(Array(text.utf8), expected: nil, files: nil)
        #expect(check.errors.map(\.pointer) == ["/revision", "/images/1/width"])
        #expect(check.manifest == nil)
    }

    @Test func pointerEscapesKeys() {
        let text = Pages.text("multi-class", Pages.multiClass).replacing("\"status\": \"submitted\",", with: "\"status\": \"submitted\", \"a/b~c\": 1,")
        #expect(errors(text, expected: nil, files: nil).map(\.pointer) == ["/a~1b~0c"])
    }
}

@Suite("Validation: the daemon's values and the page folder (rule 2)")
struct ValidationRule2Tests {
    @Test(arguments: allTasks)
    func changedImageValues(_ task: String) {
        let text = Pages.edit(task, image: 0, "\"width\": 640, \"height\": 480, \"source\": \"in/a.png\", \"sha256\": \"aa\"",
                              "\"width\": 600, \"height\": 480, \"source\": \"in/x.png\", \"sha256\": \"ab\"")
        expectErrors(task, text, [
            Wanted(10, "600", "/images/0/width", "\"width\" was changed from 640 to 600; the daemon's values must stay as written"),
            Wanted(10, "\"in/x.png\"", "/images/0/source", "\"source\" was changed from \"in/a.png\" to \"in/x.png\"; the daemon's values must stay as written"),
            Wanted(10, "\"ab\"", "/images/0/sha256", "\"sha256\" was changed from \"aa\" to \"ab\"; the daemon's values must stay as written"),
        ], files: false)
    }

    @Test func changedPageValues() {
        let text = Pages.text("multi-class", Pages.multiClass, tags: #"["Dog", "Cat", "Fish"]"#)
            .replacing("\"project\": \"animals\"", with: "\"project\": \"pets\"")
            .replacing("\"page\": \"page-000001\"", with: "\"page\": \"page-000002\"")
            .replacing("\"revision\": 2", with: "\"revision\": 3")
            .replacing("\"task\": \"multi-class\"", with: "\"task\": \"multi-label\"")
        expectErrors("multi-class", text, [
            Wanted(3, "\"pets\"", "/project", "\"project\" was changed from \"animals\" to \"pets\"; the daemon's values must stay as written"),
            Wanted(4, "\"page-000002\"", "/page", "\"page\" was changed from \"page-000001\" to \"page-000002\"; the daemon's values must stay as written"),
            Wanted(5, "3", "/revision", "\"revision\" was changed from 2 to 3; the daemon's values must stay as written"),
            Wanted(6, "\"multi-label\"", "/task", "\"task\" was changed from \"multi-class\" to \"multi-label\"; the daemon's values must stay as written"),
            Wanted(7, "[", "/tags", "\"tags\" was changed from [\"Dog\",\"Cat\"] to [\"Dog\",\"Cat\",\"Fish\"]; the daemon's values must stay as written"),
        ])
    }

    @Test func missingPageKeys() {
        let text = Pages.text("bbox", Pages.bbox).replacing("  \"revision\": 2,\n", with: "").replacing("  \"status\": \"submitted\",\n", with: "")
        expectErrors("bbox", text, [
            Wanted(1, "{", "", "page.json is missing \"revision\"; put back the daemon's value: \"revision\": 2"),
            Wanted(1, "{", "", "page.json is missing \"status\"; add \"status\": \"submitted\" to hand the page in"),
        ])
    }

    @Test func missingImageKeyIsPutBack() {
        let text = Pages.edit("polygon", image: 1, ", \"sha256\": \"bb\"", "")
        expectErrors("polygon", text, [
            Wanted(11, "{", "/images/1", "image 2 (\"b.png\") is missing \"sha256\"; put back the daemon's value: \"sha256\": \"bb\""),
        ])
    }

    @Test func deletedFileKeyIsPutBack() {
        let text = Pages.edit("multi-class", image: 1, "\"file\": \"b.png\", ", "")
        expectErrors("multi-class", text, [
            Wanted(11, "{", "/images/1", "image 2 is missing \"file\"; put back the daemon's value: \"file\": \"b.png\""),
        ], files: false)
    }

    @Test func renamedFile() {
        let text = Pages.edit("multi-class", image: 1, "\"b.png\"", "\"c.png\"")
        expectErrors("multi-class", text, [
            Wanted(11, "\"c.png\"", "/images/1/file", "\"file\" was changed from \"b.png\" to \"c.png\"; the daemon's values must stay as written"),
        ])
    }

    @Test func addedAndRemovedImages() {
        let extra = #"{ "file": "c.png", "width": 10, "height": 10, "source": "in/c.png", "sha256": "cc", "tags": ["Dog"] }"#
        let added = Pages.text("multi-class", Pages.multiClass + [extra])
        expectErrors("multi-class", added, [
            Wanted(12, "\"c.png\"", "/images/2/file", "image \"c.png\" is not one of this page's images; remove it from \"images\""),
        ])
        let removed = Pages.text("multi-class", [Pages.multiClass[0]])
        expectErrors("multi-class", removed, [
            Wanted(9, "[", "/images", "image \"b.png\" is missing from \"images\"; put its entry back as the daemon wrote it"),
        ])
    }

    @Test(arguments: [true, false])
    func folderDisagrees(_ withDaemonCopy: Bool) {
        let text = Pages.text("multi-label", Pages.multiLabel)
        let files = [
            PageFolderFile(name: "a.png", sha256: "a2", width: 640, height: 480),
            PageFolderFile(name: "notes.png", sha256: "nn", width: 5, height: 5),
        ]
        let got = errors(text, expected: withDaemonCopy ? Pages.expected("multi-label") : nil, files: files)
        #expect(got == [
            Wanted(9, "[", "/images", "\"notes.png\" is in the page folder but not listed in images").error(in: text),
            Wanted(10, "\"a.png\"", "/images/0/file", "\"a.png\" was altered: its SHA-256 no longer matches").error(in: text),
            Wanted(11, "\"b.png\"", "/images/1/file", "image \"b.png\" is listed but not in the page folder").error(in: text),
        ])
    }

    @Test func withoutTheDaemonCopySizesAreCheckedAgainstTheFile() {
        let text = Pages.edit("bbox", image: 1, "\"height\": 240", "\"height\": 250")
        expectErrors("bbox", text, [
            Wanted(11, "250", "/images/1/height", "\"height\" is 250 but the image \"b.png\" is 240 pixels high; the daemon's values must stay as written"),
        ], expected: false)
    }

    static let paths = ["../a.png", "x/a.png", "/a.png", "..", ".", "a\\b.png"]

    @Test(arguments: paths)
    func fileMustBeAPlainName(_ name: String) {
        let escaped = name.replacing("\\", with: "\\\\")
        let text = Pages.edit("multi-class", image: 0, "\"a.png\"", "\"\(escaped)\"")
        let got = errors(text, expected: nil, files: nil)
        #expect(got == [Wanted(10, "\"\(escaped)\"", "/images/0/file", "\"file\" must be a plain file name, not a path: \"\(escaped)\"").error(in: text)])
    }

    @Test func listedTwice() {
        let text = Pages.edit("multi-class", image: 1, "\"b.png\"", "\"a.png\"")
        let got = errors(text, expected: nil, files: nil)
        #expect(got == [Wanted(11, "\"a.png\"", "/images/1/file", "image \"a.png\" is listed twice (also as image 1); remove one").error(in: text)])
    }
}

@Suite("Validation: every image labeled, known tags (rules 3 and 4)")
struct ValidationLabelTests {
    @Test(arguments: ["null", "[]"])
    func multiClassUnlabeled(_ value: String) {
        let text = Pages.edit("multi-class", image: 1, "[\"Cat\"]", value)
        expectErrors("multi-class", text, [
            Wanted(11, value, "/images/1/tags", "image 2 (\"b.png\") has no tag yet; choose one of: Dog, Cat"),
        ])
    }

    @Test func multiClassNeedsExactlyOne() {
        let text = Pages.edit("multi-class", image: 1, "[\"Cat\"]", "[\"Cat\", \"Dog\"]")
        expectErrors("multi-class", text, [
            Wanted(11, "[\"Cat\"", "/images/1/tags", "image 2 (\"b.png\") has 2 tags, but this is a multi-class page: keep exactly one"),
        ])
    }

    @Test(arguments: ["null", "[]"])
    func multiLabelUnlabeled(_ value: String) {
        let text = Pages.edit("multi-label", image: 0, "[\"Dog\", \"Cat\"]", value)
        expectErrors("multi-label", text, [
            Wanted(10, value, "/images/0/tags", "image 1 (\"a.png\") has no tag yet; choose one or more of: Dog, Cat"),
        ])
    }

    @Test func multiLabelNoRepeats() {
        let text = Pages.edit("multi-label", image: 0, "[\"Dog\", \"Cat\"]", "[\"Dog\", \"Cat\", \"Dog\"]")
        expectErrors("multi-label", text, [
            Wanted(10, "\"Dog\"]", "/images/0/tags/2", "tag \"Dog\" is listed twice for image 1 (\"a.png\"); remove one"),
        ])
    }

    @Test(arguments: ["bbox", "polygon"])
    func regionsUnlabeled(_ task: String) {
        let text = Pages.edit(task, image: 1, "[]", "null")
        expectErrors(task, text, [
            Wanted(11, "null", "/images/1/regions", "image 2 (\"b.png\") is not labeled yet: add its regions, or write \"regions\": [] if there is nothing to mark"),
        ])
        let missing = Pages.edit(task, image: 1, ", \"regions\": []", "")
        expectErrors(task, missing, [
            Wanted(11, "{", "/images/1", "image 2 (\"b.png\") is not labeled yet: add its regions, or write \"regions\": [] if there is nothing to mark"),
        ])
    }

    @Test(arguments: allTasks)
    func unknownTags(_ task: String) {
        let old = task == "polygon" ? "\"Cat\"" : "\"Dog\""
        for (tag, message) in [
            ("dgo", "unknown tag \"dgo\"; did you mean \"Dog\"?"),
            ("dog", "unknown tag \"dog\"; did you mean \"Dog\"? (capitals matter)"),
            ("Zebra", "unknown tag \"Zebra\"; the page's tags are: Dog, Cat"),
        ] {
            if task == "polygon" && tag != "Zebra" { continue }
            let text = Pages.edit(task, image: 0, old, "\"\(tag)\"")
            let pointer = task.hasPrefix("multi") ? "/images/0/tags/0" : "/images/0/regions/0/tag"
            expectErrors(task, text, [Wanted(10, "\"\(tag)\"", pointer, message)])
        }
    }

    @Test func manyTagsAreShortenedInMessages() {
        let tags = (1...20).map { "T\($0)" }
        let list = "[" + tags.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        let text = Pages.text("multi-class", Pages.multiClass.map { $0.replacing("\"Dog\"", with: "null").replacing("\"Cat\"", with: "\"T2\"") }, tags: list)
            .replacing("[null]", with: "null")
        let got = errors(text, expected: nil, files: nil)
        #expect(got.map(\.message) == ["image 1 (\"a.png\") has no tag yet; choose one of: T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, ... (20 tags in all, listed in \"tags\")"])
    }
}

@Suite("Validation: boxes (rule 5)")
struct ValidationBoxTests {
    static let cases: [(String, String, String, String)] = [
        ("\"x\": 10, \"y\": 20, \"width\": 50", "\"x\": 600, \"y\": 20, \"width\": 100", "{ \"x\": 600", "/images/0/regions/0/box|box extends past the right edge: x + width = 700 > image width 640"),
        ("\"height\": 40", "\"height\": 470.5", "{ \"x\"", "/images/0/regions/0/box|box extends past the bottom edge: y + height = 490.5 > image height 480"),
        ("\"x\": 10", "\"x\": -0.5", "-0.5", "/images/0/regions/0/box/x|box extends past the left edge: x = -0.5 < 0"),
        ("\"y\": 20", "\"y\": -3", "-3", "/images/0/regions/0/box/y|box extends past the top edge: y = -3 < 0"),
        ("\"width\": 50", "\"width\": 0", "0, \"height\": 40", "/images/0/regions/0/box/width|box width must be greater than 0, not 0"),
        ("\"height\": 40", "\"height\": -1", "-1", "/images/0/regions/0/box/height|box height must be greater than 0, not -1"),
    ]

    @Test(arguments: cases)
    func boxRule(_ old: String, _ new: String, _ at: String, _ pointerAndMessage: String) {
        let parts = pointerAndMessage.split(separator: "|", maxSplits: 1).map(String.init)
        let text = Pages.edit("bbox", image: 0, old, new)
        expectErrors("bbox", text, [Wanted(10, at, parts[0], parts[1])])
    }

    @Test func boxFitsExactly() {
        let text = Pages.edit("bbox", image: 0, "\"x\": 10, \"y\": 20, \"width\": 50, \"height\": 40", "\"x\": 0, \"y\": 0, \"width\": 640, \"height\": 480")
        expectErrors("bbox", text, [])
    }

    @Test func sizeFromTheFolderWhenNoDaemonCopy() {
        let text = Pages.edit("bbox", image: 0, "\"width\": 50", "\"width\": 700")
        let got = errors(text, expected: nil, files: Pages.files)
        #expect(got.map(\.message) == ["box extends past the right edge: x + width = 710 > image width 640"])
    }

    @Test func regionWithoutBox() {
        let text = Pages.edit("bbox", image: 1, "[]", "[{ \"tag\": \"Cat\" }, 3]")
        expectErrors("bbox", text, [
            Wanted(11, "{ \"tag\"", "/images/1/regions/0", "region 1 of image 2 (\"b.png\") has no \"box\"; add one like \"box\": {\"x\": 10, \"y\": 20, \"width\": 50, \"height\": 40}"),
            Wanted(11, "3]", "/images/1/regions/1", "region 2 of image 2 (\"b.png\") must be an object like {\"tag\": \"Dog\", \"box\": {\"x\": 10, \"y\": 20, \"width\": 50, \"height\": 40}}, not the number 3"),
        ])
    }
}

@Suite("Validation: polygons (rule 6)")
struct ValidationPolygonTests {
    static let base = "[[10, 10], [50, 12], [30, 40]]"

    static let cases: [(String, String, String, String)] = [
        ("[[10, 10], [50, 12]]", "[[10, 10], [50", "/images/0/regions/0/polygon", "a polygon needs at least 3 points; this one has 2"),
        ("[[10, 10], [700, 12], [30, 40]]", "[700", "/images/0/regions/0/polygon/1", "point 2 (700, 12) is outside the image: x = 700 > image width 640"),
        ("[[10, 10], [50, 12], [30, 480.5]]", "[30", "/images/0/regions/0/polygon/2", "point 3 (30, 480.5) is outside the image: y = 480.5 > image height 480"),
        ("[[-1, 10], [50, 12], [30, 40]]", "[-1", "/images/0/regions/0/polygon/0", "point 1 (-1, 10) is outside the image: x = -1 < 0"),
        ("[[10, 10], [50, 12], [50, 12], [30, 40]]", "[50, 12], [30", "/images/0/regions/0/polygon/2", "point 3 repeats point 2 (50, 12); remove one of them"),
        ("[[10, 10], [50, 12], [30, 40], [10, 10]]", "[10, 10]]", "/images/0/regions/0/polygon/3", "the last point repeats the first (10, 10); remove it: a polygon closes itself"),
        ("[[10, 10], [20, 20], [30, 30], [40, 40]]", "[[10", "/images/0/regions/0/polygon", "the polygon has zero area: all its points lie on one line"),
        ("[[10, 10], [50, 10], [50, 50], [30, 10], [10, 50]]", "[50, 50]", "/images/0/regions/0/polygon/2", "edges cross: the edge from point 1 to point 2 meets the edge from point 3 to point 4; a polygon's outline must not cross or touch itself"),
        ("[[0, 0], [20, 20], [20, 0], [0, 20]]", "[20, 0]", "/images/0/regions/0/polygon/2", "edges cross: the edge from point 1 to point 2 meets the edge from point 3 to point 4; a polygon's outline must not cross or touch itself"),
        ("[[10, 10], [50, 10], [30, 10], [30, 40]]", "[50", "/images/0/regions/0/polygon/1", "the outline turns straight back at point 2 (50, 10): the edges before and after it overlap"),
        ("[[10, 10], [50, 12], \"a\"]", "\"a\"", "/images/0/regions/0/polygon/2", "point 3 must be [x, y], two numbers, not the string \"a\""),
        ("[[10, 10], [50, 12], [30, 40, 1]]", "[30", "/images/0/regions/0/polygon/2", "point 3 must be [x, y], two numbers, not a list"),
        ("{}", "{}", "/images/0/regions/0/polygon", "\"polygon\" must be a list of [x, y] points, like [[10, 10], [50, 12], [30, 40]], not an object"),
    ]

    @Test(arguments: cases)
    func polygonRule(_ polygon: String, _ at: String, _ pointer: String, _ message: String) {
        let text = Pages.edit("polygon", image: 0, Self.base, polygon)
        expectErrors("polygon", text, [Wanted(10, at, pointer, message)])
    }

    @Test func validShapes() {
        for polygon in ["[[0, 0], [640, 0], [640, 480], [0, 480]]", "[[10.5, 10.25], [50, 12], [30, 40], [20, 30]]",
                        "[[0, 0], [40, 0], [40, 40], [20, 10], [0, 40]]"] {
            expectErrors("polygon", Pages.edit("polygon", image: 0, Self.base, polygon), [])
        }
    }

    @Test func manyBadPointsAreCounted() {
        let points = (0..<15).map { "[\(700 + $0), 10]" }.joined(separator: ", ")
        let text = Pages.edit("polygon", image: 0, Self.base, "[[1, 1], [1, 2], \(points)]")
        let got = errors(text, expected: nil, files: nil)
        #expect(got.count == 11)
        #expect(got.first?.message == "this polygon has 15 problems with its points; the first 10 are listed")
        #expect(got.first?.pointer == "/images/0/regions/0/polygon")
        #expect(got.last?.message == "point 12 (709, 10) is outside the image: x = 709 > image width 640")
    }

    @Test func tooManyPoints() {
        let points = (0..<10_001).map { "[\($0 % 600), \($0 % 400)]" }.joined(separator: ", ")
        let text = Pages.edit("polygon", image: 0, Self.base, "[\(points)]")
        let got = errors(text, expected: nil, files: nil)
        #expect(got.map(\.message) == ["a polygon may have at most 10,000 points; this one has 10001"])
    }
}

@Suite("Validation: error order and rewriting a rejected page")
struct ValidationRejectedTextTests {
    @Test func errorsAreInFileOrder() {
        var list = Pages.bbox
        list[0] = list[0].replacing("\"x\": 10", with: "\"x\": -10").replacing("\"Dog\"", with: "\"Dgo\"")
        list[1] = list[1].replacing("[]", with: "null")
        let text = Pages.text("bbox", list).replacing("\"revision\": 2", with: "\"revision\": 1")
        let got = errors(text, expected: Pages.expected("bbox"), files: Pages.files)
        #expect(got.map(\.pointer) == ["/revision", "/images/0/regions/0/tag", "/images/0/regions/0/box/x", "/images/1/regions"])
        #expect(got.map(\.line) == [5, 10, 10, 11])
    }

    @Test func atMost200ErrorsAreListed() {
        let tags = (0..<250).map { "\"x\($0)\"" }.joined(separator: ", ")
        let text = Pages.edit("multi-label", image: 0, "[\"Dog\", \"Cat\"]", "[\(tags)]")
        let got = errors(text, expected: nil, files: nil)
        #expect(got.count == 200)
        #expect(got[198].message == "unknown tag \"x198\"; the page's tags are: Dog, Cat")
        #expect(got[199].message == "... and 51 more errors; fix these and check again")
        #expect(got[199].pointer == "/images/0/tags/199")
    }

    /// The node or key a pointer names, with the position an error about it must have.
    static func positions(of pointer: String, in root: JSONNode) -> [JSONPosition] {
        var node = root
        var key: JSONPosition?
        for token in pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            let name = String(token).replacing("~1", with: "/").replacing("~0", with: "~")
            switch node.kind {
            case .object:
                guard let m = node.member(name) else { return [] }
                key = m.keyPosition
                node = m.value
            case .array(let items):
                guard let k = Int(name), k < items.count else { return [] }
                key = nil
                node = items[k]
            default:
                return []
            }
        }
        return [node.position] + (key.map { [$0] } ?? [])
    }

    @Test(arguments: allTasks)
    func rejectedTextKeepsLabelsAndPutsErrorsLast(_ task: String) throws {
        var list = Pages.images(task)
        switch task {
        case "multi-class": list[1] = list[1].replacing("[\"Cat\"]", with: "null")
        case "multi-label": list[0] = list[0].replacing("\"Cat\"", with: "\"Cta\"")
        case "bbox": list[0] = list[0].replacing("\"width\": 50", with: "\"width\": 5000")
        default: list[0] = list[0].replacing("[30, 40]", with: "[30, 40], [10, 10]")
        }
        list[1] = list[1].replacing("\"sha256\": \"bb\"", with: "\"sha256\": \"bb\", \"comment\": \"fuzzy\", \"tgas\": 1")
        let text = Pages.text(task, list)
            .replacing("\n  ]\n}", with: "\n  ],\n  \"errors\": [{ \"line\": 1, \"column\": 1, \"pointer\": \"\", \"message\": \"old\" }]\n}")
        let check = SubmissionValidator.check(Array(text.utf8), expected: Pages.expected(task), files: Pages.files)
        #expect(check.errors.count == 2)
        let (rewritten, errors) = try #require(SubmissionValidator.rejectedText(for: check))
        #expect(errors.count == 2)
        #expect(errors.map(\.message) == check.errors.map(\.message))

        let node = try StrictJSON.parse(rewritten)
        guard case .object(let members) = node.kind else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == ["$schema", "project", "page", "revision", "task", "tags", "status", "images", "errors"])
        #expect(node["status"]?.value == .string("rejected"))
        #expect(node["errors"]?.value == .array(errors.map(\.json)))
        // Every label, comment and the revision are kept.
        let before = try StrictJSON.parse(text)
        #expect(node["images"]?.value == before["images"]?.value)
        #expect(node["revision"]?.value == .number(2))
        // Each error points at its value (or key) in the rewritten text.
        for e in errors {
            let places = Self.positions(of: e.pointer, in: node)
            #expect(places.contains { $0.line == e.line && $0.column == e.column }, "\(e.pointer) \(e.line):\(e.column)")
        }
        // Writing the errors last moves no line above them.
        let again = SubmissionValidator.check(Array(rewritten.utf8), expected: Pages.expected(task), files: Pages.files)
        #expect(again.errors == errors)
        let withoutErrors = JSONWriter.pretty(.object(members.filter { $0.key != "errors" }.map { ($0.key, $0.value.value) }))
        let oldLines = withoutErrors.split(separator: "\n").dropLast(2)
        #expect(Array(rewritten.split(separator: "\n").prefix(oldLines.count)) == Array(oldLines))
    }

    @Test func aValidPageIsNotRewritten() {
        let text = Pages.text("bbox", Pages.bbox)
        let check = SubmissionValidator.check(Array(text.utf8), expected: nil, files: nil)
        #expect(SubmissionValidator.rejectedText(for: check) == nil)
    }
}
