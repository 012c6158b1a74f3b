import LabelmillCore
import Testing

@Suite("A Label Studio ML backend's calls and answers (SPEC section 8, protocol label-studio)")
struct LabelStudioWireTests {
    func answer(_ results: String, task: TaskKind = .bbox, width: Int = 200, height: Int = 100) throws -> (regions: [JSONValue], dropped: [String]) {
        let (line, dropped, _) = try LabelStudioWire.answerLine(Array(results.utf8), id: 4, task: task, width: width, height: height).get()
        let node = try StrictJSON.parse(line)
        #expect(node["id"]?.value == .number(4))
        return (node["regions"]?.value.arrayValue ?? [], dropped)
    }

    @Test("The labeling config names one control of the project's kind and every tag, escaped")
    func labelConfig() {
        let config = LabelStudioWire.labelConfig(task: .bbox, tags: ["Dog", "Cat & \"Kitten\""])
        #expect(config.contains("<RectangleLabels name=\"label\" toName=\"image\">"))
        #expect(config.contains("<Label value=\"Dog\"/>") && config.contains("<Label value=\"Cat &amp; &quot;Kitten&quot;\"/>"))
        #expect(config.contains("<Image name=\"image\" value=\"$image\"/>"))
        #expect(LabelStudioWire.labelConfig(task: .polygon, tags: ["A"]).contains("<PolygonLabels name=\"label\""))
    }

    @Test("Rectangles in percent become boxes in pixels, with the region's score or else the prediction's")
    func rectangles() throws {
        let (regions, dropped) = try answer("""
            {"results": [{"score": 0.6, "result": [
              {"type": "rectanglelabels", "value": {"x": 10, "y": 20, "width": 50, "height": 80, "rotation": 0, "rectanglelabels": ["Dog"]}, "score": 0.9},
              {"type": "rectanglelabels", "value": {"x": 0, "y": 0, "width": 100, "height": 100, "rectanglelabels": ["Cat"]}}]}]}
            """)
        #expect(dropped.isEmpty)
        #expect(regions == [
            .object([("tag", .string("Dog")), ("box", .object([("x", .number(20)), ("y", .number(20)), ("width", .number(100)), ("height", .number(80))])), ("confidence", .number(0.9))]),
            .object([("tag", .string("Cat")), ("box", .object([("x", .number(0)), ("y", .number(0)), ("width", .number(200)), ("height", .number(100))])), ("confidence", .number(0.6))]),
        ])
    }

    @Test("A polygon project takes polygons and turned rectangles as their four corners")
    func polygons() throws {
        let (regions, dropped) = try answer("""
            {"results": [{"result": [
              {"type": "polygonlabels", "value": {"points": [[0, 0], [50, 0], [25, 50]], "polygonlabels": ["Dog"]}, "score": 0.7},
              {"type": "rectanglelabels", "value": {"x": 50, "y": 50, "width": 10, "height": 20, "rotation": 90, "rectanglelabels": ["Cat"]}, "score": 0.8}]}]}
            """, task: .polygon)
        #expect(dropped.isEmpty)
        #expect(regions.first?["polygon"] == .array([.array([.number(0), .number(0)]), .array([.number(100), .number(0)]), .array([.number(50), .number(50)])]))
        // 20 x 20 px turned 90 degrees clockwise about its top-left corner (100, 50).
        #expect(regions.last?["polygon"] == .array([.array([.number(100), .number(50)]), .array([.number(100), .number(70)]),
                                                     .array([.number(80), .number(70)]), .array([.number(80), .number(50)])]))
    }

    @Test("What a project cannot hold is dropped with the reason; the rest stay", arguments: [
        ("{\"type\": \"rectanglelabels\", \"value\": {\"x\": 1, \"y\": 1, \"width\": 5, \"height\": 5, \"rotation\": 45, \"rectanglelabels\": [\"Dog\"]}, \"score\": 1}", "rotated by 45 degrees"),
        ("{\"type\": \"polygonlabels\", \"value\": {\"points\": [[1, 1], [5, 1], [3, 4]], \"polygonlabels\": [\"Dog\"]}, \"score\": 1}", "a polygon, in a bbox project"),
        ("{\"type\": \"choices\", \"value\": {\"choices\": [\"Dog\"]}, \"score\": 1}", "is not RectangleLabels or PolygonLabels"),
        ("{\"type\": \"rectanglelabels\", \"value\": {\"x\": 1, \"y\": 1, \"width\": 5, \"height\": 5, \"rectanglelabels\": [\"Dog\"]}}", "no score"),
        ("{\"type\": \"rectanglelabels\", \"value\": {\"x\": 1, \"y\": 1, \"width\": 5, \"rectanglelabels\": [\"Dog\"]}, \"score\": 1}", "needs numbers x, y, width and height"),
        ("{\"type\": \"rectanglelabels\", \"value\": {\"x\": 1, \"y\": 1, \"width\": 5, \"height\": 5, \"rectanglelabels\": [\"Dog\", \"Cat\"]}, \"score\": 1}", "exactly one label"),
        ("[1, 2]", "not a Label Studio region"),
    ])
    func dropped(item: String, words: String) throws {
        let good = "{\"type\": \"rectanglelabels\", \"value\": {\"x\": 1, \"y\": 1, \"width\": 5, \"height\": 5, \"rectanglelabels\": [\"Dog\"]}, \"score\": 0.5}"
        let (regions, dropped) = try answer("{\"results\": [{\"result\": [\(item), \(good)]}]}")
        #expect(regions.count == 1)
        #expect(dropped.count == 1 && dropped[0].hasPrefix("result 1: ") && dropped[0].contains(words), "\(dropped)")
    }

    @Test("The checker's reasons name the backend's own result")
    func renumbered() throws {
        let body = """
            {"results": [{"result": [
              {"type": "choices", "value": {"choices": ["Dog"]}, "score": 1},
              {"type": "rectanglelabels", "value": {"x": 1, "y": 1, "width": 5, "height": 5, "rectanglelabels": ["Dog"]}, "score": 0.5},
              {"type": "rectanglelabels", "value": {"x": 1, "y": 1, "width": 5, "height": 5, "rectanglelabels": ["Eel"]}, "score": 0.5}]}]}
            """
        let (line, _, origins) = try LabelStudioWire.answerLine(Array(body.utf8), id: 1, task: .bbox, width: 10, height: 10).get()
        #expect(origins == [2, 3])
        guard case .regions(_, let dropped) = try PredictorWire.predictAnswer(line, task: .bbox, tags: ["Dog"], width: 10, height: 10).get().prediction else {
            Issue.record("not regions")
            return
        }
        #expect(dropped.count == 1 && LabelStudioWire.renumbered(dropped[0], origins: origins).hasPrefix("result 3: unknown tag \"Eel\""), "\(dropped)")
    }

    @Test("An answer that is not Label Studio's format fails; an empty one proposes nothing")
    func malformed() throws {
        for body in ["not json", "{\"predictions\": []}", "{\"results\": [7]}", "{\"results\": [{\"result\": 5}]}"] {
            guard case .failure(.invalid(let id, _)) = LabelStudioWire.answerLine(Array(body.utf8), id: 4, task: .bbox, width: 10, height: 10) else {
                Issue.record("\(body) was taken")
                continue
            }
            #expect(id == 4)
        }
        #expect(try answer("{\"results\": []}").regions.isEmpty)
        #expect(try answer("{\"results\": [{\"result\": []}]}").regions.isEmpty)
    }

    @Test("Health, setup and the model's version are read from the backend's answers")
    func healthAndVersion() {
        #expect(LabelStudioWire.isUp(Array("{\"status\": \"UP\", \"v2\": false}".utf8)))
        #expect(!LabelStudioWire.isUp(Array("{\"status\": \"DOWN\"}".utf8)) && !LabelStudioWire.isUp(Array("<html>".utf8)))
        #expect(LabelStudioWire.modelVersion(Array("{\"model_version\": \"faces-2\"}".utf8)) == "faces-2")
        let setup = LabelStudioWire.setupBody(project: "labelmill.p", config: "<View/>", hostname: "http://127.0.0.1:5")
        #expect(setup.contains("\"hostname\":\"http://127.0.0.1:5\"") || setup.contains("\"hostname\": \"http://127.0.0.1:5\""))
    }
}

