import LabelmillCore
#if canImport(Glibc)
import Glibc
#endif

/// One daemon per root: an flock on `.labelmill/lock`, which names its holder.
public final class RootLock {
    private let fd: Int32
    public let path: String

    /// Takes the lock or says who holds it.
    public init(workspace: Workspace, command: String) throws(LockError) {
        path = workspace.lockFile
        do { try LocalPaths.makeDirectories(workspace.stateRoot) } catch { throw LockError(message: error.description) }
        let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LockError(message: FileSystemError("open", path).description) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? LocalPaths.read(path, maxBytes: 4096)).map { String(decoding: $0.bytes, as: UTF8.self) }?
                .trimmingCharacters(in: " \n") ?? ""
            close(fd)
            throw LockError(message: "another labelmill daemon already watches this root (\(holder.isEmpty ? "holder unknown" : holder)); lock file \(path)")
        }
        self.fd = fd
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, 255)
        let text = "pid \(getpid()) on \(String(cString: host)), \(command)\n"
        ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit {
        ftruncate(fd, 0)
        close(fd)
    }
}

public struct LockError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
