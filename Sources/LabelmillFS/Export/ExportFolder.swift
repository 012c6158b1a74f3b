#if canImport(Glibc)
import Glibc
#endif
import CShims
import LabelmillCore

/// The export folder being written. Everything goes into a hidden staging folder
/// beside the destination, which `publish()` renames into place once complete:
/// a failed or interrupted export never leaves a half-written dataset under the
/// name a training job reads.
public final class ExportFolder: ExportSink {
    /// Where the export is published, as given.
    public let path: String
    /// The absolute path it is published at.
    public let absolutePath: String
    public let imageMode: ExportImageMode
    /// Images copied under `--images link` because they could not be linked, and why.
    public private(set) var copiedInsteadOfLinked = 0
    public private(set) var linkProblem: String?

    private let parentFD: Int32
    private let name: String
    private let stagingName: String
    private var rootFD: Int32
    private let outboxFD: Int32?
    private var folders: [String: Int32] = [:]
    private var streams: [String: Stream] = [:]
    private var page: (name: String, fd: Int32)?
    private var linksWork = true
    private var finished = false
    private var copyBuffer = [UInt8](repeating: 0, count: 1 << 20)

    /// A long file written through a buffer, so streaming 100,000 lines costs few system calls.
    private struct Stream {
        var fd: Int32
        var buffer: [UInt8] = []
    }
    private static let bufferSize = 1 << 18

    /// Prepares an export to `path`, reading images from the page folders of
    /// `outbox` (nil when there is no outbox folder yet). Refuses a destination
    /// that exists and is not an empty folder.
    public init(path: String, imageMode: ExportImageMode, outbox: String?) throws {
        var trimmed = path
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard !trimmed.isEmpty else { throw FileSystemError(message: "the output folder name is empty") }
        let slash = trimmed.lastIndex(of: "/")
        let parent = slash.map { $0 == trimmed.startIndex ? "/" : String(trimmed[..<$0]) } ?? "."
        let base = slash.map { String(trimmed[trimmed.index(after: $0)...]) } ?? trimmed
        guard !base.isEmpty, base != ".", base != ".." else {
            throw FileSystemError(message: "give the output folder by name (not \(path)): the export is written beside it and renamed into place")
        }
        self.path = path
        self.name = base
        self.imageMode = imageMode
        stagingName = ".\(base).labelmill-export-\(getpid())"

        try Self.makeFolders(parent)
        parentFD = open(parent, ExportIO.directoryFlags)
        guard parentFD >= 0 else { throw FileSystemError(failed: "cannot open \(parent)") }
        var resolved = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let parentAbsolute = realpath(parent, &resolved) != nil ? String(cString: resolved) : parent
        absolutePath = (parentAbsolute == "/" ? "" : parentAbsolute) + "/" + base

        do {
            if try ExportIO.isDirectory(parentFD, base) == false {
                throw FileSystemError(message: "\(path) exists and is not a folder")
            }
            let existing = ExportIO.openDirectory(parentFD, base)
            if existing >= 0, try !ExportIO.names(existing, path: path).isEmpty {
                throw FileSystemError(message: "\(path) already exists and is not empty; export to a new folder or empty it first")
            }
            Self.removeAbandoned(parentFD, base)
            guard mkdirat(parentFD, stagingName, 0o755) == 0 else { throw FileSystemError(failed: "cannot create a folder in \(parent)") }
            rootFD = ExportIO.openDirectory(parentFD, stagingName)
            guard rootFD >= 0 else { throw FileSystemError(failed: "cannot open the folder just made in \(parent)") }
            if let outbox {
                let fd = open(outbox, ExportIO.directoryFlags)
                guard fd >= 0 else { throw FileSystemError(failed: "cannot open \(outbox)") }
                outboxFD = fd
            } else {
                outboxFD = nil
            }
        } catch {
            ExportIO.removeTree(parentFD, stagingName)
            close(parentFD)
            throw error
        }
        folders[""] = rootFD
    }

    deinit {
        if !finished { discard() }
        close(parentFD)
    }

