import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LabelmillCore
import LabelmillDaemon
import LabelmillFS
import LabelmillServe
import Logging
import NIOCore
import Testing

/// A workspace in its own temp folder whose images the daemon has paged, and
/// the web server on it (tested through its router: no sockets).
final class ServeFixture: @unchecked Sendable {
    let root: String
    let workspace: Workspace
    let project = "p"
    let server: WebServer

    /// - hostNames: `localhost` lets the router tests' requests (Host: localhost) through.
    init(task: String = "bbox", tags: [String] = ["Dog", "Cat"], pageSize: Int = 2, pages: Int = 2,
         pagesPerLabeler: Int = 1, host: String = "127.0.0.1", hostNames: [String] = ["localhost"],
         instructions: String? = nil, eventInterval: Double = 0.05) throws {
        var template = Array((NSTemporaryDirectory() + "labelmill-serve-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        root = String(cString: made)
        workspace = Workspace(root: root)
        let configuration = ServeConfiguration(workspace: workspace, host: host, port: 8080, hostNames: hostNames)
        server = WebServer(configuration: configuration, assets: WebAssets(overrideFolder: nil),
                           logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                           eventInterval: eventInterval, durableWrites: false)
        let tagList = tags.map { "\"\($0)\"" }.joined(separator: ", ")
        try write("Inbox/p/project.json", "{\"task\": \"\(task)\", \"tags\": [\(tagList)], \"page_size\": \(pageSize), \"pages_per_labeler\": \(pagesPerLabeler)}")
        if let instructions { try write("Inbox/p/INSTRUCTIONS.md", instructions) }
        for i in 0..<(pages * pageSize) {
            try write("Inbox/p/img-\(i).png", Data(TinyPNG.make(width: 64, height: 48, seed: i)))
        }
        let engine = Engine(workspace: workspace, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                            now: { Date().timeIntervalSince1970 })
        engine.settleSeconds = 0
        try engine.prepare()
        engine.runOnce { Thread.sleep(forTimeInterval: $0) }
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func path(_ relative: String) -> String { root + "/" + relative }

    func write(_ relative: String, _ text: String) throws { try write(relative, Data(text.utf8)) }

    func write(_ relative: String, _ data: Data) throws {
        let p = path(relative)
        try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: p))
    }

    func bytes(_ relative: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path(relative)))) }

    func pageFile(_ page: String, of labeler: String) -> String { "Watch/p/labelers/\(labeler)/\(page)/page.json" }

    /// Runs `body` with a client that sends requests straight to the router.
    func test<R: Sendable>(_ body: @Sendable (WebClient) async throws -> R) async throws -> R {
        let app = Application(router: server.router())
        return try await app.test(.router) { client in try await body(WebClient(client: client)) }
    }
}

/// A test client that keeps one browser's cookie.
struct WebClient: Sendable {
    let client: any TestClientProtocol

    func request(_ method: HTTPRequest.Method, _ uri: String, cookie: String? = nil, headers: HTTPFields = [:],
                 body: [UInt8]? = nil) async throws -> TestResponse {
        var fields = headers
        if let cookie { fields[.cookie] = cookie }
        return try await client.execute(uri: uri, method: method, headers: fields, body: body.map { ByteBuffer(bytes: $0) })
    }

    func request(_ method: HTTPRequest.Method, _ uri: String, cookie: String? = nil, headers: HTTPFields = [:],
                 json: String) async throws -> TestResponse {
        try await request(method, uri, cookie: cookie, headers: headers, body: Array(json.utf8))
    }

    /// Signs in by name; the cookie to send with later requests.
    func signIn(_ name: String) async throws -> String {
        let response = try await request(.post, "/api/signin", json: "{\"name\": \"\(name)\"}")
        #expect(response.status == .ok, "sign-in of \(name): \(response.text)")
        let setCookie = try #require(response.headers[.setCookie])
        return String(setCookie.prefix { $0 != ";" })
    }

    /// Signs in and takes pages with `next`; the cookie and the held page ids.
    func signInAndTake(_ name: String) async throws -> (cookie: String, pages: [String]) {
        let cookie = try await signIn(name)
        let next = try await request(.post, "/api/projects/p/next", cookie: cookie)
        #expect(next.status == .ok, "next: \(next.text)")
        let pages = try next.json["pages"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return (cookie, pages)
    }
}

extension TestResponse {
    var bytes: [UInt8] { Array(body.readableBytesView) }
    var text: String { String(decoding: bytes, as: UTF8.self) }
    var json: JSONValue { get throws { try StrictJSON.parse(bytes).value } }
    var etag: String? { headers[.eTag].map { String($0.dropFirst().dropLast()) } }
}

/// Small valid PNGs made in memory (stored deflate blocks), distinct by seed.
enum TinyPNG {
    static func make(width: Int, height: Int, seed: Int) -> [UInt8] {
        var raw: [UInt8] = []
        for y in 0..<height {
            raw.append(0)
            for x in 0..<width {
                raw += [UInt8((x * 4 + seed * 37) & 255), UInt8((y * 5 + seed * 11) & 255), UInt8((seed * 53) & 255)]
            }
        }
        var ihdr: [UInt8] = []
        ihdr += be32(width) + be32(height) + [8, 2, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", zlibStored(raw)) + chunk("IEND", [])
    }

    static func be32(_ n: Int) -> [UInt8] { [UInt8((n >> 24) & 255), UInt8((n >> 16) & 255), UInt8((n >> 8) & 255), UInt8(n & 255)] }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(data.count) + body + be32(Int(crc32(body)))
    }

    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var i = 0
        repeat {
            let n = min(65535, data.count - i)
            let last: UInt8 = i + n >= data.count ? 1 : 0
            out += [last, UInt8(n & 255), UInt8(n >> 8), UInt8(~n & 255), UInt8((~n >> 8) & 255)]
            out += data[i..<(i + n)]
            i += n
        } while i < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        return out + be32(Int((b << 16) | a))
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            c ^= UInt32(byte)
            for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return c ^ 0xFFFF_FFFF
    }
}

/// Waits for a condition with a generous deadline (the machine is shared and noisy).
func eventually(timeout: Double = 20, _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        try? await Task.sleep(nanoseconds: 20_000_000)
    }
    return try condition()
}
