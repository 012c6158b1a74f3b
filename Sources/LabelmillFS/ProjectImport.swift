import LabelmillCore
#if canImport(Glibc)
import Glibc
#endif

/// One run of `labelmill import` (SPEC section 8): reads labels another tool
/// wrote, matches each image to one of the project's images by SHA-256 (the
/// image file beside the labels, when the source has it) or else by its path,
/// checks the labels as strictly as a page.json, and records them for the
/// daemon in one atomic file. Any problem and nothing is recorded.
public struct ProjectImport: Sendable {
    public var root: String
    public var project: String
    public var format: ImportFormat
    public var path: String
    public var mode: ImportMode
    /// Record what matched and report the rest, instead of refusing the whole import.
    public var skipUnmatched: Bool

    public init(root: String, project: String, format: ImportFormat, path: String, mode: ImportMode, skipUnmatched: Bool = false) {
        self.root = root; self.project = project; self.format = format; self.path = path; self.mode = mode; self.skipUnmatched = skipUnmatched
    }

    /// Where a matched image is now.
    public enum Whereabouts: Sendable, Equatable {
        case inbox
        case pool
        case queue(page: String)
        case held(page: String, by: String)
        case done(page: String)
    }

    public struct Match: Sendable {
        public var place: String
        public var source: String
        public var whereabouts: Whereabouts
    }

    public struct Unmatched: Sendable {
        public var place: String
        public var image: String
        public var reason: String
    }

    public struct Report: Sendable {
        public var matched: [Match] = []
        public var unmatched: [Unmatched] = []
        /// Labels that break the rules: the import is refused.
        public var problems: [String] = []
        /// The import file written, nil when nothing was.
        public var written: String?
        /// The same labels were imported before: nothing changed.
        public var alreadyImported: String?
        /// Images already done with exactly the labels imported.
        public var alreadyDone = 0
    }

    /// A request that cannot be done as asked, in plain words.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// One image the project has, wherever it is.
    struct Known {
        var sha256: String
        var source: String
        var width: Int
        var height: Int
        var whereabouts: Whereabouts
        /// A done image's labels, to tell an import already carried out from one that would change them.
        var done: ImportedLabel? = nil
    }

