import LabelmillCore

/// Editing page.json as an editor would: read, change, atomic replace.
enum PageEdit {
    /// Rewrites page.json with `change` applied, refusing if it changed since `expecting` was read.
    static func rewrite(_ page: PageTarget, expecting: [UInt8], _ change: (inout JSONValue) -> Void) throws {
        let file = page.file
        guard let node = try? StrictJSON.parse(expecting) else { throw CommandFailure("\(file) is not valid JSON") }
        var value = node.value
        change(&value)
        guard (try? page.directory.read("page.json").bytes) == expecting else {
            throw CommandFailure("\(file) changed while it was being edited; run the command again")
        }
        do { try page.directory.writeAtomically("page.json", JSONWriter.prettyBytes(value)) } catch {
            throw CommandFailure(error.description)
        }
    }
}
