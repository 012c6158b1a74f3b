import LabelmillCore
import TestSupport
import Testing

@Suite("ML assist: which pool images go on the next pages (no disk)")
struct PoolPlanTests {
    /// Two kinds of image (vectors near (1, 0) or (0, 1)), alternating as they came.
    func pool(_ count: Int, confidence: (Int) -> Double? = { _ in nil }) -> [PoolPlan.Candidate] {
        (0..<count).map { i in
            let v = i % 2 == 0 ? [1.0, 0.01 * Double(i)] : [0.01 * Double(i), 1.0]
            return PoolPlan.Candidate(id: "img\(i)", arrival: Double(i), vector: Vectors.normalized(v), cluster: i % 2, confidence: confidence(i))
        }
    }

    @Test("Clustered pages hold one kind each, start from the image that waited longest, and no more pages than asked")
    func clusteredOldestFirst() {
        let pages = PoolPlan.pages(pool(16), size: 4, count: 3, flush: false, cluster: true, threshold: nil, now: 100, embedWait: 3)
        #expect(pages.count == 3)
        #expect(pages[0].ids.first == "img0")
        for page in pages {
            #expect(page.clustered && !page.prelabeled)
            let kinds = Set(page.ids.map { Int($0.dropFirst(3))! % 2 })
            #expect(kinds.count == 1, "page \(page.ids) mixes kinds")
        }
        #expect(Set(pages.flatMap(\.ids)).count == 12)
    }

    @Test("Without clustering, pages take the images in the order they came")
    func inOrder() {
        let pages = PoolPlan.pages(pool(9), size: 4, count: 5, flush: false, cluster: false, threshold: nil, now: 100, embedWait: 3)
        #expect(pages.map(\.ids) == [["img0", "img1", "img2", "img3"], ["img4", "img5", "img6", "img7"]])
        let flushed = PoolPlan.pages(pool(9), size: 4, count: 5, flush: true, cluster: false, threshold: nil, now: 100, embedWait: 3)
        #expect(flushed.last?.ids == ["img8"])
    }

    @Test("Confident images go on prelabeled pages, the others on manual pages; never mixed")
    func prelabeledApart() {
        // Every third image is confident.
        let candidates = pool(24) { i in i % 3 == 0 ? 0.99 : 0.5 }
        let pages = PoolPlan.pages(candidates, size: 4, count: 10, flush: true, cluster: true, threshold: 0.9, now: 100, embedWait: 3)
        #expect(Set(pages.flatMap(\.ids)).count == 24)
        for page in pages {
            let confident = page.ids.map { Int($0.dropFirst(3))! % 3 == 0 }
            #expect(Set(confident).count == 1, "page \(page.ids) mixes confident and not")
            #expect(page.prelabeled == confident[0])
        }
        // No threshold (no model, or paused): nothing is prelabeled.
        let none = PoolPlan.pages(candidates, size: 4, count: 10, flush: true, cluster: true, threshold: nil, now: 100, embedWait: 3)
        #expect(none.allSatisfy { !$0.prelabeled })
    }

    @Test("An image still waiting for its embedding waits, up to embedWait; one that cannot be embedded does not")
    func waitsForEmbedding() {
        var candidates = pool(4)
        candidates.append(PoolPlan.Candidate(id: "late", arrival: 99))
        candidates.append(PoolPlan.Candidate(id: "broken", arrival: 99, waiting: false))
        let now = PoolPlan.pages(candidates, size: 4, count: 5, flush: true, cluster: true, threshold: nil, now: 100, embedWait: 3)
        #expect(!now.flatMap(\.ids).contains("late"))
        #expect(now.flatMap(\.ids).contains("broken"))
        let later = PoolPlan.pages(candidates, size: 4, count: 5, flush: true, cluster: true, threshold: nil, now: 102.5, embedWait: 3)
        #expect(later.flatMap(\.ids).contains("late"))
        #expect(Set(later.flatMap(\.ids)).count == 6)
    }

