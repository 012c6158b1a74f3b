/// Why a labeler verb cannot do what was asked, in words for the labeler.
public struct LabelingRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The outcome of one verb: the page as it is now and a short line saying what changed.
public struct LabelEdit: Sendable, Equatable {
    public var page: JSONValue
    public var summary: String
    /// False when the page already was as asked (nothing to write).
    public var changed: Bool
}

/// The labeler verbs on a page.json tree (SPEC section 4). Pure: the command
/// reads and writes the file. Only the labels a verb names are touched; key
/// order, comments, unknown keys and the other images stay exactly as they were.
public struct PageLabeling: Sendable {
    public let page: JSONValue
    /// The page id for messages: its "page" value, else the folder's name.
    public let id: String
    public let task: TaskKind
    public let tags: [String]
    let images: [JSONValue]

    /// The size used when no box is on the page yet to copy (`--template`).
    public static let defaultTemplate = (width: 50.0, height: 50.0)

    /// Takes a page a labeler may edit: an `open` or `rejected` page.json object.
    public init(_ page: JSONValue, fallbackID: String) throws(LabelingRefusal) {
        guard case .object = page else { throw LabelingRefusal("page.json is not a JSON object; fix it by hand first") }
        self.page = page
        id = page["page"]?.stringValue ?? fallbackID
        let status = page["status"]?.stringValue ?? ""
        guard status == PageStatus.open.rawValue || status == PageStatus.rejected.rawValue else {
            let now = status.isEmpty ? "has no \"status\"" : "is \(status)"
            throw LabelingRefusal("\(id) \(now); only open or rejected pages can be labeled")
        }
        guard let taskName = page["task"]?.stringValue, let task = TaskKind(rawValue: taskName) else {
            throw LabelingRefusal("\(id) has no valid \"task\"; put back the daemon's value (`labelmill check` shows where)")
        }
        self.task = task
        guard let tags = page["tags"]?.arrayValue?.compactMap(\.stringValue), !tags.isEmpty else {
            throw LabelingRefusal("\(id) has no list of \"tags\"; put back the daemon's value (`labelmill check` shows where)")
        }
        self.tags = tags
        guard let images = page["images"]?.arrayValue else {
            throw LabelingRefusal("\(id) has no list of \"images\"; put back the daemon's value (`labelmill check` shows where)")
        }
        self.images = images
    }

    // MARK: Classification

    /// Applies a tag: on a multi-class page it replaces the image's tag, on a
    /// multi-label page it is added to the image's tags.
    public func tag(_ selection: ImageSelection, with choice: TagChoice) throws(LabelingRefusal) -> LabelEdit {
        try requireClassification(verb: "tag")
        let tag = try resolve(choice)
        let chosen = try select(selection)
        var edited = images
        var changed: [Int] = [], replaced: [String] = []
        for i in chosen {
            let current = try imageTags(i)
            let next: [String]
            if task == .multiClass {
                next = [tag]
                replaced += current.filter { $0 != tag }
            } else {
                next = current.contains(tag) ? current : current + [tag]
            }
            if next != current {
                edited[i].setMember("tags", .array(next.map(JSONValue.string)), after: "sha256")
                changed.append(i)
            }
        }
        let names = imageList(chosen)
        guard !changed.isEmpty else {
            return unchanged("\(names) already \(chosen.count == 1 ? "has" : "have") the tag \(quoted(tag)); nothing changed")
        }
        var summary = "tagged \(imageList(changed)) as \(quoted(tag))"
        if !replaced.isEmpty { summary += " (replacing \(distinct(replaced).map(quoted).joined(separator: ", ")))" }
        return edit(edited, summary)
    }

    /// Removes a tag from the selected images; an image left without tags is unlabeled again (null).
    public func untag(_ selection: ImageSelection, with choice: TagChoice) throws(LabelingRefusal) -> LabelEdit {
        try requireClassification(verb: "untag")
        let tag = try resolve(choice)
        let chosen = try select(selection)
        var edited = images
        var changed: [Int] = []
        for i in chosen {
            let current = try imageTags(i)
            guard current.contains(tag) else { continue }
            let next = current.filter { $0 != tag }
            edited[i].setMember("tags", next.isEmpty ? .null : .array(next.map(JSONValue.string)), after: "sha256")
            changed.append(i)
        }
        guard !changed.isEmpty else {
            return unchanged("\(imageList(chosen)) \(chosen.count == 1 ? "does" : "do") not have the tag \(quoted(tag)); nothing changed")
        }
        return edit(edited, "removed \(quoted(tag)) from \(imageList(changed))")
    }

    // MARK: Regions

