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
        try restoreMissingPages(project)
    }

    /// Settles which folder of a page is live, and reviews it if its page.json changed.
    /// `eager`: the watcher saw page.json closed or renamed into place, so a
    /// version that parses strictly is whole and is read at once; one that does
    /// not may be mid-save and waits the quiet period.
    func reviewPage(_ id: String, _ instances: [(folder: String, place: Workspace.Place)], in project: ProjectState, once: Bool,
                    eager: Bool = false) throws(FileSystemError) {
        // A single copy whose page.json is as the daemon last saw it: nothing to do.
        if instances.count == 1, let seen = project.handled[instances[0].folder] ?? project.placed[instances[0].folder],
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
        let t = now()
        // Let an editor or a sync tool finish writing first.
        if !once && t - Double(max(status.mtime, status.ctime)) / 1e9 < pageSettleSeconds && !(eager && parsesStrictly(file)) {
            project.watchDirty = true
            return
        }
        // A change seen while running counts for the lease; before the daemon
        // first looked (a restart, each --once), the file times tell.
        if case .labeler(let name) = live.place, seen != nil { project.touched[name] = t }
        try review(id, at: live.folder, place: live.place, in: project)
    }

    /// Decides which folder of a page is the live one. Every other folder (a
    /// late copy, an earlier holder's stale copy, a damaged folder, a page
    /// already done, a folder the daemon never made) goes to conflicts with a
    /// note; nothing is applied silently or dropped.
    func settle(_ id: String, _ instances: [(folder: String, place: Workspace.Place)], in project: ProjectState, once: Bool) throws(FileSystemError) -> (folder: String, place: Workspace.Place)? {
        func setAside(_ instance: (folder: String, place: Workspace.Place), _ note: String) throws(FileSystemError) {
            try setAsideWhenQuiet(instance, id: id, in: project, once: once, note: note)
        }
        if let copy = project.copies[id], instances.contains(where: { revision(of: $0.folder) ?? 0 > copy.revision }) {
            reloadCopy(id, in: project)
        }
        guard let copy = project.copies[id] else {
            for instance in instances {
                try setAside(instance, "\(id) is not a page labelmill made in \(project.name); nothing was applied.")
            }
            return nil
        }
        if copy.status == .done {
            let outbox = workspace.folder(of: id, in: project.name, at: .outbox)
            for instance in instances where try !clearRemains(of: copy, at: instance, in: project) {
                try setAside(instance, "a late copy of \(id), which was already done: the completed page is \(outbox). Nothing was applied.")
            }
            return nil
        }
        // Current: page.json readable with the revision the daemon last gave the page.
        var current: [(folder: String, place: Workspace.Place)] = []
        for instance in instances {
            guard let rev = revision(of: instance.folder) else {
                if root.exists(Path.join(instance.folder, "page.json")) {
                    current.append(instance)  // being edited: judged when it is valid JSON again
                } else {
                    try setAside(instance, "the page folder \(instance.folder) lost its page.json, so it was set aside here and the page was restored to the queue from the daemon's copy.")
                }
                continue
            }
            if rev < copy.revision {
                try setAside(instance, "a stale copy of \(id) (revision \(rev); the page is at revision \(copy.revision) and has changed hands since). LIVE_PAGE")
            } else if case .labeler(let name) = instance.place, name != copy.assignedTo {
                // Who holds a page is the daemon's record, never where the folder is.
                let holder = copy.assignedTo.map { "held by \($0)" } ?? "not held by anyone"
                try setAside(instance, "a copy of \(id) found in \(name)'s folder, but the page is \(holder): pages change hands only through the queue (`labelmill leave`, then `next`), not by moving folders. LIVE_PAGE")
            } else {
                current.append(instance)
            }
        }
        guard let keep = current.first(where: { $0.place.labelerName == copy.assignedTo }) ?? current.first else { return nil }
        for other in current where other.folder != keep.folder {
            try setAside(other, "a second copy of \(id); the live page is \(keep.folder). Nothing was applied.")
        }
        return keep
    }

    /// What a stop left of a page accepted just before (its page.json with the
    /// labels that are done, the page's images, or nothing) is cleared like
    /// after any acceptance; true when nothing of it is left in Watch.
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

    /// Sets a folder aside once it has been quiet for `setAsideQuietSeconds`:
    /// a copy still arriving (rsync, Syncthing) or a page.json mid-save (vim
    /// renames it to page.json~ first) is left alone until then. `--once`
    /// waits only for a folder without page.json: nothing there can be judged.
    func setAsideWhenQuiet(_ instance: (folder: String, place: Workspace.Place), id: String, in project: ProjectState,
                           once: Bool, note: String, tag: String? = nil) throws(FileSystemError) {
        if !once || !root.exists(Path.join(instance.folder, "page.json")),
           now() - latestChange(in: instance.folder) < setAsideQuietSeconds {
            project.watchDirty = true
            return
        }
        try toConflicts(instance, id: id, in: project, note: note, tag: tag)
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
            let whereLive = project.copies[id]?.status == .done
                ? "The completed page is \(workspace.folder(of: id, in: project.name, at: .outbox)). Nothing was applied."
                : "LIVE_PAGE"
            try setAsideWhenQuiet((folder, .queue), id: id, in: project, once: once,
                                  note: "a copy of \(id) found at \(folder), not in a labeler's folder (pages live in labelers/NAME/\(id)). \(whereLive)",
                                  tag: "misplaced")
        }
    }

    /// The revision in a folder's page.json, nil when it cannot be read.
    func revision(of folder: String) -> Int? {
        guard let bytes = try? root.read(Path.join(folder, "page.json"), maxBytes: Int64(StrictJSON.maxBytes)).bytes,
              let node = try? StrictJSON.parse(bytes), let rev = node["revision"]?.value.numberValue else { return nil }
        return Int(rev)
    }

    /// Moves a page folder to `Watch/<project>/conflicts/` with NOTE.txt.
    func toConflicts(_ instance: (folder: String, place: Workspace.Place), id: String, in project: ProjectState, note: String,
                     tag: String? = nil) throws(FileSystemError) {
        let stamp = Timestamp.iso8601(now()).replacingColonsAndDots
        let holder = tag ?? instance.place.labelerName ?? "queue"
        let target = Path.join(workspace.conflicts(project.name), "\(id).\(holder).\(stamp)")
        try root.makeFolders(workspace.conflicts(project.name))
        let placed = try root.moveKeepingBoth(instance.folder, to: target)
        var text = note
        if text.hasSuffix("LIVE_PAGE") {
            text = String(text.dropLast(9)) + "The live page is \(livePlace(of: id, in: project) ?? "being restored to the queue"). Nothing was applied."
        }
        text += "\nIt came from \(instance.folder). To use its labels, copy them into the live page by hand.\n"
        try root.writeAtomically(Path.join(placed, "NOTE.txt"), Array(text.utf8), durable: false)
        project.handled[instance.folder] = nil
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
        let text = "Syncthing found \(names.joined(separator: ", ")) changed on two machines at once and kept this version aside. "
            + "Nothing was applied: the live page is \(live.folder). To use these labels, copy them into the live page by hand.\n"
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
        defer { project.handled[folder] = root.status(file) }
        let read: (bytes: [UInt8], status: FileStatus)
        do { read = try root.read(file, maxBytes: Int64(StrictJSON.maxBytes) + 1) } catch {
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
        let files = try PageFolder.files(root.folder(folder))
        let check = SubmissionValidator.check(read.bytes, expected: expected, files: files)
        afterCheck?(folder)
        guard let node = check.node else { return }  // parsed above: it is strict JSON
        if check.errors.isEmpty, let manifest = try? PageManifest(json: node.value) {
            try accept(manifest, validated: read, at: folder, place: place, in: project)
            return
        }
        guard let rewrite = SubmissionValidator.rejectedText(for: check) else {
            // Only the status or old errors were wrong, and accepting sets both,
            // unless the status is unknown: then the labeler is told, in ERRORS.txt.
            if statusName.flatMap(PageStatus.init(rawValue:)) != nil, let manifest = try? PageManifest(json: node.value) {
                try accept(manifest, validated: read, at: folder, place: place, in: project)
            } else {
                try writeErrorsFile(check.errors, in: folder)
                emit(Event(time: now(), kind: .rejected, project: project.name, page: id, labeler: place.labelerName,
                           reason: check.errors.first?.message ?? "page.json cannot be read as a page"))
            }
            return
        }
        emit(Event(time: now(), kind: .submitted, project: project.name, page: id, labeler: place.labelerName))
        guard rewrite.text.utf8.count <= StrictJSON.maxBytes else {
            // Even on one line the page would pass its size limit: left as it is, the errors beside it.
            try writeErrorsFile(rewrite.errors, in: folder)
            emit(Event(time: now(), kind: .rejected, project: project.name, page: id, labeler: place.labelerName,
                       reason: rewrite.errors.first?.message ?? "rejected"))
            return
        }
        // Only the version checked is rewritten: a newer save is never overwritten, it is checked next.
        guard try root.replaceIfUnchanged(file, since: read, with: Array(rewrite.text.utf8)) else {
            project.watchDirty = true
            return
        }
        try root.remove(Path.join(folder, "ERRORS.txt"))
        emit(Event(time: self.now(), kind: .rejected, project: project.name, page: id, labeler: place.labelerName,
                   reason: "\(rewrite.errors.count) error\(rewrite.errors.count == 1 ? "" : "s"): \(rewrite.errors.first?.message ?? "")"))
        project.tally.rejected += 1
        logger.info("page rejected", metadata: ["project": "\(project.name)", "page.id": "\(id)", "errors": "\(rewrite.errors.count)"])
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
                place: Workspace.Place, in project: ProjectState) throws(FileSystemError) {
        var done = submitted
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
        try plan(lines, check: .done, in: project)
        var placedNow = true
        do { try root.moveNoReplace(stage, to: target) } catch {
            // Placed by a run that stopped before recording it (recovery logged it): that page stands.
            guard error.isExists, readManifest(Path.join(target, "page.json"))?.status == .done else { throw error }
            try root.removeTree(stage)
            placedNow = false
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
