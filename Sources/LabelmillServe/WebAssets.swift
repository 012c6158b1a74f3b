import Foundation
import LabelmillCore
import LabelmillFS

/// The screen's files: compiled into the binary, or read from
/// `LABELMILL_WEB_DIR` on every request while the screen is being developed.
public struct WebAssets: Sendable {
    /// Folder to read from instead of the embedded copy.
    public var overrideFolder: String?

    public init(overrideFolder: String? = ProcessInfo.processInfo.environment["LABELMILL_WEB_DIR"].flatMap { $0.isEmpty ? nil : $0 }) {
        self.overrideFolder = overrideFolder
    }

    static let embedded: [String: [UInt8]] = EmbeddedWeb.base64.compactMapValues { text in
        Data(base64Encoded: text).map { [UInt8]($0) }
    }

    /// The bytes of a file by its plain name; nil for anything else.
    public func file(_ name: String) -> [UInt8]? {
        guard Self.isPlainName(name) else { return nil }
        if let folder = overrideFolder {
            return try? LocalPaths.read(Path.join(folder, name), maxBytes: 16 << 20).bytes
        }
        return Self.embedded[name]
    }

    /// The embedded file names (for tests and logs).
    public static var embeddedNames: [String] { embedded.keys.sorted() }

    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && !name.contains("/") && !name.contains("\\") && !name.contains("\0")
    }

    static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8", "mjs": "text/javascript; charset=utf-8",
        "json": "application/json", "svg": "image/svg+xml", "png": "image/png",
        "jpg": "image/jpeg", "jpeg": "image/jpeg", "ico": "image/x-icon", "txt": "text/plain; charset=utf-8",
        "woff2": "font/woff2", "map": "application/json",
    ]

    public static func contentType(for name: String) -> String {
        let ext = Path.splitExtension(name).1.dropFirst().lowercased()
        return contentTypes[ext] ?? "application/octet-stream"
    }
}
