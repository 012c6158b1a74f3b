/// The labeling task of a project (SPEC section 2).
public enum TaskKind: String, Sendable, CaseIterable, Codable {
    case multiClass = "multi-class"
    case multiLabel = "multi-label"
    case bbox
    case polygon

    /// Classification tasks label images with `tags`; the others with `regions`.
    public var isClassification: Bool { self == .multiClass || self == .multiLabel }
}

/// Where a page is in its life (SPEC section 3).
public enum PageStatus: String, Sendable, CaseIterable {
    case open, submitted, rejected, done
}

public struct Point: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) { self.x = x; self.y = y }
}

public struct Box: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
}

/// A marked area of an image: a box or a polygon, with one tag.
public struct Region: Sendable, Equatable {
    public enum Shape: Sendable, Equatable {
        case box(Box)
        case polygon([Point])
    }
    public var tag: String
    public var shape: Shape
    /// Set by the daemon on a region a predictor proposed (SPEC section 8).
    public var prelabel: RegionPrelabel?
    /// Where the region came from, set when the page is accepted.
    public var labelSource: LabelSource?
    public init(tag: String, shape: Shape, prelabel: RegionPrelabel? = nil, labelSource: LabelSource? = nil) {
        self.tag = tag; self.shape = shape; self.prelabel = prelabel; self.labelSource = labelSource
    }

    /// The same tag and outline (what a labeler sees), whatever the notes beside them.
    public func sameMark(as other: Region) -> Bool { tag == other.tag && shape == other.shape }
}

/// The note on a region a predictor proposed: `"prelabel": {"confidence": 0.8, "model": "faces"}`.
public struct RegionPrelabel: Sendable, Equatable {
    public var confidence: Double
    public var model: String
    public init(confidence: Double, model: String) { self.confidence = confidence; self.model = model }
}

/// One error of a rejected page, positioned in page.json as rewritten.
public struct PageError: Sendable, Equatable {
    public var line: Int
    public var column: Int
    public var pointer: String
    public var message: String
    public init(line: Int, column: Int, pointer: String, message: String) {
        self.line = line; self.column = column; self.pointer = pointer; self.message = message
    }
}

/// A model's suggestion for an image (SPEC section 7): written by the daemon,
/// never a label until the labeler keeps it in `tags`.
public struct Prelabel: Sendable, Equatable {
    public var tag: String
    public var confidence: Double
    public var model: String
    /// The proposed box or polygon, for bbox and polygon projects (SPEC section 8).
    public var shape: Region.Shape?
    public init(tag: String, confidence: Double, model: String, shape: Region.Shape? = nil) {
        self.tag = tag; self.confidence = confidence; self.model = model; self.shape = shape
    }
}

/// Where an accepted image's label came from (SPEC sections 7 and 8).
public enum LabelSource: String, Sendable, CaseIterable {
    case human
    case modelAccepted = "model-accepted"
    case modelCorrected = "model-corrected"
    case modelAdjusted = "model-adjusted"
    case imported = "import"
}

/// What ML assist did for a page: its images were clustered, prelabeled, or both.
public struct PageAssist: Sendable, Equatable {
    public var clustered: Bool
    public var prelabeled: Bool
    public var model: String?
    public init(clustered: Bool, prelabeled: Bool, model: String?) {
        self.clustered = clustered; self.prelabeled = prelabeled; self.model = model
    }
}

/// One image of a page. `file`, `width`, `height`, `source` and `sha256` are the
/// daemon's; `tags` (classification) or `regions` (bbox, polygon) are the labels.
public struct PageImage: Sendable, Equatable {
    public var file: String
    public var width: Int
    public var height: Int
    public var source: String
    public var sha256: String
    /// The model's suggestions, best first (the daemon's; ML assist).
    public var prelabels: [Prelabel]?
    public var tags: [String]?
    public var regions: [Region]?
    /// Where the label came from, set when the page is accepted.
    public var labelSource: LabelSource?
    public var comment: String?

    public init(file: String, width: Int, height: Int, source: String, sha256: String,
                tags: [String]? = nil, regions: [Region]? = nil, comment: String? = nil,
                prelabels: [Prelabel]? = nil, labelSource: LabelSource? = nil) {
        self.file = file; self.width = width; self.height = height; self.source = source
        self.sha256 = sha256; self.tags = tags; self.regions = regions; self.comment = comment
        self.prelabels = prelabels; self.labelSource = labelSource
    }
}

/// The content of one page.json (SPEC section 3).
public struct PageManifest: Sendable, Equatable {
    /// Relative path from the page folder to `Watch/page.schema.json`.
    public var schema: String
    public var project: String
    public var page: String
    public var revision: Int
    public var task: TaskKind
    public var tags: [String]
    public var status: PageStatus
    /// What ML assist did for this page (the daemon's).
    public var assist: PageAssist?
    public var images: [PageImage]
    public var comment: String?
    /// The labeler holding the page, when one does.
    public var assignedTo: String?
    public var errors: [PageError]?

    public init(schema: String, project: String, page: String, revision: Int, task: TaskKind,
                tags: [String], status: PageStatus, images: [PageImage], comment: String? = nil,
                assignedTo: String? = nil, errors: [PageError]? = nil, assist: PageAssist? = nil) {
        self.schema = schema; self.project = project; self.page = page; self.revision = revision
        self.task = task; self.tags = tags; self.status = status; self.images = images
        self.comment = comment; self.assignedTo = assignedTo; self.errors = errors
        self.assist = assist
    }
}

extension PageManifest {
    /// Takes the labels (tags, regions, comments) of another version of this
    /// page, image by image, keeping everything the daemon wrote (prelabels,
    /// assist, label_source included: the daemon's copy wins).
    public mutating func adoptLabels(from other: PageManifest) {
        comment = other.comment
        let byFile = Dictionary(other.images.map { ($0.file, $0) }, uniquingKeysWith: { a, _ in a })
        for i in images.indices {
            guard let labeled = byFile[images[i].file] else { continue }
            images[i].tags = labeled.tags
            images[i].regions = labeled.regions
            images[i].comment = labeled.comment
        }
    }
}
