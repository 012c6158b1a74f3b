import LabelmillCore
import LabelmillFS

extension Engine {
    /// Looks at every page in Watch whose page.json changed: submissions are
    /// validated and moved to the outbox or rejected with their errors.
    func reviewPages(_ project: ProjectState, once: Bool) throws(FileSystemError) {
        let t = now()
        for (id, live) in livePageFolders(project).sorted(by: { $0.key < $1.key }) {
            let file = Path.join(live.folder, "page.json")
            guard let status = FileSystem.status(file) else { continue }
            if let seen = project.handled[live.folder], seen.sameVersion(as: status) { continue }
            // Let an editor or a sync tool finish writing first.
            if !once && t - Double(status.mtime) / 1e9 < pageSettleSeconds {
                project.watchDirty = true
                continue
            }
            try review(id, at: live.folder, place: live.place, in: project)
        }
    }

    /// Reads one page.json and acts on its status.
    func review(_ id: String, at folder: String, place: Workspace.Place, in project: ProjectState) throws(FileSystemError) {
        let file = Path.join(folder, "page.json")
        let read: (bytes: [UInt8], status: FileStatus)
        do { read = try FileSystem.read(file, maxBytes: Int64(StrictJSON.maxBytes) + 1) } catch {
            if error.isNotFound { return }
            throw error
        }
        defer { project.handled[folder] = FileSystem.status(file) }
        let expected = project.copies[id]
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
        guard let statusName = node["status"]?.value.stringValue else { return }
        guard statusName == PageStatus.submitted.rawValue || statusName == PageStatus.done.rawValue else { return }
        let files = try PageFolder.files(folder)
        let check = SubmissionValidator.check(read.bytes, expected: expected, files: files)
        if check.errors.isEmpty, let manifest = try? PageManifest(json: node.value) {
            try accept(manifest, at: folder, place: place, in: project)
            return
        }
        emit(Event(time: now(), kind: .submitted, project: project.name, page: id, labeler: place.labelerName))
        guard let rewrite = SubmissionValidator.rejectedText(for: check) else {
            try writeErrorsFile(check.errors, in: folder)
            return
        }
        // The labeler may have saved again meanwhile: never overwrite that.
        guard let now = FileSystem.status(file), now.sameVersion(as: read.status) else { return }
        try FileSystem.writeAtomically(file, Array(rewrite.text.utf8))
        try FileSystem.remove(Path.join(folder, "ERRORS.txt"))
        emit(Event(time: self.now(), kind: .rejected, project: project.name, page: id, labeler: place.labelerName,
                   reason: "\(rewrite.errors.count) error\(rewrite.errors.count == 1 ? "" : "s"): \(rewrite.errors.first?.message ?? "")"))
        logger.info("page rejected", metadata: ["project": "\(project.name)", "page.id": "\(id)", "errors": "\(rewrite.errors.count)"])
    }

    /// A page that passed every check: status done, moved to the outbox.
    func accept(_ submitted: PageManifest, at folder: String, place: Workspace.Place, in project: ProjectState) throws(FileSystemError) {
        var done = submitted
        done.status = .done
        done.errors = nil
        done.schema = Workspace.Place.outbox.schemaReference
        if done.assignedTo == nil { done.assignedTo = place.labelerName }
        try FileSystem.writeAtomically(Path.join(folder, "page.json"), Array(JSONWriter.pretty(done.json).utf8))
        try FileSystem.remove(Path.join(folder, "ERRORS.txt"))
        try FileSystem.makeDirectories(workspace.outbox(project.name))
        let target = workspace.folder(of: done.page, in: project.name, at: .outbox)
        try FileSystem.moveNoReplace(folder, target)
        project.handled[folder] = nil
        try finishCopy(done, in: project)
        let t = now()
        emit(Event(time: t, kind: .submitted, project: project.name, page: done.page, labeler: place.labelerName))
        emit(Event(time: t, kind: .done, project: project.name, page: done.page, labeler: place.labelerName))
        logger.info("page done", metadata: ["project": "\(project.name)", "page.id": "\(done.page)"])
    }

    func writeErrorsFile(_ errors: [PageError], in folder: String) throws(FileSystemError) {
        let lines = errors.map { "page.json:\($0.line):\($0.column): error: \($0.message)\n" }.joined()
        let path = Path.join(folder, "ERRORS.txt")
        if (try? FileSystem.read(path).bytes) == Array(lines.utf8) { return }
        try FileSystem.writeAtomically(path, Array(lines.utf8))
    }

    /// A page.json that is not strict JSON still says whether it was handed in.
    func looksSubmitted(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.contains("\"submitted\"")
    }
}

extension Workspace.Place {
    var labelerName: String? {
        if case .labeler(let name) = self { return name }
        return nil
    }
}
