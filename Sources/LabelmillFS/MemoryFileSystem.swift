import LabelmillCore
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's file system in memory, with the local one's semantics: paths
/// below the root only (`..` refused), no symlink ever followed (present, and
/// refused with ELOOP where a folder or file is needed), errors as
/// `FileSystemError` with the errno Linux gives (ENOENT, EEXIST, ENOTDIR,
/// ENOTEMPTY, EISDIR, ELOOP, EXDEV), inode numbers, link counts, hard links
/// sharing one content, renames without replace, O_EXCL creates, and mtime and
/// ctime from an injected clock (strictly increasing, one nanosecond apart at
/// least, so every change gives a new file time as on a real disk).
/// Thread-safe: one lock around every call.
///
/// ## Crash mode
///
/// Every mutating call is made of steps, one per system call it stands for
/// (create a file with its bytes, rename, link, unlink, mkdir, rmdir, chmod,
/// append, fsync, syncfs; `sync(_:)` is one fsync per path): `writeAtomically` is a temp file, its fsync when
/// durable, a rename and the folder's fsync; `removeTree` one unlink per
/// entry. `crash(after: n)` lets steps 1...n (counted from the making of this
/// file system; `steps` says how many so far) happen; every step after that
/// throws EIO and changes nothing, as the calls of a process that is gone.
///
/// `afterCrash(.process)` is what `kill -9` keeps: every step that happened,
/// none after. The page cache survives a killed process, so nothing written is
/// lost; this is what SPEC section 6 promises to survive.
///
/// `afterCrash(.power)` is what a power loss may keep on ext4 (data=ordered,
/// delayed allocation, no `auto_da_alloc` luck), in its strict form: every
/// namespace step (create, rename, link, unlink, mkdir, rmdir, chmod) that
/// happened is kept, in order (the journal commits them in order; crashing
/// after every `n` covers each prefix); but a file's bytes are only those last
/// made durable, by an fsync of that file (`writeAtomically` with `durable`,
/// `replaceIfUnchanged`, `sync(_:)`) or a `syncFileSystem` since. A file created and never
/// synced is empty, an unsynced append is lost whole, an unsynced rewrite
/// through rename leaves an empty file. Stricter than ext4 usually is (its
/// `auto_da_alloc` flushes a file renamed over another), so a design that
/// passes this passes there.
public final class MemoryFileSystem: FileSystem, @unchecked Sendable {  // every access holds `mutex`
    public enum Crash: Sendable { case process, power }

    struct Node {
        var kind: FileStatus.Kind
        var content: [UInt8] = []
        /// What a power loss keeps of `content` (nil: never synced, so nothing).
        var durable: [UInt8]?
        /// A folder's entries: name -> inode.
        var entries: [[UInt8]: UInt64] = [:]
        var links = 1
        var mtime: Int64 = 0
        var ctime: Int64 = 0
        var readOnly = false
        /// A folder's parent folder.
        var parent: UInt64 = 0
    }

    public let path: String
    let clock: @Sendable () -> Double
    private var nodes: [UInt64: Node]
    private var nextInode: UInt64 = 2
    private var lastTime: Int64 = 0
    private var stepLimit: Int?
    /// Mutating steps taken so far (see the crash mode above).
    public private(set) var steps = 0
    private var mutex = pthread_mutex_t()
    static let rootInode: UInt64 = 1
    static let device: UInt64 = 0x6D656D  // "mem"

    /// An empty root at `path` (as a `Workspace` root), file times from `clock` (seconds since the epoch).
    public init(path: String = "/memory", clock: @escaping @Sendable () -> Double) {
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.path = trimmed
        self.clock = clock
        nodes = [:]
        pthread_mutex_init(&mutex, nil)
        let t = time()
        nodes[Self.rootInode] = Node(kind: .directory, durable: [], links: 2, mtime: t, ctime: t)
    }

    deinit { pthread_mutex_destroy(&mutex) }

