import LabelmillCore
import LabelmillFS

/// The page ids waiting in a project's queue, in the order `fill` hands them
/// out (the queue folder's sorted names), kept in memory so that handing out
/// a page needs no listing of a queue of 100,000 pages.
struct QueueOrder {
    private(set) var ids: [String]

    init(_ ids: some Sequence<String>) { self.ids = Array(Set(ids.filter { PageID.number($0) != nil })).sorted() }

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
/// the listing taken when it started, and how far it has got.
struct Rescan {
    var ids: [String]
    var listed: [String: [(folder: String, place: Workspace.Place)]]
    var next = 0
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
        if batch.rescanAll { rescanDue = now() }
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
                rescanDue = now()
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
                try serveLabelers(project)
            }
        }
        flushEvents()
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
            if let copy = project.copies[id], copy.status != .done { schedule(id, after: restoreGraceSeconds, in: project) }
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
        if t >= rescanDue && !projects.values.contains(where: { $0.rescan != nil }) { startRescan() }
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
                if project.rescan != nil {
                    try rescanSlice(project)
                    serve = true
                }
                if serve { try serveLabelers(project) }
            }
        }
        flushEvents()
    }

    /// When the project's inbox needs another look: a file's quiet period
    /// ends, or a partial page is due to be flushed.
    func inboxDue(_ project: ProjectState) -> Double? {
        var due = project.inboxWaitUntil
        if let settings = project.settings, !project.pending.isEmpty {
            due = min(due ?? .infinity, QuietPeriod(seconds: settings.flushSeconds).end(since: project.inbox.lastActivity))
        }
        return due
    }

    /// The earliest time something is due; nil when nothing is scheduled
    /// (the daemon then sleeps until an event or the next rescan).
    public var nextDeadline: Double {
        var due = rescanDue
        for project in projects.values where project.settings != nil {
            if project.rescan != nil { return now() }
            due = min(due, project.leaseDue, project.misplacedDue, project.recheck.values.min() ?? .infinity, inboxDue(project) ?? .infinity)
        }
        return due
    }

    /// Starts a full rescan: every project's settings, inbox and misplaced
    /// copies now, then its pages a slice at a time (`rescanSlice`), so an
    /// event arriving meanwhile waits milliseconds, not the whole rescan.
    func startRescan() {
        rescanDue = now() + rescanSeconds
        refreshProjects()
        for name in projects.keys.sorted() {
            guard let project = projects[name], project.settings != nil else { continue }
            runGuarded(project) { () throws(FileSystemError) in
                try ingest(project, once: false)
                try buildPages(project, flushAll: false)
                try refusePagedDuplicates(project)
                try lookForMisplacedPages(project)
                let listed = livePageFolders(project)
                project.queueOrder = QueueOrder(listed.compactMap { id, places in places.contains { $0.place == .queue } ? id : nil })
                project.rescan = Rescan(ids: listed.keys.sorted(), listed: listed)
            }
        }
        flushEvents()
    }

    /// Looks at the next slice of pages of the rescan under way; at its end,
    /// restores the pages the listing did not find anywhere.
    func rescanSlice(_ project: ProjectState) throws(FileSystemError) {
        guard var scan = project.rescan else { return }
        let end = min(scan.ids.count, scan.next + Self.rescanSlice)
        for id in scan.ids[scan.next..<end] {
            let listed = scan.listed[id] ?? []
            // The usual case: one copy, its page.json as the daemon last saw it.
            if listed.count == 1, let seen = project.handled[listed[0].folder],
               let status = root.status(Path.join(listed[0].folder, "page.json")), seen.sameVersion(as: status) { continue }
            try reviewOne(id, seenAt: Set(listed.filter { $0.place != .queue }.map(\.folder)), in: project)
        }
        scan.next = end
        project.rescan = scan
        guard end == scan.ids.count else { return }
        project.rescan = nil
        let missing = project.copies.compactMap { id, copy in copy.status != .done && scan.listed[id] == nil ? id : nil }
        let gone = missing.filter { locate($0, in: project).isEmpty }
        if !gone.isEmpty { try restoreMissingPages(project, only: gone.sorted()) }
    }
}
