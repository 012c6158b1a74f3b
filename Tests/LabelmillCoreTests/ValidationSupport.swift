import Testing
@testable import LabelmillCore

/// Small hand-written pages: line 10 is image 1, line 11 image 2, and so on.
enum Pages {
    static func text(_ task: String, _ images: [String], tags: String = #"["Dog", "Cat"]"#, status: String = "submitted") -> String {
        """
        {
          "$schema": "../../../page.schema.json",
          "project": "animals",
          "page": "page-000001",
          "revision": 2,
          "task": "\(task)",
          "tags": \(tags),
          "status": "\(status)",
          "images": [
            \(images.joined(separator: ",\n    "))
          ]
        }

        """
    }

    static let multiClass = [
        #"{ "file": "a.png", "width": 640, "height": 480, "source": "in/a.png", "sha256": "aa", "tags": ["Dog"] }"#,
        #"{ "file": "b.png", "width": 320, "height": 240, "source": "in/b.png", "sha256": "bb", "tags": ["Cat"] }"#,
    ]
    static let multiLabel = [
        #"{ "file": "a.png", "width": 640, "height": 480, "source": "in/a.png", "sha256": "aa", "tags": ["Dog", "Cat"] }"#,
        #"{ "file": "b.png", "width": 320, "height": 240, "source": "in/b.png", "sha256": "bb", "tags": ["Cat"] }"#,
    ]
    static let bbox = [
        #"{ "file": "a.png", "width": 640, "height": 480, "source": "in/a.png", "sha256": "aa", "regions": [{ "tag": "Dog", "box": { "x": 10, "y": 20, "width": 50, "height": 40 } }] }"#,
        #"{ "file": "b.png", "width": 320, "height": 240, "source": "in/b.png", "sha256": "bb", "regions": [] }"#,
    ]
    static let polygon = [
        #"{ "file": "a.png", "width": 640, "height": 480, "source": "in/a.png", "sha256": "aa", "regions": [{ "tag": "Cat", "polygon": [[10, 10], [50, 12], [30, 40]] }] }"#,
        #"{ "file": "b.png", "width": 320, "height": 240, "source": "in/b.png", "sha256": "bb", "regions": [] }"#,
    ]

    static func images(_ task: String) -> [String] {
        switch task {
        case "multi-class": return multiClass
        case "multi-label": return multiLabel
        case "bbox": return bbox
        default: return polygon
        }
    }

    /// The daemon's copy of the valid page of `task`.
    static func expected(_ task: String) -> PageManifest {
        let node = try! StrictJSON.parse(text(task, images(task), status: "open"))
        return try! PageManifest(json: node.value)
    }

    static let files = [
        PageFolderFile(name: "a.png", sha256: "aa", width: 640, height: 480),
        PageFolderFile(name: "b.png", sha256: "bb", width: 320, height: 240),
    ]

    /// The page of `task` with image `index` (0-based) replaced by `line`.
    static func with(_ task: String, image index: Int, _ line: String) -> String {
        var list = images(task)
        list[index] = line
        return text(task, list)
    }

    /// The page of `task` with `old` replaced by `new` in image `index`'s line.
    static func edit(_ task: String, image index: Int, _ old: String, _ new: String) -> String {
        let line = images(task)[index]
        precondition(line.contains(old), "\(old) not in image \(index)")
        return with(task, image: index, line.replacing(old, with: new))
    }
}

/// An error that tests state by line and by the text where it must point on that line.
struct Wanted: CustomStringConvertible {
    var line: Int
    var at: String
    var pointer: String
    var message: String
    init(_ line: Int, _ at: String, _ pointer: String, _ message: String) {
        self.line = line; self.at = at; self.pointer = pointer; self.message = message
    }
    var description: String { "\(line) at \(at) \(pointer): \(message)" }

    /// The error, with the column where `at` first occurs on `line` of `text`.
    func error(in text: String) -> PageError {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let row = String(lines[line - 1])
        guard let range = row.firstRange(of: at) else {
            Issue.record("\(at) is not on line \(line): \(row)")
            return PageError(line: line, column: 0, pointer: pointer, message: message)
        }
        let column = row.unicodeScalars[..<range.lowerBound].count + 1
        return PageError(line: line, column: column, pointer: pointer, message: message)
    }
}

func errors(_ text: String, expected: PageManifest?, files: [PageFolderFile]?) -> [PageError] {
    SubmissionValidator.check(Array(text.utf8), expected: expected, files: files).errors
}

/// Checks `text` against the daemon's copy of `task`'s page and the usual folder.
func expectErrors(_ task: String, _ text: String, _ wanted: [Wanted], expected: Bool = true, files: Bool = true,
                  sourceLocation: SourceLocation = #_sourceLocation) {
    let got = errors(text, expected: expected ? Pages.expected(task) : nil, files: files ? Pages.files : nil)
    let want = wanted.map { $0.error(in: text) }
    #expect(got == want, sourceLocation: sourceLocation)
    if got != want {
        for e in got { print("  got \(e.line):\(e.column) \(e.pointer) \(e.message)") }
    }
}

