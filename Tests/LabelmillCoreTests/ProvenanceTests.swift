import LabelmillCore
import TestSupport
import Testing

@Suite("ML assist: provenance and the page fields it writes (no disk)")
struct ProvenanceTests {
    static func image(_ tags: [String]?, prelabels: [String]?) -> PageImage {
        PageImage(file: "a.png", width: 8, height: 8, source: "a.png", sha256: "aa", tags: tags,
                  prelabels: prelabels.map { $0.enumerated().map { Prelabel(tag: $1, confidence: 0.9 - Double($0) * 0.2, model: "builtin-2") } })
    }

    @Test("Kept as suggested, changed, or labeled from scratch")
    func sources() {
        #expect(Provenance.source(of: Self.image(["Cat"], prelabels: ["Cat", "Dog"])) == .modelAccepted)
        #expect(Provenance.source(of: Self.image(["Dog"], prelabels: ["Cat", "Dog"])) == .modelCorrected)
        // Multi-class takes one tag: the suggestion plus another is a correction.
        #expect(Provenance.source(of: Self.image(["Cat", "Dog"], prelabels: ["Cat"])) == .modelCorrected)
        #expect(Provenance.source(of: Self.image(["Dog"], prelabels: nil)) == .human)
        #expect(Provenance.source(of: Self.image(["Dog"], prelabels: [])) == .human)
    }

    @Test("assist, prelabels and label_source are written in SPEC order and read back")
    func roundTrip() throws {
        var page = PageManifest(schema: "../../../page.schema.json", project: "p", page: "page-000001", revision: 1,
                                task: .multiClass, tags: ["Cat", "Dog"], status: .open,
                                images: [Self.image(["Cat"], prelabels: ["Cat", "Dog"])],
                                assist: PageAssist(clustered: true, prelabeled: true, model: "builtin-2"))
        page.recordLabelSources()
        let text = JSONWriter.pretty(page.json)
        let keys = ["\"status\"", "\"assist\"", "\"images\"", "\"sha256\"", "\"prelabels\"", "\"tags\": [\"Cat\"]", "\"label_source\""]
        let offsets = try keys.map { key in try #require(text.range(of: key), "\(key) in \(text)").lowerBound }
        #expect(offsets == offsets.sorted(), "\(text)")
        let back = try PageManifest(json: try #require(try? StrictJSON.parse(Array(text.utf8))).value)
        #expect(back == page)
        #expect(back.images[0].labelSource == .modelAccepted)
        // The validator accepts what the daemon writes.
        var submitted = page
        submitted.status = .submitted
        let check = SubmissionValidator.check(Array(JSONWriter.pretty(submitted.json).utf8), expected: page, files: nil)
        #expect(check.errors == [])
    }

    @Test("Taking a labeler's labels keeps the daemon's prelabels and assist")
    func adoptKeepsTheDaemonsNotes() {
        let daemon = PageManifest(schema: "", project: "p", page: "page-000001", revision: 1, task: .multiClass,
                                  tags: ["Cat", "Dog"], status: .open, images: [Self.image(["Cat"], prelabels: ["Cat"])],
                                  assist: PageAssist(clustered: false, prelabeled: true, model: "builtin-2"))
        var labeler = daemon
        labeler.assist = nil
        labeler.images[0].prelabels = [Prelabel(tag: "Dog", confidence: 1, model: "forged")]
        labeler.images[0].tags = ["Dog"]
        var done = daemon
        done.adoptLabels(from: labeler)
        #expect(done.assist == daemon.assist)
        #expect(done.images[0].prelabels == daemon.images[0].prelabels)
        #expect(done.images[0].tags == ["Dog"])
        done.recordLabelSources()
        #expect(done.images[0].labelSource == .modelCorrected)
    }
}

@Suite("ML assist: the kept model and the counts status shows (no disk)")
struct AssistRecordTests {
    @Test("A model file reads back to the same model; a damaged one is refused, not trusted")
    func modelFileRoundTrip() throws {
        var g = SplitMix64(state: 23)
        let data = blobs(farCentres(3, dims: 6, using: &g), each: 30, spread: 0.6, using: &g)
        let model = PrelabelModel.train(data.x, labels: data.labels, tags: ["A", "B", "C"], target: 0.9, version: 4, embedder: "builtin")
        #expect(model.name == "builtin-4")
        let text = JSONWriter.compact(model.json)
        let back = try #require(PrelabelModel(json: try StrictJSON.parse(text).value, dimensions: 6))
        #expect(back.name == model.name && back.version == 4 && back.trainedOn == 90 && back.tags == model.tags)
        #expect(back.classifier == model.classifier)
        #expect(back.threshold == model.threshold)
        #expect(back.suggestions(data.x[7]).ranked.map(\.tag) == model.suggestions(data.x[7]).ranked.map(\.tag))
        // Other dimensions, a cut file, a weight that is not a number: nil.
        #expect(PrelabelModel(json: try StrictJSON.parse(text).value, dimensions: 5) == nil)
        #expect((try? StrictJSON.parse(String(text.dropLast(9)))) == nil)
        let broken = text.replacing("\"bias\":[", with: "\"bias\":[\"x\",")
        #expect(PrelabelModel(json: try StrictJSON.parse(broken).value, dimensions: 6) == nil)
    }

    @Test("Tasks clustered and prelabeled, reviews per model, from the pages and back from JSON")
    func counts() throws {
        func page(_ id: String, clustered: Bool, prelabels: [String?], tags: [String], done: Bool) -> PageManifest {
            let images = zip(prelabels, tags).enumerated().map { i, pair in
                PageImage(file: "\(i).png", width: 4, height: 4, source: "\(i).png", sha256: "\(id)\(i)", tags: [pair.1],
                          prelabels: pair.0.map { [Prelabel(tag: $0, confidence: 0.99, model: "builtin-1")] })
            }
            var p = PageManifest(schema: "", project: "p", page: id, revision: 1, task: .multiClass, tags: ["A", "B"],
                                 status: done ? .done : .open, images: images,
                                 assist: PageAssist(clustered: clustered, prelabeled: prelabels.contains { $0 != nil }, model: nil))
            if done { p.recordLabelSources() }
            return p
        }
        let pages = [
            page("page-000001", clustered: true, prelabels: [nil, nil], tags: ["A", "B"], done: true),
            page("page-000002", clustered: false, prelabels: ["A", "A"], tags: ["A", "B"], done: true),
            page("page-000003", clustered: true, prelabels: ["B", "B"], tags: ["B", "B"], done: false),
        ]
        let counts = AssistCounts(pages: pages)
        #expect(counts.tasksClustered == 4)
        #expect(counts.tasksPrelabeled == 4)
        #expect(counts.byModel["builtin-1"]?.reviewed == 2)
        #expect(counts.byModel["builtin-1"]?.accepted == 1)
        #expect(counts.byModel["builtin-1"]?.precision == 0.5)
        #expect(AssistCounts(json: counts.json) == counts)
        var live = AssistCounts()
        for p in pages { live.made(p) }
        live.accepted(pages[1])
        #expect(live.byModel == counts.byModel)
    }
}
