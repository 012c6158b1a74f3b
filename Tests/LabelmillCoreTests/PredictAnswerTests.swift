import LabelmillCore
import Testing

@Suite("A predictor's predictions, checked as strictly as page.json (SPEC sections 3 and 8)")
struct PredictAnswerTests {
    let tags = ["Dog", "Cat"]

    func predict(_ text: String, task: TaskKind = .bbox) throws -> (id: Int, prediction: PredictorWire.Prediction) {
        try PredictorWire.predictAnswer(Array(text.utf8), task: task, tags: tags, width: 100, height: 80).get()
    }

    func regions(_ text: String, task: TaskKind = .bbox) throws -> (kept: [PredictedRegion], dropped: [String]) {
        guard case .regions(let kept, let dropped) = try predict(text, task: task).prediction else {
            Issue.record("not regions")
            return ([], [])
        }
        return (kept, dropped)
    }

    @Test("Boxes inside the image with known tags are kept, best first, with their confidence")
    func goodBoxes() throws {
        let answer = try regions("""
            {"id": 9, "regions": [
              {"tag": "Cat", "box": {"x": 0, "y": 0, "width": 100, "height": 80}, "confidence": 0.4},
              {"tag": "Dog", "box": {"x": 10.5, "y": 20, "width": 30, "height": 40}, "confidence": 0.9}]}
            """)
        #expect(answer.dropped.isEmpty)
        #expect(answer.kept == [
            PredictedRegion(region: Region(tag: "Dog", shape: .box(Box(x: 10.5, y: 20, width: 30, height: 40))), confidence: 0.9),
            PredictedRegion(region: Region(tag: "Cat", shape: .box(Box(x: 0, y: 0, width: 100, height: 80))), confidence: 0.4),
        ])
    }

    @Test("A bad region is dropped with the page rule's reason; the good ones stay", arguments: [
        ("{\"tag\": \"Dog\", \"box\": {\"x\": 90, \"y\": 0, \"width\": 20, \"height\": 10}, \"confidence\": 0.8}",
         "box extends past the right edge: x + width = 110 > image width 100"),
        ("{\"tag\": \"Dog\", \"box\": {\"x\": -1, \"y\": 0, \"width\": 20, \"height\": 10}, \"confidence\": 0.8}",
         "box extends past the left edge"),
        ("{\"tag\": \"Dog\", \"box\": {\"x\": 1, \"y\": 0, \"width\": 0, \"height\": 10}, \"confidence\": 0.8}",
         "box width must be greater than 0"),
        ("{\"tag\": \"dog\", \"box\": {\"x\": 1, \"y\": 0, \"width\": 5, \"height\": 10}, \"confidence\": 0.8}",
         "unknown tag \"dog\"; did you mean \"Dog\"? (capitals matter)"),
        ("{\"tag\": \"Dog\", \"box\": {\"x\": 1, \"y\": 0, \"width\": 5, \"height\": 10}}",
         "\"confidence\" must be a number from 0 to 1"),
        ("{\"tag\": \"Dog\", \"box\": {\"x\": 1, \"y\": 0, \"width\": 5, \"height\": 10}, \"confidence\": 1.5}",
         "\"confidence\" must be a number from 0 to 1"),
        ("{\"tag\": \"Dog\", \"box\": {\"x\": 1, \"y\": 0, \"width\": 5, \"height\": \"10\"}, \"confidence\": 0.5}",
         "\"height\" of a box must be a number of pixels"),
        ("{\"tag\": \"Dog\", \"polygon\": [[1, 1], [5, 1], [3, 4]], \"confidence\": 0.5}",
         "\"polygon\" is for polygon pages"),
        ("{\"tag\": \"Dog\", \"box\": {\"x\": 1, \"y\": 0, \"width\": 5, \"height\": 10}, \"score\": 3, \"confidence\": 0.5}",
         "unknown key \"score\""),
        ("[1, 2]", "must be an object"),
    ])
    func badBoxes(region: String, reason: String) throws {
        let good = "{\"tag\": \"Cat\", \"box\": {\"x\": 1, \"y\": 2, \"width\": 3, \"height\": 4}, \"confidence\": 0.7}"
        let answer = try regions("{\"id\": 1, \"regions\": [\(good), \(region)]}")
        #expect(answer.kept.map(\.region.tag) == ["Cat"])
        #expect(answer.dropped.count == 1)
        #expect(answer.dropped.first?.hasPrefix("region 2: ") == true)
        #expect(answer.dropped.first?.contains(reason) == true, "\(answer.dropped)")
    }

    @Test("Polygons: a simple one inside the image is kept; crossing, outside or degenerate ones are dropped")
    func polygons() throws {
        let answer = try regions("""
            {"id": 2, "regions": [
              {"tag": "Dog", "polygon": [[10, 10], [50, 12], [30, 40]], "confidence": 0.6},
              {"tag": "Dog", "polygon": [[0, 0], [20, 20], [20, 0], [0, 20]], "confidence": 0.9},
              {"tag": "Cat", "polygon": [[10, 10], [150, 12], [30, 40]], "confidence": 0.9},
              {"tag": "Cat", "polygon": [[10, 10], [20, 20], [30, 30]], "confidence": 0.9},
              {"tag": "Cat", "polygon": [[10, 10], [20, 20]], "confidence": 0.9}]}
            """, task: .polygon)
        #expect(answer.kept == [PredictedRegion(region: Region(tag: "Dog", shape: .polygon([
            Point(x: 10, y: 10), Point(x: 50, y: 12), Point(x: 30, y: 40)])), confidence: 0.6)])
        #expect(answer.dropped.count == 4)
        #expect(answer.dropped[0].hasPrefix("region 2: edges cross"))
        #expect(answer.dropped[1].contains("outside the image: x = 150 > image width 100"))
        #expect(answer.dropped[2].contains("zero area"))
        #expect(answer.dropped[3].contains("at least 3 points"))
    }

    @Test("Tags for a classification project: known ones kept, best first; unknown ones dropped")
    func tagsAnswer() throws {
        let answer = try predict("""
            {"id": 3, "tags": [{"tag": "Cat", "confidence": 0.2}, {"tag": "Dog", "confidence": 0.7}, {"tag": "Cow", "confidence": 0.9}]}
            """, task: .multiClass)
        guard case .tags(let kept, let dropped) = answer.prediction else {
            Issue.record("not tags")
            return
        }
        #expect(kept == [PredictedTag(tag: "Dog", confidence: 0.7), PredictedTag(tag: "Cat", confidence: 0.2)])
        #expect(dropped == ["tag 3: unknown tag \"Cow\"; the project's tags are \"Dog\", \"Cat\""])
    }

    @Test("An error answer is a refusal; no regions is an invalid answer; garbage breaks the stream")
    func otherAnswers() throws {
        #expect(try predict("{\"id\": 4, \"error\": \"no GPU\"}").prediction == .refused("no GPU"))
        #expect(try regions("{\"id\": 4, \"regions\": []}").kept.isEmpty)
        func problem(_ text: String) -> PredictorWire.Problem? {
            guard case .failure(let problem) = PredictorWire.predictAnswer(Array(text.utf8), task: .bbox, tags: tags, width: 10, height: 10) else { return nil }
            return problem
        }
        #expect(problem("{\"id\": 5, \"embedding\": [1]}") == .invalid(id: 5, "has neither \"regions\" nor \"error\" (a bbox project's predictions are \"regions\")"))
        #expect(problem("{\"id\": 6, \"regions\": {}}") == .invalid(id: 6, "\"regions\" must be a list of at most 1000 regions"))
        guard case .failure(.broken(let why)) = PredictorWire.predictAnswer(Array("boxes!".utf8), task: .bbox, tags: tags, width: 10, height: 10) else {
            Issue.record("garbage was taken")
            return
        }
        #expect(why.hasPrefix("printed a line that is not JSON"))
    }
}

@Suite("The model name a predictor's proposals carry")
struct PredictorModelNameTests {
    @Test("The script the command runs, else its program", arguments: [
        (["python3", "predictors/faces.py"], "faces"),
        (["/venv/bin/python3.11", "-u", "/w/fake_predictor.py", "good"], "fake_predictor"),
        (["/opt/bin/detector", "--gpu", "0.5"], "detector"),
        (["sh", "-c", "exec ./run.sh"], "run"),
        (["bash", "tools/text-lines.sh"], "text-lines"),
    ])
    func names(command: [String], name: String) {
        #expect(PredictorSettings(command: command).modelName == name)
    }
}
