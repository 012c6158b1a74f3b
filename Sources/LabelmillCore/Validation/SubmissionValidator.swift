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
///
/// `PageReview` walks the page in file order; each rule is in a file named for it:
/// Rule1StrictJSON, Rule2UnchangedDaemonFields, Rule2ImagesMatchFolder,
/// Rule3EveryImageLabeled, Rule4KnownTags, Rule5Box, Rule6Polygon.
public enum SubmissionValidator {
    public static let pageKeys = ["$schema", "project", "page", "revision", "task", "tags", "status",
                                  "assist", "assigned_to", "comment", "images", "errors"]
    /// Image keys; an image holds `tags` (classification) or `regions` (bbox, polygon), not both.
    public static let imageKeys = ["file", "width", "height", "source", "sha256", "prelabels", "tags", "regions",
                                   "label_source", "comment"]
    /// Region keys; a region holds `box` (bbox) or `polygon` (polygon tasks).
    public static let regionKeys = ["tag", "box", "polygon", "comment", "prelabel", "label_source"]
    public static let regionPrelabelKeys = ["confidence", "model"]
    public static let boxKeys = ["x", "y", "width", "height"]
    public static let prelabelKeys = ["tag", "confidence", "model", "box", "polygon"]
    public static let assistKeys = ["clustered", "prelabeled", "model"]
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
            return PageCheck(node: nil, errors: [PageError(notStrictJSON: error)], expected: expected, files: files)
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
