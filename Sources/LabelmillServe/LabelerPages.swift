import LabelmillCore
import LabelmillDaemon
import LabelmillFS
#if canImport(Glibc)
import Glibc
#endif

/// One labeler's pages in one project, as the web page reaches them: only
/// folders under `Watch/PROJECT/labelers/NAME/`, each path a chain of plain
/// names opened without following symlinks.
struct LabelerPages {
    let workspace: Workspace
    let project: String
    let labeler: String

    /// Refuses a project name that is not one, before any path is made of it.
    init(workspace: Workspace, project: String, labeler: String) throws(APIError) {
        guard Names.isValidName(project) else { throw APIError.notFound("no project \"\(project)\"") }
        self.workspace = workspace
        self.project = project
        self.labeler = labeler
    }

    var queue: WorkQueue { WorkQueue(workspace: workspace, project: project) }

    /// Held page ids, oldest first; none when the labeler folder is a symlink or missing.
    var held: [String] {
        guard LocalPaths.statusBeneath(workspace.root, ["Watch", project, "labelers", labeler])?.kind == .directory else { return [] }
        return queue.held(by: labeler).filter { isHeld($0) }
    }

    func components(_ page: String, _ rest: String...) -> [String] {
        ["Watch", project, "labelers", labeler, page] + rest
    }

    /// Whether `page` is a page id this labeler holds as a real folder.
    func isHeld(_ page: String) -> Bool {
        guard PageID.number(page) != nil else { return false }
        return LocalPaths.statusBeneath(workspace.root, components(page))?.kind == .directory
    }

    func folder(_ page: String) -> String { workspace.folder(of: page, in: project, at: .labeler(labeler)) }
    func file(_ page: String) -> String { Path.join(folder(page), "page.json") }

    /// page.json as it is on disk; 404 for anything not held by this labeler.
    func read(_ page: String, missing: APIError? = nil) throws(APIError) -> [UInt8] {
        let refusal = missing ?? APIError.notFound("no page \(page) held by \(labeler) in \(project)")
        guard isHeld(page) else { throw refusal }
        do {
            return try LocalPaths.readBeneath(workspace.root, components(page, "page.json"), maxBytes: Int64(StrictJSON.maxBytes) + 1).bytes
        } catch {
            if error.errno == EFBIG { throw APIError(.unprocessableContent, "invalid", "page.json is over 16 MiB; fix it with `labelmill check` first") }
            throw refusal
        }
    }

    /// The image file named by page.json's `images[index-1].file` (the daemon's copy when page.json is not readable).
    func imageName(_ page: String, index: Int, copies: DaemonCopies) throws(APIError) -> String {
        let bytes = try read(page)
        var name: String?
        if let node = try? StrictJSON.parse(bytes), let images = node.value["images"]?.arrayValue {
            if index >= 1 && index <= images.count { name = images[index - 1]["file"]?.stringValue }
        } else if let copy = copies.manifest(project: project, page: page), index >= 1, index <= copy.images.count {
            name = copy.images[index - 1].file
        }
        guard let name, LocalPaths.isPlainComponent(name), !name.hasPrefix("."), name != "page.json" else {
            throw APIError.notFound("page \(page) has no image \(index)")
        }
        return name
    }
}

/// ETags are the SHA-256 of page.json's bytes, in quotes.
enum PageTag {
    static func of(_ bytes: [UInt8]) -> String { Hashing.sha256(bytes) }
    static func header(_ bytes: [UInt8]) -> String { "\"\(of(bytes))\"" }

    /// The hash an `If-Match` names (quotes and a weak `W/` dropped).
    static func parse(_ header: String) -> String {
        var s = Substring(header.trimmingCharactersInSpace())
        if s.hasPrefix("W/") { s = s.dropFirst(2) }
        if s.hasPrefix("\"") && s.hasSuffix("\"") && s.count >= 2 { s = s.dropFirst().dropLast() }
        return s.lowercased()
    }
}

extension String {
    func trimmingCharactersInSpace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
