/// What the file system found for one file in a page folder (computed by the FS layer).
public struct PageFolderFile: Sendable, Equatable {
    public var name: String
    public var sha256: String
    /// Pixel size when the file was probed as an image.
    public var width: Int?
    public var height: Int?
    /// Why the file could not be read as an image file (a link, a FIFO, no
    /// permission), in words that follow its name; nil when it was read.
    public var problem: String?

    public init(name: String, sha256: String, width: Int? = nil, height: Int? = nil, problem: String? = nil) {
        self.name = name; self.sha256 = sha256; self.width = width; self.height = height; self.problem = problem
    }
}

/// The outcome of checking one page.json text.
public struct PageCheck: Sendable {
    /// The parsed text; nil when it is not strict JSON.
    public var node: JSONNode?
    /// Every problem, in file order, positioned in the text that was checked.
    public var errors: [PageError]
    /// What the check compared against, kept so the page can be rewritten and re-checked.
    var expected: PageManifest?
    var files: [PageFolderFile]?

    public var isStrictJSON: Bool { node != nil }
    public var isValid: Bool { errors.isEmpty }

    /// The page as a manifest, when the text is strict JSON of the right shape.
    public var manifest: PageManifest? {
        guard let node else { return nil }
        return try? PageManifest(json: node.value)
    }
}

/// Validation of a submitted page.json (SPEC section 3, rules 1-6). Pure: the
/// caller reads the text and the page folder; errors are values.
public enum SubmissionValidator {
    public static let pageKeys = ["$schema", "project", "page", "revision", "task", "tags", "status",
                                  "assigned_to", "comment", "images", "errors"]
    /// Image keys; an image holds `tags` (classification) or `regions` (bbox, polygon), not both.
    public static let imageKeys = ["file", "width", "height", "source", "sha256", "tags", "regions", "comment", "prelabels"]
    /// Region keys; a region holds `box` (bbox) or `polygon` (polygon tasks).
    public static let regionKeys = ["tag", "box", "polygon", "comment"]
    public static let boxKeys = ["x", "y", "width", "height"]
    public static let prelabelKeys = ["tag", "confidence", "model", "box", "polygon"]
    public static let errorKeys = ["line", "column", "pointer", "message"]
    public static let maxPolygonPoints = 10_000

    /// Checks a page.json text.
    /// - expected: the daemon's own copy of the page, or nil when unknown (a laptop copy):
    ///   then the daemon's values are checked only against what the folder shows.
    /// - files: the files in the page folder other than page.json, ERRORS.txt and
    ///   hidden or temporary names, or nil when unknown.
    /// - labelsRequired: false for a page saved while it is being labeled (the web page's
    ///   PUT): every other rule holds, but an image may still be unlabeled.
    public static func check(_ bytes: [UInt8], expected: PageManifest?, files: [PageFolderFile]?,
                             labelsRequired: Bool = true) -> PageCheck {
        let root: JSONNode
        do {
            root = try StrictJSON.parse(bytes)
        } catch {
            let e = PageError(line: error.position.line, column: error.position.column, pointer: "", message: error.message)
            return PageCheck(node: nil, errors: [e], expected: expected, files: files)
        }
        var review = PageReview(expected: expected, files: files)
        review.labelsRequired = labelsRequired
        review.page(root)
        return PageCheck(node: root, errors: review.sortedErrors, expected: expected, files: files)
    }

    /// For a strict-JSON page that failed: the page.json text the daemon writes back,
    /// the same content with status "rejected", old "errors" dropped and the new errors
    /// as the last key, positioned in this text. Nil when the page passed, is not strict
    /// JSON (it is never rewritten: its errors go to ERRORS.txt), is not an object, or
    /// only its "status" or old "errors" were wrong (the rewrite replaces both).
    public static func rejectedText(for check: PageCheck) -> (text: String, errors: [PageError])? {
        guard let node = check.node, !check.errors.isEmpty, case .object = node.kind,
              case .object(var members) = node.value else { return nil }
        members.removeAll { $0.0 == "errors" }
        if let k = members.firstIndex(where: { $0.0 == "status" }) {
            members[k].1 = .string(PageStatus.rejected.rawValue)
        } else {
            let k = members.firstIndex { $0.0 == "images" } ?? members.count
            members.insert(("status", .string(PageStatus.rejected.rawValue)), at: k)
        }
        func text(with errors: [PageError], compact: Bool) -> String {
            let page = JSONValue.object(members + [("errors", .array(errors.map(\.json)))])
            return compact ? JSONWriter.compact(page) + "\n" : JSONWriter.pretty(page)
        }
        // Write once with the old positions, re-check to learn the positions in the new
        // layout, then write again: the errors come last, so nothing above them moves.
        // Pretty-printed when that fits in a page's 16 MiB, else on one line: a
        // rewrite the daemon would refuse to read helps nobody.
        var compact = false
        var draft = text(with: check.errors, compact: false)
        if draft.utf8.count > StrictJSON.maxBytes {
            compact = true
            draft = text(with: check.errors, compact: true)
        }
        let recheck = Self.check(Array(draft.utf8), expected: check.expected, files: check.files)
        guard !recheck.errors.isEmpty else { return nil }
        return (text(with: recheck.errors, compact: compact), recheck.errors)
    }
}

