import LabelmillCore
import LabelmillFS
import Logging

/// The daemon's work, one pass at a time: ingest, page, validate, move.
/// Not thread-safe: one task owns it. Time comes from `now`, so tests can
/// drive it with a mock clock.
public final class Engine: @unchecked Sendable {  // owned by one task at a time
    public let workspace: Workspace
    let logger: Logger
    let now: () -> Double
    /// The real clock, only to measure how old a file time is when the daemon
    /// first reads it (after a restart, in `--once`): file times become
    /// instants on `now` at the edge, and are never compared with it.
    let fileClock: () -> Double
    /// When the daemon saw each file it watches for time rules change, on `now`.
    var seenChanges = ChangeTracker<String, FileVersion>()
    var lastForgotten = -Double.infinity
    /// The second look `watch --once` asks for: files read too soon after the
    /// scan are checked again from this instant on (`runOnce`).
    public internal(set) var recheckDue: Double?
    /// How long an inbox file must stay unchanged before it is taken (watch mode).
    public var settleSeconds: Double = 1.0
    /// How long a page.json must stay unchanged before a submission is read.
    public var pageSettleSeconds: Double = 0.3
    /// How long a page folder must be quiet before it is set aside in conflicts
    /// (a copy still arriving, a page.json mid-save).
    public var setAsideQuietSeconds: Double = 5
    /// How long a page must have been missing from Watch before it is restored
    /// while watching (a page changing hands is missing for a moment).
    public var restoreGraceSeconds: Double = 2
    /// Runs after a submission was checked and before the daemon acts on it,
    /// with the page folder: tests save a newer version in that window.
    public var afterCheck: ((String) -> Void)?
    /// With events, a full rescan this often anyway (the truth when events are lost).
    public var rescanSeconds: Double = 60
    /// When the next rescan starts (at once after an overflow).
    var rescanDue = -Double.infinity
    /// The next rescan runs flat out: the first, and one after lost events.
    var rescanUrgent = true
    /// The share of the wall time the periodic rescan may take, on `workClock`.
    public var rescanBudget = 0.005
    /// CPU seconds of the work done so far, to keep the rescan to its budget.
    public var workClock: () -> Double = Engine.threadCPUTime
    var projects: [String: ProjectState] = [:]
    /// Files found directly in Inbox/, already reported.
    var strayFiles = Set<String>()
    /// While a batch of pages is placed, its event lines wait for the batch.
    var holdingEvents = false
    /// Event lines waiting to be appended, by project.
    var pendingEvents: [String: [String]] = [:]
    /// ML assist's background work, once a project uses it.
    var assistWorkerStorage: AssistWorker?

    /// The workspace root, held open: every path inside it is opened through
    /// it, never through a link. Opened here, or by `prepare()` if it was not there yet.
    public private(set) var root: (any FileSystem)!

    public init(workspace: Workspace, logger: Logger, now: @escaping () -> Double, fileClock: @escaping () -> Double = WorkQueue.realTime) {
        self.workspace = workspace
        self.logger = logger
        self.now = now
        self.fileClock = fileClock
        root = try? RootedDirectory.open(workspace.root)
    }

    /// An engine on a given file system (the fake, in tests): `workspace.root` must be its `path`.
    /// `fileClock`: the clock the file system's times are on.
    public init(workspace: Workspace, fileSystem: any FileSystem, logger: Logger, now: @escaping () -> Double,
                fileClock: @escaping () -> Double = WorkQueue.realTime) {
        self.workspace = workspace
        self.logger = logger
        self.now = now
        self.fileClock = fileClock
        root = fileSystem
    }

    /// Creates the fixed folders and the schema file.
    public func prepare() throws(FileSystemError) {
        if root == nil { root = try RootedDirectory.open(workspace.root) }
        for dir in [workspace.inboxRoot, workspace.watchRoot, workspace.outboxRoot, workspace.staging] {
            try root.makeFolders(dir)
        }
        let schema = Array(PageSchema.text.utf8)
        if (try? root.read(workspace.schemaFile).bytes) != schema {
            try root.writeAtomically(workspace.schemaFile, schema)
        }
        try clearStaging()
    }

