import LabelmillCore
import Testing

@Suite("The predictor's lines (SPEC section 8)")
struct PredictorWireTests {
    func answer(_ text: String, dimensions: Int? = nil) -> Result<(id: Int, answer: PredictorWire.Answer), PredictorWire.Problem> {
        PredictorWire.embedAnswer(Array(text.utf8), dimensions: dimensions)
    }

    @Test("A request is one compact JSON line with the fields of SPEC section 8, id first")
    func requestLine() throws {
        let line = PredictorWire.Request(id: 7, op: .embed, image: "/w/Watch/p/pool/a b.png", width: 640, height: 480,
                                         task: .bbox, tags: ["Dog", "Cat \"x\""]).line
        #expect(line.hasPrefix("{\"id\":7,"))
        #expect(line.hasSuffix("}\n"))
        #expect(line.dropLast().contains("\n") == false)
        let node = try StrictJSON.parse(String(line.dropLast())).value
        #expect(node["op"] == .string("embed"))
        #expect(node["image"] == .string("/w/Watch/p/pool/a b.png"))
        #expect(node["width"] == .number(640) && node["height"] == .number(480))
        #expect(node["task"] == .string("bbox"))
        #expect(node["tags"] == .array([.string("Dog"), .string("Cat \"x\"")]))
    }

    @Test("An embedding answer: its id and values; an error answer: its message")
    func goodAnswers() throws {
        let ok = try answer("{\"id\": 3, \"embedding\": [0.5, -1, 2e-3]}").get()
        #expect(ok.id == 3 && ok.answer == .embedding([0.5, -1, 0.002]))
        let refused = try answer("{\"id\": 4, \"error\": \"cannot open /x.png\"}").get()
        #expect(refused.id == 4 && refused.answer == .refused("cannot open /x.png"))
        // Known length: taken when it matches.
        #expect(try answer("{\"id\": 5, \"embedding\": [1, 2]}", dimensions: 2).get().answer == .embedding([1, 2]))
    }

    @Test("What breaks the stream: not JSON, not an object, no whole-number id", arguments: [
        ("hello", "printed a line that is not JSON"),
        ("", "printed a line that is not JSON"),
        ("[1, 2]", "printed a JSON value that is not an object"),
        ("{\"embedding\": [1]}", "printed an answer without a whole-number \"id\""),
        ("{\"id\": \"7\", \"embedding\": [1]}", "printed an answer without a whole-number \"id\""),
        ("{\"id\": 1.5, \"embedding\": [1]}", "printed an answer without a whole-number \"id\""),
        ("{\"id\": -1, \"embedding\": [1]}", "printed an answer without a whole-number \"id\""),
        ("{\"id\": 1, \"embedding\": [1]} {}", "printed a line that is not JSON"),
    ])
    func broken(line: String, message: String) {
        guard case .failure(.broken(let why)) = answer(line) else { Issue.record("\(line) was taken"); return }
        #expect(why.hasPrefix(message), "\(why)")
    }

    @Test("A wrong content fails that request only, named by its id", arguments: [
        ("{\"id\": 2, \"embedding\": [1, \"x\"]}", "\"embedding\" value 2 is not a finite number"),
        ("{\"id\": 2, \"embedding\": [1, 1e31]}", "\"embedding\" value 2 is not a finite number"),
        ("{\"id\": 2, \"embedding\": []}", "\"embedding\" must be a list of 1 to 65536 numbers"),
        ("{\"id\": 2, \"embedding\": 3}", "\"embedding\" must be a list"),
        ("{\"id\": 2, \"tags\": []}", "has neither \"embedding\" nor \"error\""),
        ("{\"id\": 2, \"error\": 5}", "\"error\" must be a string"),
        ("{\"id\": 2, \"embedding\": [1, 2, 3]}", "\"embedding\" has 3 values; this predictor's embeddings have 2"),
    ])
    func invalid(line: String, message: String) {
        guard case .failure(.invalid(let id, let why)) = answer(line, dimensions: 2) else { Issue.record("\(line) was not refused"); return }
        #expect(id == 2)
        #expect(why.hasPrefix(message), "\(why)")
    }

    @Test("Log excerpts of a bad line are short and printable")
    func excerpts() {
        guard case .failure(let problem) = answer(String(repeating: "\u{1}junk", count: 100)) else { Issue.record("taken"); return }
        #expect(problem.description.count < 250)
        #expect(!problem.description.unicodeScalars.contains { $0.value == 1 })
    }
}

@Suite("Restarting a predictor with backoff")
struct RestartBackoffTests {
    @Test("1 s after the first failure, doubling to a minute, back to 1 s once it answers")
    func doubling() {
        var b = RestartBackoff()
        #expect(b.mayStart(at: 0))
        #expect(b.failed(at: 100) == 1)
        #expect(!b.mayStart(at: 100.5) && b.mayStart(at: 101))
        #expect([b.failed(at: 101), b.failed(at: 103), b.failed(at: 107)] == [2, 4, 8])
        for _ in 0..<10 { b.failed(at: 200) }
        #expect(b.failed(at: 300) == 60)
        #expect(!b.mayStart(at: 359) && b.mayStart(at: 360))
        b.succeeded()
        #expect(b.failed(at: 400) == 1)
    }
}

