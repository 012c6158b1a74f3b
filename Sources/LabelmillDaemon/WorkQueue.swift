import LabelmillCore
import LabelmillFS
#if canImport(Glibc)
import Glibc
#endif

/// Moving pages between the queue and labelers' folders: used by the daemon
/// and by `next` / `leave`, so both follow the same rules. Every move is a
/// rename without replace: two movers racing for a page cannot both get it.
public struct WorkQueue {
    public let workspace: Workspace
    public let project: String
    /// The workspace root, held open: every path goes through it, never through a link.
    let root: (any FileSystem)?

    /// The daemon's copies it already holds (saves reading the journal).
    public var knownCopy: ((String) -> PageManifest?)?
    /// Told of every copy version recorded.
    public var onRecord: ((PageManifest) -> Void)?
    /// Told of every page folder a move placed, with the page.json it wrote:
    /// the daemon then knows that version is its own.
    public var onPlaced: ((String, FileStatus) -> Void)?
    /// Seconds since the epoch, for the names of folders set aside.
    let now: () -> Double

    public init(workspace: Workspace, project: String, root: (any FileSystem)? = nil, now: @escaping () -> Double = WorkQueue.realTime,
                knownCopy: ((String) -> PageManifest?)? = nil, onRecord: ((PageManifest) -> Void)? = nil,
                onPlaced: ((String, FileStatus) -> Void)? = nil) {
        self.onPlaced = onPlaced
        self.workspace = workspace
        self.project = project
        self.root = root ?? (try? RootedDirectory.open(workspace.root))
        self.now = now
        self.knownCopy = knownCopy
        self.onRecord = onRecord
    }

    public static func realTime() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    public static let signedOutFile = "SIGNED-OUT.txt"
    public static let noMorePagesFile = "NO-MORE-PAGES.txt"
    /// How SIGNED-OUT.txt begins when `labelmill leave` asked the daemon to
    /// return the pages (in a shared root, where a labeler cannot write the
    /// queue). Once they are returned the file says so in other words, so an
    /// old copy that a sync brings back is no request.
    public static let leaveRequestLine = "Leaving: `labelmill leave` asked the daemon to return these pages to the queue, labels kept."

    /// Asks the daemon to return `name`'s pages: SIGNED-OUT.txt with the request,
    /// so no new pages come meanwhile.
    public func requestLeave(_ name: String) throws(FileSystemError) {
        let text = "\(Self.leaveRequestLine)\nTo stay signed in, delete this file or run: labelmill next \(project) --as \(name)\n"
        try rooted().writeAtomically(Path.join(workspace.labeler(project, name), Self.signedOutFile), Array(text.utf8), durable: false)
    }

    /// Whether `name`'s SIGNED-OUT.txt is a leave request not yet carried out.
    public func leaveRequested(by name: String) -> Bool {
        let file = Path.join(workspace.labeler(project, name), Self.signedOutFile)
        guard let read = try? rooted().read(file, maxBytes: 4096) else { return false }
        return read.bytes.starts(with: Self.leaveRequestLine.utf8)
    }

    func rooted() throws(FileSystemError) -> any FileSystem {
        if let root { return root }
        return try RootedDirectory.open(workspace.root)
    }

    /// The names in the queue's folder, or why it cannot be used (a symlink, missing).
    func queueNames() throws(FileSystemError) -> [String] {
        try rooted().list(workspace.queue(project)).compactMap(\.name).sorted()
    }

    /// Page ids waiting in the queue, oldest first.
    public var queued: [String] {
        ((try? queueNames()) ?? []).filter { PageID.number($0) != nil }
    }

    /// Page ids a labeler holds (real folders only).
    public func held(by name: String) -> [String] {
        (root?.folderNames(workspace.labeler(project, name)) ?? []).filter { PageID.number($0) != nil }
    }

    /// Held pages handed in (status `submitted`): they wait there for the
    /// daemon's review and never change hands.
    public func submitted(by name: String) -> [String] {
        held(by: name).filter { isSubmitted(Path.join(workspace.labeler(project, name), $0)) }
    }

