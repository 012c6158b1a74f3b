import LabelmillCore

/// Where the server listens and which names it answers to.
public struct ServeConfiguration: Sendable {
    public var workspace: Workspace
    /// The listen address: a host (IPv4, IPv6 without brackets, or a name) and a port (0: any free port).
    public var host: String
    public var port: Int
    /// Other names the page is reached by (a DNS name, a reverse proxy's name), with or without a port.
    public var hostNames: [String]

    public init(workspace: Workspace, host: String = "127.0.0.1", port: Int = 8080, hostNames: [String] = []) {
        self.workspace = workspace
        self.host = host
        self.port = port
        self.hostNames = hostNames
    }

    /// Loopback listen addresses allow sign-in by name alone.
    public var isLoopback: Bool { Self.isLoopback(host) }

    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// `host:port` as a URL writes it (IPv6 in brackets).
    public static func authority(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Splits `HOST:PORT` (`[::1]:8080` for IPv6); nil when it is not that shape.
    public static func parseListen(_ text: String) -> (host: String, port: Int)? {
        var host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port), portText.allSatisfy(\.isNumber) else { return nil }
        if host == "localhost" { host = "127.0.0.1" }
        return (String(host), port)
    }
}

/// The DNS-rebinding and cross-site checks (SPEC section 9). Pure: the server feeds it headers.
struct AccessRules: Sendable {
    /// Accepted `Host` values, lower-cased.
    let allowedHosts: Set<String>

    init(configuration: ServeConfiguration, port: Int) {
        var hosts: Set<String> = [ServeConfiguration.authority(configuration.host, port).lowercased()]
        if configuration.isLoopback {
            // The browser may be pointed at localhost for the same loopback socket.
            hosts.insert("localhost:\(port)")
            hosts.insert(ServeConfiguration.authority(configuration.host == "::1" ? "::1" : "127.0.0.1", port))
        }
        for name in configuration.hostNames {
            let n = name.lowercased()
            hosts.insert(n)
            if !n.hasSuffix("]") && !n.contains(":") { hosts.insert("\(n):\(port)") }
        }
        allowedHosts = hosts
    }

    func hostAllowed(_ host: String?) -> Bool {
        guard let host else { return false }
        return allowedHosts.contains(host.lowercased())
    }

    /// A change may come from the page's own origin, or from a script that sends no Origin.
    func originAllowed(_ origin: String?, host: String?) -> Bool {
        guard let origin else { return true }
        let lower = origin.lowercased()
        for scheme in ["http://", "https://"] where lower.hasPrefix(scheme) {
            let authority = String(lower.dropFirst(scheme.count))
            return hostAllowed(authority) && authority == host?.lowercased()
        }
        return false
    }
}

/// The labeler name rule for the web page: SPEC's name rule, and not a page id.
func labelerNameProblem(_ name: String) -> String? {
    if let problem = Names.nameProblem(name, what: "labeler") { return problem }
    if PageID.number(name) != nil { return "labeler name \"\(name)\" looks like a page id; pick another name" }
    return nil
}
