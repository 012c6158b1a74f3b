import ArgumentParser
import LabelmillCore
import LabelmillFS
import LabelmillServe
import Logging

/// The web page's options.
struct WebOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The address to listen on; a loopback address allows sign-in by name, any other needs tokens.", valueName: "host:port"))
    var listen: ListenAddress = .standard

    @Option(name: .customLong("host-name"), help: ArgumentHelp("Another name the page is reached by (DNS name or proxy), accepted in the Host header; repeatable.", valueName: "name"))
    var hostNames: [String] = []

    @Flag(name: .customLong("sync-saves"), help: "fsync page.json on every save from the page (slower on a busy disk; saves are atomic either way).")
    var syncSaves = false

    /// The server, after refusing a non-loopback address without tokens.
    func server(workspace: Workspace, logger: Logger) throws -> WebServer {
        try webServer(workspace: workspace, logger: logger, address: listen, hostNames: hostNames, syncSaves: syncSaves)
    }
}

/// The web page's server, after refusing a non-loopback address without tokens.
func webServer(workspace: Workspace, logger: Logger, address: ListenAddress, hostNames: [String], syncSaves: Bool) throws -> WebServer {
    guard LocalPaths.isDirectory(workspace.root) else {
        throw CommandFailure("the workspace root \(workspace.root) is not a folder; pass --root DIR or set LABELMILL_ROOT")
    }
    let configuration = ServeConfiguration(workspace: workspace, host: address.host, port: address.port, hostNames: hostNames)
    if !configuration.isLoopback {
        let tokens: [TokenStore.Entry]
        do { tokens = try TokenStore(workspace: workspace).entries() } catch { throw CommandFailure("\(error)") }
        if tokens.isEmpty {
            throw CommandFailure("\(ServeConfiguration.authority(address.host, address.port)) is not a loopback address: make a sign-in link first with `labelmill token add NAME` (sign-in by name is for 127.0.0.1 only)")
        }
    }
    return WebServer(configuration: configuration, logger: logger, durableWrites: syncSaves)
}

/// Says where to point the browser, on stderr, once the port is bound.
@Sendable func announce(_ url: String) async {
    printError("labelmill: open \(url)")
}
