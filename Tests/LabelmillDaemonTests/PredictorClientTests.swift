import Foundation
import LabelmillCore
@testable import LabelmillDaemon
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The predictor client against real processes: small shell scripts that
/// answer, crash, hang or print garbage on purpose (SPEC section 8).
@Suite("The predictor client, against misbehaving predictor processes")
struct PredictorClientTests {
    let folder: String

    init() throws { folder = try makeTemporaryFolder("lm-predictor") }

    /// A client for a `/bin/sh` script; `timeout` in seconds; the backoff's clock is `clock`.
    func client(_ script: String, timeout: Double = 20, clock: (() -> Double)? = nil) throws -> (PredictorClient, Warnings) {
        let path = folder + "/predictor-\(UUID().uuidString.prefix(8)).sh"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        let client = PredictorClient(settings: PredictorSettings(command: ["/bin/sh", path], timeoutSeconds: timeout), folder: folder)
        let warnings = Warnings()
        client.warn = { message, reason in warnings.add("\(message): \(reason)") }
        if let clock { client.clock = clock }
        return (client, warnings)
    }

    final class Warnings: @unchecked Sendable {
        var lines: [String] = []
        func add(_ line: String) { lines.append(line) }
    }

    func images(_ names: [String]) -> [PredictorClient.Image] {
        names.map { PredictorClient.Image(key: $0, path: "/images/\($0).png", width: 10, height: 20) }
    }

    /// Answers with a one-value embedding: the length of the request's line.
    static let echoLength = #"while IFS= read -r line; do id=${line#*\"id\":}; id=${id%%,*}; echo "{\"id\":$id,\"embedding\":[${#line}]}"; done"#

