/// Azure ML JSON Lines, as its data labeling export writes them and AutoML for
/// images reads them: one line per image.
public struct AzureMLExporter: Exporter {
    public static let file = "labels.jsonl"

    let context: ExportContext
    public let imageFolder = "images"

    public init(_ context: ExportContext) { self.context = context }

    public mutating func begin(into sink: inout some ExportSink) throws {
        try sink.append("", to: Self.file)
    }

    public mutating func add(_ item: ExportItem, into sink: inout some ExportSink) throws {
        try sink.append(JSONWriter.compact(Self.line(item, context: context)) + "\n", to: Self.file)
    }

    public mutating func finish(_ summary: ExportSummary, into sink: inout some ExportSink) throws {
        try sink.write(Self.readme.text(context, summary), to: "README.md")
    }

    /// One line: `image_url`, `image_details`, `label` (a tag, a list of tags, or a
    /// list of regions in 0-1 coordinates) and `label_confidence` (1 for human labels).
    public static func line(_ item: ExportItem, context: ExportContext) -> JSONValue {
        let w = Double(max(item.image.width, 1)), h = Double(max(item.image.height, 1))
        func nx(_ v: Double) -> JSONValue { .number(min(max(v / w, 0), 1)) }
        func ny(_ v: Double) -> JSONValue { .number(min(max(v / h, 0), 1)) }
        let label: JSONValue
        let confidence: JSONValue
        switch context.task {
        case .multiClass:
            label = .string(item.tags.first ?? "")
            // A model's suggestion that the labeler kept carries the model's confidence, as Azure's did.
            let kept = item.image.labelSource == .modelAccepted ? item.image.prelabels?.first?.confidence : nil
            confidence = .number(kept ?? 1)
        case .multiLabel:
            label = .array(item.tags.map(JSONValue.string))
            confidence = .array(item.tags.map { _ in .number(1) })
        case .bbox, .polygon:
            label = .array(item.regions.map { region in
                switch region.shape {
                case .box(let b):
                    return .object([
                        ("label", .string(region.tag)),
                        ("topX", nx(b.x)), ("topY", ny(b.y)),
                        ("bottomX", nx(b.x + b.width)), ("bottomY", ny(b.y + b.height)),
                        ("isCrowd", .number(0)),
                    ])
                case .polygon(let points):
                    return .object([
                        ("label", .string(region.tag)),
                        ("isCrowd", .number(0)),
                        ("polygon", .array([.array(points.flatMap { [nx($0.x), ny($0.y)] })])),
                    ])
                }
            })
            confidence = .array(item.regions.map { _ in .number(1) })
        }
        return .object([
            ("image_url", .string(item.imagePath)),
            ("image_details", .object([
                ("format", .string(ExportNaming.fileExtension(of: item.name))),
                ("width", .number(Double(item.image.width))),
                ("height", .number(Double(item.image.height))),
            ])),
            ("label", label),
            ("label_confidence", confidence),
        ])
    }

    static let readme = ExportReadme(
        title: "Azure ML JSON Lines",
        files: [
            "`labels.jsonl`: one JSON object a line, one line per image, in export order.",
            "`images/`: the images. `image_url` is relative to this folder's root: upload the folder to a datastore and prefix `image_url` with the datastore path (`azureml://.../paths/<folder>/`).",
        ],
        conventions: [
            "`image_details`: `format` (the file extension), `width` and `height` in pixels.",
            "multi-class: `label` is the tag. multi-label: `label` is the list of tags. `label_confidence` is 1 (or a list of 1s) for a label set by a person; for a model's suggestion that the labeler kept (`label_source` `model-accepted`, ML assist), the model's confidence.",
            "Boxes: `label` is a list of `{label, topX, topY, bottomX, bottomY, isCrowd}`; corners are divided by the image's width and height (0 to 1), origin at the top-left.",
            "Polygons: `label` is a list of `{label, isCrowd, polygon}`; `polygon` is a list holding one flat list `[x1, y1, x2, y2, ...]` divided by the image's width and height.",
            "`isCrowd` is always 0. An image with an empty `label` list was labeled \"nothing here\".",
        ],
        firstClassID: nil)
}
