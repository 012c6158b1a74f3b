import LabelmillCore
import TestSupport
import Testing

/// An import's source in memory: paths relative to its folder.
struct MemorySource: ImportSource {
    var files: [String: [UInt8]]

    init(_ texts: [String: String]) { files = texts.mapValues { Array($0.utf8) } }

    func read(_ path: String) throws(ImportProblem) -> [UInt8]? { files[path] }

    func files(in folder: String) -> [String] {
        let prefix = folder.isEmpty ? "" : folder + "/"
        return files.keys.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/") }
            .map { String($0.dropFirst(prefix.count)) }.sorted()
    }
}

@Suite("Reading other tools' labels for labelmill import (SPEC section 8)")
struct ImportReaderTests {
    static let tags = ["Dog", "Cat & Kitten"]

    /// One valid source per format, for a bbox project (classification for the last two).
    static let samples: [(ImportFormat, TaskKind, [String: String])] = [
        (.coco, .bbox, ["annotations.json": """
            {"images": [{"id": 1, "file_name": "a.png", "width": 100, "height": 50}, {"id": 2, "file_name": "b.png"}],
             "annotations": [{"id": 1, "image_id": 1, "category_id": 2, "bbox": [10, 5, 20, 10], "segmentation": [[10, 5, 30, 5, 30, 15]]}],
             "categories": [{"id": 1, "name": "Dog"}, {"id": 2, "name": "Cat & Kitten"}]}
            """]),
        (.voc, .bbox, ["Annotations/a.xml": """
            <annotation><folder>JPEGImages</folder><filename>a.png</filename>
            <source><annotation>labelmill</annotation></source><size><width>100</width><height>50</height></size>
            <object><name>Cat &amp; Kitten</name><bndbox><xmin>11</xmin><ymin>6</ymin><xmax>30</xmax><ymax>15</ymax></bndbox></object>
            </annotation>
            """]),
        (.yolo, .bbox, ["classes.txt": "Dog\nCat & Kitten\n", "labels/a.txt": "1 0.2 0.2 0.2 0.2\n", "images/a.png": "x"]),
        (.labelme, .bbox, ["a.json": """
            {"shapes": [{"label": "Cat & Kitten", "points": [[30, 15], [10, 5]], "shape_type": "rectangle"}], "imagePath": "a.png"}
            """]),
        (.azureml, .bbox, ["labels.jsonl": """
            {"image_url": "azureml://datastores/d/paths/set/a.png", "label": [{"label": "Cat & Kitten", "topX": 0.1, "topY": 0.1, "bottomX": 0.3, "bottomY": 0.3}]}
            """]),
        (.csv, .bbox, ["labels.csv": "image,page,tag,shape,x,y,box_width,box_height,points\r\na.png,p,Cat & Kitten,box,10,5,20,10,\r\nb.png,p,,,,,,,\r\n"]),
        (.labelStudio, .bbox, ["export.json": """
            [{"id": 1, "data": {"image": "/data/upload/2/0a1b2c3d-a.png"}, "annotations": [{"result": [
              {"type": "rectanglelabels", "value": {"x": 10, "y": 10, "width": 20, "height": 20, "rectanglelabels": ["Cat & Kitten"]}}]}]}]
            """]),
        (.csv, .multiLabel, ["labels.csv": "image,tags\r\n\"a,1.png\",\"Dog;Cat & Kitten\"\r\n"]),
        (.azureml, .multiClass, ["labels.jsonl": "{\"image_url\": \"images/a.png\", \"label\": \"Dog\"}\n"]),
    ]

    @Test("Each format gives the image's labels, in pixels, whatever the tool's convention")
    func everyFormat() throws {
        for (format, task, files) in Self.samples {
            let records = try ImportReader.records(format, from: MemorySource(files), file: nil, task: task)
            let first = try #require(records.first, "\(format)")
            let label = try ImportCheck.resolve(first, task: task, tags: Self.tags, width: 100, height: 50).get()
            if task.isClassification {
                #expect(label.tags?.contains("Dog") == true, "\(format)")
                continue
            }
            let box = Region.Shape.box(Box(x: 10, y: 5, width: 20, height: 10))
            #expect(label.regions == [Region(tag: "Cat & Kitten", shape: box)], "\(format): \(label)")
            #expect(ImportReader.fileName(first.image) == "a.png", "\(format): \(first.image)")
        }
    }

