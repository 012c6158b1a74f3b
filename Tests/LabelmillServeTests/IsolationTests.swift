import Foundation
import HTTPTypes
import LabelmillCore
import LabelmillFS
import LabelmillServe
import Testing

/// One labeler never reaches another's pages, the inbox or a path named by the request.
@Suite struct IsolationTests {
    @Test func anotherLabelersPageAndImagesAreOutOfReach() async throws {
        let f = try ServeFixture()
        try await f.test { web in
            let (ann, annPages) = try await web.signInAndTake("ann")
            let (bob, bobPages) = try await web.signInAndTake("bob")
            #expect(annPages == ["page-000001"] && bobPages == ["page-000002"])
            let annPage = "/api/projects/p/pages/page-000001"
            let before = try f.bytes(f.pageFile("page-000001", of: "ann"))
            let get = try await web.request(.get, annPage, cookie: bob)
            #expect(get.status == .notFound)
            #expect(!get.text.contains("page-000001\","))
            #expect(try await web.request(.get, annPage + "/images/1", cookie: bob).status == .notFound)
            let tag = Hashing.sha256(before)
            let put = try await web.request(.put, annPage, cookie: bob, headers: [.ifMatch: "\"\(tag)\""], body: before)
            #expect(put.status == .conflict)
            let submit = try await web.request(.post, annPage + "/submit", cookie: bob, headers: [.ifMatch: "\"\(tag)\""])
            #expect(submit.status == .conflict)
            #expect(try f.bytes(f.pageFile("page-000001", of: "ann")) == before)
            #expect(try await web.request(.get, "/api/projects/p/pages", cookie: bob).json["pages"] == .array([.string("page-000002")]))
            // Queued pages are not reachable either, only held ones.
            #expect(try await web.request(.get, "/api/projects/p/pages/page-000002", cookie: ann).status == .notFound)
        }
    }

    @Test(arguments: [
        "/api/projects/p/pages/..%2F..%2Fbob%2Fpage-000002",
        "/api/projects/p/pages/page-000001%2F..%2F..%2Fbob%2Fpage-000002",
        "/api/projects/p/pages/%2Fetc%2Fpasswd",
        "/api/projects/p/pages/..",
        "/api/projects/p/pages/page-000001/../../bob/page-000002",
        "/api/projects/..%2FInbox/pages/page-000001",
        "/api/projects/%2E%2E/pages/page-000001",
        "/api/projects/q/pages/page-000001",
        "/api/projects/p/pages/page-000001/page.json",
        "/api/projects/p/pages/page-000001/images/1/../../page.json",
        "/api/projects/.labelmill/pages/page-000001",
        "//etc/passwd",
    ])
    func pathTricksAreRefused(_ uri: String) async throws {
        let f = try ServeFixture()
        try f.write("Inbox/q/project.json", "{\"task\": \"bbox\", \"tags\": [\"Dog\"]}")
        try await f.test { web in
            _ = try await web.signInAndTake("ann")
            let (bob, _) = try await web.signInAndTake("bob")
            let response = try await web.request(.get, uri, cookie: bob)
            #expect(response.status == .notFound || response.status == .badRequest, "\(uri): \(response.status)")
            #expect(response.headers[.contentType] == "application/json", "\(uri)")
            #expect(!response.text.contains("\"revision\""), "\(uri)")
            let put = try await web.request(.put, uri, cookie: bob, headers: [.ifMatch: "\"x\""], json: "{}")
            #expect(put.status != .ok, "PUT \(uri)")
        }
        #expect(FileManager.default.fileExists(atPath: f.path(f.pageFile("page-000002", of: "bob"))))
    }

    @Test func symlinkedLabelerFolderIsNotFollowed() async throws {
        let f = try ServeFixture()
        try await f.test { web in
            _ = try await web.signInAndTake("ann")
            let cookie = try await web.signIn("eve")
            // eve's folder is a symlink to ann's.
            try FileManager.default.createSymbolicLink(atPath: f.path("Watch/p/labelers/eve"), withDestinationPath: f.path("Watch/p/labelers/ann"))
            #expect(try await web.request(.get, "/api/projects/p/pages", cookie: cookie).json["pages"] == .array([]))
            #expect(try await web.request(.get, "/api/projects/p/pages/page-000001", cookie: cookie).status == .notFound)
            #expect(try await web.request(.get, "/api/projects/p/pages/page-000001/images/1", cookie: cookie).status == .notFound)
        }
    }
}
