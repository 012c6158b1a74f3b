import LabelmillCore
#if canImport(Glibc)
import Glibc
#endif

/// One root must never sit in another's folders: the outer daemon would take
/// the inner one's images, project.json and schema as its own inputs. A root
/// is known by its `.labelmill/lock`.
public enum RootNesting {
    /// A root above `root` whose Inbox, Watch, Outbox or .labelmill holds it,
    /// found by walking up the parents: (that root, the folder it is in).
    public static func enclosingRoot(of root: String) -> (root: String, folder: String)? {
        guard let real = LocalPaths.resolved(root) else { return nil }
        let parts = real.split(separator: "/").map(String.init)
        for i in stride(from: parts.count - 1, through: 1, by: -1) where ["Inbox", "Watch", "Outbox", ".labelmill"].contains(parts[i]) {
            let candidate = "/" + parts[..<i].joined(separator: "/")
            if LocalPaths.status(Path.join(candidate, ".labelmill/lock"))?.kind == .regular { return (candidate, parts[i]) }
        }
        return nil
    }

    /// Roots inside this root's inbox (a project folder, or any folder below one).
    public static func rootsInside(_ workspace: Workspace) -> [String] {
        var found: [String] = []
        for entry in (try? LocalPaths.list(workspace.inboxRoot)) ?? [] where !Names.isIgnored(raw: entry.rawName) {
            let project = Array(workspace.inboxRoot.utf8) + [47] + entry.rawName
            guard LocalPaths.status(rawPath: project)?.kind == .directory else { continue }
            if LocalPaths.status(rawPath: project + Array("/.labelmill/lock".utf8))?.kind == .regular {
                found.append(RawName.escaped(project))
                continue
            }
            found += InboxScanner.walk(RawName.escaped(project)).otherRoots
        }
        return found
    }
}
