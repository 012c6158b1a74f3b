import LabelmillCore
import LabelmillFS
#if canImport(Glibc)
import Glibc
#endif

/// How long after the scan `--once` looks at a file again before taking it.
let onceRecheckSeconds = 0.02

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
        let scan = InboxScanner.walk(workspace.inbox(project.name), in: root)
        let items = scan.items
        for root in scan.otherRoots where !project.otherRoots.contains(root) {
            // Another daemon's root inside this inbox: its files are its own.
            project.otherRoots.insert(root)
            logger.error("\(root) is another labelmill root (it has .labelmill/lock); none of its files are taken: move it out of \(workspace.inbox(project.name))",
                         metadata: ["project": "\(project.name)"])
        }
        let t = now()
        project.inbox.settle = QuietPeriod(seconds: settleSeconds)
        project.inboxWaitUntil = nil
        var ready: [InboxItem] = []
        var rechecked: [(InboxItem, Examination)] = []
        var present = Set<[UInt8]>()
        let pendingPaths = Set(project.pending.map(\.rawPath))
        let duplicatePaths = Set(project.duplicates.map(\.0.rawPath))
        var early = Set<[UInt8]>()
        for item in items {
            present.insert(item.rawPath)
            if pendingPaths.contains(item.rawPath) || duplicatePaths.contains(item.rawPath) { continue }
            if let parked = project.awaitingRecheck[item.rawPath] {
                // The second look of --once: still the version read, or seen again on a later run.
                guard t >= parked.due else { continue }
                project.awaitingRecheck[item.rawPath] = nil
                rechecked.append((item, parked.status.sameVersion(as: item.status) ? parked.outcome : .changed))
                continue
            }
            if once {
                ready.append(item)
                continue
            }
            // Watch mode: a file is taken once it has been the same version for settleSeconds,
            // or at once when the watcher saw its writer finish and it is whole.
            let change: FileChange = finished.contains(item.rawPath) ? .renamedIn : .scanned
            switch project.inbox.saw(item.rawPath, version: FileVersion(item.status), change: change, at: t) {
            case .examine(let refuseIfBroken):
                ready.append(item)
                if !refuseIfBroken { early.insert(item.rawPath) }
            case .wait(let until):
                project.inboxWaitUntil = min(project.inboxWaitUntil ?? until, until)
            case .forget:
                break
            }
        }
        project.inbox.keep(only: present)
        project.awaitingRecheck = project.awaitingRecheck.filter { present.contains($0.key) }
        // A queued image that vanished from the inbox before its page was built is dropped from the plan
        // (one in the pool is the daemon's and stays).
        project.removePending { !present.contains($0.rawPath) && !isPooled($0, in: project) }
        project.duplicates.removeAll { !present.contains($0.0.rawPath) }
        if ready.isEmpty && rechecked.isEmpty { return }
        let ordered = ready.sorted(by: { $0.source < $1.source })
        // Reading, checking and hashing are independent per file: both cores share them.
        var outcomes = Self.examineAll(ordered, root: root)
        // In the order of their sources, as the first look took them.
        var work: [(InboxItem, Examination)] = rechecked.sorted { $0.0.source < $1.0.source }
        if once {
            // The short recheck of --once: at least 20 ms after the scan, each
            // file must still be the one that was read. Reading usually takes
            // longer; when it did not, the caller looks again (`runOnce`).
            let recheckAt = t + onceRecheckSeconds
            let soon = now() < recheckAt
            for i in outcomes.indices {
                guard case .image = outcomes[i] else { continue }
                if soon {
                    project.awaitingRecheck[ordered[i].rawPath] = (ordered[i].status, outcomes[i], recheckAt)
                    outcomes[i] = .awaitingRecheck
                    recheckDue = max(recheckDue ?? recheckAt, recheckAt)
                } else if let current = root.status(rawPath: ordered[i].rawPath), current.sameVersion(as: ordered[i].status) {
                    continue
                } else {
                    outcomes[i] = .changed
                }
            }
        }
        work += zip(ordered, outcomes).map { ($0, $1) }
        for (item, outcome) in work {
            if early.contains(item.rawPath) {
                // Not whole (or not an image) on the first look: judged after its quiet period.
                guard case .image = outcome else {
                    project.inboxWaitUntil = min(project.inboxWaitUntil ?? t + settleSeconds, t + settleSeconds)
                    continue
                }
            }
            project.inbox.done(item.rawPath)
            // One file the daemon cannot handle must not stop the others.
            do throws(FileSystemError) {
                switch outcome {
                case .changed:
                    continue  // still being written: seen again on a later pass
                case .awaitingRecheck:
                    continue  // taken on the second look
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
            project.inbox.noteActivity(at: t)
        }
    }

    /// What reading and checking one inbox file found.
    enum Examination: Sendable {
        case image(ImageFacts, sha256: String)
        case refused(String)
        /// Changed or gone since the scan: not finished yet.
        case changed
        /// Read too soon after the scan to be sure (`--once`): looked at again first.
        case awaitingRecheck
        case failed(FileSystemError)
    }

    /// Examines files on both cores; results in the given order.
    static func examineAll(_ items: [InboxItem], root: any FileSystem) -> [Examination] {
        onBothCores(items.count) { examine(items[$0], root: root) }
    }

    /// Reads and checks one settled inbox file: the name, the kind of file, the
    /// size, the whole image structure, and its SHA-256. No shared state.
    static func examine(_ item: InboxItem, root: any FileSystem) -> Examination {
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
        if let original = project.original(of: sha) {
            if try isLeftover(item, sha256: sha, in: project) { return }
            return try refuse(item, in: project, reason: "a duplicate: the same image (SHA-256 \(sha.prefix(12))...) is already in \(original.page) as \"\(original.file)\"")
        }
        if project.pendingHashes.contains(sha) {
            if let pooled = project.pending.first(where: { $0.sha256 == sha && isPooled($0, in: project) }) {
                // The original waits in the pool, maybe for long: refused now, naming it.
                return try refuse(item, in: project, reason: "a duplicate: the same image (SHA-256 \(sha.prefix(12))...) is already in the pool, waiting for its page, as \"\(pooled.source)\"")
            }
            // Refused once the original has its page, so the reason can name it.
            project.duplicates.append((item, sha))
            return
        }
        if project.settings?.assist != nil { return try pool(item, facts: facts, sha256: sha, into: project) }
        project.addPending(AcceptedImage(rawPath: item.rawPath, name: item.name ?? "", source: item.source, status: item.status,
                                             sha256: sha, width: facts.width, height: facts.height))
    }

    /// Refuses the duplicates of images that now have their page.
    func refusePagedDuplicates(_ project: ProjectState) throws(FileSystemError) {
        var waiting: [(InboxItem, String)] = []
        for (item, sha) in project.duplicates {
            if let original = project.original(of: sha) {
                try refuse(item, in: project, reason: "a duplicate: the same image (SHA-256 \(sha.prefix(12))...) is already in \(original.page) as \"\(original.file)\"")
            } else if project.pendingHashes.contains(sha) {
                waiting.append((item, sha))
            }
        }
        project.duplicates = waiting
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
