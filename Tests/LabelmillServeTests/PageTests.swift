import Foundation
import HTTPTypes
import LabelmillCore
import LabelmillFS
import LabelmillServe
import Testing

/// GET/PUT/submit of page.json and its images through the API, checked against the bytes on disk.
@Suite struct PageTests {
    let page = "/api/projects/p/pages/page-000001"

    /// page.json with the images' labels replaced.
    func relabeled(_ bytes: [UInt8], _ change: (inout [JSONValue]) -> Void) throws -> [UInt8] {
        var value = try StrictJSON.parse(bytes).value
        var images = try #require(value["images"]?.arrayValue)
        change(&images)
        value.setMember("images", .array(images))
        return JSONWriter.prettyBytes(value)
    }

    func box(_ x: Double, _ y: Double, _ w: Double, _ h: Double, tag: String = "Dog") -> JSONValue {
        .object([("tag", .string(tag)), ("box", .object([("x", .number(x)), ("y", .number(y)), ("width", .number(w)), ("height", .number(h))]))])
    }

    @Test func getReturnsTheBytesOnDiskWithTheirHash() async throws {
        let f = try ServeFixture()
        try await f.test { web in
            let (cookie, pages) = try await web.signInAndTake("ann")
            #expect(pages == ["page-000001"])
            let response = try await web.request(.get, page, cookie: cookie)
            #expect(response.status == .ok)
            let disk = try f.bytes(f.pageFile("page-000001", of: "ann"))
            #expect(response.bytes == disk)
            #expect(response.etag == Hashing.sha256(disk))
            #expect(response.headers[.contentType] == "application/json")
            let list = try await web.request(.get, "/api/projects/p/pages", cookie: cookie)
            #expect(try list.json["pages"] == .array([.string("page-000001")]))
        }
    }

    @Test func incompletePageIsSavedExactlyAsSent() async throws {
        let f = try ServeFixture()
        try await f.test { web in
            let (cookie, _) = try await web.signInAndTake("ann")
            let got = try await web.request(.get, page, cookie: cookie)
            // Only the first image labeled: fine while labeling.
            let edited = try relabeled(got.bytes) { $0[0].setMember("regions", .array([box(1, 2, 10.5, 20)])) }
            let put = try await web.request(.put, page, cookie: cookie, headers: [.ifMatch: "\"\(got.etag!)\""], body: edited)
            #expect(put.status == .ok, "\(put.text)")
            #expect(try f.bytes(f.pageFile("page-000001", of: "ann")) == edited)
            #expect(try put.json["etag"]?.stringValue == Hashing.sha256(edited))
            #expect(put.etag == Hashing.sha256(edited))

            // The new ETag chains the next save; the old one is stale.
            let stale = try await web.request(.put, page, cookie: cookie, headers: [.ifMatch: "\"\(got.etag!)\""], body: edited)
            #expect(stale.status == .preconditionFailed)
            #expect(try stale.json["error"]?.stringValue == "conflict")
            let again = try await web.request(.put, page, cookie: cookie, headers: [.ifMatch: "\"\(put.etag!)\""], body: got.bytes)
            #expect(again.status == .ok)
        }
    }

    @Test func editOnDiskMeanwhileIs412AndKeepsTheDiskVersion() async throws {
        let f = try ServeFixture()
        try await f.test { web in
            let (cookie, _) = try await web.signInAndTake("ann")
            let got = try await web.request(.get, page, cookie: cookie)
            // vim saves the page meanwhile.
            let vim = try relabeled(got.bytes) { $0[1].setMember("regions", .array([])) }
            try f.write(f.pageFile("page-000001", of: "ann"), Data(vim))
            let mine = try relabeled(got.bytes) { $0[0].setMember("regions", .array([box(0, 0, 5, 5)])) }
            let put = try await web.request(.put, page, cookie: cookie, headers: [.ifMatch: "\"\(got.etag!)\""], body: mine)
            #expect(put.status == .preconditionFailed)
            #expect(try f.bytes(f.pageFile("page-000001", of: "ann")) == vim)
        }
    }

    @Test func missingIfMatchIs428() async throws {
        let f = try ServeFixture()
        try await f.test { web in
            let (cookie, _) = try await web.signInAndTake("ann")
            let got = try await web.request(.get, page, cookie: cookie)
            let put = try await web.request(.put, page, cookie: cookie, body: got.bytes)
            #expect(put.status == .preconditionRequired)
            let submit = try await web.request(.post, page + "/submit", cookie: cookie)
            #expect(submit.status == .preconditionRequired)
        }
    }