@Suite("project.json's predictor as a Label Studio ML backend")
struct LabelStudioSettingsTests {
    func settings(_ predictor: String, task: String = "bbox", assist: String = "") throws(SettingsError) -> ProjectSettings {
        try ProjectSettings(bytes: Array("{\"task\": \"\(task)\", \"tags\": [\"A\"], \"predictor\": \(predictor)\(assist)}".utf8))
    }

    @Test("A url with protocol label-studio is a backend, named by its address")
    func accepted() throws {
        let s = try settings("{\"url\": \"http://127.0.0.1:9090/\", \"protocol\": \"label-studio\", \"timeout_seconds\": 5}")
        #expect(s.predictor?.url == "http://127.0.0.1:9090" && s.predictor?.command == [] && s.predictor?.timeoutSeconds == 5)
        #expect(s.predictor?.modelName == "label-studio:127.0.0.1:9090")
    }

    @Test("What cannot be a backend is refused, naming the key", arguments: [
        ("{\"url\": \"http://127.0.0.1:9090\"}", "", "bbox", "predictor.protocol"),
        ("{\"protocol\": \"label-studio\"}", "", "bbox", "predictor.url"),
        ("{\"url\": \"https://h:9090\", \"protocol\": \"label-studio\"}", "", "bbox", "predictor.url"),
        ("{\"url\": \"http://h:99999\", \"protocol\": \"label-studio\"}", "", "bbox", "predictor.url"),
        ("{\"url\": \"http://h:9090\", \"protocol\": \"torchserve\"}", "", "bbox", "predictor.protocol"),
        ("{\"url\": \"http://h:9090\", \"protocol\": \"label-studio\", \"command\": [\"x\"]}", "", "bbox", "predictor.url"),
        ("{\"url\": \"http://h:9090\", \"protocol\": \"label-studio\"}", "", "multi-class", "predictor.url"),
        ("{\"url\": \"http://h:9090\", \"protocol\": \"label-studio\"}", ", \"assist\": {\"embedder\": \"predictor\"}", "bbox", "assist.embedder"),
    ])
    func refused(predictor: String, assist: String, task: String, key: String) {
        #expect {
            try settings(predictor, task: task, assist: assist)
        } throws: { error in
            (error as? SettingsError)?.key == key
        }
    }
}