    func isSubmitted(_ folder: String) -> Bool {
        guard let bytes = try? rooted().read(Path.join(folder, "page.json"), maxBytes: Int64(StrictJSON.maxBytes)).bytes,
              let node = try? StrictJSON.parse(bytes) else { return false }
        return node["status"]?.value.stringValue == PageStatus.submitted.rawValue
    }

    /// Labelers with a folder (not a symlink), and whether each is signed in.
    public var labelers: [(name: String, signedIn: Bool)] {
        guard let root else { return [] }
        return root.folderNames(workspace.labelers(project)).compactMap { name in
            // A page folder put straight into labelers/ is a misplaced copy, not a labeler.
            guard Names.isValidName(name), PageID.number(name) == nil else { return nil }
            return (name, !root.exists(Path.join(workspace.labeler(project, name), Self.signedOutFile)))
        }
    }

    /// Signs a labeler in: creates the folder, removes SIGNED-OUT.txt.
    public func signIn(_ name: String) throws(FileSystemError) {
        let root = try rooted()
        try root.makeFolders(workspace.labeler(project, name))
        try root.remove(Path.join(workspace.labeler(project, name), Self.signedOutFile))
    }

    /// Fills a labeler's folder up to `count` pages from the queue. Returns the
    /// page ids moved. Writes NO-MORE-PAGES.txt when the labeler holds nothing
    /// and the queue is empty; removes it once pages arrive.
    /// `waiting`: the queue's page ids oldest first, when the caller keeps
    /// them (the daemon does); otherwise the queue folder is listed.
    @discardableResult
    public func fill(_ name: String, upTo count: Int, waiting known: [String]? = nil) throws(FileSystemError) -> [String] {
        let root = try rooted()
        let folder = workspace.labeler(project, name)
        try root.requireFolder(folder)
        guard LabelerAccess.mayFill(folder, for: name, in: workspace) else { return [] }
        var holding = held(by: name).count
        var moved: [String] = []
        var waiting: [String] = []
        if holding < count {
            if let known { waiting = known } else { waiting = try queueNames().filter { PageID.number($0) != nil } }
        }
        for id in waiting {
            if holding >= count { break }
            if try move(id, from: .queue, to: .labeler(name)) {
                moved.append(id)
                holding += 1
            }
        }
        let notice = Path.join(folder, Self.noMorePagesFile)
        if holding == 0 {
            if !root.exists(notice) {
                let text = "No more pages in \(project) right now. New pages arrive here by themselves while you stay signed in.\n"
                try root.writeAtomically(notice, Array(text.utf8), durable: false)
            }
        } else {
            try root.remove(notice)
        }
        return moved
    }

    /// Returns every page a labeler holds to the queue, labels kept, and signs
    /// the labeler out with SIGNED-OUT.txt saying why. A submitted page stays
    /// for review (`submitted(by:)`).
    @discardableResult
    public func release(_ name: String, reason: String) throws(FileSystemError) -> [String] {
        let root = try rooted()
        let folder = workspace.labeler(project, name)
        do { try root.requireFolder(folder) } catch {
            if error.isNotFound { return [] }
            throw error
        }
        try root.requireFolder(workspace.queue(project))
        let text = "\(reason)\nTo sign in again, delete this file or run: labelmill next \(project) --as \(name)\n"
        try root.writeAtomically(Path.join(folder, Self.signedOutFile), Array(text.utf8), durable: false)
        var returned: [String] = []
        for id in held(by: name) where try move(id, from: .labeler(name), to: .queue) {
            returned.append(id)
        }
        try root.remove(Path.join(folder, Self.noMorePagesFile))
        return returned
    }

