import LabelmillCore
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's own copy of every page of a project, kept under
/// `.labelmill/pages/<project>/`:
/// - `journal.jsonl`: one line per version of a page, as the daemon last knew
///   it (made, changed hands, done); the last line of a page wins. Appending
///   is one write for a whole batch of pages, where a file per page would cost
///   a create each.
/// - `images/<sha256>`: a hard link to each image of a live page, so a page a
///   labeler deletes can be restored; dropped once the page is done, so
///   emptying the outbox frees the disk.
public struct PageJournal: Sendable {
    public let workspace: Workspace
    public let project: String
    /// The workspace root, held open; opened per call when not given.
    let root: (any FileSystem)?

    public init(workspace: Workspace, project: String, root: (any FileSystem)? = nil) {
        self.workspace = workspace
        self.project = project
        self.root = root
    }

    func rooted() throws(FileSystemError) -> any FileSystem {
        if let root { return root }
        return try RootedDirectory.open(workspace.root)
    }

    public var folder: String { workspace.copies(project) }
    public var file: String { Path.join(folder, "journal.jsonl") }
    public var imagesFolder: String { Path.join(folder, "images") }
    public func image(_ sha256: String) -> String { Path.join(imagesFolder, sha256) }

    public func prepare() throws(FileSystemError) {
        try rooted().makeFolders(imagesFolder)
    }

    /// Every page's latest version. A line a stop cut short is ignored: the
    /// page it described was not placed yet. The journal is read in chunks,
    /// never whole: at a million images it is hundreds of megabytes.
    public func load() throws(FileSystemError) -> (pages: [String: PageManifest], lines: Int) {
        var pages: [String: PageManifest] = [:]
        var lines = 0
        do {
            try eachLine { line in
                if let manifest = Self.decode(Array(line)) {
                    pages[manifest.page] = manifest
                    lines += 1
                }
            }
        } catch {
            if error.isNotFound { return ([:], 0) }
            throw error
        }
        return (pages, lines)
    }

    /// Where a page's latest version is in the journal: the line's offset and length.
    public struct LineSpan: Sendable, Equatable {
        public var offset: Int64
        public var length: Int
        public init(offset: Int64, length: Int) { self.offset = offset; self.length = length }
    }

    /// Every page's latest version, decoded, with where its line is; a line a
    /// stop cut short is ignored. `body` sees each page's versions in order, the
    /// latest last. Returns the number of lines.
    @discardableResult
    public func loadLines(_ body: (PageManifest, LineSpan) -> Void) throws(FileSystemError) -> Int {
        var lines = 0
        do {
            try eachLine { line, offset in
                if let manifest = Self.decode(Array(line)) {
                    body(manifest, LineSpan(offset: offset, length: line.count))
                    lines += 1
                }
            }
        } catch {
            if error.isNotFound { return 0 }
            throw error
        }
        return lines
    }

    /// The page version whose line is at `span`, read back alone.
    public func manifest(at span: LineSpan) -> PageManifest? {
        guard let bytes = try? rooted().read(file, at: span.offset, count: span.length), bytes.count == span.length else { return nil }
        return Self.decode(bytes)
    }

    /// Rewrites the journal with one line per page (the lines at `spans`, in
    /// page order), when old versions pile up; returns where each line is now.
    public func compact(_ spans: [String: LineSpan]) throws(FileSystemError) -> [String: LineSpan] {
        let root = try rooted()
        var text: [UInt8] = []
        var moved: [String: LineSpan] = [:]
        for id in spans.keys.sorted() {
            let span = spans[id]!
            let line = try root.read(file, at: span.offset, count: span.length)
            guard line.count == span.length else { throw FileSystemError("read", file, errno: EIO, detail: "the journal changed while it was compacted") }
            moved[id] = LineSpan(offset: Int64(text.count), length: line.count)
            text += line
            text.append(10)
        }
        try root.writeAtomically(file, text)
        return moved
    }

    /// Calls `body` with each non-empty line of the journal (without its
    /// newline), the last one even when no newline ends it.
    func eachLine(_ body: (ArraySlice<UInt8>) -> Void) throws(FileSystemError) {
        try eachLine { line, _ in body(line) }
    }

