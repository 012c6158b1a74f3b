#if canImport(Glibc)
import Glibc
#endif
import LabelmillCore

/// The completed pages of one project, `Outbox/<project>/<page>/page.json`, listed
/// by name only and read one at a time, in the order they were created.
public struct OutboxPages: Sendable {
    /// The project's outbox folder.
    public let path: String
    /// Page folder names, oldest first.
    public let pages: [String]
    /// Entries that look like neither a page nor a known outbox file.
    public let strays: [String]

    /// Lists `root/Outbox/<project>`; nil when that folder does not exist yet.
    public static func list(root: String, project: String) throws -> OutboxPages? {
        let path = root + "/Outbox/" + project
        let fd = open(path, ExportIO.directoryFlags)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw FileSystemError(failed: "cannot open \(path)")
        }
        var pages: [String] = []
        var strays: [String] = []
        for entry in try ExportIO.names(fd, path: path) {
            let name = entry.name
            // Not pages: refused inputs, the event log, and hidden or temporary names.
            if name == "rejected" || name == "events.jsonl" || name.hasPrefix(".") { continue }
            let isDir = entry.type == UInt8(DT_DIR) || (entry.type == UInt8(DT_UNKNOWN) && (try? Self.isFolder(path, name)) == true)
            if isDir { pages.append(name) } else { strays.append(name) }
        }
        pages.sort(by: Self.creationOrder)
        return OutboxPages(path: path, pages: pages, strays: strays)
    }

    /// Reads one page's manifest. The folder name is the page's id on disk.
    public func read(_ page: String) throws -> PageManifest {
        let dir = ExportIO.openDirectory(AT_FDCWD, path + "/" + page)
        guard dir >= 0 else { throw FileSystemError(failed: "cannot open \(path)/\(page)") }
        defer { close(dir) }
        let bytes: [UInt8]
        do { bytes = try ExportIO.readFile(dir, "page.json", limit: StrictJSON.maxBytes) }
        catch let error as FileSystemError where error.errno == ENOENT {
            throw FileSystemError(message: "\(path)/\(page) has no page.json")
        }
        let json: JSONValue
        do { json = try StrictJSON.parse(bytes).value } catch {
            throw FileSystemError(message: "\(path)/\(page)/page.json is not valid JSON")
        }
        do {
            var manifest = try PageManifest(json: json)
            manifest.page = page
            return manifest
        } catch {
            throw FileSystemError(message: "\(path)/\(page)/page.json: \(error)")
        }
    }

    /// Reads `root/Inbox/<project>/project.json`: the task and the class order,
    /// refused when it would move the class ids of pages already made.
    public static func settings(root: String, project: String) throws -> ProjectSettings {
        do { return try ProjectRules.load(project, in: Workspace(root: root)) } catch {
            throw FileSystemError(message: error.description)
        }
    }

    /// Page ids sort by creation: by their number (`page-000010` after `page-000009`,
    /// and `page-1000000` after `page-999999`), then by name.
    public static func creationOrder(_ a: String, _ b: String) -> Bool {
        let (pa, na) = split(a), (pb, nb) = split(b)
        if pa != pb { return pa < pb }
        if na.count != nb.count { return na.count < nb.count }
        if na != nb { return na < nb }
        return a < b
    }

    /// The name before its trailing digits, and the digits without leading zeros.
    private static func split(_ name: String) -> (Substring, Substring) {
        let scalars = name.unicodeScalars
        var i = scalars.endIndex
        while i > scalars.startIndex, let d = Optional(scalars[scalars.index(before: i)]), ("0"..."9").contains(d) {
            i = scalars.index(before: i)
        }
        let prefix = Substring(scalars[..<i])
        var digits = Substring(scalars[i...])
        while digits.count > 1, digits.first == "0" { digits.removeFirst() }
        return (prefix, digits)
    }

    private static func isFolder(_ path: String, _ name: String) throws -> Bool {
        try ExportIO.isDirectory(AT_FDCWD, path + "/" + name) == true
    }
}
