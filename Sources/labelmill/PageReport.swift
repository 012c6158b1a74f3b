import LabelmillCore
import LabelmillFS

/// A page checked as the daemon would check a submission.
struct PageReport {
    let target: PageTarget
    let folder: String
    let file: String
    let bytes: [UInt8]
    let check: PageCheck

    init(_ target: PageTarget) throws {
        self.target = target
        folder = target.folder
        file = target.file
        do { bytes = try target.directory.read("page.json", maxBytes: Int64(StrictJSON.maxBytes) + 1).bytes } catch {
            throw CommandFailure("\(file): \(error.isNotFound ? "missing; a page folder holds its page.json" : error.description)")
        }
        let files: [PageFolderFile]
        do { files = try PageFolder.files(target.directory) } catch { throw CommandFailure(error.description) }
        check = SubmissionValidator.check(bytes, expected: PageFolder.expectedManifest(for: folder), files: files)
    }

    /// One line per error, like a compiler, on stdout.
    func printErrors() {
        for e in check.errors { print("\(file):\(e.line):\(e.column): error: \(e.message)") }
    }
}
