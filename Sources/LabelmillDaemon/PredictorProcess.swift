import CShims
import LabelmillCore
#if canImport(Glibc)
import Glibc
#endif

/// One running predictor command (SPEC section 8): its stdin and stdout are
/// pipes to the daemon, its stderr is the daemon's (so what it says lands in
/// the daemon's log). Used by one thread at a time; every wait has a deadline
/// on the monotonic clock, so a predictor that hangs, stops reading or never
/// exits cannot hold that thread longer than the deadline.
final class PredictorProcess {
    let pid: pid_t
    private var input: Int32
    private var output: Int32
    private var pending: [UInt8] = []
    private var reaped: Int32?

    enum Read {
        case line([UInt8])
        case timedOut
        /// It closed its stdout (it exited, most often).
        case closed
        case tooLong
        /// The daemon is stopping (`interrupt` became readable).
        case interrupted
    }

    /// A descriptor that becomes readable when the daemon stops: every wait ends then.
    var interrupt: Int32 = -1

    /// Seconds on the monotonic clock: what timeouts and backoff are measured on.
    static func monotonic() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Starts `command` in `folder`; throws what keeps it from starting (in words).
    init(command: [String], folder: String) throws(PredictorFailure) {
        lm_ignore_sigpipe()
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) }
        argv.append(nil)
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0, input: Int32 = -1, output: Int32 = -1
        let rc = lm_spawn_piped(argv, folder, &pid, &input, &output)
        guard rc == 0 else {
            throw PredictorFailure("cannot start \(command[0]): \(String(cString: strerror(rc)))")
        }
        self.pid = pid
        self.input = input
        self.output = output
    }

    deinit { kill() }

    /// Writes a whole text, waiting while its stdin pipe is full up to `deadline`.
    func send(_ text: String, deadline: Double) throws(PredictorFailure) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
            if n > 0 { bytes = bytes.dropFirst(n); continue }
            if n < 0 && errno == EINTR { continue }
            guard n < 0, errno == EAGAIN else { throw PredictorFailure("stopped reading its requests (\(String(cString: strerror(errno))))") }
            guard wait(for: input, events: Int16(POLLOUT), until: deadline) else {
                throw PredictorFailure("stopped reading its requests (its input pipe stayed full)")
            }
        }
    }

    /// The next line it prints (without the newline), waiting up to `deadline`.
    func readLine(until deadline: Double) -> Read {
        var scanned = 0
        while true {
            if let end = pending[scanned...].firstIndex(of: 10) {
                let line = Array(pending[..<end])
                pending.removeFirst(end + 1)
                return .line(line)
            }
            scanned = pending.count
            if pending.count > PredictorWire.maxLineBytes { return .tooLong }
            guard wait(for: output, events: Int16(POLLIN), until: deadline) else { return isInterrupted ? .interrupted : .timedOut }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return .closed }
            pending.append(contentsOf: chunk[..<n])
        }
    }

    private func wait(for fd: Int32, events: Int16, until deadline: Double) -> Bool {
        while true {
            let left = deadline - Self.monotonic()
            if left <= 0 || isInterrupted { return false }
            var p = [pollfd(fd: fd, events: events, revents: 0), pollfd(fd: interrupt, events: Int16(POLLIN), revents: 0)]
            let rc = poll(&p, interrupt >= 0 ? 2 : 1, Int32(min(left * 1000, 60_000).rounded(.up)))
            if rc > 0 && p[0].revents != 0 { return true }  // readable, writable, or hung up: the read or write says which
            if rc < 0 && errno != EINTR { return true }
        }
    }

    private var isInterrupted: Bool {
        guard interrupt >= 0 else { return false }
        var p = pollfd(fd: interrupt, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) > 0
    }

    /// Ends input (a well-behaved predictor exits at end of input) and waits
    /// up to `grace` seconds for it to exit; then kills it.
    func stop(grace: Double) {
        guard reaped == nil else { return }
        closeInput()
        let deadline = Self.monotonic() + grace
        while Self.monotonic() < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { reaped = status; break }
            usleep(20_000)
        }
        kill()
    }

    /// Kills it and everything it started (its process group), and reaps it.
    func kill() {
        closeInput()
        if output >= 0 { close(output); output = -1 }
        guard reaped == nil else { return }
        _ = Glibc.kill(-pid, SIGKILL)
        _ = Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        reaped = status
    }

    private func closeInput() {
        if input >= 0 { close(input); input = -1 }
    }

    /// How it ended, once it has: "exited with status 3", "was killed by signal 9".
    /// Waits up to a second for the exit that a closed stdout announces.
    func exitDescription() -> String { exitStatus(within: 1) ?? "closed its output without exiting" }

    /// How it ended ("exited with status 3"), once it has, waiting up to `seconds`; nil while it runs.
    func exitStatus(within seconds: Double) -> String? {
        if reaped == nil {
            let deadline = Self.monotonic() + seconds
            var status: Int32 = 0
            while reaped == nil {
                if waitpid(pid, &status, WNOHANG) == pid { reaped = status } else if Self.monotonic() < deadline { usleep(10_000) } else { break }
            }
        }
        guard let status = reaped else { return nil }
        let signal = status & 0x7f
        return signal == 0 ? "exited with status \((status >> 8) & 0xff)" : "was killed by signal \(signal)"
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds))" : "\((seconds * 10).rounded() / 10)"
    }
}

struct PredictorFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
