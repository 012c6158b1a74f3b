import Foundation
import LabelmillCore
import TestSupport
import Testing

/// Points around `centres`, `each` per centre, with normal noise of `spread`;
/// labels are the centre's index. Shuffled, so no order gives the answer away.
func blobs(_ centres: [[Double]], each: Int, spread: Double, using g: inout SplitMix64) -> (x: [[Double]], labels: [Int]) {
    var rows: [([Double], Int)] = []
    for (label, centre) in centres.enumerated() {
        for _ in 0..<each { rows.append((centre.map { $0 + spread * normal(&g) }, label)) }
    }
    rows.shuffle(using: &g)
    return (rows.map(\.0), rows.map(\.1))
}

func normal(_ g: inout SplitMix64) -> Double {
    let u = Double.random(in: Double.ulpOfOne..<1, using: &g), v = Double.random(in: 0..<1, using: &g)
    return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
}

/// `count` centres far apart in `dims` dimensions.
func farCentres(_ count: Int, dims: Int, using g: inout SplitMix64) -> [[Double]] {
    (0..<count).map { _ in (0..<dims).map { _ in Double.random(in: -10...10, using: &g) } }
}

@Suite("ML assist: clustering, prelabel training, calibration and the live check (no disk)")
struct AssistTests {
    @Test("k-means++ finds well-separated clusters, the same ones for the same seed")
    func kmeans() {
        var g = SplitMix64(state: 7)
        let data = blobs(farCentres(4, dims: 6, using: &g), each: 30, spread: 0.5, using: &g)
        var a = SplitMix64(state: 1), b = SplitMix64(state: 1)
        let fit = KMeans.fit(data.x, k: 4, using: &a)
        #expect(fit == KMeans.fit(data.x, k: 4, using: &b))
        // Each found cluster is exactly one true blob.
        var blobOf: [Int: Set<Int>] = [:]
        for (i, c) in fit.assignment.enumerated() { blobOf[c, default: []].insert(data.labels[i]) }
        #expect(blobOf.count == 4)
        #expect(blobOf.values.allSatisfy { $0.count == 1 })
        // Asking for more clusters than points gives one per point.
        var c = SplitMix64(state: 2)
        #expect(KMeans.fit([[0], [1]], k: 5, using: &c).centroids.count == 2)
        #expect(KMeans.fit([], k: 3, using: &c).assignment.isEmpty)
    }

    @Test("Clustered pages: pure on separable images, at least twice as pure as random pages, every image once, oldest first")
    func clusteredPages() {
        var g = SplitMix64(state: 11)
        let data = blobs(farCentres(6, dims: 8, using: &g), each: 24, spread: 0.8, using: &g)
        var pool: [PoolImage] = []
        var labels: [String: String] = [:]
        for (i, row) in data.x.enumerated() {
            pool.append(PoolImage(id: "img\(i)", arrival: Double(i), vector: Vectors.normalized(row)))
            labels["img\(i)"] = "class\(data.labels[i])"
        }
        var c = SplitMix64(state: 3)
        let pages = ClusteredPages.pages(from: pool, size: 4, count: 1000, partial: true, using: &c)
        #expect(pages.flatMap { $0 }.sorted() == pool.map(\.id).sorted(), "every image on exactly one page")
        #expect(pages.allSatisfy { $0.count == 4 })
        #expect(pages.first?.first == "img0", "the image waiting longest comes first")
        // Each page starts with the oldest image left: arrivals of page heads only grow.
        let heads = pages.map { Double($0[0].dropFirst(3))! }
        #expect(heads == heads.sorted())
        let clustered = ClusteredPages.purity(pages, labels: labels)
        var r = SplitMix64(state: 4)
        let shuffled = pool.map(\.id).shuffled(using: &r)
        let random = stride(from: 0, to: shuffled.count, by: 4).map { Array(shuffled[$0..<min($0 + 4, shuffled.count)]) }
        let baseline = ClusteredPages.purity(random, labels: labels)
        #expect(clustered > 0.95, "clustered purity \(clustered)")
        #expect(clustered >= 2 * baseline, "clustered \(clustered) vs random \(baseline)")
    }

