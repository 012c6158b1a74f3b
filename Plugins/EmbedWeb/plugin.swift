import Foundation
import PackagePlugin

/// Compiles every file of the target's `Web/` folder into the binary, so
/// `labelmill serve` needs no files beside it.
@main
struct EmbedWeb: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let web = target.directoryURL.appending(path: "Web")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: web.path(percentEncoded: false))) ?? []
        // Hidden and editor temp files are not part of the screen.
        let files = names.filter { !$0.hasPrefix(".") && !$0.hasSuffix("~") && !$0.hasSuffix(".swp") }.sorted()
            .map { web.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "WebFiles.swift")
        return [.buildCommand(
            displayName: "Embedding \(files.count) web files",
            executable: try context.tool(named: "WebEmbedder").url,
            arguments: [output.path(percentEncoded: false)] + files.map { $0.path(percentEncoded: false) },
            // The folder itself is an input so an added or removed file reruns the command.
            inputFiles: files + [web],
            outputFiles: [output])]
    }
}
