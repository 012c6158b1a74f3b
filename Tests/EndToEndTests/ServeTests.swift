import Foundation
import LabelmillCore
import TestSupport
import Testing

/// curl speaks real HTTP to the built binary (the test process has no HTTP client).
let curlPath = ["/usr/bin/curl", "/bin/curl"].first { FileManager.default.isExecutableFile(atPath: $0) }

@Suite("watch --serve: the daemon and the web page in one process, over real HTTP")
struct ServeTests {
    struct Curl {
        let jar: String
        /// Status code, response headers and body of one request.
        func call(_ method: String, _ url: String, _ extra: [String] = [], body: String? = nil) throws -> (status: Int, headers: String, body: String) {
            let dir = (jar as NSString).deletingLastPathComponent
            let headersFile = dir + "/headers-\(UUID().uuidString)"
            var args = ["-s", "-X", method, "-b", jar, "-c", jar, "-D", headersFile, "-w", "\n%{http_code}", "--max-time", "60"] + extra
            if let body {
                let bodyFile = dir + "/body-\(UUID().uuidString)"
                try Data(body.utf8).write(to: URL(fileURLWithPath: bodyFile))
                args += ["--data-binary", "@" + bodyFile]
            }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: curlPath!)
            p.arguments = args + [url]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            let text = String(decoding: data, as: UTF8.self)
            let split = text.range(of: "\n", options: .backwards)
            let status = Int(split.map { String(text[$0.upperBound...]) } ?? "") ?? 0
            let headers = (try? String(contentsOfFile: headersFile, encoding: .utf8)) ?? ""
            return (status, headers, split.map { String(text[..<$0.lowerBound]) } ?? text)
        }
    }

    func etag(_ headers: String) -> String? {
        for line in headers.split(separator: "\r\n") where line.lowercased().hasPrefix("etag:") {
            return line.dropFirst(5).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    @Test("Sign in, take, save, submit over HTTP; the daemon accepts it; SIGTERM stops both",
          .enabled(if: curlPath != nil, "needs curl to speak HTTP (scripts/setup installs it)"))
    func watchServe() throws {
        let ws = try TempWorkspace("serve")
        try ws.project("p", task: "bbox", tags: ["Dog", "Cat"], pageSize: 2, extra: ", \"flush_seconds\": 0.3")
        try ws.write("Inbox/p/a.png", PNGFixture.make(width: 40, height: 30, seed: 1))
        try ws.write("Inbox/p/b.png", PNGFixture.make(width: 40, height: 30, seed: 2))
        let logFile = ws.path("serve.log")
        FileManager.default.createFile(atPath: logFile, contents: nil)
        let daemon = try Binary.start(["watch", "--root", ws.root, "--settle", "0.2", "--serve", "127.0.0.1:0"],
                                      standardError: try FileHandle(forWritingTo: URL(fileURLWithPath: logFile)),
                                      standardOutput: FileHandle.nullDevice)
        defer { if daemon.isRunning { daemon.terminate(); daemon.waitUntilExit() } }
        func log() -> String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

        // The address to open, with the port the kernel picked.
        var base = ""
        #expect(eventually(within: 30) {
            guard let line = log().split(separator: "\n").first(where: { $0.hasPrefix("labelmill: open http://127.0.0.1:") }) else { return false }
            base = String(line.dropFirst("labelmill: open ".count))
            return true
        }, "no address in the log: \(log())")
        try #require(!base.isEmpty)
        let curl = Curl(jar: ws.path("cookies"))

        #expect(try curl.call("GET", base + "api/session").status == 401)
        let signIn = try curl.call("POST", base + "api/signin", body: "{\"name\": \"ann\"}")
        #expect(signIn.status == 200, "\(signIn.body)")
        // The daemon pages the images meanwhile; next takes the page once it exists.
        var pages = ""
        #expect(try eventually(within: 30) {
            pages = try curl.call("POST", base + "api/projects/p/next").body
            return pages.contains("page-000001")
        }, "\(pages)")

        let url = base + "api/projects/p/pages/page-000001"
        let got = try curl.call("GET", url)
        #expect(got.status == 200)
        let tag = try #require(etag(got.headers))
        var value = try StrictJSON.parse(got.body).value
        var images = try #require(value["images"]?.arrayValue)
        images[0].setMember("regions", .array([.object([("tag", .string("Dog")), ("box", .object([
            ("x", .number(1)), ("y", .number(2)), ("width", .number(10)), ("height", .number(5))]))])]))
        images[1].setMember("regions", .array([]))
        value.setMember("images", .array(images))
        let text = JSONWriter.pretty(value)
        let put = try curl.call("PUT", url, ["-H", "If-Match: \(tag)", "-H", "Content-Type: application/json"], body: text)
        #expect(put.status == 200, "\(put.body)")
        #expect(try ws.read("Watch/p/labelers/ann/page-000001/page.json") == text)

        // Refused over the wire too: another Host, and a chunked body past 16 MiB.
        #expect(try curl.call("GET", base + "api/session", ["-H", "Host: evil.example"]).status == 421)
        let hugeFile = ws.path("huge")
        try Data(count: 17 << 20).write(to: URL(fileURLWithPath: hugeFile))
        let newTag = try #require(etag(put.headers))
        let chunked = try curl.call("PUT", url, ["-H", "If-Match: \(newTag)", "-H", "Transfer-Encoding: chunked", "--data-binary", "@" + hugeFile])
        #expect(chunked.status == 413, "\(chunked.body)")
        #expect(try ws.read("Watch/p/labelers/ann/page-000001/page.json") == text)

        let submit = try curl.call("POST", url + "/submit", ["-H", "If-Match: \(newTag)"])
        #expect(submit.status == 200, "\(submit.body)")
        // The daemon in the same process accepts it.
        #expect(eventually(within: 30) { ws.exists("Outbox/p/page-000001/page.json") }, "\(log())")

        daemon.terminate()
        let stopped = eventually(within: 60) { !daemon.isRunning }
        #expect(stopped, "still running 60 s after SIGTERM")
        if stopped {
            #expect(daemon.terminationReason == .exit)
            #expect(daemon.terminationStatus == 0)
        }
    }

    @Test("A non-loopback address without tokens is refused")
    func nonLoopbackNeedsTokens() throws {
        let ws = try TempWorkspace("serve-open")
        let result = try ws.run("serve", "--listen", "0.0.0.0:0", expect: 1)
        #expect(result.stderr.contains("labelmill token add NAME"))
    }

    @Test("token add prints the link once and stores only its hash")
    func tokenCommands() throws {
        let ws = try TempWorkspace("tokens")
        let added = try ws.run("token", "add", "ann", "--address", "lab.example.org:8080")
        let link = added.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(link.hasPrefix("http://lab.example.org:8080/?token=lm_"))
        let token = String(link.split(separator: "=").last ?? "")
        #expect(try !ws.read(".labelmill/tokens.json").contains(token))
        #expect(try ws.run("token", "list").stdout.hasPrefix("ann\t"))
        try ws.run("token", "revoke", "ann")
        try ws.run("token", "revoke", "ann", expect: 1)
        try ws.run("token", "add", "../x", expect: 2)
    }

    @Test("serve, watch --serve and token explain every option")
    func help() throws {
        let serve = try Binary.run(["serve", "--help"])
        for word in ["--listen", "--host-name", "--root", "loopback"] {
            #expect(serve.stdout.contains(word), "serve --help lacks \(word)")
        }
        let watch = try Binary.run(["watch", "--help"])
        for word in ["--serve", "--host-name", "127.0.0.1:8080"] {
            #expect(watch.stdout.contains(word), "watch --help lacks \(word)")
        }
        let token = try Binary.run(["token", "--help"])
        for word in ["add", "list", "revoke"] { #expect(token.stdout.contains(word), "token --help lacks \(word)") }
        let add = try Binary.run(["token", "add", "--help"])
        #expect(add.stdout.contains("--address"))
        let root = try Binary.run(["--help"])
        for verb in ["serve", "token"] { #expect(root.stdout.contains("  \(verb) "), "labelmill --help lacks \(verb)") }
        #expect(try Binary.run(["watch", "--once", "--serve"]).status == 2)
    }
}
