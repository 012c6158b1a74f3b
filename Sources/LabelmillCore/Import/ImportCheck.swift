/// Imported labels are checked as strictly as a labeler's page.json (SPEC
/// section 3): known tags, one tag on a multi-class image, boxes and polygons
/// inside the image with finite numbers, simple polygons. Nothing that fails
/// is imported; each failure names its place in the source.
public enum ImportCheck {
    /// The record's labels for an image of `width` x `height`, or every reason they cannot be used.
    public static func resolve(_ record: ImportRecord, task: TaskKind, tags: [String], width: Int, height: Int)
        -> Result<ImportedLabel, ImportReasons> {
        switch record.label {
        case .tags(let found):
            guard task.isClassification else {
                return .failure(ImportReasons(["tags on a whole image, but this is a \(task.rawValue) project"]))
            }
            var errors: [String] = []
            for tag in found where !tags.contains(tag) { errors.append(unknown(tag, tags)) }
            if task == .multiClass && found.count != 1 {
                errors.append("a multi-class image needs exactly one tag, not \(found.count)")
            }
            var unique: [String] = []
            for tag in found where !unique.contains(tag) { unique.append(tag) }
            return errors.isEmpty ? .success(ImportedLabel(tags: unique)) : .failure(ImportReasons(errors))
        case .regions(let raw):
            guard !task.isClassification else {
                return .failure(ImportReasons(["regions, but this is a \(task.rawValue) project (tags on whole images)"]))
            }
            return check(raw.map { ($0.place, pixels($0, width: width, height: height).json) }, task: task, tags: tags,
                         width: width, height: height)
        case .labelStudio(let results):
            if task.isClassification { return .failure(ImportReasons(["no choices in this Label Studio annotation"])) }
            let body = JSONValue.object([("results", .array([.object([("result", .array(results)), ("score", .number(1))])]))])
            switch LabelStudioWire.answerLine(Array(JSONWriter.compact(body).utf8), id: 0, task: task, width: width, height: height) {
            case .failure(let problem): guard case .invalid(_, let why) = problem else { return .failure(ImportReasons([problem.description])) }
                return .failure(ImportReasons([why]))
            case .success(let (line, dropped, origins)):
                guard dropped.isEmpty else { return .failure(ImportReasons(dropped)) }
                guard let node = try? StrictJSON.parse(line), case .array(let regions)? = node["regions"]?.kind else {
                    return .failure(ImportReasons(["the results could not be read"]))
                }
                let items: [(String, JSONValue)] = zip(origins, regions).map { origin, region in
                    guard case .object(let members) = region.value else { return ("result \(origin)", region.value) }
                    return ("result \(origin)", .object(members.filter { $0.0 != "confidence" }))
                }
                return check(items, task: task, tags: tags, width: width, height: height)
            }
        }
    }

    static func unknown(_ tag: String, _ tags: [String]) -> String {
        "unknown tag \(JSONWriter.compact(.string(tag))); the project's tags are \(tags.map { JSONWriter.compact(.string($0)) }.joined(separator: ", "))"
    }

    /// A region with fractions turned into pixels (to a ten-thousandth, so 0.5 of 640 is 320 exactly).
    static func pixels(_ raw: RawRegion, width: Int, height: Int) -> Region {
        guard raw.normalized else { return Region(tag: raw.tag, shape: raw.shape) }
        let (w, h) = (Double(width), Double(height))
        func px(_ v: Double, _ side: Double) -> Double { (v * side * 10_000).rounded() / 10_000 }
        switch raw.shape {
        case .box(let b):
            return Region(tag: raw.tag, shape: .box(Box(x: px(b.x, w), y: px(b.y, h), width: px(b.width, w), height: px(b.height, h))))
        case .polygon(let points):
            return Region(tag: raw.tag, shape: .polygon(points.map { Point(x: px($0.x, w), y: px($0.y, h)) }))
        }
    }

    /// Each region by the page's rules; all of them, or the reasons of those that fail.
    static func check(_ items: [(place: String, region: JSONValue)], task: TaskKind, tags: [String], width: Int, height: Int)
        -> Result<ImportedLabel, ImportReasons> {
        var review = PageReview(expected: nil, files: nil)
        review.task = task
        review.pageTags = tags
        review.pageTagSet = Set(tags)
        var regions: [Region] = []
        var errors: [String] = []
        for (place, value) in items {
            guard let node = try? StrictJSON.parse(JSONWriter.compact(value)) else {
                errors.append("\(place): not a region")
                continue
            }
            if case .object(let members) = value, let tag = members.first(where: { $0.0 == "tag" })?.1.stringValue, !tags.contains(tag) {
                errors.append("\(place): \(unknown(tag, tags))")
                continue
            }
            let before = review.errorCount
            review.region(node, "", label: place, size: (Double(width), Double(height)))
            if let error = review.firstError(after: before) {
                errors.append("\(place): \(error)")
                continue
            }
            guard let region = Region(json: value) else {
                errors.append("\(place): not a region")
                continue
            }
            regions.append(region)
        }
        return errors.isEmpty ? .success(ImportedLabel(regions: regions)) : .failure(ImportReasons(errors))
    }
}

/// Why an image's imported labels cannot be used, one reason each.
public struct ImportReasons: Error, Sendable, Equatable {
    public var reasons: [String]
    public init(_ reasons: [String]) { self.reasons = reasons }
}