    /// Adds a box to an image of a bbox page.
    public func addBox(image: String, tag choice: TagChoice, at placement: BoxPlacement) throws(LabelingRefusal) -> LabelEdit {
        try requireRegions(verb: "box", shape: "box")
        let i = try imageIndex(image)
        let tag = try resolve(choice)
        let box: Box
        switch placement {
        case .rect(let b): box = b
        case .template(let corner):
            let size = templateSize
            box = Box(x: corner.x, y: corner.y, width: size.width, height: size.height)
        }
        let region = Region(tag: tag, shape: .box(box))
        try check(region.shape, image: i)
        var regions = try imageRegions(i) ?? []
        regions.append(region.json)
        return edit(setting: regions, on: i, "\(imageName(i)): added box \(regions.count) \(quoted(tag)) \(describe(box))")
    }

    /// Adds a polygon to an image of a polygon page.
    public func addPolygon(image: String, tag choice: TagChoice, points: [Point]) throws(LabelingRefusal) -> LabelEdit {
        try requireRegions(verb: "polygon", shape: "polygon")
        let i = try imageIndex(image)
        let tag = try resolve(choice)
        let region = Region(tag: tag, shape: .polygon(points))
        try check(region.shape, image: i)
        var regions = try imageRegions(i) ?? []
        regions.append(region.json)
        return edit(setting: regions, on: i, "\(imageName(i)): added polygon \(regions.count) \(quoted(tag)) with \(points.count) points")
    }

    /// Deletes region `index` (1-based) of an image.
    public func deleteRegion(image: String, index: Int) throws(LabelingRefusal) -> LabelEdit {
        try requireRegions(verb: "region delete", shape: nil)
        let i = try imageIndex(image)
        var (regions, k) = try region(index, of: i)
        let was = regions[k]["tag"]?.stringValue.map { " \(quoted($0))" } ?? ""
        regions.remove(at: k)
        let left = regions.isEmpty ? "; none left (an empty list means \"nothing to mark\")" : ""
        return edit(setting: regions, on: i, "\(imageName(i)): deleted region \(index)\(was)\(left)")
    }

    /// Gives region `index` (1-based) of an image another tag.
    public func retagRegion(image: String, index: Int, tag choice: TagChoice) throws(LabelingRefusal) -> LabelEdit {
        try requireRegions(verb: "region retag", shape: nil)
        let i = try imageIndex(image)
        let tag = try resolve(choice)
        var (regions, k) = try region(index, of: i)
        guard case .object = regions[k] else { throw notAnObject(index, i) }
        let old = regions[k]["tag"]?.stringValue
        guard old != tag else { return unchanged("\(imageName(i)): region \(index) already has the tag \(quoted(tag)); nothing changed") }
        if case .object(let members) = regions[k], !members.contains(where: { $0.0 == "tag" }) {
            // A region without a tag gets one first, where the verbs put it.
            regions[k] = .object([("tag", .string(tag))] + members)
        } else {
            regions[k].setMember("tag", .string(tag))
        }
        let was = old.map { " (was \(quoted($0)))" } ?? ""
        return edit(setting: regions, on: i, "\(imageName(i)): region \(index) is now \(quoted(tag))\(was)")
    }

    /// Replaces the box or polygon of region `index` (1-based), keeping its tag.
    public func setRegion(image: String, index: Int, to shape: Region.Shape) throws(LabelingRefusal) -> LabelEdit {
        let key: String
        switch shape {
        case .box: key = "box"
        case .polygon: key = "polygon"
        }
        try requireRegions(verb: "region set", shape: key)
        let i = try imageIndex(image)
        var (regions, k) = try region(index, of: i)
        guard case .object = regions[k] else { throw notAnObject(index, i) }
        try check(shape, image: i)
        let value = Region(tag: "", shape: shape).json[key] ?? .null
        regions[k].setMember(key, value, after: "tag")
        let what: String
        switch shape {
        case .box(let b): what = "box \(describe(b))"
        case .polygon(let p): what = "polygon with \(p.count) points"
        }
        return edit(setting: regions, on: i, "\(imageName(i)): region \(index) is now a \(what)")
    }

    /// Deletes every region of an image, leaving `[]`: "nothing to mark here".
    public func clearRegions(image: String) throws(LabelingRefusal) -> LabelEdit {
        try requireRegions(verb: "region clear", shape: nil)
        let i = try imageIndex(image)
        let regions = try imageRegions(i)
        if let regions, regions.isEmpty {
            return unchanged("\(imageName(i)) already has no regions (\"nothing to mark\"); nothing changed")
        }
        let count = regions?.count ?? 0
        let what = count == 0 ? "marked as having nothing to mark"
            : count == 1 ? "deleted its region (nothing to mark)" : "deleted all \(count) regions (nothing to mark)"
        return edit(setting: [], on: i, "\(imageName(i)): \(what)")
    }

