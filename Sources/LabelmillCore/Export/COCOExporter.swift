/// COCO object detection / instance segmentation: one `annotations.json` with
/// `images`, `annotations` and `categories`. Images stream into the file as pages
/// arrive; annotations stream into a side file that is appended at the end, so no
/// page is held longer than it takes to write it.
public struct COCOExporter: Exporter {
    public static let file = "annotations.json"
    static let pendingAnnotations = "annotations.json.part"

    let context: ExportContext
    public let imageFolder = "images"
    private var annotations = 0

    public init(_ context: ExportContext) { self.context = context }

    public mutating func begin(into sink: inout some ExportSink) throws {
        let info = JSONValue.object([
            ("description", .string("labelmill project \(context.project) (\(context.task.rawValue))")),
            ("version", .string("1.0")),
            ("contributor", .string("labelmill")),
        ])
        try sink.append("{\"info\": \(JSONWriter.compact(info)),\n\"licenses\": [],\n\"images\": [", to: Self.file)
        try sink.append("", to: Self.pendingAnnotations)
    }

    public mutating func add(_ item: ExportItem, into sink: inout some ExportSink) throws {
        let image = JSONValue.object([
            ("id", .number(Double(item.number))),
            ("file_name", .string(item.name)),
            ("width", .number(Double(item.image.width))),
            ("height", .number(Double(item.image.height))),
        ])
        try sink.append((item.number == 1 ? "\n" : ",\n") + JSONWriter.compact(image), to: Self.file)
        var text = ""
        for region in item.regions {
            annotations += 1
            text += (annotations == 1 ? "\n" : ",\n") + JSONWriter.compact(Self.annotation(region, id: annotations, imageID: item.number, context: context))
        }
        if !text.isEmpty { try sink.append(text, to: Self.pendingAnnotations) }
    }

    public mutating func finish(_ summary: ExportSummary, into sink: inout some ExportSink) throws {
        try sink.append("\n],\n\"annotations\": [", to: Self.file)
        try sink.appendAndRemove(Self.pendingAnnotations, to: Self.file)
        var tail = "\n],\n\"categories\": ["
        for (i, tag) in context.tags.enumerated() {
            let category = JSONValue.object([("id", .number(Double(i + 1))), ("name", .string(tag)), ("supercategory", .string(""))])
            tail += (i == 0 ? "\n" : ",\n") + JSONWriter.compact(category)
        }
        tail += "\n]}\n"
        try sink.append(tail, to: Self.file)
        try sink.write(Self.readme.text(context, summary), to: "README.md")
    }

    /// One COCO annotation: `bbox` `[x, y, width, height]` in pixels from the
    /// top-left, `segmentation` one flat polygon `[x1, y1, x2, y2, ...]` (a box's
    /// four corners for boxes), `area` of the polygon or box, `iscrowd` 0.
    public static func annotation(_ region: Region, id: Int, imageID: Int, context: ExportContext) -> JSONValue {
        let box = region.bounds
        let flat = region.outline.flatMap { [JSONValue.number($0.x), .number($0.y)] }
        return .object([
            ("id", .number(Double(id))),
            ("image_id", .number(Double(imageID))),
            ("category_id", .number(Double((context.classID(region.tag) ?? 0) + 1))),
            ("bbox", .array([.number(box.x), .number(box.y), .number(box.width), .number(box.height)])),
            ("area", .number(region.area)),
            ("segmentation", .array([.array(flat)])),
            ("iscrowd", .number(0)),
        ])
    }

    static let readme = ExportReadme(
        title: "COCO",
        files: [
            "`annotations.json`: `images`, `annotations`, `categories` (COCO object detection and instance segmentation).",
            "`images/`: the images; `file_name` is relative to this folder.",
        ],
        conventions: [
            "Pixels, origin at the image's top-left corner, x right, y down; not normalized; fractions kept.",
            "`bbox` is `[x, y, width, height]`; for a polygon, its bounding box.",
            "`segmentation` is a list holding one flat polygon `[x1, y1, x2, y2, ...]`; a box is written as its four corners, so masks can be drawn for every annotation.",
            "`area` is the polygon's area (shoelace formula) or the box's width times height, in square pixels.",
            "`iscrowd` is always 0.",
            "Image ids and annotation ids count from 1 in export order; category ids count from 1 in tag order.",
            "An image without annotations was labeled \"nothing here\".",
        ],
        firstClassID: 1)
}