    public func run() throws -> Report {
        let workspace = Workspace(root: root)
        let settings: ProjectSettings
        do { settings = try ProjectRules.load(project, in: workspace) } catch { throw Refusal(error.description) }
        guard format.fits(settings.task) else { throw Refusal(format.refusal(for: settings.task)) }
        let source = try DiskImportSource(path)
        let records: [ImportRecord]
        do { records = try ImportReader.records(format, from: source, file: source.file, task: settings.task) } catch {
            throw Refusal("\(source.display(error.file))\(error.place.isEmpty ? "" : ": " + error.place): \(error.message)")
        }
        let known = try knownImages(workspace)
        var bySha: [String: Known] = [:]
        var bySource: [String: [Known]] = [:]
        var byName: [String: [Known]] = [:]
        for image in known {
            bySha[image.sha256] = bySha[image.sha256] ?? image
            bySource[image.source, default: []].append(image)
            byName[ImportReader.fileName(image.source), default: []].append(image)
        }
        var report = Report()
        var labels: [(sha256: String, label: ImportedLabel)] = []
        var firstPlace: [String: String] = [:]
        for record in records {
            let image: Known
            switch match(record, source: source, bySha: bySha, bySource: bySource, byName: byName) {
            case .failure(let reason):
                report.unmatched.append(Unmatched(place: record.place, image: record.image, reason: reason.message))
                continue
            case .success(let found): image = found
            }
            if let earlier = firstPlace[image.sha256] {
                report.problems.append("\(record.place): labels \(image.source) again (first at \(earlier)); give each image one set of labels")
                continue
            }
            firstPlace[image.sha256] = record.place
            switch image.whereabouts {
            case .held(let page, let name):
                report.unmatched.append(Unmatched(place: record.place, image: record.image,
                                                  reason: "\(name) holds it on \(page): labels are imported only onto images nobody has started"))
                continue
            default: break
            }
            switch ImportCheck.resolve(record, task: settings.task, tags: settings.tags, width: image.width, height: image.height) {
            case .failure(let why):
                for reason in why.reasons { report.problems.append("\(record.place): \(reason)") }
            case .success(let label):
                if case .done(let page) = image.whereabouts {
                    // Done with these very labels (this import, carried out before): nothing to do.
                    if image.done == label { report.alreadyDone += 1 } else {
                        report.unmatched.append(Unmatched(place: record.place, image: record.image, reason: "already done, on \(page) in the outbox, with other labels"))
                    }
                    continue
                }
                labels.append((image.sha256, label))
                report.matched.append(Match(place: record.place, source: image.source, whereabouts: image.whereabouts))
            }
        }
        guard report.problems.isEmpty, skipUnmatched || report.unmatched.isEmpty, !labels.isEmpty else { return report }
        let file = ImportFile(format: format, mode: mode, from: source.display(""), labels: labels)
        let digest = String(Hashing.sha256(Array(JSONWriter.compact(file.content).utf8)).prefix(16))
        let folder = workspace.imports(project)
        let names = LocalPaths.names(folder).filter { ImportFile.digest(ofName: $0) != nil }
        if let same = names.first(where: { ImportFile.digest(ofName: $0) == digest }) {
            report.alreadyImported = Path.join(folder, same)
            return report
        }
        try LocalPaths.makeDirectories(folder)
        let target = Path.join(folder, ImportFile.name(number: names.count + 1, digest: digest))
        try LocalPaths.writeAtomically(target, Array(JSONWriter.compact(file.json).utf8) + [10])
        report.written = target
        wakeDaemon(workspace)
        return report
    }

    /// A running daemon acts on inbox events: a hidden file made and removed
    /// in the project's inbox (a name the daemon never takes) makes it page, and
    /// so read the new import, now rather than at its next rescan.
    func wakeDaemon(_ workspace: Workspace) {
        let poke = Path.join(workspace.inbox(project), ".labelmill-import-\(getpid())")
        if (try? LocalPaths.writeNew(poke, [])) != nil { unlink(poke) }
    }

    struct NoMatch: Error { var message: String }

    /// By SHA-256 when the source holds the image file itself; else by its path
    /// (relative to the inbox), then by file name when only one image has it.
    func match(_ record: ImportRecord, source: DiskImportSource, bySha: [String: Known], bySource: [String: [Known]],
               byName: [String: [Known]]) -> Result<Known, NoMatch> {
        var hashed: String?
        if let local = record.localImage, let bytes = try? source.read(local) {
            let sha = Hashing.sha256(bytes)
            if let image = bySha[sha] { return .success(image) }
            hashed = sha
        }
        var path = record.image
        while path.hasPrefix("./") { path.removeFirst(2) }
        if let images = bySource[path], images.count == 1 { return .success(images[0]) }
        let name = ImportReader.fileName(path)
        if let images = byName[name] {
            if images.count == 1 { return .success(images[0]) }
            return .failure(NoMatch(message: "\(images.count) of the project's images are named \(name) (\(images.prefix(3).map(\.source).joined(separator: ", "))); name it by its path in the inbox, or keep the image beside the labels so its SHA-256 matches"))
        }
        let hash = hashed.map { " nor has its SHA-256 (\($0.prefix(12))...)" } ?? ""
        return .failure(NoMatch(message: "no image of project \(project) is named \(name)\(hash); drop the image into Inbox/\(project)/ first"))
    }