    @Test func invalidGeometryIs422WithPositions() async throws {
        let f = try ServeFixture()
        try await f.test { web in
            let (cookie, _) = try await web.signInAndTake("ann")
            let got = try await web.request(.get, page, cookie: cookie)
            // Images are 64x48: this box runs past the right edge.
            let edited = try relabeled(got.bytes) { $0[0].setMember("regions", .array([box(60, 2, 10, 5)])) }
            let put = try await web.request(.put, page, cookie: cookie, headers: [.ifMatch: "\"\(got.etag!)\""], body: edited)
            #expect(put.status == .unprocessableContent)
            let json = try put.json
            #expect(json["error"]?.stringValue == "invalid")
            let errors = try #require(json["errors"]?.arrayValue)
            #expect(errors.count == 1)
            let e = try #require(errors.first)
            #expect(e["pointer"]?.stringValue == "/images/0/regions/0/box")
            #expect(e["message"]?.stringValue?.contains("past the right edge") == true)
            // Where the box starts in the text that was sent.
            let text = String(decoding: edited, as: UTF8.self)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let line = try #require(lines.firstIndex { $0.contains("\"box\"") }) + 1
            #expect(e["line"]?.numberValue == Double(line))
            let column = try #require(lines[line - 1].range(of: "{")).lowerBound
            #expect(e["column"]?.numberValue == Double(lines[line - 1].distance(from: lines[line - 1].startIndex, to: column) + 1))
            #expect(try f.bytes(f.pageFile("page-000001", of: "ann")) == got.bytes)
        }
    }

    @Test func notStrictJSONIs422WithPosition() async throws {
        let f = try ServeFixture()
        try await f.test { web in
            let (cookie, _) = try await web.signInAndTake("ann")
            let got = try await web.request(.get, page, cookie: cookie)
            let put = try await web.request(.put, page, cookie: cookie, headers: [.ifMatch: "\"\(got.etag!)\""], json: "{\"a\": 1,}")
            #expect(put.status == .unprocessableContent)
            let e = try #require(try put.json["errors"]?.arrayValue?.first)
            #expect(e["line"]?.numberValue == 1)
            #expect(e["column"] != nil)
        }
    }

    @Test func daemonFieldsTagsAndStatusAreGuarded() async throws {
        let f = try ServeFixture()
        try await f.test { web in
            let (cookie, _) = try await web.signInAndTake("ann")
            let got = try await web.request(.get, page, cookie: cookie)
            var changes: [(String, [UInt8])] = []
            var v = try StrictJSON.parse(got.bytes).value
            v.setMember("revision", .number(99))
            changes.append(("/revision", JSONWriter.prettyBytes(v)))
            changes.append(("/images/0/sha256", try relabeled(got.bytes) { $0[0].setMember("sha256", .string(String(repeating: "0", count: 64))) }))
            changes.append(("/images/1/width", try relabeled(got.bytes) { $0[1].setMember("width", .number(640)) }))
            changes.append(("/images/0/regions/0/tag", try relabeled(got.bytes) { $0[0].setMember("regions", .array([box(1, 1, 5, 5, tag: "Dgo")])) }))
            for status in ["submitted", "done", "closed"] {
                var s = try StrictJSON.parse(got.bytes).value
                s.setMember("status", .string(status))
                changes.append(("/status", JSONWriter.prettyBytes(s)))
            }
            var a = try StrictJSON.parse(got.bytes).value
            a.setMember("assigned_to", .string("bob"))
            changes.append(("/assigned_to", JSONWriter.prettyBytes(a)))
            for (pointer, body) in changes {
                let put = try await web.request(.put, page, cookie: cookie, headers: [.ifMatch: "\"\(got.etag!)\""], body: body)
                #expect(put.status == .unprocessableContent, "\(pointer): \(put.text)")
                let pointers = try put.json["errors"]?.arrayValue?.compactMap { $0["pointer"]?.stringValue } ?? []
                #expect(pointers.contains(pointer), "\(pointer): \(pointers)")
            }
            #expect(try f.bytes(f.pageFile("page-000001", of: "ann")) == got.bytes)
            // A rejected page edited back to open, errors dropped: allowed.
            var open = try StrictJSON.parse(got.bytes).value
            open.setMember("status", .string("rejected"))
            let put = try await web.request(.put, page, cookie: cookie, headers: [.ifMatch: "\"\(got.etag!)\""], body: JSONWriter.prettyBytes(open))
            #expect(put.status == .ok, "\(put.text)")
        }
    }

    /// The daemon's copy is read again after the journal grows: a new revision is what a save must keep.
    @Test func aLaterRevisionInTheJournalIsTheOneChecked() async throws {
        let f = try ServeFixture(pages: 1)
        try await f.test { web in
            let (cookie, _) = try await web.signInAndTake("ann")
            let first = try await web.request(.get, page, cookie: cookie)
            let put = try await web.request(.put, page, cookie: cookie, headers: [.ifMatch: "\"\(first.etag!)\""], body: first.bytes)
            #expect(put.status == .ok)
            // The page changes hands twice (revision + 2), each move appended to the journal.
            #expect(try await web.request(.post, "/api/projects/p/leave", cookie: cookie).status == .ok)
            #expect(try await web.signInAndTake("ann").pages == ["page-000001"])
            let second = try await web.request(.get, page, cookie: cookie)
            let revision = try #require(try second.json["revision"]?.numberValue)
            #expect(revision == (try first.json["revision"]?.numberValue ?? 0) + 2)
            // The old text (old revision) is refused now, the new one saved.
            let stale = try await web.request(.put, page, cookie: cookie, headers: [.ifMatch: "\"\(second.etag!)\""], body: first.bytes)
            #expect(stale.status == .unprocessableContent)
            #expect(try stale.json["errors"]?.arrayValue?.contains { $0["pointer"]?.stringValue == "/revision" } == true)
            let fresh = try await web.request(.put, page, cookie: cookie, headers: [.ifMatch: "\"\(second.etag!)\""], body: second.bytes)
            #expect(fresh.status == .ok)
        }
    }

