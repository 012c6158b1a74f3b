import LabelmillCore
import LabelmillFS

/// Moving pages between the queue and labelers' folders: used by the daemon
/// and by `next` / `leave`, so both follow the same rules. Every move is a
/// rename without replace: two movers racing for a page cannot both get it.
public struct WorkQueue {
    public let workspace: Workspace
    public let project: String

    /// The daemon's copies it already holds (saves reading the journal).
    public var knownCopy: ((String) -> PageManifest?)?
    /// Told of every copy version recorded.
    public var onRecord: ((PageManifest) -> Void)?

    public init(workspace: Workspace, project: String, knownCopy: ((String) -> PageManifest?)? = nil,
                onRecord: ((PageManifest) -> Void)? = nil) {
        self.workspace = workspace
        self.project = project
        self.knownCopy = knownCopy
        self.onRecord = onRecord
    }

    public static let signedOutFile = "SIGNED-OUT.txt"
    public static let noMorePagesFile = "NO-MORE-PAGES.txt"

    /// Page ids waiting in the queue, oldest first.
    public var queued: [String] {
        FileSystem.names(workspace.queue(project)).filter { PageID.number($0) != nil }
    }

    /// Page ids a labeler holds.
    public func held(by name: String) -> [String] {
        let dir = workspace.labeler(project, name)
        return FileSystem.names(dir).filter { PageID.number($0) != nil && FileSystem.isDirectory(Path.join(dir, $0)) }
    }

    /// Held pages handed in (status `submitted`): they wait there for the
    /// daemon's review and never change hands.
    public func submitted(by name: String) -> [String] {
        held(by: name).filter { Self.isSubmitted(Path.join(workspace.labeler(project, name), $0)) }
    }

    static func isSubmitted(_ folder: String) -> Bool {
        guard let bytes = try? FileSystem.read(Path.join(folder, "page.json"), maxBytes: Int64(StrictJSON.maxBytes)).bytes,
              let node = try? StrictJSON.parse(bytes) else { return false }
        return node["status"]?.value.stringValue == PageStatus.submitted.rawValue
    }

    /// Labelers with a folder, and whether each is signed in.
    public var labelers: [(name: String, signedIn: Bool)] {
        FileSystem.names(workspace.labelers(project)).compactMap { name in
            // A page folder put straight into labelers/ is a misplaced copy, not a labeler.
            guard Names.isValidName(name), PageID.number(name) == nil, FileSystem.isDirectory(workspace.labeler(project, name)) else { return nil }
            return (name, !FileSystem.exists(Path.join(workspace.labeler(project, name), Self.signedOutFile)))
        }
    }

    /// Signs a labeler in: creates the folder, removes SIGNED-OUT.txt.
    public func signIn(_ name: String) throws(FileSystemError) {
        try FileSystem.makeDirectories(workspace.labeler(project, name))
        try FileSystem.remove(Path.join(workspace.labeler(project, name), Self.signedOutFile))
    }

    /// Fills a labeler's folder up to `count` pages from the queue. Returns the
    /// page ids moved. Writes NO-MORE-PAGES.txt when the labeler holds nothing
    /// and the queue is empty; removes it once pages arrive.
    @discardableResult
    public func fill(_ name: String, upTo count: Int) throws(FileSystemError) -> [String] {
        let folder = workspace.labeler(project, name)
        var holding = held(by: name).count
        var moved: [String] = []
        for id in queued where holding < count {
            if try move(id, from: .queue, to: .labeler(name)) {
                moved.append(id)
                holding += 1
            }
        }
        let notice = Path.join(folder, Self.noMorePagesFile)
        if holding == 0 {
            if !FileSystem.exists(notice) {
                let text = "No more pages in \(project) right now. New pages arrive here by themselves while you stay signed in.\n"
                try FileSystem.writeAtomically(notice, Array(text.utf8), durable: false)
            }
        } else {
            try FileSystem.remove(notice)
        }
        return moved
    }

    /// Returns every page a labeler holds to the queue, labels kept, and signs
    /// the labeler out with SIGNED-OUT.txt saying why. A submitted page stays
    /// for review (`submitted(by:)`).
    @discardableResult
    public func release(_ name: String, reason: String) throws(FileSystemError) -> [String] {
        let folder = workspace.labeler(project, name)
        guard FileSystem.isDirectory(folder) else { return [] }
        let text = "\(reason)\nTo sign in again, delete this file or run: labelmill next \(project) --as \(name)\n"
        try FileSystem.writeAtomically(Path.join(folder, Self.signedOutFile), Array(text.utf8), durable: false)
        var returned: [String] = []
        for id in held(by: name) where try move(id, from: .labeler(name), to: .queue) {
            returned.append(id)
        }
        try FileSystem.remove(Path.join(folder, Self.noMorePagesFile))
        return returned
    }

    /// Moves one page, rewriting its page.json first: revision + 1 (the page
    /// changes hands), `assigned_to`, `$schema` for the new place. A page whose
    /// page.json is not valid JSON is left where it is. False when another
    /// mover took it first or it cannot move.
    public func move(_ id: String, from: Workspace.Place, to: Workspace.Place) throws(FileSystemError) -> Bool {
        let source = workspace.folder(of: id, in: project, at: from)
        let file = Path.join(source, "page.json")
        guard let read = try? FileSystem.read(file, maxBytes: Int64(StrictJSON.maxBytes)),
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
        guard let now = FileSystem.status(file), now.sameVersion(as: read.status) else { return false }
        do { try FileSystem.writeAtomically(file, JSONWriter.prettyBytes(value), durable: false) } catch {
            if error.isNotFound { return false }  // another mover took the folder meanwhile
            throw error
        }
        try recordRevision(id, value)
        let target = workspace.folder(of: id, in: project, at: to)
        try FileSystem.makeDirectories(Path.parent(target))
        do { try FileSystem.moveNoReplace(source, target) } catch {
            if error.isNotFound || error.isExists { return false }
            throw error
        }
        return true
    }
}

extension WorkQueue {
    /// The daemon's copy learns the page's new revision and holder (and its
    /// labels so far, so a restore keeps them), so a copy of the page from an
    /// earlier holder is recognised as stale.
    func recordRevision(_ id: String, _ page: JSONValue) throws(FileSystemError) {
        let journal = PageJournal(workspace: workspace, project: project)
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
