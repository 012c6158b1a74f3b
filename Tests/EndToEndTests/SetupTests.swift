import Foundation
import TestSupport
import Testing

@Suite("labelmill setup")
struct SetupTests {
    @Test("setup explains every option and is listed")
    func help() throws {
        let setup = try Binary.run(["setup", "--help"])
        for word in ["--daemon-user", "--admins", "--labelers", "--root", "run as root", "Inbox", "Outbox"] {
            #expect(setup.stdout.contains(word), "setup --help lacks \(word)")
        }
        #expect(try Binary.run(["--help"]).stdout.contains("  setup "))
        #expect(try Binary.run(["setup", "--admins", "a", "--labelers", "b"]).status == 2)
    }

    @Test("doctor is listed, explains itself, and passes a fresh local root")
    func doctor() throws {
        let help = try Binary.run(["doctor", "--help"])
        for word in ["--root", "Exit status 1"] { #expect(help.stdout.contains(word), "doctor --help lacks \(word)") }
        #expect(try Binary.run(["--help"]).stdout.contains("  doctor "))
        let root = try makeTemporaryFolder("labelmill-doctor")
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(mkdir(root + "/Inbox", 0o777) == 0 && chmod(root + "/Inbox", 0o777) == 0)
        let run = try Binary.run(["doctor", "--root", root])
        #expect(run.status == 1)
        #expect(run.stdout.contains("\(root)/Inbox can be written by everyone"))
    }

    @Test("setup names the account that is missing and changes nothing")
    func missingAccount() throws {
        let root = try makeTemporaryFolder("labelmill-setup")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let run = try Binary.run(["setup", "--root", root, "--daemon-user", "lm-no-such-user-x", "--admins", "root", "--labelers", "root"])
        #expect(run.status == 1)
        #expect(run.stderr.contains(getuid() == 0 ? "no Unix user lm-no-such-user-x" : "must run as root"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).isEmpty)
    }
}
