import LabelmillCore
import LabelmillFS
#if canImport(Glibc)
import Glibc
#endif

extension Engine {
    /// Looks at every page in Watch: late, stale or damaged copies go to
    /// conflicts (a missing live page is restored), and each live page whose
    /// page.json changed is reviewed: submissions are validated and moved to
    /// the outbox or rejected with their errors.
    func reviewPages(_ project: ProjectState, once: Bool) throws(FileSystemError) {
        try setAsideMisplacedPages(project, once: once)
        for (id, instances) in livePageFolders(project).sorted(by: { $0.key < $1.key }) {
            // One page the daemon cannot handle must not stop the others.
            do { try reviewPage(id, instances, in: project, once: once) } catch {
                if error.isNoSpace { throw error }
                logger.error("cannot review this page; trying again later", metadata: ["project": "\(project.name)", "page.id": "\(id)", "error": "\(error)"])
                project.watchDirty = true
            }
        }
        try restoreMissingPages(project, immediately: once)
    }

    /// Settles which folder of a page is live, and reviews it if its page.json changed.
    /// `eager`: the watcher saw page.json closed or renamed into place, so a
    /// version that parses strictly is whole and is read at once; one that does
    /// not may be mid-save and waits the quiet period.
    func reviewPage(_ id: String, _ instances: [(folder: String, place: Workspace.Place)], in project: ProjectState, once: Bool,
                    eager: Bool = false) throws(FileSystemError) {
        // A single copy whose page.json is as the daemon last saw it: nothing to do.
        if instances.count == 1, let seen = project.handled[instances[0].folder] ?? project.placed[instances[0].folder].map(FileVersion.init),
           let now = root.status(Path.join(instances[0].folder, "page.json")), seen.sameVersion(as: now) {
            // The version a move of the daemon's wrote: handled without reading it.
            project.handled[instances[0].folder] = seen
            project.placed[instances[0].folder] = nil
            return
        }
        guard let live = try settle(id, instances, in: project, once: once) else { return }
        try setAsideSyncConflicts(id, in: live, project: project)
        let file = Path.join(live.folder, "page.json")
        guard let status = root.status(file) else { return }
        let seen = project.handled[live.folder]
        if let seen, seen.sameVersion(as: status) { return }
        let since = seenChange(file, status)
        // Let an editor or a sync tool finish writing first.
        let quiet = QuietPeriod(seconds: pageSettleSeconds)
        var step = PageFileRule.step(change: eager ? .closedAfterWriting : .scanned, since: since, now: now(), quiet: quiet, once: once)
        if eager, case .wait = step {
            // The watcher saw the writer finish: a version that parses strictly is whole.
            step = PageFileRule.step(change: .closedAfterWriting, since: since, now: now(), quiet: quiet, once: once, parses: parsesStrictly(file))
        }
        if case .wait = step {
            project.watchDirty = true
            return
        }
        // A change in a held page counts for the lease, from when the daemon saw it.
        if case .labeler(let name) = live.place { project.leases[name, default: Lease(labeler: name)].touch(at: since) }
        try review(id, at: live.folder, place: live.place, in: project)
    }

    /// Reads what choosing the live folder needs (each folder's revision),
    /// lets `LiveCopy.choose` decide, and sets every other folder aside once
    /// quiet. A copy of a done page is first checked for being what a stop
    /// left of the acceptance, and then cleared instead.
    func settle(_ id: String, _ instances: [(folder: String, place: Workspace.Place)], in project: ProjectState, once: Bool) throws(FileSystemError) -> (folder: String, place: Workspace.Place)? {
        // A rewrite of page.json that a stop cut between its renames left it aside: back first.
        for instance in instances where !root.exists(Path.join(instance.folder, "page.json")) {
            try root.putBackReplaced(Path.join(instance.folder, "page.json"))
        }
        var copies: [PageCopy] = []
        for instance in instances {
            let read: PageCopy.Revision
            if let rev = revision(of: instance.folder) {
                read = .number(rev)
            } else {
                read = root.exists(Path.join(instance.folder, "page.json")) ? .unreadable : .missing
            }
            copies.append(PageCopy(folder: instance.folder, place: instance.place, revision: read))
        }
        // A newer revision than the daemon's copy: a command (`next`, `leave`) moved the page.
        if let copy = project.copies[id], copies.contains(where: { if case .number(let r) = $0.revision { return r > copy.revision } else { return false } }) {
            reloadCopy(id, in: project)
        }
        let choice = LiveCopy.choose(page: id, project: project.name, copies: copies, daemonCopy: project.copies[id],
                                     outbox: workspace.folder(of: id, in: project.name, at: .outbox))
        for aside in choice.setAside {
            let instance = (folder: aside.copy.folder, place: aside.copy.place)
            if case .alreadyDone = aside.reason, let done = project.copies[id], try clearRemains(of: done, at: instance, in: project) { continue }
            try setAsideWhenQuiet(instance, id: id, in: project, once: once, reason: aside.reason)
        }
        return choice.live.map { ($0.folder, $0.place) }
    }

