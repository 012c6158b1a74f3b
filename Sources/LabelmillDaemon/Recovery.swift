import LabelmillCore
import LabelmillFS

/// Recovery: what the daemon does so that SPEC section 6 holds after a stop
/// at any moment (`kill -9`, a crash, a power cut). "Nothing is lost": every
/// image dropped ends in exactly one place, a labeler's saved labels are never
/// overwritten, a lost page folder is restored. Each step below names the
/// guarantee it keeps and the stop it repairs. They run, in this order, when
/// the daemon starts (`prepare`) and when it first loads a project
/// (`loadCopies`); the last three also run whenever the situation they repair
/// turns up (a labeler can delete a page folder at any time).
///
/// The order of writes they rely on, elsewhere: an image is kept (hard link
/// by hash) before the journal names its page; the event lines of a step are
/// in events.pending before the step changes anything; the journal names a
/// page, and it is made durable (an fsync of each file the page is restored
/// from, or one syncfs for a big batch), before the inbox original is removed; an
/// accepted page is built apart in staging and placed with one rename (and
/// `accept` takes an outbox page already there, done, as placed by a run that
/// stopped before recording it).
extension Engine {
    /// Step 1. A page or a move built in `.labelmill/staging` never reached
    /// its place: the originals are still where they were (in the inbox, the
    /// queue, a labeler's folder), so the half-built copy is dropped.
    /// Guarantee: nothing is in two places.
    func clearStaging() throws(FileSystemError) {
        for entry in root.names(workspace.staging) {
            try root.removeTree(Path.join(workspace.staging, entry))
        }
    }

    /// Step 2. The journal (`.labelmill/pages/<project>`) is the daemon's copy
    /// of every page it made: loaded once per project, it gives the duplicate
    /// index, the next page number (ids are never reused) and what each live
    /// page should look like. Then steps 3 and 4.
    /// Guarantee: page ids are unique forever; a duplicate is refused.
    func loadCopies(_ project: ProjectState) throws(FileSystemError) {
        let journal = PageJournal(workspace: workspace, project: project.name, root: root)
        try journal.prepare()
        // Each page's latest line and status; the manifests stay in the journal (PageCopies).
        var loaded: [String: PageCopies.Line] = [:]
        // What the pages fix (ClassRecord.history), from each page's latest version as it goes by.
        var tagsUsed: [String: Set<String>] = [:]
        var newest: PageManifest?
        project.index.removeAll()
        var highest = 0
        let lines = try journal.loadLines { manifest, span in
            let number = PageID.number(manifest.page) ?? 0
            let line = PageCopies.Line(offset: span.offset, length: Int32(span.length), status: manifest.status)
            if loaded.updateValue(line, forKey: manifest.page) == nil {
                highest = max(highest, number)
                for (k, image) in manifest.images.enumerated() { project.index.insert(image.sha256, page: manifest.page, position: k) }
            }
            let used = ClassRecord.labelTags(of: manifest)
            tagsUsed[manifest.page] = used.isEmpty ? nil : used
            if newest == nil || number >= (PageID.number(newest!.page) ?? 0) { newest = manifest }
        }
        let history = ClassHistory(task: newest?.task, tags: newest?.tags ?? [], used: tagsUsed.values.reduce(into: Set<String>()) { $0.formUnion($1) })
        project.nextNumber = highest + 1
        if lines > 2 * loaded.count + 1000 {
            for (id, span) in try journal.compact(loaded.mapValues(\.span)) { loaded[id]?.span = span }
        }
        project.copies = PageCopies(loaded: loaded, history: history, newest: highest) { id, line in
            // Read back alone; should the line not be where it was, the journal is searched for the page.
            journal.manifest(at: line.span).flatMap { $0.page == id ? $0 : nil }
                ?? journal.manifest(of: id)
        }
        try recoverEvents(project)
        try restoreMissingPages(project)
    }

