import LabelmillCore
#if canImport(Glibc)
import Glibc
#endif

/// Serves the images a Label Studio ML backend is asked about (SPEC section
/// 8), as Label Studio serves a task's image: over HTTP, on 127.0.0.1 only,
/// at an address with a random secret (`/<secret>/<n>`), and only while the
/// request that names it is under way. Nothing else is reachable through it:
/// no path from the request is ever opened.
///
/// One thread accepts and answers one connection at a time (a backend
/// fetches each image once); every read and write has a 10 s timeout, so a
/// client that stops talking costs at most that.
final class ImageServer: @unchecked Sendable {
    let port: UInt16
    private let secret: String
    private let socket: Int32
    private var mutex = pthread_mutex_t()
    private var files: [Int: String] = [:]
    private var nextID = 1
    private var stopping = false
    private var thread: pthread_t?
    /// Images sent so far (for tests and the log).
    private(set) var served = 0

    static let ioTimeoutSeconds = 10

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init() throws(Failure) {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "cannot listen on 127.0.0.1: \(why)")
        }
        socket = fd
        port = UInt16(bigEndian: address.sin_port)
        var generator = SystemRandomNumberGenerator()
        secret = (0..<4).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
        pthread_mutex_init(&mutex, nil)
        let box = Unmanaged.passRetained(self)
        var tid = pthread_t()
        if pthread_create(&tid, nil, { arg in
            let server = Unmanaged<ImageServer>.fromOpaque(arg!).takeRetainedValue()
            server.loop()
            return nil
        }, box.toOpaque()) == 0 {
            thread = tid
        } else {
            box.release()
        }
    }

    deinit { pthread_mutex_destroy(&mutex) }

    private func locked<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }

    /// Where the backend finds the server (Label Studio's `hostname`).
    var base: String { "http://127.0.0.1:\(port)" }

    /// Makes the file at `path` reachable until `forget(id)`; returns its URL and id.
    func offer(_ path: String) -> (url: String, id: Int) {
        locked {
            let id = nextID
            nextID += 1
            files[id] = path
            return ("\(base)/\(secret)/\(id)", id)
        }
    }

    func forget(_ id: Int) { _ = locked { files.removeValue(forKey: id) } }

    /// Stops accepting; returns once the thread has ended.
    func stop() {
        let tid = locked { () -> pthread_t? in
            stopping = true
            defer { thread = nil }
            return thread
        }
        shutdown(socket, Int32(SHUT_RDWR))
        if let tid { pthread_join(tid, nil) }
        close(socket)
    }

    private func loop() {
        while !locked({ stopping }) {
            var ready = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 500) > 0 else { continue }
            let client = accept(socket, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)  // never inherited by a predictor the daemon starts
            var timeout = timeval(tv_sec: Self.ioTimeoutSeconds, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            answer(client)
            close(client)
        }
    }

    /// Reads one request head and answers it; the connection is closed after.
    private func answer(_ client: Int32) {
        var head: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while head.count < 16 * 1024 {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return }
            head += buffer[0..<n]
            if head.count >= 4, head.indices.dropFirst(3).contains(where: { head[$0 - 3] == 13 && head[$0 - 2] == 10 && head[$0 - 1] == 13 && head[$0] == 10 }) {
                break
            }
        }
        let firstLine = head.prefix { $0 != 13 && $0 != 10 }
        let words = firstLine.split(separator: 32).map { String(decoding: $0, as: UTF8.self) }
        guard words.count == 3, words[2].hasPrefix("HTTP/1.") else { return reply(client, 400, "Bad Request", []) }
        guard words[0] == "GET" || words[0] == "HEAD" else { return reply(client, 405, "Method Not Allowed", []) }
        let parts = words[1].split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].isEmpty, constantTimeEqual(String(parts[1]), secret), let id = Int(parts[2]),
              let path = locked({ files[id] }) else {
            return reply(client, 404, "Not Found", [])
        }
        guard let bytes = Self.read(path) else { return reply(client, 404, "Not Found", []) }
        let type = bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) ? "image/png" : "image/jpeg"
        reply(client, 200, "OK", words[0] == "HEAD" ? [] : bytes, type: type, length: bytes.count)
        locked { served += 1 }
    }

    private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private func reply(_ client: Int32, _ status: Int, _ reason: String, _ body: [UInt8], type: String = "text/plain", length: Int? = nil) {
        let head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(type)\r\nContent-Length: \(length ?? body.count)\r\n"
            + "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
        var out = Array(head.utf8) + body
        var sent = 0
        while sent < out.count {
            let n = out.withUnsafeMutableBytes { send(client, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return }
            sent += n
        }
    }

    /// The whole file, or nil when it cannot be read (it left the pool meanwhile).
    static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { return nil }
            if n == 0 { return out }
            out += buffer[0..<n]
        }
    }
}
