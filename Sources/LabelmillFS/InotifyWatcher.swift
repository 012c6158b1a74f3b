import CInotifyTools
import LabelmillCore
#if canImport(Glibc)
import Glibc
#endif

/// What a watcher tells the daemon: where to look again. The scanner decides what exists.
public struct WatchHints: Sendable, Equatable {
    /// Folders where something changed.
    public var changed: Set<String> = []
    /// Events were lost (queue overflow, a watch that could not be added): look everywhere.
    public var rescanAll = false
    public var isEmpty: Bool { changed.isEmpty && !rescanAll }
    public init() {}
}

/// One thing the kernel saw happen to an entry of a watched folder.
public struct WatchEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A file open for writing was closed: its writer is done with it.
        case closedAfterWrite
        /// An entry was renamed into the folder (an atomic save, an rsync, a move).
        case renamedIn
        /// An entry was renamed out of the folder.
        case renamedOut
        case created
        case deleted
        /// Permissions, owner, link count or times changed.
        case attributes
    }
    public var kind: Kind
    /// The watched folder, as the path the watch was made with.
    public var folder: String
    /// The entry's name in the folder, as raw bytes (it may not be UTF-8); empty for the folder itself.
    public var rawName: [UInt8]
    /// Whether the entry is a folder.
    public var isFolder: Bool

    public init(_ kind: Kind, folder: String, rawName: [UInt8], isFolder: Bool = false) {
        (self.kind, self.folder, self.rawName, self.isFolder) = (kind, folder, rawName, isFolder)
    }

    /// The entry's name, nil when it is not valid UTF-8.
    public var name: String? { String(validating: rawName, as: UTF8.self) }
    public var path: String { rawName.isEmpty ? folder : folder + "/" + RawName.escaped(rawName) }
    public var rawPath: [UInt8] { rawName.isEmpty ? Array(folder.utf8) : Array(folder.utf8) + [47] + rawName }
}

/// What a watcher gathered since the daemon last asked: the events in order,
/// and whether some were lost (the daemon then rescans everything).
public struct WatchBatch: Sendable, Equatable {
    public var events: [WatchEvent] = []
    /// Events were lost (queue overflow, a watch that could not be added): look everywhere.
    public var rescanAll = false
    public var isEmpty: Bool { events.isEmpty && !rescanAll }
    public init(events: [WatchEvent] = [], rescanAll: Bool = false) { (self.events, self.rescanAll) = (events, rescanAll) }

    /// The folders where something happened: the old, coarser report.
    public var hints: WatchHints {
        var h = WatchHints()
        h.rescanAll = rescanAll
        for event in events {
            h.changed.insert(event.folder)
            if event.isFolder && (event.kind == .created || event.kind == .renamedIn) { h.changed.insert(event.path) }
        }
        return h
    }
}

/// A value behind a mutex, shared between the watcher thread and the daemon.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private var mutex = pthread_mutex_t()
    init(_ value: Value) { self.value = value; pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func with<R>(_ body: (inout Value) -> R) -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body(&value)
    }
}

/// Watches folders recursively with libinotifytools, on one dedicated thread
/// (the library keeps global state and is not thread-safe).
public final class InotifyWatcher: @unchecked Sendable {
    private let roots: [String]
    private let pending = Locked(WatchBatch())
    /// Whether a folder's subfolders get watches of their own. The queue's
    /// page folders do not: only the daemon and its commands change them, the
    /// queue folder's own events say when one comes or goes, and the rescan
    /// looks inside. 100,000 queued pages would otherwise cost 100,000 watches.
    private let watchesBelow: @Sendable (String) -> Bool
    /// Called on the reader thread after new events are queued, to wake the daemon.
    private let onEvents: @Sendable () -> Void
    private var thread: pthread_t?
    private let stopFlag = UnsafeMutablePointer<Int32>.allocate(capacity: 1)