    // MARK: ExportSink

    public func write(_ text: String, to path: String) throws {
        let (dir, file) = try folder(of: path)
        let fd = openat(dir, file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError(failed: "cannot create \(path) in the export") }
        defer { close(fd) }
        var text = text
        try text.withUTF8 { try ExportIO.writeAll(fd, UnsafeRawBufferPointer($0), name: path) }
    }

    public func append(_ text: String, to path: String) throws {
        if streams[path] == nil {
            let (dir, file) = try folder(of: path)
            let fd = openat(dir, file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw FileSystemError(failed: "cannot create \(path) in the export") }
            streams[path] = Stream(fd: fd)
        }
        streams[path]!.buffer.append(contentsOf: text.utf8)
        if streams[path]!.buffer.count >= Self.bufferSize { try flush(path) }
    }

    public func appendAndRemove(_ source: String, to path: String) throws {
        try append("", to: path)
        try flush(path)
        guard let from = streams.removeValue(forKey: source) else { return }
        defer { close(from.fd) }
        try from.buffer.withUnsafeBytes { try ExportIO.writeAll(from.fd, $0, name: source) }
        guard lseek(from.fd, 0, SEEK_SET) == 0 else { throw FileSystemError(failed: "cannot rewind \(source)") }
        try ExportIO.copyContents(from: from.fd, to: streams[path]!.fd, name: path, buffer: &copyBuffer)
        let (dir, file) = try folder(of: source)
        guard unlinkat(dir, file, 0) == 0 else { throw FileSystemError(failed: "cannot remove \(source)") }
    }

