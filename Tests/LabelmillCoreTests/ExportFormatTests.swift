import Foundation
import Testing
@testable import LabelmillCore

/// A small export in memory: the given images of one page, all done.
func exportInMemory(_ format: ExportFormat, task: TaskKind, tags: [String],
                    images: [PageImage], page: String = "page-000001") throws -> MemoryExportSink {
    var session = ExportSession(format: format, context: ExportContext(project: "p", task: task, tags: tags, publishedPath: "/data/p"))
    var sink = MemoryExportSink()
    try session.begin(into: &sink)
    let manifest = PageManifest(schema: "", project: "p", page: page, revision: 1, task: task,
                                tags: tags, status: .done, images: images)
    _ = try session.add(manifest, into: &sink)
    try session.finish(into: &sink)
    return sink
}

func image(_ file: String, _ width: Int, _ height: Int, regions: [Region]? = nil, tags: [String]? = nil) -> PageImage {
    PageImage(file: file, width: width, height: height, source: file, sha256: "", tags: tags, regions: regions)
}

func box(_ tag: String, _ x: Double, _ y: Double, _ w: Double, _ h: Double) -> Region {
    Region(tag: tag, shape: .box(Box(x: x, y: y, width: w, height: h)))
}

func polygon(_ tag: String, _ points: [(Double, Double)]) -> Region {
    Region(tag: tag, shape: .polygon(points.map { Point(x: $0.0, y: $0.1) }))
}

func parse(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8))
}

@Suite struct ExportGeometryTests {
    static let polygons: [([(Double, Double)], Double)] = [
        ([(0, 0), (10, 0), (10, 10), (0, 10)], 100),
        ([(0, 0), (0, 10), (10, 10), (10, 0)], 100),          // clockwise: same area
        ([(10, 10), (60, 12), (30, 50)], 980),
        ([(0, 0), (4, 0), (4, 4), (2, 1), (0, 4)], 10),       // concave: 16 less a notch of 6
        ([(0.5, 0.5), (2.5, 0.5), (2.5, 1.75)], 1.25),
    ]

    @Test(arguments: polygons)
    func shoelaceArea(points: [(Double, Double)], area: Double) {
        #expect(ExportGeometry.area(points.map { Point(x: $0.0, y: $0.1) }) == area)
    }

    @Test func polygonBoundsAndBoxOutline() {
        let p = polygon("A", [(10, 10), (60, 12), (30, 50)])
        #expect(p.bounds == Box(x: 10, y: 10, width: 50, height: 40))
        let b = box("A", 1, 2, 3, 4)
        #expect(b.outline == [Point(x: 1, y: 2), Point(x: 4, y: 2), Point(x: 4, y: 6), Point(x: 1, y: 6)])
        #expect(b.area == 12)
    }
}

@Suite struct ExportCOCOTests {
    @Test func imagesAnnotationsAndCategoriesInPixels() throws {
        let sink = try exportInMemory(.coco, task: .polygon, tags: ["Cat", "Dog"], images: [
            image("a.png", 100, 60, regions: [polygon("Dog", [(10, 10), (60, 12), (30, 50)])]),
            image("b.png", 40, 30, regions: []),
            image("c.png", 40, 30, regions: [polygon("Cat", [(0, 0), (4, 0), (4, 4), (2, 1), (0, 4)])]),
        ])
        #expect(sink.files[COCOExporter.pendingAnnotations] == nil)
        let coco = try #require(try parse(sink.files[COCOExporter.file]!) as? [String: Any])
        let images = try #require(coco["images"] as? [[String: Any]])
        #expect(images.map { $0["id"] as? Int } == [1, 2, 3])
        #expect(images.map { $0["file_name"] as? String } == ["a.png", "b.png", "c.png"])
        #expect(images[0]["width"] as? Int == 100 && images[0]["height"] as? Int == 60)
        let annotations = try #require(coco["annotations"] as? [[String: Any]])
        #expect(annotations.count == 2)
        #expect(annotations[0]["bbox"] as? [Double] == [10, 10, 50, 40])
        #expect(annotations[0]["area"] as? Double == 980)
        #expect(annotations[0]["segmentation"] as? [[Double]] == [[10, 10, 60, 12, 30, 50]])
        #expect(annotations[0]["category_id"] as? Int == 2)
        #expect(annotations[0]["iscrowd"] as? Int == 0)
        #expect(annotations[1]["image_id"] as? Int == 3)
        #expect(annotations[1]["area"] as? Double == 10)
        let categories = try #require(coco["categories"] as? [[String: Any]])
        #expect(categories.map { $0["id"] as? Int } == [1, 2])
        #expect(categories.map { $0["name"] as? String } == ["Cat", "Dog"])
    }