    /// The size `--template` gives a new box: that of the page's last box (verbs
    /// append, so when images are labeled in order this is the most recently
    /// added one), else 50x50.
    public var templateSize: (width: Double, height: Double) {
        for image in images.reversed() {
            for region in (image["regions"]?.arrayValue ?? []).reversed() {
                if let w = region["box"]?["width"]?.numberValue, let h = region["box"]?["height"]?.numberValue,
                   w.isFinite, h.isFinite, w > 0, h > 0 {
                    return (w, h)
                }
            }
        }
        return Self.defaultTemplate
    }

    // MARK: Resolving arguments

    /// The tag a name or key stands for on this page.
    public func resolve(_ choice: TagChoice) throws(LabelingRefusal) -> String {
        switch choice {
        case .key(let n):
            guard TagChoice.keys.contains(n) else {
                throw LabelingRefusal("key \(n) is not a tag key: the keys are 1 to 9, the page's first nine tags; use --tag NAME")
            }
            guard n <= tags.count else {
                throw LabelingRefusal("key \(n) is not set on \(id): it has \(tags.count) tag\(tags.count == 1 ? "" : "s"), \(keyList)")
            }
            return tags[n - 1]
        case .name(let name):
            if tags.contains(name) { return name }
            // The validator's wording, so a labeler sees the same message either way.
            var review = PageReview(expected: nil, files: nil)
            review.pageTags = tags
            review.pageTagSet = Set(tags)
            review.checkTag(JSONNode(.string(name), at: JSONPosition(line: 1, column: 1, offset: 0)), "", name)
            throw LabelingRefusal(review.sortedErrors.first?.message ?? "unknown tag \(quoted(name))")
        }
    }

    /// The page's tags with their keys, for messages: `1 "Dog", 2 "Cat"`.
    var keyList: String {
        let shown = tags.prefix(9).enumerated().map { "\($0.offset + 1) \(quoted($0.element))" }
        return shown.joined(separator: ", ")
    }

    /// The 0-based index of an image named by 1-based number or by file name.
    public func imageIndex(_ reference: String) throws(LabelingRefusal) -> Int {
        if let n = Int(reference), reference.allSatisfy(\.isASCII) {
            if n >= 1 && n <= images.count { return n - 1 }
            if let byName = indexOfFile(reference) { return byName }
            let range = images.count == 1 ? "image 1" : "images 1 to \(images.count)"
            throw LabelingRefusal("\(id) has \(images.count) image\(images.count == 1 ? "" : "s"); there is no image \(n) (use \(range) or a file name)")
        }
        if let byName = indexOfFile(reference) { return byName }
        let files = images.compactMap { $0["file"]?.stringValue }
        if let near = Suggest.nearest(to: reference, in: files) {
            throw LabelingRefusal("no image \(quoted(reference)) on \(id); did you mean \(quoted(near))?")
        }
        throw LabelingRefusal("no image \(quoted(reference)) on \(id); give an image number (1 to \(images.count)) or one of its file names")
    }

    func indexOfFile(_ name: String) -> Int? {
        images.firstIndex { $0["file"]?.stringValue == name }
    }

    func select(_ selection: ImageSelection) throws(LabelingRefusal) -> [Int] {
        switch selection {
        case .all:
            guard !images.isEmpty else { throw LabelingRefusal("\(id) has no images") }
            return Array(images.indices)
        case .some(let references):
            var out: [Int] = []
            for reference in references {
                let i = try imageIndex(reference)
                if !out.contains(i) { out.append(i) }
            }
            return out
        }
    }

    // MARK: Reading labels

    func requireClassification(verb: String) throws(LabelingRefusal) {
        guard !task.isClassification else { return }
        let right = task == .bbox ? "`labelmill box`" : "`labelmill polygon`"
        throw LabelingRefusal("\(id) is a \(task.rawValue) page: its images get regions, not tags; mark them with \(right) (or `labelmill region clear` when there is nothing to mark)")
    }

    /// Refuses regions on a classification page, and a shape of the other region task.
    func requireRegions(verb: String, shape: String?) throws(LabelingRefusal) {
        if task.isClassification {
            throw LabelingRefusal("\(id) is a \(task.rawValue) page: its images get tags, not regions; use `labelmill tag` (`labelmill \(verb)` is for bbox and polygon pages)")
        }
        if shape == "box", task == .polygon {
            throw LabelingRefusal("\(id) is a polygon page: mark regions with polygons (`labelmill polygon`, or `labelmill region set ... --points`), not boxes")
        }
        if shape == "polygon", task == .bbox {
            throw LabelingRefusal("\(id) is a bbox page: mark regions with boxes (`labelmill box`, or `labelmill region set ... --rect`), not polygons")
        }
    }

