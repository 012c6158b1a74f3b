import LabelmillCore

/// `watch --poll`: what the inotify watcher would report, found by comparing
/// folder times, for file systems where inotify sees nothing of what other
/// machines write (NFS, SMB, CephFS, sshfs). Each look is a few lstat calls
/// per watched folder, not a walk of the tree:
///
/// - A folder's mtime changes whenever an entry is created, removed or renamed
///   in or out (an editor's or rsync's save by rename, a page folder moved):
///   only then is the folder listed again and the listing compared with the
///   last one. A write in place (`open`, `write`, no rename) changes the
///   file's times and not its folder's, so the files of a watched folder (an
///   inbox's images, a held page's page.json) are lstat'ed at each look.
/// - Folders below which nothing is routed are not entered (`watchesBelow`):
///   page folders in the queue (as with inotify: the queue folder's listing
///   says when one comes or goes; the engine's rescan, every 60 s, stats each
///   page.json and so sees an edit in place of a page nobody holds) and the
///   folders of conflicts/.
/// - File times may be as coarse as a second (sshfs) or two: a folder listed
///   because its times changed is listed once more `granularity` later, on
///   the daemon's own clock, so an entry that came in the same second as the
///   listing, and left the mtime as it was, is still seen. Only the clocks'
///   rates matter, never the server's time. (A file written in place twice
///   within one such second, to the same size, shows the same lstat both
///   times: the second version is seen at its next change. An editor's save
///   by rename gives a new inode and is always seen.)
public final class PollWatcher {
    struct Entry {
        var isFolder: Bool
        /// lstat of a file at the last look; nil for a folder.
        var status: FileStatus?
    }

    struct Folder {
        var status: FileStatus
        var entries: [[UInt8]: Entry]
        /// Listed because its times changed: listed once more from this instant on.
        var relistFrom: Double?
    }

    let fs: any FileSystem
    let roots: [String]
    let watchesBelow: (String) -> Bool
    /// How coarse the file times are, in seconds, from those seen so far:
    /// nanoseconds (ext4, xfs, NFS: the kernel's tick), whole seconds (sshfs),
    /// even seconds (FAT behind SMB). A second listing comes this much later.
    public var granularity: Double { sawFineTimes ? 0.05 : sawOddSeconds ? 1.1 : 2.1 }
    private var sawFineTimes = false
    private var sawOddSeconds = false
    private var folders: [String: Folder] = [:]
    private var started = false
    /// Calls made by the last look (lstat and listings), for the benchmark's log.
    public private(set) var lastLookCalls = 0

    /// `watchesBelow(folder)`: whether the folders inside `folder` are watched too.
    public init(fileSystem: any FileSystem, roots: [String], watchesBelow: @escaping (String) -> Bool = { _ in true }) {
        self.fs = fileSystem
        self.roots = roots
        self.watchesBelow = watchesBelow
    }

    /// Folders being watched.
    public var watchedFolders: Int { folders.count }

    /// One look: the changes since the last one as events. The first look
    /// only learns what is there (the daemon's start-up rescan covers it).
    public func look(now: Double) -> WatchBatch {
        var events: [WatchEvent] = []
        lastLookCalls = 0
        var visited = Set<String>()
        var stack = roots.reversed().map { $0 }
        while let path = stack.popLast() {
            visited.insert(path)
            for sub in examine(path, now: now, events: &events) { stack.append(sub) }
        }
        // Folders gone with a parent, or no longer reached: forgotten.
        for path in folders.keys where !visited.contains(path) { folders[path] = nil }
        defer { started = true }
        return WatchBatch(events: started ? events : [])
    }

