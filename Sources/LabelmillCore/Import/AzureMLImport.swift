/// Azure ML data labeling's JSON Lines: a line per image with `image_url`
/// and `label`: the tag (multi-class), a list of tags (multi-label), or a
/// list of `{label, topX, topY, bottomX, bottomY}` boxes or `{label,
/// polygon}` polygons, as fractions of the image's sides.
enum AzureMLImport {
    static func records(_ source: some ImportSource, file: String, task: TaskKind) throws(ImportProblem) -> [ImportRecord] {
        let text = try ImportReader.text(ImportReader.need(source, file, expected: "an Azure ML export holds labels.jsonl"), file: file)
        var records: [ImportRecord] = []
        for (number, line) in ImportReader.lines(text) where !line.trimmingSpaces.isEmpty {
            let place = "line \(number)"
            let object: JSONValue
            do { object = try StrictJSON.parse(line).value } catch {
                throw ImportProblem(file: file, place: "\(number):\(error.position.column)", message: "not JSON: \(error.message)")
            }
            guard let url = object["image_url"]?.stringValue, !url.isEmpty, let label = object["label"] else {
                throw ImportProblem(file: file, place: place, message: "a line needs \"image_url\" and \"label\"")
            }
            let raw: RawLabel
            switch (task, label) {
            case (.multiClass, .string(let tag)): raw = .tags([tag])
            case (.multiLabel, .array(let tags)):
                let names = tags.compactMap(\.stringValue)
                guard names.count == tags.count else { throw ImportProblem(file: file, place: place, message: "\"label\" must be a list of tag names") }
                raw = .tags(names)
            case (.bbox, .array(let items)), (.polygon, .array(let items)):
                raw = .regions(try items.enumerated().map { k, item throws(ImportProblem) in try region(item, task: task, file: file, place: "\(place), label[\(k)]") })
            default:
                throw ImportProblem(file: file, place: place, message: "\"label\" is not what a \(task.rawValue) project's Azure ML labels hold")
            }
            let path = imagePath(url)
            records.append(ImportRecord(place: "\(file): \(place)", image: path, localImage: path, label: raw))
        }
        return records
    }

    static func region(_ item: JSONValue, task: TaskKind, file: String, place: String) throws(ImportProblem) -> RawRegion {
        guard let tag = item["label"]?.stringValue else { throw ImportProblem(file: file, place: place, message: "a region needs a string \"label\"") }
        if let outline = item["polygon"]?.arrayValue {
            guard task == .polygon else { throw ImportProblem(file: file, place: place, message: "a polygon, but this is a bbox project") }
            guard let first = outline.first?.arrayValue, let points = ImportReader.flatPoints(first) else {
                throw ImportProblem(file: file, place: place, message: "\"polygon\" must hold one flat list [x1, y1, x2, y2, ...] of fractions")
            }
            return RawRegion(tag: tag, shape: .polygon(points), normalized: true, place: place)
        }
        guard let x0 = ImportReader.number(item["topX"]), let y0 = ImportReader.number(item["topY"]),
              let x1 = ImportReader.number(item["bottomX"]), let y1 = ImportReader.number(item["bottomY"]) else {
            throw ImportProblem(file: file, place: place, message: "a box needs numbers topX, topY, bottomX and bottomY (fractions of the sides)")
        }
        let box = Box(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
        return RawRegion(tag: tag, shape: task == .polygon ? .polygon(ExportGeometry.corners(box)) : .box(box), normalized: true, place: place)
    }

    /// `image_url` without a datastore prefix (`azureml://.../paths/folder/a.png` -> `folder/a.png`).
    static func imagePath(_ url: String) -> String {
        if let range = url.firstRange(of: "/paths/") { return String(url[range.upperBound...]) }
        if let scheme = url.firstRange(of: "://") {
            let rest = url[scheme.upperBound...]
            return rest.firstIndex(of: "/").map { String(rest[rest.index(after: $0)...]) } ?? String(rest)
        }
        return url
    }
}
