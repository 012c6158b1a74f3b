import Foundation

/// A new, empty folder of its own under the temp directory, named `PREFIX-XXXXXX`;
/// each test makes its own, so tests can run in parallel.
public func makeTemporaryFolder(_ prefix: String) throws -> String {
    var template = Array((NSTemporaryDirectory() + "\(prefix)-XXXXXX").utf8CString)
    guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
    return String(cString: made)
}
