import Foundation
import LabelmillCore
import TestSupport
import Testing

/// A fresh workspace in its own temp folder, and the built binary to run on it.
final class TempWorkspace {
    let root: String

    init(_ label: String = "ws") throws {
        root = try makeTemporaryFolder("labelmill-\(label)")
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

/// Small real PNGs, distinct by seed.
enum PNGFixture {
    static func make(width: Int, height: Int, seed: UInt8 = 0) -> Data {
        Data(PNGBytes.rgb(width: width, height: height) { x, y in
            (UInt8(truncatingIfNeeded: x &* 7 &+ Int(seed)), UInt8(truncatingIfNeeded: y &* 5), seed)
        })
    }

    /// A PNG whose header claims width x height, with valid CRCs, and a tiny IDAT.
    static func claiming(width: UInt32, height: UInt32) -> Data {
        Data(PNGBytes.signature + PNGBytes.ihdr(width, height) + PNGBytes.chunk("IDAT", PNGBytes.zlibStored([0, 0, 0, 0]))
             + PNGBytes.chunk("IEND", []))
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
        let p = try Binary.start(round % 3 == 0 ? ["watch", "--once", "--root", root] : ["watch", "--root", root, "--poll", "0.02", "--settle", "0"],
                                 standardOutput: FileHandle.nullDevice)
        usleep(UInt32.random(in: pauseMicroseconds, using: &generator))
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }
}

/// `labelmill watch --settle 0.2` running on a workspace under inotify, its stderr kept;
/// terminated when released, so a failed test leaves no daemon behind.
final class WatchDaemon {
    let process: Process
    private let errors = Pipe()

    init(_ ws: TempWorkspace) throws {
        process = try Binary.start(["watch", "--root", ws.root, "--settle", "0.2"], standardError: errors)
    }

    deinit { if process.isRunning { process.terminate(); process.waitUntilExit() } }

    /// Sends SIGTERM, waits for the daemon to exit and returns all it wrote to stderr.
    func stop() -> String {
        process.terminate()
        process.waitUntilExit()
        return String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }
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
