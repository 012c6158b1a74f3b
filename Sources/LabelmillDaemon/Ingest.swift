import LabelmillCore
import LabelmillFS
#if canImport(Glibc)
import Glibc
#endif

extension Engine {
    /// The largest file taken (SPEC section 6).
    static let maxFileBytes: Int64 = 1 << 30

    /// Takes the finished files of a project's inbox: each settled file is
    /// checked and hashed, then queued for a page or refused with a reason.
    /// `finished`: files the watcher saw closed after writing or renamed into
    /// place (or in a folder renamed in): each is examined at once and taken if
    /// its structure is whole; one that is not waits the quiet period like any
    /// other file, since its writer may open it again.
    func ingest(_ project: ProjectState, once: Bool, finished: FinishedFiles = FinishedFiles()) throws(FileSystemError) {
        let scan = InboxScanner.walk(workspace.inbox(project.name))
        let items = scan.items
        for root in scan.otherRoots where !project.otherRoots.contains(root) {
            // Another daemon's root inside this inbox: its files are its own.
            project.otherRoots.insert(root)
            logger.error("\(root) is another labelmill root (it has .labelmill/lock); none of its files are taken: move it out of \(workspace.inbox(project.name))",
                         metadata: ["project": "\(project.name)"])
        }
        let t = now()
        var ready: [InboxItem] = []
        var present = Set<[UInt8]>()
        let pendingPaths = Set(project.pending.map(\.rawPath))
        let duplicatePaths = Set(project.duplicates.map(\.0.rawPath))
        var early = Set<[UInt8]>()
        for item in items {
            present.insert(item.rawPath)
            if pendingPaths.contains(item.rawPath) || duplicatePaths.contains(item.rawPath) { continue }
            if once {
                ready.append(item)
                continue
            }
            let quietSince = project.settling[item.rawPath].flatMap { $0.status.sameVersion(as: item.status) ? $0.since : nil }
            if finished.contains(item.rawPath), quietSince.map({ t - $0 < settleSeconds }) ?? true {
                if quietSince == nil {
                    project.settling[item.rawPath] = (item.status, t)
                }
                project.lastInboxActivity = t
                early.insert(item.rawPath)
                ready.append(item)
                continue
            }
            // Watch mode: a file is taken once its size and time held for settleSeconds.
            if let seen = project.settling[item.rawPath], seen.status.sameVersion(as: item.status) {
                if t - seen.since >= settleSeconds { ready.append(item) }
            } else {
                project.settling[item.rawPath] = (item.status, t)
                project.lastInboxActivity = t
            }
        }
        project.settling = project.settling.filter { present.contains($0.key) }
        // A queued image that vanished from the inbox before its page was built is dropped from the plan.
        project.removePending { !present.contains($0.rawPath) }
        project.duplicates.removeAll { !present.contains($0.0.rawPath) }
        if ready.isEmpty { return }
        let ordered = ready.sorted(by: { $0.source < $1.source })
        // Reading, checking and hashing are independent per file: both cores share them.
        var outcomes = Self.examineAll(ordered, root: root)
        if once {
            // The short recheck of --once: at least 20 ms after the scan, each
            // file must still be the one that was read (reading usually takes longer).
            let waited = now() - t
            if waited < 0.02 { usleep(UInt32((0.02 - waited) * 1e6)) }
            for i in outcomes.indices {
                guard case .image = outcomes[i] else { continue }
                if let current = root.status(rawPath: ordered[i].rawPath), current.sameVersion(as: ordered[i].status) { continue }
                outcomes[i] = .changed
            }
        }
        for (item, outcome) in zip(ordered, outcomes) {
            if early.contains(item.rawPath) {
                // Not whole (or not an image) on the first look: judged after the quiet period.
                guard case .image = outcome else { continue }
            }
            project.settling[item.rawPath] = nil
            // One file the daemon cannot handle must not stop the others.
            do throws(FileSystemError) {
                switch outcome {
                case .changed:
                    continue  // still being written: seen again on a later pass
                case .refused(let reason):
                    try refuse(item, in: project, reason: reason)
                case .failed(let error):
                    throw error
                case .image(let facts, let sha):
                    try accept(item, facts: facts, sha256: sha, into: project)
                }
            } catch {
                if error.isNoSpace { throw error }
                logger.error("cannot take this file; trying again later", metadata: ["project": "\(project.name)", "file": "\(item.source)", "error": "\(error)"])
                continue
            }
            project.lastInboxActivity = t
        }
    }

    /// What reading and checking one inbox file found.
    enum Examination: Sendable {
        case image(ImageFacts, sha256: String)
        case refused(String)
        /// Changed or gone since the scan: not finished yet.
        case changed
        case failed(FileSystemError)
    }

    /// Examines files on both cores; results in the given order.
    static func examineAll(_ items: [InboxItem], root: RootedDirectory) -> [Examination] {
        onBothCores(items.count) { examine(items[$0], root: root) }
    }