    /// One pass. `once`: look at everything, take files without waiting for
    /// them to settle (a short recheck instead) and flush partial pages.
    /// Otherwise look where hints pointed, and wherever a timer is running.
    public func pass(once: Bool, hints: WatchHints? = nil) {
        refreshProjects()
        let everything = once || hints == nil || hints!.rescanAll
        for name in projects.keys.sorted() {
            guard let project = projects[name], project.settings != nil else { continue }
            let inbox = everything || hints!.touches(workspace.inbox(name))
            let watch = everything || project.watchDirty || hints!.touches(workspace.watch(name))
            runGuarded(project) { () throws(FileSystemError) in
                let start = now()
                if inbox || project.inbox.count > 0 { try ingest(project, once: once) }
                // --once: the rest of the pass waits for the second look at files read right after
                // the scan, so the steps run in the same order as ever (paging before review).
                if once && !project.awaitingRecheck.isEmpty { return }
                let ingested = now()
                try buildPages(project, flushAll: once)
                try refusePagedDuplicates(project)
                let paged = now()
                if watch {
                    project.watchDirty = false
                    try reviewPages(project, once: once)
                }
                try serveLabelers(project)
                // With --verbose: where a pass that did work spent its time.
                if now() - start >= 0.005 { logger.debug("pass", metadata: ["project": "\(name)", "ingest.ms": "\(Int((ingested - start) * 1000))",
                                                "pages.ms": "\(Int((paged - ingested) * 1000))", "review.ms": "\(Int((now() - paged) * 1000))"]) }
            }
        }
        flushEvents()
        if once { finishAssistOnce() } else { pageFromPool() }
        // A file not looked at for ten minutes is judged by its file times again if it comes back.
        if now() - lastForgotten >= 60 {
            seenChanges.forget(lookedBefore: now() - 600)
            lastForgotten = now()
        }
    }

    /// `watch --once`: one pass over everything, then the second looks it asks
    /// for. The caller waits (`wait` gets the seconds): the engine never sleeps.
    public func runOnce(wait: (Double) -> Void) {
        pass(once: true)
        while let due = recheckDue {
            wait(max(0, due - now()))
            recheck()
        }
    }

    /// The second look of `--once`: inbox files read right after the scan are
    /// taken only if they are still the version read; then the rest of the
    /// project's pass (paging, review, labelers), which waited for it.
    public func recheck() {
        recheckDue = nil
        for name in projects.keys.sorted() {
            guard let project = projects[name], project.settings != nil, !project.awaitingRecheck.isEmpty else { continue }
            runGuarded(project) { () throws(FileSystemError) in
                try ingest(project, once: true)
                if !project.awaitingRecheck.isEmpty { return }  // new files read right after this scan: another look
                try buildPages(project, flushAll: true)
                try refusePagedDuplicates(project)
                project.watchDirty = false
                try reviewPages(project, once: true)
                try serveLabelers(project)
            }
        }
        flushEvents()
        if recheckDue == nil { finishAssistOnce() }
    }

    /// The end of a `watch --once` pass with ML assist: what is due is done
    /// before it returns (embeddings, clusters and training ran inline as they
    /// came up), and the queue is filled from the pool with what they say:
    /// pages made, labelers served, again while that frees room in the queue.
    func finishAssistOnce() {
        for name in projects.keys.sorted() {
            guard let project = projects[name], project.settings?.assist != nil, project.awaitingRecheck.isEmpty else { continue }
            runGuarded(project) { () throws(FileSystemError) in
                for _ in 0..<4 {
                    let before = (project.pending.count, queuedPages(project))
                    try buildPages(project, flushAll: true)
                    try refusePagedDuplicates(project)
                    try serveLabelers(project)
                    if (project.pending.count, queuedPages(project)) == before { break }
                }
            }
        }
        flushEvents()
    }

    /// Runs a step; a full disk is waited out by the caller's next pass, other
    /// errors are logged with the project and skipped.
    func runGuarded(_ project: ProjectState, _ body: () throws(FileSystemError) -> Void) {
        do { try body() } catch {
            if error.isNoSpace {
                if !project.phase.isWaitingForSpace {
                    logger.warning("disk full; waiting to retry", metadata: ["project": "\(project.name)", "error": "\(error)"])
                }
                project.phase = project.phase.diskFull
            } else {
                logger.error("\(error)", metadata: ["project": "\(project.name)"])
            }
            return
        }
        if project.phase.isWaitingForSpace { logger.info("disk space again; going on", metadata: ["project": "\(project.name)"]) }
        project.phase = project.phase.spaceAgain
    }

