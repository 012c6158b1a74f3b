import LabelmillCore
import LabelmillFS

/// The daemon's copy of each page (its journal's last line for the page),
/// what a PUT is checked against so a labeler cannot change what the daemon
/// wrote. The journal only grows between compactions, so each page remembers
/// how far it was read and later lookups read only the lines added since.
final class DaemonCopies: Sendable {
    struct Known {
        var inode: UInt64
        var offset: Int64
        var manifest: PageManifest?
    }

    let workspace: Workspace
    private let known = Guarded<[String: Known]>([:])

    init(workspace: Workspace) { self.workspace = workspace }

    func manifest(project: String, page: String) -> PageManifest? {
        let journal = PageJournal(workspace: workspace, project: project)
        let key = project + "/" + page
        guard let status = FileSystem.status(journal.file) else { return nil }
        var entry = known.with { $0[key] } ?? Known(inode: status.inode, offset: 0, manifest: nil)
        if entry.inode != status.inode || entry.offset > status.size {
            // Compacted: read it all again.
            entry = Known(inode: status.inode, offset: 0, manifest: nil)
        }
        guard var (bytes, read) = try? FileSystem.readTail(journal.file, from: entry.offset) else { return entry.manifest }
        if read.inode != entry.inode {
            // Compacted between the stat and the read.
            entry = Known(inode: read.inode, offset: 0, manifest: nil)
            guard let again = try? FileSystem.readTail(journal.file, from: 0), again.status.inode == read.inode else { return nil }
            (bytes, read) = again
        }
        let needle = Array("\"page\":\"\(page)\"".utf8)
        var start = 0
        var consumed = 0
        while let end = bytes[start...].firstIndex(of: 10) {
            let line = bytes[start..<end]
            if contains(line, needle), let node = try? StrictJSON.parse(Array(line)),
               let manifest = try? PageManifest(json: node.value), manifest.page == page {
                entry.manifest = manifest
            }
            start = end + 1
            consumed = start
        }
        entry.offset += Int64(consumed)
        let updated = entry
        known.with { $0[key] = updated }
        return updated.manifest
    }

    private func contains(_ haystack: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count, let first = needle.first else { return false }
        var i = haystack.startIndex
        let last = haystack.endIndex - needle.count
        while i <= last {
            if haystack[i] == first && haystack[i..<i + needle.count].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}
