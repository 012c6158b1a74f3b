import LabelmillCore
import LabelmillFS

extension Engine {
    func readManifest(_ path: String) -> PageManifest? {
        guard let bytes = try? root.read(path, maxBytes: Int64(StrictJSON.maxBytes)).bytes,
              let node = try? StrictJSON.parse(bytes) else { return nil }
        return try? PageManifest(json: node.value)
    }

    /// Builds full pages from the checked images; with `flushAll`, or after
    /// `flush_seconds` of quiet, the last partial page too. A batch is made in
    /// three steps, each safe to interrupt: the images are kept and the pages
    /// journaled (one write); the page folders are placed in the queue; after
    /// what they are restored from is made durable, the inbox originals are removed.
    func buildPages(_ project: ProjectState, flushAll: Bool) throws(FileSystemError) {
        // Batches bound the memory a big inbox needs (journal text, events);
        // a large one costs one syncfs, so they are large.
        let before = project.tally
        loadImports(project)
        while try buildBatch(project, flushAll: flushAll, maxPages: 2000) {
            flushEvents()
        }
        flushEvents()
        try applyImports(project)
        // The daemon says what it paged; `--once` sums it up at the end instead.
        if !flushAll && project.tally.pages > before.pages {
            logger.info("images paged", metadata: ["project": "\(project.name)", "images": "\(project.tally.images - before.images)",
                                                   "pages": "\(project.tally.pages - before.pages)", "next.page": "\(PageID.make(project.nextNumber))"])
        }
    }

    /// Builds up to `maxPages` pages; true when it stopped at that limit.
    func buildBatch(_ project: ProjectState, flushAll: Bool, maxPages: Int) throws(FileSystemError) -> Bool {
        guard let settings = project.settings, !project.pending.isEmpty else { return false }
        let quiet = project.inbox.isQuiet(for: QuietPeriod(seconds: settings.flushSeconds), now: now())
        let journal = PageJournal(workspace: workspace, project: project.name, root: root)
        var made: [PageManifest] = []
        var built: [AcceptedImage] = []
        var number = project.nextNumber
        let picks = pickPages(project, settings: settings, flush: flushAll || quiet, maxPages: maxPages)
        for pick in picks {
            var entries: [PageImage] = []
            for (image, file) in zip(pick.images, PagePlan.fileNames(pick.images.map(\.name))) {
                entries.append(PageImage(file: file, width: image.width, height: image.height, source: image.source, sha256: image.sha256))
            }
            var manifest = PageManifest(schema: Workspace.Place.queue.schemaReference, project: project.name, page: PageID.make(number),
                                        revision: 1, task: settings.task, tags: settings.tags, status: .open, images: entries)
            if let assist = pick.assist { decorate(&manifest, with: assist, in: project) }
            if !project.imports.isEmpty && fillImported(&manifest, in: project) { project.importDue.insert(manifest.page) }
            made.append(manifest)
            number += 1
            built += pick.images
        }
        guard !made.isEmpty else { return false }
        // Each image is kept (hard-linked by its hash) before the journal names it.
        for result in onBothCores(built.count, { i in
            Result { () throws(FileSystemError) in try journal.keepImage(rawPath: built[i].rawPath, sha256: built[i].sha256) }
        }) { try result.get() }
        // The batch's event lines go down before the journal names its pages:
        // a stop after that point leaves pages that recovery logs.
        let t = now()
        var lines: [Event] = []
        for manifest in made {
            for image in manifest.images {
                lines.append(Event(time: t, kind: .ingested, project: project.name, page: manifest.page, file: image.file, source: image.source))
            }
            lines.append(Event(time: t, kind: .paged, project: project.name, page: manifest.page))
        }
        try plan(lines, check: .journaled, in: project)
        try journal.append(made)
        // From here the pages exist (a stop leaves them to be restored): their lines
        // are appended once the folders are placed, or if placing fails.
        pendingEvents[project.name, default: []] += lines.map { JSONWriter.compact($0.json) }
        holdingEvents = true
        defer {
            holdingEvents = false
            flushEvents()
        }
        // What the batch leans on made durable: from here on the pages can
        // always be restored, so the inbox originals may move into them.
        try makeDurable(built, journal: journal)
        project.nextNumber = number
        if picks.contains(where: { $0.assist != nil || $0.imported }) {
            let taken = Set(built.map(\.sha256))
            project.removePending { taken.contains($0.sha256) }
            if settings.assist != nil {
                for sha in taken { project.assist?.left(sha) }
                var counts = assistCounts(project)
                for manifest in made { counts.made(manifest) }
                project.assist?.counts = counts
                writeModelFile(project)
            }
        } else {
            project.removeFirstPending(built.count)
        }
        var originals = built.makeIterator()
        var sources: [[String: [UInt8]]] = []
        for manifest in made {
            project.copies[manifest.page] = manifest
            for (k, image) in manifest.images.enumerated() { project.index.insert(image.sha256, page: manifest.page, position: k) }
            var moving: [String: [UInt8]] = [:]
            for image in manifest.images { moving[image.file] = originals.next()?.rawPath }
            sources.append(moving)
        }
        // Page folders are independent: both cores write them.
        let (workspace, root) = (self.workspace, self.root!)
        let placed = onBothCores(made.count) { i in
            Result { () throws(FileSystemError) in try Self.writePage(made[i], workspace: workspace, root: root, at: .queue, moving: sources[i]) }
        }
        for (manifest, result) in zip(made, placed) {
            let folder = workspace.folder(of: manifest.page, in: project.name, at: .queue)
            project.handled[folder] = try result.get().map(FileVersion.init)
            project.queueOrder?.insert(manifest.page)
            logger.debug("page ready", metadata: ["project": "\(project.name)", "page.id": "\(manifest.page)", "images": "\(manifest.images.count)"])
        }
        if var classes = project.classes, let newest = made.last, classes.tags != newest.tags || classes.task != newest.task {
            (classes.task, classes.tags) = (newest.task, newest.tags)
            recordClasses(project, classes)
        }
        project.tally.images += built.count
        project.tally.pages += made.count
        return picks.count == maxPages
    }

