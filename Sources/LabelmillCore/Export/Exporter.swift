/// Where an export's bytes go. The core says what to write; an implementation in
/// LabelmillFS writes files, and `MemoryExportSink` keeps them for tests. Paths are
/// relative to the export folder, with `/` between folders.
public protocol ExportSink {
    /// Writes a whole, small file. The export folder starts empty, so it is new.
    mutating func write(_ text: String, to path: String) throws
    /// Appends to a long file that grows as pages stream by.
    mutating func append(_ text: String, to path: String) throws
    /// Appends all of the long file `source` to `path`, then removes `source`.
    mutating func appendAndRemove(_ source: String, to path: String) throws
    /// Puts image `file` of page `page` at `path` (a link, a copy, or nothing).
    mutating func placeImage(page: String, file: String, at path: String) throws
}

/// One format: turns the stream of labeled images into files. Exporters hold
/// only counters and small state, never the pages seen so far.
public protocol Exporter {
    /// The folder images go in, relative to the export folder ("" = beside the labels).
    var imageFolder: String { get }
    mutating func begin(into sink: inout some ExportSink) throws
    mutating func add(_ item: ExportItem, into sink: inout some ExportSink) throws
    mutating func finish(_ summary: ExportSummary, into sink: inout some ExportSink) throws
}

/// What every format needs to know about the project.
public struct ExportContext: Sendable {
    public var project: String
    public var task: TaskKind
    /// The class order: the project's current tags, as in project.json.
    public var tags: [String]
    /// The absolute path the export is published at (YOLO's data.yaml names it).
    public var publishedPath: String
    /// How images go with the export.
    public var imageMode: ExportImageMode
    let classIndex: [String: Int]

    public init(project: String, task: TaskKind, tags: [String], publishedPath: String = ".", imageMode: ExportImageMode = .link) {
        self.project = project; self.task = task; self.tags = tags
        self.publishedPath = publishedPath; self.imageMode = imageMode
        var index: [String: Int] = [:]
        for (i, tag) in tags.enumerated() where index[tag] == nil { index[tag] = i }
        classIndex = index
    }

    /// The 0-based class id of `tag` (its position in the project's tags).
    public func classID(_ tag: String) -> Int? { classIndex[tag] }
}

/// One labeled image on its way out.
public struct ExportItem: Sendable, Equatable {
    public var page: String
    public var image: PageImage
    /// The file name in the export: the image's `file`, or with the page id added on a clash.
    public var name: String
    /// The image's path relative to the export folder.
    public var imagePath: String
    /// 1-based position in the export.
    public var number: Int

    public init(page: String, image: PageImage, name: String, imagePath: String, number: Int) {
        self.page = page; self.image = image; self.name = name; self.imagePath = imagePath; self.number = number
    }

    /// The export name without its extension: the name of per-image label files.
    public var stem: String { ExportNaming.stem(of: name) }
    public var regions: [Region] { image.regions ?? [] }
    public var tags: [String] { image.tags ?? [] }
}

/// Counts for the summary line and the README.
public struct ExportSummary: Sendable, Equatable {
    public var pages = 0
    public var images = 0
    public var regions = 0
    public var skippedImages = 0
    public var skippedPages = 0
    public init() {}
}

/// Why an export cannot go on: a page that does not fit the project.
public struct ExportProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var page: String
    public var message: String
    public init(page: String, message: String) { self.page = page; self.message = message }
    public var description: String { "page \(page): \(message)" }
}

/// Export names: each image keeps its `file` name unless an earlier image took the
/// same stem (compared without case, so the export also unpacks on macOS and
/// Windows, and `bear.png` and `bear.jpg` do not share `bear.xml`); then the page
/// id goes in front: `page-000002_bear.png`.
public struct ExportNaming: Sendable {
    private var taken: Set<String> = []

    public init(reserved: [String] = []) {
        for stem in reserved { taken.insert(stem.lowercased()) }
    }

    public mutating func name(for file: String, page: String) -> String {
        if taken.insert(Self.stem(of: file).lowercased()).inserted { return file }
        var candidate = "\(page)_\(file)"
        var n = 2
        while !taken.insert(Self.stem(of: candidate).lowercased()).inserted {
            candidate = "\(page)_\(n)_\(file)"
            n += 1
        }
        return candidate
    }

    /// The name without its last extension (`a.b.png` -> `a.b`; `.png` and `png` stay).
    public static func stem(of name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }

