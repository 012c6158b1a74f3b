import LabelmillCore
import LabelmillFS
#if canImport(Glibc)
import Glibc
#endif

/// The page ids waiting in a project's queue, in the order `fill` hands them
/// out (the queue folder's sorted names), kept in memory so that handing out
/// a page needs no listing of a queue of 100,000 pages.
struct QueueOrder {
    private(set) var ids: [String]

    init(_ ids: some Sequence<String>) { self.ids = Array(Set(ids.filter { PageID.number($0) != nil })).sorted() }

    /// Page ids already sorted and unique (a folder's names, as `names` gives them).
    init(sorted ids: [String]) { self.ids = ids.filter { PageID.number($0) != nil } }

    func contains(_ id: String) -> Bool {
        let i = position(id)
        return i < ids.count && ids[i] == id
    }

    /// Where `id` is or would go.
    private func position(_ id: String) -> Int {
        var (low, high) = (0, ids.count)
        while low < high {
            let mid = (low + high) / 2
            if ids[mid] < id { low = mid + 1 } else { high = mid }
        }
        return low
    }

    mutating func insert(_ id: String) {
        guard PageID.number(id) != nil else { return }
        let i = position(id)
        if i < ids.count && ids[i] == id { return }
        ids.insert(id, at: i)
    }

    mutating func remove(_ id: String) {
        let i = position(id)
        if i < ids.count && ids[i] == id { ids.remove(at: i) }
    }
}

/// A full look at one project's pages, done a slice at a time between events:
/// the listing taken when it started, and how far it has got. The queue's ids
/// come first, then the pages found only in labelers' folders.
struct Rescan {
    /// The queue's page ids when the rescan started.
    var queued: QueueOrder
    /// Page folders in labelers' folders, by page id (a page held twice is in two).
    var held: [String: [String]]
    /// The ids of `held` not in the queue too, sorted.
    var heldOnly: [String]
    var next = 0
    /// Keeps to `Engine.rescanBudget` of the wall time (the periodic rescan);
    /// false after events were lost, when slice follows slice.
    var budgeted: Bool
    /// When the next slice may run, on the daemon's clock.
    var due = -Double.infinity

    init(queued: QueueOrder, held: [String: [String]], budgeted: Bool) {
        (self.queued, self.held, self.budgeted) = (queued, held, budgeted)
        heldOnly = held.keys.filter { !queued.contains($0) }.sorted()
    }

    var count: Int { queued.ids.count + heldOnly.count }

    func id(at i: Int) -> String { i < queued.ids.count ? queued.ids[i] : heldOnly[i - queued.ids.count] }

    /// Whether the listing found the page anywhere in Watch.
    func isListed(_ id: String) -> Bool { held[id] != nil || queued.contains(id) }
}

/// Where in the workspace an event happened, for routing.
enum EventPlace: Equatable {
    /// An entry of Inbox/: a project folder came or went.
    case inboxRoot
    /// Something in a project's inbox; `settings`: project.json itself.
    case inbox(project: String, settings: Bool)
    /// An entry of queue/: a page folder came or went.
    case queue(project: String)
    /// Something inside a queued page folder.
    case queuedPage(project: String, page: String)
    /// An entry of labelers/: a labeler folder (or a page put there by mistake).
    case labelers(project: String)
    /// An entry of labelers/NAME/: a held page, SIGNED-OUT.txt, a stray folder.
    case labeler(project: String, name: String)
    /// Something inside labelers/NAME/page-N/.
    case heldPage(project: String, name: String, page: String)
    /// Deeper in a labeler's folder (a page nested one level too deep).
    case belowLabeler(project: String)
    /// Watch/<project>/ itself (its queue or labelers folder came or went).
    case projectWatch(project: String)
    case elsewhere
}

extension Engine {
    /// Pages looked at per slice of a rescan: a few milliseconds of work.
    static let rescanSlice = 500

