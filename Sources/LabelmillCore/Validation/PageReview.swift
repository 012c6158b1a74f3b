/// One walk over a parsed page in file order, collecting errors; the rules it applies
/// are extensions in the Rule* files.
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
    private(set) var found: [(offset: Int, order: Int, error: PageError)] = []

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
            case "assist":
                assistNote(v)
            default:
                unknownKey(m, in: "", allowed: SubmissionValidator.pageKeys)
            }
        }
        reportMissingPageKeys(root)
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
        reportImagesNotListed(node, listed: listed, accounted: &accounted)
    }

    mutating func image(_ item: JSONNode, index: Int, listedNames: Set<String>,
                        listed: inout [String: Int], accounted: inout Set<String>) {
        let p = "/images/\(index)"
        guard case .object(let members) = item.kind else {
            report(item, p, "image \(index + 1) must be an object like { \"file\": ..., \"width\": ..., ... }, not \(kindName(item))")
            return
        }
        let name = item["file"]?.stringValue
        let label = name.map { "image \(index + 1) (\(quoted($0)))" } ?? "image \(index + 1)"

        // Which of the daemon's images this is, and whether the folder agrees.
        let (daemon, folder) = identifyImage(item, index: index, listedNames: listedNames, listed: &listed, accounted: &accounted)

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
            case "label_source":
                requireChoice(v, mp, m.key, LabelSource.allCases.map(\.rawValue))
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
        reportMissingImageKeys(item, p, label: label, daemon: daemon)
        requireLabel(item, p, label: label)
    }

    // MARK: Regions

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
            case "prelabel":
                regionPrelabel(v, mp)
            case "label_source":
                requireChoice(v, mp, m.key, LabelSource.allCases.map(\.rawValue))
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
                unknownKey(m, in: p, allowed: ["tag", shapeKey, "comment", "prelabel"])
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
}
