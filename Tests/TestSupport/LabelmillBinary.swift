import Foundation

/// What one run of the binary gave back.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status; self.stdout = stdout; self.stderr = stderr
    }
}

/// The built labelmill executable, run as a user runs it.
public enum Binary {
    /// The built labelmill next to the test bundle, or $LABELMILL_BIN.
    public static var path: String {
        if let env = ProcessInfo.processInfo.environment["LABELMILL_BIN"] { return env }
        let bundleDir = Bundle.main.bundleURL.deletingLastPathComponent()
        for dir in [Bundle.main.bundleURL, bundleDir] {
            let candidate = dir.appendingPathComponent("labelmill").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return here.appendingPathComponent(".build/debug/labelmill").path
    }

    /// Runs labelmill to the end without $LABELMILL_ROOT (unless `environment` sets it); stdin is empty.
    public static func run(_ args: [String], environment: [String: String] = [:]) throws -> CommandResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["LABELMILL_ROOT"] = nil
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        // Read both pipes fully before waiting, so a chatty child never blocks.
        let stdout = Collected()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { stdout.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return CommandResult(status: p.terminationStatus, stdout: String(decoding: stdout.data, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Starts labelmill in the background (a daemon, a server); the caller stops it.
    /// stderr and stdout go where given: a `Pipe`, a `FileHandle`, or nowhere by default.
    public static func start(_ args: [String], standardError: Any = FileHandle.nullDevice,
                             standardOutput: Any? = nil) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.standardError = standardError
        if let standardOutput { p.standardOutput = standardOutput }
        try p.run()
        return p
    }
}

/// What the reading thread collected; read only after `DispatchGroup.wait()`, which orders the two.
private final class Collected: @unchecked Sendable {
    var data = Data()
}
