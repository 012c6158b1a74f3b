/// page.json <-> JSONValue, with the stable key order of SPEC section 3.
/// `errors` is always the last key, so rewriting a rejected page never moves
/// the lines of the labels above it.
extension PageManifest {
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("$schema", .string(schema)),
            ("project", .string(project)),
            ("page", .string(page)),
            ("revision", .number(Double(revision))),
            ("task", .string(task.rawValue)),
            ("tags", .array(tags.map(JSONValue.string))),
            ("status", .string(status.rawValue)),
        ]
        if let assist { members.append(("assist", assist.json)) }
        if let assignedTo { members.append(("assigned_to", .string(assignedTo))) }
        if let comment { members.append(("comment", .string(comment))) }
        members.append(("images", .array(images.map { $0.json(task: task) })))
        if let errors { members.append(("errors", .array(errors.map(\.json)))) }
        return .object(members)
    }

    /// Reads a page.json the daemon wrote (or one already validated). Unknown keys
    /// are ignored here; strict checking is `SubmissionValidator`'s job.
    public init(json: JSONValue) throws(ManifestDecodingError) {
        func need<T>(_ key: String, _ get: (JSONValue) -> T?, in v: JSONValue = json) throws(ManifestDecodingError) -> T {
            guard let raw = v[key], let value = get(raw) else { throw ManifestDecodingError(key: key) }
            return value
        }
        // Int(exactly:), not Int(_:), which traps on 1e300 or 2.5 in a hand-edited page.
        func whole(_ key: String, in v: JSONValue) throws(ManifestDecodingError) -> Int {
            guard let n = Int(exactly: try need(key, \.numberValue, in: v)) else { throw ManifestDecodingError(key: key) }
            return n
        }
        let taskName: String = try need("task", \.stringValue)
        guard let task = TaskKind(rawValue: taskName) else { throw ManifestDecodingError(key: "task") }
        let statusName: String = try need("status", \.stringValue)
        guard let status = PageStatus(rawValue: statusName) else { throw ManifestDecodingError(key: "status") }
        let tags: [String] = try need("tags") { $0.arrayValue?.compactMap(\.stringValue) }
        let rawImages: [JSONValue] = try need("images", \.arrayValue)
        var images: [PageImage] = []
        for raw in rawImages {
            var image = PageImage(
                file: try need("file", \.stringValue, in: raw),
                width: try whole("width", in: raw),
                height: try whole("height", in: raw),
                source: try need("source", \.stringValue, in: raw),
                sha256: try need("sha256", \.stringValue, in: raw),
                comment: raw["comment"]?.stringValue)
            image.prelabels = raw["prelabels"]?.arrayValue.map { $0.compactMap(Prelabel.init(json:)) }
            image.labelSource = raw["label_source"]?.stringValue.flatMap(LabelSource.init(rawValue:))
            if task.isClassification {
                image.tags = raw["tags"]?.arrayValue?.compactMap(\.stringValue)
            } else if let list = raw["regions"]?.arrayValue {
                image.regions = list.compactMap(Region.init(json:))
            }
            images.append(image)
        }
        self.init(
            schema: json["$schema"]?.stringValue ?? "",
            project: try need("project", \.stringValue),
            page: try need("page", \.stringValue),
            revision: try whole("revision", in: json),
            task: task, tags: tags, status: status, images: images,
            comment: json["comment"]?.stringValue,
            assignedTo: json["assigned_to"]?.stringValue,
            errors: json["errors"]?.arrayValue?.compactMap(PageError.init(json:)),
            assist: json["assist"].flatMap(PageAssist.init(json:)))
    }
}

public struct ManifestDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var key: String
    public var description: String { "missing or malformed \"\(key)\"" }
}