/// One walk over a parsed page, collecting errors.
struct PageReview {
    let expected: PageManifest?
    let files: [PageFolderFile]?
    let expectedByName: [String: PageImage]
    let filesByName: [String: PageFolderFile]
    /// The task and tags that govern the labels: the daemon's when known.
    var task: TaskKind?
    var pageTags: [String]?
    var pageTagSet: Set<String> = []
    /// Rule 3 (every image labeled) applies; off while a page is still being labeled.
    var labelsRequired = true
    private var found: [(offset: Int, order: Int, error: PageError)] = []

    init(expected: PageManifest?, files: [PageFolderFile]?) {
        self.expected = expected
        self.files = files
        var byName: [String: PageImage] = [:]
        for image in expected?.images ?? [] where byName[image.file] == nil { byName[image.file] = image }
        expectedByName = byName
        var filesByName: [String: PageFolderFile] = [:]
        for file in files ?? [] { filesByName[file.name] = file }
        self.filesByName = filesByName
    }

    /// At most this many errors are listed; a page with more gets a count in the last one.
    static let errorsListed = 200

    var sortedErrors: [PageError] {
        var errors = found.sorted { ($0.offset, $0.order) < ($1.offset, $1.order) }.map(\.error)
        if errors.count > Self.errorsListed {
            let more = errors.count - Self.errorsListed + 1
            errors.removeLast(more - 1)
            errors[errors.count - 1].message = "... and \(more) more errors; fix these and check again"
        }
        return errors
    }

    mutating func report(_ position: JSONPosition, _ pointer: String, _ message: String) {
        found.append((position.offset, found.count,
                      PageError(line: position.line, column: position.column, pointer: pointer, message: message)))
    }

    mutating func report(_ node: JSONNode, _ pointer: String, _ message: String) {
        report(node.position, pointer, message)
    }

    // MARK: Page

    mutating func page(_ root: JSONNode) {
        guard case .object(let members) = root.kind else {
            report(root, "", "page.json must be a JSON object, { \"project\": ..., \"images\": [...] }, not \(kindName(root))")
            return
        }
        if let expected {
            task = expected.task
            pageTags = expected.tags
        } else {
            task = root["task"]?.stringValue.flatMap(TaskKind.init(rawValue:))
            pageTags = root["tags"]?.stringList
        }
        pageTagSet = Set(pageTags ?? [])

        for m in members {
            let v = m.value, p = pointer("", m.key)
            switch m.key {
            case "$schema", "assigned_to", "comment":
                requireString(v, p, m.key)
            case "project":
                if requireString(v, p, m.key) { unchanged(v, p, m.key, expected.map { .string($0.project) }) }
            case "page":
                if requireString(v, p, m.key) { unchanged(v, p, m.key, expected.map { .string($0.page) }) }
            case "revision":
                if requireWholeNumber(v, p, m.key, minimum: 0) {
                    unchanged(v, p, m.key, expected.map { .number(Double($0.revision)) })
                }
            case "task":
                if requireChoice(v, p, m.key, TaskKind.allCases.map(\.rawValue)) {
                    unchanged(v, p, m.key, expected.map { .string($0.task.rawValue) })
                }
            case "tags":
                if v.stringList == nil {
                    report(v, p, "\"tags\" must be the list of the page's tag names, like [\"Dog\", \"Cat\"], not \(kindName(v))")
                } else {
                    unchanged(v, p, m.key, expected.map { .array($0.tags.map(JSONValue.string)) })
                }
            case "status":
                requireChoice(v, p, m.key, PageStatus.allCases.map(\.rawValue))
            case "images":
                images(v)
            case "errors":
                errorList(v)
            default:
                unknownKey(m, in: "", allowed: SubmissionValidator.pageKeys)
            }
        }
        for key in ["project", "page", "revision", "task", "tags", "status", "images"] where root.member(key) == nil {
            var message = "page.json is missing \"\(key)\""
            if let expected, key != "images", key != "status", case .object(let values) = expected.json,
               let value = values.first(where: { $0.0 == key })?.1 {
                message += "; put back the daemon's value: \"\(key)\": \(JSONWriter.compact(value))"
            } else if key == "status" {
                message += "; add \"status\": \"submitted\" to hand the page in"
            }
            report(root, "", message)
        }
    }

