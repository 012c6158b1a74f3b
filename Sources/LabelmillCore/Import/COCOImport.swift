/// COCO (`annotations.json`): `images` with `file_name`, `annotations` with
/// `image_id`, `category_id`, `bbox` `[x, y, width, height]` in pixels and
/// `segmentation` flat polygons; `categories` name the ids. An image with no
/// annotations was labeled "nothing here".
enum COCOImport {
    static func records(_ source: some ImportSource, file: String, task: TaskKind) throws(ImportProblem) -> [ImportRecord] {
        let root = try ImportReader.json(ImportReader.need(source, file, expected: "a COCO export holds annotations.json"), file: file)
        guard let images = root["images"]?.arrayValue, let annotations = root["annotations"]?.arrayValue,
              let categories = root["categories"]?.arrayValue else {
            throw ImportProblem(file: file, message: "not COCO: it needs the lists \"images\", \"annotations\" and \"categories\"")
        }
        var names: [Double: String] = [:]
        for (k, category) in categories.enumerated() {
            guard let id = ImportReader.number(category["id"]), let name = category["name"]?.stringValue else {
                throw ImportProblem(file: file, place: "categories[\(k)]", message: "a category needs a number \"id\" and a string \"name\"")
            }
            names[id] = name
        }
        var order: [Double] = []
        var byID: [Double: (name: String, regions: [RawRegion])] = [:]
        var index: [Double: Int] = [:]
        for (k, image) in images.enumerated() {
            guard let id = ImportReader.number(image["id"]), let name = image["file_name"]?.stringValue, !name.isEmpty else {
                throw ImportProblem(file: file, place: "images[\(k)]", message: "an image needs a number \"id\" and a string \"file_name\"")
            }
            guard byID[id] == nil else { throw ImportProblem(file: file, place: "images[\(k)]", message: "image id \(ExportText.number(id)) is used twice") }
            order.append(id)
            index[id] = k
            byID[id] = (name, [])
        }
        for (k, annotation) in annotations.enumerated() {
            let place = "annotations[\(k)]"
            guard let imageID = ImportReader.number(annotation["image_id"]), byID[imageID] != nil else {
                throw ImportProblem(file: file, place: place, message: "\"image_id\" names no image in \"images\"")
            }
            guard let categoryID = ImportReader.number(annotation["category_id"]), let tag = names[categoryID] else {
                throw ImportProblem(file: file, place: place, message: "\"category_id\" names no category in \"categories\"")
            }
            for shape in try shapes(annotation, task: task, file: file, place: place) {
                byID[imageID]!.regions.append(RawRegion(tag: tag, shape: shape, place: place))
            }
        }
        return order.map { id in
            let (name, regions) = byID[id]!
            return ImportRecord(place: "\(file): images[\(index[id]!)]", image: name, localImage: "images/" + name, label: .regions(regions))
        }
    }

    /// A bbox project takes `bbox`; a polygon project each polygon of `segmentation`, or the box's corners without one.
    static func shapes(_ annotation: JSONValue, task: TaskKind, file: String, place: String) throws(ImportProblem) -> [Region.Shape] {
        let bbox = annotation["bbox"]?.arrayValue
        let box: Box? = bbox.flatMap { b in
            guard b.count == 4, let x = ImportReader.number(b[0]), let y = ImportReader.number(b[1]),
                  let w = ImportReader.number(b[2]), let h = ImportReader.number(b[3]) else { return nil }
            return Box(x: x, y: y, width: w, height: h)
        }
        if task == .bbox {
            guard let box else { throw ImportProblem(file: file, place: place, message: "\"bbox\" must be [x, y, width, height] in pixels") }
            return [.box(box)]
        }
        switch annotation["segmentation"] {
        case .array(let polygons)?:
            var out: [Region.Shape] = []
            for (k, polygon) in polygons.enumerated() {
                guard let flat = polygon.arrayValue, let points = ImportReader.flatPoints(flat) else {
                    throw ImportProblem(file: file, place: "\(place).segmentation[\(k)]", message: "a polygon must be a flat list [x1, y1, x2, y2, ...]")
                }
                out.append(.polygon(points))
            }
            if !out.isEmpty { return out }
        case .object?:
            throw ImportProblem(file: file, place: "\(place).segmentation", message: "a run-length mask (RLE) is not a polygon; labelmill imports polygons")
        default: break
        }
        guard let box else { throw ImportProblem(file: file, place: place, message: "neither a polygon in \"segmentation\" nor a \"bbox\"") }
        return [.polygon(ExportGeometry.corners(box))]
    }
}
