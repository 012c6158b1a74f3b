import Foundation
import TestSupport
import Testing

/// SPEC section 4 through the built binary: 0 on success, 1 when the request is
/// invalid or cannot be done (one "labelmill: ..." line on stderr), 2 on a usage error.
@Suite("Exit statuses: commands throw, main maps them to 0, 1 and 2")
struct ExitStatusTests {
    @Test("A command that cannot do the request exits 1 with one plain line on stderr and nothing on stdout",
          arguments: [
              (["status", "nosuch"], "no project nosuch in ROOT (Inbox/nosuch/ does not exist)"),
              (["check", "ROOT/missing"], "ROOT/missing: no such page folder; pass a page folder, its page.json, or a page id like page-000001"),
              (["tag", "page-000009", "--all", "--tag", "Dog"],
               "no page page-000009 in ROOT/Watch; pass the page folder path, or --root for another workspace"),
              (["next", "p", "--as", "ann"], "no project p in ROOT: ROOT/Inbox/p/project.json does not exist"),
          ])
    func failureIsOne(arguments: [String], message: String) throws {
        let ws = try TempWorkspace("exit")
        let result = try ws.run(arguments.map { $0.replacingOccurrences(of: "ROOT", with: ws.root) }, expect: 1)
        #expect(result.stderr == "labelmill: \(message.replacingOccurrences(of: "ROOT", with: ws.root))\n")
        #expect(result.stdout == "")
    }

    @Test("The daemon refuses a root that does not exist: exit 1, before it takes a lock")
    func watchWithoutRoot() throws {
        let ws = try TempWorkspace("exit")
        let root = ws.path("absent")
        let result = try Binary.run(["watch", "--once", "--root", root])
        #expect(result.status == 1)
        #expect(result.stderr == "labelmill: the workspace root \(root) does not exist; create it or pass --root DIR (or set LABELMILL_ROOT)\n")
    }

    @Test("A usage error exits 2 with ArgumentParser's message and usage", arguments: [
        ["status", "--bogus"],                                    // unknown flag
        ["check"],                                                // missing argument
        ["project", "create", "bad name", "--task", "bbox", "--tags", "A"],  // validate() refuses
        ["box", "page-000001", "1", "--tag", "A"],               // neither --rect nor --template
    ])
    func usageIsTwo(arguments: [String]) throws {
        let ws = try TempWorkspace("exit")
        let result = try ws.run(arguments, expect: 2)
        #expect(result.stderr.hasPrefix("Error: "), "\(result.stderr)")
        #expect(result.stderr.contains("Usage: labelmill"), "\(result.stderr)")
        #expect(!result.stderr.contains("labelmill: "), "a usage error is not worded as a failure: \(result.stderr)")
    }

    @Test("--help and --version exit 0 and print on stdout")
    func helpAndVersionAreZero() throws {
        let help = try Binary.run(["status", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE: labelmill status"))
        #expect(help.stderr == "")
        let version = try Binary.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout == "0.1.0\n")
    }

    @Test("A check that finds errors exits 1 and lists them on stdout, without a failure line")
    func checkWithErrorsIsOne() throws {
        let ws = try TempWorkspace("exit")
        try ws.write("page/page.json", "{\"project\": \"p\",}")
        let result = try ws.run("check", ws.path("page"), expect: 1)
        #expect(result.stdout.hasPrefix(ws.path("page/page.json") + ":1:"), "\(result.stdout)")
        #expect(!result.stderr.contains("labelmill: "), "\(result.stderr)")
    }
}
