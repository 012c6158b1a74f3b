/// One import as `labelmill import` records it for the daemon, in
/// `.labelmill/imports/<project>/NNNNNN-DIGEST.json`: the format, the mode
/// and each matched image's checked labels by SHA-256. Written whole in one
/// atomic step, so an import is there entirely or not at all; DIGEST is the
/// SHA-256 of the content without the source path, so importing the same
/// labels again finds it and changes nothing.
public struct ImportFile: Sendable, Equatable {
    public var format: ImportFormat
    public var mode: ImportMode
    /// The path the labels were read from, for the record.
    public var from: String
    public var labels: [(sha256: String, label: ImportedLabel)]

    public init(format: ImportFormat, mode: ImportMode, from: String, labels: [(sha256: String, label: ImportedLabel)]) {
        self.format = format; self.mode = mode; self.from = from; self.labels = labels
    }

    public static func == (a: ImportFile, b: ImportFile) -> Bool {
        a.format == b.format && a.mode == b.mode && a.from == b.from
            && a.labels.count == b.labels.count && zip(a.labels, b.labels).allSatisfy { $0.sha256 == $1.sha256 && $0.label == $1.label }
    }

    /// What the digest covers: everything but `from`.
    public var content: JSONValue {
        .object([
            ("format", .string(format.rawValue)),
            ("as", .string(mode.rawValue)),
            ("images", .array(labels.map { sha, label in
                var members: [(String, JSONValue)] = [("sha256", .string(sha))]
                if let tags = label.tags { members.append(("tags", .array(tags.map(JSONValue.string)))) }
                if let regions = label.regions { members.append(("regions", .array(regions.map(\.json)))) }
                return .object(members)
            })),
        ])
    }

    public var json: JSONValue {
        guard case .object(var members) = content else { return content }
        members.insert(("from", .string(from)), at: 2)
        return .object(members)
    }

    public init?(json: JSONValue) {
        guard let format = json["format"]?.stringValue.flatMap(ImportFormat.init(rawValue:)),
              let mode = json["as"]?.stringValue.flatMap(ImportMode.init(rawValue:)),
              let images = json["images"]?.arrayValue else { return nil }
        var labels: [(String, ImportedLabel)] = []
        for image in images {
            guard let sha = image["sha256"]?.stringValue else { return nil }
            var label = ImportedLabel()
            if let tags = image["tags"]?.arrayValue { label.tags = tags.compactMap(\.stringValue) }
            if let regions = image["regions"]?.arrayValue {
                label.regions = regions.compactMap(Region.init(json:))
                guard label.regions?.count == regions.count else { return nil }
            }
            labels.append((sha, label))
        }
        self.init(format: format, mode: mode, from: json["from"]?.stringValue ?? "", labels: labels)
    }

    /// `NNNNNN-DIGEST.json`: imports apply in the order of their numbers.
    public static func name(number: Int, digest: String) -> String {
        let n = String(number)
        return String(repeating: "0", count: max(0, 6 - n.count)) + n + "-" + digest.prefix(16) + ".json"
    }

    /// The digest part of a name, nil when the name is not an import's.
    public static func digest(ofName name: String) -> String? {
        guard name.hasSuffix(".json"), let dash = name.firstIndex(of: "-") else { return nil }
        let digest = name[name.index(after: dash)...].dropLast(5)
        return digest.count == 16 && digest.allSatisfy(\.isHexDigit) ? String(digest) : nil
    }
}

/// Every import of a project, later ones over earlier ones: what the daemon
/// puts on an image's page.
public struct ImportBook: Sendable {
    public struct Entry: Sendable, Equatable {
        public var format: ImportFormat
        public var mode: ImportMode
        public var label: ImportedLabel
    }
    public private(set) var entries: [String: Entry] = [:]

    public init(_ files: [ImportFile] = []) {
        for file in files {
            for (sha, label) in file.labels { entries[sha] = Entry(format: file.format, mode: file.mode, label: label) }
        }
    }

    public var isEmpty: Bool { entries.isEmpty }
    public subscript(sha256: String) -> Entry? { entries[sha256] }
}

extension PageImage {
    /// The imported labels filled in: as they are (`done`), or as prelabels
    /// of model `import:FORMAT` with confidence 1 that the labeler confirms.
    public mutating func apply(_ entry: ImportBook.Entry) {
        let model = entry.format.modelName
        switch entry.mode {
        case .done:
            if let tags = entry.label.tags { self.tags = tags }
            if let regions = entry.label.regions { self.regions = regions }
        case .prelabels:
            if let tags = entry.label.tags {
                self.tags = tags
                prelabels = tags.map { Prelabel(tag: $0, confidence: 1, model: model) }
            }
            if let regions = entry.label.regions {
                self.regions = regions.map { Region(tag: $0.tag, shape: $0.shape, prelabel: RegionPrelabel(confidence: 1, model: model)) }
                prelabels = regions.map { Prelabel(tag: $0.tag, confidence: 1, model: model, shape: $0.shape) }
            }
        }
    }
}
