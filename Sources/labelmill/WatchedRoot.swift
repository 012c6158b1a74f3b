import LabelmillCore
import LabelmillFS

/// What `watch` checks before it takes a workspace root.
enum WatchedRoot {
    /// The root is a real folder (never a link), not inside another root's folders, with no root inside its inbox.
    static func check(_ ws: Workspace) throws {
        switch LocalPaths.status(ws.root)?.kind {
        case .directory: break
        case .symlink:
            let target = LocalPaths.resolved(ws.root).map { ": pass the real folder, --root \($0)" } ?? ""
            throw CommandFailure("the workspace root \(ws.root) is a symbolic link; the daemon never follows links\(target)")
        case nil: throw CommandFailure("the workspace root \(ws.root) does not exist; create it or pass --root DIR (or set LABELMILL_ROOT)")
        default: throw CommandFailure("the workspace root \(ws.root) is a file, not a folder; pass --root DIR or set LABELMILL_ROOT")
        }
        // Roots never nest: the outer daemon would take the inner one's files.
        if let outer = RootNesting.enclosingRoot(of: ws.root) {
            throw CommandFailure("\(ws.root) is inside the \(outer.folder) folder of another labelmill root, \(outer.root) (it has \(Path.join(outer.root, ".labelmill/lock"))); "
                 + "that daemon would take this root's files: put this root outside \(outer.root)'s Inbox, Watch, Outbox and .labelmill")
        }
        if let inner = RootNesting.rootsInside(ws).first {
            throw CommandFailure("\(inner) is another labelmill root (it has .labelmill/lock) inside \(ws.inboxRoot); this daemon would take its files: move it out of the inbox")
        }
    }
}
