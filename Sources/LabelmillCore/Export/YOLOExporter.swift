/// YOLO (Ultralytics layout): `images/NAME`, `labels/STEM.txt` one object a line,
/// `classes.txt` and `data.yaml` in tag order.
public struct YOLOExporter: Exporter {
    let context: ExportContext
    public let imageFolder = "images"

    public init(_ context: ExportContext) { self.context = context }

    public mutating func begin(into sink: inout some ExportSink) throws {}

    public mutating func add(_ item: ExportItem, into sink: inout some ExportSink) throws {
        // An image labeled "nothing here" gets an empty file: a background image, not a missing label.
        var text = ""
        for region in item.regions {
            text += Self.row(region, width: item.image.width, height: item.image.height, context: context) + "\n"
        }
        try sink.write(text, to: "labels/\(item.stem).txt")
    }

    public mutating func finish(_ summary: ExportSummary, into sink: inout some ExportSink) throws {
        try sink.write(context.tags.map { $0 + "\n" }.joined(), to: "classes.txt")
        try sink.write(Self.dataYAML(context), to: "data.yaml")
        try sink.write(Self.readme.text(context, summary), to: "README.md")
    }

    /// One label row: `class cx cy w h` for a box, `class x1 y1 x2 y2 ...` (YOLO-seg)
    /// for a polygon; 0-based class, coordinates divided by the image size, 6 decimals.
    public static func row(_ region: Region, width: Int, height: Int, context: ExportContext) -> String {
        let w = Double(max(width, 1)), h = Double(max(height, 1))
        func n(_ v: Double, _ size: Double) -> String { ExportText.fixed(min(max(v / size, 0), 1)) }
        var fields = [String(context.classID(region.tag) ?? 0)]
        switch region.shape {
        case .box(let b):
            fields += [n(b.x + b.width / 2, w), n(b.y + b.height / 2, h), n(b.width, w), n(b.height, h)]
        case .polygon(let points):
            for p in points { fields += [n(p.x, w), n(p.y, h)] }
        }
        return fields.joined(separator: " ")
    }

    /// The dataset file Ultralytics reads: `path` is where the export was published.
    public static func dataYAML(_ context: ExportContext) -> String {
        var out = "# YOLO dataset from labelmill project \(ExportText.yamlQuoted(context.project)) (\(context.task.rawValue)).\n"
        out += "# Class ids are 0-based in the project's tag order; tags are only appended, so ids never move.\n"
        out += "# If you move this folder, change `path`.\n"
        out += "path: \(ExportText.yamlQuoted(context.publishedPath))\n"
        out += "train: images\nval: images\n"
        out += "nc: \(context.tags.count)\nnames:\n"
        for (i, tag) in context.tags.enumerated() { out += "  \(i): \(ExportText.yamlQuoted(tag))\n" }
        return out
    }

    static let readme = ExportReadme(
        title: "YOLO",
        files: [
            "`images/`: the images.",
            "`labels/NAME.txt`: one file per image, named after the image without its extension; an empty file means the image was labeled \"nothing here\".",
            "`classes.txt`: the class names, one a line; line 1 is class 0.",
            "`data.yaml`: for Ultralytics (`path`, `train`, `val`, `nc`, `names`); train and val both point at all images: split them as you need.",
        ],
        conventions: [
            "Boxes: `class cx cy w h`, the box's center, width and height divided by the image's width and height (0 to 1), origin at the top-left.",
            "Polygons (YOLO segmentation): `class x1 y1 x2 y2 ...`, each point divided by the image's width and height.",
            "Class ids are 0-based; numbers have 6 decimals.",
        ],
        firstClassID: 0)
}
