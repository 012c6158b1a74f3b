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
import TestSupport
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
        root = try makeTemporaryFolder("labelmill-serve")
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

/// Small valid PNGs made in memory, distinct by seed.
enum TinyPNG {
    static func make(width: Int, height: Int, seed: Int) -> [UInt8] {
        PNGBytes.rgb(width: width, height: height) { x, y in
            (UInt8((x * 4 + seed * 37) & 255), UInt8((y * 5 + seed * 11) & 255), UInt8((seed * 53) & 255))
        }
    }
}