    @Test("Answers are matched by id, in whatever order they come; one process serves every batch")
    func pipelinedOutOfOrder() throws {
        // Reads three requests, then answers them last first.
        let (c, warnings) = try client(#"""
        while IFS= read -r a && IFS= read -r b && IFS= read -r c; do
          for line in "$c" "$b" "$a"; do id=${line#*\"id\":}; id=${id%%,*}; echo "{\"id\":$id,\"embedding\":[${#line}]}"; done
        done
        """#)
        let names = ["a", "bbbbbbbb", "cc"]
        let results = c.embed(images(names), task: .multiClass, tags: ["A", "B"])
        for (i, name) in names.enumerated() {
            let expected = PredictorWire.Request(id: i + 1, op: .embed, image: "/images/\(name).png", width: 10, height: 20, task: .multiClass, tags: ["A", "B"]).line
            #expect(try results[name]?.get() == [Double(expected.utf8.count - 1)], "\(name)")
        }
        #expect(c.dimensions == 1)
        #expect(try c.embed(images(["d", "e", "f"]), task: .multiClass, tags: ["A", "B"]).values.map { try $0.get().count } == [1, 1, 1])
        #expect(c.starts == 1)
        #expect(warnings.lines.isEmpty)
        c.close()
    }

    @Test("More images than the window go in batches of 16, all answered")
    func batches() throws {
        let (c, _) = try client(Self.echoLength)
        let names = (0..<40).map { "image-\($0)" }
        let results = c.embed(images(names), task: .bbox, tags: ["A"])
        #expect(results.count == 40)
        #expect(results.values.allSatisfy { (try? $0.get())?.count == 1 })
        #expect(c.starts == 1)
        c.close()
    }

    @Test("A predictor that exits at start: every image fails, and it is not started again before its backoff")
    func crashAtStart() throws {
        var now = 1000.0
        let (c, warnings) = try client("exit 3", clock: { now })
        let first = c.embed(images(["a", "b"]), task: .multiClass, tags: ["A"])
        #expect(first.values.allSatisfy { if case .failure(let f) = $0 { f.description.contains("exited with status 3") } else { false } })
        #expect(warnings.lines.contains { $0.contains("exited with status 3; next start in 1 s") })
        // Within the backoff: failed at once, nothing started.
        let second = c.embed(images(["c"]), task: .multiClass, tags: ["A"])
        #expect(c.starts == 1)
        guard case .failure(let why)? = second["c"] else { Issue.record("embedded"); return }
        #expect(why.description.contains("the predictor is not running (exited with status 3; started again in 1 s)"))
        // After it: started again, failed again, the wait doubled.
        now += 1.5
        _ = c.embed(images(["d"]), task: .multiClass, tags: ["A"])
        #expect(c.starts == 2)
        #expect(warnings.lines.last?.contains("next start in 2 s") == true)
    }

    @Test("A program that does not exist is named, and retried only after the backoff")
    func missingProgram() throws {
        var now = 0.0
        let c = PredictorClient(settings: PredictorSettings(command: ["labelmill-no-such-predictor"]), folder: folder)
        c.clock = { now }
        let result = c.embed(images(["a"]), task: .multiClass, tags: ["A"])
        guard case .failure(let why)? = result["a"] else { Issue.record("embedded"); return }
        #expect(why.description.contains("cannot start labelmill-no-such-predictor: No such file or directory"), "\(why)")
        #expect(c.backoff.failures == 1)
        now += 0.5
        _ = c.embed(images(["b"]), task: .multiClass, tags: ["A"])
        #expect(c.backoff.failures == 1)
        now += 1
        _ = c.embed(images(["c"]), task: .multiClass, tags: ["A"])
        #expect(c.backoff.failures == 2)
    }

    @Test("A predictor slow to start (an interpreter, a model loading) gets its first answer in, past timeout_seconds")
    func slowStart() throws {
        let (c, _) = try client(#"sleep 1.5; while IFS= read -r line; do id=${line#*\"id\":}; id=${id%%,*}; echo "{\"id\":$id,\"embedding\":[1]}"; done"#, timeout: 0.5)
        let result = c.embed(images(["a", "b"]), task: .multiClass, tags: ["A"])
        #expect(result.count == 2 && result.values.allSatisfy { if case .success = $0 { true } else { false } })
        #expect(c.starts == 1)
    }

    @Test("A predictor that hangs is stopped after timeout_seconds, with what it started")
    func hangs() throws {
        let pidFile = folder + "/sleeper.pid"
        // Answers once (so it has started), starts a child that would outlive a kill of the shell alone, then never answers.
        let (c, warnings) = try client(#"IFS= read -r line; id=${line#*\"id\":}; id=${id%%,*}; echo "{\"id\":$id,\"embedding\":[1]}"; "#
            + "sleep 300 & echo $! > \(pidFile); while IFS= read -r line; do :; done", timeout: 0.5)
        _ = c.embed(images(["first"]), task: .multiClass, tags: ["A"])
        let result = c.embed(images(["a", "b"]), task: .multiClass, tags: ["A"])
        #expect(result.values.allSatisfy { if case .failure(let f) = $0 { f.description.contains("gave no answer within 0.5 s") } else { false } })
        #expect(warnings.lines.contains { $0.contains("gave no answer within 0.5 s (timeout_seconds)") })
        let sleeper = try #require(Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // Killed with the predictor's process group (a zombie until init reaps it at most).
        #expect(eventually(within: 10) { kill(sleeper, 0) != 0 || Self.isZombie(sleeper) })
    }

    static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
    }

    @Test("A line that is not JSON, or an answer to an id never asked, ends the process; every image waiting fails", arguments: [
        (#"while IFS= read -r line; do echo "this is not JSON"; done"#, "printed a line that is not JSON"),
        (#"while IFS= read -r line; do echo "{\"id\":999,\"embedding\":[1]}"; done"#, "answered id 999, which it was not asked"),
        (#"while IFS= read -r line; do id=${line#*\"id\":}; id=${id%%,*}; echo "{\"id\":$id,\"embedding\":[1]}"; echo "{\"id\":$id,\"embedding\":[1]}"; done"#,
         "which it was not asked or had answered already"),
        ("while IFS= read -r line; do head -c 5000000 /dev/zero | tr '\\0' 'x'; done", "printed a line longer than 4 MiB"),
    ])
    func brokenStream(script: String, message: String) throws {
        let (c, warnings) = try client(script)
        let result = c.embed(images(["a", "b", "c"]), task: .multiClass, tags: ["A"])
        #expect(warnings.lines.contains { $0.contains(message) }, "\(warnings.lines)")
        #expect(result.count == 3)
        #expect(result.values.contains { if case .failure = $0 { true } else { false } })
        #expect(c.backoff.failures == 1)
    }

    @Test("An answer with a wrong content fails that image only; the process goes on")
    func wrongContent() throws {
        // The first answer fixes the length (2); then a string, a wrong length, an error, and a good one.
        let (c, warnings) = try client(#"""
        n=0
        while IFS= read -r line; do
          id=${line#*\"id\":}; id=${id%%,*}; n=$((n + 1))
          case $n in
            1) echo "{\"id\":$id,\"embedding\":[1,2]}" ;;
            2) echo "{\"id\":$id,\"embedding\":[1,\"x\"]}" ;;
            3) echo "{\"id\":$id,\"embedding\":[1,2,3]}" ;;
            4) echo "{\"id\":$id,\"error\":\"cannot read the image\"}" ;;
            *) echo "{\"id\":$id,\"embedding\":[3,4]}" ;;
          esac
        done
        """#)
        let r = c.embed(images(["a", "b", "c", "d", "e"]), task: .multiClass, tags: ["A"])
        #expect(try r["a"]?.get() == [1, 2])
        #expect(try r["e"]?.get() == [3, 4])
        for (key, message) in [("b", "value 2 is not a finite number"), ("c", "has 3 values; this predictor's embeddings have 2"),
                               ("d", "answered with an error: cannot read the image")] {
            guard case .failure(let why)? = r[key] else { Issue.record("\(key) embedded"); continue }
            #expect(why.description.contains(message), "\(key): \(why)")
        }
        #expect(c.starts == 1 && c.backoff.failures == 0)
        #expect(warnings.lines.count == 3)
        c.close()
    }

    @Test("A predictor that exits mid-stream: what it answered counts, the rest fail, the next batch starts it again")
    func crashMidStream() throws {
        var now = 0.0
        let (c, _) = try client(#"""
        n=0
        while IFS= read -r line; do
          n=$((n + 1)); [ $n -gt 2 ] && exit 4
          id=${line#*\"id\":}; id=${id%%,*}; echo "{\"id\":$id,\"embedding\":[$n]}"
        done
        """#, clock: { now })
        let r = c.embed(images(["a", "b", "c", "d"]), task: .multiClass, tags: ["A"])
        #expect(try r["a"]?.get() == [1] && r["b"]?.get() == [2])
        guard case .failure(let why)? = r["c"] else { Issue.record("c embedded"); return }
        #expect(why.description.contains("exited with status 4"), "\(why)")
        now += 1
        #expect(try c.embed(images(["e"]), task: .multiClass, tags: ["A"])["e"]?.get() == [1])
        #expect(c.starts == 2)
    }

    @Test("The command runs in the workspace's folder, and close() lets it end at end of input")
    func folderAndClose() throws {
        let (c, _) = try client(#"while IFS= read -r line; do id=${line#*\"id\":}; id=${id%%,*}; echo "{\"id\":$id,\"embedding\":[1]}"; done; pwd > closed.txt"#)
        _ = c.embed(images(["a"]), task: .multiClass, tags: ["A"])
        c.close()
        let written = try String(contentsOfFile: folder + "/closed.txt", encoding: .utf8)
        #expect(URL(fileURLWithPath: written.trimmingCharacters(in: .whitespacesAndNewlines)).standardizedFileURL.path
                == URL(fileURLWithPath: folder).resolvingSymlinksInPath().path)
    }
}
