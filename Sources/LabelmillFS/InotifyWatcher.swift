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
    private let pending = Locked(WatchHints())
    private var thread: pthread_t?
    private let stopFlag = UnsafeMutablePointer<Int32>.allocate(capacity: 1)

    static let mask = Int32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB | IN_MODIFY | IN_DELETE_SELF)

    public init(roots: [String]) {
        self.roots = roots
        stopFlag.initialize(to: 0)
    }

    deinit { stopFlag.deallocate() }

    /// Sets up the watches (on the caller's thread, so errors surface) and starts the reader thread.
    public func start() throws(WatchError) {
        guard inotifytools_initialize() != 0 else {
            throw WatchError(message: "inotify is not available (\(String(cString: strerror(inotifytools_error())))); use --poll SECONDS")
        }
        for root in roots {
            let result = Self.watchTree(root)
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
    static func watchTree(_ root: String) -> (error: Int32?, skipped: [String]) {
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
            guard let entries = try? LocalPaths.list(dir) else { continue }
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

    /// Takes the hints gathered since the last call.
    public func drain() -> WatchHints {
        pending.with { h in
            defer { h = WatchHints() }
            return h
        }
    }

    private func yield(changed dir: String) { pending.with { _ = $0.changed.insert(dir) } }
    private func yieldRescan() { pending.with { $0.rescanAll = true } }

    private func loop() {
        while stopFlag.pointee == 0 {
            // One-second timeout so a stop is noticed.
            guard let event = inotifytools_next_event(1) else { continue }
            let mask = Int32(bitPattern: event.pointee.mask)
            if mask & Int32(IN_Q_OVERFLOW) != 0 {
                yieldRescan()
                continue
            }
            guard let dirPtr = inotifytools_filename_from_wd(event.pointee.wd) else { continue }
            var dir = String(cString: dirPtr)
            if dir.count > 1 && dir.hasSuffix("/") { dir.removeLast() }
            if mask & Int32(IN_ISDIR) != 0 && mask & Int32(IN_CREATE | IN_MOVED_TO) != 0 {
                // A new folder: watch it and everything already inside.
                let name = event.pointee.len > 0 ? String(cString: inotify_event_name(event)) : ""
                if !name.isEmpty {
                    let sub = dir + "/" + name
                    let result = Self.watchTree(sub)
                    if result.error != nil || !result.skipped.isEmpty { yieldRescan() }
                    yield(changed: sub)
                }
            }
            yield(changed: dir)
        }
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