    @Test("A classification CSV keeps quoted commas and splits tags on ';'")
    func csvQuoting() throws {
        let records = try ImportReader.records(.csv, from: MemorySource(Self.samples[7].2), file: nil, task: .multiLabel)
        #expect(records.map(\.image) == ["a,1.png"])
        guard case .tags(let tags) = records[0].label else { Issue.record("not tags"); return }
        #expect(tags == ["Dog", "Cat & Kitten"])
    }

    @Test("Label Studio's image addresses become paths: local files, uploads (the 8-digit prefix dropped), URLs")
    func labelStudioPaths() {
        #expect(LabelStudioImport.imagePath("/data/local-files/?d=photos/a%20b.png") == "photos/a b.png")
        #expect(LabelStudioImport.imagePath("/data/upload/3/8f2a1b3c-cat.png") == "cat.png")
        #expect(LabelStudioImport.imagePath("/data/upload/3/cat.png") == "cat.png")
        #expect(LabelStudioImport.imagePath("https://example.org/img/cat.png") == "img/cat.png")
    }

    @Test("Broken sources fail with the file and the place, never a crash: every cut and 2,000 random edits of each sample")
    func brokenSourcesFailCleanly() {
        var random = SplitMix64(state: 8)
        for (format, task, files) in Self.samples {
            for (path, text) in files {
                let bytes = Array(text.utf8)
                var variants: [[UInt8]] = (0..<bytes.count).map { Array(bytes.prefix($0)) }
                for _ in 0..<2000 {
                    var edited = bytes
                    for _ in 0...Int(random.next() % 3) where !edited.isEmpty {
                        let at = Int(random.next() % UInt64(edited.count))
                        switch random.next() % 3 {
                        case 0: edited[at] = UInt8(truncatingIfNeeded: random.next())
                        case 1: edited.remove(at: at)
                        default: edited.insert(Array("<>[]{},;\"&/-.0 \n".utf8)[Int(random.next() % 16)], at: at)
                        }
                    }
                    variants.append(edited)
                }
                for variant in variants {
                    var source = MemorySource(files)
                    source.files[path] = variant
                    do {
                        for record in try ImportReader.records(format, from: source, file: nil, task: task) {
                            _ = ImportCheck.resolve(record, task: task, tags: Self.tags, width: 100, height: 50)
                        }
                    } catch {
                        #expect(!error.file.isEmpty && !error.message.isEmpty)
                    }
                }
            }
        }
    }

    @Test("Labels that break a page's rules are refused with their place: unknown tag, outside the image, two tags on a multi-class image")
    func rulesOfAPage() throws {
        let coco = MemorySource(["annotations.json": """
            {"images": [{"id": 1, "file_name": "a.png"}],
             "annotations": [{"image_id": 1, "category_id": 1, "bbox": [90, 5, 20, 10]}, {"image_id": 1, "category_id": 2, "bbox": [1, 1, 2, 2]}],
             "categories": [{"id": 1, "name": "Dog"}, {"id": 2, "name": "Wolf"}]}
            """])
        let record = try #require(try ImportReader.records(.coco, from: coco, file: nil, task: .bbox).first)
        let reasons = try #require(ImportCheck.resolve(record, task: .bbox, tags: Self.tags, width: 100, height: 50).failure(as: ImportReasons.self)).reasons
        #expect(reasons.count == 2)
        #expect(reasons[0].hasPrefix("annotations[0]: box extends past the right edge"))
        #expect(reasons[1].hasPrefix("annotations[1]: unknown tag \"Wolf\""))
        let two = ImportRecord(place: "x", image: "a.png", label: .tags(["Dog", "Cat & Kitten"]))
        let why = try #require(ImportCheck.resolve(two, task: .multiClass, tags: Self.tags, width: 1, height: 1).failure(as: ImportReasons.self))
        #expect(why.reasons == ["a multi-class image needs exactly one tag, not 2"])
    }
}

extension Result {
    func failure<E>(as: E.Type) -> E? {
        if case .failure(let error) = self { return error as? E }
        return nil
    }
}