    /// Every image of the project: on pages (the daemon's copy), in the pool, in the inbox.
    func knownImages(_ workspace: Workspace) throws -> [Known] {
        var known: [Known] = []
        let (pages, _) = try PageJournal(workspace: workspace, project: project).load()
        let labelers = LocalPaths.names(workspace.labelers(project))
        for (id, page) in pages.sorted(by: { $0.key < $1.key }) {
            let whereabouts: Whereabouts
            switch page.status {
            case .done: whereabouts = .done(page: id)
            case .open where page.assignedTo == nil: whereabouts = .queue(page: id)
            default:
                let holder = labelers.first { LocalPaths.exists(workspace.folder(of: id, in: project, at: .labeler($0))) }
                whereabouts = holder.map { .held(page: id, by: $0) } ?? .queue(page: id)
            }
            for image in page.images {
                let done = page.status == .done
                    ? ImportedLabel(tags: image.tags, regions: image.regions?.map { Region(tag: $0.tag, shape: $0.shape) }) : nil
                known.append(Known(sha256: image.sha256, source: image.source, width: image.width, height: image.height,
                                   whereabouts: whereabouts, done: done))
            }
        }
        // Pool files are named by their SHA-256; the pool log keeps their source paths.
        var poolSources: [String: String] = [:]
        if let log = try? LocalPaths.read(Path.join(workspace.assist(project), "pool.log")).bytes {
            for line in String(decoding: log, as: UTF8.self).split(separator: "\n") {
                guard let record = try? StrictJSON.parse(String(line)).value, let sha = record["sha256"]?.stringValue,
                      let source = record["source"]?.stringValue else { continue }
                poolSources[sha] = source
            }
        }
        for name in LocalPaths.names(workspace.pool(project)) {
            let sha = ExportNaming.stem(of: name)
            guard let facts = Self.facts(Path.join(workspace.pool(project), name)) else { continue }
            known.append(Known(sha256: sha, source: poolSources[sha] ?? name, width: facts.facts.width, height: facts.facts.height, whereabouts: .pool))
        }
        let inbox = InboxScanner.walk(workspace.inbox(project), in: try RootedDirectory.open(workspace.root)).items
        for item in inbox where item.refusal == nil {
            guard let facts = Self.facts(String(decoding: item.rawPath, as: UTF8.self)) else { continue }
            known.append(Known(sha256: facts.sha256, source: item.source, width: facts.facts.width, height: facts.facts.height, whereabouts: .inbox))
        }
        return known
    }

    static func facts(_ path: String) -> (facts: ImageFacts, sha256: String)? {
        guard let bytes = try? LocalPaths.read(path).bytes else { return nil }
        return bytes.withUnsafeBytes { buffer in
            guard case .success(let facts) = ImageProbe.inspect(buffer) else { return nil }
            return (facts, Hashing.sha256(buffer))
        }
    }
}

/// The source of an import on disk: a folder, or one file and the folder it is in.
struct DiskImportSource: ImportSource, Sendable {
    let folder: String
    /// The file given, when PATH is a file.
    let file: String?

    init(_ path: String) throws {
        guard let status = LocalPaths.status(path) else {
            throw ProjectImport.Refusal("\(path): no such file or folder")
        }
        if status.kind == .directory {
            (folder, file) = (path, nil)
        } else {
            let slash = path.lastIndex(of: "/")
            folder = slash.map { String(path[..<$0]) } ?? "."
            file = slash.map { String(path[path.index(after: $0)...]) } ?? path
        }
    }

    /// A path relative to the source, as the user knows it.
    func display(_ relative: String) -> String {
        relative.isEmpty ? (file.map { Path.join(folder, $0) } ?? folder) : Path.join(folder, relative)
    }

    func read(_ path: String) throws(ImportProblem) -> [UInt8]? {
        let full = Path.join(folder, path)
        guard LocalPaths.status(full)?.kind == .regular else { return nil }
        do { return try LocalPaths.read(full, maxBytes: 1 << 30).bytes } catch {
            throw ImportProblem(file: display(path), message: error.description)
        }
    }

    func files(in sub: String) -> [String] {
        let dir = sub.isEmpty ? folder : Path.join(folder, sub)
        return LocalPaths.names(dir).filter { !$0.hasPrefix(".") && LocalPaths.status(Path.join(dir, $0))?.kind == .regular }
    }
}
