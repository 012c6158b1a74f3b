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
        let wakeup = Wakeup()
        if pollSeconds == nil {
            let ws = engine.workspace
            // Page folders in the queue get no watch of their own: the queue folder's events say when one comes or goes.
            let w = InotifyWatcher(roots: [ws.inboxRoot, ws.watchRoot],
                                   watchesBelow: { dir in !(Path.name(dir) == "queue" && Path.parent(Path.parent(dir)) == ws.watchRoot) },
                                   onEvents: { wakeup.signal() })
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
        // ML assist's background work runs on its own thread, and wakes the loop when a job is done.
        engine.startAssistWorker { wakeup.signal() }
        defer { engine.stopAssistWorker() }
        logger.info("watching", metadata: ["root": "\(engine.workspace.root)", "mode": "\(pollSeconds.map { "poll every \($0)s" } ?? "inotify")"])
        if let watcher {
            engine.rescanSeconds = rescanSeconds
            try await withGracefulShutdownHandler {
                try await react(to: watcher, wakeup: wakeup)
            } onGracefulShutdown: {
                wakeup.signal()
            }
        } else if let pollSeconds {
            try await poll(every: pollSeconds)
        }
        logger.info("stopped")
    }

    /// With inotify: each batch of events is acted on as it comes, then what
    /// is due; in between the daemon sleeps until the next deadline or event.
    func react(to watcher: InotifyWatcher, wakeup: Wakeup) async throws {
        var lastFull = -Double.infinity
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if engine.waitingForSpace {
                // A full disk: everything is looked at again each second until it clears.
                if engine.now() - lastFull >= 1 {
                    _ = watcher.drain()
                    engine.pass(once: false)
                    lastFull = engine.now()
                }
                await wakeup.wait(seconds: 1)
                continue
            }
            engine.react(watcher.drain())
            engine.tick()
            let wait = engine.nextDeadline - engine.now()
            if wait > 0 { await wakeup.wait(seconds: min(wait, rescanSeconds)) } else { await Task.yield() }
        }
    }

    /// `--poll`: every `seconds`, a look at the watched folders' times (a
    /// `PollWatcher`: what inotify would have said, without reading a file
    /// that did not change), acted on as inotify's events are; in between the
    /// daemon sleeps until the next look or deadline. The rescan, every
    /// `rescanSeconds`, stats every page.json as with inotify.
    func poll(every poll: Double) async throws {
        let ws = engine.workspace
        let watcher = PollWatcher(fileSystem: engine.root, roots: [ws.inboxRoot, ws.watchRoot], watchesBelow: { dir in
            // Queued page folders, as with inotify, and conflicts' folders (no step looks there) are not entered.
            let name = Path.name(dir)
            return !((name == "queue" || name == "conflicts") && Path.parent(Path.parent(dir)) == ws.watchRoot)
        })
        engine.rescanSeconds = rescanSeconds
        let wakeup = Wakeup()
        var lastLook = -Double.infinity
        var lastFull = -Double.infinity
        try await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                if engine.waitingForSpace {
                    // A full disk: everything is looked at again each second until it clears.
                    if engine.now() - lastFull >= 1 {
                        engine.pass(once: false)
                        lastFull = engine.now()
                    }
                    await wakeup.wait(seconds: 1)
                    continue
                }
                if engine.now() - lastLook >= poll {
                    lastLook = engine.now()
                    engine.react(watcher.look(now: lastLook))
                }
                engine.tick()
                let wait = min(engine.nextDeadline, lastLook + poll) - engine.now()
                if wait > 0 { await wakeup.wait(seconds: min(wait, poll)) } else { await Task.yield() }
            }
        } onGracefulShutdown: {
            wakeup.signal()
        }
    }
}

/// Wakes the daemon's loop from the watcher's thread (or a shutdown): a
/// waiter resumes at the first signal or when its time is up, and a signal
/// given while nobody waits is kept for the next wait.
final class Wakeup: @unchecked Sendable {  // state behind the mutex
    private var mutex = pthread_mutex_t()
    private var pending = false
    private var timeUp = false
    private var waiter: CheckedContinuation<Void, Never>?

    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }

    private func locked<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }

    func signal() {
        let resume = locked { () -> CheckedContinuation<Void, Never>? in
            if let w = waiter {
                waiter = nil
                return w
            }
            pending = true
            return nil
        }
        resume?.resume()
    }

    /// Returns at the next signal, or after `seconds`.
    func wait(seconds: Double) async {
        locked { timeUp = false }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let goOn = self.locked { () -> Bool in
                        if self.pending || self.timeUp {
                            self.pending = false
                            return true
                        }
                        self.waiter = c
                        return false
                    }
                    if goOn { c.resume() }
                }
            }
            group.addTask {
                try? await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1e9))
                // Time is up (or the wait is over): the waiter goes on, now or as soon as it waits.
                let resume = self.locked { () -> CheckedContinuation<Void, Never>? in
                    self.timeUp = true
                    defer { self.waiter = nil }
                    return self.waiter
                }
                resume?.resume()
            }
            await group.next()
            group.cancelAll()
        }
    }
}