    /// Step 3. events.pending holds the event lines of a step written before
    /// the step: the lines of each step that did happen (its pages are in the
    /// journal, its page is done in the outbox) and are not in events.jsonl yet
    /// are appended; the others are dropped.
    /// Guarantee: events.jsonl agrees with the folders, one line per transition.
    func recoverEvents(_ project: ProjectState) throws(FileSystemError) {
        let intents = EventIntents(workspace: workspace, project: project.name, root: root)
        let recorded = intents.load()
        guard !recorded.isEmpty else {
            try intents.clear()
            return
        }
        var happened: [String: Bool] = [:]
        func didHappen(_ check: EventIntents.Check, _ page: String) -> Bool {
            let key = check.rawValue + "/" + page
            if let known = happened[key] { return known }
            let yes: Bool
            switch check {
            case .journaled: yes = project.copies.status(of: page) != nil
            case .done: yes = readManifest(Path.join(workspace.folder(of: page, in: project.name, at: .outbox), "page.json"))?.status == .done
            }
            happened[key] = yes
            return yes
        }
        // Lines already appended before the stop are in the log's tail.
        let written = logTail(project, bytes: recorded.reduce(0) { $0 + $1.line.utf8.count + 1 } * 2 + (1 << 20))
        let missing = recorded.filter { didHappen($0.check, $0.page) && !written.contains($0.line) }.map(\.line)
        if !missing.isEmpty {
            try EventLog.append(missing, project: project.name, in: workspace, root: root)
            logger.info("event lines a stop cut off added to events.jsonl", metadata: ["project": "\(project.name)", "lines": "\(missing.count)"])
        }
        try intents.clear()
    }

    /// The last lines of events.jsonl, at most `bytes` of them.
    func logTail(_ project: ProjectState, bytes: Int) -> Set<String> {
        guard let all = try? root.read(workspace.events(project.name)).bytes else { return [] }
        let tail = all.suffix(bytes)
        return Set(tail.split(separator: 10).map { String(decoding: $0, as: UTF8.self) })
    }

    /// Step 4. Every page the journal names that is not done lives in Watch
    /// or is done in the outbox. A page a stop left unplaced (journaled, not
    /// yet in the queue) or a labeler deleted is put back in the queue from
    /// the daemon's copy, with its labels so far and a new revision; a page
    /// that reached the outbox just before the stop is recorded as done.
    /// Guarantee: every image is in exactly one place; a deleted or damaged
    /// page folder is restored to the queue.
    ///
    /// A page changing hands is briefly in no place at all: `labelmill next`
    /// or the web page's sign-in takes the folder aside, then renames the new
    /// one in. So while watching (`immediately` false) a page is restored only
    /// when it was already missing at a look `restoreGraceSeconds` earlier;
    /// recovery at start, `--once` and the daemon's own set-asides restore at once.
    /// `only`: look at these pages alone (ones an event found nowhere), not at every page.
    func restoreMissingPages(_ project: ProjectState, immediately: Bool = true, only: [String]? = nil) throws(FileSystemError) {
        let live = livePageFolders(project)
        let t = now()
        let grace = QuietPeriod(seconds: restoreGraceSeconds)
        var stillMissing: [String: Double] = only == nil ? [:] : project.missingSince.filter { !only!.contains($0.key) }
        for id in only ?? project.copies.ids.sorted() where project.copies.status(of: id).map({ $0 != .done }) ?? false {
            if live[id]?.isEmpty == false { continue }
            let outbox = workspace.folder(of: id, in: project.name, at: .outbox)
            if let done = readManifest(Path.join(outbox, "page.json")), done.status == .done {
                try finishCopy(done, in: project)
                continue
            }
            if case .wait(let since) = MissingPage.step(missingSince: project.missingSince[id], now: t, grace: grace, immediately: immediately) {
                stillMissing[id] = since
                project.watchDirty = true
                continue
            }
            guard let copy = project.copies[id] else { continue }
            let restored = MissingPage.restored(copy)
            try PageJournal(workspace: workspace, project: project.name, root: root).append([restored])
            project.copies[id] = restored
            try placePage(restored, in: project, at: .queue)
            try removeInboxLeftovers(of: restored, in: project)
            emit(Event(time: now(), kind: .restored, project: project.name, page: id, reason: "the page folder was missing; restored to the queue from the daemon's copy"))
            logger.warning("page restored to the queue", metadata: ["project": "\(project.name)", "page.id": "\(id)"])
        }
        project.missingSince = stillMissing
    }

