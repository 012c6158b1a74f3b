import LabelmillCore

/// One run of `labelmill export`: reads the project's settings and completed
/// pages, streams them through the format into a staged folder, publishes it.
public struct ProjectExport: Sendable {
    public var root: String
    public var project: String
    public var format: ExportFormat
    public var out: String
    public var imageMode: ExportImageMode

    public init(root: String, project: String, format: ExportFormat, out: String, imageMode: ExportImageMode) {
        self.root = root; self.project = project; self.format = format; self.out = out; self.imageMode = imageMode
    }

    /// What was exported, and images copied where a link was asked for.
    public struct Result: Sendable {
        public var summary: ExportSummary
        public var copiedInsteadOfLinked: Int
        public var linkProblem: String?
    }

    /// A request that cannot be done as asked, in plain words.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Runs the export; `warn` hears what was left out, one sentence at a time.
    /// Throws `Refusal`, `FileSystemError` or `ExportProblem`; then nothing is published.
    public func run(warn: (String) -> Void) throws -> Result {
        let settings = try OutboxPages.settings(root: root, project: project)
        guard format.fits(settings.task) else { throw Refusal(format.refusal(for: settings.task)) }
        try refuseWorkspaceFolders()
        let outbox = try OutboxPages.list(root: root, project: project)
        let folder = try ExportFolder(path: out, imageMode: imageMode, outbox: outbox?.path)
        var session = ExportSession(format: format, context: ExportContext(
            project: project, task: settings.task, tags: settings.tags,
            publishedPath: folder.absolutePath, imageMode: imageMode))
        var sink = folder
        try session.begin(into: &sink)
        if let outbox {
            for stray in outbox.strays { warn("skipped \(outbox.path)/\(stray): not a page folder") }
            for page in outbox.pages {
                for warning in try session.add(outbox.read(page), into: &sink) { warn(warning) }
            }
        }
        try session.finish(into: &sink)
        try folder.publish()
        return Result(summary: session.summary, copiedInsteadOfLinked: folder.copiedInsteadOfLinked, linkProblem: folder.linkProblem)
    }

    /// An export inside Inbox would be taken as new images by the daemon, and one in
    /// Watch, Outbox or .labelmill would be mistaken for pages or state.
    func refuseWorkspaceFolders() throws {
        let target = ExportFolder.absolute(out)
        let base = ExportFolder.absolute(root)
        for folder in ["Inbox", "Watch", "Outbox", ".labelmill"] {
            let inside = (base == "/" ? "" : base) + "/" + folder
            if target == inside || target.hasPrefix(inside + "/") {
                throw Refusal("\(out) is inside the workspace's \(folder) folder; export to a folder outside Inbox, Watch, Outbox and .labelmill")
            }
        }
    }
}