    /// Reads and checks one settled inbox file: the name, the kind of file, the
    /// size, the whole image structure, and its SHA-256. No shared state.
    static func examine(_ item: InboxItem, root: RootedDirectory) -> Examination {
        if let refusal = item.refusal { return .refused(refusal) }
        if item.rawPath.count >= Int(PATH_MAX) {
            return .refused("the path is \(item.rawPath.count) bytes long, more than the \(Int(PATH_MAX) - 1) a file can be opened by; move the file to a shorter path and drop it again")
        }
        guard item.name != nil, String(validating: item.rawPath, as: UTF8.self) != nil else {
            return .refused("the file name (or a folder above it) is not valid UTF-8 (shown here with %XX escapes); rename it using UTF-8 and drop it again")
        }
        if item.status.kind != .regular {
            // Never opened: lstat again to be sure it is still what the scan saw.
            guard let current = root.status(rawPath: item.rawPath), current.sameVersion(as: item.status) else { return .changed }
        }
        switch item.status.kind {
        case .regular: break
        case .symlink:
            return .refused("a symbolic link; labelmill never follows links: copy the image itself into the inbox")
        case .fifo:
            return .refused("a FIFO (named pipe), not an image file")
        case .device:
            return .refused("a device file, not an image file")
        case .socket, .other, .directory:
            return .refused("not a regular file")
        }
        if item.status.size > maxFileBytes {
            return .refused("the file is \(item.status.size) bytes, over the 1 GiB limit")
        }
        let read: (bytes: [UInt8], status: FileStatus)
        do { read = try root.read(rawPath: item.rawPath, maxBytes: maxFileBytes) } catch {
            if error.isNotFound { return .changed }
            if error.errno == ELOOP || error.errno == ENXIO || error.errno == EINVAL { return .refused("not a regular file") }
            if error.errno == EACCES || error.errno == EPERM {
                return .refused("the file cannot be read (permission denied); make it readable and drop it again")
            }
            if error.errno == ENAMETOOLONG { return .refused("the path is too long to open; move the file to a shorter path") }
            return .failed(error)
        }
        // The file as read must be the file the scan saw, unchanged (the recheck).
        guard read.status.sameVersion(as: item.status) else { return .changed }
        switch read.bytes.withUnsafeBytes({ ImageProbe.inspect($0) }) {
        case .failure(let refusal): return .refused(refusal.reason)
        case .success(let facts): return .image(facts, sha256: Hashing.sha256(read.bytes))
        }
    }

    /// Queues a checked image for its page, or refuses a duplicate.
    func accept(_ item: InboxItem, facts: ImageFacts, sha256 sha: String, into project: ProjectState) throws(FileSystemError) {
        if let original = project.index[sha] {
            if try isLeftover(item, sha256: sha, in: project) { return }
            return try refuse(item, in: project, reason: "a duplicate: the same image (SHA-256 \(sha.prefix(12))...) is already in \(original.page) as \"\(original.file)\"")
        }
        if project.pendingHashes.contains(sha) {
            // Refused once the original has its page, so the reason can name it.
            project.duplicates.append((item, sha))
            return
        }
        project.addPending(AcceptedImage(rawPath: item.rawPath, name: item.name ?? "", source: item.source, status: item.status,
                                             sha256: sha, width: facts.width, height: facts.height))
    }

    /// Refuses the duplicates of images that now have their page.
    func refusePagedDuplicates(_ project: ProjectState) throws(FileSystemError) {
        var waiting: [(InboxItem, String)] = []
        for (item, sha) in project.duplicates {
            if let original = project.index[sha] {
                try refuse(item, in: project, reason: "a duplicate: the same image (SHA-256 \(sha.prefix(12))...) is already in \(original.page) as \"\(original.file)\"")
            } else if project.pendingHashes.contains(sha) {
                waiting.append((item, sha))
            }
        }
        project.duplicates = waiting
    }

    /// An inbox file that is a hard link of an image already paged: the daemon
    /// stopped between building the page and removing the original. Finish that.
    /// The page may be done by now (its kept image dropped): its image in the outbox or Watch tells too.
    func isLeftover(_ item: InboxItem, sha256: String, in project: ProjectState) throws(FileSystemError) -> Bool {
        guard item.status.links > 1, let (page, file) = project.index[sha256] else { return false }
        var places = [PageJournal(workspace: workspace, project: project.name).image(sha256),
                      Path.join(workspace.folder(of: page, in: project.name, at: .outbox), file),
                      Path.join(workspace.folder(of: page, in: project.name, at: .queue), file)]
        if let holder = project.copies[page]?.assignedTo {
            places.append(Path.join(workspace.folder(of: page, in: project.name, at: .labeler(holder)), file))
        }
        guard places.contains(where: { root.status($0).map { $0.inode == item.status.inode && $0.device == item.status.device } ?? false })
        else { return false }
        try root.remove(rawPath: item.rawPath)
        return true
    }

    /// Moves a refused input to `Outbox/<project>/rejected/` with NAME.reason.txt.
    func refuse(_ item: InboxItem, in project: ProjectState, reason: String) throws(FileSystemError) {
        let rejected = workspace.rejected(project.name)
        try root.makeFolders(rejected)
        let base = item.name ?? RawName.escaped(item.rawName)
        let target = try root.moveKeepingBoth(rawFrom: item.rawPath, to: Path.join(rejected, base))
        let text = "\(item.source): \(reason)\n"
        try root.writeAtomically(target + ".reason.txt", Array(text.utf8), durable: false)
        project.tally.refused += 1
        logger.warning("refused input", metadata: ["project": "\(project.name)", "file": "\(item.source)", "reason": "\(reason)"])
        emit(Event(time: now(), kind: .rejected, project: project.name, file: Path.name(target), source: item.source, reason: reason))
    }
}

/// Inbox files the watcher saw finished: closed after writing, or renamed in
/// (alone, or inside a folder renamed in).
struct FinishedFiles {
    var files = Set<[UInt8]>()
    var folders = Set<[UInt8]>()

    var isEmpty: Bool { files.isEmpty && folders.isEmpty }

    func contains(_ rawPath: [UInt8]) -> Bool {
        if files.contains(rawPath) { return true }
        guard !folders.isEmpty else { return false }
        // A file below a folder renamed in: any of its parent folders.
        var end = rawPath.count
        while let slash = rawPath[..<end].lastIndex(of: 47) {
            if folders.contains(Array(rawPath[..<slash])) { return true }
            end = slash
        }
        return false
    }
}
