import Foundation
import LabelmillCore
import Testing

/// A fresh workspace in its own temp folder, and the built binary to run on it.
final class TempWorkspace {
    let root: String

    init(_ label: String = "ws") throws {
        var template = Array((NSTemporaryDirectory() + "labelmill-\(label)-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        root = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func path(_ relative: String) -> String { root + "/" + relative }

    func write(_ relative: String, _ data: Data) throws {
        let p = path(relative)
        try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: p))
    }

    func write(_ relative: String, _ text: String) throws { try write(relative, Data(text.utf8)) }

    func read(_ relative: String) throws -> String { try String(contentsOfFile: path(relative), encoding: .utf8) }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path(relative)) }

    /// Names in a folder, sorted; [] when it does not exist.
    func list(_ relative: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path(relative))) ?? []).sorted()
    }

    /// Every file below a folder, relative to it, sorted.
    func files(under relative: String) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: path(relative)) else { return [] }
        var out: [String] = []
        while let f = e.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path(relative) + "/" + f, isDirectory: &isDir), !isDir.boolValue { out.append(f) }
        }
        return out.sorted()
    }

    func project(_ name: String, task: String, tags: [String], pageSize: Int = 4, extra: String = "") throws {
        let tagList = tags.map { "\"\($0)\"" }.joined(separator: ", ")
        try write("Inbox/\(name)/project.json", "{\"task\": \"\(task)\", \"tags\": [\(tagList)], \"page_size\": \(pageSize)\(extra)}")
    }

    @discardableResult
    func run(_ args: String..., expect status: Int32? = 0, sourceLocation: SourceLocation = #_sourceLocation) throws -> CommandResult {
        try run(args, expect: status, sourceLocation: sourceLocation)
    }

    @discardableResult
    func run(_ args: [String], expect status: Int32? = 0, sourceLocation: SourceLocation = #_sourceLocation) throws -> CommandResult {
        let result = try Binary.run(args + ["--root", root])
        if let status {
            #expect(result.status == status, "labelmill \(args.joined(separator: " ")): \(result.stderr)", sourceLocation: sourceLocation)
        }
        return result
    }

    /// Page folders in the queue.
    var queued: [String] { list("Watch/\(defaultProject)/queue") }
    var defaultProject = "p"

    func pageJSON(_ folder: String) throws -> JSONValue {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path(folder + "/page.json"))))
        return try StrictJSON.parse(bytes).value
    }
}

struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum Binary {
    /// The built labelmill next to the test bundle, or $LABELMILL_BIN.
    static var path: String {
        if let env = ProcessInfo.processInfo.environment["LABELMILL_BIN"] { return env }
        let bundleDir = Bundle.main.bundleURL.deletingLastPathComponent()
        for dir in [Bundle.main.bundleURL, bundleDir] {
            let candidate = dir.appendingPathComponent("labelmill").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return here.appendingPathComponent(".build/debug/labelmill").path
    }

    static func run(_ args: [String], environment: [String: String] = [:]) throws -> CommandResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["LABELMILL_ROOT"] = nil
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        // Read both pipes fully before waiting, so a chatty child never blocks.
        var outData = Data(), errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return CommandResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// Small real PNGs, written without a library: stored deflate blocks, real CRCs.
enum PNGFixture {
    static func make(width: Int, height: Int, seed: UInt8 = 0) -> Data {
        var raw: [UInt8] = []
        for y in 0..<height {
            raw.append(0)
            for x in 0..<width {
                raw += [UInt8(truncatingIfNeeded: x &* 7 &+ Int(seed)), UInt8(truncatingIfNeeded: y &* 5), seed]
            }
        }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var ihdr: [UInt8] = []
        ihdr += be32(UInt32(width)) + be32(UInt32(height)) + [8, 2, 0, 0, 0]
        png += chunk("IHDR", ihdr)
        png += chunk("IDAT", zlibStored(raw))
        png += chunk("IEND", [])
        return Data(png)
    }

    /// A PNG whose header claims width x height, with valid CRCs, and a tiny IDAT.
    static func claiming(width: UInt32, height: UInt32) -> Data {
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += chunk("IHDR", be32(width) + be32(height) + [8, 2, 0, 0, 0])
        png += chunk("IDAT", zlibStored([0, 0, 0, 0]))
        png += chunk("IEND", [])
        return Data(png)
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let t = Array(type.utf8)
        return be32(UInt32(data.count)) + t + data + be32(crc32(t + data))
    }

    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var i = 0
        repeat {
            let n = min(65535, data.count - i)
            let final: UInt8 = i + n >= data.count ? 1 : 0
            out += [final, UInt8(n & 255), UInt8(n >> 8), UInt8(~n & 255), UInt8((~n >> 8) & 255)]
            out += data[i..<i + n]
            i += n
        } while i < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        return out + be32(b << 16 | a)
    }

    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFFFFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 255)] ^ (c >> 8) }
        return c ^ 0xFFFFFFFF
    }
}

