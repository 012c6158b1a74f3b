/// CSV as labelmill exports it (RFC 4180, a header row): `image` and `tags`
/// (`;` between tags) a row per image; or `image`, `tag`, `shape` (`box` or
/// `polygon`), `x`, `y`, `box_width`, `box_height` and `points` (`x1 y1 x2
/// y2 ...`) a row per region, in pixels, with the region fields empty on the
/// row of an image labeled "nothing here". Other columns are ignored.
enum CSVImport {
    static func records(_ source: some ImportSource, file: String, task: TaskKind) throws(ImportProblem) -> [ImportRecord] {
        let text = try ImportReader.text(ImportReader.need(source, file, expected: "a CSV export holds labels.csv"), file: file)
        let rows = try parse(text, file: file)
        guard let header = rows.first?.fields else { throw ImportProblem(file: file, message: "empty: no header row") }
        func column(_ name: String) throws(ImportProblem) -> Int {
            guard let k = header.firstIndex(of: name) else {
                throw ImportProblem(file: file, place: "line 1", message: "no \"\(name)\" column; the header has \(header.joined(separator: ", "))")
            }
            return k
        }
        let image = try column("image")
        var order: [String] = []
        var labels: [String: RawLabel] = [:]
        var places: [String: String] = [:]
        if task.isClassification {
            let tags = try column("tags")
            for row in rows.dropFirst() {
                guard row.fields.count == header.count else { throw width(row, header, file) }
                let name = row.fields[image]
                guard labels[name] == nil else {
                    throw ImportProblem(file: file, place: "line \(row.line)", message: "image \(name) has a second row; a classification row holds all its tags")
                }
                order.append(name)
                places[name] = "\(file): line \(row.line)"
                labels[name] = .tags(row.fields[tags].split(separator: ";", omittingEmptySubsequences: true).map(String.init))
            }
        } else {
            let (tag, shape) = (try column("tag"), try column("shape"))
            let (x, y, w, h, points) = (try column("x"), try column("y"), try column("box_width"), try column("box_height"), try column("points"))
            var regions: [String: [RawRegion]] = [:]
            for row in rows.dropFirst() {
                guard row.fields.count == header.count else { throw width(row, header, file) }
                let name = row.fields[image]
                let place = "line \(row.line)"
                if regions[name] == nil {
                    order.append(name)
                    places[name] = "\(file): \(place)"
                    regions[name] = []
                }
                let f = row.fields
                guard !(f[tag].isEmpty && f[shape].isEmpty) else { continue }
                func number(_ k: Int) throws(ImportProblem) -> Double {
                    guard let v = Double(f[k]), v.isFinite else {
                        throw ImportProblem(file: file, place: place, message: "\(header[k]) \"\(f[k])\" is not a number")
                    }
                    return v
                }
                switch f[shape] {
                case "box":
                    let box = Box(x: try number(x), y: try number(y), width: try number(w), height: try number(h))
                    regions[name]!.append(RawRegion(tag: f[tag], shape: task == .polygon ? .polygon(ExportGeometry.corners(box)) : .box(box), place: place))
                case "polygon":
                    guard task == .polygon else { throw ImportProblem(file: file, place: place, message: "a polygon, but this is a bbox project") }
                    let values = f[points].split(separator: " ").map { Double($0) }
                    guard values.count >= 6, values.count % 2 == 0, values.allSatisfy({ $0?.isFinite == true }) else {
                        throw ImportProblem(file: file, place: place, message: "points must be \"x1 y1 x2 y2 x3 y3 ...\" in pixels")
                    }
                    let v = values.map { $0! }
                    regions[name]!.append(RawRegion(tag: f[tag], shape: .polygon(stride(from: 0, to: v.count, by: 2).map { Point(x: v[$0], y: v[$0 + 1]) }), place: place))
                default:
                    throw ImportProblem(file: file, place: place, message: "shape \"\(f[shape])\" is neither box nor polygon")
                }
            }
            for (name, list) in regions { labels[name] = .regions(list) }
        }
        return order.map { ImportRecord(place: places[$0]!, image: $0, localImage: $0, label: labels[$0]!) }
    }

    static func width(_ row: (line: Int, fields: [String]), _ header: [String], _ file: String) -> ImportProblem {
        ImportProblem(file: file, place: "line \(row.line)", message: "\(row.fields.count) fields, but the header has \(header.count)")
    }

    /// RFC 4180 rows with the line each starts on; a quoted field may hold commas, quotes ("") and line breaks.
    static func parse(_ text: String, file: String) throws(ImportProblem) -> [(line: Int, fields: [String])] {
        var rows: [(Int, [String])] = []
        var fields: [String] = []
        var field = ""
        var (line, start) = (1, 1)
        var quoted = false, wasQuoted = false
        var scalars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func endRow() {
            fields.append(field)
            if !(fields.count == 1 && fields[0].isEmpty && !wasQuoted) { rows.append((start, fields)) }
            (fields, field, wasQuoted) = ([], "", false)
        }
        while let c = pending ?? scalars.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    let next = scalars.next()
                    if next == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = next }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty: (quoted, wasQuoted) = (true, true)
            case ",": fields.append(field); field = ""
            case "\r": break
            case "\n":
                endRow()
                line += 1
                start = line
            default: field.unicodeScalars.append(c)
            }
        }
        if quoted { throw ImportProblem(file: file, place: "line \(start)", message: "a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty { endRow() }
        return rows
    }
}
