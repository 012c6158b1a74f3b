import ArgumentParser
import LabelmillCore
import LabelmillFS
import LabelmillServe
import Logging
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the labeling screen in a browser, on the same files as the verbs.")

    @OptionGroup var workspace: WorkspaceOptions
    @OptionGroup var web: WebOptions

    func run() async throws {
        let logger = makeLogger(label: "labelmill.serve", verbose: false)
        let server = try web.server(workspace: Workspace(root: workspace.rootPath), logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: server.application(onRunning: announce))],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do { try await group.run() } catch { throw CommandFailure("the web page stopped: \(error)") }
    }
}
