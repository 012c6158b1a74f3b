import LabelmillCore
import LabelmillFS

extension Engine {
    /// Keeps every signed-in labeler's folder filled, and times out labelers
    /// whose held pages have all been untouched for `lease_minutes`, signed in
    /// or not: a SIGNED-OUT.txt can come back with a sync while pages are held.
    func serveLabelers(_ project: ProjectState) throws(FileSystemError) {
        guard let settings = project.settings else { return }
        project.staffed = nil
        try LabelerAccess.secure(project: project.name, in: workspace, root: root)
        try noteFoldersThatAreNotLabelers(project)
        let queue = workQueue(project)
        let t = now()
        let seats = queue.labelers.map { labeler -> LabelerSeat in
            let held = queue.held(by: labeler.name)
            let current = held.isEmpty ? project.leases[labeler.name] ?? Lease(labeler: labeler.name) : lease(of: labeler.name, held: held, in: project)
            return LabelerSeat(name: labeler.name, signedIn: labeler.signedIn, held: held.count, lease: current,
                               leaveRequested: !labeler.signedIn && !held.isEmpty && queue.leaveRequested(by: labeler.name))
        }
        // When the daemon must look at leases again, whatever else happens.
        var leaseDue = seats.filter { $0.held > 0 }.compactMap { $0.lease.expiry(minutes: settings.leaseMinutes) }.min() ?? .infinity
        defer { project.leaseDue = leaseDue }
        // Whether a labeler is left with room (the queue ran out): then new pages in the queue are reason to serve again.
        var room = false
        for action in Staffing.actions(for: seats, pagesPerLabeler: settings.pagesPerLabeler, leaseMinutes: settings.leaseMinutes, now: t) {
            switch action {
            case .expireLease(let name):
                try timeOut(name, settings: settings, in: project)
            case .returnPages(let name):
                try returnPages(of: name, in: project)
            case .fill(let name, let count):
                let moved = try queue.fill(name, upTo: count, waiting: project.queueOrder?.ids)
                if (seats.first { $0.name == name }?.held ?? 0) + moved.count < count { room = true }
                if !moved.isEmpty { leaseDue = min(leaseDue, t + settings.leaseMinutes * 60) }
                for id in moved {
                    project.queueOrder?.remove(id)
                    project.leases[name, default: Lease(labeler: name)].assign(at: t)
                    emit(Event(time: t, kind: .assigned, project: project.name, page: id, labeler: name))
                    logger.info("page assigned", metadata: ["project": "\(project.name)", "page.id": "\(id)", "labeler": "\(name)"])
                }
            }
        }
        let names = seats.map(\.name)
        project.staffed = staffingView(project, labelers: names, room: room).map { (names: names, room: room, view: $0) }
    }

    /// `serveLabelers` when something it depends on changed or a lease is
    /// due; otherwise nothing, for a few lstat calls (it lists every labeler's
    /// folder and looks at each held page).
    func serveLabelersIfChanged(_ project: ProjectState) throws(FileSystemError) {
        if now() < project.leaseDue, let last = project.staffed,
           staffingView(project, labelers: last.names, room: last.room) == last.view { return }
        try serveLabelers(project)
    }

    /// What serving the labelers depends on, as lstat shows it: the times of
    /// labelers/ and of each labeler's folder (a page, SIGNED-OUT.txt or a
    /// labeler folder that came or went changes them), each SIGNED-OUT.txt
    /// (a leave request), project.json, and,
    /// while a labeler has room, how many pages are queued. Nil when a time
    /// is too coarse to tell (see `timesTell`) or the queue is not known.
    func staffingView(_ project: ProjectState, labelers names: [String], room: Bool) -> StaffingView? {
        let labelers = workspace.labelers(project.name)
        var folders: [FileVersion] = []
        for folder in [labelers] + names.map({ Path.join(labelers, $0) }) {
            guard let status = root.status(folder), timesTell(status) else { return nil }
            folders.append(FileVersion(status))
        }
        // SIGNED-OUT.txt rewritten in place (a leave request) changes no folder's times.
        let notes = names.map { root.status(Path.join(labelers, $0, WorkQueue.signedOutFile)).map(FileVersion.init) }
        var queued: Int?
        if room {
            guard let order = project.queueOrder else { return nil }
            queued = order.ids.count
        }
        return StaffingView(folders: folders, signedOut: notes, settings: project.settingsStatus.map(FileVersion.init), queued: queued)
    }