    /// The last extension, without the dot, lowercased (`"png"`), or "" when none.
    public static func fileExtension(of name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return String(name[name.index(after: dot)...]).lowercased()
    }
}

/// Drives one export: checks each page against the project, names its images,
/// places them and hands them to the format, one page at a time.
public struct ExportSession {
    public let context: ExportContext
    public let format: ExportFormat
    public private(set) var summary = ExportSummary()
    private var exporter: any Exporter
    private var naming: ExportNaming

    public init(format: ExportFormat, context: ExportContext) {
        self.format = format
        self.context = context
        exporter = format.exporter(context)
        naming = ExportNaming()
    }

    public mutating func begin(into sink: inout some ExportSink) throws {
        try exporter.begin(into: &sink)
    }

    /// Exports the labeled images of `page`. Returns warnings, in plain words, about
    /// what was left out (a page not done, an image without labels).
    public mutating func add(_ page: PageManifest, into sink: inout some ExportSink) throws -> [String] {
        guard page.status == .done else {
            summary.skippedPages += 1
            return ["page \(page.page) skipped: its status is \"\(page.status.rawValue)\", not \"done\""]
        }
        guard page.task == context.task else {
            throw ExportProblem(page: page.page, message: "its task is \(page.task.rawValue) but project.json says \(context.task.rawValue)")
        }
        var warnings: [String] = []
        summary.pages += 1
        for image in page.images {
            guard Self.isPlainName(image.file) else {
                throw ExportProblem(page: page.page, message: "image file \"\(image.file)\" is not a plain file name")
            }
            if let reason = try check(image, page: page.page) {
                summary.skippedImages += 1
                warnings.append("page \(page.page), image \(image.file) skipped: \(reason)")
                continue
            }
            let name = naming.name(for: image.file, page: page.page)
            let path = exporter.imageFolder.isEmpty ? name : exporter.imageFolder + "/" + name
            summary.images += 1
            summary.regions += image.regions?.count ?? 0
            let item = ExportItem(page: page.page, image: image, name: name, imagePath: path, number: summary.images)
            if context.imageMode != .none { try sink.placeImage(page: page.page, file: image.file, at: path) }
            try exporter.add(item, into: &sink)
        }
        return warnings
    }

    public mutating func finish(into sink: inout some ExportSink) throws {
        try exporter.finish(summary, into: &sink)
    }

    /// Why `image` cannot be exported as labeled (nil when it can); throws when a
    /// label names a tag the project does not have, since its class id is unknown.
    private func check(_ image: PageImage, page: String) throws -> String? {
        func known(_ tag: String) throws {
            guard context.classID(tag) != nil else {
                throw ExportProblem(page: page, message: "image \(image.file) uses tag \"\(tag)\", which is not in the project's tags")
            }
        }
        switch context.task {
        case .multiClass, .multiLabel:
            guard let tags = image.tags, !tags.isEmpty else { return "it has no tags" }
            if context.task == .multiClass, tags.count != 1 { return "a multi-class image needs exactly one tag, not \(tags.count)" }
            for tag in tags { try known(tag) }
        case .bbox, .polygon:
            guard let regions = image.regions else { return "it is not labeled (regions is null)" }
            for region in regions {
                try known(region.tag)
                switch (context.task, region.shape) {
                case (.bbox, .polygon), (.polygon, .box):
                    throw ExportProblem(page: page, message: "image \(image.file) has a region of another task's kind")
                default: break
                }
            }
        }
        return nil
    }

    /// A file name with no folder part: never a path taken from a manifest.
    public static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.unicodeScalars.contains("\0")
    }
}

/// Keeps an export in memory: for tests, and for looking at small exports.
public struct MemoryExportSink: ExportSink, Sendable {
    public var files: [String: String] = [:]
    /// Images placed, as (page, file, path).
    public var images: [(page: String, file: String, path: String)] = []

    public init() {}

    public mutating func write(_ text: String, to path: String) throws {
        precondition(files[path] == nil, "\(path) written twice")
        files[path] = text
    }

    public mutating func append(_ text: String, to path: String) throws {
        files[path, default: ""] += text
    }

    public mutating func appendAndRemove(_ source: String, to path: String) throws {
        files[path, default: ""] += files.removeValue(forKey: source) ?? ""
    }

    public mutating func placeImage(page: String, file: String, at path: String) throws {
        images.append((page, file, path))
    }
}
