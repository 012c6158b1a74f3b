import LabelmillCore
import LabelmillFS

/// The pool of SPEC section 7: with ML assist, an image that is taken waits
/// in `Watch/<project>/pool/<sha256>.<ext>` until a page is made for it (one
/// of the places an image can be, section 6). The move from the inbox is one
/// rename, so the image is always in exactly one place; what its page needs
/// besides the pixels (its source path and name) goes to `pool.log` under
/// `.labelmill/assist/<project>/` first. Paging from the pool is paging from
/// the inbox: the journal names the page, then the pool file moves into it.
extension Engine {
    func poolFile(_ project: String, sha256: String, kind: ImageKind) -> String {
        Path.join(workspace.pool(project), "\(sha256).\(kind == .png ? "png" : "jpg")")
    }

    func poolLog(_ project: String) -> String { Path.join(workspace.assist(project), "pool.log") }

    /// Moves a checked inbox image into the pool and queues it for a page.
    func pool(_ item: InboxItem, facts: ImageFacts, sha256 sha: String, into project: ProjectState) throws(FileSystemError) {
        let target = poolFile(project.name, sha256: sha, kind: facts.kind)
        try root.makeFolders(workspace.pool(project.name))
        try root.makeFolders(workspace.assist(project.name))
        let record = JSONValue.object([("sha256", .string(sha)), ("source", .string(item.source)), ("name", .string(item.name ?? ""))])
        try root.append(poolLog(project.name), JSONWriter.compact(record) + "\n")
        try root.moveNoReplace(rawFrom: item.rawPath, to: Array(target.utf8))
        let image = AcceptedImage(rawPath: Array(target.utf8), name: item.name ?? "", source: item.source, status: item.status,
                                  sha256: sha, width: facts.width, height: facts.height)
        project.addPending(image)
        assistState(project).entered(image, at: now())
        requestEmbedding(of: image, in: project)
        requestPrediction(of: image, in: project)
    }

    /// Recovery for the pool, after the journal is loaded (`loadCopies`):
    /// each pool file is queued for a page again, in the order it came, with
    /// the source its record gives; one whose page the journal already names
    /// (a stop came after the journal and before the move) is that page's
    /// leftover and goes; one the daemon did not put there (its bytes are not
    /// the SHA-256 its name says, or it is not a whole image) is refused to
    /// `rejected/` with a reason.
    func loadPool(_ project: ProjectState) throws(FileSystemError) {
        let folder = workspace.pool(project.name)
        let names = root.names(folder)
        guard !names.isEmpty else { return }
        var records: [String: (order: Int, source: String, name: String)] = [:]
        if let text = try? root.read(poolLog(project.name), maxBytes: 1 << 34).bytes {
            var order = 0
            for line in text.split(separator: 10) {
                guard let node = try? StrictJSON.parse(Array(line)), let sha = node.value["sha256"]?.stringValue,
                      let source = node.value["source"]?.stringValue, let name = node.value["name"]?.stringValue else { continue }
                order += 1
                records[sha] = (order, source, name)
            }
        }
        var found: [(order: Int, image: AcceptedImage)] = []
        for name in names {
            let path = Path.join(folder, name)
            let sha = String(name.prefix { $0 != "." })
            if project.index[sha] != nil {
                // Paged already: its page has the image (restored from the kept copy if need be).
                try root.remove(path)
                logger.info("pool file of a page made before a stop removed", metadata: ["project": "\(project.name)", "file": "\(name)"])
                continue
            }
            guard let read = try? root.read(path, maxBytes: Self.maxFileBytes), read.status.kind == .regular else {
                try refusePoolFile(path, in: project, reason: "not a regular file the daemon can read")
                continue
            }
            let facts: ImageFacts
            switch read.bytes.withUnsafeBytes({ ImageProbe.inspect($0) }) {
            case .failure(let refusal):
                try refusePoolFile(path, in: project, reason: refusal.reason)
                continue
            case .success(let f): facts = f
            }
            guard Hashing.sha256(read.bytes) == sha, name == Path.name(poolFile(project.name, sha256: sha, kind: facts.kind)) else {
                try refusePoolFile(path, in: project, reason: "not an image the daemon put in the pool (its name is not its SHA-256 and type); drop it into the inbox instead")
                continue
            }
            let record = records[sha]
            let image = AcceptedImage(rawPath: Array(path.utf8), name: record?.name ?? name, source: record?.source ?? name,
                                      status: read.status, sha256: sha, width: facts.width, height: facts.height)
            found.append((record?.order ?? Int.max, image))
        }
        let state = assistState(project)
        for (i, entry) in found.sorted(by: { ($0.order, $0.image.sha256) < ($1.order, $1.image.sha256) }).enumerated()
        where !project.pendingHashes.contains(entry.image.sha256) {
            project.addPending(entry.image)
            // Oldest first, as they came; before anything taken from now on.
            state.entered(entry.image, at: now() - Double(found.count - i) * 1e-6)
        }
        try loadEmbeddings(project)
        // The log keeps only the pool's records once it has grown well past them.
        if records.count > 2 * project.pending.count + 1000 {
            let lines = project.pending.map { image in
                JSONWriter.compact(.object([("sha256", .string(image.sha256)), ("source", .string(image.source)), ("name", .string(image.name))])) + "\n"
            }
            try root.writeAtomically(poolLog(project.name), Array(lines.joined().utf8))
        }
        logger.info("pool loaded", metadata: ["project": "\(project.name)", "images": "\(project.pending.count)"])
    }

    func refusePoolFile(_ path: String, in project: ProjectState, reason: String) throws(FileSystemError) {
        let rejected = workspace.rejected(project.name)
        try root.makeFolders(rejected)
        let target = try root.moveKeepingBoth(rawFrom: Array(path.utf8), to: Path.join(rejected, Path.name(path)))
        try root.writeAtomically(target + ".reason.txt", Array("pool/\(Path.name(path)): \(reason)\n".utf8), durable: false)
        project.tally.refused += 1
        logger.warning("refused a pool file", metadata: ["project": "\(project.name)", "file": "\(Path.name(path))", "reason": "\(reason)"])
    }

    /// Whether an image waiting for its page is in the pool (not in the inbox).
    func isPooled(_ image: AcceptedImage, in project: ProjectState) -> Bool {
        let prefix = Array((workspace.pool(project.name) + "/").utf8)
        return image.rawPath.starts(with: prefix)
    }
}