    /// The CPU time of the calling thread, in seconds: the work clock that
    /// keeps the periodic rescan to its budget.
    public static func threadCPUTime() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func place(of event: WatchEvent) -> EventPlace {
        if event.folder == workspace.inboxRoot { return .inboxRoot }
        let inbox = workspace.inboxRoot + "/"
        if event.folder.hasPrefix(inbox) {
            let rest = event.folder.dropFirst(inbox.count)
            let project = String(rest.prefix { $0 != "/" })
            return .inbox(project: project, settings: project.count == rest.count && event.name == "project.json")
        }
        let watch = workspace.watchRoot + "/"
        guard event.folder.hasPrefix(watch) else { return .elsewhere }
        let parts = event.folder.dropFirst(watch.count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let project = parts[0]
        switch (parts.count, parts.count > 1 ? parts[1] : "") {
        case (1, _): return .projectWatch(project: project)
        case (2, "queue"): return .queue(project: project)
        case (2, "labelers"): return .labelers(project: project)
        case (3, "queue"): return .queuedPage(project: project, page: parts[2])
        case (3, "labelers"): return .labeler(project: project, name: parts[2])
        case (4, "labelers") where PageID.number(parts[3]) != nil: return .heldPage(project: project, name: parts[2], page: parts[3])
        case (_, "labelers"): return .belowLabeler(project: project)
        default: return .elsewhere
        }
    }

    /// What one batch of events asks of one project.
    struct ProjectWork {
        var inbox = false
        var finished = FinishedFiles()
        /// Page ids to look at, with the labeler folders they were seen in.
        var pages: [String: Set<String>] = [:]
        /// Queue entries that came or went.
        var queueEntries = Set<String>()
        var labelers = false
        var misplaced = false
    }

    /// Acts on what the watcher saw: each event is routed to the one inbox,
    /// page or labeler it concerns, and only that is looked at. Events lost
    /// (an overflow) start a rescan.
    public func react(_ batch: WatchBatch) {
        if batch.rescanAll { rescanNow() }
        var refresh = false
        var work: [String: ProjectWork] = [:]
        for event in batch.events {
            switch place(of: event) {
            case .inboxRoot:
                refresh = true
            case .inbox(let p, let settings):
                if settings { refresh = true }
                work[p, default: ProjectWork()].inbox = true
                if event.kind == .closedAfterWrite || event.kind == .renamedIn {
                    if event.isFolder { work[p]!.finished.folders.insert(event.rawPath) } else { work[p]!.finished.files.insert(event.rawPath) }
                }
            case .queue(let p):
                guard let id = event.name, PageID.number(id) != nil else { continue }
                work[p, default: ProjectWork()].queueEntries.insert(id)
                work[p]!.pages[id, default: []].formUnion([])
            case .queuedPage(let p, let id):
                work[p, default: ProjectWork()].pages[id, default: []].formUnion([])
            case .labelers(let p):
                if event.name.flatMap(PageID.number) != nil { work[p, default: ProjectWork()].misplaced = true }
                work[p, default: ProjectWork()].labelers = true
            case .labeler(let p, let name):
                if let id = event.name, PageID.number(id) != nil {
                    work[p, default: ProjectWork()].pages[id, default: []].insert(workspace.folder(of: id, in: p, at: .labeler(name)))
                } else if event.isFolder {
                    work[p, default: ProjectWork()].misplaced = true
                }
                work[p, default: ProjectWork()].labelers = true
            case .heldPage(let p, let name, let id):
                work[p, default: ProjectWork()].pages[id, default: []].insert(workspace.folder(of: id, in: p, at: .labeler(name)))
            case .belowLabeler(let p):
                work[p, default: ProjectWork()].misplaced = true
            case .projectWatch:
                rescanNow()
            case .elsewhere:
                continue
            }
        }
        if refresh {
            let ready = Set(projects.filter { $0.value.settings != nil }.keys)
            refreshProjects()
            // A project that just became usable: its inbox is walked, its labelers served.
            for (name, project) in projects where project.settings != nil && !ready.contains(name) {
                work[name, default: ProjectWork()].inbox = true
                work[name]!.labelers = true
            }
        }
        for name in work.keys.sorted() {
            guard let project = projects[name], project.settings != nil, let todo = work[name] else { continue }
            runGuarded(project) { () throws(FileSystemError) in
                if todo.inbox {
                    try ingest(project, once: false, finished: todo.finished)
                    try buildPages(project, flushAll: false)
                    try refusePagedDuplicates(project)
                }
                for id in todo.queueEntries.sorted() {
                    if root.isDirectory(workspace.folder(of: id, in: name, at: .queue)) {
                        project.queueOrder?.insert(id)
                    } else {
                        project.queueOrder?.remove(id)
                    }
                }
                if todo.misplaced { try lookForMisplacedPages(project) }
                for id in todo.pages.keys.sorted() { try reviewOne(id, seenAt: todo.pages[id]!, in: project) }
                try serveLabelersIfChanged(project)
            }
        }
        flushEvents()
        pageFromPool()
    }

    /// The folders where a page is now: the queue, its holder's folder on
    /// record, and the labeler folders an event or a listing saw it in. A
    /// few lstat calls, never a listing of the queue.
    func locate(_ id: String, also seen: Set<String> = [], in project: ProjectState) -> [(folder: String, place: Workspace.Place)] {
        var found: [(folder: String, place: Workspace.Place)] = []
        let queued = workspace.folder(of: id, in: project.name, at: .queue)
        if root.isDirectory(queued) { found.append((queued, .queue)) }
        var folders = seen
        if let holder = project.copies[id]?.assignedTo { folders.insert(workspace.folder(of: id, in: project.name, at: .labeler(holder))) }
        for folder in folders.sorted() where root.isDirectory(folder) {
            found.append((folder, .labeler(Path.name(Path.parent(folder)))))
        }
        return found
    }

    /// Looks at one page after an event: settles its live copy and reviews
    /// it. A page.json mid-save or a copy still arriving is looked at again
    /// after its quiet period; a page found nowhere, after `restoreGraceSeconds`.
    func reviewOne(_ id: String, seenAt seen: Set<String>, in project: ProjectState) throws(FileSystemError) {
        guard PageID.number(id) != nil else { return }
        let instances = locate(id, also: seen, in: project)
        guard !instances.isEmpty else {
            if let status = project.copies.status(of: id), status != .done { schedule(id, after: restoreGraceSeconds, in: project) }
            return
        }
        let dirty = project.watchDirty
        project.watchDirty = false
        defer { project.watchDirty = dirty }
        do { try reviewPage(id, instances, in: project, once: false, eager: true) } catch {
            if error.isNoSpace { throw error }
            logger.error("cannot review this page; trying again later", metadata: ["project": "\(project.name)", "page.id": "\(id)", "error": "\(error)"])
            project.watchDirty = true
        }
        if project.watchDirty { schedule(id, after: pageSettleSeconds, in: project) }
    }

    /// Page folders out of place in labelers/ go to conflicts once quiet; until
    /// then they are looked at again each second.
    func lookForMisplacedPages(_ project: ProjectState) throws(FileSystemError) {
        let dirty = project.watchDirty
        project.watchDirty = false
        defer { project.watchDirty = dirty }
        project.misplacedDue = .infinity
        try setAsideMisplacedPages(project, once: false)
        if project.watchDirty { project.misplacedDue = now() + 1 }
    }

    func schedule(_ id: String, after seconds: Double, in project: ProjectState) {
        let due = now() + seconds
        project.recheck[id] = min(project.recheck[id] ?? due, due)
    }

    /// A page that was found nowhere when last looked at: if it is still
    /// nowhere, a listing of Watch decides (a copy may be in another labeler's
    /// folder), and only then is it restored from the daemon's copy.
    func recheckVanished(_ id: String, in project: ProjectState) throws(FileSystemError) {
        guard let copy = project.copies[id], copy.status != .done else { return }
        if locate(id, in: project).isEmpty, let listed = livePageFolders(project)[id], !listed.isEmpty {
            try reviewOne(id, seenAt: Set(listed.filter { $0.place != .queue }.map(\.folder)), in: project)
            return
        }
        guard locate(id, in: project).isEmpty else { return try reviewOne(id, seenAt: [], in: project) }
        try restoreMissingPages(project, only: [id])
    }

    /// Runs what is due: inbox files whose quiet period ended, a partial page
    /// to flush, leases, pages to look at again, and a slice of the rescan.
    public func tick() {
        let t = now()
        // A rescan after lost events starts at once, over one under way (which may have passed what was lost).
        if t >= rescanDue && (rescanUrgent || !projects.values.contains(where: { $0.rescan != nil })) { startRescan() }
        for name in projects.keys.sorted() {
            guard let project = projects[name], project.settings != nil else { continue }
            runGuarded(project) { () throws(FileSystemError) in
                var serve = t >= project.leaseDue
                if t >= project.misplacedDue {
                    try lookForMisplacedPages(project)
                    serve = true
                }
                if let due = inboxDue(project), t >= due {
                    try ingest(project, once: false)
                    try buildPages(project, flushAll: false)
                    try refusePagedDuplicates(project)
                    serve = true
                }
                let due = project.recheck.filter { $0.value <= t }.keys.sorted()
                for id in due {
                    project.recheck[id] = nil
                    if locate(id, in: project).isEmpty { try recheckVanished(id, in: project) } else { try reviewOne(id, seenAt: [], in: project) }
                    serve = true
                }
                if let scan = project.rescan, t >= scan.due, try rescanSlice(project) { serve = true }
                if serve { try serveLabelersIfChanged(project) }
            }
        }
        flushEvents()
        pageFromPool()
    }

    /// When the project's inbox needs another look: a file's quiet period
    /// ends, or a partial page is due to be flushed.
    func inboxDue(_ project: ProjectState) -> Double? {
        var due = project.inboxWaitUntil
        if let settings = project.settings, !project.pending.isEmpty {
            if let assist = settings.assist, queuedPages(project) >= assist.queuePages {
                // A full queue: the pool waits until a labeler takes a page (`pageFromPool`).
                return due
            }
            if settings.assist != nil, let state = project.assist, !state.asked.isEmpty {
                // Embeddings under way: pages are made as they come (the worker wakes the daemon), or without them once waited for long enough.
                return min(due ?? .infinity, state.embedDue)
            }
            due = min(due ?? .infinity, QuietPeriod(seconds: settings.flushSeconds).end(since: project.inbox.lastActivity))
        }
        return due
    }

    /// The earliest time something is due; nil when nothing is scheduled
    /// (the daemon then sleeps until an event or the next rescan).
    public var nextDeadline: Double {
        // The next periodic rescan waits for the one under way to finish.
        var due = rescanUrgent || !projects.values.contains(where: { $0.rescan != nil }) ? rescanDue : .infinity
        for project in projects.values where project.settings != nil {
            due = min(due, project.rescan?.due ?? .infinity, project.leaseDue, project.misplacedDue, project.recheck.values.min() ?? .infinity, inboxDue(project) ?? .infinity)
        }
        return due
    }

    /// Asks for a full rescan now, flat out (events were lost).
    func rescanNow() {
        rescanDue = now()
        rescanUrgent = true
    }

    /// Starts a full rescan: every project's settings, inbox, labelers and
    /// misplaced copies now, then its pages a slice at a time (`rescanSlice`),
    /// so an event arriving meanwhile waits milliseconds, not the whole
    /// rescan. The periodic one keeps to `rescanBudget` of the wall time on
    /// the work clock; one after lost events (and the first) runs slice after slice.
    func startRescan() {
        let budgeted = !rescanUrgent
        rescanUrgent = false
        rescanDue = now() + rescanSeconds
        refreshProjects()
        for name in projects.keys.sorted() {
            guard let project = projects[name], project.settings != nil else { continue }
            runGuarded(project) { () throws(FileSystemError) in
                let work = workClock()
                try ingest(project, once: false)
                try buildPages(project, flushAll: false)
                try refusePagedDuplicates(project)
                try lookForMisplacedPages(project)
                try serveLabelers(project)
                var held: [String: [String]] = [:]
                // A labeler folder that is a symlink is no labeler folder: never followed.
                for name in root.folderNames(workspace.labelers(project.name)) where PageID.number(name) == nil {
                    let dir = workspace.labeler(project.name, name)
                    for id in root.folderNames(dir) where PageID.number(id) != nil { held[id, default: []].append(Path.join(dir, id)) }
                }
                var scan = Rescan(queued: queueListing(project), held: held, budgeted: budgeted)
                if budgeted { scan.due = now() + (workClock() - work) / rescanBudget }
                project.rescan = scan
            }
        }
        flushEvents()
    }

    /// The queue's page ids for a rescan. The queue folder is listed only
    /// when its times changed since the last listing (an entry came, went or
    /// was renamed, as `PollWatcher` tells); otherwise the order kept in
    /// memory is the listing, since every change to it changed those times.
    /// Times as coarse as a second, and that recent, are not trusted.
    func queueListing(_ project: ProjectState) -> QueueOrder {
        let folder = workspace.queue(project.name)
        let status = root.status(folder)
        if let order = project.queueOrder, let status, let listed = project.queueListed, Self.sameTimes(status, listed), timesTell(status) {
            return order
        }
        let order = QueueOrder(sorted: root.names(folder))
        project.queueOrder = order
        project.queueListed = status
        return order
    }

    /// Whether a folder's own times say nothing came, went or was renamed in it.
    static func sameTimes(_ a: FileStatus, _ b: FileStatus) -> Bool {
        a.mtime == b.mtime && a.ctime == b.ctime && a.inode == b.inode && a.device == b.device
    }

    /// Whether a change now would show in these times: they are finer than a
    /// second, or over two seconds old (sshfs gives whole seconds, FAT even ones).
    func timesTell(_ status: FileStatus) -> Bool {
        status.mtime % 1_000_000_000 != 0 || status.ctime % 1_000_000_000 != 0
            || fileClock() - Double(max(status.mtime, status.ctime)) / 1e9 > 2.1
    }

    /// Looks at the next slice of pages of the rescan under way; at its end,
    /// restores the pages the listing did not find anywhere. True when a page
    /// needed a look (its page.json not as the daemon last saw it).
    @discardableResult
    func rescanSlice(_ project: ProjectState) throws(FileSystemError) -> Bool {
        guard var scan = project.rescan else { return false }
        let work = workClock()
        let end = min(scan.count, scan.next + Self.rescanSlice)
        let queue = workspace.queue(project.name)
        var looked = false
        for i in scan.next..<end {
            let id = scan.id(at: i)
            let held = scan.held[id] ?? []
            let folders = i < scan.queued.ids.count ? [Path.join(queue, id)] + held : held
            // The usual case: one copy, its page.json as the daemon last saw it.
            if folders.count == 1, let seen = project.handled[folders[0]],
               let status = root.status(Path.join(folders[0], "page.json")), seen.sameVersion(as: status) { continue }
            try reviewOne(id, seenAt: Set(held), in: project)
            looked = true
        }
        scan.next = end
        if scan.budgeted { scan.due = now() + (workClock() - work) / rescanBudget }
        project.rescan = scan
        guard end == scan.count else { return looked }
        project.rescan = nil
        let missing = project.copies.ids.filter { id in project.copies.status(of: id).map { $0 != .done } == true && !scan.isListed(id) }
        let gone = missing.filter { locate($0, in: project).isEmpty }
        if !gone.isEmpty { try restoreMissingPages(project, only: gone.sorted()) }
        return looked || !gone.isEmpty
    }
}