    // MARK: Images

    mutating func images(_ node: JSONNode) {
        guard case .array(let items) = node.kind else {
            report(node, "/images", "\"images\" must be the list of the page's images, not \(kindName(node))")
            return
        }
        let listedNames = Set(items.compactMap { $0["file"]?.stringValue })
        var listed: [String: Int] = [:]
        // Names of the daemon's images (and folder files) already accounted for.
        var accounted = Set<String>()
        for (index, item) in items.enumerated() {
            image(item, index: index, listedNames: listedNames, listed: &listed, accounted: &accounted)
        }
        if let expected {
            for image in expected.images where !accounted.contains(image.file) && listed[image.file] == nil {
                report(node, "/images", "image \(quoted(image.file)) is missing from \"images\"; put its entry back as the daemon wrote it")
                accounted.insert(image.file)
            }
        }
        for file in files ?? [] where listed[file.name] == nil && !accounted.contains(file.name) {
            report(node, "/images", "\(quoted(file.name)) is in the page folder but not listed in images")
        }
    }

    mutating func image(_ item: JSONNode, index: Int, listedNames: Set<String>,
                        listed: inout [String: Int], accounted: inout Set<String>) {
        let p = "/images/\(index)"
        guard case .object(let members) = item.kind else {
            report(item, p, "image \(index + 1) must be an object like { \"file\": ..., \"width\": ..., ... }, not \(kindName(item))")
            return
        }
        let fileNode = item["file"]
        let name = fileNode?.stringValue
        let label = name.map { "image \(index + 1) (\(quoted($0)))" } ?? "image \(index + 1)"

        // Which of the daemon's images this is, and whether the folder agrees.
        var daemon: PageImage?
        var folder: PageFolderFile?
        if fileNode == nil, let expected, index < expected.images.count, !listedNames.contains(expected.images[index].file) {
            // "file" was deleted: this is the daemon's image at the same place.
            daemon = expected.images[index]
            accounted.insert(expected.images[index].file)
        }
        if let fileNode, let name {
            let fp = p + "/file"
            if let problem = fileNameProblem(name) {
                report(fileNode, fp, problem)
            } else if let first = listed[name] {
                report(fileNode, fp, "image \(quoted(name)) is listed twice (also as image \(first + 1)); remove one")
            } else {
                listed[name] = index
                var known = true
                if let expected {
                    if let match = expectedByName[name] {
                        daemon = match
                        accounted.insert(name)
                    } else if index < expected.images.count, !listedNames.contains(expected.images[index].file) {
                        let original = expected.images[index]
                        report(fileNode, fp, "\"file\" was changed from \(quoted(original.file)) to \(quoted(name)); the daemon's values must stay as written")
                        daemon = original
                        accounted.insert(original.file)
                        accounted.insert(name)
                        known = false
                    } else {
                        report(fileNode, fp, "image \(quoted(name)) is not one of this page's images; remove it from \"images\"")
                        accounted.insert(name)
                        known = false
                    }
                }
                if known, files != nil {
                    if let file = filesByName[name] {
                        folder = file
                        let recorded = daemon?.sha256 ?? item["sha256"]?.stringValue
                        if let problem = file.problem {
                            report(fileNode, fp, "\(quoted(name)) \(problem)")
                        } else if let recorded, recorded.lowercased() != file.sha256.lowercased() {
                            report(fileNode, fp, "\(quoted(name)) was altered: its SHA-256 no longer matches")
                        }
                    } else {
                        report(fileNode, fp, "image \(quoted(name)) is listed but not in the page folder")
                    }
                }
            }
        }

        // The size that boxes and polygons must fit in: the daemon's, else the file's, else as listed.
        var width = daemon?.width ?? folder?.width
        var height = daemon?.height ?? folder?.height
        if width == nil, let w = item["width"]?.wholeNumber, w > 0 { width = Int(w) }
        if height == nil, let h = item["height"]?.wholeNumber, h > 0 { height = Int(h) }
        let size = (width != nil && height != nil) ? (width: Double(width!), height: Double(height!)) : nil

        for m in members {
            let v = m.value, mp = pointer(p, m.key)
            switch m.key {
            case "file":
                requireString(v, mp, "file")
            case "width", "height":
                guard requireWholeNumber(v, mp, m.key, minimum: 1) else { break }
                let kept = m.key == "width" ? daemon?.width : daemon?.height
                if let kept {
                    unchanged(v, mp, m.key, .number(Double(kept)))
                } else if let probed = m.key == "width" ? folder?.width : folder?.height,
                          let listedValue = v.wholeNumber, Int(listedValue) != probed {
                    let what = m.key == "width" ? "wide" : "high"
                    report(v, mp, "\"\(m.key)\" is \(literal(v)) but the image \(quoted(name ?? "")) is \(probed) pixels \(what); the daemon's values must stay as written")
                }
            case "source":
                if requireString(v, mp, "source"), let daemon { unchanged(v, mp, "source", .string(daemon.source)) }
            case "sha256":
                if requireString(v, mp, "sha256"), let daemon { unchanged(v, mp, "sha256", .string(daemon.sha256)) }
            case "comment":
                requireString(v, mp, "comment")
            case "prelabels":
                prelabels(v, mp)
            case "tags":
                if let task, !task.isClassification {
                    report(m.keyPosition, mp, "\"tags\" is for classification pages; this is a \(task.rawValue) page: label \(label) with \"regions\" instead")
                } else if task != nil {
                    classification(v, mp, label: label)
                }
            case "regions":
                if let task, task.isClassification {
                    report(m.keyPosition, mp, "\"regions\" is for bbox and polygon pages; this is a \(task.rawValue) page: label \(label) with \"tags\" instead")
                } else if task != nil {
                    regions(v, mp, label: label, size: size)
                }
            default:
                let allowed = SubmissionValidator.imageKeys.filter { key in
                    guard let task else { return true }
                    return task.isClassification ? key != "regions" : key != "tags"
                }
                unknownKey(m, in: p, allowed: allowed)
            }
        }
        for key in ["file", "width", "height", "source", "sha256"] where item.member(key) == nil {
            var message = "\(label) is missing \"\(key)\""
            if let daemon, case .object(let values) = daemon.json(task: task ?? .multiClass),
               let value = values.first(where: { $0.0 == key })?.1 {
                message += "; put back the daemon's value: \"\(key)\": \(JSONWriter.compact(value))"
            }
            report(item, p, message)
        }
        if let task {
            let labelKey = task.isClassification ? "tags" : "regions"
            if item.member(labelKey) == nil, item.member(task.isClassification ? "regions" : "tags") == nil {
                reportUnlabeled(item, p, label)
            }
        }
    }

