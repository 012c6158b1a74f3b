import LabelmillCore
import LabelmillFS
#if canImport(Glibc)
import Glibc
#endif

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
        guard let status = LocalPaths.status(journal.file) else { return nil }
        var entry = known.with { $0[key] } ?? Known(inode: status.inode, offset: 0, manifest: nil)
        if entry.inode != status.inode || entry.offset > status.size {
            // Compacted: read it all again.
            entry = Known(inode: status.inode, offset: 0, manifest: nil)
        }
        guard var (bytes, read) = try? LocalPaths.readTail(journal.file, from: entry.offset) else { return entry.manifest }
        if read.inode != entry.inode {
            // Compacted between the stat and the read.
            entry = Known(inode: read.inode, offset: 0, manifest: nil)
            guard let again = try? LocalPaths.readTail(journal.file, from: 0), again.status.inode == read.inode else { return nil }
            (bytes, read) = again
        }
        let needle = Array("\"page\":\"\(page)\"".utf8)
        // Only whole lines count: a line still being appended is read next time.
        let consumed = (bytes.lastIndex(of: 10) ?? -1) + 1
        var from = 0
        // Jump from match to match instead of walking every line (the journal may be tens of MB).
        while from < consumed, let hit = firstMatch(bytes, needle, from: from, to: consumed) {
            let start = (bytes[from..<hit].lastIndex(of: 10) ?? (from - 1)) + 1
            let end = bytes[hit..<consumed].firstIndex(of: 10) ?? consumed
            if let node = try? StrictJSON.parse(Array(bytes[start..<end])),
               let manifest = try? PageManifest(json: node.value), manifest.page == page {
                entry.manifest = manifest
            }
            from = end + 1
        }
        entry.offset += Int64(consumed)
        let updated = entry
        known.with { $0[key] = updated }
        return updated.manifest
    }

    private func firstMatch(_ bytes: [UInt8], _ needle: [UInt8], from: Int, to: Int) -> Int? {
        guard let first = needle.first, to - from >= needle.count else { return nil }
        return bytes.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                // memchr finds candidates; memcmp confirms them.
                var at = from
                let last = to - n.count
                while at <= last {
                    guard let p = memchr(h.baseAddress! + at, Int32(first), last - at + 1) else { return nil }
                    let i = h.baseAddress!.distance(to: p.assumingMemoryBound(to: UInt8.self))
                    if memcmp(h.baseAddress! + i, n.baseAddress!, n.count) == 0 { return i }
                    at = i + 1
                }
                return nil
            }
        }
    }
}