extension TempWorkspace {
    /// Drops a finished file into the workspace as a copier does: written aside under a hidden name, renamed in.
    func dropFinished(_ relative: String, _ data: Data) throws {
        let hidden = (relative as NSString).deletingLastPathComponent + "/." + (relative as NSString).lastPathComponent + ".tmp"
        try write(hidden, data)
        try FileManager.default.moveItem(atPath: path(hidden), toPath: path(relative))
    }

    /// Tags every image of a page with `tag` and marks it submitted, saved as an editor
    /// does: a temp file renamed over page.json. A page without images is left as it is.
    func submitEveryImage(tagged tag: String, in folder: String) throws {
        var page = try pageJSON(folder)
        guard case .array(var images) = page["images"] else { return }
        for i in images.indices { images[i].setMember("tags", .array([.string(tag)])) }
        page.setMember("images", .array(images))
        page.setMember("status", .string("submitted"))
        try write(folder + "/.page.json.swp.tmp", JSONWriter.pretty(page))
        _ = rename(path(folder + "/.page.json.swp.tmp"), path(folder + "/page.json"))
    }

    /// Starts the daemon (a single pass every third round, polling otherwise) and kills it
    /// with SIGKILL after a random pause, so it dies at a random moment of its work.
    func startDaemonThenKillNine(round: Int, pauseMicroseconds: ClosedRange<UInt32>, using generator: inout SystemRandomNumberGenerator) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Binary.path)
        p.arguments = round % 3 == 0 ? ["watch", "--once", "--root", root] : ["watch", "--root", root, "--poll", "0.02", "--settle", "0"]
        p.standardError = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        usleep(UInt32.random(in: pauseMicroseconds, using: &generator))
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }
}

/// `labelmill watch --settle 0.2` running on a workspace under inotify, its stderr kept;
/// terminated when released, so a failed test leaves no daemon behind.
final class WatchDaemon {
    let process = Process()
    private let errors = Pipe()

    init(_ ws: TempWorkspace) throws {
        process.executableURL = URL(fileURLWithPath: Binary.path)
        process.arguments = ["watch", "--root", ws.root, "--settle", "0.2"]
        process.standardError = errors
        try process.run()
    }

    deinit { if process.isRunning { process.terminate(); process.waitUntilExit() } }

    /// Sends SIGTERM, waits for the daemon to exit and returns all it wrote to stderr.
    func stop() -> String {
        process.terminate()
        process.waitUntilExit()
        return String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }
}

/// Waits up to `seconds` for a condition, checking every 50 ms: real time, so callers give generous timeouts.
func eventually(within seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(50_000)
    }
    return condition()
}

extension TempWorkspace {
    /// A workspace with a multi-class project "p" of one-image pages, its images paged by one daemon pass.
    static func withOneImagePages(_ label: String, tags: [String], images: [(name: String, png: Data)]) throws -> TempWorkspace {
        let ws = try TempWorkspace(label)
        try ws.project("p", task: "multi-class", tags: tags, pageSize: 1)
        for image in images { try ws.write("Inbox/p/\(image.name)", image.png) }
        try ws.run("watch", "--once")
        return ws
    }
}