    /// A folder in labelers/ whose name is not a labeler name (`a b`, `.x`, 65
    /// characters) is never filled: the log says so once, and a visible folder
    /// gets NOT-A-LABELER.txt saying why and what to do.
    func noteFoldersThatAreNotLabelers(_ project: ProjectState) throws(FileSystemError) {
        let labelers = workspace.labelers(project.name)
        for entry in (try? root.list(labelers)) ?? [] {
            let name = entry.displayName
            guard !project.notedFolders.contains(entry.rawName), entry.name.map(Names.isValidName) != true,
                  entry.name.flatMap(PageID.number) == nil, root.status(rawPath: Array(labelers.utf8) + [47] + entry.rawName)?.kind == .directory
            else { continue }
            project.notedFolders.insert(entry.rawName)
            let shown = JSONWriter.compact(.string(name))
            logger.warning("not a labeler folder, never filled: \(shown) is not a labeler name (1-64 letters, digits, '-', '_' or '.', not starting with '.')",
                           metadata: ["project": "\(project.name)"])
            guard let valid = entry.name, !valid.hasPrefix(".") else { continue }
            let text = "labelmill does not fill this folder: \(shown) is not a labeler name. A labeler name is 1-64 letters, digits, "
                + "'-', '_' or '.', not starting with '.'. Rename the folder (for example to \(Self.suggestedName(valid))) or sign in with "
                + "`labelmill next \(project.name) --as NAME`. Pages moved in here are set aside in conflicts/, never reviewed.\n"
            let note = Path.join(labelers, valid, "NOT-A-LABELER.txt")
            if !root.exists(note) { try root.writeAtomically(note, Array(text.utf8), durable: false) }
        }
    }

    /// A valid labeler name close to `name`: other characters become `_`, cut to 64.
    static func suggestedName(_ name: String) -> String {
        let kept = name.unicodeScalars.map { c -> String in
            (c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || "-_.".unicodeScalars.contains(c))) ? String(c) : "_"
        }.joined()
        let cut = String(kept.prefix(64))
        return Names.isValidName(cut) ? cut : "labeler1"
    }

    /// Returns a labeler's pages to the queue with their labels and signs the
    /// labeler out. A page whose page.json is not valid JSON cannot carry its
    /// labels on: that folder is set aside in conflicts, and the page restored
    /// from the daemon's copy, so no page stays stuck with someone gone.
    func timeOut(_ name: String, settings: ProjectSettings, in project: ProjectState) throws(FileSystemError) {
        let queue = workQueue(project)
        let t = now()
        let minutes = JSONWriter.formatNumber(settings.leaseMinutes)
        let returned = try queue.release(name, reason: "Timed out: none of your pages changed for \(minutes) minutes, so they went back to the queue with your labels, for another labeler.")
        for id in returned {
            project.queueOrder?.insert(id)
            emit(Event(time: t, kind: .expired, project: project.name, page: id, labeler: name))
        }
        let handedIn = Set(queue.submitted(by: name))
        let stuck = queue.held(by: name).filter { !handedIn.contains($0) }
        for id in stuck {
            let folder = workspace.folder(of: id, in: project.name, at: .labeler(name))
            try toConflicts((folder, .labeler(name)), id: id, in: project, reason: .unreadableAtTimeOut)
            emit(Event(time: t, kind: .expired, project: project.name, page: id, labeler: name))
        }
        if !stuck.isEmpty { try restoreMissingPages(project) }
        project.leases[name] = nil
        logger.info("labeler timed out", metadata: ["project": "\(project.name)", "labeler": "\(name)", "pages": "\(returned.count + stuck.count)"])
    }

    /// Carries out `labelmill leave` asked in a shared root: the pages go back
    /// to the queue with their labels, as the command does in a root of one
    /// user. A submitted page stays for review; one whose page.json is not
    /// valid JSON stays too (its lease times it out).
    func returnPages(of name: String, in project: ProjectState) throws(FileSystemError) {
        let queue = workQueue(project)
        let t = now()
        let returned = try queue.release(name, reason: "Signed out with `labelmill leave`; your pages went back to the queue with their labels.")
        for id in returned {
            project.queueOrder?.insert(id)
            emit(Event(time: t, kind: .returned, project: project.name, page: id, labeler: name))
        }
        project.leases[name] = nil
        logger.info("labeler signed out", metadata: ["project": "\(project.name)", "labeler": "\(name)", "pages": "\(returned.count)"])
    }

    /// The labeler's lease, told of the latest change seen in each held page
    /// (file times enter as instants on the daemon's clock, see `seenChange`).
    func lease(of labeler: String, held: [String], in project: ProjectState) -> Lease {
        var lease = project.leases[labeler] ?? Lease(labeler: labeler)
        for id in held {
            if let since = latestSeenChange(in: workspace.folder(of: id, in: project.name, at: .labeler(labeler))) { lease.touch(at: since) }
        }
        project.leases[labeler] = lease
        return lease
    }

    /// The work queue, sharing the daemon's copies in memory.
    func workQueue(_ project: ProjectState) -> WorkQueue {
        WorkQueue(workspace: workspace, project: project.name, root: root, now: now,
                  knownCopy: { project.copies[$0] }, onRecord: { project.copies[$0.page] = $0 },
                  onPlaced: { project.placed[$0] = $1 })
    }

    /// Re-reads the daemon's copy of a page after a command (`next`, `leave`)
    /// moved it.
    func reloadCopy(_ id: String, in project: ProjectState) {
        if let copy = PageJournal(workspace: workspace, project: project.name, root: root).manifest(of: id) {
            project.copies[id] = copy
        }
    }
}

/// What `serveLabelers` last served from (`Engine.staffingView`).
struct StaffingView: Equatable {
    var folders: [FileVersion]
    var signedOut: [FileVersion?]
    var settings: FileVersion?
    var queued: Int?
}
