import Hummingbird
import LabelmillCore
#if canImport(Glibc)
import Glibc
#endif

/// A value behind a mutex, for state shared by concurrent requests.
final class Guarded<Value>: @unchecked Sendable {
    private var value: Value
    private var mutex = pthread_mutex_t()
    init(_ value: Value) { self.value = value; pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func with<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body(&value)
    }
}

/// A refused request: `{"error": CODE, "message": "plain words"}`, plus
/// `errors` (positioned, as `labelmill check` prints them) for a page that fails the checks.
public struct APIError: Error, HTTPResponseError {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var errors: [PageError] = []

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, errors: [PageError] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
    }

    var json: JSONValue {
        var members: [(String, JSONValue)] = [("error", .string(code)), ("message", .string(message))]
        if !errors.isEmpty { members.append(("errors", .array(errors.map(\.json)))) }
        return .object(members)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.make(status, json)
    }

    static func notFound(_ message: String) -> APIError { APIError(.notFound, "not-found", message) }
    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "bad-request", message) }
}

enum JSONResponse {
    static func make(_ status: HTTPResponse.Status = .ok, _ value: JSONValue, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        fields[.cacheControl] = fields[.cacheControl] ?? "no-store"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: JSONWriter.compact(value) + "\n")))
    }

    static func bytes(_ status: HTTPResponse.Status = .ok, _ bytes: [UInt8], contentType: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = contentType
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

extension Array where Element == String {
    var jsonList: JSONValue { .array(map(JSONValue.string)) }
}

/// Hex of random bytes from the system's secure generator (getrandom on Linux).
func randomHex(bytes count: Int) -> String {
    var generator = SystemRandomNumberGenerator()
    let digits = Array("0123456789abcdef")
    var out = ""
    out.reserveCapacity(count * 2)
    for _ in 0..<count {
        let b = UInt8.random(in: 0...255, using: &generator)
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 15)])
    }
    return out
}
