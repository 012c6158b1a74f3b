import LabelmillCore
import LabelmillFS

extension Engine {
    /// Loads the daemon's copies of a project's pages: the duplicate index, the
    /// next page number, and what each live page should look like. Removes
    /// copies a stop left half-made.
    func loadCopies(_ project: ProjectState) throws(FileSystemError) {
        let dir = workspace.copies(project.name)
        try FileSystem.makeDirectories(dir)
        project.copies = [:]
        project.index = [:]
        var highest = 0
        for entry in FileSystem.names(dir) {
            let path = Path.join(dir, entry)
            if entry.hasSuffix(".tmp") {
                if let n = PageID.number(String(entry.dropLast(4))) { highest = max(highest, n) }
                try FileSystem.removeTree(path)
                continue
            }
            guard let n = PageID.number(entry) else { continue }
            highest = max(highest, n)
            guard let manifest = readManifest(Path.join(path, "page.json")) else {
                logger.error("the daemon's copy of a page is unreadable; leaving it", metadata: ["project": "\(project.name)", "page.id": "\(entry)"])
                continue
            }
            project.copies[entry] = manifest
            for image in manifest.images { project.index[image.sha256] = (entry, image.file) }
        }
        project.nextNumber = highest + 1
        try restoreMissingPages(project)
    }

    func readManifest(_ path: String) -> PageManifest? {
        guard let bytes = try? FileSystem.read(path, maxBytes: Int64(StrictJSON.maxBytes)).bytes,
              let node = try? StrictJSON.parse(bytes) else { return nil }
        return try? PageManifest(json: node.value)
    }

    /// Builds full pages from the checked images; with `flushAll`, or after
    /// `flush_seconds` of quiet, the last partial page too. Pages of one pass
    /// are flushed to disk together before the inbox originals are removed.
    func buildPages(_ project: ProjectState, flushAll: Bool) throws(FileSystemError) {
        guard let settings = project.settings, !project.pending.isEmpty else { return }
        let quiet = now() - project.lastInboxActivity >= settings.flushSeconds
        var built: [AcceptedImage] = []
        while project.pending.count >= settings.pageSize || (!project.pending.isEmpty && (flushAll || quiet)) {
            let images = Array(project.pending.prefix(settings.pageSize))
            try makePage(images, in: project, settings: settings)
            project.pending.removeFirst(images.count)
            built += images
        }
        guard !built.isEmpty else { return }
        // One flush for the whole batch, then the inbox originals may go.
        FileSystem.syncFileSystem(workspace.stateRoot)
        for image in built { try FileSystem.remove(rawPath: image.rawPath) }
    }

    /// Makes one page: the daemon's copy first (complete once renamed into
    /// place), then the page itself, staged and renamed into the queue.
    func makePage(_ images: [AcceptedImage], in project: ProjectState, settings: ProjectSettings) throws(FileSystemError) {
        let id = PageID.make(project.nextNumber)
        let copyDir = Path.join(workspace.copies(project.name), id)
        let temp = copyDir + ".tmp"
        try FileSystem.removeTree(temp)
        try FileSystem.makeDirectories(temp)
        var entries: [PageImage] = []
        var used = Set<String>()
        for image in images {
            var file = image.name
            var n = 2
            while used.contains(file) { file = Path.numbered(image.name, n); n += 1 }
            used.insert(file)
            try FileSystem.link(rawFrom: image.rawPath, to: Path.join(temp, file))
            entries.append(PageImage(file: file, width: image.width, height: image.height, source: image.source, sha256: image.sha256))
        }
        let manifest = PageManifest(schema: Workspace.Place.queue.schemaReference, project: project.name, page: id, revision: 1,
                                    task: settings.task, tags: settings.tags, status: .open, images: entries)
        try FileSystem.writeAtomically(Path.join(temp, "page.json"), Array(JSONWriter.pretty(manifest.json).utf8), durable: false)
        try FileSystem.moveNoReplace(temp, copyDir)
        project.nextNumber += 1
        project.copies[id] = manifest
        for image in entries { project.index[image.sha256] = (id, image.file) }
        try placePage(manifest, from: copyDir, in: project, at: .queue)
        let t = now()
        for image in entries {
            emit(Event(time: t, kind: .ingested, project: project.name, page: id, file: image.file, source: image.source))
        }
        emit(Event(time: t, kind: .paged, project: project.name, page: id))
        logger.info("page ready", metadata: ["project": "\(project.name)", "page.id": "\(id)", "images": "\(entries.count)"])
    }

