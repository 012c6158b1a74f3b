// assist-eval: labelmill's ML assist core on a labeled image set, for
// Benchmarks/assist_bench.py (which runs scikit-learn's baseline on the same
// features and budgets).
//
//   assist-eval features --truth CSV --images DIR --embedder builtin|pixels > FEATURES.csv
//   assist-eval evaluate --features FEATURES.csv --budgets 100,300,600 [--target 0.97] [--seed 1] [--pages 4,9]
//
// FEATURES.csv: one image a line, `label,f1,f2,...`. `evaluate` shuffles the
// images (seeded; --seed 0 keeps the file's order), takes the first BUDGET as labeled by people, picks the
// threshold by 5-fold calibration on them, trains on all of them, and prelabels
// the rest: coverage is the share of the rest at or above the threshold,
// precision the share of those prelabels that are right. Then the purity of
// clustered pages against random pages over all images. One JSON object a line.
import Foundation
import LabelmillCore
import LabelmillFS

struct Failure: Error, CustomStringConvertible { let description: String }

func option(_ name: String, in args: [String]) -> String? {
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}

func required(_ name: String, in args: [String]) throws -> String {
    guard let value = option(name, in: args) else { throw Failure(description: "\(name) is required") }
    return value
}

/// A minimal SplitMix64, so runs are repeatable.
struct Seeded: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func features(_ args: [String]) throws {
    let truth = try String(contentsOfFile: try required("--truth", in: args), encoding: .utf8)
    let images = try required("--images", in: args)
    let embedder = option("--embedder", in: args) ?? "builtin"
    guard ["builtin", "pixels"].contains(embedder) else { throw Failure(description: "--embedder is builtin or pixels") }
    var out = ""
    for line in truth.split(whereSeparator: \.isNewline).dropFirst() {
        let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard fields.count >= 2 else { continue }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: images + "/" + fields[0])))
        let rgb = try Thumbnail.rgb(of: bytes)
        let vector: [Double]
        if embedder == "builtin" {
            vector = BuiltinEmbedding.features(rgb: rgb)
        } else {
            // Raw pixels: the 32 x 32 grey thumbnail, 0-1.
            vector = stride(from: 0, to: rgb.count, by: 3).map { (i: Int) -> Double in
                let sum = Int(rgb[i]) + Int(rgb[i + 1]) + Int(rgb[i + 2])
                return Double(sum) / 765
            }
        }
        out += fields[1] + "," + vector.map { String(format: "%.6g", $0) }.joined(separator: ",") + "\n"
    }
    FileHandle.standardOutput.write(Data(out.utf8))
}

func evaluate(_ args: [String]) throws {
    let text = try String(contentsOfFile: try required("--features", in: args), encoding: .utf8)
    var rows: [(label: String, x: [Double])] = []
    for line in text.split(whereSeparator: \.isNewline) {
        let fields = line.split(separator: ",")
        rows.append((String(fields[0]), fields.dropFirst().map { Double($0) ?? 0 }))
    }
    let classes = Array(Set(rows.map(\.label))).sorted()
    let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
    let target = Double(option("--target", in: args) ?? "0.97") ?? 0.97
    let seed = UInt64(option("--seed", in: args) ?? "1") ?? 1
    var generator = Seeded(state: seed)
    // Seed 0: the images in the order given (the caller shuffled them).
    let order = seed == 0 ? Array(rows.indices) : rows.indices.shuffled(using: &generator)
    let budgets = (option("--budgets", in: args) ?? "100,300,600").split(separator: ",").compactMap { Int($0) }
    for budget in budgets where budget < rows.count {
        let labeled = order.prefix(budget), rest = order.dropFirst(budget)
        let x = labeled.map { rows[$0].x }, y = labeled.map { index[rows[$0].label]! }
        let start = Date()
        let heldOut = Calibration.heldOutPredictions(x, labels: y, classes: classes.count)
        let threshold = Calibration.threshold(heldOut, target: target, z: Double(option("--z", in: args) ?? "") ?? Calibration.z)
        let model = SoftmaxModel.train(x, labels: y, classes: classes.count)
        var shown = 0, right = 0
        if let threshold {
            for i in rest {
                let p = model.predict(rows[i].x)
                guard p.confidence >= threshold.confidence else { continue }
                shown += 1
                if p.label == index[rows[i].label]! { right += 1 }
            }
        }
        let result: [String: Any] = [
            "budget": budget, "threshold": threshold?.confidence ?? NSNull(), "heldout_lower_bound": threshold?.lowerBound ?? NSNull(),
            "coverage": Double(shown) / Double(rest.count), "precision": shown == 0 ? NSNull() : Double(right) / Double(shown) as Any,
            "prelabeled": shown, "rest": rest.count, "seconds": Date().timeIntervalSince(start),
        ]
        print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
    }
    var labels: [String: String] = [:]
    let pool = rows.indices.map { i -> PoolImage in
        labels["\(i)"] = rows[i].label
        return PoolImage(id: "\(i)", arrival: Double(order.firstIndex(of: i)!), vector: Vectors.normalized(rows[i].x))
    }
    for size in (option("--pages", in: args) ?? "4,9").split(separator: ",").compactMap({ Int($0) }) {
        // Pages as the daemon makes them: a pool of queue_pages (20) pages' worth at a time, oldest first.
        var pages: [[String]] = []
        var waiting = pool.sorted { $0.arrival < $1.arrival }
        let batch = 20 * size * 2
        while waiting.count >= size {
            let window = Array(waiting.prefix(batch))
            let made = ClusteredPages.pages(from: window, size: size, count: 20, using: &generator)
            let taken = Set(made.flatMap { $0 })
            pages += made
            waiting.removeAll { taken.contains($0.id) }
            if made.isEmpty { break }
        }
        let shuffled = pool.map(\.id).shuffled(using: &generator)
        let random = stride(from: 0, to: shuffled.count - size + 1, by: size).map { Array(shuffled[$0..<($0 + size)]) }
        let result: [String: Any] = ["page_size": size, "clustered": ClusteredPages.purity(pages, labels: labels),
                                     "random": ClusteredPages.purity(random, labels: labels), "pages": pages.count]
        print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
    }
}

let args = Array(CommandLine.arguments.dropFirst())
do {
    switch args.first {
    case "features": try features(args)
    case "evaluate": try evaluate(args)
    default: throw Failure(description: "usage: assist-eval features|evaluate ... (see Benchmarks/AssistEval/main.swift)")
    }
} catch {
    FileHandle.standardError.write(Data("assist-eval: \(error)\n".utf8))
    exit(1)
}
