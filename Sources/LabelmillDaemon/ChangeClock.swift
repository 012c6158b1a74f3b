import LabelmillCore
import LabelmillFS

/// What tells one version of a file from the next: a save changes its size or
/// times, a replace its inode. The link count is left out (the daemon's own
/// hard links to kept images change it).
struct FileVersion: Hashable, Sendable {
    let inode: UInt64
    let device: UInt64
    let size: Int64
    let mtime: Int64
    let ctime: Int64

    init(_ status: FileStatus) {
        (inode, device, size, mtime, ctime) = (status.inode, status.device, status.size, status.mtime, status.ctime)
    }
}

extension Engine {
    /// Since when the file at `path` has been as `status` says, on the
    /// daemon's clock. This is the one place file times enter: a version not
    /// seen before is dated by its age on the real clock (the later of mtime
    /// and ctime: `rsync -a` keeps old mtimes, but every write and rename sets
    /// ctime); a new version of a file already seen dates from no earlier
    /// than the last look that found the old one.
    func seenChange(_ path: String, _ status: FileStatus) -> Double {
        let fileTime = Double(max(status.mtime, status.ctime)) / 1e9
        return seenChanges.look(path, version: FileVersion(status), at: now(), age: fileClock() - fileTime)
    }

    /// The latest change seen in a folder: the folder itself and its entries.
    /// Nil when the folder is gone.
    func latestSeenChange(in folder: String) -> Double? {
        var latest: Double?
        for path in [folder] + root.names(folder).map({ Path.join(folder, $0) }) {
            guard let status = root.status(path) else { continue }
            let since = seenChange(path, status)
            latest = max(latest ?? since, since)
        }
        return latest
    }
}

extension FileVersion {
    /// The same version of the file as `status` shows: same inode, size and times.
    func sameVersion(as status: FileStatus) -> Bool {
        inode == status.inode && device == status.device && size == status.size && mtime == status.mtime && ctime == status.ctime
    }
}

/// The page.json versions a project's daemon has handled, by page folder: an
/// entry per queued page (100,000s of them), so a queued page is keyed by
/// its number rather than by its folder's path, and only the version is kept.
struct HandledVersions {
    /// `Watch/<project>/queue/`, whose page folders are keyed by number.
    let queuePrefix: String
    private var queued: [Int32: FileVersion] = [:]
    private var others: [String: FileVersion] = [:]

    init(queue: String) { queuePrefix = queue + "/" }

    private func number(_ folder: String) -> Int32? {
        guard folder.hasPrefix(queuePrefix) else { return nil }
        let id = String(folder.dropFirst(queuePrefix.count))
        guard let n = PageID.number(id), n <= Int(Int32.max), PageID.make(n) == id else { return nil }
        return Int32(n)
    }

    subscript(folder: String) -> FileVersion? {
        get {
            if let n = number(folder) { return queued[n] }
            return others[folder]
        }
        set {
            if let n = number(folder) { queued[n] = newValue } else { others[folder] = newValue }
        }
    }
}