    public func placeImage(page: String, file: String, at path: String) throws {
        guard imageMode != .none else { return }
        let source = try pageFolder(page)
        var st = stat()
        guard fstatat(source, file, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw FileSystemError(failed: "image \(page)/\(file) is missing")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw FileSystemError(message: "image \(page)/\(file) is not a regular file")
        }
        let (dir, target) = try folder(of: path)
        if imageMode == .link && linksWork {
            if linkat(source, file, dir, target, 0) == 0 { return }
            let code = errno
            switch code {
            case EXDEV, EPERM, EOPNOTSUPP, ENOSYS:
                // Another file system, or one without hard links: copy this and the rest.
                linksWork = false
            case EMLINK:
                // This one file has as many links as its file system allows: copy it alone.
                break
            default:
                throw FileSystemError(failed: "cannot link image \(page)/\(file) into the export")
            }
            if linkProblem == nil { linkProblem = String(cString: strerror(code)) }
        }
        if imageMode == .link { copiedInsteadOfLinked += 1 }
        let from = openat(source, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard from >= 0 else { throw FileSystemError(failed: "cannot open image \(page)/\(file)") }
        defer { close(from) }
        let to = openat(dir, target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard to >= 0 else { throw FileSystemError(failed: "cannot create \(path) in the export") }
        defer { close(to) }
        try ExportIO.copyContents(from: from, to: to, name: path, buffer: &copyBuffer)
    }

    // MARK: Publishing

    /// Writes out what is buffered, flushes the export to disk and renames it into place.
    public func publish() throws {
        for path in streams.keys { try flush(path) }
        for stream in streams.values { close(stream.fd) }
        streams = [:]
        // One sync of the file system instead of an fsync per file of 100,000.
        guard lm_syncfs(rootFD) == 0 else { throw FileSystemError(failed: "cannot flush the export to disk") }
        closeFolders()
        if renameat(parentFD, stagingName, parentFD, name) != 0 {
            if errno == ENOTEMPTY || errno == EEXIST {
                throw FileSystemError(message: "\(path) was filled by something else during the export; nothing was replaced")
            }
            throw FileSystemError(failed: "cannot rename the finished export to \(path)")
        }
        finished = true
        fsync(parentFD)
    }

    /// Removes the staging folder: the export failed or was abandoned.
    public func discard() {
        for stream in streams.values { close(stream.fd) }
        streams = [:]
        closeFolders()
        ExportIO.removeTree(parentFD, stagingName)
        finished = true
    }

    // MARK: Folders

    private func flush(_ path: String) throws {
        guard var stream = streams[path], !stream.buffer.isEmpty else { return }
        try stream.buffer.withUnsafeBytes { try ExportIO.writeAll(stream.fd, $0, name: path) }
        stream.buffer.removeAll(keepingCapacity: true)
        streams[path] = stream
    }

    /// The open folder holding `path` (made on first use) and the file's name in it.
    private func folder(of path: String) throws -> (Int32, String) {
        guard let slash = path.lastIndex(of: "/") else { return (rootFD, path) }
        let dirPath = String(path[..<slash])
        let file = String(path[path.index(after: slash)...])
        if let fd = folders[dirPath] { return (fd, file) }
        var fd = rootFD
        var sofar = ""
        for part in dirPath.split(separator: "/") {
            sofar += (sofar.isEmpty ? "" : "/") + part
            if let known = folders[sofar] { fd = known; continue }
            if mkdirat(fd, String(part), 0o755) != 0 && errno != EEXIST {
                throw FileSystemError(failed: "cannot create folder \(sofar) in the export")
            }
            let next = ExportIO.openDirectory(fd, String(part))
            guard next >= 0 else { throw FileSystemError(failed: "cannot open folder \(sofar) in the export") }
            folders[sofar] = next
            fd = next
        }
        return (fd, file)
    }

    private func pageFolder(_ page: String) throws -> Int32 {
        if let current = self.page, current.name == page { return current.fd }
        guard let outboxFD else { throw FileSystemError(message: "no outbox to take page \(page) from") }
        let fd = ExportIO.openDirectory(outboxFD, page)
        guard fd >= 0 else { throw FileSystemError(failed: "cannot open page folder \(page)") }
        if let old = self.page { close(old.fd) }
        self.page = (page, fd)
        return fd
    }

    private func closeFolders() {
        for fd in folders.values { close(fd) }
        folders = [:]
        if let page { close(page.fd) }
        page = nil
        if let outboxFD { close(outboxFD) }
    }

    /// `path` made absolute without needing it to exist: the longest existing
    /// prefix resolved through its symlinks, the rest appended with `.` and `..` applied.
    public static func absolute(_ path: String) -> String {
        var base = "/"
        if !path.hasPrefix("/") {
            var cwd = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            if getcwd(&cwd, cwd.count) != nil { base = String(cString: cwd) }
        }
        var parts: [String] = []
        for part in (base + "/" + path).split(separator: "/") {
            if part == "." { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(String(part))
        }
        var resolved = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        for keep in stride(from: parts.count, through: 0, by: -1) {
            let prefix = "/" + parts[..<keep].joined(separator: "/")
            if realpath(prefix, &resolved) != nil {
                let head = String(cString: resolved)
                let tail = parts[keep...].joined(separator: "/")
                return tail.isEmpty ? head : (head == "/" ? "" : head) + "/" + tail
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Removes staging folders of earlier exports to the same name whose process is
    /// gone (killed mid-export), so they do not pile up beside the destination.
    private static func removeAbandoned(_ parentFD: Int32, _ base: String) {
        let prefix = ".\(base).labelmill-export-"
        guard let entries = try? ExportIO.names(dup(parentFD), path: base) else { return }
        for entry in entries where entry.name.hasPrefix(prefix) {
            guard let pid = Int32(entry.name.dropFirst(prefix.count)) else { continue }
            if pid == getpid() || (kill(pid, 0) != 0 && errno == ESRCH) {
                ExportIO.removeTree(parentFD, entry.name)
            }
        }
    }

    private static func makeFolders(_ path: String) throws {
        var sofar = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            sofar += (sofar.isEmpty || sofar.hasSuffix("/") ? "" : "/") + part
            if mkdir(sofar, 0o755) != 0 && errno != EEXIST {
                throw FileSystemError(failed: "cannot create folder \(sofar)")
            }
        }
    }
}