    /// Sets a folder aside once it has been quiet for `setAsideQuietSeconds`:
    /// a copy still arriving (rsync, Syncthing) or a page.json mid-save (vim
    /// renames it to page.json~ first) is left alone until then. `--once`
    /// waits only for a folder without page.json: nothing there can be judged.
    func setAsideWhenQuiet(_ instance: (folder: String, place: Workspace.Place), id: String, in project: ProjectState,
                           once: Bool, reason: ConflictReason) throws(FileSystemError) {
        if !once || !root.exists(Path.join(instance.folder, "page.json")), let since = latestSeenChange(in: instance.folder),
           !QuietPeriod(seconds: setAsideQuietSeconds).isOver(since: since, now: now()) {
            project.watchDirty = true
            return
        }
        try toConflicts(instance, id: id, in: project, reason: reason)
    }

    /// A page folder put straight into `labelers/`, or one level too deep in a
    /// labeler's folder (`labelers/ann/ann/page-000001`: an rsync with the
    /// trailing slash left off) is a copy out of place, not a held page. It
    /// goes to conflicts with a note; nothing is applied.
    func setAsideMisplacedPages(_ project: ProjectState, once: Bool) throws(FileSystemError) {
        let labelers = workspace.labelers(project.name)
        var misplaced: [(folder: String, id: String)] = []
        for name in root.folderNames(labelers) {
            let dir = Path.join(labelers, name)
            if PageID.number(name) != nil {
                misplaced.append((dir, name))
                continue
            }
            for sub in root.folderNames(dir) where PageID.number(sub) == nil {
                for id in root.folderNames(Path.join(dir, sub)) where PageID.number(id) != nil {
                    misplaced.append((Path.join(dir, sub, id), id))
                }
            }
        }
        for (folder, id) in misplaced {
            let doneAt = project.copies[id]?.status == .done ? workspace.folder(of: id, in: project.name, at: .outbox) : nil
            try setAsideWhenQuiet((folder, .queue), id: id, in: project, once: once, reason: .misplaced(doneAt: doneAt))
        }
    }

    /// The revision in a folder's page.json, nil when it cannot be read.
    func revision(of folder: String) -> Int? {
        guard let bytes = try? root.read(Path.join(folder, "page.json"), maxBytes: Int64(StrictJSON.maxBytes)).bytes,
              let node = try? StrictJSON.parse(bytes), let rev = node["revision"]?.value.numberValue else { return nil }
        return Int(rev)
    }

    /// Moves a page folder to `Watch/<project>/conflicts/` with NOTE.txt saying why.
    func toConflicts(_ instance: (folder: String, place: Workspace.Place), id: String, in project: ProjectState,
                     reason: ConflictReason) throws(FileSystemError) {
        let stamp = Timestamp.iso8601(now()).replacingColonsAndDots
        let holder = reason.folderTag ?? instance.place.labelerName ?? "queue"
        let target = Path.join(workspace.conflicts(project.name), "\(id).\(holder).\(stamp)")
        try root.makeFolders(workspace.conflicts(project.name))
        let placed = try root.moveKeepingBoth(instance.folder, to: target)
        // Where the live page is, looked up once this copy is out of the way.
        let text = reason.note(page: id, from: instance.folder, livePlace: reason.namesLivePlace ? livePlace(of: id, in: project) : nil)
        try root.writeAtomically(Path.join(placed, "NOTE.txt"), Array(text.utf8), durable: false)
        project.handled[instance.folder] = nil
        // The daemon moved it away itself: if that was the live page, restore it without waiting.
        project.missingSince[id] = -.infinity
        emit(Event(time: now(), kind: .conflict, project: project.name, page: id, labeler: instance.place.labelerName, reason: text))
        project.tally.conflicts += 1
        logger.warning("copy set aside in conflicts", metadata: ["project": "\(project.name)", "page.id": "\(id)", "folder": "\(instance.folder)"])
    }