    /// Moves one page, rebuilt from the daemon's copy: its own images and the
    /// page.json with revision + 1 (the page changes hands), `assigned_to` and
    /// `$schema` for the new place; whatever else the old folder held (links,
    /// FIFOs, folders, other files) is set aside in conflicts with a note. A
    /// page whose page.json is not valid JSON is left where it is. False when
    /// another mover took it first, it changed meanwhile, or it cannot move.
    public func move(_ id: String, from: Workspace.Place, to: Workspace.Place) throws(FileSystemError) -> Bool {
        let root = try rooted()
        let source = workspace.folder(of: id, in: project, at: from)
        let file = Path.join(source, "page.json")
        guard let read = try? root.read(file, maxBytes: Int64(StrictJSON.maxBytes)),
              let node = try? StrictJSON.parse(read.bytes) else { return false }
        var value = node.value
        let revision = Int(value["revision"]?.numberValue ?? 0)
        value.setMember("$schema", .string(to.schemaReference))
        value.setMember("revision", .number(Double(revision + 1)))
        if case .labeler(let name) = to {
            value.setMember("assigned_to", .string(name), after: "status")
        } else {
            value.removeMember("assigned_to")
        }
        // A submitted page is reviewed where it is, never handed on as open.
        if value["status"]?.stringValue == PageStatus.submitted.rawValue { return false }
        let journal = PageJournal(workspace: workspace, project: project, root: root)
        guard let images = (knownCopy?(id) ?? journal.manifest(of: id))?.images ?? (try? PageManifest(json: node.value))?.images else { return false }
        // The new folder, built apart: the daemon's images and the page.json.
        let stage = Path.join(workspace.staging, "\(project).\(id).move-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? root.removeTree(stage) }
        try root.makeFolders(stage)
        for image in images {
            do { try journal.placeImage(image, from: source, at: Path.join(stage, image.file)) } catch {
                if error.isNotFound { return false }  // gone meanwhile
                throw error
            }
        }
        var written = try root.writeNew(Path.join(stage, "page.json"), JSONWriter.prettyBytes(value))
        if case .labeler(let name) = to {
            try LabelerAccess.grant(page: stage, to: name, in: workspace)
            written = root.status(Path.join(stage, "page.json")) ?? written  // the grant changed its ctime
        }
        // Taking the old folder is one rename: of two movers racing for a page,
        // one wins. It goes to conflicts, so a stop from here on loses nothing:
        // the daemon's copy has its labels first, for a restore after such a stop.
        try recordLabels(id, node.value)
        guard let taken = try takeAside(source, id: id, holder: from.labelerName ?? "queue") else { return false }
        guard root.isUnchanged(Path.join(taken, "page.json"), since: read) else {
            // Saved again meanwhile: back in place, moved on a later try.
            try putBack(taken, to: source, id: id)
            return false
        }
        try recordRevision(id, value)
        let target = workspace.folder(of: id, in: project, at: to)
        try root.makeFolders(Path.parent(target))
        do { try root.moveNoReplace(stage, to: target) } catch {
            try putBack(taken, to: source, id: id)
            if error.isExists { return false }
            throw error
        }
        onPlaced?(target, written)
        // What is not the page stays in conflicts, with a note.
        if try removePageParts(taken, of: images, validated: read).isEmpty, try root.removeEmptyFolder(taken) { return true }
        let kept = try root.list(taken).map(\.displayName).sorted()
        let note = "\(kept.joined(separator: ", ")): in \(source) when \(id) changed hands (to \(target)); not part of the page, so the page was rebuilt from the daemon's copy without them, and they were kept here. Nothing was applied.\n"
        try root.writeAtomically(Path.join(taken, "NOTE.txt"), Array(note.utf8), durable: false)
        return true
    }
}

extension WorkQueue {
    /// A temporary file that a sync tool or an editor leaves beside a page's
    /// own files: rsync's `.page.json.Xq81Zt`, Syncthing's `.syncthing.*`,
    /// vim's `.page.json.swp`, `page.json~` and `4913`. Dropped with the folder.
    static func isToolLeftover(_ name: String, of parts: Set<String>) -> Bool {
        guard Names.isIgnored(name) else { return false }
        if name == "4913" || name.hasPrefix(".syncthing.") || name.hasSuffix("~") { return true }
        return parts.contains { name.hasPrefix("." + $0 + ".") }
    }

    /// Moves a page folder into conflicts/ in one rename, out of every holder's
    /// reach. Nil when it was gone (another mover took it).
    func takeAside(_ folder: String, id: String, holder: String) throws(FileSystemError) -> String? {
        let root = try rooted()
        try root.makeFolders(workspace.conflicts(project))
        let stamp = Timestamp.iso8601(now()).replacingColonsAndDots
        do {
            let taken = try root.moveKeepingBoth(folder, to: Path.join(workspace.conflicts(project), "\(id).\(holder).\(stamp)"))
            LabelerAccess.revoke(page: taken, in: workspace)
            return taken
        } catch {
            if error.isNotFound { return nil }
            throw error
        }
    }

