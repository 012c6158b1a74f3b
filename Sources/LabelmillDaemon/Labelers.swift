import LabelmillCore
import LabelmillFS

extension Engine {
    /// Keeps every signed-in labeler's folder filled, and times out labelers
    /// whose held pages have all been untouched for `lease_minutes`.
    func serveLabelers(_ project: ProjectState) throws(FileSystemError) {
        guard let settings = project.settings else { return }
        let queue = WorkQueue(workspace: workspace, project: project.name,
                              knownCopy: { project.copies[$0] }, onRecord: { project.copies[$0.page] = $0 })
        let t = now()
        for labeler in queue.labelers where labeler.signedIn {
            let held = queue.held(by: labeler.name)
            if !held.isEmpty, t - lastTouch(of: labeler.name, held: held, in: project) >= settings.leaseMinutes * 60 {
                let minutes = JSONWriter.formatNumber(settings.leaseMinutes)
                let returned = try queue.release(labeler.name, reason: "Timed out: none of your pages changed for \(minutes) minutes, so they went back to the queue with your labels, for another labeler.")
                for id in returned {
                    emit(Event(time: t, kind: .expired, project: project.name, page: id, labeler: labeler.name))
                }
                logger.info("labeler timed out", metadata: ["project": "\(project.name)", "labeler": "\(labeler.name)", "pages": "\(returned.count)"])
                continue
            }
            for id in try queue.fill(labeler.name, upTo: settings.pagesPerLabeler) {
                project.touched[labeler.name] = t
                emit(Event(time: t, kind: .assigned, project: project.name, page: id, labeler: labeler.name))
                logger.info("page assigned", metadata: ["project": "\(project.name)", "page.id": "\(id)", "labeler": "\(labeler.name)"])
            }
        }
    }

    /// The latest of: the assignment, any file time in the held pages (mtime or
    /// ctime: `rsync -a` keeps old mtimes but every write sets ctime), and the
    /// last change the daemon saw there.
    func lastTouch(of labeler: String, held: [String], in project: ProjectState) -> Double {
        var latest = project.touched[labeler] ?? 0
        for id in held {
            let folder = workspace.folder(of: id, in: project.name, at: .labeler(labeler))
            var paths = [folder]
            for name in FileSystem.names(folder) { paths.append(Path.join(folder, name)) }
            for path in paths {
                guard let st = FileSystem.status(path) else { continue }
                latest = max(latest, Double(max(st.mtime, st.ctime)) / 1e9)
            }
        }
        return latest
    }

    /// Re-reads the daemon's copy of a page after a command (`next`, `leave`)
    /// moved it.
    func reloadCopy(_ id: String, in project: ProjectState) {
        if let copy = PageJournal(workspace: workspace, project: project.name).manifest(of: id) {
            project.copies[id] = copy
        }
    }
}