    /// Syncthing keeps both versions of a file changed on two machines at once,
    /// naming one `NAME.sync-conflict-DATE-TIME-DEVICE.EXT`. That competing
    /// version is neither applied nor dropped: it goes to conflicts with a note.
    func setAsideSyncConflicts(_ id: String, in live: (folder: String, place: Workspace.Place), project: ProjectState) throws(FileSystemError) {
        let names = root.names(live.folder).filter { !$0.hasPrefix(".") && $0.lowercased().contains(".sync-conflict-") }
        guard !names.isEmpty else { return }
        let stamp = Timestamp.iso8601(now()).replacingColonsAndDots
        let base = Path.join(workspace.conflicts(project.name), "\(id).\(live.place.labelerName ?? "queue").\(stamp)")
        var target = base
        for n in 2...10_000 where root.exists(target) { target = "\(base)-\(n)" }
        // The folder first, then the files, then the note: a stop midway loses nothing.
        try root.makeFolders(target)
        for name in names { try root.moveNoReplace(Path.join(live.folder, name), to: Path.join(target, name)) }
        let text = ConflictReason.syncConflict(files: names).note(page: id, from: live.folder, livePlace: live.folder)
        try root.writeAtomically(Path.join(target, "NOTE.txt"), Array(text.utf8), durable: false)
        emit(Event(time: now(), kind: .conflict, project: project.name, page: id, labeler: live.place.labelerName, reason: text))
        logger.warning("Syncthing conflict copy set aside in conflicts", metadata: ["project": "\(project.name)", "page.id": "\(id)", "folder": "\(live.folder)"])
    }

    /// Where the live page is now, for notes.
    func livePlace(of id: String, in project: ProjectState) -> String? {
        livePageFolders(project)[id]?.first { revision(of: $0.folder) ?? 0 >= project.copies[id]?.revision ?? 0 }?.folder
    }

    func parsesStrictly(_ file: String) -> Bool {
        guard let bytes = try? root.read(file, maxBytes: Int64(StrictJSON.maxBytes)).bytes else { return false }
        return (try? StrictJSON.parse(bytes)) != nil
    }

