import Testing
@testable import LabelmillCore
import TestSupport

/// Whatever a labeler or a broken tool writes, the reader, the validator, the
/// rewrite of a rejected page and the labeling edits answer with errors: they
/// never crash or hang. Mutations are seeded, so a failure can be replayed.
@Suite("Robustness: mutated pages never crash the core")
struct RobustnessTests {
    /// Values a careless edit or a hostile tool might put anywhere.
    static let nasty = [
        "1e400", "-1e400", "-0", "1e-400", "9007199254740993", "NaN", "null", "true", "[]", "{}", "\"\"",
        "[[0,0],[0,0],[0,0]]", "[[1e308,1e308],[-1e308,1],[3,4]]", "\"\\ud800\"", "\"\u{0}\"", "0.5", "-5",
        "[[1,1],[5,5],[1,5],[5,1]]", "{\"x\":1}", "\"../../etc/passwd\"", "\"page.json\"", "12345678901234567890",
    ]

    static func mutate(_ text: String, _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = Array(text.utf8)
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !bytes.isEmpty else { break }
            let i = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: bytes.remove(at: i)
            case 1: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: i)
            case 2: bytes[i] = Array("{}[],:\"0-.e ".utf8).randomElement(using: &rng)!
            case 3: bytes.removeLast(Int.random(in: 0...min(40, bytes.count), using: &rng))
            default:
                // Replace a number or a literal with something nasty.
                let digits = Set(Array("0123456789".utf8))
                if let start = bytes[i...].firstIndex(where: { digits.contains($0) }) {
                    var end = start
                    while end < bytes.count, digits.contains(bytes[end]) || bytes[end] == UInt8(ascii: ".") { end += 1 }
                    bytes.replaceSubrange(start..<end, with: Array(nasty.randomElement(using: &rng)!.utf8))
                }
            }
        }
        return bytes
    }

    @Test("5,000 mutated pages per task: errors, never a crash", arguments: ["multi-class", "multi-label", "bbox", "polygon"])
    func mutatedPages(task: String) {
        var rng = SplitMix64(state: UInt64(task.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) }))
        let valid = Pages.text(task, Pages.images(task))
        let expected = Pages.expected(task)
        var rejected = 0
        for _ in 0..<5000 {
            let bytes = Self.mutate(valid, &rng)
            let check = SubmissionValidator.check(bytes, expected: expected, files: Pages.files)
            if !check.errors.isEmpty { rejected += 1 }
            for e in check.errors {
                #expect(e.line >= 1 && e.column >= 1 && !e.message.isEmpty)
            }
            if let rewrite = SubmissionValidator.rejectedText(for: check) {
                // The rewritten page is strict JSON and keeps the errors it names.
                #expect((try? StrictJSON.parse(Array(rewrite.text.utf8))) != nil)
            }
            // Labeling edits on whatever parsed: refused or applied, never a crash.
            if let node = check.node {
                var page = node.value
                page.setMember("status", .string("open"))
                if let labeling = try? PageLabeling(page, fallbackID: "page-000001") {
                    _ = try? labeling.tag(.all, with: .key(1))
                    _ = try? labeling.untag(.some(["2", "b.png"]), with: .name("Cat"))
                    _ = try? labeling.addBox(image: "1", tag: .key(2), at: .template(Point(x: 1, y: 1)))
                    _ = try? labeling.addPolygon(image: "2", tag: .name("Dog"), points: [Point(x: 1, y: 1), Point(x: 9, y: 1), Point(x: 5, y: 7)])
                    _ = try? labeling.retagRegion(image: "1", index: 1, tag: .key(1))
                    _ = try? labeling.setRegion(image: "1", index: 1, to: .box(Box(x: 0, y: 0, width: 1, height: 1)))
                    _ = try? labeling.deleteRegion(image: "a.png", index: 1)
                    _ = try? labeling.clearRegions(image: "2")
                }
            }
        }
        #expect(rejected > 4000)
    }

    @Test("Random bytes never crash the reader; each refusal says why and points inside the text")
    func randomBytes() {
        var rng = SplitMix64(state: 42)
        var refused = 0
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...64, using: &rng)
            let bytes = (0..<count).map { _ in Array("{}[],:\"0123456789.eE+-tfnrul \\\n".utf8).randomElement(using: &rng)! }
            do {
                _ = try StrictJSON.parse(bytes)
            } catch {
                refused += 1
                let at = error.position
                #expect(!error.message.isEmpty && at.line >= 1 && at.column >= 1 && (0...bytes.count).contains(at.offset),
                        "\(String(decoding: bytes, as: UTF8.self)): \(error.message) at \(at)")
            }
        }
        #expect(refused > 0)
    }

    @Test("Deep nesting and huge numbers are refused with a message, quickly")
    func pathological() {
        let deep = Array(repeating: UInt8(ascii: "["), count: 1_000_000)
        #expect(throws: JSONSyntaxError.self) { try StrictJSON.parse(deep) }
        let long = Array(("[" + String(repeating: "9", count: 100_000) + "]").utf8)
        #expect(throws: JSONSyntaxError.self) { try StrictJSON.parse(long) }
    }
}
