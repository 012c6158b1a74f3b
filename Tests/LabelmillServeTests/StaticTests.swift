import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LabelmillServe
import Logging
import Testing

@Suite struct StaticTests {
    @Test func everyScreenURLServesTheEmbeddedIndex() async throws {
        let f = try ServeFixture()
        let index = try #require(WebAssets(overrideFolder: nil).file("index.html"))
        #expect(WebAssets.embeddedNames.contains("index.html"))
        try await f.test { web in
            for uri in ["/", "/p/p", "/p/p/instructions", "/static/index.html"] {
                let response = try await web.request(.get, uri)
                #expect(response.status == .ok, "\(uri)")
                #expect(response.bytes == index, "\(uri)")
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[.cacheControl] == "no-cache")
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
            }
        }
    }

    @Test(arguments: ["/static/..%2FPackage.swift", "/static/.hidden", "/static/nope.js", "/static/%2Fetc%2Fpasswd", "/nothing/here"])
    func otherPathsAreJSON404(_ uri: String) async throws {
        let f = try ServeFixture()
        try await f.test { web in
            let response = try await web.request(.get, uri)
            #expect(response.status == .notFound, "\(uri)")
            #expect(response.headers[.contentType] == "application/json")
            #expect(try response.json["error"]?.stringValue == "not-found")
        }
    }

    @Test func webDirOverridesTheEmbeddedFiles() async throws {
        let f = try ServeFixture()
        try f.write("web/app.js", "export const x = 1;\n")
        let server = WebServer(configuration: f.server.configuration, assets: WebAssets(overrideFolder: f.path("web")),
                               logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await Application(router: server.router()).test(.router) { client in
            let response = try await client.execute(uri: "/static/app.js", method: .get)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == "export const x = 1;\n")
            #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
        }
    }
}
