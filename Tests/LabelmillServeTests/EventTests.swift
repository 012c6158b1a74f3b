import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LabelmillCore
import LabelmillDaemon
import LabelmillFS
@testable import LabelmillServe
import TestSupport
import Testing

@Suite struct EventTests {
    func take(_ f: ServeFixture, _ name: String) throws -> [String] {
        let queue = WorkQueue(workspace: f.workspace, project: "p")
        try queue.signIn(name)
        return try queue.fill(name, upTo: 1)
    }

    @Test func eachChangeOfAHeldPageIsReported() throws {
        let f = try ServeFixture(pages: 3)
        #expect(try take(f, "ann") == ["page-000001"])
        let pages = try LabelerPages(workspace: f.workspace, project: "p", labeler: "ann")
        var watch = PageWatch(pages: pages)
        #expect(watch.poll().isEmpty)

        // Rewritten on disk (vim): page-changed with the new ETag.
        let file = f.pageFile("page-000001", of: "ann")
        var bytes = try f.bytes(file)
        bytes += Array("\n".utf8)
        try f.write(file, Data(bytes))
        #expect(watch.poll() == [PageEvent(kind: .changed, page: "page-000001", etag: Hashing.sha256(bytes))])
        #expect(watch.poll().isEmpty)

        // The daemon rejects it: page-rejected.
        var value = try StrictJSON.parse(bytes).value
        value.setMember("status", .string("rejected"))
        let rejected = JSONWriter.prettyBytes(value)
        try f.write(file, Data(rejected))
        #expect(watch.poll() == [PageEvent(kind: .rejected, page: "page-000001", etag: Hashing.sha256(rejected))])

        // Accepted: the folder moves to the outbox.
        try FileManager.default.createDirectory(atPath: f.path("Outbox/p"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: f.path("Watch/p/labelers/ann/page-000001"), toPath: f.path("Outbox/p/page-000001"))
        // A new page comes to ann.
        #expect(try WorkQueue(workspace: f.workspace, project: "p").fill("ann", upTo: 1) == ["page-000002"])
        #expect(watch.poll() == [PageEvent(kind: .accepted, page: "page-000001"), PageEvent(kind: .added, page: "page-000002")])

        // Taken away (leave, a lease that ran out): page-removed.
        _ = try WorkQueue(workspace: f.workspace, project: "p").release("ann", reason: "test")
        #expect(watch.poll() == [PageEvent(kind: .removed, page: "page-000002")])
    }

    @Test func frames() {
        #expect(PageEvent(kind: .changed, page: "page-000001", etag: "ab").frame
                == "event: page-changed\ndata: {\"page\":\"page-000001\",\"etag\":\"ab\"}\n\n")
        #expect(PageEvent(kind: .removed, page: "page-000001").frame == "event: page-removed\ndata: {\"page\":\"page-000001\"}\n\n")
    }

    /// Through the router: the stream sends page-changed when page.json is rewritten on disk, and ends when told.
    @Test func streamSendsPageChanged() async throws {
        let f = try ServeFixture()
        try await f.test { web in
            let (cookie, _) = try await web.signInAndTake("ann")
            let file = f.pageFile("page-000001", of: "ann")
            let edited = try f.bytes(file) + Array("\n\n".utf8)
            let response = try await withThrowingTaskGroup(of: TestResponse?.self) { group in
                group.addTask { try await web.request(.get, "/api/projects/p/events", cookie: cookie) }
                group.addTask {
                    // Once the stream has taken its first look: edit, wait for the event, end the stream.
                    let opened = await eventually(within: 20) { f.server.streams.with { $0.open } == 1 }
                    #expect(opened)
                    try f.write(file, Data(edited))
                    let sent = await eventually(within: 20) { f.server.streams.with { $0.sent } >= 1 }
                    #expect(sent)
                    f.server.stopEvents()
                    return nil
                }
                var result: TestResponse?
                for try await r in group { if let r { result = r } }
                return try #require(result)
            }
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            #expect(response.text.contains("event: page-changed\ndata: {\"page\":\"page-000001\",\"etag\":\"\(Hashing.sha256(edited))\"}\n\n"), "\(response.text)")
        }
    }
}