    /// The images of the next pages: with ML assist, as `PoolPlan` says
    /// (only while the queue is short, clustered and prelabeled); without,
    /// in the order they were taken, all of them.
    func pickPages(_ project: ProjectState, settings: ProjectSettings, flush: Bool, maxPages: Int) -> [PagePick] {
        // Images imported as done go on pages of their own first, to be accepted as they are.
        if !project.imports.isEmpty {
            let done = project.pending.filter { project.imports[$0.sha256]?.mode == .done }
            if !done.isEmpty { return Self.inOrder(done, settings: settings, flush: true, maxPages: maxPages, imported: true) }
        }
        guard let assist = settings.assist else {
            return Self.inOrder(project.pending, settings: settings, flush: flush, maxPages: maxPages, imported: false)
        }
        let room = min(maxPages, assist.queuePages - queuedPages(project))
        guard room > 0 else { return [] }
        let state = assistState(project)
        // First look since the daemon started: a model is due if the outbox has the labels for one.
        if state.humanLabels == nil { maybeTrain(project, settings: settings) }
        maybeCluster(project, settings: settings)
        let model = state.paused == nil && assist.prelabel && settings.task == .multiClass ? state.model : nil
        if state.suggestedBy != model?.name { (state.suggested, state.suggestedBy) = ([:], model?.name) }
        var suggestions: [String: [(tag: String, confidence: Double)]] = [:]
        let t = now()
        // With a predictor proposing regions, an image waits for them up to its timeout.
        let predictor = regionPredictor(settings)
        let wait = max(Self.embedWaitSeconds, predictor?.timeoutSeconds ?? 0)
        var candidates: [PoolPlan.Candidate] = []
        var bySha: [String: AcceptedImage] = [:]
        // The images that waited longest (the pool in the order it came): bounded work per page made.
        for image in project.pending.prefix(Self.clusterWindow) {
            let sha = image.sha256
            bySha[sha] = image
            let vector = state.vector(sha)
            if let model, let vector {
                if state.suggested[sha] == nil { state.suggested[sha] = model.suggestions(vector).ranked }
                suggestions[sha] = state.suggested[sha]
            }
            let waiting = state.waiting(sha, predicting: predictor != nil)
            // Images still waiting for the embedder count from when they came; the others as if they had waited enough.
            candidates.append(PoolPlan.Candidate(id: sha, arrival: state.arrival[sha] ?? t, vector: vector.map(Vectors.normalized),
                                                 cluster: state.clusters[sha], confidence: suggestions[sha]?.first?.confidence,
                                                 waiting: waiting))
        }
        let plan = PoolPlan.pages(candidates, size: settings.pageSize, count: room, flush: flush, cluster: assist.cluster,
                                  threshold: model?.threshold?.confidence, now: t, embedWait: wait)
        // Images left waiting for the embedder: look again when their wait is over.
        let paged = Set(plan.flatMap(\.ids))
        state.dirty = false
        state.plannedAt = queuedPages(project) + plan.count
        state.embedDue = candidates.filter { $0.waiting && !paged.contains($0.id) }.map { $0.arrival + wait }.min() ?? .infinity
        return plan.map { page in
            let prelabels = page.prelabeled ? page.ids.compactMap { id in suggestions[id].map { (id, $0) } } : []
            let regions = predictor == nil ? [] : page.ids.compactMap { id in state.predictions[id].map { (id, $0) } }
            return PagePick(images: page.ids.map { bySha[$0]! },
                            assist: PagePick.Assist(clustered: page.clustered, model: page.prelabeled ? model?.name : nil,
                                                    prelabels: Dictionary(prelabels, uniquingKeysWith: { a, _ in a }),
                                                    regionPredictor: predictor,
                                                    regions: Dictionary(regions, uniquingKeysWith: { a, _ in a })))
        }
    }

