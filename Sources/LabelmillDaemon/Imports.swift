import LabelmillCore
import LabelmillFS

/// Labels from `labelmill import` (SPEC section 8) onto pages. The command
/// records each import whole in `.labelmill/imports/<project>/`; the daemon
/// fills an image's labels in when it makes the image's page, and puts them
/// on pages already in the queue that nobody has started. A page whose every
/// image was imported as done is accepted as it is (`label_source`
/// `import`); the others are left for a labeler, imported labels filled in.
/// The daemon looks for imports whenever it pages (after any inbox event:
/// the command makes one) and at each rescan; an idle daemon is not woken.
extension Engine {
    /// Reads the project's import files again when their names changed; pages
    /// in the queue holding an image whose imported labels changed are due.
    func loadImports(_ project: ProjectState) {
        let folder = workspace.imports(project.name)
        let names = root.names(folder).filter { ImportFile.digest(ofName: $0) != nil }
        guard names != project.importNames else { return }
        var files: [ImportFile] = []
        for name in names {
            let path = Path.join(folder, name)
            guard let bytes = try? root.read(path, maxBytes: 1 << 30).bytes, let node = try? StrictJSON.parse(bytes),
                  let file = ImportFile(json: node.value) else {
                logger.warning("import file unreadable; left out", metadata: ["project": "\(project.name)", "file": "\(path)"])
                continue
            }
            files.append(file)
        }
        let before = project.imports
        project.imports = ImportBook(files)
        project.importNames = names
        for (sha, entry) in project.imports.entries where before[sha] != entry {
            if let page = project.index[sha]?.page { project.importDue.insert(page) }
        }
        logger.info("imports read", metadata: ["project": "\(project.name)", "files": "\(names.count)", "images": "\(project.imports.entries.count)"])
    }

    /// A new page's images get their imported labels; true when any did.
    func fillImported(_ manifest: inout PageManifest, in project: ProjectState) -> Bool {
        var filled = false
        var prelabeledBy: String?
        for i in manifest.images.indices {
            guard let entry = project.imports[manifest.images[i].sha256] else { continue }
            manifest.images[i].apply(entry)
            filled = true
            if entry.mode == .prelabels { prelabeledBy = entry.format.modelName }
        }
        if let model = prelabeledBy {
            manifest.assist = PageAssist(clustered: manifest.assist?.clustered ?? false, prelabeled: true, model: model)
        }
        return filled
    }

    /// New imports read, then each due page that is still in the queue as the daemon wrote it gets them.
    func applyImports(_ project: ProjectState) throws(FileSystemError) {
        loadImports(project)
        guard !project.importDue.isEmpty else { return }
        let due = project.importDue.sorted()
        project.importDue = []
        for id in due { try applyImport(to: id, in: project) }
    }

    func applyImport(to id: String, in project: ProjectState) throws(FileSystemError) {
        guard let copy = project.copies[id], copy.status == .open, copy.assignedTo == nil,
              copy.images.contains(where: { project.imports[$0.sha256] != nil }) else { return }
        let folder = workspace.folder(of: id, in: project.name, at: .queue)
        let file = Path.join(folder, "page.json")
        guard let read = try? root.read(file, maxBytes: Int64(StrictJSON.maxBytes)), let node = try? StrictJSON.parse(read.bytes),
              var onDisk = try? PageManifest(json: node.value) else { return }
        // Untouched: exactly what the daemon wrote (nobody has started the page). A started one is left as it is.
        onDisk.schema = copy.schema
        guard onDisk == copy else {
            logger.info("imported labels not put on a page already started", metadata: ["project": "\(project.name)", "page.id": "\(id)"])
            return
        }
        var labeled = copy
        _ = fillImported(&labeled, in: project)
        if labeled.images.allSatisfy({ project.imports[$0.sha256]?.mode == .done }) {
            try accept(labeled, validated: read, at: folder, place: .queue, in: project, source: .imported)
            if project.copies[id]?.status == .done { project.queueOrder?.remove(id) }
            return
        }
        guard labeled != copy else { return }
        // The daemon's copy first: a stop before the page is rewritten leaves notes
        // the page lacks, which a labeler's save never needs (the daemon's copy wins).
        let journal = PageJournal(workspace: workspace, project: project.name, root: root)
        try journal.append([labeled])
        project.copies[id] = labeled
        var placed = labeled
        placed.schema = Workspace.Place.queue.schemaReference
        guard try root.replaceIfUnchanged(file, since: read, with: JSONWriter.prettyBytes(placed.json)) else {
            try journal.append([copy])
            project.copies[id] = copy
            return
        }
        project.handled[folder] = root.status(file).map(FileVersion.init)
        logger.info("imported labels put on a page in the queue", metadata: ["project": "\(project.name)", "page.id": "\(id)"])
    }
}
