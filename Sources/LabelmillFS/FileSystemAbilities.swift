import CShims
#if canImport(Glibc)
import Glibc
#endif

/// What the file system under a root can do that the daemon's guarantees
/// lean on (SPEC section 6). A local disk has all of it; sshfs, some NFS and
/// SMB servers lack parts, and `RootedDirectory` falls back safely for each
/// (README, "Network file systems"):
/// - no `renameat2(RENAME_NOREPLACE)`: a move within one folder (the daemon's
///   temp or aside file put in place as page.json, where a labeler saves too)
///   is a hard link, which fails rather than replace, and an unlink; a move
///   between folders (into the daemon's own staging, queue, Outbox, rejected
///   and conflicts folders, which only the one daemon holding the root's lock
///   writes) is a check that the name is free, then a plain rename, which is
///   atomic across a kill -9;
/// - hard links missing, or not showing one inode for both names (sshfs): a
///   copy, synced, instead of each link;
/// - no working `syncfs` (FUSE answers 0 and flushes nothing): every write,
///   move and removal is synced (fsync of the file and its folder) as it is made.
public struct FileSystemAbilities: Sendable, Equatable, CustomStringConvertible {
    /// `renameat2(RENAME_NOREPLACE)` works.
    public var renameNoReplace: Bool
    /// `link(2)` works: it fails with EEXIST rather than replace a name.
    public var hardLinks: Bool
    /// Two names of one file show one inode and a link count of 2, which the
    /// daemon's copies and its recovery compare.
    public var linkIdentity: Bool
    /// `syncfs(2)` makes every write so far durable.
    public var syncfs: Bool

    public init(renameNoReplace: Bool = true, hardLinks: Bool = true, linkIdentity: Bool = true, syncfs: Bool = true) {
        (self.renameNoReplace, self.hardLinks, self.linkIdentity, self.syncfs) = (renameNoReplace, hardLinks, linkIdentity && hardLinks, syncfs)
    }

    public static let full = FileSystemAbilities()

    /// One phrase per fallback in use; empty on a local disk.
    public var fallbacks: [String] {
        var out: [String] = []
        if !renameNoReplace {
            out.append(hardLinks ? "no RENAME_NOREPLACE: moves within a folder link then unlink, moves between folders check the name is free then rename"
                                 : "no RENAME_NOREPLACE: moves check the name is free then rename")
        }
        if !hardLinks { out.append("no hard links: images are copied and synced") }
        else if !linkIdentity { out.append("hard links do not show one inode: images are copied and synced") }
        if !syncfs { out.append("no working syncfs: each write is synced as it is made") }
        return out
    }

    public var description: String { fallbacks.isEmpty ? "all abilities" : fallbacks.joined(separator: "; ") }

    /// The errors with which a file system says it cannot do a call at all.
    static func isUnsupported(_ e: Int32) -> Bool { e == EINVAL || e == ENOSYS || e == EOPNOTSUPP || e == EPERM }

    /// A first guess from the kind of file system, before (or without) a probe:
    /// FUSE answers syncfs with 0 and flushes nothing, and shows its own inode numbers.
    static func guess(fd: Int32) -> FileSystemAbilities {
        var fs = statfs()
        guard fstatfs(fd, &fs) == 0, Int64(fs.f_type) == MountKind.fuse else { return .full }
        return FileSystemAbilities(linkIdentity: false, syncfs: false)
    }
}

/// The abilities of one file system, shared by every folder opened below a
/// root and by every root opened on the same device: decided once, by the
/// probe at the daemon's start, or the first time a call says it is unsupported.
final class AbilityCell: @unchecked Sendable {  // value behind the mutex
    private var mutex = pthread_mutex_t()
    private var current: FileSystemAbilities
    /// Whether a probe decided (then a call's error is the call's own, not a missing ability).
    private var probed = false

    init(_ value: FileSystemAbilities, probed: Bool = false) {
        current = value
        self.probed = probed
        pthread_mutex_init(&mutex, nil)
    }

    deinit { pthread_mutex_destroy(&mutex) }

    private func locked<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }

    var value: FileSystemAbilities { locked { current } }

    var isProbed: Bool { locked { probed } }

    func set(_ value: FileSystemAbilities) { locked { current = value; probed = true } }

    /// A call answered EINVAL, ENOSYS or EOPNOTSUPP where no probe has decided:
    /// the ability is taken as missing from now on. True when that changed it.
    func markMissing(_ change: (inout FileSystemAbilities) -> Void) -> Bool {
        locked {
            guard !probed else { return false }
            let before = current
            change(&current)
            current = FileSystemAbilities(renameNoReplace: current.renameNoReplace, hardLinks: current.hardLinks,
                                          linkIdentity: current.linkIdentity, syncfs: current.syncfs)
            return current != before
        }
    }

    nonisolated(unsafe) private static var byDevice: [UInt64: AbilityCell] = [:]
    nonisolated(unsafe) private static var registryMutex = pthread_mutex_t()
    private static let registryReady: Bool = { pthread_mutex_init(&registryMutex, nil); return true }()

    /// The cell for the file system holding `fd`, made on first use.
    static func shared(fd: Int32) -> AbilityCell {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return AbilityCell(.full) }
        _ = registryReady
        pthread_mutex_lock(&registryMutex)
        defer { pthread_mutex_unlock(&registryMutex) }
        if let cell = byDevice[UInt64(st.st_dev)] { return cell }
        let cell = AbilityCell(FileSystemAbilities.guess(fd: fd))
        byDevice[UInt64(st.st_dev)] = cell
        return cell
    }
}