    @Test func boxesGetTheirCornersAsSegmentation() {
        let context = ExportContext(project: "p", task: .bbox, tags: ["A"])
        let json = COCOExporter.annotation(box("A", 12.5, 6, 20, 10), id: 7, imageID: 3, context: context)
        #expect(JSONWriter.compact(json) == #"{"id":7,"image_id":3,"category_id":1,"bbox":[12.5,6,20,10],"area":200,"segmentation":[[12.5,6,32.5,6,32.5,16,12.5,16]],"iscrowd":0}"#)
    }

    @Test func anEmptyExportIsValid() throws {
        let sink = try exportInMemory(.coco, task: .bbox, tags: ["A"], images: [])
        let coco = try #require(try parse(sink.files[COCOExporter.file]!) as? [String: Any])
        #expect((coco["images"] as? [Any])?.isEmpty == true)
        #expect((coco["annotations"] as? [Any])?.isEmpty == true)
        #expect((coco["categories"] as? [Any])?.count == 1)
    }
}

@Suite struct ExportVOCTests {
    /// x, y, width, height in an image of 640 x 480 -> xmin, ymin, xmax, ymax.
    static let boxes: [([Double], [Int])] = [
        ([0, 0, 10, 10], [1, 1, 10, 10]),            // columns 0...9 are 1...10
        ([12, 30, 50, 40], [13, 31, 62, 70]),
        ([630, 470, 10, 10], [631, 471, 640, 480]),  // touches the far edges
        ([12.4, 30.6, 50, 40], [13, 32, 62, 71]),    // fractions round to the nearest edge
        ([100.2, 100.2, 0.3, 0.3], [101, 101, 101, 101]),  // sub-pixel boxes stay one pixel
        ([639.7, 479.7, 0.3, 0.3], [640, 480, 640, 480]),  // and inside the image
    ]

    @Test(arguments: boxes)
    func oneBasedInclusiveCorners(box b: [Double], expected: [Int]) {
        let c = VOCExporter.corners(Box(x: b[0], y: b[1], width: b[2], height: b[3]), width: 640, height: 480)
        #expect([c.xmin, c.ymin, c.xmax, c.ymax] == expected)
    }

    @Test func xmlPerImageWithSizeAndEscapedNames() throws {
        let sink = try exportInMemory(.voc, task: .bbox, tags: ["R&D <1>"], images: [
            image("a.png", 64, 48, regions: [box("R&D <1>", 0, 0, 10, 10)]),
        ])
        let xml = try #require(sink.files["Annotations/a.xml"])
        #expect(xml.contains("<width>64</width>") && xml.contains("<height>48</height>"))
        #expect(xml.contains("<name>R&amp;D &lt;1&gt;</name>"))
        #expect(xml.contains("<xmin>1</xmin>") && xml.contains("<xmax>10</xmax>"))
        #expect(sink.files[VOCExporter.imageSet] == "a\n")
        #expect(sink.files["labels.txt"] == "R&D <1>\n")
        #expect(sink.images.map(\.path) == ["JPEGImages/a.png"])
    }
}

@Suite struct ExportYOLOTests {
    let context = ExportContext(project: "p", task: .bbox, tags: ["A", "B"])

    @Test func boxRowIsClassCenterAndSizeNormalized() {
        #expect(YOLOExporter.row(box("B", 10, 20, 30, 40), width: 100, height: 200, context: context)
                == "1 0.250000 0.200000 0.300000 0.200000")
        #expect(YOLOExporter.row(box("A", 0, 0, 640, 480), width: 640, height: 480, context: context)
                == "0 0.500000 0.500000 1.000000 1.000000")
    }

    @Test func polygonRowIsYOLOSegmentation() {
        #expect(YOLOExporter.row(polygon("B", [(0, 0), (64, 0), (32, 48)]), width: 64, height: 96, context: context)
                == "1 0.000000 0.000000 1.000000 0.000000 0.500000 0.500000")
    }

    @Test func emptyFileForNothingHereAndNamesInTagOrder() throws {
        let sink = try exportInMemory(.yolo, task: .bbox, tags: ["Dog", "yes", "a: b"], images: [
            image("a.png", 10, 10, regions: []),
        ])
        #expect(sink.files["labels/a.txt"] == "")
        #expect(sink.files["classes.txt"] == "Dog\nyes\na: b\n")
        let yaml = try #require(sink.files["data.yaml"])
        #expect(yaml.contains("path: \"/data/p\"\n"))
        #expect(yaml.contains("names:\n  0: \"Dog\"\n  1: \"yes\"\n  2: \"a: b\"\n"))
        #expect(yaml.contains("nc: 3\n"))
    }
}