    /// As `eachLine`, with each line's offset in the file.
    func eachLine(_ body: (ArraySlice<UInt8>, Int64) -> Void) throws(FileSystemError) {
        let root = try rooted()
        guard let rooted = root as? RootedDirectory else {
            let bytes = try root.read(file).bytes
            Self.splitLines(bytes[...], final: true) { body($0, Int64($0.startIndex)) }
            return
        }
        let (fd, shown) = try rooted.openRegularFile(file)
        defer { close(fd) }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var pending: [UInt8] = []
        // The file offset of pending[0].
        var base: Int64 = 0
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw FileSystemError("read", shown) }
            if n == 0 { break }
            pending.append(contentsOf: chunk[0..<n])
            let consumed = Self.splitLines(pending[...], final: false) { body($0, base + Int64($0.startIndex)) }
            pending.removeFirst(consumed)
            base += Int64(consumed)
        }
        Self.splitLines(pending[...], final: true) { body($0, base + Int64($0.startIndex)) }
    }

    /// Calls `body` with each non-empty line of `bytes`; the rest after the
    /// last newline too when `final`. Returns how many bytes were consumed.
    @discardableResult
    static func splitLines(_ bytes: ArraySlice<UInt8>, final: Bool, _ body: (ArraySlice<UInt8>) -> Void) -> Int {
        var start = bytes.startIndex
        while start < bytes.endIndex {
            guard let end = bytes[start...].firstIndex(of: 10) else {
                if final { body(bytes[start...]); return bytes.count }
                break
            }
            if end > start { body(bytes[start..<end]) }
            start = end + 1
        }
        return start - bytes.startIndex
    }

    /// The latest version of one page, reading only the lines that name it.
    public func manifest(of id: String) -> PageManifest? {
        let needle = Array("\"page\":\"\(id)\"".utf8)
        var found: PageManifest?
        do {
            try eachLine { line in
                if Self.contains(line, needle), let manifest = Self.decode(Array(line)), manifest.page == id {
                    found = manifest
                }
            }
        } catch { return nil }
        return found
    }

    /// Appends page versions in one write (O_APPEND keeps it whole).
    public func append(_ manifests: [PageManifest]) throws(FileSystemError) {
        guard !manifests.isEmpty else { return }
        let text = manifests.map { JSONWriter.compact($0.json) + "\n" }.joined()
        try rooted().append(file, text)
    }

    /// Rewrites the journal with one line per page, when old versions pile up.
    public func compact(_ pages: [String: PageManifest]) throws(FileSystemError) {
        let text = pages.keys.sorted().map { JSONWriter.compact(pages[$0]!.json) + "\n" }.joined()
        try rooted().writeAtomically(file, Array(text.utf8))
    }

    /// Keeps an image by its hash: a hard link, so no bytes are copied. The
    /// file is made read-only: the page's image and the kept one are the same
    /// inode, and an edit in place would change both.
    public func keepImage(rawPath: [UInt8], sha256: String) throws(FileSystemError) {
        let kept = image(sha256)
        let root = try rooted()
        do { try root.link(rawFrom: rawPath, to: kept) } catch {
            // Same hash, same bytes: left by an earlier attempt.
            if error.errno == EPERM || error.errno == EACCES { return try keepCopy(rawPath: rawPath, sha256: sha256) }
            guard error.isExists else { throw error }
        }
        do { try root.makeReadOnly(kept) } catch {
            guard error.errno == EPERM else { throw error }
            // An admin's file in a set-up root (SPEC section 10): the daemon keeps its own copy instead.
            try root.remove(kept)
            try keepCopy(rawPath: rawPath, sha256: sha256)
        }
    }

    /// Keeps a copy of an inbox image the daemon may not link or own
    /// (fs.protected_hardlinks, another user's file), checked against its hash.
    func keepCopy(rawPath: [UInt8], sha256: String) throws(FileSystemError) {
        let root = try rooted()
        let kept = image(sha256)
        let read = try root.read(rawPath: rawPath)
        guard Hashing.sha256(read.bytes) == sha256 else {
            throw FileSystemError("copy", kept, errno: EAGAIN, detail: "its SHA-256 is not the image's any more; the image is checked again")
        }
        do { _ = try root.writeNew(kept, read.bytes) } catch {
            guard error.isExists else { throw error }
        }
        try root.makeReadOnly(kept)
    }

    /// Puts a page's image at `target` as the daemon's own bytes, never a
    /// labeler's inode: a hard link of the kept image when it is the very file
    /// the page folder holds (whose hash was checked) or its hash still
    /// matches; otherwise a new file with the page folder's bytes, hashed again.
    /// `finished` (the outbox): a kept image with a link the daemon did not
    /// make (a labeler's `ln`) is copied to a new file instead, so no other
    /// name can change the finished image.
    public func placeImage(_ image: PageImage, from folder: String, at target: String, finished: Bool = false) throws(FileSystemError) {
        let root = try rooted()
        let kept = self.image(image.sha256)
        let inPage = Path.join(folder, image.file)
        if let keptStatus = root.status(kept), keptStatus.kind == .regular {
            let same = root.status(inPage).map { $0.inode == keptStatus.inode && $0.device == keptStatus.device } ?? false
            let keptBytes = same ? nil : try? root.read(kept).bytes
            if same || keptBytes.map(Hashing.sha256) == image.sha256 {
                guard finished, keptStatus.links > (same ? 2 : 1) else {
                    try root.link(kept, to: target)
                    return
                }
                var bytes = keptBytes ?? []
                if keptBytes == nil { bytes = try root.read(kept).bytes }
                if Hashing.sha256(bytes) == image.sha256 {
                    try root.writeNew(target, bytes)
                    try root.makeReadOnly(target)
                    return
                }
            }
        }
        let read = try root.read(inPage)
        guard Hashing.sha256(read.bytes) == image.sha256 else {
            throw FileSystemError("copy", inPage, errno: EAGAIN, detail: "its SHA-256 is not the image's any more; the page is checked again")
        }
        try root.writeNew(target, read.bytes)
        try root.makeReadOnly(target)
    }

    public func dropImages(of manifest: PageManifest) throws(FileSystemError) {
        let root = try rooted()
        for entry in manifest.images { try root.remove(image(entry.sha256)) }
    }

    static func decode(_ line: [UInt8]) -> PageManifest? {
        guard let node = try? StrictJSON.parse(line) else { return nil }
        return try? PageManifest(json: node.value)
    }

    static func contains(_ haystack: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count, let first = needle.first else { return false }
        var i = haystack.startIndex
        let last = haystack.endIndex - needle.count
        while i <= last {
            if haystack[i] == first && haystack[i..<i + needle.count].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}
