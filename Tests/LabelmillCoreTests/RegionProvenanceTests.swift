import LabelmillCore
import Testing

@Suite("Predicted regions: the page fields and provenance on acceptance (SPEC section 8, no disk)")
struct RegionProvenanceTests {
    static let dog = Region.Shape.box(Box(x: 10, y: 20, width: 50, height: 40))
    static let cat = Region.Shape.box(Box(x: 100, y: 100, width: 30, height: 30))

    /// An image as the daemon makes it: the proposals in `prelabels`, copies of them in `regions` with their note.
    static func proposed(_ proposals: [(String, Region.Shape, Double)]) -> PageImage {
        let prelabels = proposals.map { Prelabel(tag: $0.0, confidence: $0.2, model: "faces", shape: $0.1) }
        let regions = proposals.map { Region(tag: $0.0, shape: $0.1, prelabel: RegionPrelabel(confidence: $0.2, model: "faces")) }
        return PageImage(file: "a.png", width: 640, height: 480, source: "a.png", sha256: "aa", regions: regions, prelabels: prelabels)
    }

    static func page(_ images: [PageImage]) -> PageManifest {
        PageManifest(schema: "../../../page.schema.json", project: "p", page: "page-000001", revision: 1, task: .bbox,
                     tags: ["Dog", "Cat"], status: .open, images: images, assist: PageAssist(clustered: false, prelabeled: true, model: "faces"))
    }

    @Test("Kept as proposed, moved, retagged, deleted, drawn: each region's source, the image's, and the counts per model")
    func sources() throws {
        var image = Self.proposed([("Dog", Self.dog, 0.9), ("Cat", Self.cat, 0.8), ("Cat", .box(Box(x: 0, y: 0, width: 5, height: 5)), 0.6)])
        var regions = image.regions!
        regions[1].shape = .box(Box(x: 101, y: 100, width: 30, height: 30))  // moved: keeps its note
        regions.remove(at: 2)  // deleted
        regions.append(Region(tag: "Dog", shape: .box(Box(x: 300, y: 300, width: 10, height: 10))))  // drawn by hand
        image.regions = regions
        var page = Self.page([image])
        page.recordLabelSources()
        let marked = try #require(page.images[0].regions)
        #expect(marked.map(\.labelSource) == [.modelAccepted, .modelAdjusted, .human])
        #expect(page.images[0].labelSource == .modelAdjusted)
        #expect(Provenance.regionReviews(page) == ["faces": Provenance.RegionReviews(proposed: 3, kept: 1, adjusted: 1)])
        #expect(Provenance.regionReviews(page)["faces"]?.deleted == 1)
        var counts = AssistCounts()
        counts.accepted(page)
        #expect(counts.regionsByModel["faces"] == Provenance.RegionReviews(proposed: 3, kept: 1, adjusted: 1))
        #expect(AssistCounts(json: counts.json) == counts)
    }

    @Test("Every proposal kept as it was: the image is model-accepted; none proposed: human; a forged note is dropped")
    func imageSources() {
        var kept = Self.page([Self.proposed([("Dog", Self.dog, 0.9)])])
        kept.recordLabelSources()
        #expect(kept.images[0].labelSource == .modelAccepted && kept.images[0].regions?[0].labelSource == .modelAccepted)
        // A region the labeler gave a note the daemon never wrote is theirs.
        var forged = Self.page([PageImage(file: "a.png", width: 640, height: 480, source: "a.png", sha256: "aa",
                                          regions: [Region(tag: "Dog", shape: Self.dog, prelabel: RegionPrelabel(confidence: 1, model: "faces"))])])
        forged.recordLabelSources()
        #expect(forged.images[0].labelSource == .human)
        #expect(forged.images[0].regions?[0] == Region(tag: "Dog", shape: Self.dog, labelSource: .human))
        // Everything deleted: adjusted (the model's work was undone), all counted as deleted.
        var image = Self.proposed([("Dog", Self.dog, 0.9), ("Cat", Self.cat, 0.5)])
        image.regions = []
        var cleared = Self.page([image])
        cleared.recordLabelSources()
        #expect(cleared.images[0].labelSource == .modelAdjusted)
        #expect(Provenance.regionReviews(cleared)["faces"]?.deleted == 2)
    }

    @Test("Proposals and notes are written and read back, and the validator takes what the daemon writes")
    func roundTrip() throws {
        var page = Self.page([Self.proposed([("Dog", Self.dog, 0.9)]),
                              PageImage(file: "b.png", width: 320, height: 240, source: "b.png", sha256: "bb",
                                        regions: [], prelabels: [Prelabel(tag: "Cat", confidence: 0.7, model: "faces", shape: .polygon([
                                            Point(x: 1, y: 1), Point(x: 9, y: 1), Point(x: 5, y: 8)]))])])
        let text = JSONWriter.pretty(page.json)
        let written = try StrictJSON.parse(Array(text.utf8)).value
        let images = try #require(written["images"]?.arrayValue)
        #expect(images[0]["regions"]?.arrayValue?[0]["prelabel"] == .object([("confidence", .number(0.9)), ("model", .string("faces"))]))
        #expect(images[1]["prelabels"]?.arrayValue?[0]["polygon"]?.arrayValue?[2] == .array([.number(5), .number(8)]))
        let back = try PageManifest(json: try StrictJSON.parse(Array(text.utf8)).value)
        #expect(back == page)
        var submitted = page
        submitted.status = .submitted
        let files = [PageFolderFile(name: "a.png", sha256: "aa", width: 640, height: 480), PageFolderFile(name: "b.png", sha256: "bb", width: 320, height: 240)]
        #expect(SubmissionValidator.check(Array(JSONWriter.pretty(submitted.json).utf8), expected: page, files: files).errors == [])
        // What is accepted (with label_source on each region) reads back the same.
        page.recordLabelSources()
        #expect(try PageManifest(json: try StrictJSON.parse(Array(JSONWriter.pretty(page.json).utf8)).value) == page)
    }

    @Test("A region's prelabel note must have the daemon's shape", arguments: [
        (#""prelabel": "faces""#, "\"prelabel\" must be an object like"),
        (#""prelabel": {"confidence": 2, "model": "faces"}"#, "\"confidence\" must be a number from 0 to 1"),
        (#""prelabel": {"confidence": 0.5, "model": 3}"#, "\"model\""),
        (#""prelabel": {"confidence": 0.5, "model": "faces", "by": "me"}"#, "unknown key \"by\""),
        (#""label_source": "robot""#, "\"label_source\""),
    ])
    func badNotes(note: String, message: String) {
        let images = [
            #"{ "file": "a.png", "width": 640, "height": 480, "source": "in/a.png", "sha256": "aa", "regions": [{ "tag": "Dog", "box": { "x": 10, "y": 20, "width": 50, "height": 40 }, "# + note + #" }] }"#,
            #"{ "file": "b.png", "width": 320, "height": 240, "source": "in/b.png", "sha256": "bb", "regions": [] }"#,
        ]
        let text = """
            {"$schema": "../../../page.schema.json", "project": "animals", "page": "page-000001", "revision": 2, "task": "bbox",
             "tags": ["Dog", "Cat"], "status": "submitted", "images": [\(images.joined(separator: ", "))]}
            """
        let errors = SubmissionValidator.check(Array(text.utf8), expected: nil, files: nil).errors
        #expect(errors.count == 1 && errors[0].message.contains(message), "\(errors)")
        #expect(errors.first?.pointer.hasPrefix("/images/0/regions/0/") == true, "\(errors)")
    }
}