    @Test("Clustered pages wait for a full page unless flushed, and make no more than asked")
    func fullPagesOnly() {
        let pool = (0..<7).map { PoolImage(id: "i\($0)", arrival: Double($0), vector: [Double($0 % 2), 1]) }
        var g = SplitMix64(state: 5)
        #expect(ClusteredPages.pages(from: pool, size: 4, count: 5, using: &g).map(\.count) == [4])
        #expect(ClusteredPages.pages(from: pool, size: 4, count: 5, partial: true, using: &g).map(\.count) == [4, 3])
        #expect(ClusteredPages.pages(from: pool, size: 2, count: 2, using: &g).count == 2)
        // The oldest image's page takes its own kind first (even ids are [0, 1]).
        #expect(Set(ClusteredPages.pages(from: pool, size: 4, count: 1, using: &g)[0]) == ["i0", "i2", "i4", "i6"])
    }

    @Test("Softmax regression: separable classes are learned; probabilities sum to 1")
    func softmax() {
        var g = SplitMix64(state: 13)
        let data = blobs(farCentres(3, dims: 5, using: &g), each: 40, spread: 0.7, using: &g)
        let model = SoftmaxModel.train(data.x, labels: data.labels, classes: 3)
        let right = data.x.indices.filter { model.predict(data.x[$0]).label == data.labels[$0] }.count
        #expect(right == data.x.count)
        let p = model.probabilities(data.x[0])
        #expect(abs(p.reduce(0, +) - 1) < 1e-9)
        #expect(p.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test("Calibration: separable classes give full coverage at precision 1")
    func separableCalibration() throws {
        var g = SplitMix64(state: 17)
        let data = blobs(farCentres(3, dims: 6, using: &g), each: 100, spread: 0.6, using: &g)
        let heldOut = Calibration.heldOutPredictions(data.x, labels: data.labels, classes: 3)
        #expect(heldOut.count == 300)
        let threshold = try #require(Calibration.threshold(heldOut, target: 0.97))
        #expect(threshold.coverage == 1)
        #expect(threshold.precision == 1)
        #expect(threshold.lowerBound >= 0.97)
    }

    @Test("Calibration: random labels give no threshold, though the same model scored on its own training data would have one")
    func randomLabelsNoThreshold() {
        var g = SplitMix64(state: 19)
        let x = (0..<150).map { _ in (0..<200).map { _ in normal(&g) } }
        let labels = x.indices.map { _ in Int.random(in: 0..<3, using: &g) }
        #expect(Calibration.threshold(Calibration.heldOutPredictions(x, labels: labels, classes: 3), target: 0.97) == nil)
        // Scored on the data it was trained on, the same kind of model looks confident and right:
        // which is why thresholds come only from held-out predictions.
        let model = SoftmaxModel.train(x, labels: labels, classes: 3, l2: 1e-4, iterations: 600)
        let inSample = x.indices.map { i -> HeldOutPrediction in
            let p = model.predict(x[i])
            return HeldOutPrediction(predicted: p.label, confidence: p.confidence, truth: labels[i])
        }
        #expect(Calibration.threshold(inSample, target: 0.97) != nil)
    }

    @Test("Calibration holds look-alikes out together: labels shared only within groups give no threshold")
    func groupFolds() {
        // 60 groups of 4 near copies (as a clustered page holds), one random label per group.
        var g = SplitMix64(state: 29)
        var x: [[Double]] = [], labels: [Int] = [], groups: [Int] = []
        for group in 0..<60 {
            let centre = (0..<40).map { _ in normal(&g) }
            let label = Int.random(in: 0..<3, using: &g)
            for _ in 0..<4 {
                x.append(centre.map { $0 + 0.05 * normal(&g) })
                labels.append(label)
                groups.append(group)
            }
        }
        let folds = Calibration.folds(groups: groups, k: 5)
        #expect(x.indices.allSatisfy { folds[$0] == folds[$0 - $0 % 4] }, "a group is never split")
        // Folds that split groups score each image by a model that saw its copies: it looks sure and right.
        #expect(Calibration.threshold(Calibration.heldOutPredictions(x, labels: labels, classes: 3), target: 0.9) != nil)
        // Held out by group, the model has learned nothing that carries to a new image: no threshold.
        #expect(Calibration.threshold(Calibration.heldOutPredictions(x, labels: labels, classes: 3, groups: groups), target: 0.9) == nil)
    }

    @Test("Calibration folds: each image in one fold, classes spread evenly, the same for the same labels")
    func folds() {
        let labels = (0..<50).map { $0 % 3 }
        let f = Calibration.folds(labels, k: 5)
        #expect(f == Calibration.folds(labels, k: 5))
        for fold in 0..<5 {
            let members = labels.indices.filter { f[$0] == fold }
            #expect((9...11).contains(members.count))
            for c in 0..<3 { #expect((2...4).contains(members.filter { labels[$0] == c }.count)) }
        }
    }

    @Test("The threshold takes the most coverage whose lower bound meets the target, never half a tie")
    func thresholdChoice() throws {
        func p(_ confidence: Double, _ correct: Bool) -> HeldOutPrediction {
            HeldOutPrediction(predicted: correct ? 1 : 0, confidence: confidence, truth: 1)
        }
        // 150 right above 0.9, 1 wrong at 0.85, a tie at 0.8 of 48 right and 2 wrong, 30 wrong at 0.5.
        var preds = (0..<150).map { p(0.99 - Double($0) * 0.0005, true) }
        preds.append(p(0.85, false))
        preds += (0..<48).map { _ in p(0.8, true) } + [p(0.8, false), p(0.8, false)]
        preds += (0..<30).map { _ in p(0.5, false) }
        let t = try #require(Calibration.threshold(preds.shuffled(), target: 0.97, z: 1.645))
        // 150 of 151 right from 0.85: lower bound 0.971. The whole tie at 0.8 (198 of 201) falls
        // short; its right half alone (198 of 199) would not, but a threshold cannot split a tie.
        #expect(t.confidence == 0.85)
        #expect(t.heldOut == 231)
        #expect(abs(t.coverage - 151.0 / 231) < 1e-12)
        #expect(abs(t.precision - 150.0 / 151) < 1e-12)
        // Too few to trust: 20 right of 20 has a lower bound of 0.88.
        #expect(Calibration.threshold((0..<20).map { p(0.99 - Double($0) * 0.01, true) }, target: 0.97) == nil)
        // At the default 95% bound, n right of n reach 0.97 from n = 88: n / (n + 1.645^2) >= 0.97.
        #expect(Calibration.threshold((0..<87).map { p(0.99 - Double($0) * 0.001, true) }, target: 0.97) == nil)
        #expect(Calibration.threshold((0..<88).map { p(0.99 - Double($0) * 0.001, true) }, target: 0.97) != nil)
        #expect(Calibration.threshold([], target: 0.97) == nil)
    }

    @Test("Wilson bounds: known values")
    func wilson() {
        #expect(abs(Calibration.wilsonLowerBound(100, of: 100, z: 1.645) - 100 / (100 + 1.645 * 1.645)) < 1e-12)
        #expect(Calibration.wilsonLowerBound(0, of: 0) == 0)
        #expect(abs(Calibration.wilsonLowerBound(50, of: 100, z: 1.645) - 0.4182) < 1e-3)
        #expect(abs(Calibration.wilsonUpperBound(50, of: 100, z: 1.645) - 0.5818) < 1e-3)
    }

    @Test("Live check: pauses when the last 200 reviewed prelabels fall below the target, or early when clearly below")
    func liveCheck() {
        var good = LiveCheck(target: 0.97)
        for i in 0..<400 { good.record(kept: i % 50 != 0) }  // 98% kept
        #expect(good.reviews.count == 200)
        #expect(!good.shouldPause)
        var bad = good
        for i in 0..<200 { bad.record(kept: i % 20 != 0) }  // 95% kept, the window now all of these
        #expect(bad.realizedPrecision == 0.95)
        #expect(bad.shouldPause)
        var early = LiveCheck(target: 0.97)
        for i in 0..<10 { early.record(kept: i != 3) }
        #expect(!early.shouldPause, "one miss in ten is no proof")
        for _ in 0..<10 { early.record(kept: false) }
        #expect(early.shouldPause, "nine of twenty kept: clearly below")
        #expect(LiveCheck(target: 0.97).realizedPrecision == nil)
    }
}

@Suite("The embedding log: append-only lines that survive a cut")
struct EmbeddingLogTests {
    let sha1 = String(repeating: "ab", count: 32), sha2 = String(repeating: "0f", count: 32)

    @Test("A vector comes back to half precision; the first line of an image wins")
    func roundTrip() {
        let v = [0.5, -0.25, 0.123456, 1e-3, 0, -7.5]
        let text = EmbeddingLog.line(sha256: sha1, vector: v) + EmbeddingLog.line(sha256: sha2, vector: v.map { -$0 })
            + EmbeddingLog.line(sha256: sha1, vector: v.map { $0 * 2 })
        let read = EmbeddingLog.read(Array(text.utf8), dimensions: 6)
        #expect(read.skipped == 0)
        #expect(read.vectors.count == 2)
        for (a, b) in zip(read.vectors[sha1]!, v) { #expect(abs(a - b) <= abs(b) * 1e-3 + 1e-6) }
        #expect(read.vectors[sha2]![3] < 0)
        #expect(EmbeddingLog.line(sha256: sha1, vector: [.nan, .infinity]).contains(" "), "non-finite values are stored as 0")
        #expect(EmbeddingLog.read(Array(EmbeddingLog.line(sha256: sha1, vector: [.nan, 1]).utf8), dimensions: 2).vectors[sha1] == [0, 1])
    }

    @Test("A line cut at any byte by a stop is skipped, and every whole line before it counts", arguments: [0, 1, 10, 70, 100])
    func cut(_ keep: Int) {
        let whole = EmbeddingLog.line(sha256: sha1, vector: [1, 2, 3])
        let next = EmbeddingLog.line(sha256: sha2, vector: [4, 5, 6])
        let text = Array((whole + String(next.prefix(min(keep, next.count - 1)))).utf8)
        let read = EmbeddingLog.read(text, dimensions: 3)
        #expect(read.vectors.keys.sorted() == [sha1])
        #expect(read.skipped == (keep == 0 ? 0 : 1))
    }

    @Test("A damaged line, one of another dimension or junk is skipped; the lines after it still count")
    func damaged() {
        var flipped = Array(EmbeddingLog.line(sha256: sha1, vector: [1, 2, 3]).utf8)
        flipped[70] = flipped[70] == 65 ? 66 : 65
        let text = flipped + Array("junk\n\n".utf8) + Array(EmbeddingLog.line(sha256: sha1, vector: [1, 2]).utf8)
            + Array(EmbeddingLog.line(sha256: sha2, vector: [4, 5, 6]).utf8)
        let read = EmbeddingLog.read(text, dimensions: 3)
        #expect(read.vectors.keys.sorted() == [sha2])
        #expect(read.skipped == 3)
    }

    @Test("CRC-32 and base64 known answers")
    func knownAnswers() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(Base64.encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(Base64.encode(Array("fo".utf8)) == "Zm8=")
        #expect(Base64.decode(Array("Zm8=".utf8)) == Array("fo".utf8))
        #expect(Base64.decode(Array("Zm=8".utf8)) == nil)
        #expect(Base64.decode(Array("Zm8".utf8)) == nil)
    }
}
