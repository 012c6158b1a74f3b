/// labelme: one JSON file per image beside the image, as labelme saves them.
public struct LabelmeExporter: Exporter {
    /// The labelme file format version written; labelme 5 reads it.
    public static let version = "5.5.0"

    let context: ExportContext
    public let imageFolder = ""

    public init(_ context: ExportContext) { self.context = context }

    public mutating func begin(into sink: inout some ExportSink) throws {}

    public mutating func add(_ item: ExportItem, into sink: inout some ExportSink) throws {
        try sink.write(JSONWriter.pretty(Self.document(item)), to: "\(item.stem).json")
    }

    public mutating func finish(_ summary: ExportSummary, into sink: inout some ExportSink) throws {
        try sink.write(Self.readme.text(context, summary), to: "README.md")
    }

    /// The labelme document of one image: `imagePath` relative to the JSON file
    /// (same folder), `imageData` null so the image is read from that path.
    public static func document(_ item: ExportItem) -> JSONValue {
        let shapes: [JSONValue] = item.regions.map { region in
            let points: [Point]
            let type: String
            switch region.shape {
            case .box(let b):
                points = [Point(x: b.x, y: b.y), Point(x: b.x + b.width, y: b.y + b.height)]
                type = "rectangle"
            case .polygon(let p):
                points = p
                type = "polygon"
            }
            return .object([
                ("label", .string(region.tag)),
                ("points", .array(points.map { .array([.number($0.x), .number($0.y)]) })),
                ("group_id", .null),
                ("description", .string("")),
                ("shape_type", .string(type)),
                ("flags", .object([])),
                ("mask", .null),
            ])
        }
        return .object([
            ("version", .string(version)),
            ("flags", .object([])),
            ("shapes", .array(shapes)),
            ("imagePath", .string(item.name)),
            ("imageData", .null),
            ("imageHeight", .number(Double(item.image.height))),
            ("imageWidth", .number(Double(item.image.width))),
        ])
    }

    static let readme = ExportReadme(
        title: "labelme",
        files: [
            "`NAME.json` beside each image `NAME.png` (or `.jpg`): open the folder in labelme.",
        ],
        conventions: [
            "Points are pixels, origin at the image's top-left corner, x right, y down; fractions kept.",
            "A box is a `rectangle` shape with two points: top-left and bottom-right corners.",
            "A polygon is a `polygon` shape with its points in order; it closes itself (the first point is not repeated).",
            "`imagePath` is relative to the JSON file; `imageData` is null (no image embedded).",
            "An image with an empty `shapes` list was labeled \"nothing here\".",
        ],
        firstClassID: nil)
}