    /// Step 5. An inbox file that is a hard link of an image already paged
    /// (the kept image, or the image in its page in Watch or the outbox): the
    /// daemon stopped after the page was built and before it removed the
    /// original. The original is removed now, not paged twice nor refused
    /// as a duplicate. Runs as the inbox is read.
    /// Guarantee: every image ends in exactly one place.
    /// The page may be done by now (its kept image dropped): its image in the outbox or Watch tells too.
    /// Where links show no shared inode (sshfs, or copies instead of links), the
    /// original is the file of the same name and the same bytes (the hash
    /// matched) while the live page's copy is there: nothing is lost by removing it.
    func isLeftover(_ item: InboxItem, sha256: String, in project: ProjectState) throws(FileSystemError) -> Bool {
        let identity = root.linksShowIdentity
        guard let (page, file) = project.original(of: sha256) else { return false }
        if identity {
            guard item.status.links > 1 else { return false }
        } else {
            // A done page's originals went before its kept images did (finishCopy): a file like this is dropped anew, a duplicate.
            guard let copy = project.copies[page], copy.status != .done,
                  copy.images.contains(where: { $0.sha256 == sha256 && $0.source == item.source }) else { return false }
        }
        let isCopy: (FileStatus) -> Bool = identity ? { $0.inode == item.status.inode && $0.device == item.status.device }
            : { $0.kind == .regular && $0.size == item.status.size }
        var places = [PageJournal(workspace: workspace, project: project.name).image(sha256),
                      Path.join(workspace.folder(of: page, in: project.name, at: .outbox), file),
                      Path.join(workspace.folder(of: page, in: project.name, at: .queue), file)]
        if let holder = project.copies[page]?.assignedTo {
            places.append(Path.join(workspace.folder(of: page, in: project.name, at: .labeler(holder)), file))
        }
        guard places.contains(where: { root.status($0).map(isCopy) ?? false }) else { return false }
        try root.remove(rawPath: item.rawPath)
        return true
    }

    /// Step 5, where it cannot wait for ingest: a page is missing when a stop
    /// came after its batch was journaled and before its inbox originals were
    /// moved in, so each original still in the inbox is a hard link of the
    /// kept image. It goes with the restore, and again before a done page's
    /// kept images are dropped (a stop may come between a restore and this
    /// step): once the kept image is gone a leftover would pass for a new duplicate.
    func removeInboxLeftovers(of page: PageManifest, in project: ProjectState) throws(FileSystemError) {
        let journal = PageJournal(workspace: workspace, project: project.name, root: root)
        for image in page.images {
            let original = Path.join(workspace.inbox(project.name), image.source)
            guard let kept = root.status(journal.image(image.sha256)), let found = root.status(original) else { continue }
            if root.linksShowIdentity {
                guard found.inode == kept.inode, found.device == kept.device else { continue }
            } else {
                // The kept image is a copy (sshfs, no hard links): the original is told by its bytes.
                guard found.kind == .regular, found.size == kept.size,
                      let bytes = try? root.read(original).bytes, Hashing.sha256(bytes) == image.sha256 else { continue }
            }
            try root.remove(original)
            logger.info("inbox original of a restored page removed", metadata: ["project": "\(project.name)", "page.id": "\(page.page)", "file": "\(image.source)"])
        }
        try removePoolLeftovers(of: page, in: project)
    }

    /// The same for the pool (ML assist): a pool file of an image the page
    /// holds, once the page can be restored without it.
    func removePoolLeftovers(of page: PageManifest, in project: ProjectState) throws(FileSystemError) {
        guard root.isDirectory(workspace.pool(project.name)) else { return }
        let journal = PageJournal(workspace: workspace, project: project.name, root: root)
        for image in page.images {
            for kind in [ImageKind.png, .jpeg] {
                let pooled = poolFile(project.name, sha256: image.sha256, kind: kind)
                guard let found = root.status(pooled) else { continue }
                if root.linksShowIdentity {
                    guard let kept = root.status(journal.image(image.sha256)), found.inode == kept.inode, found.device == kept.device else { continue }
                }
                // Named by its SHA-256 by the daemon: without hard links, the name tells it.
                try root.remove(pooled)
                project.removePending { $0.sha256 == image.sha256 }
                logger.info("pool file of a restored page removed", metadata: ["project": "\(project.name)", "page.id": "\(page.page)", "file": "\(Path.name(pooled))"])
            }
        }
    }

    /// Step 6. What a stop left of a page accepted just before (the labeler's
    /// page.json with exactly the labels that are done, the page's images, or
    /// an empty folder) is cleared as after any acceptance; anything else in
    /// that folder is a late copy and goes to conflicts. Runs as Watch is read.
    /// Guarantee: a labeler's late copy is kept, never applied or dropped.
    /// True when nothing of the accepted page is left in Watch.
    func clearRemains(of done: PageManifest, at instance: (folder: String, place: Workspace.Place), in project: ProjectState) throws(FileSystemError) -> Bool {
        let file = Path.join(instance.folder, "page.json")
        guard let read = try? root.read(file, maxBytes: Int64(StrictJSON.maxBytes)) else { return try root.removeEmptyFolder(instance.folder) }
        guard let node = try? StrictJSON.parse(read.bytes), var page = try? PageManifest(json: node.value) else { return false }
        (page.status, page.errors, page.schema, page.assignedTo) = (.done, nil, done.schema, done.assignedTo)
        guard page == done else { return false }
        let queue = workQueue(project)
        guard try queue.removePageParts(instance.folder, of: done.images, validated: read).isEmpty else { return false }
        return try root.removeEmptyFolder(instance.folder)
    }
}
