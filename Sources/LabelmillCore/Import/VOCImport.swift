/// Pascal VOC: `Annotations/NAME.xml` per image (or the XML files in the
/// folder itself), `filename`, and each `object`'s `name` and `bndbox`
/// with 1-based inclusive corners `xmin ymin xmax ymax`.
enum VOCImport {
    static func records(_ source: some ImportSource) throws(ImportProblem) -> [ImportRecord] {
        var folder = "Annotations"
        var names = source.files(in: folder).filter { $0.lowercased().hasSuffix(".xml") }
        if names.isEmpty {
            folder = ""
            names = source.files(in: "").filter { $0.lowercased().hasSuffix(".xml") }
        }
        guard !names.isEmpty else {
            throw ImportProblem(file: "Annotations", message: "no .xml files; a Pascal VOC export holds Annotations/NAME.xml")
        }
        var records: [ImportRecord] = []
        for name in names {
            let file = ImportReader.join(folder, name)
            let text = try ImportReader.text(ImportReader.need(source, file, expected: ""), file: file)
            guard let annotation = XMLElements.outermost("annotation", in: text) else {
                throw ImportProblem(file: file, message: "not a Pascal VOC annotation: no <annotation> element")
            }
            guard let image = XMLElements.first("filename", in: annotation).map(XMLElements.unescaped), !image.isEmpty else {
                throw ImportProblem(file: file, message: "no <filename>: the image this annotation is for")
            }
            var regions: [RawRegion] = []
            for (k, object) in XMLElements.all("object", in: annotation).enumerated() {
                let place = "object \(k + 1)"
                guard let tag = XMLElements.first("name", in: object).map(XMLElements.unescaped) else {
                    throw ImportProblem(file: file, place: place, message: "no <name>")
                }
                guard let box = XMLElements.first("bndbox", in: object) else {
                    throw ImportProblem(file: file, place: place, message: "no <bndbox>")
                }
                var corner: [Double] = []
                for key in ["xmin", "ymin", "xmax", "ymax"] {
                    guard let v = XMLElements.first(key, in: box).flatMap({ Double($0.trimmingSpaces) }), v.isFinite else {
                        throw ImportProblem(file: file, place: place, message: "<\(key)> must be a number")
                    }
                    corner.append(v)
                }
                // 1-based inclusive corners: a box at x 0 with width 10 has xmin 1 and xmax 10.
                let b = Box(x: corner[0] - 1, y: corner[1] - 1, width: corner[2] - corner[0] + 1, height: corner[3] - corner[1] + 1)
                regions.append(RawRegion(tag: tag, shape: .box(b), place: place))
            }
            records.append(ImportRecord(place: file, image: image, localImage: "JPEGImages/" + image, label: .regions(regions)))
        }
        return records
    }
}

/// Just enough XML for annotation files: the text inside named elements.
enum XMLElements {
    /// The content of each `<name>...</name>` (or `<name attr="...">`) at any depth, in order.
    static func all(_ name: String, in text: String) -> [String] {
        var out: [String] = []
        var rest = text[...]
        while let open = rest.firstRange(of: "<\(name)") {
            let after = rest[open.upperBound...]
            guard let next = after.first, next == ">" || next == " " || next == "\t" || next == "\n" || next == "\r" || next == "/" else {
                rest = after
                continue
            }
            guard let end = after.firstIndex(of: ">") else { break }
            if end > after.startIndex && after[after.index(before: end)] == "/" {
                out.append("")
                rest = after[after.index(after: end)...]
                continue
            }
            let body = after[after.index(after: end)...]
            guard let close = body.firstRange(of: "</\(name)>") else { break }
            out.append(String(body[..<close.lowerBound]))
            rest = body[close.upperBound...]
        }
        return out
    }

    static func first(_ name: String, in text: String) -> String? { all(name, in: text).first }

    /// The content of the outermost `<name>` element: up to its last closing tag, so that
    /// an element of the same name inside it (VOC's `<source><annotation>`) does not end it.
    static func outermost(_ name: String, in text: String) -> String? {
        guard let open = text.firstRange(of: "<\(name)"), let end = text[open.upperBound...].firstIndex(of: ">"),
              let close = text.ranges(of: "</\(name)>").last, close.lowerBound > end else { return nil }
        return String(text[text.index(after: end)..<close.lowerBound])
    }

    /// Character data with its entities replaced; CDATA kept as it is.
    static func unescaped(_ text: String) -> String {
        var s = text.trimmingSpaces
        if s.hasPrefix("<![CDATA["), s.hasSuffix("]]>") { return String(s.dropFirst(9).dropLast(3)) }
        guard s.contains("&") else { return s }
        var out = ""
        while let amp = s.firstIndex(of: "&") {
            out += s[..<amp]
            guard let semi = s[amp...].firstIndex(of: ";") else { break }
            let entity = String(s[s.index(after: amp)..<semi])
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                let code = entity.hasPrefix("#x") ? UInt32(entity.dropFirst(2), radix: 16) : entity.hasPrefix("#") ? UInt32(entity.dropFirst()) : nil
                if let code, let scalar = Unicode.Scalar(code) { out.unicodeScalars.append(scalar) } else { out += "&\(entity);" }
            }
            s = String(s[s.index(after: semi)...])
        }
        return out + s
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and line ends.
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
