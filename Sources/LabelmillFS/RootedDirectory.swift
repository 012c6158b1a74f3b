import CShims
import LabelmillCore
#if canImport(Glibc)
import Glibc
#endif

/// A folder of the workspace, held open by its descriptor. Every path below it
/// is opened one component at a time with `openat` and O_NOFOLLOW |
/// O_DIRECTORY, and the last component is never followed either, so a symlink
/// planted anywhere inside (a labeler folder, the queue, an image, page.json)
/// is refused, never followed: nothing outside is read or written through it.
///
/// Paths handed in are either relative to this folder or start with its own
/// `path` (so `Workspace` paths work as they are); `..` is refused.
public final class RootedDirectory: FileSystem, @unchecked Sendable {  // the descriptor is read-only after init
    public let fd: Int32
    /// The folder's path as opened, for messages and to recognise paths inside it.
    public let path: String
    /// What the file system can do, shared with every folder opened below (FileSystemAbilities).
    let cell: AbilityCell

    init(fd: Int32, path: String, cell: AbilityCell? = nil) {
        self.fd = fd
        self.path = path
        self.cell = cell ?? AbilityCell.shared(fd: fd)
    }

    deinit { close(fd) }

    /// Opens a workspace root (or a folder the user named). The root itself may
    /// be reached through a link, the admin's choice; nothing below it is.
    /// `abilities`: taken as given instead of decided for the file system (tests of the fallbacks).
    public static func open(_ path: String, abilities: FileSystemAbilities? = nil) throws(FileSystemError) -> RootedDirectory {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("open folder", path) }
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        return RootedDirectory(fd: fd, path: trimmed, cell: abilities.map { AbilityCell($0, probed: true) })
    }

    /// What the file system under this folder can do, as decided so far.
    public var abilities: FileSystemAbilities { cell.value }

    public var linksShowIdentity: Bool { cell.value.linkIdentity }

    /// Every write is synced as it is made: the file system has no working syncfs.
    var syncsEachWrite: Bool { !cell.value.syncfs }

    /// Tries each call the daemon's guarantees lean on, in a new folder at
    /// `scratch` below this one (removed after; a stop leaves it in staging,
    /// which the daemon clears), and decides the abilities for every root on
    /// this file system. Keeps the guess when the folder cannot be made.
    @discardableResult
    public func probeAbilities(in scratch: String) -> FileSystemAbilities {
        let probe = Path.join(scratch, ".probe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard (try? makeFolders(probe)) != nil, let dir = try? folder(probe) else { return abilities }
        defer { try? removeTree(probe) }
        func create(_ name: String) -> Bool {
            let fd = openat(dir.fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            return write(fd, name, 1) == 1
        }
        guard create("a"), create("b") else { return abilities }
        var found = FileSystemAbilities.guess(fd: dir.fd)
        // No-replace must refuse a taken name and take a free one; a file system that ignores the flag (rc 0) replaced b.
        let onTaken = lm_rename_noreplace(dir.fd, "a", dir.fd, "b")
        let takenErrno = errno
        if onTaken == 0 || takenErrno != EEXIST || lm_rename_noreplace(dir.fd, "a", dir.fd, "c") != 0 { found.renameNoReplace = false }
        if linkat(dir.fd, "b", dir.fd, "l", 0) == 0 {
            var one = stat(), two = stat()
            let same = fstatat(dir.fd, "b", &one, AT_SYMLINK_NOFOLLOW) == 0 && fstatat(dir.fd, "l", &two, AT_SYMLINK_NOFOLLOW) == 0
                && one.st_ino == two.st_ino && one.st_dev == two.st_dev && one.st_nlink == 2
            if !same { found.linkIdentity = false }
        } else {
            found.hardLinks = false
        }
        if found.syncfs && lm_syncfs(dir.fd) != 0 && FileSystemAbilities.isUnsupported(errno) { found.syncfs = false }
        found = FileSystemAbilities(renameNoReplace: found.renameNoReplace, hardLinks: found.hardLinks,
                                    linkIdentity: found.linkIdentity, syncfs: found.syncfs)
        cell.set(found)
        return found
    }

    // MARK: Paths

    /// The components of `path` below this folder.
    func components(_ path: [UInt8]) throws(FileSystemError) -> [[UInt8]] {
        var rest = path[...]
        let own = Array(self.path.utf8)
        if rest.starts(with: own) && (rest.count == own.count || rest[rest.startIndex + own.count] == 47 || own == [47]) {
            rest = rest.dropFirst(own.count)
        } else if rest.first == 47 {
            // Another spelling of an absolute path: compare the lexical forms.
            let mine = PageFolder.absolute(self.path)
            let theirs = PageFolder.absolute(String(decoding: path, as: UTF8.self))
            guard theirs == mine || theirs.hasPrefix(mine == "/" ? "/" : mine + "/") else {
                throw FileSystemError("use", RawName.escaped(path), errno: EXDEV, detail: "it is outside \(self.path)")
            }
            rest = Array(theirs.utf8).dropFirst(mine.utf8.count)[...]
        }
        var parts: [[UInt8]] = []
        for part in rest.split(separator: 47) where part != [46] {
            if part == [46, 46] {
                throw FileSystemError("use", RawName.escaped(path), errno: EXDEV, detail: "a path inside \(self.path) may not go up with ..")
            }
            parts.append(Array(part))
        }
        return parts
    }

    func shown(_ name: [UInt8]) -> String { (path == "/" ? "" : path) + "/" + RawName.escaped(name) }

    /// O_PATH (Linux), which Glibc's module hides without _GNU_SOURCE.
    static let openPath: Int32 = 0o10000000

    /// Opens the folder below this one at `parts`, each component with
    /// O_NOFOLLOW | O_DIRECTORY; with `create`, makes the missing ones.
    func walk(_ parts: ArraySlice<[UInt8]>, create: Bool) throws(FileSystemError) -> RootedDirectory {
        var current = self
        for name in parts {
            let shown = current.shown(name)
            var fd = name.withCString { openat(current.fd, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if fd < 0 && errno == ENOENT && create {
                if name.withCString({ mkdirat(current.fd, $0, 0o777) }) != 0 {
                    if errno != EEXIST { throw FileSystemError("create folder", shown) }
                } else if syncsEachWrite {
                    fsync(current.fd)
                }
                fd = name.withCString { openat(current.fd, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            }
            // A folder one may pass through but not list (a set-up root's labelers/, mode 1730).
            if fd < 0 && errno == EACCES { fd = name.withCString { openat(current.fd, $0, Self.openPath | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) } }
            guard fd >= 0 else { throw current.folderError(errno, name) }
            current = RootedDirectory(fd: fd, path: shown, cell: cell)
        }
        return current
    }

    /// Why a component could not be opened as a folder, in plain words.
    func folderError(_ e: Int32, _ name: [UInt8]) -> FileSystemError {
        if e == ELOOP || e == ENOTDIR, let st = status(entry: name) {
            if st.kind == .symlink {
                return FileSystemError("open folder", shown(name), errno: ELOOP,
                                       detail: "a symbolic link is in the way; labelmill never follows links inside its root: put the real folder there")
            }
            return FileSystemError("open folder", shown(name), errno: ENOTDIR, detail: "a file is in the way of a folder")
        }
        return FileSystemError("open folder", shown(name), errno: e)
    }

    /// The folder holding the last component of `path`, and that component.
    func parent(_ path: [UInt8], create: Bool = false) throws(FileSystemError) -> (folder: RootedDirectory, name: [UInt8]) {
        let parts = try components(path)
        guard let last = parts.last else {
            throw FileSystemError("use", RawName.escaped(path), errno: EINVAL, detail: "it names the folder \(self.path) itself")
        }
        return (try walk(parts.dropLast(), create: create), last)
    }

    // MARK: Folders

    /// Opens a folder below this one (never through a link).
    public func folder(_ path: String) throws(FileSystemError) -> RootedDirectory {
        try walk(try components(Array(path.utf8))[...], create: false)
    }

    public func folder(rawPath: [UInt8]) throws(FileSystemError) -> RootedDirectory {
        try walk(try components(rawPath)[...], create: false)
    }

    /// Creates a folder below this one and what is missing above it (mode 0777 less the umask, so a default ACL applies whole).
    public func makeFolders(_ path: String) throws(FileSystemError) {
        _ = try walk(try components(Array(path.utf8))[...], create: true)
    }

    public func requireFolder(_ path: String) throws(FileSystemError) { _ = try folder(path) }

    /// The entries of a folder below this one ("" for this folder itself).
    public func list(rawPath: [UInt8]) throws(FileSystemError) -> [DirectoryEntry] {
        let folder = rawPath.isEmpty ? self : try self.folder(rawPath: rawPath)
        let fresh = openat(folder.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fresh >= 0, let dir = fdopendir(fresh) else {
            let e = FileSystemError("list", folder.path)
            if fresh >= 0 { close(fresh) }
            throw e
        }
        defer { closedir(dir) }
        return LocalPaths.entries(of: dir)
    }

    public func visitTree(_ path: String, _ visit: (TreeEntry) -> Bool) throws(FileSystemError) {
        let top = try folder(path)
        let fresh = openat(top.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fresh >= 0, let topDir = fdopendir(fresh) else {
            let e = FileSystemError("list", top.path)
            if fresh >= 0 { close(fresh) }
            throw e
        }
        // Each frame: an open folder, its path as handed in and its path below the top; one descriptor per level.
        var stack: [(dir: OpaquePointer, path: [UInt8], relative: [UInt8])] = [(topDir, Array(path.utf8), [])]
        while let frame = stack.last {
            guard let ent = readdir(frame.dir) else {
                closedir(frame.dir)
                stack.removeLast()
                continue
            }
            let raw: [UInt8] = withUnsafeBytes(of: ent.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if raw == [46] || raw == [46, 46] { continue }
            let fd = dirfd(frame.dir)
            var st = stat()
            guard raw.withCString({ fstatat(fd, $0, &st, AT_SYMLINK_NOFOLLOW) }) == 0 else { continue }
            let entry = TreeEntry(path: frame.path.isEmpty ? raw : frame.path + [47] + raw, relative: frame.relative.isEmpty ? raw : frame.relative + [47] + raw,
                                  name: raw, status: FileStatus(st), depth: stack.count - 1)
            guard visit(entry), entry.status.kind == .directory else { continue }
            let child = raw.withCString { openat(fd, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            guard child >= 0, let dir = fdopendir(child) else {
                if child >= 0 { close(child) }
                continue
            }
            stack.append((dir, entry.path, entry.relative))
        }
    }

    // MARK: Files

    /// What lstat says about an entry of this folder.
    public func status(entry name: [UInt8]) -> FileStatus? {
        var st = stat()
        guard name.withCString({ fstatat(fd, $0, &st, AT_SYMLINK_NOFOLLOW) }) == 0 else { return nil }
        return FileStatus(st)
    }

    /// What lstat says about a path below this folder; nil when it, or a folder on the way, is missing or a link.
    public func status(rawPath: [UInt8]) -> FileStatus? {
        // One openat2 resolution where the kernel has it (3 calls, not one open per folder on the way):
        // a rescan stats every page.json of the queue.
        if Self.resolvesBeneath, let parts = try? components(rawPath), !parts.isEmpty {
            var relative = Array(parts.joined(separator: [47]))
            if relative.count < Int(PATH_MAX) {
                relative.append(0)
                var st = stat()
                let rc = relative.withUnsafeBufferPointer { buffer in
                    buffer.withMemoryRebound(to: CChar.self) { lm_lstat_beneath(fd, $0.baseAddress, &st) }
                }
                switch -rc {
                case 0: return FileStatus(st)
                case ENOENT, ENOTDIR, ELOOP, EACCES: return nil
                case ENOSYS, EPERM: Self.resolvesBeneath = false  // no openat2 (old kernel, seccomp): walk from now on
                default: break  // EAGAIN (a rename raced the lookup), ENAMETOOLONG...: the walk decides
                }
            }
        }
        guard let (folder, name) = try? parent(rawPath) else { return nil }
        return folder.status(entry: name)
    }

    /// Whether openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS works here; only ever goes from true to false.
    nonisolated(unsafe) static var resolvesBeneath = true

    /// This folder's own status.
    public var ownStatus: FileStatus? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        return FileStatus(st)
    }

    /// Reads a regular file: never through a link, never blocking on a FIFO.
    public func read(rawPath: [UInt8], maxBytes: Int64) throws(FileSystemError) -> (bytes: [UInt8], status: FileStatus) {
        let (folder, name) = try parent(rawPath)
        let shown = folder.shown(name)
        let fd = name.withCString { openat(folder.fd, $0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
        guard fd >= 0 else { throw FileSystemError.opening(shown) }
        defer { close(fd) }
        return try LocalPaths.readOpenFile(fd, display: shown, maxBytes: maxBytes)
    }

    /// Opens a regular file for reading, never through a link, never blocking on a FIFO:
    /// the descriptor (the caller closes it) and the path as messages show it.
    func openRegularFile(_ path: String) throws(FileSystemError) -> (fd: Int32, shown: String) {
        let (folder, name) = try parent(Array(path.utf8))
        let shown = folder.shown(name)
        let fd = name.withCString { openat(folder.fd, $0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
        guard fd >= 0 else { throw FileSystemError.opening(shown) }
        var s = stat()
        guard fstat(fd, &s) == 0 else {
            let error = FileSystemError("stat", shown)
            close(fd)
            throw error
        }
        guard FileStatus(s).kind == .regular else {
            close(fd)
            throw FileSystemError("read", shown, errno: EINVAL, detail: "not a regular file")
        }
        return (fd, shown)
    }

    /// Reads part of a regular file with pread.
    public func read(_ path: String, at offset: Int64, count: Int) throws(FileSystemError) -> [UInt8] {
        let (fd, shown) = try openRegularFile(path)
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: max(0, count))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(offset) + off_t(done)) }
            if n < 0 { if errno == EINTR { continue }; throw FileSystemError("read", shown) }
            if n == 0 { break }
            done += n
        }
        return Array(bytes.prefix(done))
    }

    /// Writes a file the safe way: a temp file with a unique name in the same
    /// folder, fsync, rename over the target, fsync of the folder.
    public func writeAtomically(_ path: String, _ bytes: some Collection<UInt8>, durable: Bool) throws(FileSystemError) {
        // No syncfs to make it durable later: now.
        let durable = durable || syncsEachWrite
        let (folder, name) = try parent(Array(path.utf8))
        let (temp, fd) = try folder.createTemp(for: name)
        do throws(FileSystemError) {
            try LocalPaths.writeAll(fd, bytes, path: folder.shown(temp))
            if durable && fsync(fd) != 0 { throw FileSystemError("sync", folder.shown(temp)) }
        } catch {
            close(fd)
            _ = temp.withCString { unlinkat(folder.fd, $0, 0) }
            throw error
        }
        close(fd)
        let rc = temp.withCString { t in name.withCString { renameat(folder.fd, t, folder.fd, $0) } }
        guard rc == 0 else {
            let e = FileSystemError("replace", folder.shown(name))
            _ = temp.withCString { unlinkat(folder.fd, $0, 0) }
            throw e
        }
        if durable { fsync(folder.fd) }
    }

    /// A new hidden temp file beside `name`: O_EXCL with a random part, so no
    /// two writers (nor a planted file or link) ever share one.
    func createTemp(for name: [UInt8]) throws(FileSystemError) -> (name: [UInt8], fd: Int32) {
        for _ in 0..<100 {
            let temp = [46] + name + Array(".labelmill-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp".utf8)
            let fd = temp.withCString { openat(self.fd, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644) }
            if fd >= 0 { return (temp, fd) }
            if errno != EEXIST { throw FileSystemError("create", shown(temp)) }
        }
        throw FileSystemError("create", shown(name), errno: EEXIST)
    }

    /// Replaces a file with `bytes` only while it still holds the version read
    /// earlier. The file is first renamed aside (one atomic step that takes
    /// whatever is there), compared, and only then replaced; a newer save is
    /// put back, and one that lands meanwhile wins. False when it had changed.
    public func replaceIfUnchanged(_ path: String, since read: (bytes: [UInt8], status: FileStatus),
                                   with bytes: some Collection<UInt8>) throws(FileSystemError) -> Bool {
        let (folder, name) = try parent(Array(path.utf8))
        let (temp, fd) = try folder.createTemp(for: name)
        func drop(_ entry: [UInt8]) { _ = entry.withCString { unlinkat(folder.fd, $0, 0) } }
        func rename(_ from: [UInt8], _ to: [UInt8]) -> Bool {
            (try? folder.moveNoReplace(from, to, in: folder)) != nil
        }
        do throws(FileSystemError) {
            try LocalPaths.writeAll(fd, bytes, path: folder.shown(temp))
            if fsync(fd) != 0 { throw FileSystemError("sync", folder.shown(temp)) }
        } catch {
            close(fd)
            drop(temp)
            throw error
        }
        close(fd)
        let aside = [46] + name + Array(".labelmill-aside-\(UInt32.random(in: 0...UInt32.max))".utf8)
        guard rename(name, aside) else {
            let e = FileSystemError("move aside", folder.shown(name))
            drop(temp)
            if e.isNotFound { return false }
            throw e
        }
        if folder.isUnchanged(String(decoding: aside, as: UTF8.self), since: read) {
            // A save landing in the moment the name was free wins over the rewrite.
            let replaced = rename(temp, name)
            drop(aside)
            if !replaced { drop(temp) }
            fsync(folder.fd)
            return replaced
        }
        // A newer save: back in place (unless a later one already is, which supersedes it).
        if !rename(aside, name) { drop(aside) }
        drop(temp)
        return false
    }

    /// Writes a new file; fails with EEXIST rather than replace one. Returns its status.
    @discardableResult
    public func writeNew(_ path: String, _ bytes: some Collection<UInt8>) throws(FileSystemError) -> FileStatus {
        let (folder, name) = try parent(Array(path.utf8))
        let fd = name.withCString { openat(folder.fd, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw FileSystemError.opening(folder.shown(name)) }
        defer { close(fd) }
        do throws(FileSystemError) {
            try LocalPaths.writeAll(fd, bytes, path: folder.shown(name))
            if syncsEachWrite && fsync(fd) != 0 { throw FileSystemError("sync", folder.shown(name)) }
        } catch {
            _ = name.withCString { unlinkat(folder.fd, $0, 0) }
            throw error
        }
        if syncsEachWrite { fsync(folder.fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileSystemError("stat", folder.shown(name)) }
        return FileStatus(st)
    }

    /// Appends text in one write (O_APPEND keeps it whole); creates the file.
    public func append(_ path: String, _ text: String) throws(FileSystemError) {
        let (folder, name) = try parent(Array(path.utf8))
        let fd = name.withCString { openat(folder.fd, $0, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw FileSystemError.opening(folder.shown(name)) }
        defer { close(fd) }
        try LocalPaths.writeAll(fd, Array(text.utf8), path: folder.shown(name))
        if syncsEachWrite {
            guard fsync(fd) == 0 else { throw FileSystemError("sync", folder.shown(name)) }
            fsync(folder.fd)
        }
    }

    // MARK: Moves, links, removal

    public func moveNoReplace(rawFrom: [UInt8], to: [UInt8]) throws(FileSystemError) {
        try moveNoReplace(rawFrom: rawFrom, to: to, in: self)
    }

    /// Renames without ever replacing (RENAME_NOREPLACE): EEXIST when `to` exists. `to` lies below `destination`.
    public func moveNoReplace(_ from: String, to: String, in destination: RootedDirectory) throws(FileSystemError) {
        try moveNoReplace(rawFrom: Array(from.utf8), to: Array(to.utf8), in: destination)
    }

    public func moveNoReplace(rawFrom: [UInt8], to: [UInt8], in destination: RootedDirectory) throws(FileSystemError) {
        let (source, name) = try parent(rawFrom)
        let (target, newName) = try destination.parent(to)
        try source.moveNoReplace(name, newName, in: target)
    }

    /// Renames entry `name` of this folder to entry `newName` of `target`, never replacing it.
    func moveNoReplace(_ name: [UInt8], _ newName: [UInt8], in target: RootedDirectory) throws(FileSystemError) {
        func failed(_ e: Int32 = Glibc.errno) -> FileSystemError { FileSystemError("move \(shown(name)) to", target.shown(newName), errno: e) }
        // Not probed (a command, not the daemon): an EINVAL, ENOSYS or EOPNOTSUPP is tried the other way,
        // and if that works the flag is what the file system lacks (EINVAL also means a folder into itself).
        var learning = false
        if cell.value.renameNoReplace {
            let rc = name.withCString { n in newName.withCString { lm_rename_noreplace(fd, n, target.fd, $0) } }
            if rc == 0 { return syncMove(to: target) }
            let e = errno
            guard (e == EINVAL || e == ENOSYS || e == EOPNOTSUPP) && !cell.isProbed else { throw failed(e) }
            learning = true
        }
        defer { if learning { _ = cell.markMissing { $0.renameNoReplace = false } } }
        guard let st = status(entry: name) else {
            learning = false
            throw failed(ENOENT)
        }
        let sameFolder = target.fd == fd || target.ownStatus.map { o in ownStatus.map { $0.inode == o.inode && $0.device == o.device } ?? false } ?? false
        if sameFolder && st.kind == .regular && cell.value.hardLinks {
            // Within a folder a labeler saves in (the daemon's temp or aside file put in place as page.json):
            // link fails rather than replace a save that lands meanwhile. A stop between the two calls
            // leaves the hidden temp name as a second name, which no step takes for a file.
            let rc = name.withCString { n in newName.withCString { linkat(fd, n, target.fd, $0, 0) } }
            if rc == 0 {
                guard name.withCString({ unlinkat(fd, $0, 0) }) == 0 || errno == ENOENT else { throw failed() }
                return syncMove(to: target)
            }
            guard FileSystemAbilities.isUnsupported(errno) else {
                learning = learning && errno == EEXIST
                throw failed()
            }
        }
        // Into another folder, which is the daemon's own (staging, queue, Outbox, rejected, conflicts, a page
        // folder it hands out), written by the one daemon holding the root's lock: the name is checked free, then
        // a plain rename, atomic across a stop. A folder never replaces one with anything in it (rename refuses).
        if target.status(entry: newName) != nil { throw failed(EEXIST) }
        let rc = name.withCString { n in newName.withCString { renameat(fd, n, target.fd, $0) } }
        guard rc == 0 else {
            let e = errno
            learning = false
            throw failed(target.status(entry: newName) != nil && (e == EPERM || e == ENOTEMPTY || e == EEXIST || e == EISDIR || e == ENOTDIR) ? EEXIST : e)
        }
        syncMove(to: target)
    }

    /// Without syncfs, a move is made durable as it is made: both folders synced.
    func syncMove(to target: RootedDirectory) {
        guard syncsEachWrite else { return }
        fsync(fd)
        if target.fd != fd { fsync(target.fd) }
    }

    public func link(rawFrom from: [UInt8], to: String) throws(FileSystemError) { try link(rawFrom: from, to: to, in: self) }

    /// A hard link of a file (never of a link's target): `to` lies below `destination`.
    public func link(_ from: String, to: String, in destination: RootedDirectory) throws(FileSystemError) {
        try link(rawFrom: Array(from.utf8), to: to, in: destination)
    }

    public func link(rawFrom from: [UInt8], to: String, in destination: RootedDirectory) throws(FileSystemError) {
        let (source, name) = try parent(from)
        let (target, newName) = try destination.parent(Array(to.utf8))
        if cell.value.linkIdentity {
            let rc = name.withCString { n in newName.withCString { linkat(source.fd, n, target.fd, $0, 0) } }
            if rc == 0 {
                if syncsEachWrite { target.syncEntry(newName) }
                return
            }
            let e = errno
            guard e == ENOSYS || e == EOPNOTSUPP, cell.markMissing({ $0.hardLinks = false }) else {
                throw FileSystemError("link \(source.shown(name)) to", target.shown(newName), errno: e)
            }
        }
        try source.copy(name, to: newName, in: target)
    }

    /// Where hard links are missing (or show no shared inode): a copy of a
    /// regular file, new (EEXIST rather than replace), with the source's mode,
    /// synced with its folder, so it stands in for the link across a stop.
    func copy(_ name: [UInt8], to newName: [UInt8], in target: RootedDirectory) throws(FileSystemError) {
        let shownFrom = shown(name), shownTo = target.shown(newName)
        guard let st = status(entry: name) else { throw FileSystemError("copy \(shownFrom) to", shownTo, errno: ENOENT) }
        switch st.kind {
        case .regular: break
        case .symlink:
            // As link(2) does: a copy of the link itself, never of what it points to.
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = name.withCString { readlinkat(fd, $0, &buffer, buffer.count - 1) }
            guard n >= 0 else { throw FileSystemError("read link", shownFrom) }
            buffer[n] = 0
            guard newName.withCString({ symlinkat(buffer, target.fd, $0) }) == 0 else { throw FileSystemError("copy \(shownFrom) to", shownTo) }
            fsync(target.fd)
            return
        case .directory: throw FileSystemError("link \(shownFrom) to", shownTo, errno: EPERM)
        default: throw FileSystemError("copy", shownFrom, errno: EINVAL, detail: "it is not a regular file")
        }
        let input = name.withCString { openat(fd, $0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
        guard input >= 0 else { throw FileSystemError.opening(shownFrom) }
        defer { close(input) }
        var info = stat()
        guard fstat(input, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { throw FileSystemError("copy", shownFrom, errno: EINVAL, detail: "it is not a regular file") }
        let output = newName.withCString { openat(target.fd, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        guard output >= 0 else { throw FileSystemError("copy \(shownFrom) to", shownTo) }
        func drop() { _ = newName.withCString { unlinkat(target.fd, $0, 0) } }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else {
                let e = FileSystemError("read", shownFrom)
                close(output); drop()
                throw e
            }
            if n == 0 { break }
            do throws(FileSystemError) { try LocalPaths.writeAll(output, buffer[..<n], path: shownTo) } catch {
                close(output); drop()
                throw error
            }
        }
        guard fchmod(output, info.st_mode & 0o7777) == 0, fsync(output) == 0 else {
            let e = FileSystemError("copy \(shownFrom) to", shownTo)
            close(output); drop()
            throw e
        }
        close(output)
        fsync(target.fd)
    }

    /// Syncs one entry of this folder (a file just linked) and the folder itself.
    func syncEntry(_ name: [UInt8]) {
        let fd = name.withCString { openat(self.fd, $0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
        fsync(self.fd)
    }

    /// Makes a file read-only (0444), never through a link.
    public func makeReadOnly(_ path: String) throws(FileSystemError) {
        let (folder, name) = try parent(Array(path.utf8))
        let fd = name.withCString { openat(folder.fd, $0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
        guard fd >= 0 else { throw FileSystemError.opening(folder.shown(name)) }
        defer { close(fd) }
        guard fchmod(fd, 0o444) == 0 else { throw FileSystemError("make read-only", folder.shown(name)) }
    }

    /// Removes a file or a link (not what it points to); fine if it is gone.
    public func remove(rawPath: [UInt8]) throws(FileSystemError) {
        let (folder, name) = try parent(rawPath)
        guard name.withCString({ unlinkat(folder.fd, $0, 0) }) == 0 || errno == ENOENT else {
            throw FileSystemError("remove", folder.shown(name))
        }
        if syncsEachWrite { fsync(folder.fd) }
    }

    /// Removes a folder if it is empty: false when something is (still) in it.
    public func removeEmptyFolder(_ path: String) throws(FileSystemError) -> Bool {
        let (folder, name) = try parent(Array(path.utf8))
        if name.withCString({ unlinkat(folder.fd, $0, AT_REMOVEDIR) }) == 0 || errno == ENOENT { return true }
        if errno == ENOTEMPTY || errno == EEXIST { return false }
        throw FileSystemError("remove folder", folder.shown(name))
    }

    /// Removes a folder and everything in it, never following a link.
    public func removeTree(_ path: String) throws(FileSystemError) {
        let parts = try components(Array(path.utf8))
        let folder: RootedDirectory
        do { folder = try walk(parts.dropLast(), create: false) } catch {
            if error.isNotFound { return }
            throw error
        }
        guard let last = parts.last else { return }
        try folder.removeEntry(last)
    }

    func removeEntry(_ name: [UInt8]) throws(FileSystemError) {
        guard let st = status(entry: name) else { return }
        if st.kind == .directory {
            let child = try walk([name][...], create: false)
            for entry in try child.list() { try child.removeEntry(entry.rawName) }
            guard name.withCString({ unlinkat(fd, $0, AT_REMOVEDIR) }) == 0 || errno == ENOENT else {
                throw FileSystemError("remove folder", shown(name))
            }
        } else {
            guard name.withCString({ unlinkat(fd, $0, 0) }) == 0 || errno == ENOENT else { throw FileSystemError("remove", shown(name)) }
        }
    }

    /// Makes this folder's entries (renames, new files) durable.
    public func sync() { fsync(fd) }

    /// One fsync per file or folder named, each opened without following a
    /// link (and only opened where every write was synced as it was made).
    public func sync(_ paths: [String]) throws(FileSystemError) {
        for path in paths {
            let parts = try components(Array(path.utf8))
            let folder = try walk(parts.dropLast(), create: false)
            let (fd, shown): (Int32, String)
            if let name = parts.last {
                fd = name.withCString { openat(folder.fd, $0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
                shown = folder.shown(name)
            } else {
                (fd, shown) = (dup(folder.fd), folder.path)
            }
            guard fd >= 0 else { throw FileSystemError.opening(shown) }
            defer { close(fd) }
            if !syncsEachWrite && fsync(fd) != 0 && !FileSystemAbilities.isUnsupported(errno) { throw FileSystemError("sync", shown) }
        }
    }

    /// Flushes every file of the file system holding this folder. Without a
    /// working syncfs every write was synced as it was made: nothing is left.
    public func syncFileSystem() {
        guard !syncsEachWrite else { return }
        if lm_syncfs(fd) != 0 && FileSystemAbilities.isUnsupported(errno) {
            // From now on each write is synced as it is made; this one flush is made the slow way.
            if cell.markMissing({ $0.syncfs = false }) { Glibc.sync() }
        }
    }
}