@Suite("project.json predictor (SPEC section 8)")
struct PredictorSettingsTests {
    func parse(_ predictor: String, assist: String = "") throws(SettingsError) -> ProjectSettings {
        try ProjectSettings(bytes: Array("{\"task\": \"multi-class\", \"tags\": [\"A\", \"B\"]\(assist), \"predictor\": \(predictor)}".utf8))
    }

    @Test("The command with its defaults, written back as read, and the embedder that uses it")
    func readAndWritten() throws {
        let s = try parse("{\"command\": [\"python3\", \"predictors/efficientnet_lite0.py\"]}", assist: ", \"assist\": {\"embedder\": \"predictor\"}")
        let p = try #require(s.predictor)
        #expect(p == PredictorSettings(command: ["python3", "predictors/efficientnet_lite0.py"], timeoutSeconds: 30, minConfidence: 0.5))
        #expect(s.assist?.embedder == .predictor)
        let again = try ProjectSettings(bytes: Array(JSONWriter.compact(s.json).utf8))
        #expect(again == s)
        let t = try parse("{\"command\": [\"./p\"], \"timeout_seconds\": 2.5, \"min_confidence\": 0.25}")
        #expect(t.predictor?.timeoutSeconds == 2.5 && t.predictor?.minConfidence == 0.25)
    }

    @Test("Bad values name the key and say what is allowed", arguments: [
        ("[]", "\"predictor\" must be an object like"),
        ("{}", "\"predictor.command\" is required"),
        ("{\"command\": []}", "\"predictor.command\" must be a non-empty list of strings"),
        ("{\"command\": \"python3 p.py\"}", "\"predictor.command\" must be a non-empty list of strings"),
        ("{\"command\": [\"python3\", 3]}", "\"predictor.command\" item 2 must be a non-empty string"),
        ("{\"command\": [\"\"]}", "\"predictor.command\" item 1 must be a non-empty string"),
        ("{\"command\": [\"p\"], \"timeout_seconds\": 0}", "\"predictor.timeout_seconds\" must be a number of seconds above 0"),
        ("{\"command\": [\"p\"], \"min_confidence\": 1.5}", "\"predictor.min_confidence\" must be a number from 0 to 1"),
        ("{\"command\": [\"p\"], \"comand\": 1}", "\"predictor.comand\" unknown key \"comand\"; did you mean \"command\"?"),
        ("{\"url\": \"http://127.0.0.1:9090\"}", "\"predictor.protocol\" is required with \"url\""),
    ])
    func badValues(predictor: String, message: String) {
        #expect {
            _ = try parse(predictor)
        } throws: { error in
            (error as? SettingsError)?.description.hasPrefix(message) == true
        }
    }
}

@Suite("Embeddings of more than one embedder")
struct EmbedderLogTests {
    @Test("Each predictor command has its own log; the builtin keeps embeddings.log")
    func logNames() {
        #expect(EmbeddingLog.fileName(predictorCommand: nil) == "embeddings.log")
        let a = EmbeddingLog.fileName(predictorCommand: ["python3", "a.py"])
        #expect(a.hasPrefix("embeddings-predictor-") && a.hasSuffix(".log") && a.count == "embeddings-predictor-12345678.log".count)
        #expect(a == EmbeddingLog.fileName(predictorCommand: ["python3", "a.py"]))
        #expect(a != EmbeddingLog.fileName(predictorCommand: ["python3", "b.py"]))
        #expect(EmbeddingLog.fileName(predictorCommand: ["a b"]) != EmbeddingLog.fileName(predictorCommand: ["a", "b"]))
    }

    @Test("A log read without a known length takes the first whole line's, and skips other lengths")
    func learnedDimensions() {
        let a = String(repeating: "a", count: 64), b = String(repeating: "b", count: 64), c = String(repeating: "c", count: 64)
        let text = Array(("damaged line\n" + EmbeddingLog.line(sha256: a, vector: [1, 2, 3]) + EmbeddingLog.line(sha256: b, vector: [1, 2])
                          + EmbeddingLog.line(sha256: c, vector: [4, 5, 6])).utf8)
        let read = EmbeddingLog.read(text, dimensions: nil)
        #expect(read.vectors == [a: [1, 2, 3], c: [4, 5, 6]])
        #expect(read.skipped == 2)
        #expect(EmbeddingLog.firstDimensions(text) == 3)
        #expect(EmbeddingLog.firstDimensions(Array("junk\n".utf8)) == nil)
    }

    @Test("A model suggests nothing for a vector of another length (another embedder's), and reads back at its own")
    func otherLength() throws {
        let x: [[Double]] = (0..<40).map { (i: Int) -> [Double] in
            let odd = Double(i % 2)
            return [odd * 4 + Double(i) * 0.01, 1 - odd]
        }
        let model = PrelabelModel.train(x, labels: (0..<40).map { $0 % 2 }, tags: ["A", "B"], target: 0.9, version: 1, embedder: "predictor")
        #expect(model.name == "predictor-1" && model.dimensions == 2)
        #expect(model.suggestions([1, 2, 3]).ranked.isEmpty)
        #expect(!model.suggestions([1, 2, 3]).confident)
        #expect(model.suggestions([4, 0]).ranked.first?.tag == "B")
        #expect(PrelabelModel(json: model.json, dimensions: nil)?.dimensions == 2)
        #expect(PrelabelModel(json: model.json, dimensions: 3) == nil)
    }
}