extension PageImage {
    func json(task: TaskKind) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("file", .string(file)),
            ("width", .number(Double(width))),
            ("height", .number(Double(height))),
            ("source", .string(source)),
            ("sha256", .string(sha256)),
        ]
        if let prelabels { members.append(("prelabels", .array(prelabels.map(\.json)))) }
        if task.isClassification {
            members.append(("tags", tags.map { .array($0.map(JSONValue.string)) } ?? .null))
        } else {
            members.append(("regions", regions.map { .array($0.map(\.json)) } ?? .null))
        }
        if let labelSource { members.append(("label_source", .string(labelSource.rawValue))) }
        if let comment { members.append(("comment", .string(comment))) }
        return .object(members)
    }
}

extension Region.Shape {
    /// `("box", {...})` or `("polygon", [[x, y], ...])`.
    var member: (String, JSONValue) {
        switch self {
        case .box(let b):
            return ("box", .object([
                ("x", .number(b.x)), ("y", .number(b.y)),
                ("width", .number(b.width)), ("height", .number(b.height)),
            ]))
        case .polygon(let points):
            return ("polygon", .array(points.map { .array([.number($0.x), .number($0.y)]) }))
        }
    }

    /// The box or polygon of an object that has one.
    init?(of json: JSONValue) {
        if let box = json["box"], let x = box["x"]?.numberValue, let y = box["y"]?.numberValue,
           let w = box["width"]?.numberValue, let h = box["height"]?.numberValue {
            self = .box(Box(x: x, y: y, width: w, height: h))
        } else if let list = json["polygon"]?.arrayValue {
            var points: [Point] = []
            for p in list {
                guard let xy = p.arrayValue, xy.count == 2, let x = xy[0].numberValue, let y = xy[1].numberValue
                else { return nil }
                points.append(Point(x: x, y: y))
            }
            self = .polygon(points)
        } else {
            return nil
        }
    }
}

extension Region {
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [("tag", .string(tag)), shape.member]
        if let prelabel {
            members.append(("prelabel", .object([("confidence", .number(prelabel.confidence)), ("model", .string(prelabel.model))])))
        }
        if let labelSource { members.append(("label_source", .string(labelSource.rawValue))) }
        return .object(members)
    }

    public init?(json: JSONValue) {
        guard let tag = json["tag"]?.stringValue, let shape = Region.Shape(of: json) else { return nil }
        self.init(tag: tag, shape: shape)
        if let note = json["prelabel"], let confidence = note["confidence"]?.numberValue, let model = note["model"]?.stringValue {
            prelabel = RegionPrelabel(confidence: confidence, model: model)
        }
        labelSource = json["label_source"]?.stringValue.flatMap(LabelSource.init(rawValue:))
    }
}

extension Prelabel {
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [("tag", .string(tag))]
        if let shape { members.append(shape.member) }
        members += [("confidence", .number(confidence)), ("model", .string(model))]
        return .object(members)
    }

    public init?(json: JSONValue) {
        guard let tag = json["tag"]?.stringValue, let confidence = json["confidence"]?.numberValue,
              let model = json["model"]?.stringValue else { return nil }
        self.init(tag: tag, confidence: confidence, model: model, shape: Region.Shape(of: json))
    }
}

extension PageAssist {
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [("clustered", .bool(clustered)), ("prelabeled", .bool(prelabeled))]
        if let model { members.append(("model", .string(model))) }
        return .object(members)
    }

    public init?(json: JSONValue) {
        guard case .object = json else { return nil }
        self.init(clustered: json["clustered"]?.boolValue ?? false, prelabeled: json["prelabeled"]?.boolValue ?? false,
                  model: json["model"]?.stringValue)
    }
}

extension PageError {
    public var json: JSONValue {
        .object([
            ("line", .number(Double(line))), ("column", .number(Double(column))),
            ("pointer", .string(pointer)), ("message", .string(message)),
        ])
    }

    public init?(json: JSONValue) {
        guard let line = json["line"]?.numberValue, let column = json["column"]?.numberValue,
              let pointer = json["pointer"]?.stringValue, let message = json["message"]?.stringValue
        else { return nil }
        guard let line = Int(exactly: line), let column = Int(exactly: column) else { return nil }
        self.init(line: line, column: column, pointer: pointer, message: message)
    }
}
