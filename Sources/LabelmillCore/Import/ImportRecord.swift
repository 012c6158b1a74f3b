/// What `labelmill import` reads (SPEC section 8): labels written by another
/// tool, or by a labelmill export, in one of these formats.
public enum ImportFormat: String, Sendable, CaseIterable {
    case coco, voc, yolo, labelme, azureml, csv
    case labelStudio = "label-studio"

    /// The formats that hold this task's labels.
    public func fits(_ task: TaskKind) -> Bool {
        switch self {
        case .coco, .yolo, .labelme: return !task.isClassification
        case .voc: return task == .bbox
        case .azureml, .csv, .labelStudio: return true
        }
    }

    public func refusal(for task: TaskKind) -> String {
        let names = Self.allCases.filter { $0.fits(task) }.map(\.rawValue)
        let why = self == .voc && task == .polygon ? "Pascal VOC holds boxes only, not polygons"
            : "\(rawValue) holds no \(task.rawValue) labels (tags on whole images)"
        return "\(why); a \(task.rawValue) project imports \(names.joined(separator: ", "))"
    }

    /// The `model` of prelabels from this format.
    public var modelName: String { "import:\(rawValue)" }
}

/// How imported labels are used: as prelabels a labeler confirms, or as finished work.
public enum ImportMode: String, Sendable, CaseIterable {
    case prelabels, done
}

/// One image's labels as the source holds them, before they are matched to
/// one of the project's images and checked against its size.
public struct ImportRecord: Sendable {
    /// Where in the source: `annotations.json: images[3]`, `labels/cat.txt`.
    public var place: String
    /// The image as the source names it (a path relative to the source, a file name, a URL path).
    public var image: String
    /// Where the image file itself may be, relative to the source folder: hashed to match by SHA-256.
    public var localImage: String?
    public var label: RawLabel

    public init(place: String, image: String, localImage: String? = nil, label: RawLabel) {
        self.place = place; self.image = image; self.localImage = localImage; self.label = label
    }
}

/// Labels as read: tags, regions in pixels or as fractions of the image's
/// sides, or Label Studio results (percent), converted once the size is known.
public enum RawLabel: Sendable {
    case tags([String])
    case regions([RawRegion])
    case labelStudio([JSONValue])
}

public struct RawRegion: Sendable {
    public var tag: String
    public var shape: Region.Shape
    /// Coordinates are fractions of the width and height (YOLO, Azure ML), not pixels.
    public var normalized: Bool
    /// Where in the source, for errors: `annotations[7]`, `line 3`.
    public var place: String

    public init(tag: String, shape: Region.Shape, normalized: Bool = false, place: String) {
        self.tag = tag; self.shape = shape; self.normalized = normalized; self.place = place
    }
}

/// One image's checked labels, as they go on its page.
public struct ImportedLabel: Sendable, Equatable {
    public var tags: [String]?
    public var regions: [Region]?
    public init(tags: [String]? = nil, regions: [Region]? = nil) { self.tags = tags; self.regions = regions }
}

/// What is wrong with the source: each problem names the file and the place.
public struct ImportProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var place: String
    public var message: String
    public init(file: String, place: String = "", message: String) { self.file = file; self.place = place; self.message = message }
    public var description: String { place.isEmpty ? "\(file): error: \(message)" : "\(file): \(place): error: \(message)" }
}
