/// Label Studio's JSON export: a list of tasks, each with `data.image` and
/// `annotations`, whose last one that was not cancelled holds `result`:
/// `rectanglelabels` and `polygonlabels` in percent of the image (converted
/// as for a Label Studio ML backend's predictions), or `choices` for
/// classification. A task without an annotation is not labeled, so it is left out.
public enum LabelStudioImport {
    static func records(_ source: some ImportSource, file: String?, task: TaskKind) throws(ImportProblem) -> [ImportRecord] {
        let name = file ?? source.files(in: "").first { $0.lowercased().hasSuffix(".json") } ?? "export.json"
        let root = try ImportReader.json(ImportReader.need(source, name, expected: "give the JSON file Label Studio exported"), file: name)
        guard let tasks = root.arrayValue else {
            throw ImportProblem(file: name, message: "not a Label Studio JSON export: it must be a list of tasks")
        }
        var records: [ImportRecord] = []
        for (k, item) in tasks.enumerated() {
            let place = "task \(k + 1)" + (ImportReader.number(item["id"]).map { " (id \(ExportText.number($0)))" } ?? "")
            guard let url = item["data"]?["image"]?.stringValue, !url.isEmpty else {
                throw ImportProblem(file: name, place: place, message: "no data.image: the image the task labels")
            }
            guard let annotations = item["annotations"]?.arrayValue else {
                throw ImportProblem(file: name, place: place, message: "no \"annotations\" list")
            }
            let kept = annotations.filter { $0["was_cancelled"]?.boolValue != true }
            guard let annotation = kept.last else { continue }
            guard let results = annotation["result"]?.arrayValue else {
                throw ImportProblem(file: name, place: place, message: "the annotation has no \"result\" list")
            }
            let label: RawLabel
            if task.isClassification {
                var tags: [String] = []
                for result in results where result["type"]?.stringValue?.lowercased() == "choices" {
                    guard let choices = result["value"]?["choices"]?.arrayValue?.compactMap(\.stringValue) else {
                        throw ImportProblem(file: name, place: place, message: "a choices result needs value.choices, a list of names")
                    }
                    tags += choices
                }
                label = .tags(tags)
            } else {
                label = .labelStudio(results)
            }
            let path = imagePath(url)
            records.append(ImportRecord(place: "\(name): \(place)", image: path, localImage: path, label: label))
        }
        return records
    }

    /// The image's path as Label Studio names it: `/data/local-files/?d=photos/a.png` -> `photos/a.png`;
    /// an upload `/data/upload/3/8f2a1b3c-a.png` -> `a.png` (Label Studio puts 8 hex digits and a dash before the name);
    /// a URL -> its path. Percent escapes are decoded.
    public static func imagePath(_ url: String) -> String {
        var path = url
        if let range = path.firstRange(of: "?d=") { path = String(path[range.upperBound...]) }
        else if let scheme = path.firstRange(of: "://") {
            let rest = path[scheme.upperBound...]
            path = rest.firstIndex(of: "/").map { String(rest[rest.index(after: $0)...]) } ?? ""
        }
        path = percentDecoded(path)
        if path.hasPrefix("/data/upload/") || path.hasPrefix("data/upload/") {
            let name = ImportReader.fileName(path)
            let prefix = name.prefix(9)
            if prefix.count == 9, prefix.last == "-", prefix.dropLast().allSatisfy(\.isHexDigit) { return String(name.dropFirst(9)) }
            return name
        }
        while path.hasPrefix("/") { path.removeFirst() }
        return path
    }

    static func percentDecoded(_ text: String) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let b = utf8.popFirst() {
            if b == UInt8(ascii: "%"), utf8.count >= 2, let v = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
