import Testing
@testable import LabelmillCore

@Suite struct ExportSessionTests {
    func page(_ id: String, _ images: [PageImage], task: TaskKind = .bbox, status: PageStatus = .done) -> PageManifest {
        PageManifest(schema: "", project: "p", page: id, revision: 1, task: task, tags: ["A", "B"], status: status, images: images)
    }

    @Test func namesClashOnlyByStemAndGetThePageID() {
        var naming = ExportNaming()
        #expect(naming.name(for: "bear.png", page: "page-000001") == "bear.png")
        #expect(naming.name(for: "bear.png", page: "page-000002") == "page-000002_bear.png")
        #expect(naming.name(for: "Bear.JPG", page: "page-000003") == "page-000003_Bear.JPG")
        #expect(naming.name(for: "bear.png", page: "page-000002") == "page-000002_2_bear.png")
        #expect(naming.name(for: "README.png", page: "page-000004") == "README.png")
        #expect(naming.name(for: "wolf.png", page: "page-000004") == "wolf.png")
    }

    static let names: [(String, String, String)] = [
        ("a.b.png", "a.b", "png"), ("noext", "noext", ""), (".png", ".png", ""), ("X.JPEG", "X", "jpeg"),
    ]

    @Test(arguments: names)
    func stemsAndExtensions(name: String, stem: String, ext: String) {
        #expect(ExportNaming.stem(of: name) == stem)
        #expect(ExportNaming.fileExtension(of: name) == ext)
    }

    @Test(arguments: ExportFormat.allCases)
    func classificationFitsOnlyCSVAndAzure(format: ExportFormat) {
        #expect(format.fits(.multiClass) == (format == .csv || format == .azureml))
        #expect(format.fits(.bbox) && format.fits(.polygon))
        if !format.fits(.multiLabel) {
            #expect(format.refusal(for: .multiLabel).hasSuffix("export this project as azureml or csv instead"))
        }
    }

    @Test func skipsPagesNotDoneAndUnlabeledImagesWithAWarning() throws {
        var session = ExportSession(format: .yolo, context: ExportContext(project: "p", task: .bbox, tags: ["A", "B"]))
        var sink = MemoryExportSink()
        try session.begin(into: &sink)
        let open = try session.add(page("page-000001", [image("a.png", 4, 4, regions: [])], status: .open), into: &sink)
        #expect(open.count == 1)
        let warnings = try session.add(page("page-000002", [image("b.png", 4, 4, regions: nil), image("c.png", 4, 4, regions: [box("B", 0, 0, 1, 1)])]), into: &sink)
        #expect(warnings == ["page page-000002, image b.png skipped: it is not labeled (regions is null)"])
        #expect(session.summary == { var s = ExportSummary(); s.pages = 1; s.images = 1; s.regions = 1; s.skippedImages = 1; s.skippedPages = 1; return s }())
        #expect(sink.images.map(\.path) == ["images/c.png"])
        #expect(sink.images.map(\.page) == ["page-000002"])
    }

    @Test func aTagOutsideTheProjectStopsTheExport() throws {
        var session = ExportSession(format: .coco, context: ExportContext(project: "p", task: .bbox, tags: ["A"]))
        var sink = MemoryExportSink()
        try session.begin(into: &sink)
        #expect(throws: ExportProblem.self) {
            _ = try session.add(page("page-000001", [image("a.png", 4, 4, regions: [box("Z", 0, 0, 1, 1)])]), into: &sink)
        }
    }

    @Test func aPathAsFileNameStopsTheExport() throws {
        var session = ExportSession(format: .csv, context: ExportContext(project: "p", task: .bbox, tags: ["A"]))
        var sink = MemoryExportSink()
        #expect(throws: ExportProblem.self) {
            _ = try session.add(page("page-000001", [image("../x.png", 4, 4, regions: [])]), into: &sink)
        }
    }

    @Test func readmeListsClassesWithTheFormatsIndexBase() throws {
        let coco = try exportInMemory(.coco, task: .bbox, tags: ["A", "B|C"], images: [])
        #expect(coco.files["README.md"]!.contains("| 1 | A |\n| 2 | B\\|C |\n"))
        let yolo = try exportInMemory(.yolo, task: .bbox, tags: ["A"], images: [])
        #expect(yolo.files["README.md"]!.contains("| 0 | A |"))
    }
}