@Suite struct ExportLabelmeTests {
    @Test func rectangleAndPolygonShapesWithRelativeImagePath() throws {
        let sink = try exportInMemory(.labelme, task: .bbox, tags: ["A"], images: [
            image("a.b.png", 64, 48, regions: [box("A", 1, 2, 3, 4)]),
        ])
        let doc = try #require(try parse(sink.files["a.b.json"]!) as? [String: Any])
        #expect(doc["imagePath"] as? String == "a.b.png")
        #expect(doc["imageData"] is NSNull)
        #expect(doc["imageWidth"] as? Int == 64 && doc["imageHeight"] as? Int == 48)
        let shape = try #require((doc["shapes"] as? [[String: Any]])?.first)
        #expect(shape["shape_type"] as? String == "rectangle")
        #expect(shape["points"] as? [[Double]] == [[1, 2], [4, 6]])
        #expect(sink.images.map(\.path) == ["a.b.png"])
    }
}

@Suite struct ExportAzureMLTests {
    @Test func boxesAreNormalizedCorners() throws {
        let item = ExportItem(page: "page-000001", image: image("a.jpg", 200, 100, regions: [box("A", 20, 10, 100, 50)]),
                              name: "a.jpg", imagePath: "images/a.jpg", number: 1)
        let line = AzureMLExporter.line(item, context: ExportContext(project: "p", task: .bbox, tags: ["A"]))
        #expect(JSONWriter.compact(line) == #"{"image_url":"images/a.jpg","image_details":{"format":"jpg","width":200,"height":100},"label":[{"label":"A","topX":0.1,"topY":0.1,"bottomX":0.6,"bottomY":0.6,"isCrowd":0}],"label_confidence":[1]}"#)
    }

    @Test func polygonsAreNormalizedFlatLists() {
        let item = ExportItem(page: "p1", image: image("a.png", 10, 20, regions: [polygon("A", [(0, 0), (10, 0), (5, 20)])]),
                              name: "a.png", imagePath: "images/a.png", number: 1)
        let line = AzureMLExporter.line(item, context: ExportContext(project: "p", task: .polygon, tags: ["A"]))
        #expect(JSONWriter.compact(line["label"]!) == #"[{"label":"A","isCrowd":0,"polygon":[[0,0,1,0,0.5,1]]}]"#)
    }

