/// YOLO: `classes.txt` (or `obj.names`) names the 0-based class ids;
/// `labels/NAME.txt` per image in `images/`, a line `class cx cy w h` per box
/// or `class x1 y1 x2 y2 ...` per polygon, as fractions of the image's sides.
/// An empty label file is an image labeled "nothing here".
enum YOLOImport {
    static func records(_ source: some ImportSource, task: TaskKind) throws(ImportProblem) -> [ImportRecord] {
        let namesFile = ["classes.txt", "obj.names"].first { (try? source.read($0)) != nil } ?? "classes.txt"
        let classes = try ImportReader.lines(ImportReader.text(
            ImportReader.need(source, namesFile, expected: "a YOLO export names its classes in classes.txt, one a line"), file: namesFile))
            .map { $0.text.trimmingSpaces }
        var folder = "labels"
        var names = source.files(in: folder).filter { $0.hasSuffix(".txt") }
        if names.isEmpty {
            folder = ""
            names = source.files(in: "").filter { $0.hasSuffix(".txt") && $0 != "classes.txt" }
        }
        let images = source.files(in: "images").filter { ImportReader.imageExtensions.contains(ExportNaming.fileExtension(of: $0)) }
        var imageByStem: [String: String] = [:]
        for image in images where imageByStem[ImportReader.stem(image)] == nil { imageByStem[ImportReader.stem(image)] = image }
        var records: [ImportRecord] = []
        for name in names {
            let file = ImportReader.join(folder, name)
            var regions: [RawRegion] = []
            for (number, line) in try ImportReader.lines(ImportReader.text(ImportReader.need(source, file, expected: ""), file: file)) {
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard !fields.isEmpty else { continue }
                let place = "line \(number)"
                guard let id = Int(fields[0]), classes.indices.contains(id) else {
                    throw ImportProblem(file: file, place: place, message: "class id \"\(fields[0])\" is not a line of \(namesFile) (\(classes.count) classes, ids 0 to \(classes.count - 1))")
                }
                var values: [Double] = []
                for field in fields.dropFirst() {
                    guard let v = Double(field), v.isFinite else {
                        throw ImportProblem(file: file, place: place, message: "\"\(field)\" is not a number")
                    }
                    values.append(v)
                }
                let shape: Region.Shape
                if values.count == 4 {
                    let (cx, cy, w, h) = (values[0], values[1], values[2], values[3])
                    let box = Box(x: cx - w / 2, y: cy - h / 2, width: w, height: h)
                    shape = task == .polygon ? .polygon(ExportGeometry.corners(box)) : .box(box)
                } else if values.count >= 6 && values.count % 2 == 0 {
                    guard task == .polygon else {
                        throw ImportProblem(file: file, place: place, message: "a polygon (\(values.count / 2) points), but this is a bbox project: a box is `class cx cy w h`")
                    }
                    shape = .polygon(stride(from: 0, to: values.count, by: 2).map { Point(x: values[$0], y: values[$0 + 1]) })
                } else {
                    throw ImportProblem(file: file, place: place, message: "expected `class cx cy w h` or `class x1 y1 x2 y2 x3 y3 ...`, found \(values.count) numbers after the class")
                }
                regions.append(RawRegion(tag: classes[id], shape: shape, normalized: true, place: place))
            }
            let stem = ImportReader.stem(name)
            let image = imageByStem[stem]
            records.append(ImportRecord(place: file, image: image ?? stem, localImage: image.map { "images/" + $0 }, label: .regions(regions)))
        }
        return records
    }
}
