/// The README.md each export writes beside its files, so whoever picks up the
/// folder knows its units, origin, index base and class order without asking.
public struct ExportReadme {
    public var title: String
    public var files: [String]
    public var conventions: [String]
    /// The first class id: 0 (YOLO, CSV) or 1 (COCO); nil lists names only.
    public var firstClassID: Int?

    public init(title: String, files: [String], conventions: [String], firstClassID: Int?) {
        self.title = title; self.files = files; self.conventions = conventions; self.firstClassID = firstClassID
    }

    public func text(_ context: ExportContext, _ summary: ExportSummary) -> String {
        var out = "# \(title): labelmill project \(context.project)\n\n"
        out += "Task: \(context.task.rawValue). \(summary.images) image\(summary.images == 1 ? "" : "s") "
        if !context.task.isClassification { out += "and \(summary.regions) region\(summary.regions == 1 ? "" : "s") " }
        out += "from \(summary.pages) completed page\(summary.pages == 1 ? "" : "s"), in page order.\n"
        var left: [String] = []
        if summary.skippedImages > 0 { left.append("\(summary.skippedImages) image\(summary.skippedImages == 1 ? "" : "s") without labels") }
        if summary.skippedPages > 0 { left.append("\(summary.skippedPages) page\(summary.skippedPages == 1 ? "" : "s") not marked done") }
        if !left.isEmpty { out += "Left out: \(left.joined(separator: " and ")).\n" }
        if summary.images == 0 { out += "Nothing was exported: the project has no completed pages yet.\n" }
        out += "\n## Files\n\n"
        for line in files { out += "- \(line)\n" }
        switch context.imageMode {
        case .none: out += "- Images are not included (`--images none`); put them where the paths above say.\n"
        case .link: out += "- Images are hard links to the outbox files where the file system allows, else copies.\n"
        case .copy: out += "- Images are copies of the outbox files.\n"
        }
        out += "- Files are named after each image's file name; an image whose name (without extension, ignoring case) an earlier image already used gets its page id in front: `page-000002_bear.png`.\n"
        out += "\n## Conventions\n\n"
        for line in conventions { out += "- \(line)\n" }
        out += "\n## Classes\n\n"
        out += "In the order of the tags in project.json. Tags are only ever appended, so a class keeps its id across exports.\n\n"
        if let first = firstClassID {
            out += "| id | tag |\n|---:|---|\n"
            for (i, tag) in context.tags.enumerated() { out += "| \(i + first) | \(Self.cell(tag)) |\n" }
        } else {
            out += "| tag |\n|---|\n"
            for tag in context.tags { out += "| \(Self.cell(tag)) |\n" }
        }
        return out
    }

    private static func cell(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar == "|" { out += "\\|" } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }
}
