import LabelmillCore
import LabelmillFS
import Logging
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// `labelmill watch`: the engine driven by inotify hints (or by polling),
/// plus a timer for settling files, flushes and leases. Stops on SIGTERM/SIGINT
/// between passes, so no move is ever cut in half by a signal.
public struct WatchService: Service {
    let engine: Engine
    let logger: Logger
    /// nil: inotify. Otherwise scan everything every this many seconds.
    let pollSeconds: Double?
    /// With inotify, a full rescan this often anyway (a safety net for lost events).
    var rescanSeconds: Double = 60

    public init(engine: Engine, logger: Logger, pollSeconds: Double?) {
        self.engine = engine
        self.logger = logger
        self.pollSeconds = pollSeconds
    }

    public func run() async throws {
        var watcher: InotifyWatcher?
        var pollSeconds = self.pollSeconds
        if pollSeconds == nil {
            let w = InotifyWatcher(roots: [engine.workspace.inboxRoot, engine.workspace.watchRoot])
            do {
                try w.start()
                watcher = w
                if let first = w.unwatched.first {
                    logger.warning("\(w.unwatched.count) folder\(w.unwatched.count == 1 ? " is" : "s are") too deep for inotify (path over PATH_MAX); they are scanned every \(Int(rescanSeconds)) seconds instead", metadata: ["folder": "\(first.prefix(120))..."])
                }
            } catch {
                // No inotify (or too few watches): scanning still sees everything, just later.
                logger.warning("\(error); scanning every 2 seconds instead")
                pollSeconds = 2
            }
        }
        defer { watcher?.stop() }
        logger.info("watching", metadata: ["root": "\(engine.workspace.root)", "mode": "\(pollSeconds.map { "poll every \($0)s" } ?? "inotify")"])
        let tick = 0.1
        var lastFull = -Double.infinity
        var lastTimer = -Double.infinity
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let t = engine.now()
            if let poll = pollSeconds {
                if t - lastFull >= poll || engine.waitingForSpace && t - lastFull >= 1 {
                    engine.pass(once: false)
                    lastFull = t
                } else if t - lastTimer >= 1 {
                    engine.pass(once: false, hints: WatchHints())
                    lastTimer = t
                }
            } else if let watcher {
                let hints = watcher.drain()
                if t - lastFull >= rescanSeconds || (engine.waitingForSpace && t - lastFull >= 1) {
                    engine.pass(once: false)
                    lastFull = t
                    lastTimer = t
                } else if !hints.isEmpty || t - lastTimer >= 1 {
                    // The one-second timer drives settling files, flushes and leases.
                    engine.pass(once: false, hints: hints)
                    lastTimer = t
                }
            }
            try? await Task.sleep(nanoseconds: UInt64(tick * 1e9))
        }
        logger.info("stopped")
    }
}
