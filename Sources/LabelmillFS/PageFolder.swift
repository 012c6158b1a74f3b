import LabelmillCore

/// Reading a page folder as the validator needs it.
public enum PageFolder {
    /// The files of a page folder that must match its `images`: everything but
    /// page.json, ERRORS.txt and hidden or temporary names, with their SHA-256
    /// and, for images, their size.
    public static func files(_ folder: String) throws(FileSystemError) -> [PageFolderFile] {
        try files(RootedDirectory.open(folder))
    }

    /// As `files(_:)`, for a page folder opened inside the root (never through a link).
    public static func files(_ folder: RootedDirectory) throws(FileSystemError) -> [PageFolderFile] {
        try files("", in: folder)
    }

    /// As `files(_:)`, for the page folder at `path` in a file system.
    public static func files(_ path: String, in fs: any FileSystem) throws(FileSystemError) -> [PageFolderFile] {
        var files: [PageFolderFile] = []
        let base = Array(path.utf8)
        for entry in try fs.list(rawPath: base) {
            let display = entry.displayName
            if display == "page.json" || display == "ERRORS.txt" || Names.isIgnored(raw: entry.rawName) { continue }
            let raw = base.isEmpty ? entry.rawName : base + [47] + entry.rawName
            let read: (bytes: [UInt8], status: FileStatus)
            do { read = try fs.read(rawPath: raw, maxBytes: 1 << 30) } catch {
                files.append(PageFolderFile(name: display, sha256: "", problem: unreadable(fs.status(rawPath: raw)?.kind, error)))
                continue
            }
            let facts = try? read.bytes.withUnsafeBytes { ImageProbe.inspect($0) }.get()
            files.append(PageFolderFile(name: display, sha256: Hashing.sha256(read.bytes), width: facts?.width, height: facts?.height))
        }
        return files.sorted { $0.name < $1.name }
    }

    /// Why a file of a page folder could not be read, said plainly.
    static func unreadable(_ kind: FileStatus.Kind?, _ error: FileSystemError) -> String {
        let restore = "put the image file itself back (a deleted image is restored from the daemon's copy)"
        switch kind {
        case .symlink: return "is a symbolic link, not an image file: labelmill never follows links; \(restore)"
        case .directory: return "is a folder, not an image file; move it out of the page folder"
        case .fifo: return "is a FIFO (named pipe), not an image file; \(restore)"
        case .device, .socket, .other: return "is not a regular file; \(restore)"
        case nil: return "went missing while the page was checked; check again"
        case .regular:
            if error.errno == EACCES || error.errno == EPERM { return "cannot be read (permission denied); make it readable again, e.g. chmod a+r" }
            if error.errno == EFBIG { return "is over 1 GiB, larger than any image the daemon made" }
            return "cannot be read: \(error)"
        }
    }

    /// The workspace root and project holding a page folder, found by walking up
    /// to the folder that has `Watch/` and `.labelmill/` (nil for a copy elsewhere).
    public static func locate(_ folder: String) -> (workspace: Workspace, project: String)? {
        let parts = absolute(folder).split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard let watchIndex = parts.lastIndex(of: "Watch"), watchIndex + 1 < parts.count else { return nil }
        let root = "/" + parts[..<watchIndex].joined(separator: "/")
        guard LocalPaths.isDirectory(Path.join(root, ".labelmill")) || LocalPaths.isDirectory(Path.join(root, "Inbox")) else { return nil }
        return (Workspace(root: root), parts[watchIndex + 1])
    }

    /// The daemon's copy of a page, when the folder lies in a workspace.
    public static func expectedManifest(for folder: String) -> PageManifest? {
        guard let (ws, project) = locate(folder) else { return nil }
        return PageJournal(workspace: ws, project: project).manifest(of: Path.name(absolute(folder)))
    }

    public static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buf = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buf, buf.count) != nil else { return path }
        let cwd = String(cString: buf)
        var parts = cwd.split(separator: "/").map(String.init)
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(String(part))
        }
        return "/" + parts.joined(separator: "/")
    }
}

#if canImport(Glibc)
import Glibc
#endif
