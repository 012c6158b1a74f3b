import LabelmillCore
import LabelmillFS

/// Finds the page folder a labeler means: a folder path, a page.json path, or a
/// page id looked up in the workspace's Watch folder.
enum PageArgument {
    static func folder(for argument: String, workspace: Workspace) -> String {
        if FileSystem.isDirectory(argument) { return argument }
        if Path.name(argument) == "page.json", FileSystem.status(argument) != nil {
            return Path.parent(argument)
        }
        if PageID.number(argument) != nil {
            var found: [String] = []
            for project in FileSystem.names(workspace.watchRoot) where FileSystem.isDirectory(workspace.watch(project)) {
                let queued = Path.join(workspace.queue(project), argument)
                if FileSystem.isDirectory(queued) { found.append(queued) }
                for name in FileSystem.names(workspace.labelers(project)) {
                    let held = Path.join(workspace.labeler(project, name), argument)
                    if FileSystem.isDirectory(held) { found.append(held) }
                }
            }
            if found.count == 1 { return found[0] }
            if found.count > 1 { fail("page id \(argument) is in several places: \(found.joined(separator: ", ")); pass the folder path") }
            fail("no page \(argument) in \(workspace.watchRoot); pass the page folder path, or --root for another workspace")
        }
        fail("\(argument): no such page folder; pass a page folder, its page.json, or a page id like page-000001")
    }
}