    /// Why a `file` value is not a plain file name, or nil.
    func fileNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "\"file\" must name the image file; it is empty" }
        if name.contains("/") || name.contains("\\") || name == "." || name == ".." {
            return "\"file\" must be a plain file name, not a path: \(quoted(name))"
        }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 }) {
            return "\"file\" must be a plain file name; \(quoted(name)) holds a control character"
        }
        return nil
    }

    // MARK: Labels

    mutating func reportUnlabeled(_ node: JSONNode, _ p: String, _ label: String) {
        if labelsRequired { report(node, p, unlabeled(label)) }
    }

    func unlabeled(_ label: String) -> String {
        switch task {
        case .multiClass: return "\(label) has no tag yet; choose one of: \(tagChoices)"
        case .multiLabel: return "\(label) has no tag yet; choose one or more of: \(tagChoices)"
        default: return "\(label) is not labeled yet: add its regions, or write \"regions\": [] if there is nothing to mark"
        }
    }

    var tagChoices: String {
        guard let tags = pageTags else { return "the page's tags" }
        let shown = tags.prefix(12).joined(separator: ", ")
        return tags.count > 12 ? "\(shown), ... (\(tags.count) tags in all, listed in \"tags\")" : shown
    }

    mutating func classification(_ node: JSONNode, _ p: String, label: String) {
        switch node.kind {
        case .null:
            reportUnlabeled(node, p, label)
        case .array(let items):
            if items.isEmpty {
                reportUnlabeled(node, p, label)
                return
            }
            if task == .multiClass, items.count > 1 {
                report(node, p, "\(label) has \(items.count) tags, but this is a multi-class page: keep exactly one")
            }
            var seen = Set<String>()
            for (k, item) in items.enumerated() {
                let ip = "\(p)/\(k)"
                guard case .string(let tag) = item.kind else {
                    report(item, ip, "tag \(k + 1) of \(label) must be a tag name in double quotes, not \(kindName(item))")
                    continue
                }
                if !seen.insert(tag).inserted {
                    if task == .multiLabel {
                        report(item, ip, "tag \(quoted(tag)) is listed twice for \(label); remove one")
                    }
                    continue
                }
                checkTag(item, ip, tag)
            }
        default:
            report(node, p, "\"tags\" of \(label) must be a list of tag names, like [\"\(pageTags?.first ?? "Dog")\"], not \(kindName(node))")
        }
    }

    /// Rule 4: a tag is one of the page's tags, exactly.
    mutating func checkTag(_ node: JSONNode, _ p: String, _ tag: String) {
        guard let tags = pageTags, !pageTagSet.contains(tag) else { return }
        // Suggestions cost a comparison with every tag: none once the listed errors are full.
        if found.count < Self.errorsListed, let near = Suggest.nearest(to: tag, in: tags) {
            let caseOnly = near.lowercased() == tag.lowercased() ? " (capitals matter)" : ""
            report(node, p, "unknown tag \(quoted(tag)); did you mean \(quoted(near))?\(caseOnly)")
        } else {
            report(node, p, "unknown tag \(quoted(tag)); the page's tags are: \(tagChoices)")
        }
    }

    mutating func regions(_ node: JSONNode, _ p: String, label: String, size: (width: Double, height: Double)?) {
        switch node.kind {
        case .null:
            reportUnlabeled(node, p, label)
        case .array(let items):
            for (k, item) in items.enumerated() {
                region(item, "\(p)/\(k)", label: "region \(k + 1) of \(label)", size: size)
            }
        default:
            report(node, p, "\"regions\" of \(label) must be a list of regions, or [] if there is nothing to mark, not \(kindName(node))")
        }
    }

    mutating func region(_ node: JSONNode, _ p: String, label: String, size: (width: Double, height: Double)?) {
        let shapeKey = task == .bbox ? "box" : "polygon"
        guard case .object(let members) = node.kind else {
            let example = task == .bbox ? "{\"tag\": \"Dog\", \"box\": {\"x\": 10, \"y\": 20, \"width\": 50, \"height\": 40}}"
                : "{\"tag\": \"Dog\", \"polygon\": [[10, 10], [50, 12], [30, 40]]}"
            report(node, p, "\(label) must be an object like \(example), not \(kindName(node))")
            return
        }
        var wrongShape = false
        for m in members {
            let v = m.value, mp = pointer(p, m.key)
            switch m.key {
            case "tag":
                if case .string(let tag) = v.kind {
                    checkTag(v, mp, tag)
                } else {
                    report(v, mp, "\"tag\" must be a tag name in double quotes, one of: \(tagChoices); not \(kindName(v))")
                }
            case "comment":
                requireString(v, mp, "comment")
            case "box" where task == .bbox:
                box(v, mp, size: size)
            case "polygon" where task == .polygon:
                polygon(v, mp, size: size)
            case "box":
                wrongShape = true
                report(m.keyPosition, mp, "\"box\" is for bbox pages; this is a polygon page: give the region a \"polygon\", a list of [x, y] points")
            case "polygon":
                wrongShape = true
                report(m.keyPosition, mp, "\"polygon\" is for polygon pages; this is a bbox page: give the region a \"box\" with \"x\", \"y\", \"width\" and \"height\"")
            default:
                unknownKey(m, in: p, allowed: ["tag", shapeKey, "comment"])
            }
        }
        if node.member("tag") == nil {
            report(node, p, "\(label) has no \"tag\"; choose one of: \(tagChoices)")
        }
        if node.member(shapeKey) == nil, !wrongShape {
            let how = task == .bbox ? "add one like \"box\": {\"x\": 10, \"y\": 20, \"width\": 50, \"height\": 40}"
                : "add one like \"polygon\": [[10, 10], [50, 12], [30, 40]]"
            report(node, p, "\(label) has no \"\(shapeKey)\"; \(how)")
        }
    }

    // MARK: Shapes

    mutating func box(_ node: JSONNode, _ p: String, size: (width: Double, height: Double)?) {
        guard case .object(let members) = node.kind else {
            report(node, p, "\"box\" must be an object like {\"x\": 10, \"y\": 20, \"width\": 50, \"height\": 40}, not \(kindName(node))")
            return
        }
        var values: [String: (Double, JSONNode)] = [:]
        for m in members {
            let mp = pointer(p, m.key)
            guard SubmissionValidator.boxKeys.contains(m.key) else {
                unknownKey(m, in: p, allowed: SubmissionValidator.boxKeys)
                continue
            }
            guard case .number(let n, _) = m.value.kind, n.isFinite else {
                report(m.value, mp, "\"\(m.key)\" of a box must be a number of pixels, not \(kindName(m.value))")
                continue
            }
            values[m.key] = (n, m.value)
        }
        let missing = SubmissionValidator.boxKeys.filter { node.member($0) == nil }
        if !missing.isEmpty {
            report(node, p, "the box is missing \(missing.map { "\"\($0)\"" }.joined(separator: ", ")); a box needs \"x\", \"y\", \"width\" and \"height\"")
        }
        guard let (x, xNode) = values["x"], let (y, yNode) = values["y"],
              let (w, wNode) = values["width"], let (h, hNode) = values["height"] else { return }
        if w <= 0 { report(wNode, p + "/width", "box width must be greater than 0, not \(literal(wNode))") }
        if h <= 0 { report(hNode, p + "/height", "box height must be greater than 0, not \(literal(hNode))") }
        if x < 0 { report(xNode, p + "/x", "box extends past the left edge: x = \(literal(xNode)) < 0") }
        if y < 0 { report(yNode, p + "/y", "box extends past the top edge: y = \(literal(yNode)) < 0") }
        guard let size else { return }
        if x + w > size.width {
            report(node, p, "box extends past the right edge: x + width = \(number(x + w)) > image width \(number(size.width))")
        }
        if y + h > size.height {
            report(node, p, "box extends past the bottom edge: y + height = \(number(y + h)) > image height \(number(size.height))")
        }
    }

    /// Point problems listed one by one in a polygon before the rest are only counted.
    static let pointProblemsShown = 10

    mutating func polygon(_ node: JSONNode, _ p: String, size: (width: Double, height: Double)?) {
        guard case .array(let items) = node.kind else {
            report(node, p, "\"polygon\" must be a list of [x, y] points, like [[10, 10], [50, 12], [30, 40]], not \(kindName(node))")
            return
        }
        let limit = SubmissionValidator.maxPolygonPoints
        if items.count > limit {
            report(node, p, "a polygon may have at most 10,000 points; this one has \(items.count)")
            return
        }
        var sound = true
        if items.count < 3 {
            report(node, p, "a polygon needs at least 3 points; this one has \(items.count)")
            sound = false
        }
        var points: [Point] = []
        points.reserveCapacity(items.count)
        // Problems with single points: the first few are listed, the rest counted.
        var pointProblems = 0
        func pointProblem(_ k: Int, _ message: String) {
            pointProblems += 1
            if pointProblems <= Self.pointProblemsShown {
                report(items[k], "\(p)/\(k)", message)
            }
        }
        // "(x, y)" as the labeler wrote the point.
        func shown(_ k: Int) -> String {
            guard case .array(let xy) = items[k].kind, xy.count == 2 else { return "" }
            return "(\(literal(xy[0])), \(literal(xy[1])))"
        }
        for (k, item) in items.enumerated() {
            guard case .array(let xy) = item.kind, xy.count == 2,
                  case .number(let x, let xl) = xy[0].kind, case .number(let y, let yl) = xy[1].kind else {
                pointProblem(k, "point \(k + 1) must be [x, y], two numbers, not \(kindName(item))")
                sound = false
                points.append(Point(x: .nan, y: .nan))
                continue
            }
            let point = Point(x: x, y: y)
            points.append(point)
            if let size {
                var outside: String?
                if x < 0 { outside = "x = \(xl) < 0" }
                else if x > size.width { outside = "x = \(xl) > image width \(number(size.width))" }
                else if y < 0 { outside = "y = \(yl) < 0" }
                else if y > size.height { outside = "y = \(yl) > image height \(number(size.height))" }
                if let outside {
                    pointProblem(k, "point \(k + 1) \(shown(k)) is outside the image: \(outside)")
                    sound = false
                }
            }
            if k > 0, points[k - 1] == point {
                pointProblem(k, "point \(k + 1) repeats point \(k) \(shown(k)); remove one of them")
                sound = false
            }
        }
        if items.count >= 3, let last = points.last, last == points[0] {
            pointProblem(items.count - 1, "the last point repeats the first \(shown(0)); remove it: a polygon closes itself")
            sound = false
        }
        if pointProblems > Self.pointProblemsShown {
            report(node, p, "this polygon has \(pointProblems) problems with its points; the first \(Self.pointProblemsShown) are listed")
        }
        guard sound else { return }
        let n = points.count
        if PolygonGeometry.isCollinear(points) {
            report(node, p, "the polygon has zero area: all its points lie on one line")
        } else if let k = PolygonGeometry.foldBack(points) {
            report(items[k], "\(p)/\(k)", "the outline turns straight back at point \(k + 1) \(shown(k)): the edges before and after it overlap")
        } else if let c = PolygonGeometry.firstCrossing(points) {
            func edge(_ e: Int) -> String { "from point \(e + 1) to point \((e + 1) % n + 1)" }
            report(items[c.second], "\(p)/\(c.second)",
                   "edges cross: the edge \(edge(c.first)) meets the edge \(edge(c.second)); a polygon's outline must not cross or touch itself")
        }
    }

    // MARK: Daemon-written lists

    mutating func prelabels(_ node: JSONNode, _ p: String) {
        guard case .array(let items) = node.kind else {
            report(node, p, "\"prelabels\" must be a list (the daemon writes it; you may leave it as it is), not \(kindName(node))")
            return
        }
        for (k, item) in items.enumerated() {
            let ip = "\(p)/\(k)"
            guard case .object(let members) = item.kind else {
                report(item, ip, "prelabel \(k + 1) must be an object, not \(kindName(item))")
                continue
            }
            for m in members {
                let v = m.value, mp = pointer(ip, m.key)
                switch m.key {
                case "tag", "model":
                    requireString(v, mp, m.key)
                case "confidence":
                    if case .number(let c, _) = v.kind, c >= 0, c <= 1 { break }
                    report(v, mp, "\"confidence\" must be a number from 0 to 1, not \(kindName(v))")
                case "box":
                    box(v, mp, size: nil)
                case "polygon":
                    if case .array(let points) = v.kind, points.allSatisfy({ $0.numberPair }) { break }
                    report(v, mp, "\"polygon\" of a prelabel must be a list of [x, y] points")
                default:
                    unknownKey(m, in: ip, allowed: SubmissionValidator.prelabelKeys)
                }
            }
        }
    }

    mutating func errorList(_ node: JSONNode) {
        guard case .array(let items) = node.kind else {
            report(node, "/errors", "\"errors\" must be a list (the daemon writes it; you may delete it), not \(kindName(node))")
            return
        }
        for (k, item) in items.enumerated() {
            let ip = "/errors/\(k)"
            guard case .object(let members) = item.kind else {
                report(item, ip, "error \(k + 1) must be an object with \"line\", \"column\", \"pointer\" and \"message\"")
                continue
            }
            for m in members {
                let mp = pointer(ip, m.key)
                switch m.key {
                case "line", "column": requireWholeNumber(m.value, mp, m.key, minimum: 1)
                case "pointer", "message": requireString(m.value, mp, m.key)
                default: unknownKey(m, in: ip, allowed: SubmissionValidator.errorKeys)
                }
            }
        }
    }

    // MARK: Keys, types, unchanged values

    /// Keys that are known somewhere in a page, and where they belong.
    static let homes: [String: String] = {
        var homes: [String: String] = [:]
        for key in ["file", "width", "height", "source", "sha256", "regions", "prelabels"] { homes[key] = "inside an image of \"images\"" }
        for key in ["tag", "box", "polygon"] { homes[key] = "inside a region of \"regions\"" }
        for key in ["project", "page", "revision", "task", "status", "assigned_to", "images", "errors"] { homes[key] = "at the top of page.json" }
        return homes
    }()

    mutating func unknownKey(_ m: JSONMember, in parent: String, allowed: [String]) {
        let p = pointer(parent, m.key)
        if let near = Suggest.nearest(to: m.key, in: allowed), near != m.key {
            report(m.keyPosition, p, "unknown key \(quoted(m.key)); did you mean \(quoted(near))?")
        } else if let home = Self.homes[m.key] {
            report(m.keyPosition, p, "unknown key \(quoted(m.key)) here; it belongs \(home)")
        } else {
            report(m.keyPosition, p, "unknown key \(quoted(m.key)); the keys allowed here are: \(allowed.joined(separator: ", "))")
        }
    }

    @discardableResult
    mutating func requireString(_ v: JSONNode, _ p: String, _ key: String) -> Bool {
        if case .string = v.kind { return true }
        report(v, p, "\"\(key)\" must be a string in double quotes, not \(kindName(v))")
        return false
    }

    @discardableResult
    mutating func requireWholeNumber(_ v: JSONNode, _ p: String, _ key: String, minimum: Double) -> Bool {
        if let n = v.wholeNumber, n >= minimum { return true }
        let range = minimum == 1 ? " greater than 0" : ""
        report(v, p, "\"\(key)\" must be a whole number\(range), not \(kindName(v))")
        return false
    }

    @discardableResult
    mutating func requireChoice(_ v: JSONNode, _ p: String, _ key: String, _ choices: [String]) -> Bool {
        if case .string(let s) = v.kind, choices.contains(s) { return true }
        var message = "\"\(key)\" must be one of \(choices.map(quoted).joined(separator: ", ")), not \(kindName(v))"
        if case .string(let s) = v.kind, let near = Suggest.nearest(to: s, in: choices) {
            message += "; did you mean \(quoted(near))?"
        }
        report(v, p, message)
        return false
    }

    /// Rule 2: a value the daemon wrote must stay as written.
    mutating func unchanged(_ v: JSONNode, _ p: String, _ key: String, _ original: JSONValue?) {
        guard let original, v.value != original else { return }
        report(v, p, "\"\(key)\" was changed from \(show(original)) to \(show(v)); the daemon's values must stay as written")
    }

    func show(_ value: JSONValue) -> String {
        let text = JSONWriter.compact(value)
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }

    func show(_ node: JSONNode) -> String {
        if case .number(_, let literal) = node.kind { return literal }
        return show(node.value)
    }

    /// A number as the labeler wrote it.
    func literal(_ node: JSONNode) -> String {
        if case .number(_, let literal) = node.kind { return literal }
        return show(node.value)
    }

    func number(_ n: Double) -> String { JSONWriter.formatNumber(n) }

    func kindName(_ node: JSONNode) -> String {
        switch node.kind {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(_, let literal): return "the number \(literal)"
        case .string(let s): return "the string \(show(.string(s)))"
        case .array: return "a list"
        case .object: return "an object"
        }
    }
}

/// An RFC 6901 pointer to `key` under `parent`.
func pointer(_ parent: String, _ key: String) -> String {
    var escaped = ""
    for c in key.unicodeScalars {
        switch c {
        case "~": escaped += "~0"
        case "/": escaped += "~1"
        default: escaped.unicodeScalars.append(c)
        }
    }
    return parent + "/" + escaped
}

extension JSONNode {
    var stringValue: String? { if case .string(let s) = kind { return s } else { return nil } }

    /// The value when it is a whole number that a Double holds exactly.
    var wholeNumber: Double? {
        guard case .number(let n, _) = kind, n == n.rounded(), abs(n) <= 9_007_199_254_740_992 else { return nil }
        return n
    }

    /// The strings of a list that holds only strings.
    var stringList: [String]? {
        guard case .array(let items) = kind else { return nil }
        var out: [String] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard case .string(let s) = item.kind else { return nil }
            out.append(s)
        }
        return out
    }

    var numberPair: Bool {
        guard case .array(let xy) = kind, xy.count == 2, case .number = xy[0].kind, case .number = xy[1].kind else { return false }
        return true
    }
}