    /// No IN_MODIFY: a file being written says so at every write(); the close
    /// (or the rename of an atomic save) says when it is done.
    static let mask = Int32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF)

    public init(roots: [String], watchesBelow: @escaping @Sendable (String) -> Bool = { _ in true },
                onEvents: @escaping @Sendable () -> Void = {}) {
        self.roots = roots
        self.watchesBelow = watchesBelow
        self.onEvents = onEvents
        stopFlag.initialize(to: 0)
    }

    deinit { stopFlag.deallocate() }

    /// Sets up the watches (on the caller's thread, so errors surface) and starts the reader thread.
    public func start() throws(WatchError) {
        guard inotifytools_initialize() != 0 else {
            throw WatchError(message: "inotify is not available (\(String(cString: strerror(inotifytools_error())))); use --poll SECONDS")
        }
        for root in roots {
            let result = Self.watchTree(root, below: watchesBelow)
            if let e = result.error {
                let hint = e == ENOSPC ? "; raise fs.inotify.max_user_watches or use --poll SECONDS" : ""
                throw WatchError(message: "cannot watch \(root): \(String(cString: strerror(e)))\(hint)")
            }
            unwatched += result.skipped
        }
        let box = Unmanaged.passRetained(self)
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            let watcher = Unmanaged<InotifyWatcher>.fromOpaque(arg!).takeRetainedValue()
            watcher.loop()
            return nil
        }, box.toOpaque())
        guard rc == 0 else { box.release(); throw WatchError(message: "cannot start the watcher thread") }
        thread = tid
    }

    /// Folders left unwatched because their path is too long for inotify
    /// (PATH_MAX); the daemon's periodic full rescan still looks there.
    public private(set) var unwatched: [String] = []

    /// Watches a folder and every folder below it, one watch each. A folder
    /// whose path the kernel cannot take is skipped (with what is below it),
    /// not a reason to give up on the whole tree; running out of watches is.
    static func watchTree(_ root: String, below: (String) -> Bool) -> (error: Int32?, skipped: [String]) {
        var skipped: [String] = []
        var stack = [root]
        while let dir = stack.popLast() {
            if dir.utf8.count >= Int(PATH_MAX) {
                skipped.append(dir)
                continue
            }
            if inotifytools_watch_file(dir, mask) == 0 {
                let e = inotifytools_error()
                if e == ENOSPC || e == ENOMEM || e == EMFILE { return (e, skipped) }
                if e == ENAMETOOLONG { skipped.append(dir) }
                continue  // gone meanwhile, or not readable: the scans still look
            }
            guard below(dir), let entries = try? LocalPaths.list(dir) else { continue }
            for entry in entries {
                guard let name = entry.name else { continue }
                let child = dir + "/" + name
                if entry.isDirectory == true || (entry.isDirectory == nil && LocalPaths.isDirectory(child)) { stack.append(child) }
            }
        }
        return (nil, skipped)
    }

    /// Stops the reader thread (within a second) and ends the hint stream.
    public func stop() {
        stopFlag.pointee = 1
        if let thread { pthread_join(thread, nil) }
        thread = nil
        inotifytools_cleanup()
    }

    /// Takes the events gathered since the last call.
    public func drain() -> WatchBatch {
        pending.with { b in
            defer { b = WatchBatch() }
            return b
        }
    }

    private func yield(_ event: WatchEvent) { pending.with { $0.events.append(event) } }
    private func yieldRescan() { pending.with { $0.rescanAll = true } }

    static func kind(of mask: Int32) -> WatchEvent.Kind? {
        if mask & Int32(IN_CLOSE_WRITE) != 0 { return .closedAfterWrite }
        if mask & Int32(IN_MOVED_TO) != 0 { return .renamedIn }
        if mask & Int32(IN_MOVED_FROM) != 0 { return .renamedOut }
        if mask & Int32(IN_CREATE) != 0 { return .created }
        if mask & Int32(IN_DELETE | IN_DELETE_SELF) != 0 { return .deleted }
        if mask & Int32(IN_ATTRIB) != 0 { return .attributes }
        return nil
    }

    private func loop() {
        while stopFlag.pointee == 0 {
            // One-second timeout so a stop is noticed.
            guard let event = inotifytools_next_event(1) else { continue }
            handle(event)
            // The daemon drains whatever has gathered by the time it wakes: one batch.
            onEvents()
        }
    }

    private func handle(_ event: UnsafeMutablePointer<inotify_event>) {
        let mask = Int32(bitPattern: event.pointee.mask)
        if mask & Int32(IN_Q_OVERFLOW) != 0 {
            yieldRescan()
            return
        }
        guard let kind = Self.kind(of: mask), let dirPtr = inotifytools_filename_from_wd(event.pointee.wd) else { return }
        var dir = String(cString: dirPtr)
        if dir.count > 1 && dir.hasSuffix("/") { dir.removeLast() }
        let raw: [UInt8] = event.pointee.len > 0
            ? Array(UnsafeBufferPointer(start: UnsafeRawPointer(inotify_event_name(event)).assumingMemoryBound(to: UInt8.self),
                                        count: Int(strlen(inotify_event_name(event)))))
            : []
        let isFolder = mask & Int32(IN_ISDIR) != 0
        if isFolder && (kind == .created || kind == .renamedIn) && !raw.isEmpty && watchesBelow(dir) {
            // A new folder: watch it and everything already inside.
            let result = Self.watchTree(dir + "/" + String(decoding: raw, as: UTF8.self), below: watchesBelow)
            if result.error != nil || !result.skipped.isEmpty { yieldRescan() }
        }
        if mask & Int32(IN_DELETE_SELF) != 0 {
            // The watched folder itself went: reported as its parent's entry.
            let parent = Path.parent(dir)
            yield(WatchEvent(.deleted, folder: parent, rawName: Array(Path.name(dir).utf8), isFolder: true))
            return
        }
        yield(WatchEvent(kind, folder: dir, rawName: raw, isFolder: isFolder))
    }
}

/// The name that follows a `struct inotify_event` in memory.
private func inotify_event_name(_ event: UnsafeMutablePointer<inotify_event>) -> UnsafePointer<CChar> {
    UnsafeRawPointer(event).advanced(by: MemoryLayout<inotify_event>.size).assumingMemoryBound(to: CChar.self)
}

public struct WatchError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
