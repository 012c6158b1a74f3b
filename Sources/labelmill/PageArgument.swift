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
    static func folder(for argument: String, workspace: Workspace) -> PageTarget {
        if LocalPaths.isDirectory(argument) { return open(argument, in: workspace) }
        if Path.name(argument) == "page.json", LocalPaths.status(argument) != nil {
            return open(Path.parent(argument), in: workspace)
        }
        if PageID.number(argument) != nil {
            guard let root = try? RootedDirectory.open(workspace.root) else {
                fail("no page \(argument): the workspace root \(workspace.root) is not a folder; pass the page folder path, or --root for another workspace")
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
            if found.count == 1 { return open(found[0], in: workspace) }
            if found.count > 1 { fail("page id \(argument) is in several places: \(found.joined(separator: ", ")); pass the folder path") }
            if !problems.isEmpty { fail("no page \(argument) found: \(problems.joined(separator: "; "))") }
            fail("no page \(argument) in \(workspace.watchRoot); pass the page folder path, or --root for another workspace")
        }
        fail("\(argument): no such page folder; pass a page folder, its page.json, or a page id like page-000001")
    }

    /// Opens a page folder: inside the workspace through the root, never
    /// through a link; a copy elsewhere as the user named it.
    static func open(_ folder: String, in workspace: Workspace) -> PageTarget {
        let absolute = PageFolder.absolute(folder)
        let root = PageFolder.absolute(workspace.root)
        if absolute.hasPrefix(root == "/" ? "/" : root + "/"), let rooted = try? RootedDirectory.open(workspace.root) {
            do { return PageTarget(folder: folder, directory: try rooted.folder(absolute)) } catch { fail("\(folder): \(error.description)") }
        }
        do { return PageTarget(folder: folder, directory: try RootedDirectory.open(folder)) } catch { fail("\(folder): \(error.description)") }
    }
}