    /// One line per project that did anything: for the end of `watch --once`.
    public func logSummary() {
        for name in projects.keys.sorted() {
            guard let project = projects[name], !project.tally.isEmpty else { continue }
            logger.info("\(project.tally.summary)", metadata: ["project": "\(name)"])
        }
    }

    /// Whether any project is waiting for disk space (the caller backs off).
    public var waitingForSpace: Bool { projects.values.contains { $0.phase.isWaitingForSpace } }

    /// Reads every project's settings; a bad project.json is reported once per
    /// change and that project skipped until fixed.
    func refreshProjects() {
        let names = root.names(workspace.inboxRoot)
        for name in names where !Names.isIgnored(name) && !root.isDirectory(workspace.inbox(name)) && !strayFiles.contains(name) {
            // No project, so no rejected/ folder for it: say so once, leave it where it is.
            strayFiles.insert(name)
            logger.warning("a file directly in Inbox/ belongs to no project and is not taken; move it into Inbox/<project>/",
                           metadata: ["file": "\(Path.join(workspace.inboxRoot, name))"])
        }
        for name in names where root.isDirectory(workspace.inbox(name)) {
            if let problem = Names.nameProblem(name, what: "project") {
                if projects[name] == nil {
                    logger.error("skipping folder: \(problem)", metadata: ["project": "\(name)"])
                    projects[name] = ProjectState(name: name, queue: workspace.queue(name))
                }
                continue
            }
            let project = projects[name] ?? {
                let p = ProjectState(name: name, queue: workspace.queue(name))
                projects[name] = p
                return p
            }()
            loadSettings(project)
        }
    }

    func loadSettings(_ project: ProjectState) {
        let file = workspace.settingsFile(project.name)
        let status = root.status(file)
        if let status, let seen = project.settingsStatus, status.sameVersion(as: seen) { return }
        project.settingsStatus = status
        guard status != nil else {
            skip(project, "\(file): missing; create it with `labelmill project create \(project.name) --task multi-class --tags A,B`")
            return
        }
        do {
            let bytes = try root.read(file, maxBytes: 1 << 20).bytes
            let settings = try ProjectSettings(bytes: bytes)
            if !project.copiesLoaded {
                try loadCopies(project)
                try chooseEmbedder(settings, for: project)
                try loadPool(project)
                loadModel(project, settings: settings)
                project.copiesLoaded = true
            }
            // Class ids must never move: the pages made so far carry the tags they were made with.
            let history = classHistory(project)
            if let problem = settings.changeError(from: history) {
                if project.settings != nil {
                    report(project, "\(file): \(problem); keeping the previous settings")
                } else {
                    skip(project, "\(file): \(problem); the project is skipped until this is put back")
                }
                return
            }
            project.phase = project.phase.configured(settings)
            try chooseEmbedder(settings, for: project)
            try prepareProjectFolders(project)
            logger.info("project ready", metadata: ["project": "\(project.name)", "task": "\(settings.task.rawValue)", "tags": "\(settings.tags.count)"])
        } catch let error as SettingsError {
            skip(project, "\(file): \(error.description); fix the file, the project is skipped until then")
        } catch {
            skip(project, "\(file): \(error)")
        }
    }

    /// What the project's pages fix: the newest page's task and tags, and
    /// every tag a label uses, in the daemon's copies (done pages) and in the
    /// pages being labeled now. Read only when project.json changes; recorded
    /// in classes.json so the commands apply the same rule.
    func classHistory(_ project: ProjectState) -> ClassHistory {
        var history = project.copies.history()
        for instances in livePageFolders(project).values {
            for instance in instances {
                if let page = readManifest(Path.join(instance.folder, "page.json")) { history.used.formUnion(ClassRecord.labelTags(of: page)) }
            }
        }
        recordClasses(project, history)
        return history
    }

    /// Keeps `.labelmill/pages/<project>/classes.json` up to date; a failed
    /// write is logged, the in-memory record stays right.
    func recordClasses(_ project: ProjectState, _ history: ClassHistory) {
        guard history != project.classes else { return }
        do {
            try ClassRecord(workspace: workspace, project: project.name, root: root).write(history)
            project.classes = history
        } catch {
            logger.error("cannot record the project's tags: \(error)", metadata: ["project": "\(project.name)"])
        }
    }