    private func locked<R>(_ body: () throws(FileSystemError) -> R) throws(FileSystemError) -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }

    private func lockedQuiet<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }

    // MARK: Crash mode

    /// Lets the steps up to the `n`th (counted since this file system was made) happen; every one after fails with EIO and changes nothing.
    public func crash(after n: Int) { lockedQuiet { stepLimit = n } }

    /// False after `copyOnLink()`: each link makes a second file with the same
    /// bytes and its own inode, as a client of sshfs sees a hard link.
    public var linksShowIdentity: Bool { lockedQuiet { identity } }
    private var identity = true

    /// Links from now on behave as on sshfs (or as RootedDirectory's copy fallback).
    public func copyOnLink() { lockedQuiet { identity = false } }

    /// Whether the crash point has been reached.
    public var hasCrashed: Bool { lockedQuiet { stepLimit.map { steps >= $0 } ?? false } }

    /// A new file system holding what the crash (or, before one, a crash now) keeps; see the type's comment.
    public func afterCrash(_ kind: Crash = .process) -> MemoryFileSystem {
        lockedQuiet {
            let copy = MemoryFileSystem(path: path, clock: clock)
            copy.nextInode = nextInode
            copy.lastTime = lastTime
            copy.tempNumber = tempNumber
            copy.identity = identity
            copy.timeStep = timeStep
            copy.nodes = nodes
            if kind == .power {
                for (id, node) in copy.nodes where node.kind == .regular {
                    copy.nodes[id]!.content = node.durable ?? []
                }
            }
            for id in copy.nodes.keys { copy.nodes[id]!.durable = copy.nodes[id]!.content }
            return copy
        }
    }

    /// One mutating step: counted, or refused once the crash point is reached.
    private func step(_ what: String, _ shown: String) throws(FileSystemError) {
        if let limit = stepLimit, steps >= limit {
            throw FileSystemError(what, shown, errno: EIO, detail: "the file system is gone (a simulated crash)")
        }
        steps += 1
    }

    private func time() -> Int64 {
        let t = max(Int64(clock() * 1e9), lastTime + 1)
        lastTime = t
        return t
    }

    // MARK: Paths

    /// The components of `path` below the root, as `RootedDirectory` takes them.
    private func components(_ raw: [UInt8]) throws(FileSystemError) -> [[UInt8]] {
        var rest = raw[...]
        let own = Array(path.utf8)
        if rest.count > own.count && rest.starts(with: own) && (rest[rest.startIndex + own.count] == 47 || own == [47]) {
            rest = rest.dropFirst(own.count)
        } else if rest == own[...] {
            rest = []
        } else if rest.first == 47 {
            let mine = PageFolder.absolute(path)
            let theirs = PageFolder.absolute(String(decoding: raw, as: UTF8.self))
            guard theirs == mine || theirs.hasPrefix(mine == "/" ? "/" : mine + "/") else {
                throw FileSystemError("use", RawName.escaped(raw), errno: EXDEV, detail: "it is outside \(path)")
            }
            rest = Array(theirs.utf8).dropFirst(mine.utf8.count)[...]
        }
        var parts: [[UInt8]] = []
        for part in rest.split(separator: 47) where part != [46] {
            if part == [46, 46] {
                throw FileSystemError("use", RawName.escaped(raw), errno: EXDEV, detail: "a path inside \(path) may not go up with ..")
            }
            parts.append(Array(part))
        }
        return parts
    }

    private func shown(_ parts: ArraySlice<[UInt8]>) -> String {
        parts.reduce(path == "/" ? "" : path) { $0 + "/" + RawName.escaped($1) }
    }

    /// The folder at `parts`, never through a link; with `create`, makes the missing ones.
    private func folder(_ parts: ArraySlice<[UInt8]>, create: Bool = false) throws(FileSystemError) -> UInt64 {
        var current = Self.rootInode
        var index = parts.startIndex
        for name in parts {
            index += 1
            let here = shown(parts[..<index])
            if let child = nodes[current]!.entries[name] {
                switch nodes[child]!.kind {
                case .directory: current = child; continue
                case .symlink:
                    throw FileSystemError("open folder", here, errno: ELOOP,
                                          detail: "a symbolic link is in the way; labelmill never follows links inside its root: put the real folder there")
                default: throw FileSystemError("open folder", here, errno: ENOTDIR, detail: "a file is in the way of a folder")
                }
            }
            guard create else { throw FileSystemError("open folder", here, errno: ENOENT) }
            try step("create folder", here)
            current = add(Node(kind: .directory, durable: [], links: 2), named: name, in: current)
        }
        return current
    }

    /// The folder holding the last component of `raw`, and that component.
    private func parent(_ raw: [UInt8]) throws(FileSystemError) -> (folder: UInt64, name: [UInt8], shown: String) {
        let parts = try components(raw)
        guard let last = parts.last else {
            throw FileSystemError("use", RawName.escaped(raw), errno: EINVAL, detail: "it names the folder \(path) itself")
        }
        return (try folder(parts.dropLast()), last, shown(parts[...]))
    }

    /// Adds a new node under `name` in `folder` (the caller checked the name is free).
    private func add(_ node: Node, named name: [UInt8], in folder: UInt64) -> UInt64 {
        let id = nextInode
        nextInode += 1
        var node = node
        let t = time()
        (node.mtime, node.ctime) = (t, t)
        nodes[id] = node
        attach(id, named: name, in: folder, at: t)
        return id
    }

    private func attach(_ id: UInt64, named name: [UInt8], in folder: UInt64, at t: Int64) {
        nodes[folder]!.entries[name] = id
        nodes[folder]!.mtime = t
        nodes[folder]!.ctime = t
        if nodes[id]!.kind == .directory {
            nodes[folder]!.links += 1
            nodes[id]!.parent = folder
        }
    }

    private func detach(_ name: [UInt8], from folder: UInt64, at t: Int64) {
        guard let id = nodes[folder]!.entries.removeValue(forKey: name) else { return }
        nodes[folder]!.mtime = t
        nodes[folder]!.ctime = t
        if nodes[id]!.kind == .directory { nodes[folder]!.links -= 1 }
    }

    /// Drops one name of a node; the node goes with its last name.
    private func unlinkNode(_ id: UInt64, at t: Int64) {
        nodes[id]!.links -= 1
        nodes[id]!.ctime = t
        if nodes[id]!.kind == .directory || nodes[id]!.links <= 0 { nodes[id] = nil }
    }

    private func status(of id: UInt64) -> FileStatus {
        let node = nodes[id]!
        let size = node.kind == .directory ? Int64(4096) : Int64(node.content.count)
        let (mtime, ctime) = timeStep > 0 ? (node.mtime / timeStep * timeStep, node.ctime / timeStep * timeStep) : (node.mtime, node.ctime)
        return FileStatus(kind: node.kind, size: size, mtime: mtime, ctime: ctime, inode: id, device: Self.device, links: node.links)
    }

    /// File times as reported, in nanoseconds per step (0: as kept).
    private var timeStep: Int64 = 0

    /// Reports file times rounded down to whole `seconds`, as sshfs (one
    /// second) or FAT (two) do: two changes within one step show one time.
    public func coarseTimes(seconds: Int64) { lockedQuiet { timeStep = seconds * 1_000_000_000 } }

    // MARK: Test helpers (a labeler's tools, a planted link)

    /// A symbolic link at `path` pointing at `target` (never followed by anything here).
    public func makeSymlink(_ path: String, to target: String) throws(FileSystemError) {
        try locked { () throws(FileSystemError) in
            let (folder, name, shown) = try parent(Array(path.utf8))
            guard nodes[folder]!.entries[name] == nil else { throw FileSystemError("create link", shown, errno: EEXIST) }
            try step("create link", shown)
            _ = add(Node(kind: .symlink, content: Array(target.utf8), durable: Array(target.utf8)), named: name, in: folder)
        }
    }

    /// Every path below the root with its kind, sorted: for tests to compare whole trees.
    public func tree() -> [(path: String, kind: FileStatus.Kind)] {
        lockedQuiet {
            var out: [(String, FileStatus.Kind)] = []
            func walk(_ id: UInt64, _ prefix: String) {
                for (name, child) in nodes[id]!.entries.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                    let p = prefix.isEmpty ? RawName.escaped(name) : prefix + "/" + RawName.escaped(name)
                    out.append((p, nodes[child]!.kind))
                    if nodes[child]!.kind == .directory { walk(child, p) }
                }
            }
            walk(Self.rootInode, "")
            return out
        }
    }

    // MARK: Reading

    public func status(rawPath: [UInt8]) -> FileStatus? {
        lockedQuiet {
            guard let parts = try? components(rawPath) else { return nil }
            guard let last = parts.last else { return status(of: Self.rootInode) }
            guard let folder = try? folder(parts.dropLast()), let id = nodes[folder]!.entries[last] else { return nil }
            return status(of: id)
        }
    }

    public func list(rawPath: [UInt8]) throws(FileSystemError) -> [DirectoryEntry] {
        try locked { () throws(FileSystemError) in
            let id = try folder(try components(rawPath)[...])
            return nodes[id]!.entries.map { DirectoryEntry(rawName: $0.key, isDirectory: nodes[$0.value]!.kind == .directory) }
        }
    }

    public func requireFolder(_ path: String) throws(FileSystemError) {
        try locked { () throws(FileSystemError) in _ = try folder(try components(Array(path.utf8))[...]) }
    }

    public func read(rawPath: [UInt8], maxBytes: Int64) throws(FileSystemError) -> (bytes: [UInt8], status: FileStatus) {
        try locked { () throws(FileSystemError) in
            let (folder, name, shown) = try parent(rawPath)
            guard let id = nodes[folder]!.entries[name] else { throw FileSystemError.opening(shown, errno: ENOENT) }
            let status = status(of: id)
            switch status.kind {
            case .regular: break
            case .symlink: throw FileSystemError.opening(shown, errno: ELOOP)
            default: throw FileSystemError("read", shown, errno: EINVAL, detail: "not a regular file")
            }
            guard status.size <= maxBytes else {
                throw FileSystemError("read", shown, errno: EFBIG, detail: "the file is \(status.size) bytes, over the limit of \(maxBytes) bytes")
            }
            return (nodes[id]!.content, status)
        }
    }

    public func visitTree(_ path: String, _ visit: (TreeEntry) -> Bool) throws(FileSystemError) {
        // Listed folder by folder, the lock held for each listing only: `visit` may call back.
        let top = Array(path.utf8)
        func entries(_ raw: [UInt8]) -> [(name: [UInt8], status: FileStatus)]? {
            lockedQuiet {
                guard let parts = try? components(raw), let id = try? folder(parts[...]) else { return nil }
                return nodes[id]!.entries.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }).map { ($0.key, status(of: $0.value)) }
            }
        }
        guard let first = entries(top) else {
            _ = try list(rawPath: top)  // the reason, as an error
            return
        }
        var stack: [(items: [(name: [UInt8], status: FileStatus)], next: Int, path: [UInt8], relative: [UInt8])] = [(first, 0, top, [])]
        while !stack.isEmpty {
            let depth = stack.count - 1
            guard stack[depth].next < stack[depth].items.count else {
                stack.removeLast()
                continue
            }
            let (name, status) = stack[depth].items[stack[depth].next]
            stack[depth].next += 1
            let frame = stack[depth]
            let entry = TreeEntry(path: frame.path.isEmpty ? name : frame.path + [47] + name, relative: frame.relative.isEmpty ? name : frame.relative + [47] + name,
                                  name: name, status: status, depth: depth)
            guard visit(entry), status.kind == .directory, let below = entries(entry.path) else { continue }
            stack.append((below, 0, entry.path, entry.relative))
        }
    }

    // MARK: Writing

    /// A new regular file at `name` in `folder` (O_CREAT | O_EXCL), with its bytes.
    private func create(_ name: [UInt8], in folder: UInt64, shown: String, bytes: [UInt8]) throws(FileSystemError) -> UInt64 {
        if nodes[folder]!.entries[name] != nil { throw FileSystemError.opening(shown, errno: EEXIST) }
        try step("create", shown)
        return add(Node(kind: .regular, content: bytes), named: name, in: folder)
    }

    /// rename(2) with or without RENAME_NOREPLACE, between folders.
    private func rename(_ from: [UInt8], in source: UInt64, to: [UInt8], in target: UInt64, replace: Bool,
                        what: String, shown: String) throws(FileSystemError) {
        guard let id = nodes[source]!.entries[from] else { throw FileSystemError(what, shown, errno: ENOENT) }
        if source == target && from == to { return }
        if nodes[id]!.kind == .directory {
            // Not into itself or below it.
            var up: UInt64? = target
            while let u = up {
                if u == id { throw FileSystemError(what, shown, errno: EINVAL) }
                up = parentOf(u)
            }
        }
        if let existing = nodes[target]!.entries[to] {
            guard replace else { throw FileSystemError(what, shown, errno: EEXIST) }
            if existing == id { return }  // two names of one file: rename does nothing
            let isDir = nodes[existing]!.kind == .directory
            if isDir != (nodes[id]!.kind == .directory) { throw FileSystemError(what, shown, errno: isDir ? EISDIR : ENOTDIR) }
            if isDir && !nodes[existing]!.entries.isEmpty { throw FileSystemError(what, shown, errno: ENOTEMPTY) }
            try step(what, shown)
            let t = time()
            detach(to, from: target, at: t)
            unlinkNode(existing, at: t)
        } else {
            try step(what, shown)
        }
        let t = time()
        detach(from, from: source, at: t)
        attach(id, named: to, in: target, at: t)
        nodes[id]!.ctime = t
    }

    private func parentOf(_ id: UInt64) -> UInt64? { id == Self.rootInode ? nil : nodes[id]?.parent }

    private var tempNumber = 0

    /// A hidden name beside `name` that is free in `folder`, as the local one's random part makes it.
    private func tempName(for name: [UInt8], in folder: UInt64, _ kind: String) -> [UInt8] {
        while true {
            tempNumber += 1
            let temp = [46] + name + Array(".labelmill-\(kind)-\(tempNumber).tmp".utf8)
            if nodes[folder]!.entries[temp] == nil { return temp }
        }
    }

    public func writeAtomically(_ path: String, _ bytes: some Collection<UInt8>, durable: Bool) throws(FileSystemError) {
        let bytes = Array(bytes)
        try locked { () throws(FileSystemError) in
            let (folder, name, shown) = try parent(Array(path.utf8))
            let temp = tempName(for: name, in: folder, "\(getpid())")
            let id = try create(temp, in: folder, shown: shown, bytes: bytes)
            if durable {
                try step("sync", shown)
                nodes[id]!.durable = bytes
            }
            do throws(FileSystemError) { try rename(temp, in: folder, to: name, in: folder, replace: true, what: "replace", shown: shown) } catch {
                if error.errno != EIO, nodes[folder]!.entries[temp] != nil, (try? step("remove", shown)) != nil {
                    detach(temp, from: folder, at: time())
                    unlinkNode(id, at: time())
                }
                throw error
            }
            if durable { try step("sync folder", shown) }
        }
    }

    @discardableResult
    public func writeNew(_ path: String, _ bytes: some Collection<UInt8>) throws(FileSystemError) -> FileStatus {
        let bytes = Array(bytes)
        return try locked { () throws(FileSystemError) in
            let (folder, name, shown) = try parent(Array(path.utf8))
            return status(of: try create(name, in: folder, shown: shown, bytes: bytes))
        }
    }

    public func replaceIfUnchanged(_ path: String, since read: (bytes: [UInt8], status: FileStatus),
                                   with bytes: some Collection<UInt8>) throws(FileSystemError) -> Bool {
        let bytes = Array(bytes)
        return try locked { () throws(FileSystemError) in
            let (folder, name, shown) = try parent(Array(path.utf8))
            // The local steps: temp written and synced, the file renamed aside, compared, the temp renamed in.
            let temp = tempName(for: name, in: folder, "\(getpid())")
            let tempID = try create(temp, in: folder, shown: shown, bytes: bytes)
            try step("sync", shown)
            nodes[tempID]!.durable = bytes
            guard let current = nodes[folder]!.entries[name] else {
                try removeEntry(temp, in: folder, shown: shown)
                return false
            }
            let aside = tempName(for: name, in: folder, "aside")
            try rename(name, in: folder, to: aside, in: folder, replace: false, what: "move aside", shown: shown)
            let node = nodes[current]!
            if node.kind == .regular, current == read.status.inode, node.content == read.bytes {
                try rename(temp, in: folder, to: name, in: folder, replace: false, what: "replace", shown: shown)
                try removeEntry(aside, in: folder, shown: shown)
                try step("sync folder", shown)
                return true
            }
            try rename(aside, in: folder, to: name, in: folder, replace: false, what: "put back", shown: shown)
            try removeEntry(temp, in: folder, shown: shown)
            return false
        }
    }

    public func append(_ path: String, _ text: String) throws(FileSystemError) {
        let bytes = Array(text.utf8)
        try locked { () throws(FileSystemError) in
            let (folder, name, shown) = try parent(Array(path.utf8))
            guard let id = nodes[folder]!.entries[name] else {
                _ = try create(name, in: folder, shown: shown, bytes: bytes)
                return
            }
            switch nodes[id]!.kind {
            case .regular: break
            case .symlink: throw FileSystemError.opening(shown, errno: ELOOP)
            case .directory: throw FileSystemError.opening(shown, errno: EISDIR)
            default: throw FileSystemError("write", shown, errno: EINVAL, detail: "not a regular file")
            }
            try step("append to", shown)
            let t = time()
            nodes[id]!.content += bytes
            (nodes[id]!.mtime, nodes[id]!.ctime) = (t, t)
        }
    }

    public func moveNoReplace(rawFrom: [UInt8], to: [UInt8]) throws(FileSystemError) {
        try locked { () throws(FileSystemError) in
            let (source, name, from) = try parent(rawFrom)
            let (target, newName, shown) = try parent(to)
            try rename(name, in: source, to: newName, in: target, replace: false, what: "move \(from) to", shown: shown)
        }
    }

    public func link(rawFrom: [UInt8], to: String) throws(FileSystemError) {
        try locked { () throws(FileSystemError) in
            let (source, name, from) = try parent(rawFrom)
            let (target, newName, shown) = try parent(Array(to.utf8))
            let what = "link \(from) to"
            guard let id = nodes[source]!.entries[name] else { throw FileSystemError(what, shown, errno: ENOENT) }
            guard nodes[id]!.kind != .directory else { throw FileSystemError(what, shown, errno: EPERM) }
            guard nodes[target]!.entries[newName] == nil else { throw FileSystemError(what, shown, errno: EEXIST) }
            try step(what, shown)
            guard identity else {
                // A copy, synced (RootedDirectory's fallback syncs it): a stop keeps its bytes.
                let source = nodes[id]!
                _ = add(Node(kind: .regular, content: source.content, durable: source.content, readOnly: source.readOnly), named: newName, in: target)
                return
            }
            let t = time()
            nodes[id]!.links += 1
            nodes[id]!.ctime = t
            attach(id, named: newName, in: target, at: t)
        }
    }

    public func makeReadOnly(_ path: String) throws(FileSystemError) {
        try locked { () throws(FileSystemError) in
            let (folder, name, shown) = try parent(Array(path.utf8))
            guard let id = nodes[folder]!.entries[name] else { throw FileSystemError.opening(shown, errno: ENOENT) }
            guard nodes[id]!.kind != .symlink else { throw FileSystemError.opening(shown, errno: ELOOP) }
            try step("make read-only", shown)
            nodes[id]!.readOnly = true
            nodes[id]!.ctime = time()
        }
    }

    /// unlink(2) of a name that is not a folder; fine if it is gone.
    private func removeEntry(_ name: [UInt8], in folder: UInt64, shown: String) throws(FileSystemError) {
        guard let id = nodes[folder]!.entries[name] else { return }
        guard nodes[id]!.kind != .directory else { throw FileSystemError("remove", shown, errno: EISDIR) }
        try step("remove", shown)
        let t = time()
        detach(name, from: folder, at: t)
        unlinkNode(id, at: t)
    }

    public func remove(rawPath: [UInt8]) throws(FileSystemError) {
        try locked { () throws(FileSystemError) in
            let (folder, name, shown) = try parent(rawPath)
            try removeEntry(name, in: folder, shown: shown)
        }
    }

    /// rmdir(2): false when not empty, true when removed or gone.
    private func removeFolder(_ name: [UInt8], in folder: UInt64, shown: String) throws(FileSystemError) -> Bool {
        guard let id = nodes[folder]!.entries[name] else { return true }
        guard nodes[id]!.kind == .directory else { throw FileSystemError("remove folder", shown, errno: ENOTDIR) }
        guard nodes[id]!.entries.isEmpty else { return false }
        try step("remove folder", shown)
        let t = time()
        detach(name, from: folder, at: t)
        unlinkNode(id, at: t)
        return true
    }

    public func removeEmptyFolder(_ path: String) throws(FileSystemError) -> Bool {
        try locked { () throws(FileSystemError) in
            let (folder, name, shown) = try parent(Array(path.utf8))
            return try removeFolder(name, in: folder, shown: shown)
        }
    }

    public func removeTree(_ path: String) throws(FileSystemError) {
        try locked { () throws(FileSystemError) in
            let parts = try components(Array(path.utf8))
            guard let last = parts.last else { return }
            let folder: UInt64
            do throws(FileSystemError) { folder = try self.folder(parts.dropLast()) } catch {
                if error.isNotFound { return }
                throw error
            }
            func removeAll(_ name: [UInt8], in folder: UInt64, shown: String) throws(FileSystemError) {
                guard let id = nodes[folder]!.entries[name] else { return }
                if nodes[id]!.kind == .directory {
                    for child in nodes[id]!.entries.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                        try removeAll(child, in: id, shown: shown + "/" + RawName.escaped(child))
                    }
                    _ = try removeFolder(name, in: folder, shown: shown)
                } else {
                    try removeEntry(name, in: folder, shown: shown)
                }
            }
            try removeAll(last, in: folder, shown: shown(parts[...]))
        }
    }

    public func makeFolders(_ path: String) throws(FileSystemError) {
        try locked { () throws(FileSystemError) in _ = try folder(try components(Array(path.utf8))[...], create: true) }
    }

    /// One `sync` step per path (an fsync each): a file's bytes become what a
    /// power loss keeps; a folder's entries are kept anyway (see the crash mode).
    public func sync(_ paths: [String]) throws(FileSystemError) {
        try locked { () throws(FileSystemError) in
            for path in paths {
                let parts = try components(Array(path.utf8))
                let id: UInt64
                if let last = parts.last {
                    let folder = try folder(parts.dropLast())
                    guard let found = nodes[folder]!.entries[last] else { throw FileSystemError.opening(shown(parts[...]), errno: ENOENT) }
                    guard nodes[found]!.kind != .symlink else { throw FileSystemError.opening(shown(parts[...]), errno: ELOOP) }
                    id = found
                } else {
                    id = Self.rootInode
                }
                try step("sync", shown(parts[...]))
                if nodes[id]!.kind == .regular { nodes[id]!.durable = nodes[id]!.content }
            }
        }
    }

    public func syncFileSystem() {
        lockedQuiet {
            guard (try? step("sync", path)) != nil else { return }
            for id in nodes.keys where nodes[id]!.kind == .regular { nodes[id]!.durable = nodes[id]!.content }
        }
    }
}
