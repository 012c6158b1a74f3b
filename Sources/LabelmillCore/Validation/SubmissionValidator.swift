// Temporary stand-in until the validator lands.
public struct PageFolderFile: Sendable, Equatable {
    public var name: String; public var sha256: String; public var width: Int?; public var height: Int?
    public init(name: String, sha256: String, width: Int?, height: Int?) { self.name = name; self.sha256 = sha256; self.width = width; self.height = height }
}
public struct PageCheck: Sendable {
    public var node: JSONNode?
    public var errors: [PageError]
    public var isStrictJSON: Bool { node != nil }
}
public enum SubmissionValidator {
    public static func check(_ bytes: [UInt8], expected: PageManifest?, files: [PageFolderFile]?) -> PageCheck {
        PageCheck(node: nil, errors: [])
    }
    public static func rejectedText(for check: PageCheck) -> (text: String, errors: [PageError])? { nil }
}
