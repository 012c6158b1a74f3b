import Foundation
import HTTPTypes
import Hummingbird
import LabelmillCore
import LabelmillFS
@testable import LabelmillServe
import NIOCore
import Testing

@Suite struct SecurityTests {
    @Test func wrongHostIsRefused() async throws {
        // Listening on 127.0.0.1:8080 without --host-name localhost: "Host: localhost" is someone else's name.
        let f = try ServeFixture(hostNames: [])
        try await f.test { web in
            for uri in ["/", "/api/session", "/static/index.html"] {
                let response = try await web.request(.get, uri)
                #expect(response.status == .misdirectedRequest, "\(uri)")
                #expect(try response.json["error"]?.stringValue == "wrong-host")
            }
            let signIn = try await web.request(.post, "/api/signin", json: "{\"name\": \"ann\"}")
            #expect(signIn.status == .misdirectedRequest)
            #expect(signIn.headers[.setCookie] == nil)
        }
    }

    @Test func hostRules() {
        let ws = Workspace(root: "/tmp/none")
        let loopback = AccessRules(configuration: ServeConfiguration(workspace: ws, host: "127.0.0.1", port: 8080), port: 8080)
        #expect(loopback.hostAllowed("127.0.0.1:8080"))
        #expect(loopback.hostAllowed("localhost:8080"))
        #expect(!loopback.hostAllowed("127.0.0.1:9090"))
        #expect(!loopback.hostAllowed("evil.example:8080"))
        #expect(!loopback.hostAllowed("evil.example"))
        #expect(!loopback.hostAllowed(nil))
        let named = AccessRules(configuration: ServeConfiguration(workspace: ws, host: "0.0.0.0", port: 8080, hostNames: ["Lab.Example.org"]), port: 8080)
        #expect(named.hostAllowed("lab.example.org"))
        #expect(named.hostAllowed("lab.example.org:8080"))
        #expect(!named.hostAllowed("localhost:8080"))
        #expect(!named.hostAllowed("other.example.org"))
        #expect(named.originAllowed(nil, host: "lab.example.org"))
        #expect(named.originAllowed("https://lab.example.org", host: "lab.example.org"))
        #expect(!named.originAllowed("https://evil.example", host: "lab.example.org"))
        #expect(!named.originAllowed("null", host: "lab.example.org"))
        #expect(!named.originAllowed("http://lab.example.org:8080", host: "lab.example.org"))
    }

    @Test func listenAddresses() {
        #expect(ServeConfiguration.parseListen("127.0.0.1:8080")! == ("127.0.0.1", 8080))
        #expect(ServeConfiguration.parseListen("[::1]:9000")! == ("::1", 9000))
        #expect(ServeConfiguration.parseListen("localhost:0")! == ("127.0.0.1", 0))
        for bad in ["8080", "host:", ":80", "a:b", "1.2.3.4:70000", "::1:80", "h:+80"] {
            #expect(ServeConfiguration.parseListen(bad) == nil, "\(bad)")
        }
        #expect(ServeConfiguration.isLoopback("127.0.0.1") && ServeConfiguration.isLoopback("::1"))
        #expect(!ServeConfiguration.isLoopback("0.0.0.0") && !ServeConfiguration.isLoopback("192.168.1.2"))
    }

    @Test func crossSiteChangesAreRefused() async throws {
        let f = try ServeFixture()
        try await f.test { web in
            let evil = try await web.request(.post, "/api/signin", headers: [.origin: "http://evil.example"], json: "{\"name\": \"ann\"}")
            #expect(evil.status == .forbidden)
            #expect(try evil.json["error"]?.stringValue == "cross-site")
            #expect(evil.headers[.setCookie] == nil)
            let own = try await web.request(.post, "/api/signin", headers: [.origin: "http://localhost"], json: "{\"name\": \"ann\"}")
            #expect(own.status == .ok)
            let cookie = String(try #require(own.headers[.setCookie]).prefix { $0 != ";" })
            // A script with the cookie and no Origin may change things; a page elsewhere may not.
            #expect(try await web.request(.post, "/api/projects/p/next", cookie: cookie).status == .ok)
            let page = "/api/projects/p/pages/page-000001"
            let got = try await web.request(.get, page, cookie: cookie)
            for origin in ["http://evil.example", "null", "http://localhost.evil.example"] {
                let put = try await web.request(.put, page, cookie: cookie, headers: [.ifMatch: "\"\(got.etag!)\"", .origin: origin], body: got.bytes)
                #expect(put.status == .forbidden, "\(origin)")
                let leave = try await web.request(.post, "/api/projects/p/leave", cookie: cookie, headers: [.origin: origin])
                #expect(leave.status == .forbidden, "\(origin)")
            }
            #expect(try f.bytes(f.pageFile("page-000001", of: "ann")) == got.bytes)
        }
    }

    @Test func bodyOver16MiBIs413() async throws {
        let f = try ServeFixture()
        try await f.test { web in
            let (cookie, _) = try await web.signInAndTake("ann")
            let page = "/api/projects/p/pages/page-000001"
            let got = try await web.request(.get, page, cookie: cookie)
            let huge = [UInt8](repeating: 32, count: 17 << 20)
            let put = try await web.request(.put, page, cookie: cookie, headers: [.ifMatch: "\"\(got.etag!)\""], body: huge)
            #expect(put.status == .contentTooLarge)
            #expect(try put.json["error"]?.stringValue == "too-large")
            #expect(try await web.request(.post, "/api/signin", body: huge).status == .contentTooLarge)
            #expect(try f.bytes(f.pageFile("page-000001", of: "ann")) == got.bytes)
        }
    }

    /// A body with no length (chunked) is cut off as soon as it passes the limit, not read whole.
    @Test func chunkedBodyStopsAtTheLimit() async throws {
        let chunk = ByteBuffer(repeating: 32, count: 1 << 20)
        let sent = Guarded(0)
        let stream = AsyncStream<ByteBuffer> { continuation in
            for _ in 0..<64 { continuation.yield(chunk) }
            continuation.finish()
        }
        let counted = stream.map { buffer -> ByteBuffer in sent.with { $0 += 1 }; return buffer }
        await #expect(throws: APIError.self) { try await BodyLimit.collect(RequestBody(asyncSequence: counted), limit: WebServer.bodyLimit) }
        #expect(sent.with { $0 } == 17)
        let small = AsyncStream<ByteBuffer> { c in c.yield(ByteBuffer(string: "{}")); c.finish() }
        #expect(try await BodyLimit.collect(RequestBody(asyncSequence: small), limit: WebServer.bodyLimit) == Array("{}".utf8))
    }

    @Test func everyAPICallNeedsASession() async throws {
        let f = try ServeFixture()
        try await f.test { web in
            for (method, uri) in [(HTTPRequest.Method.get, "/api/projects"), (.post, "/api/projects/p/next"), (.post, "/api/projects/p/leave"),
                                  (.get, "/api/projects/p/pages"), (.get, "/api/projects/p/pages/page-000001"),
                                  (.put, "/api/projects/p/pages/page-000001"), (.post, "/api/projects/p/pages/page-000001/submit"),
                                  (.get, "/api/projects/p/pages/page-000001/images/1"), (.get, "/api/projects/p/events"),
                                  (.get, "/api/projects/p/instructions"), (.post, "/api/signout")] {
                let response = try await web.request(method, uri, headers: [.ifMatch: "\"x\""])
                #expect(response.status == .unauthorized, "\(method) \(uri)")
            }
        }
    }
}
