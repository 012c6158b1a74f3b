import LabelmillCore

/// `.labelmill/pages/<project>/classes.json`: what the project's pages fix
/// (task, tag order, tags used), kept by the daemon so that every command can
/// apply the rules of project.json without reading every page.
public struct ClassRecord: Sendable {
    public let workspace: Workspace
    public let project: String
    /// The workspace root, held open; opened per call when not given.
    let root: (any FileSystem)?

    public init(workspace: Workspace, project: String, root: (any FileSystem)? = nil) {
        self.workspace = workspace
        self.project = project
        self.root = root
    }

    func rooted() throws(FileSystemError) -> any FileSystem {
        if let root { return root }
        return try RootedDirectory.open(workspace.root)
    }

    public var file: String { Path.join(workspace.copies(project), "classes.json") }

    /// The recorded history; when there is no record yet (a workspace from
    /// before it existed), it is worked out from the daemon's journal.
    public func read() -> ClassHistory {
        if let bytes = try? rooted().read(file, maxBytes: 1 << 24).bytes, let history = Self.decode(bytes) { return history }
        guard let pages = try? PageJournal(workspace: workspace, project: project, root: root).load().pages, !pages.isEmpty else { return .none }
        return Self.history(of: pages.values)
    }

    /// Writes the record when it says something new.
    public func write(_ history: ClassHistory) throws(FileSystemError) {
        let bytes = Array((JSONWriter.compact(Self.encode(history)) + "\n").utf8)
        let root = try rooted()
        if (try? root.read(file, maxBytes: 1 << 24).bytes) == bytes { return }
        try root.makeFolders(workspace.copies(project))
        try root.writeAtomically(file, bytes)
    }

    /// The newest page's task and tags, and every tag the pages' labels use.
    public static func history(of pages: some Sequence<PageManifest>) -> ClassHistory {
        var newest: PageManifest?
        var used = Set<String>()
        for page in pages {
            if newest == nil || (PageID.number(page.page) ?? 0) > (PageID.number(newest!.page) ?? 0) { newest = page }
            used.formUnion(labelTags(of: page))
        }
        return ClassHistory(task: newest?.task, tags: newest?.tags ?? [], used: used)
    }

    /// The tags a page's labels use.
    public static func labelTags(of page: PageManifest) -> Set<String> {
        var used = Set<String>()
        for image in page.images {
            used.formUnion(image.tags ?? [])
            used.formUnion((image.regions ?? []).map(\.tag))
        }
        return used
    }

    static func encode(_ h: ClassHistory) -> JSONValue {
        var m: [(String, JSONValue)] = []
        if let task = h.task { m.append(("task", .string(task.rawValue))) }
        m.append(("tags", .array(h.tags.map(JSONValue.string))))
        m.append(("used", .array(h.used.sorted().map(JSONValue.string))))
        return .object(m)
    }

    static func decode(_ bytes: [UInt8]) -> ClassHistory? {
        guard let node = try? StrictJSON.parse(bytes), let tags = node["tags"]?.value.arrayValue?.compactMap(\.stringValue),
              let used = node["used"]?.value.arrayValue?.compactMap(\.stringValue) else { return nil }
        let task = node["task"]?.value.stringValue.flatMap(TaskKind.init(rawValue:))
        return ClassHistory(task: task, tags: tags, used: Set(used))
    }
}

/// Why a project cannot be used as its project.json stands, in plain words
/// that name the file.
public struct ProjectProblem: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// project.json as every command reads it: strict settings, then the rule
/// that class ids never move (`ProjectSettings.changeError`).
public enum ProjectRules {
    public static func load(_ project: String, in workspace: Workspace) throws(ProjectProblem) -> ProjectSettings {
        if let problem = Names.nameProblem(project, what: "project") { throw ProjectProblem(problem) }
        let file = workspace.settingsFile(project)
        let bytes: [UInt8]
        do { bytes = try LocalPaths.read(file, maxBytes: 1 << 20).bytes } catch {
            if error.isNotFound { throw ProjectProblem("no project \(project) in \(workspace.root): \(file) does not exist") }
            throw ProjectProblem("\(file): \(error.description)")
        }
        return try check(bytes, file: file, history: ClassRecord(workspace: workspace, project: project).read())
    }

    /// The settings in `bytes`, checked against what the pages fix.
    public static func check(_ bytes: [UInt8], file: String, history: ClassHistory) throws(ProjectProblem) -> ProjectSettings {
        let settings: ProjectSettings
        do { settings = try ProjectSettings(bytes: bytes) } catch { throw ProjectProblem("\(file): \(error.description)") }
        if let problem = settings.changeError(from: history) { throw ProjectProblem("\(file): \(problem)") }
        return settings
    }
}