    @Test func submitRefusesAnIncompletePageThenHandsInACompleteOne() async throws {
        let f = try ServeFixture()
        try await f.test { web in
            let (cookie, _) = try await web.signInAndTake("ann")
            let got = try await web.request(.get, page, cookie: cookie)
            let refused = try await web.request(.post, page + "/submit", cookie: cookie, headers: [.ifMatch: "\"\(got.etag!)\""])
            #expect(refused.status == .unprocessableContent)
            let messages = try refused.json["errors"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
            #expect(messages.count == 2)
            #expect(messages.allSatisfy { $0.contains("not labeled yet") }, "\(messages)")
            #expect(try f.bytes(f.pageFile("page-000001", of: "ann")) == got.bytes)

            let complete = try relabeled(got.bytes) { images in
                images[0].setMember("regions", .array([box(1, 2, 3, 4)]))
                images[1].setMember("regions", .array([]))
            }
            let put = try await web.request(.put, page, cookie: cookie, headers: [.ifMatch: "\"\(got.etag!)\""], body: complete)
            #expect(put.status == .ok)
            let submit = try await web.request(.post, page + "/submit", cookie: cookie, headers: [.ifMatch: "\"\(put.etag!)\""])
            #expect(submit.status == .ok, "\(submit.text)")
            #expect(try submit.json["status"]?.stringValue == "submitted")
            let disk = try f.bytes(f.pageFile("page-000001", of: "ann"))
            #expect(try StrictJSON.parse(disk).value["status"]?.stringValue == "submitted")
            #expect(submit.etag == Hashing.sha256(disk))
            // Handed in: no more edits through the page.
            let late = try await web.request(.put, page, cookie: cookie, headers: [.ifMatch: "\"\(submit.etag!)\""], body: complete)
            #expect(late.status == .conflict)
            #expect(try late.json["error"]?.stringValue == "not-open")
        }
    }

    @Test func imagesByIndexOnly() async throws {
        let f = try ServeFixture()
        try await f.test { web in
            let (cookie, _) = try await web.signInAndTake("ann")
            let manifest = try StrictJSON.parse(try f.bytes(f.pageFile("page-000001", of: "ann"))).value
            let first = try #require(manifest["images"]?.arrayValue?.first?["file"]?.stringValue)
            let image = try await web.request(.get, page + "/images/1", cookie: cookie)
            #expect(image.status == .ok)
            #expect(image.headers[.contentType] == "image/png")
            #expect(image.headers[.cacheControl] == "private, max-age=3600")
            #expect(image.bytes == (try f.bytes("Watch/p/labelers/ann/page-000001/\(first)")))
            for bad in ["0", "3", "-1", "+1", "01", "1.png", first, "..%2F..%2Fpage.json", "%2Fetc%2Fpasswd", "1%2F..", "99999999999999999999"] {
                let response = try await web.request(.get, page + "/images/" + bad, cookie: cookie)
                #expect(response.status == .notFound, "images/\(bad)")
                #expect(response.headers[.contentType] == "application/json", "images/\(bad)")
            }
        }
    }

    @Test func aFileNamePlantedInPageJSONCannotLeaveTheFolder() async throws {
        let f = try ServeFixture()
        try f.write("secret.txt", "secret")
        try await f.test { web in
            let (cookie, _) = try await web.signInAndTake("ann")
            let file = f.pageFile("page-000001", of: "ann")
            var value = try StrictJSON.parse(try f.bytes(file)).value
            var images = try #require(value["images"]?.arrayValue)
            images[0].setMember("file", .string("../../../../../secret.txt"))
            images[1].setMember("file", .string(f.path("secret.txt")))
            value.setMember("images", .array(images))
            try f.write(file, Data(JSONWriter.prettyBytes(value)))
            // A symlink in the page folder is not followed either.
            try FileManager.default.createSymbolicLink(atPath: f.path("Watch/p/labelers/ann/page-000001/link.png"), withDestinationPath: f.path("secret.txt"))
            for n in [1, 2] {
                let response = try await web.request(.get, page + "/images/\(n)", cookie: cookie)
                #expect(response.status == .notFound)
                #expect(!response.text.contains("secret\n") && response.text != "secret")
            }
            images[0].setMember("file", .string("link.png"))
            value.setMember("images", .array(images))
            try f.write(file, Data(JSONWriter.prettyBytes(value)))
            let link = try await web.request(.get, page + "/images/1", cookie: cookie)
            #expect(link.status == .notFound)
            #expect(link.text != "secret")
        }
    }
}