    static let classification: [(TaskKind, [String], String, String)] = [
        (.multiClass, ["B"], #""B""#, "1"), (.multiLabel, ["A", "B"], #"["A","B"]"#, "[1,1]"),
    ]

    @Test(arguments: classification)
    func classificationLabels(task: TaskKind, tags: [String], label: String, confidence: String) {
        let item = ExportItem(page: "p1", image: image("a.png", 1, 1, tags: tags), name: "a.png", imagePath: "images/a.png", number: 1)
        let line = AzureMLExporter.line(item, context: ExportContext(project: "p", task: task, tags: ["A", "B"]))
        #expect(JSONWriter.compact(line["label"]!) == label)
        #expect(JSONWriter.compact(line["label_confidence"]!) == confidence)
    }
}

@Suite struct ExportCSVTests {
    static let fields: [(String, String)] = [
        ("plain", "plain"), ("a,b", #""a,b""#), (#"say "hi""#, #""say ""hi""""#),
        ("two\nlines", "\"two\nlines\""), (" padded", #"" padded""#), ("", ""),
    ]

    @Test(arguments: fields)
    func fieldQuoting(field: String, quoted: String) {
        #expect(ExportText.csvField(field) == quoted)
    }

    @Test func oneRowPerRegionAndOneForNothingHere() throws {
        let sink = try exportInMemory(.csv, task: .polygon, tags: ["A", "B, c"], images: [
            image("a.png", 64, 48, regions: [polygon("B, c", [(1, 2), (3, 4.5), (0, 6)]), polygon("A", [(0, 0), (2, 0), (0, 2)])]),
            image("b.png", 8, 8, regions: []),
        ])
        #expect(sink.files[CSVExporter.file] == """
            image,page,width,height,tag,class_id,shape,x,y,box_width,box_height,points,label_source\r
            images/a.png,page-000001,64,48,"B, c",1,polygon,0,2,3,4,1 2 3 4.5 0 6,\r
            images/a.png,page-000001,64,48,A,0,polygon,0,0,2,2,0 0 2 0 0 2,\r
            images/b.png,page-000001,8,8,,,,,,,,,\r

            """)
    }

    @Test("label_source: where each label came from, as accepted")
    func labelSourceColumn() throws {
        var kept = image("a.png", 4, 3, tags: ["A"])
        kept.prelabels = [Prelabel(tag: "A", confidence: 0.975, model: "builtin-2")]
        kept.labelSource = .modelAccepted
        var changed = image("b.png", 4, 3, tags: ["B"])
        changed.prelabels = [Prelabel(tag: "A", confidence: 0.99, model: "builtin-2")]
        changed.labelSource = .modelCorrected
        var human = image("c.png", 4, 3, tags: ["B"])
        human.labelSource = .human
        let sink = try exportInMemory(.csv, task: .multiClass, tags: ["A", "B"], images: [kept, changed, human])
        #expect(sink.files[CSVExporter.file] == "image,page,width,height,tags,class_ids,label_source\r\n"
            + "images/a.png,page-000001,4,3,A,0,model-accepted\r\nimages/b.png,page-000001,4,3,B,1,model-corrected\r\n"
            + "images/c.png,page-000001,4,3,B,1,human\r\n")
        let context = ExportContext(project: "p", task: .multiClass, tags: ["A", "B"])
        let confidences = [kept, changed, human].map { image in
            AzureMLExporter.line(ExportItem(page: "page-000001", image: image, name: image.file, imagePath: "images/\(image.file)", number: 1), context: context)["label_confidence"]?.numberValue
        }
        #expect(confidences == [0.975, 1, 1])
    }

    @Test("label_source of predicted regions: each region's own on its row")
    func regionLabelSourceColumn() throws {
        var a = image("a.png", 64, 48, regions: [
            Region(tag: "A", shape: .box(Box(x: 1, y: 2, width: 3, height: 4)), prelabel: RegionPrelabel(confidence: 0.9, model: "faces"), labelSource: .modelAccepted),
            Region(tag: "B", shape: .box(Box(x: 5, y: 6, width: 7, height: 8)), labelSource: .human),
        ])
        a.labelSource = .modelAdjusted
        let sink = try exportInMemory(.csv, task: .bbox, tags: ["A", "B"], images: [a])
        #expect(sink.files[CSVExporter.file] == """
            image,page,width,height,tag,class_id,shape,x,y,box_width,box_height,points,label_source\r
            images/a.png,page-000001,64,48,A,0,box,1,2,3,4,,model-accepted\r
            images/a.png,page-000001,64,48,B,1,box,5,6,7,8,,human\r

            """)
    }

    @Test func classificationRowPerImageWithTagsJoined() throws {
        let sink = try exportInMemory(.csv, task: .multiLabel, tags: ["A", "B"], images: [image("a.png", 4, 3, tags: ["B", "A"])])
        #expect(sink.files[CSVExporter.file] == "image,page,width,height,tags,class_ids,label_source\r\nimages/a.png,page-000001,4,3,B;A,1;0,\r\n")
    }
}

@Suite struct ExportTextTests {
    static let decimals: [(Double, String)] = [
        (0.5, "0.500000"), (1, "1.000000"), (0.0000004, "0.000000"), (0.0000005, "0.000001"),
        (1.0 / 3.0, "0.333333"), (2.0 / 3.0, "0.666667"), (-0.25, "-0.250000"), (12, "12.000000"),
    ]

    @Test(arguments: decimals)
    func fixedDecimals(value: Double, text: String) {
        #expect(ExportText.fixed(value) == text)
    }

    @Test func xmlAndYAMLEscaping() {
        #expect(ExportText.xmlEscaped(#"a<b>&"c"'"#) == "a&lt;b&gt;&amp;&quot;c&quot;&apos;")
        #expect(ExportText.xmlEscaped("bell\u{07}") == "bell\u{FFFD}")
        #expect(ExportText.yamlQuoted(#"say "no" \ yes"#) == #""say \"no\" \\ yes""#)
    }
}