    /// Reads one page.json and acts on its status.
    func review(_ id: String, at folder: String, place: Workspace.Place, in project: ProjectState) throws(FileSystemError) {
        let file = Path.join(folder, "page.json")
        // Handled is the version this read saw, from the open file: a save that
        // lands after the read is a version of its own, looked at on its event.
        var seen: FileStatus?
        defer { project.handled[folder] = (seen ?? root.status(file)).map(FileVersion.init) }
        let read: (bytes: [UInt8], status: FileStatus)
        do {
            read = try root.read(file, maxBytes: Int64(StrictJSON.maxBytes) + 1)
            seen = read.status
        } catch {
            if error.isNotFound { return }
            guard let problem = Self.unreadable(error) else { throw error }
            // The labeler is told in the page folder, once per version of the file.
            try writeErrorsFile([PageError(line: 1, column: 1, pointer: "", message: problem)], in: folder)
            logger.warning("page.json cannot be read", metadata: ["project": "\(project.name)", "page.id": "\(id)", "error": "\(problem)"])
            return
        }
        let expected = project.copies[id]
        // Only the status is needed before the check, which parses the page again:
        // one parsed tree of a large page in memory at a time, not two.
        let statusName: String?
        do {
            guard let node = try? StrictJSON.parse(read.bytes) else {
                // Not strict JSON: never rewritten. A submission gets ERRORS.txt beside it.
                if looksSubmitted(read.bytes) {
                    let check = SubmissionValidator.check(read.bytes, expected: expected, files: nil)
                    try writeErrorsFile(check.errors, in: folder)
                    emit(Event(time: now(), kind: .rejected, project: project.name, page: id, labeler: place.labelerName,
                               reason: check.errors.first?.message ?? "page.json is not valid JSON"))
                }
                return
            }
            guard let statusNode = node["status"] else { return }
            statusName = statusNode.value.stringValue
        }
        try restoreMissingImages(id, in: folder, place: place, project: project)
        // Open and rejected pages are being labeled; any other status (a typo like
        // "DONE" or "sumbitted" too) is a hand-in, validated so the labeler hears of it.
        guard statusName != PageStatus.open.rawValue && statusName != PageStatus.rejected.rawValue else { return }
        let files = try PageFolder.files(folder, in: root)
        let check = SubmissionValidator.check(read.bytes, expected: expected, files: files)
        afterCheck?(folder)
        // parsed above, so it is strict JSON and there is a verdict
        guard let verdict = SubmissionVerdict.of(check, statusName: statusName) else { return }
        switch verdict {
        case .accept(let manifest):
            try accept(manifest, validated: read, at: folder, place: place, in: project)
        case .errorsFile(let errors, let handedIn):
            if handedIn { emit(Event(time: now(), kind: .submitted, project: project.name, page: id, labeler: place.labelerName)) }
            try writeErrorsFile(errors, in: folder)
            emit(Event(time: now(), kind: .rejected, project: project.name, page: id, labeler: place.labelerName,
                       reason: errors.first?.message ?? (handedIn ? "rejected" : "page.json cannot be read as a page")))
        case .reject(let text, let errors):
            emit(Event(time: now(), kind: .submitted, project: project.name, page: id, labeler: place.labelerName))
            // Only the version checked is rewritten: a newer save is never overwritten, it is checked next.
            guard try root.replaceIfUnchanged(file, since: read, with: Array(text.utf8)) else {
                project.watchDirty = true
                return
            }
            try root.remove(Path.join(folder, "ERRORS.txt"))
            emit(Event(time: self.now(), kind: .rejected, project: project.name, page: id, labeler: place.labelerName,
                       reason: "\(errors.count) error\(errors.count == 1 ? "" : "s"): \(errors.first?.message ?? "")"))
            project.tally.rejected += 1
            logger.info("page rejected", metadata: ["project": "\(project.name)", "page.id": "\(id)", "errors": "\(errors.count)"])
        }
    }

    /// What a labeler is told when page.json cannot be read at all; nil for
    /// errors that are the daemon's to retry (a full disk, a vanished folder).
    static func unreadable(_ error: FileSystemError) -> String? {
        switch error.errno {
        case ELOOP:
            return "page.json is a symbolic link, and labelmill never follows links: put the file itself in the page folder"
        case EINVAL, ENXIO:
            return "page.json is not a regular file (a FIFO, a device or a folder): put the page's JSON file in its place"
        case EFBIG:
            return "page.json is over the 16 MiB limit of a page (\(error.detail ?? "too large")): keep only the page's labels in it"
        case EACCES, EPERM:
            return "page.json cannot be read (permission denied): make it readable again (chmod 644 page.json)"
        default:
            return nil
        }
    }

    /// An image deleted from a live page is put back from the daemon's copy,
    /// so the page can still be handed in; the labels stay as they are.
    func restoreMissingImages(_ id: String, in folder: String, place: Workspace.Place, project: ProjectState) throws(FileSystemError) {
        guard let copy = project.copies[id] else { return }
        let journal = PageJournal(workspace: workspace, project: project.name, root: root)
        var restored: [String] = []
        for image in copy.images where !root.exists(Path.join(folder, image.file)) && root.exists(journal.image(image.sha256)) {
            do { try root.link(journal.image(image.sha256), to: Path.join(folder, image.file)) } catch {
                if error.isExists || error.isNotFound { continue }
                throw error
            }
            restored.append(image.file)
        }
        guard !restored.isEmpty else { return }
        let files = restored.joined(separator: ", ")
        emit(Event(time: now(), kind: .restored, project: project.name, page: id, labeler: place.labelerName,
                   reason: "\(files) went missing from \(folder); put back from the daemon's copy"))
        logger.warning("missing images put back", metadata: ["project": "\(project.name)", "page.id": "\(id)", "file": "\(files)"])
    }

