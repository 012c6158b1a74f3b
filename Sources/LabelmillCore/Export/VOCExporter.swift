/// Pascal VOC: one XML file per image in `Annotations/`, images in `JPEGImages/`
/// (whatever their type), the list of stems in `ImageSets/Main/default.txt`.
public struct VOCExporter: Exporter {
    let context: ExportContext
    public let imageFolder = "JPEGImages"
    static let imageSet = "ImageSets/Main/default.txt"

    public init(_ context: ExportContext) { self.context = context }

    public mutating func begin(into sink: inout some ExportSink) throws {
        try sink.append("", to: Self.imageSet)
    }

    public mutating func add(_ item: ExportItem, into sink: inout some ExportSink) throws {
        try sink.write(Self.xml(item, context: context), to: "Annotations/\(item.stem).xml")
        try sink.append(item.stem + "\n", to: Self.imageSet)
    }

    public mutating func finish(_ summary: ExportSummary, into sink: inout some ExportSink) throws {
        try sink.write(context.tags.map { $0 + "\n" }.joined(), to: "labels.txt")
        try sink.write(Self.readme.text(context, summary), to: "README.md")
    }

    /// VOC's 1-based inclusive corners of `box` in an image of `width` x `height`:
    /// a box covering pixel columns 0...9 (x 0, width 10) is xmin 1, xmax 10.
    /// Fractional edges round to the nearest pixel edge; the result stays inside
    /// the image and at least one pixel wide.
    public static func corners(_ box: Box, width: Int, height: Int) -> (xmin: Int, ymin: Int, xmax: Int, ymax: Int) {
        func edges(_ start: Double, _ length: Double, _ limit: Int) -> (Int, Int) {
            let limit = max(limit, 1)
            let first = min(max(Int(start.rounded()) + 1, 1), limit)
            let last = min(max(Int((start + length).rounded()), first), limit)
            return (first, last)
        }
        let (xmin, xmax) = edges(box.x, box.width, width)
        let (ymin, ymax) = edges(box.y, box.height, height)
        return (xmin, ymin, xmax, ymax)
    }

    public static func xml(_ item: ExportItem, context: ExportContext) -> String {
        let e = ExportText.xmlEscaped
        var out = "<annotation>\n"
        out += "\t<folder>JPEGImages</folder>\n"
        out += "\t<filename>\(e(item.name))</filename>\n"
        out += "\t<source>\n\t\t<database>labelmill project \(e(context.project))</database>\n"
        out += "\t\t<annotation>labelmill</annotation>\n\t\t<image>\(e(item.page))/\(e(item.image.file))</image>\n\t</source>\n"
        out += "\t<size>\n\t\t<width>\(item.image.width)</width>\n\t\t<height>\(item.image.height)</height>\n\t\t<depth>3</depth>\n\t</size>\n"
        out += "\t<segmented>0</segmented>\n"
        for region in item.regions {
            let c = corners(region.bounds, width: item.image.width, height: item.image.height)
            out += "\t<object>\n\t\t<name>\(e(region.tag))</name>\n\t\t<pose>Unspecified</pose>\n"
            out += "\t\t<truncated>0</truncated>\n\t\t<difficult>0</difficult>\n\t\t<bndbox>\n"
            out += "\t\t\t<xmin>\(c.xmin)</xmin>\n\t\t\t<ymin>\(c.ymin)</ymin>\n"
            out += "\t\t\t<xmax>\(c.xmax)</xmax>\n\t\t\t<ymax>\(c.ymax)</ymax>\n"
            out += "\t\t</bndbox>\n\t</object>\n"
        }
        return out + "</annotation>\n"
    }

    static let readme = ExportReadme(
        title: "Pascal VOC",
        files: [
            "`Annotations/NAME.xml`: one file per image, named after the image without its extension.",
            "`JPEGImages/`: the images, kept in their own type (PNG stays PNG).",
            "`ImageSets/Main/default.txt`: the image names without extension, one a line, in export order.",
            "`labels.txt`: the class names, one a line, in tag order.",
        ],
        conventions: [
            "Corners `xmin ymin xmax ymax` are 1-based and inclusive, in whole pixels: a box at x 0 with width 10 covers columns 1 to 10. Fractional edges round to the nearest pixel edge.",
            "A polygon is written as its bounding box (VOC has no polygons; use the COCO, YOLO or labelme export for outlines).",
            "`depth` is always 3 and `truncated`, `difficult` are 0: labelmill does not record them.",
            "An image without objects was labeled \"nothing here\".",
        ],
        firstClassID: nil)
}
