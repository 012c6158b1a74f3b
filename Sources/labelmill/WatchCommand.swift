import ArgumentParser
import LabelmillCore
import LabelmillDaemon
import LabelmillFS
import Logging
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

struct WatchCommand: AsyncParsableCommand {
    /// The scan interval on a network file system when no --poll is given.
    static let networkPoll = 2.0

    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Run the daemon: ingest images, write pages, validate submissions, move done pages to the outbox.")

    @OptionGroup var workspace: WorkspaceOptions

    @Flag(help: "Do everything pending (no quiet periods; partial pages flushed) and exit.")
    var once = false

    @Option(help: "Scan every SECONDS instead of using inotify (for network file systems).")
    var poll: Double?

    @Option(help: ArgumentHelp("Seconds an inbox file must stay unchanged before it is taken.", visibility: .hidden))
    var settle: Double = 1.0

    @Flag(help: "Log every step, not just changes.")
    var verbose = false

    @Option(help: ArgumentHelp("Also serve the web page, on this address (127.0.0.1:8080 when none is given).", valueName: "host:port"))
    var serve: ListenAddress?

    @Option(name: .customLong("host-name"), help: ArgumentHelp("With --serve: another name the page is reached by, accepted in the Host header; repeatable.", valueName: "name"))
    var hostNames: [String] = []

    @Flag(name: .customLong("sync-saves"), help: "With --serve: fsync page.json on every save from the page (slower on a busy disk; saves are atomic either way).")
    var syncSaves = false

    /// `--serve` with no address after it means the default address.
    static func expandingServe(_ arguments: [String]) -> [String] {
        var out: [String] = []
        for (i, argument) in arguments.enumerated() {
            out.append(argument)
            let next = i + 1 < arguments.count ? arguments[i + 1] : nil
            if argument == "--serve", next == nil || next!.hasPrefix("-") {
                out.append(ListenAddress.standard.defaultValueDescription)
            }
        }
        return out
    }

    func validate() throws {
        if let poll, !(poll > 0 && poll.isFinite) { throw ValidationError("--poll must be a number of seconds greater than 0") }
        if !(settle >= 0 && settle.isFinite) { throw ValidationError("--settle must be 0 or more seconds") }
        if once && serve != nil { throw ValidationError("--serve runs until stopped; it cannot go with --once") }
    }

    func run() async throws {
        let logger = makeLogger(label: "labelmill.watch", verbose: verbose)
        let ws = Workspace(root: workspace.rootPath)
        try WatchedRoot.check(ws)
        let lock: RootLock
        do { lock = try RootLock(workspace: ws, command: once ? "labelmill watch --once" : "labelmill watch") } catch {
            throw CommandFailure(error.description)
        }
        defer { withExtendedLifetime(lock) {} }
        let engine = Engine(workspace: ws, logger: logger, now: wallClock)
        engine.settleSeconds = settle
        // A full disk is waited out here too: the daemon never gives up on it.
        var delay: UInt32 = 1
        while true {
            do { try engine.prepare(); break } catch {
                guard error.isNoSpace else { throw CommandFailure("cannot prepare the workspace: \(error)") }
                logger.warning("disk full; waiting to retry", metadata: ["error": "\(error)", "retry.seconds": "\(delay)"])
                sleep(delay)
                delay = min(delay * 2, 30)
            }
        }
        if let rooted = engine.root as? RootedDirectory {
            // Once per root, before any move: each call the guarantees lean on, tried in staging.
            let abilities = rooted.probeAbilities(in: ws.staging)
            if !abilities.fallbacks.isEmpty {
                logger.notice("the root's file system lacks calls the daemon's guarantees lean on; using safe fallbacks",
                              metadata: ["root": "\(ws.root)", "fallbacks": "\(abilities)"])
            }
        }
        var poll = self.poll
        if poll == nil && !once, let kind = MountKind.networkName(of: ws.root) {
            logger.warning("\(ws.root) is on \(kind), where inotify does not see what other machines write: scanning every \(Int(Self.networkPoll)) seconds instead (choose with --poll SECONDS)")
            poll = Self.networkPoll
        }
        if once {
            // The engine never sleeps: the second look it asks for is waited for here.
            let wait: (Double) -> Void = { seconds in if seconds > 0 { usleep(UInt32(min(seconds, 1) * 1e6)) } }
            engine.runOnce(wait: wait)
            // A full disk is waited out: nothing pending is dropped.
            delay = 1
            while engine.waitingForSpace {
                sleep(delay)
                delay = min(delay * 2, 30)
                engine.runOnce(wait: wait)
            }
            engine.logSummary()
            engine.stopAssistWorker()
            return
        }
        let service = WatchService(engine: engine, logger: logger, pollSeconds: poll)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: service)]
        if let serve {
            // The daemon and the web page in one process: a SIGTERM stops both gracefully.
            let server = try webServer(workspace: ws, logger: logger, address: serve, hostNames: hostNames, syncSaves: syncSaves)
            services.append(.init(service: server.application(onRunning: announce)))
        }
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do { try await group.run() } catch { throw CommandFailure("the daemon stopped: \(error)") }
    }
}
