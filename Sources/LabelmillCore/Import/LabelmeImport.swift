/// labelme: a `NAME.json` per image with `imagePath` and `shapes`, each a
/// `label`, `points` in pixels and `shape_type` `rectangle` (two corners) or
/// `polygon`. An empty `shapes` list is an image labeled "nothing here".
enum LabelmeImport {
    static func records(_ source: some ImportSource, task: TaskKind) throws(ImportProblem) -> [ImportRecord] {
        let names = source.files(in: "").filter { $0.lowercased().hasSuffix(".json") }
        guard !names.isEmpty else {
            throw ImportProblem(file: ".", message: "no .json files; a labelme folder holds NAME.json beside each image")
        }
        var records: [ImportRecord] = []
        for file in names {
            let root = try ImportReader.json(ImportReader.need(source, file, expected: ""), file: file)
            guard let image = root["imagePath"]?.stringValue, !image.isEmpty, let shapes = root["shapes"]?.arrayValue else {
                throw ImportProblem(file: file, message: "not a labelme file: it needs \"imagePath\" and a \"shapes\" list")
            }
            var regions: [RawRegion] = []
            for (k, shape) in shapes.enumerated() {
                let place = "shapes[\(k)]"
                guard let tag = shape["label"]?.stringValue, let list = shape["points"]?.arrayValue else {
                    throw ImportProblem(file: file, place: place, message: "a shape needs a string \"label\" and \"points\"")
                }
                var points: [Point] = []
                for point in list {
                    guard let xy = point.arrayValue, xy.count == 2, let x = ImportReader.number(xy[0]), let y = ImportReader.number(xy[1]) else {
                        throw ImportProblem(file: file, place: place, message: "each point must be [x, y] in pixels")
                    }
                    points.append(Point(x: x, y: y))
                }
                let type = shape["shape_type"]?.stringValue ?? "polygon"
                switch type {
                case "rectangle":
                    guard points.count == 2 else { throw ImportProblem(file: file, place: place, message: "a rectangle has two points (opposite corners)") }
                    let box = ExportGeometry.bounds(points)
                    regions.append(RawRegion(tag: tag, shape: task == .polygon ? .polygon(ExportGeometry.corners(box)) : .box(box), place: place))
                case "polygon":
                    guard task == .polygon else {
                        throw ImportProblem(file: file, place: place, message: "a polygon, but this is a bbox project (import rectangles)")
                    }
                    regions.append(RawRegion(tag: tag, shape: .polygon(points), place: place))
                default:
                    throw ImportProblem(file: file, place: place, message: "shape_type \"\(type)\" is neither rectangle nor polygon")
                }
            }
            let folder = file.contains("/") ? String(file[..<file.lastIndex(of: "/")!]) : ""
            records.append(ImportRecord(place: file, image: image, localImage: ImportReader.join(folder, image), label: .regions(regions)))
        }
        return records
    }
}
