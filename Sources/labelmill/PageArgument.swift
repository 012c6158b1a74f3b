import LabelmillCore
import LabelmillFS

/// A page folder a command works on, opened without following a link inside
/// the workspace: every read and write of its page.json goes through `directory`.
struct PageTarget {
    /// The folder as the user named it (or as found), for messages.
    let folder: String
    let directory: RootedDirectory
    var file: String { Path.join(folder, "page.json") }
}

/// Finds the page folder a labeler means: a folder path, a page.json path, or a
/// page id looked up in the workspace's Watch folder.
enum PageArgument {
    /// The page a command's PAGE argument names, in the workspace of its --root.
    static func folder(for argument: String, workspace: WorkspaceOptions) throws -> PageTarget {
        try folder(for: argument, workspace: Workspace(root: workspace.rootPath))
    }

    static func folder(for argument: String, workspace: Workspace) throws -> PageTarget {
        if LocalPaths.isDirectory(argument) { return try open(argument, in: workspace) }
        if Path.name(argument) == "page.json", LocalPaths.status(argument) != nil {
            return try open(Path.parent(argument), in: workspace)
        }
        if PageID.number(argument) != nil {
            guard let root = try? RootedDirectory.open(workspace.root) else {
                throw CommandFailure("no page \(argument): the workspace root \(workspace.root) is not a folder; pass the page folder path, or --root for another workspace")
            }
            var found: [String] = []
            var problems: [String] = []
            for project in root.folderNames(workspace.watchRoot) {
                let queue = workspace.queue(project)
                do { if try root.folder(queue).status(entry: Array(argument.utf8))?.kind == .directory { found.append(Path.join(queue, argument)) } } catch {
                    if !error.isNotFound { problems.append(error.description) }
                }
                do {
                    let labelers = try root.folder(workspace.labelers(project))
                    for name in labelers.folderNames() where labelers.status(Path.join(name, argument))?.kind == .directory {
                        found.append(Path.join(workspace.labeler(project, name), argument))
                    }
                } catch {
                    if !error.isNotFound { problems.append(error.description) }
                }
            }
            if found.count == 1 { return try open(found[0], in: workspace) }
            if found.count > 1 { throw CommandFailure("page id \(argument) is in several places: \(found.joined(separator: ", ")); pass the folder path") }
            if !problems.isEmpty { throw CommandFailure("no page \(argument) found: \(problems.joined(separator: "; "))") }
            throw CommandFailure("no page \(argument) in \(workspace.watchRoot); pass the page folder path, or --root for another workspace")
        }
        throw CommandFailure("\(argument): no such page folder; pass a page folder, its page.json, or a page id like page-000001")
    }

    /// Opens a page folder: inside the workspace through the root, never
    /// through a link; a copy elsewhere as the user named it.
    static func open(_ folder: String, in workspace: Workspace) throws -> PageTarget {
        let absolute = PageFolder.absolute(folder)
        let root = PageFolder.absolute(workspace.root)
        if absolute.hasPrefix(root == "/" ? "/" : root + "/"), let rooted = try? RootedDirectory.open(workspace.root) {
            do { return PageTarget(folder: folder, directory: try rooted.folder(absolute)) } catch { throw CommandFailure("\(folder): \(error.description)") }
        }
        do { return PageTarget(folder: folder, directory: try RootedDirectory.open(folder)) } catch { throw CommandFailure("\(folder): \(error.description)") }
    }
}
