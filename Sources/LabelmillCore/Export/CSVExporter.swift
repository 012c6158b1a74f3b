/// CSV (RFC 4180, UTF-8, CRLF): one row per image for classification, one per
/// region otherwise, with a header row.
public struct CSVExporter: Exporter {
    public static let file = "labels.csv"
    public static let classificationHeader = ["image", "page", "width", "height", "tags", "class_ids", "label_source"]
    public static let regionHeader = ["image", "page", "width", "height", "tag", "class_id", "shape",
                                      "x", "y", "box_width", "box_height", "points", "label_source"]

    let context: ExportContext
    public let imageFolder = "images"

    public init(_ context: ExportContext) { self.context = context }

    public mutating func begin(into sink: inout some ExportSink) throws {
        let header = context.task.isClassification ? Self.classificationHeader : Self.regionHeader
        try sink.append(ExportText.csvRow(header), to: Self.file)
    }

    public mutating func add(_ item: ExportItem, into sink: inout some ExportSink) throws {
        try sink.append(Self.rows(item, context: context), to: Self.file)
    }

    public mutating func finish(_ summary: ExportSummary, into sink: inout some ExportSink) throws {
        try sink.write(Self.readme.text(context, summary), to: "README.md")
    }

    public static func rows(_ item: ExportItem, context: ExportContext) -> String {
        let image = [item.imagePath, item.page, String(item.image.width), String(item.image.height)]
        let source = item.image.labelSource?.rawValue ?? ""
        if context.task.isClassification {
            let ids = item.tags.map { String(context.classID($0) ?? 0) }
            return ExportText.csvRow(image + [item.tags.joined(separator: ";"), ids.joined(separator: ";"), source])
        }
        // An image labeled "nothing here" still gets a row, with the region fields empty.
        guard !item.regions.isEmpty else {
            return ExportText.csvRow(image + Array(repeating: "", count: regionHeader.count - image.count - 1) + [source])
        }
        var out = ""
        for region in item.regions {
            let b = region.bounds
            let num = ExportText.number
            var shape = "box", points = ""
            if case .polygon(let p) = region.shape {
                shape = "polygon"
                points = p.map { "\(num($0.x)) \(num($0.y))" }.joined(separator: " ")
            }
            out += ExportText.csvRow(image + [
                region.tag, String(context.classID(region.tag) ?? 0), shape,
                num(b.x), num(b.y), num(b.width), num(b.height), points, region.labelSource?.rawValue ?? source,
            ])
        }
        return out
    }

    static let readme = ExportReadme(
        title: "CSV",
        files: [
            "`labels.csv`: UTF-8, comma-separated, fields with commas, quotes or line breaks in double quotes (RFC 4180), CRLF line ends, a header row.",
            "`images/`: the images; the `image` column is the path relative to this folder.",
        ],
        conventions: [
            "Classification: one row per image: `image, page, width, height, tags, class_ids`; several tags are joined with `;`, and so are their 0-based class ids (read `class_ids` when a tag itself holds `;`).",
            "Boxes and polygons: one row per region: `image, page, width, height, tag, class_id, shape, x, y, box_width, box_height, points`.",
            "`x, y, box_width, box_height` are the box (or the polygon's bounding box) in pixels, origin at the image's top-left corner; `points` holds a polygon's points as `x1 y1 x2 y2 ...` in pixels, empty for a box.",
            "An image labeled \"nothing here\" has one row with the region fields empty.",
            "Class ids are 0-based in tag order.",
            "`label_source`: where the label came from, as the page was accepted: `human`, `model-accepted` (a model's suggestion kept), `model-corrected` (a suggestion changed), `model-adjusted` (a predicted region moved or retagged); on a region's row, the region's own when a predictor proposed regions for the image; empty for pages accepted without ML assist.",
        ],
        firstClassID: 0)
}