    /// Puts a folder taken aside back where it was; if that place is taken again, it stays in conflicts with a note.
    func putBack(_ taken: String, to folder: String, id: String) throws(FileSystemError) {
        let root = try rooted()
        do { try root.moveNoReplace(taken, to: folder) } catch {
            guard error.isExists else { throw error }
            let text = "A copy of \(id) that was saved while the daemon moved the page; another copy was at \(folder) by then. Nothing was applied.\n"
            try root.writeAtomically(Path.join(taken, "NOTE.txt"), Array(text.utf8), durable: false)
        }
    }

    /// Removes from a page folder what the page is made of: its images by
    /// name, ERRORS.txt, tools' temporary copies of those, and, last, the
    /// page.json read (only while it is still that version). Returns the
    /// names of what remains.
    func removePageParts(_ folder: String, of images: [PageImage], validated: (bytes: [UInt8], status: FileStatus)) throws(FileSystemError) -> [String] {
        let root = try rooted()
        let parts = Set(images.map(\.file) + ["ERRORS.txt"])
        for entry in try root.list(folder) {
            guard let name = entry.name, name != "page.json", root.status(Path.join(folder, name))?.kind == .regular,
                  parts.contains(name) || Self.isToolLeftover(name, of: parts.union(["page.json"])) else { continue }
            try root.remove(Path.join(folder, name))
        }
        if root.isUnchanged(Path.join(folder, "page.json"), since: validated) { try root.remove(Path.join(folder, "page.json")) }
        return try root.list(folder).map(\.displayName).sorted()
    }

    /// Clears a page folder of the page's own files; anything else stays, with
    /// `note`, in conflicts. Returns the names kept there.
    func clearPageFolder(_ folder: String, id: String, holder: String, of images: [PageImage],
                         validated: (bytes: [UInt8], status: FileStatus), note: String) throws(FileSystemError) -> [String] {
        let root = try rooted()
        if try removePageParts(folder, of: images, validated: validated).isEmpty, try root.removeEmptyFolder(folder) { return [] }
        // Something arrived meanwhile or does not belong: kept in conflicts.
        guard let taken = try takeAside(folder, id: id, holder: holder) else { return [] }
        let kept = try root.list(taken).map(\.displayName).sorted()
        try root.writeAtomically(Path.join(taken, "NOTE.txt"), Array("\(kept.joined(separator: ", ")): \(note)\n".utf8), durable: false)
        return kept
    }
}

extension WorkQueue {
    /// The daemon's copy learns the labels of a page about to change hands, at
    /// its current revision and holder: if a stop comes after the old folder
    /// went aside and before the new one is in place, the page is restored with them.
    func recordLabels(_ id: String, _ page: JSONValue) throws(FileSystemError) {
        let journal = PageJournal(workspace: workspace, project: project, root: root)
        guard let copy = knownCopy?(id) ?? journal.manifest(of: id), let labeled = try? PageManifest(json: page),
              labeled.revision == copy.revision else { return }
        var adopted = copy
        adopted.adoptLabels(from: labeled)
        guard adopted != copy else { return }
        try journal.append([adopted])
        onRecord?(adopted)
    }

    /// The daemon's copy learns the page's new revision and holder (and its
    /// labels so far, so a restore keeps them), so a copy of the page from an
    /// earlier holder is recognised as stale.
    func recordRevision(_ id: String, _ page: JSONValue) throws(FileSystemError) {
        let journal = PageJournal(workspace: workspace, project: project, root: root)
        guard var copy = knownCopy?(id) ?? journal.manifest(of: id) else { return }
        let revision = Int(page["revision"]?.numberValue ?? 0)
        guard copy.revision < revision else { return }
        copy.revision = revision
        copy.assignedTo = page["assigned_to"]?.stringValue
        copy.status = .open
        if let labeled = try? PageManifest(json: page) { copy.adoptLabels(from: labeled) }
        try journal.append([copy])
        onRecord?(copy)
    }
}