    /// An image's tags; [] when unlabeled. Refuses a value a verb cannot safely edit.
    func imageTags(_ i: Int) throws(LabelingRefusal) -> [String] {
        guard case .object = images[i] else { throw malformedImage(i) }
        guard let value = images[i]["tags"], !value.isNull else { return [] }
        guard let list = value.arrayValue else { throw malformed(i, "tags", "a list of tag names") }
        var out: [String] = []
        for item in list {
            guard let s = item.stringValue else { throw malformed(i, "tags", "a list of tag names") }
            out.append(s)
        }
        return out
    }

    /// An image's regions; nil when not labeled yet. Refuses a value a verb cannot safely edit.
    func imageRegions(_ i: Int) throws(LabelingRefusal) -> [JSONValue]? {
        guard case .object = images[i] else { throw malformedImage(i) }
        guard let value = images[i]["regions"], !value.isNull else { return nil }
        guard let list = value.arrayValue else { throw malformed(i, "regions", "a list of regions") }
        return list
    }

    /// An image's regions and the 0-based position of region `index` (1-based).
    func region(_ index: Int, of i: Int) throws(LabelingRefusal) -> ([JSONValue], Int) {
        let listed = try imageRegions(i)
        guard let regions = listed, !regions.isEmpty else {
            let yet = listed == nil ? " yet" : ""
            throw LabelingRefusal("\(imageName(i)) has no regions\(yet); add one with `labelmill \(task == .bbox ? "box" : "polygon")`")
        }
        guard index >= 1 && index <= regions.count else {
            let range = regions.count == 1 ? "only region 1" : "regions 1 to \(regions.count)"
            throw LabelingRefusal("\(imageName(i)) has \(range); there is no region \(index)")
        }
        return (regions, index - 1)
    }

    /// Refuses a box or polygon the validator would refuse, with the validator's words.
    func check(_ shape: Region.Shape, image i: Int) throws(LabelingRefusal) {
        var size: (width: Double, height: Double)?
        if let w = images[i]["width"]?.numberValue, let h = images[i]["height"]?.numberValue, w > 0, h > 0 {
            size = (w, h)
        }
        var review = PageReview(expected: nil, files: nil)
        let key: String
        switch shape {
        case .box: key = "box"; review.task = .bbox
        case .polygon: key = "polygon"; review.task = .polygon
        }
        let text = JSONWriter.compact(Region(tag: "", shape: shape).json[key] ?? .null)
        guard let node = try? StrictJSON.parse(text) else { throw LabelingRefusal("the \(key) is not made of finite numbers") }
        if key == "box" { review.box(node, "", size: size) } else { review.polygon(node, "", size: size) }
        let problems = review.sortedErrors.map(\.message)
        guard problems.isEmpty else { throw LabelingRefusal("\(imageName(i)): \(problems.joined(separator: "; "))") }
    }

    // MARK: Messages and results

    func imageName(_ i: Int) -> String {
        guard let file = images[i]["file"]?.stringValue else { return "image \(i + 1)" }
        return "image \(i + 1) (\(quoted(file)))"
    }

    /// `image 2` or `images 1, 3`.
    func imageList(_ indices: [Int]) -> String {
        let numbers = indices.map { String($0 + 1) }
        return indices.count == 1 ? "image \(numbers[0])" : "images \(numbers.joined(separator: ", "))"
    }

    func describe(_ b: Box) -> String {
        let f = JSONWriter.formatNumber
        return "at x \(f(b.x)), y \(f(b.y)), \(f(b.width))x\(f(b.height))"
    }

    func distinct(_ items: [String]) -> [String] {
        var seen = Set<String>()
        return items.filter { seen.insert($0).inserted }
    }

    func malformedImage(_ i: Int) -> LabelingRefusal {
        LabelingRefusal("image \(i + 1) of \(id) is not an object; fix page.json by hand first (`labelmill check` shows where)")
    }

    func malformed(_ i: Int, _ key: String, _ what: String) -> LabelingRefusal {
        LabelingRefusal("\"\(key)\" of \(imageName(i)) is not \(what); fix it by hand first (`labelmill check` shows where), so no label is lost")
    }

    func notAnObject(_ index: Int, _ i: Int) -> LabelingRefusal {
        LabelingRefusal("region \(index) of \(imageName(i)) is not an object; fix it by hand first (`labelmill check` shows where)")
    }

    func unchanged(_ message: String) -> LabelEdit {
        LabelEdit(page: page, summary: "\(id): \(message)", changed: false)
    }

    func edit(_ editedImages: [JSONValue], _ summary: String) -> LabelEdit {
        var out = page
        out.setMember("images", .array(editedImages))
        return LabelEdit(page: out, summary: "\(id): \(summary)", changed: true)
    }

    func edit(setting regions: [JSONValue], on i: Int, _ summary: String) -> LabelEdit {
        var edited = images
        edited[i].setMember("regions", .array(regions), after: "sha256")
        return edit(edited, summary)
    }
}