    /// Pages of `images` in the order they came, as `PagePlan` sizes them.
    static func inOrder(_ images: [AcceptedImage], settings: ProjectSettings, flush: Bool, maxPages: Int, imported: Bool) -> [PagePick] {
        var start = 0
        return PagePlan.pageSizes(pending: images.count, pageSize: settings.pageSize, flush: flush, maxPages: maxPages).map { size in
            defer { start += size }
            return PagePick(images: Array(images[start..<start + size]), assist: nil, imported: imported)
        }
    }

    /// Pages in the queue, not yet handed to a labeler.
    func queuedPages(_ project: ProjectState) -> Int {
        if let order = project.queueOrder { return order.ids.count }
        return root.names(workspace.queue(project.name)).filter { PageID.number($0) != nil }.count
    }

    /// Above this many images a batch is flushed with one syncfs; below, each
    /// file it leans on is synced alone.
    static let syncEachFileUpTo = 64

    /// Makes durable what a batch's pages are restored from: the kept images
    /// (the inbox originals' own inodes), their folder, the journal and the
    /// event lines planned, with their folder, and what recovery needs
    /// besides: project.json (without it the project is skipped) and
    /// events.jsonl so far. A few images (a file dropped now and then) get
    /// one fsync each, so a busy disk's other writes are not waited for (a
    /// syncfs flushes the whole device); a big batch gets one syncfs.
    func makeDurable(_ images: [AcceptedImage], journal: PageJournal) throws(FileSystemError) {
        guard images.count <= Self.syncEachFileUpTo else { return root.syncFileSystem() }
        let kept = Set(images.map(\.sha256)).sorted().map(journal.image)
        let intents = EventIntents(workspace: workspace, project: journal.project, root: root).file
        let besides = [workspace.settingsFile(journal.project), workspace.events(journal.project)].filter { root.status($0)?.kind == .regular }
        try root.sync(kept + [journal.imagesFolder, journal.file, intents, journal.folder] + besides)
    }

    /// Writes a page folder at `place` from the manifest and its images: the
    /// inbox originals in `moving` (file -> path) are renamed in, the others
    /// hard-linked from the kept images. Staged under .labelmill, then renamed
    /// into place.
    func placePage(_ manifest: PageManifest, in project: ProjectState, at place: Workspace.Place) throws(FileSystemError) {
        let status = try Self.writePage(manifest, workspace: workspace, root: root, at: place, moving: [:])
        if place == .queue { project.queueOrder?.insert(manifest.page) }
        // The daemon wrote it: nothing to review until someone changes it.
        project.handled[workspace.folder(of: manifest.page, in: project.name, at: place)] = status.map(FileVersion.init)
    }