    func report(_ project: ProjectState, _ message: String) {
        logger.error("\(message)", metadata: ["project": "\(project.name)"])
    }

    /// The project has no usable settings: skipped until project.json is fixed.
    func skip(_ project: ProjectState, _ reason: String) {
        project.phase = .unconfigured(reason: reason)
        report(project, reason)
    }

    func prepareProjectFolders(_ project: ProjectState) throws(FileSystemError) {
        let p = project.name
        for dir in [workspace.queue(p), workspace.labelers(p), workspace.conflicts(p), workspace.rejected(p)] {
            try root.makeFolders(dir)
        }
        if let text = try? root.read(workspace.instructions(p), maxBytes: 1 << 24).bytes {
            let target = Path.join(workspace.watch(p), "INSTRUCTIONS.md")
            if (try? root.read(target).bytes) != text { try root.writeAtomically(target, text) }
        }
    }

    /// Records event lines: appended at once, right after the change they
    /// describe (a batch of pages holds its lines until the batch is placed).
    func emit(_ events: Event...) {
        for event in events { pendingEvents[event.project, default: []].append(JSONWriter.compact(event.json)) }
        if !holdingEvents { flushEvents() }
    }

    /// Appends the queued event lines, one write per project; then the steps
    /// they describe need no recovery.
    func flushEvents() {
        for (project, lines) in pendingEvents where !lines.isEmpty {
            do { try EventLog.append(lines, project: project, in: workspace, root: root) } catch {
                logger.error("cannot record events: \(error)", metadata: ["project": "\(project)"])
                continue
            }
            pendingEvents[project] = nil
        }
        for (name, state) in projects where state.intentsRecorded && pendingEvents[name]?.isEmpty != false {
            do { try EventIntents(workspace: workspace, project: name, root: root).clear() } catch { continue }
            state.intentsRecorded = false
        }
    }
}

extension WatchHints {
    /// Whether a hint lies in `folder` or below it.
    func touches(_ folder: String) -> Bool {
        changed.contains { $0 == folder || $0.hasPrefix(folder + "/") || folder.hasPrefix($0 + "/") }
    }
}

/// `Outbox/<project>/events.jsonl`: one line per transition, appended whole.
public enum EventLog {
    public static func record(_ event: Event, in workspace: Workspace, root: (any FileSystem)? = nil) throws(FileSystemError) {
        try append([JSONWriter.compact(event.json)], project: event.project, in: workspace, root: root)
    }

    /// Appends lines in one write, which O_APPEND keeps whole. `root`: the
    /// workspace root held open (opened here when not given).
    public static func append(_ lines: [String], project: String, in workspace: Workspace, root given: (any FileSystem)? = nil) throws(FileSystemError) {
        let text = lines.joined(separator: "\n") + "\n"
        let root: any FileSystem
        if let given { root = given } else { root = try RootedDirectory.open(workspace.root) }
        do { try root.append(workspace.events(project), text) } catch {
            guard error.isNotFound else { throw error }
            try root.makeFolders(workspace.outbox(project))
            try root.append(workspace.events(project), text)
        }
    }
}

/// What the daemon keeps in memory about one project.
final class ProjectState {
    let name: String
    /// Unconfigured, ready or waiting for disk space; holds the settings in force.
    var phase = ProjectPhase.unconfigured(reason: "project.json not read yet")
    var settings: ProjectSettings? { phase.settings }
    var settingsStatus: FileStatus?
    var copiesLoaded = false
    /// Other labelmill roots found inside the inbox, already reported.
    var otherRoots = Set<String>()
    /// Folders in labelers/ already reported as not labeler folders.
    var notedFolders = Set<[UInt8]>()
    /// What the pages fix (task, tag order, tags used), as last recorded.
    var classes: ClassHistory?
    /// events.pending holds lines of steps not yet in events.jsonl.
    var intentsRecorded = false
    /// The daemon's copy of every page it made, by page id.
    var copies = PageCopies()
    /// SHA-256 of every image paged in this project -> its page and position.
    var index = ImageIndex()

