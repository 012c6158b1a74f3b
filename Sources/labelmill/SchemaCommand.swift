import ArgumentParser
import LabelmillCore

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema (draft-07) of page.json.")

    func run() throws {
        print(PageSchema.text, terminator: PageSchema.text.hasSuffix("\n") ? "" : "\n")
    }
}
