import Foundation
import HTTPTypes
import LabelmillCore
import LabelmillServe
import Testing

@Suite struct SignInTests {
    @Test func signedOutUntilSignIn() async throws {
        let f = try ServeFixture()
        try await f.test { web in
            let before = try await web.request(.get, "/api/session")
            #expect(before.status == .unauthorized)
            #expect(try before.json["error"]?.stringValue == "signed-out")
            #expect(try await web.request(.get, "/api/projects").status == .unauthorized)
            let cookie = try await web.signIn("ann")
            #expect(cookie.hasPrefix("lm_session="))
            // 32 random bytes, in hex.
            #expect(cookie.dropFirst("lm_session=".count).count == 64)
            let session = try await web.request(.get, "/api/session", cookie: cookie)
            #expect(try session.json["name"]?.stringValue == "ann")
            #expect(try session.json["loopback"] == .bool(true))
            let forged = try await web.request(.get, "/api/session", cookie: "lm_session=" + String(repeating: "0", count: 64))
            #expect(forged.status == .unauthorized)
        }
    }

    @Test func cookieIsHttpOnlyAndStrict() async throws {
        let f = try ServeFixture()
        try await f.test { web in
            let response = try await web.request(.post, "/api/signin", json: "{\"name\": \"ann\"}")
            let header = try #require(response.headers[.setCookie])
            #expect(header.contains("HttpOnly"))
            #expect(header.contains("SameSite=Strict"))
            #expect(header.contains("Path=/"))
        }
    }

    @Test(arguments: ["../ann", ".hidden", "a/b", "", "page-000001", String(repeating: "x", count: 65), "ann smith", "ännä"])
    func badNamesAreRefusedWithTheRule(_ name: String) async throws {
        let f = try ServeFixture()
        try await f.test { web in
            let body = JSONWriter.compact(.object([("name", .string(name))]))
            let response = try await web.request(.post, "/api/signin", json: body)
            #expect(response.status == .badRequest, "\(name)")
            let message = try response.json["message"]?.stringValue ?? ""
            #expect(message.contains("1-64 letters") || message.contains("page id"), "\(message)")
            #expect(response.headers[.setCookie] == nil)
        }
    }

    @Test func nameSignInOnlyOnLoopback() async throws {
        let f = try ServeFixture(host: "0.0.0.0")
        try await f.test { web in
            let response = try await web.request(.post, "/api/signin", json: "{\"name\": \"ann\"}")
            #expect(response.status == .forbidden)
            #expect(try response.json["error"]?.stringValue == "token-required")
        }
    }

    @Test func tokenSignsInUntilRevoked() async throws {
        let f = try ServeFixture(host: "0.0.0.0")
        let store = TokenStore(workspace: f.workspace)
        let token = try store.add("bob", created: "2026-12-01T00:00:00Z")
        try await f.test { web in
            let signIn = try await web.request(.post, "/api/signin", json: "{\"token\": \"\(token)\"}")
            #expect(signIn.status == .ok)
            #expect(try signIn.json["name"]?.stringValue == "bob")
            let cookie = String(try #require(signIn.headers[.setCookie]).prefix { $0 != ";" })
            #expect(try await web.request(.get, "/api/projects", cookie: cookie).status == .ok)

            #expect(try store.revoke("bob") == 1)
            // The session it opened ends, and the link no longer signs in.
            #expect(try await web.request(.get, "/api/projects", cookie: cookie).status == .unauthorized)
            let again = try await web.request(.post, "/api/signin", json: "{\"token\": \"\(token)\"}")
            #expect(again.status == .unauthorized)
            #expect(try again.json["error"]?.stringValue == "bad-token")
            let wrong = try await web.request(.post, "/api/signin", json: "{\"token\": \"lm_nope\"}")
            #expect(wrong.status == .unauthorized)
        }
    }

    @Test func tokensFileIsPrivateAndHoldsOnlyHashes() throws {
        let f = try ServeFixture()
        let store = TokenStore(workspace: f.workspace)
        let first = try store.add("ann", created: "t1")
        let second = try store.add("bob", created: "t2")
        var s = stat()
        #expect(lstat(store.file, &s) == 0)
        #expect(s.st_mode & 0o777 == 0o600)
        let text = String(decoding: try f.bytes(".labelmill/tokens.json"), as: UTF8.self)
        #expect(!text.contains(first) && !text.contains(String(first.dropFirst(3))))
        #expect(!text.contains(second))
        #expect(text.contains(TokenStore.hash(first)))
        #expect(try store.labeler(for: first) == "ann")
        #expect(try store.entries().map(\.name) == ["ann", "bob"])
        try store.revoke("ann")
        #expect(try store.labeler(for: first) == nil)
        #expect(try store.labeler(for: second) == "bob")
        #expect(lstat(store.file, &s) == 0 && s.st_mode & 0o777 == 0o600)
    }

    @Test func signOutReturnsHeldPagesAndEndsTheSession() async throws {
        let f = try ServeFixture()
        try await f.test { web in
            let (cookie, pages) = try await web.signInAndTake("ann")
            #expect(pages == ["page-000001"])
            let out = try await web.request(.post, "/api/signout", cookie: cookie)
            #expect(out.status == .ok)
            #expect(try out.json["returned"]?["p"] == .array([.string("page-000001")]))
            #expect(out.headers[.setCookie]?.contains("Max-Age=0") == true)
            #expect(FileManager.default.fileExists(atPath: f.path("Watch/p/queue/page-000001/page.json")))
            #expect(FileManager.default.fileExists(atPath: f.path("Watch/p/labelers/ann/SIGNED-OUT.txt")))
            #expect(try await web.request(.get, "/api/session", cookie: cookie).status == .unauthorized)
        }
    }

    @Test func projectsListCountsAndHeldPages() async throws {
        let f = try ServeFixture(instructions: "# Hi")
        try f.write("Inbox/broken/project.json", "{\"task\": \"bbox\", \"tgas\": []}")
        try await f.test { web in
            let (cookie, _) = try await web.signInAndTake("ann")
            let list = try await web.request(.get, "/api/projects", cookie: cookie).json
            let projects = try #require(list["projects"]?.arrayValue)
            let p = try #require(projects.first { $0["name"]?.stringValue == "p" })
            #expect(p["task"]?.stringValue == "bbox")
            #expect(p["queued"]?.numberValue == 1)
            #expect(p["done"]?.numberValue == 0)
            #expect(p["held"] == .array([.string("page-000001")]))
            #expect(p["has_instructions"] == .bool(true))
            let broken = try #require(projects.first { $0["name"]?.stringValue == "broken" })
            #expect(broken["error"]?.stringValue?.contains("tgas") == true)
            #expect(broken["queued"] == nil)
        }
    }

    @Test func nextWithEmptyQueueSaysNoMorePages() async throws {
        let f = try ServeFixture(pages: 1)
        try await f.test { web in
            _ = try await web.signInAndTake("ann")
            let (cookie, pages) = try await web.signInAndTake("bob")
            #expect(pages.isEmpty)
            let next = try await web.request(.post, "/api/projects/p/next", cookie: cookie)
            #expect(try next.json["no_more_pages"] == .bool(true))
            let left = try await web.request(.post, "/api/projects/p/leave", cookie: cookie)
            #expect(try left.json["returned"] == .array([]))
        }
    }
}
