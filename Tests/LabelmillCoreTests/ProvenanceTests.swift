import LabelmillCore
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
