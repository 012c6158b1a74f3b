/// The files of an import's source, relative to its folder: what the readers
/// see (LabelmillFS reads the disk; tests hand in memory).
public protocol ImportSource {
    /// The bytes of `path`, nil when there is no such file.
    func read(_ path: String) throws(ImportProblem) -> [UInt8]?
    /// The names of the regular files in `folder` ("" is the source folder), sorted; empty when there is none.
    func files(in folder: String) -> [String]
}

/// Reads one format into records, one per image. A file that is not the
/// format (bad JSON, a missing field, a class id with no name) fails with the
/// file and the place; nothing is half read.
public enum ImportReader {
    public static func records(_ format: ImportFormat, from source: some ImportSource, file: String?, task: TaskKind) throws(ImportProblem) -> [ImportRecord] {
        switch format {
        case .coco: return try COCOImport.records(source, file: file ?? "annotations.json", task: task)
        case .voc: return try VOCImport.records(source)
        case .yolo: return try YOLOImport.records(source, task: task)
        case .labelme: return try LabelmeImport.records(source, task: task)
        case .azureml: return try AzureMLImport.records(source, file: file ?? "labels.jsonl", task: task)
        case .csv: return try CSVImport.records(source, file: file ?? "labels.csv", task: task)
        case .labelStudio: return try LabelStudioImport.records(source, file: file, task: task)
        }
    }

    /// The file's bytes, or a problem saying it is missing and what the format expects.
    static func need(_ source: some ImportSource, _ file: String, expected: String) throws(ImportProblem) -> [UInt8] {
        guard let bytes = try source.read(file) else {
            throw ImportProblem(file: file, message: "no such file; \(expected)")
        }
        return bytes
    }

    /// The file parsed as strict JSON; a syntax error names its line and column.
    static func json(_ bytes: [UInt8], file: String) throws(ImportProblem) -> JSONValue {
        do { return try StrictJSON.parse(bytes).value } catch {
            throw ImportProblem(file: file, place: "\(error.position.line):\(error.position.column)", message: "not JSON: \(error.message)")
        }
    }

    static func text(_ bytes: [UInt8], file: String) throws(ImportProblem) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ImportProblem(file: file, message: "not UTF-8 text")
        }
        return text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
    }

    /// Lines without their ends (LF or CRLF), numbered from 1.
    static func lines(_ text: String) -> [(number: Int, text: String)] {
        var out: [(Int, String)] = []
        for (k, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            out.append((k + 1, line.hasSuffix("\r") ? String(line.dropLast()) : String(line)))
        }
        if out.last?.1.isEmpty == true { out.removeLast() }
        return out
    }

    static func number(_ value: JSONValue?) -> Double? {
        guard let n = value?.numberValue, n.isFinite else { return nil }
        return n
    }

    /// A polygon from a flat list `[x1, y1, x2, y2, ...]`, nil when it is not one.
    static func flatPoints(_ values: [JSONValue]) -> [Point]? {
        guard values.count % 2 == 0 else { return nil }
        var points: [Point] = []
        var k = 0
        while k < values.count {
            guard let x = number(values[k]), let y = number(values[k + 1]) else { return nil }
            points.append(Point(x: x, y: y))
            k += 2
        }
        return points
    }

    /// The last part of a path or URL path (`images/cat.png` -> `cat.png`).
    public static func fileName(_ path: String) -> String {
        String(path.split(separator: "/").last ?? Substring(path))
    }

    /// `path` inside `folder` ("" is the source folder itself).
    static func join(_ folder: String, _ path: String) -> String { folder.isEmpty ? path : folder + "/" + path }

    static func stem(_ name: String) -> String { ExportNaming.stem(of: name) }

    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]
}