    /// Writes one page folder; touches no engine state, so pages can be
    /// written side by side. Returns the status of the page.json written.
    static func writePage(_ manifest: PageManifest, workspace: Workspace, root: any FileSystem, at place: Workspace.Place,
                          moving originals: [String: [UInt8]]) throws(FileSystemError) -> FileStatus? {
        let project = manifest.project
        let journal = PageJournal(workspace: workspace, project: project, root: root)
        let stage = Path.join(workspace.staging, "\(project).\(manifest.page)")
        try root.removeTree(stage)
        try root.makeFolders(stage)
        for image in manifest.images {
            let target = Path.join(stage, image.file)
            if let original = originals[image.file] {
                do throws(FileSystemError) { try root.moveNoReplace(rawFrom: original, to: Array(target.utf8)); continue } catch {
                    guard error.isNotFound else { throw error }  // gone from the inbox: the kept image will do
                }
            }
            try root.link(journal.image(image.sha256), to: target)
        }
        var placed = manifest
        placed.schema = place.schemaReference
        let written = try root.writeNew(Path.join(stage, "page.json"), JSONWriter.prettyBytes(placed.json))
        let target = workspace.folder(of: manifest.page, in: project, at: place)
        do { try root.moveNoReplace(stage, to: target) } catch {
            guard error.isNotFound else { throw error }
            try root.makeFolders(Path.parent(target))
            try root.moveNoReplace(stage, to: target)
        }
        // A rename moves the folder, not page.json: its status is as written.
        return written
    }

    /// Page folders in Watch (queue and labelers), by page id; a page copied
    /// by hand or by a sync tool can be in several places at once.
    func livePageFolders(_ project: ProjectState) -> [String: [(folder: String, place: Workspace.Place)]] {
        var found: [String: [(String, Workspace.Place)]] = [:]
        for id in root.names(workspace.queue(project.name)) where PageID.number(id) != nil {
            found[id, default: []].append((Path.join(workspace.queue(project.name), id), .queue))
        }
        // A labeler folder that is a symlink is no labeler folder: never followed.
        for name in root.folderNames(workspace.labelers(project.name)) where PageID.number(name) == nil {
            let dir = workspace.labeler(project.name, name)
            for id in root.folderNames(dir) where PageID.number(id) != nil {
                found[id, default: []].append((Path.join(dir, id), .labeler(name)))
            }
        }
        return found
    }

    /// Records a page as done in the daemon's copy and drops the kept images,
    /// so emptying the outbox frees the disk.
    func finishCopy(_ done: PageManifest, in project: ProjectState) throws(FileSystemError) {
        let journal = PageJournal(workspace: workspace, project: project.name, root: root)
        try journal.append([done])
        // Before the kept images go: after that, a leftover would pass for a new duplicate.
        try removeInboxLeftovers(of: done, in: project)
        try journal.dropImages(of: done)
        project.copies[done.page] = done
        noteAccepted(done, in: project)
        if var classes = project.classes, !ClassRecord.labelTags(of: done).isSubset(of: classes.used) {
            classes.used.formUnion(ClassRecord.labelTags(of: done))
            recordClasses(project, classes)
        }
    }
}

/// The images of one page to make, and what ML assist says of it.
struct PagePick {
    struct Assist {
        var clustered: Bool
        /// The model that prelabeled the page, nil for a manual page.
        var model: String?
        /// The model's top suggestions by image (SHA-256), on a prelabeled page.
        var prelabels: [String: [(tag: String, confidence: Double)]]
        /// The predictor whose regions are filled in (bbox and polygon projects), and its proposals by image.
        var regionPredictor: PredictorSettings? = nil
        var regions: [String: [PredictedRegion]] = [:]
    }
    var images: [AcceptedImage]
    var assist: Assist?
    /// Images imported as done, taken from anywhere in the pool.
    var imported = false
}