    /// A page that passed every check: status done, in the outbox. The outbox
    /// page is built from the daemon's own bytes (its kept images and the
    /// page.json validated), and placed only while the labeler's page.json is
    /// still exactly the version validated; otherwise it is checked again.
    func accept(_ submitted: PageManifest, validated: (bytes: [UInt8], status: FileStatus), at folder: String,
                place: Workspace.Place, in project: ProjectState, source: LabelSource? = nil) throws(FileSystemError) {
        // What the daemon wrote (prelabels, assist) comes from its own copy, the labels from the labeler's.
        var done = submitted
        if let copy = project.copies[submitted.page] {
            done = copy
            done.adoptLabels(from: submitted)
        }
        if project.settings?.assist != nil || done.images.contains(where: { $0.prelabels != nil }) {
            done.recordLabelSources()
        }
        if let source { for i in done.images.indices { done.images[i].labelSource = source } }
        done.status = .done
        done.errors = nil
        done.schema = Workspace.Place.outbox.schemaReference
        // The holder on record (settle made sure the folder is theirs), never the file's `assigned_to`.
        done.assignedTo = place.labelerName
        let journal = PageJournal(workspace: workspace, project: project.name, root: root)
        let stage = Path.join(workspace.staging, "\(project.name).\(done.page).done")
        try root.removeTree(stage)
        try root.makeFolders(stage)
        for image in done.images { try journal.placeImage(image, from: folder, at: Path.join(stage, image.file), finished: true) }
        try root.writeNew(Path.join(stage, "page.json"), JSONWriter.prettyBytes(done.json))
        guard root.isUnchanged(Path.join(folder, "page.json"), since: validated) else {
            try root.removeTree(stage)
            project.watchDirty = true
            logger.info("page.json changed while it was checked; checking it again", metadata: ["project": "\(project.name)", "page.id": "\(done.page)"])
            return
        }
        try root.makeFolders(workspace.outbox(project.name))
        let target = workspace.folder(of: done.page, in: project.name, at: .outbox)
        // The lines go down before the move: a stop right after it is logged by recovery.
        let t = now()
        let lines = [Event(time: t, kind: .submitted, project: project.name, page: done.page, labeler: place.labelerName),
                     Event(time: t, kind: .done, project: project.name, page: done.page, labeler: place.labelerName)]
        var placedNow = true
        if readManifest(Path.join(target, "page.json"))?.status == .done {
            // Placed by a run that stopped before recording it (recovery logged it): that page
            // stands, and no lines are planned for it again (a second stop would log them twice).
            try root.removeTree(stage)
            placedNow = false
        } else {
            try plan(lines, check: .done, in: project)
            try root.moveNoReplace(stage, to: target)
        }
        // In the outbox: done, whatever the bookkeeping below meets.
        if placedNow { emit(lines[0], lines[1]) }
        project.handled[folder] = nil
        try finishCopy(done, in: project)
        project.tally.done += 1
        logger.info("page done", metadata: ["project": "\(project.name)", "page.id": "\(done.page)"])
        // The labeler's folder leaves Watch; anything in it that is not the page is kept in conflicts.
        let kept = try workQueue(project).clearPageFolder(
            folder, id: done.page, holder: place.labelerName ?? "queue", of: done.images, validated: validated,
            note: "in \(folder) when \(done.page) was accepted; not part of the page, so kept here and not put in the outbox (\(target)). Nothing was applied.")
        if !kept.isEmpty {
            emit(Event(time: t, kind: .conflict, project: project.name, page: done.page, labeler: place.labelerName,
                       reason: "not part of the page, kept in conflicts: \(kept.joined(separator: ", "))"))
            project.tally.conflicts += 1
        }
    }

    func writeErrorsFile(_ errors: [PageError], in folder: String) throws(FileSystemError) {
        let lines = errors.map { "page.json:\($0.line):\($0.column): error: \($0.message)\n" }.joined()
        let path = Path.join(folder, "ERRORS.txt")
        if (try? root.read(path).bytes) == Array(lines.utf8) { return }
        try root.writeAtomically(path, Array(lines.utf8))
    }

    /// A page.json that is not strict JSON still says whether it was handed in.
    func looksSubmitted(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.contains("\"submitted\"")
    }
}

extension String {
    /// `2026-11-29T01:48:53.123Z` -> `20261129T014853123Z`, for folder names.
    var replacingColonsAndDots: String { String(filter { $0 != ":" && $0 != "-" && $0 != "." }) }
}

extension Workspace.Place {
    var labelerName: String? {
        if case .labeler(let name) = self { return name }
        return nil
    }
}