    @Test("A short page only when flushing; an empty pool or no room makes nothing")
    func shortPages() {
        #expect(PoolPlan.pages(pool(3), size: 4, count: 2, flush: false, cluster: true, threshold: nil, now: 100, embedWait: 3).isEmpty)
        #expect(PoolPlan.pages(pool(3), size: 4, count: 2, flush: true, cluster: true, threshold: nil, now: 100, embedWait: 3).map(\.ids.count) == [3])
        #expect(PoolPlan.pages([], size: 4, count: 2, flush: true, cluster: true, threshold: nil, now: 100, embedWait: 3).isEmpty)
        #expect(PoolPlan.pages(pool(8), size: 4, count: 0, flush: true, cluster: true, threshold: nil, now: 100, embedWait: 3).isEmpty)
    }

    @Test("A model's suggestions: top three, highest first, confident only at or above its threshold")
    func suggestions() {
        var g = SplitMix64(state: 3)
        let data = blobs(farCentres(3, dims: 5, using: &g), each: 40, spread: 0.3, using: &g)
        let model = PrelabelModel.train(data.x, labels: data.labels, tags: ["a", "b", "c"], target: 0.9, version: 2, embedder: "builtin")
        #expect(model.name == "builtin-2")
        let threshold = try! #require(model.threshold)
        let s = model.suggestions(data.x[0])
        #expect(s.ranked.count == 3)
        #expect(s.ranked.map(\.tag).first == ["a", "b", "c"][data.labels[0]])
        #expect(zip(s.ranked, s.ranked.dropFirst()).allSatisfy { $0.confidence >= $1.confidence })
        #expect(s.confident == (s.ranked[0].confidence >= threshold.confidence))
    }
}

@Suite("project.json assist (SPEC section 7)")
struct AssistSettingsTests {
    func parse(_ assist: String) throws(SettingsError) -> ProjectSettings {
        try ProjectSettings(bytes: Array("{\"task\": \"multi-class\", \"tags\": [\"A\", \"B\"], \"assist\": \(assist)}".utf8))
    }

    @Test("The defaults of SPEC section 7, and every key read")
    func defaultsAndKeys() throws {
        let d = try #require(try parse("{}").assist)
        #expect(d == AssistSettings())
        #expect(d.embedder == .builtin)
        #expect((d.cluster, d.prelabel, d.minLabeled, d.targetPrecision, d.retrainEvery, d.queuePages) == (true, true, 300, 0.97, 100, 20))
        let s = try #require(try parse("{\"cluster\": false, \"prelabel\": false, \"min_labeled\": 50, \"target_precision\": 0.9, \"retrain_every\": 10, \"queue_pages\": 3}").assist)
        #expect((s.cluster, s.prelabel, s.minLabeled, s.targetPrecision, s.retrainEvery, s.queuePages) == (false, false, 50, 0.9, 10, 3))
        // Written back as read.
        let again = try ProjectSettings(bytes: Array(JSONWriter.compact(try parse("{\"queue_pages\": 3}").json).utf8))
        #expect(again.assist?.queuePages == 3)
        #expect(try ProjectSettings(bytes: Array("{\"task\": \"bbox\", \"tags\": [\"A\"]}".utf8)).assist == nil)
    }

    @Test("Bad values name the key and say what is allowed", arguments: [
        ("[]", "\"assist\" must be an object"),
        ("{\"embeder\": \"builtin\"}", "\"assist.embeder\" unknown key \"embeder\"; did you mean \"embedder\"?"),
        ("{\"embedder\": \"cnn\"}", "\"assist.embedder\" must be \"builtin\" or \"predictor\""),
        ("{\"embedder\": \"predictor\"}", "\"assist.embedder\" is \"predictor\" but the project has no \"predictor\": add one"),
        ("{\"cluster\": 1}", "\"assist.cluster\" must be true or false"),
        ("{\"min_labeled\": 2.5}", "\"assist.min_labeled\" must be a whole number from 10"),
        ("{\"target_precision\": 1}", "\"assist.target_precision\" must be a number above 0.5 and below 1"),
        ("{\"queue_pages\": 0}", "\"assist.queue_pages\" must be a whole number from 1"),
    ])
    func badValues(assist: String, message: String) {
        #expect {
            _ = try parse(assist)
        } throws: { error in
            (error as? SettingsError)?.description.hasPrefix(message) == true
        }
    }
}