    /// The page and file name of a paged image, nil when no page has it.
    func original(of sha256: String) -> (page: String, file: String)? {
        guard let (page, position) = index[sha256] else { return nil }
        let images = copies[page]?.images ?? []
        return (page, images.indices.contains(position) ? images[position].file : "?")
    }
    var nextNumber = 1
    /// The labels `labelmill import` recorded, the import files they came
    /// from, and the pages waiting to get them.
    var imports = ImportBook()
    var importNames: [String] = []
    var importDue = Set<String>()
    /// Images checked and waiting to fill a page.
    private(set) var pending: [AcceptedImage] = []
    /// The SHA-256 of every pending image, for duplicate checks in O(1).
    private(set) var pendingHashes = Set<String>()

    func addPending(_ image: AcceptedImage) {
        pending.append(image)
        pendingHashes.insert(image.sha256)
    }

    func removePending(where drop: (AcceptedImage) -> Bool) {
        for image in pending where drop(image) { pendingHashes.remove(image.sha256) }
        pending.removeAll(where: drop)
    }

    func removeFirstPending(_ count: Int) {
        for image in pending.prefix(count) { pendingHashes.remove(image.sha256) }
        pending.removeFirst(count)
    }
    /// What this run did, for the summary line.
    var tally = Tally()
    /// Duplicates of pending images, refused once the original has its page.
    var duplicates: [(InboxItem, String)] = []
    /// Inbox files seen but not yet taken, and when the inbox last changed, on the daemon's clock.
    var inbox = InboxState<[UInt8], FileVersion>()
    /// Inbox files `--once` read right after the scan: taken on the second look if unchanged.
    var awaitingRecheck: [[UInt8]: (status: FileStatus, outcome: Engine.Examination, due: Double)] = [:]
    /// page.json versions already handled, by page folder.
    var handled: HandledVersions
    /// page.json versions the daemon wrote when it moved a page, by page folder:
    /// an event for one of them is the daemon's own and asks for nothing.
    var placed: [String: FileStatus] = [:]
    /// Look again on the next pass even without a hint (a page.json was still settling).
    var watchDirty = false
    /// Pages found missing from Watch while watching, and since when (daemon clock).
    var missingSince: [String: Double] = [:]
    /// Each labeler's lease on the pages held, by name.
    var leases: [String: Lease] = [:]
    /// When the first lease of a labeler holding pages runs out, as last computed.
    var leaseDue = Double.infinity
    /// When the inbox needs another look: the earliest end of a file's quiet period.
    var inboxWaitUntil: Double?
    /// When to look again at page folders out of place in labelers/ (still arriving).
    var misplacedDue = Double.infinity
    /// The queue's page ids in order, kept from a listing by the daemon's own
    /// moves and by events (watch mode); nil: list the queue folder.
    var queueOrder: QueueOrder?
    /// Pages to look at again, by id, and when (a page.json mid-save, a copy
    /// still arriving, a page folder that vanished).
    var recheck: [String: Double] = [:]
    /// The rescan of this project under way, a slice of pages at a time.
    var rescan: Rescan?
    /// The queue folder's status when it was last listed (before the listing).
    var queueListed: FileStatus?
    /// The labelers served last, whether one had room, and what that was served from.
    var staffed: (names: [String], room: Bool, view: StaffingView)?

    /// ML assist's state (SPEC section 7), once the project has a pool.
    var assist: ProjectAssist?

    /// `queue`: the project's queue folder, `Watch/<project>/queue`.
    init(name: String, queue: String) {
        self.name = name
        handled = HandledVersions(queue: queue)
    }
}

/// Counts of what happened in a project since the daemon started.
public struct Tally: Sendable, Equatable {
    public var images = 0, pages = 0, refused = 0, done = 0, rejected = 0, conflicts = 0

    public var isEmpty: Bool { self == Tally() }

    public var summary: String {
        "\(images) image\(images == 1 ? "" : "s") paged into \(pages) page\(pages == 1 ? "" : "s"), \(refused) refused; "
            + "\(done) page\(done == 1 ? "" : "s") done, \(rejected) rejected, \(conflicts) set aside in conflicts"
    }
}

/// An inbox image that passed every check, waiting for its page.
struct AcceptedImage {
    var rawPath: [UInt8]
    var name: String
    var source: String
    var status: FileStatus
    var sha256: String
    var width: Int
    var height: Int
}