    /// Writes a page folder at `place` from the images in `imagesDir` (hard
    /// links) and the manifest: staged under .labelmill, then renamed in.
    func placePage(_ manifest: PageManifest, from imagesDir: String, in project: ProjectState, at place: Workspace.Place) throws(FileSystemError) {
        let stage = Path.join(workspace.staging, "\(project.name).\(manifest.page)")
        try FileSystem.removeTree(stage)
        try FileSystem.makeDirectories(stage)
        for image in manifest.images {
            try FileSystem.link(Path.join(imagesDir, image.file), Path.join(stage, image.file))
        }
        var placed = manifest
        placed.schema = place.schemaReference
        try FileSystem.writeAtomically(Path.join(stage, "page.json"), Array(JSONWriter.pretty(placed.json).utf8), durable: false)
        let target = workspace.folder(of: manifest.page, in: project.name, at: place)
        try FileSystem.makeDirectories(Path.parent(target))
        try FileSystem.moveNoReplace(stage, target)
    }

    /// Every page the daemon made that is not done must live somewhere in Watch
    /// (or have reached the outbox). A page a stop left unplaced, or a labeler
    /// deleted, is put back in the queue from the daemon's copy.
    func restoreMissingPages(_ project: ProjectState) throws(FileSystemError) {
        let live = livePageFolders(project)
        for (id, copy) in project.copies.sorted(by: { $0.key < $1.key }) where copy.status != .done {
            if live[id]?.isEmpty == false { continue }
            let outbox = workspace.folder(of: id, in: project.name, at: .outbox)
            if let done = readManifest(Path.join(outbox, "page.json")), done.status == .done {
                try finishCopy(done, in: project)
                continue
            }
            var restored = copy
            restored.status = .open
            restored.assignedTo = nil
            restored.errors = nil
            // Restoring changes hands: a copy of the lost folder that turns up later is stale.
            restored.revision = copy.revision + 1
            try WorkQueue(workspace: workspace, project: project.name).recordMove(id, revision: restored.revision, holder: nil)
            project.copies[id]?.revision = restored.revision
            project.copies[id]?.assignedTo = nil
            try placePage(restored, from: Path.join(workspace.copies(project.name), id), in: project, at: .queue)
            emit(Event(time: now(), kind: .restored, project: project.name, page: id, reason: "the page folder was missing; restored to the queue from the daemon's copy"))
            logger.warning("page restored to the queue", metadata: ["project": "\(project.name)", "page.id": "\(id)"])
        }
    }

    /// Page folders in Watch (queue and labelers), by page id; a page copied
    /// by hand or by a sync tool can be in several places at once.
    func livePageFolders(_ project: ProjectState) -> [String: [(folder: String, place: Workspace.Place)]] {
        var found: [String: [(String, Workspace.Place)]] = [:]
        for id in FileSystem.names(workspace.queue(project.name)) where PageID.number(id) != nil {
            found[id, default: []].append((Path.join(workspace.queue(project.name), id), .queue))
        }
        for name in FileSystem.names(workspace.labelers(project.name)) where PageID.number(name) == nil {
            let dir = workspace.labeler(project.name, name)
            for id in FileSystem.names(dir) where PageID.number(id) != nil && FileSystem.isDirectory(Path.join(dir, id)) {
                found[id, default: []].append((Path.join(dir, id), .labeler(name)))
            }
        }
        return found
    }

    /// The latest time anything in a folder changed: the folder itself and its
    /// entries, mtime or ctime (`rsync -a` keeps old mtimes, but every write
    /// and rename sets ctime).
    func latestChange(in folder: String) -> Double {
        var latest = 0.0
        for path in [folder] + FileSystem.names(folder).map({ Path.join(folder, $0) }) {
            guard let st = FileSystem.status(path) else { continue }
            latest = max(latest, Double(max(st.mtime, st.ctime)) / 1e9)
        }
        return latest
    }

    /// Records a page as done in the daemon's copy and drops the copy's image
    /// links, so emptying the outbox frees the disk.
    func finishCopy(_ done: PageManifest, in project: ProjectState) throws(FileSystemError) {
        let dir = Path.join(workspace.copies(project.name), done.page)
        try FileSystem.writeAtomically(Path.join(dir, "page.json"), Array(JSONWriter.pretty(done.json).utf8))
        for image in done.images { try FileSystem.remove(Path.join(dir, image.file)) }
        project.copies[done.page] = done
    }
}