    /// Looks at one folder; returns the watched folders inside it.
    private func examine(_ path: String, now: Double, events: inout [WatchEvent]) -> [String] {
        lastLookCalls += 1
        guard let status = fs.status(path), status.kind == .directory else {
            folders[path] = nil
            return []
        }
        if status.mtime % 1_000_000_000 != 0 { sawFineTimes = true }
        if status.mtime / 1_000_000_000 % 2 != 0 { sawOddSeconds = true }
        let known = folders[path]
        let timesChanged = known.map { !Self.sameTimes($0.status, status) } ?? true
        let relistDue = known?.relistFrom.map { now >= $0 } ?? false
        var folder = known ?? Folder(status: status, entries: [:])
        folder.status = status
        if timesChanged || relistDue {
            folder.entries = list(path, was: known?.entries ?? [:], announce: known != nil, events: &events)
            folder.relistFrom = timesChanged ? now + granularity : nil
        } else {
            // Unchanged folder: its own entries stand; only the files' times are looked at.
            for (name, entry) in folder.entries where !entry.isFolder {
                lastLookCalls += 1
                let raw = Array(path.utf8) + [47] + name
                guard let now = fs.status(rawPath: raw) else {
                    // Gone in the same second as the listing (the mtime kept): the next listing says.
                    folder.relistFrom = 0
                    continue
                }
                if let before = entry.status, !before.sameVersion(as: now) || before.kind != now.kind {
                    events.append(WatchEvent(before.inode == now.inode ? .attributes : .renamedIn, folder: path, rawName: name))
                    folder.entries[name]!.status = now
                }
            }
        }
        folders[path] = folder
        guard watchesBelow(path) else { return [] }
        return folder.entries.compactMap { name, entry in
            guard entry.isFolder, let text = String(validating: name, as: UTF8.self) else { return nil }
            return Path.join(path, text)
        }.sorted()
    }

    /// Lists a folder and compares with what it held: an entry new since is
    /// `created` (not finished: a writer may still be at it), one gone is
    /// `deleted`, a file of the same name that is another file (a rename over
    /// it) is `renamedIn`, one whose times changed is `attributes`.
    private func list(_ path: String, was: [[UInt8]: Entry], announce: Bool, events: inout [WatchEvent]) -> [[UInt8]: Entry] {
        lastLookCalls += 1
        guard let listed = try? fs.list(path) else { return was }
        var entries: [[UInt8]: Entry] = [:]
        let base = Array(path.utf8) + [47]
        for item in listed {
            var isFolder = item.isDirectory
            var status: FileStatus?
            if isFolder != true {
                lastLookCalls += 1
                status = fs.status(rawPath: base + item.rawName)
                guard let found = status else { continue }  // gone since the listing
                isFolder = found.kind == .directory
                if isFolder == true { status = nil }
            }
            let entry = Entry(isFolder: isFolder ?? false, status: status)
            entries[item.rawName] = entry
            guard announce else { continue }
            if let before = was[item.rawName] {
                if before.isFolder != entry.isFolder {
                    events.append(WatchEvent(.deleted, folder: path, rawName: item.rawName, isFolder: before.isFolder))
                    events.append(WatchEvent(.created, folder: path, rawName: item.rawName, isFolder: entry.isFolder))
                } else if let old = before.status, let new = status, !old.sameVersion(as: new) || old.kind != new.kind {
                    events.append(WatchEvent(old.inode == new.inode ? .attributes : .renamedIn, folder: path, rawName: item.rawName))
                }
            } else {
                events.append(WatchEvent(.created, folder: path, rawName: item.rawName, isFolder: entry.isFolder))
            }
        }
        if announce {
            for (name, before) in was where entries[name] == nil {
                events.append(WatchEvent(.deleted, folder: path, rawName: name, isFolder: before.isFolder))
            }
        }
        return entries
    }

    /// Whether a folder's own times say nothing came, went or was renamed in it.
    static func sameTimes(_ a: FileStatus, _ b: FileStatus) -> Bool {
        a.mtime == b.mtime && a.ctime == b.ctime && a.inode == b.inode && a.device == b.device
    }
}
