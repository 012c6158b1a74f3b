import ArgumentParser
import LabelmillServe

/// `--listen HOST:PORT` and `--host-name NAME`, shared by `serve` and `watch --serve`.
struct ListenAddress: ExpressibleByArgument, Sendable {
    var host: String
    var port: Int

    init?(argument: String) {
        guard let (host, port) = ServeConfiguration.parseListen(argument) else { return nil }
        self.host = host
        self.port = port
    }

    init(host: String, port: Int) { self.host = host; self.port = port }

    static let standard = ListenAddress(host: "127.0.0.1", port: 8080)
    var defaultValueDescription: String { ServeConfiguration.authority(host, port) }
}
