import Glibc
import TestSupport
import Testing
import LabelmillCore
@testable import LabelmillFS

/// A new empty folder for one test, removed by the caller.
private func write(_ text: String, to path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
    close(fd)
}

private func read(_ path: String) throws -> String {
    String(decoding: try ExportIO.readFile(AT_FDCWD, path, limit: 1 << 20), as: UTF8.self)
}

@Suite struct ExportFolderTests {
    @Test func pagesSortByTheirNumber() {
        let names = ["page-1000000", "page-000010", "page-999999", "page-000009", "page-000001"]
        #expect(names.sorted(by: OutboxPages.creationOrder) == ["page-000001", "page-000009", "page-000010", "page-999999", "page-1000000"])
    }

    @Test func writesStreamsAndAppendsInAStagingFolderUntilPublished() throws {
        let dir = try makeTemporaryFolder("labelmill-export-test")
        defer { ExportIO.removeTree(AT_FDCWD, dir) }
        let folder = try ExportFolder(path: dir + "/out", imageMode: .none, outbox: nil)
        try folder.write("hello\n", to: "a/b/c.txt")
        try folder.append("one,", to: "main.json")
        try folder.append("three", to: "side.part")
        try folder.append("two,", to: "main.json")
        try folder.appendAndRemove("side.part", to: "main.json")
        #expect(access(dir + "/out", F_OK) != 0)
        try folder.publish()
        #expect(try read(dir + "/out/a/b/c.txt") == "hello\n")
        #expect(try read(dir + "/out/main.json") == "one,two,three")
        #expect(access(dir + "/out/side.part", F_OK) != 0)
        #expect(folder.absolutePath == dir + "/out")
    }

    @Test func linksImagesFromPageFoldersAndRefusesSymlinks() throws {
        let dir = try makeTemporaryFolder("labelmill-export-test")
        defer { ExportIO.removeTree(AT_FDCWD, dir) }
        mkdir(dir + "/outbox", 0o755)
        mkdir(dir + "/outbox/page-000001", 0o755)
        write("PNG", to: dir + "/outbox/page-000001/a.png")
        symlink("/etc/passwd", dir + "/outbox/page-000001/evil.png")
        let folder = try ExportFolder(path: dir + "/out", imageMode: .link, outbox: dir + "/outbox")
        try folder.placeImage(page: "page-000001", file: "a.png", at: "images/a.png")
        #expect(throws: FileSystemError.self) { try folder.placeImage(page: "page-000001", file: "evil.png", at: "images/evil.png") }
        try folder.publish()
        var source = stat(), linked = stat()
        stat(dir + "/outbox/page-000001/a.png", &source)
        stat(dir + "/out/images/a.png", &linked)
        #expect(source.st_ino == linked.st_ino)
        #expect(folder.copiedInsteadOfLinked == 0)
    }

    @Test func refusesAFolderThatIsNotEmptyAndDiscardsOnFailure() throws {
        let dir = try makeTemporaryFolder("labelmill-export-test")
        defer { ExportIO.removeTree(AT_FDCWD, dir) }
        mkdir(dir + "/used", 0o755)
        write("mine", to: dir + "/used/keep.txt")
        #expect(throws: FileSystemError.self) { _ = try ExportFolder(path: dir + "/used", imageMode: .none, outbox: nil) }
        do {
            let folder = try ExportFolder(path: dir + "/new", imageMode: .none, outbox: nil)
            try folder.write("x", to: "x.txt")
        }  // abandoned without publish: the staging folder goes
        let left = try ExportIO.names(open(dir, ExportIO.directoryFlags), path: dir).map(\.name)
        #expect(left == ["used"])
    }

    @Test func absolutePathsResolveWhatExists() throws {
        let dir = try makeTemporaryFolder("labelmill-export-test")
        defer { ExportIO.removeTree(AT_FDCWD, dir) }
        #expect(ExportFolder.absolute(dir + "/x/../y/./z") == dir + "/y/z")
        #expect(ExportFolder.absolute("/") == "/")
    }
}
