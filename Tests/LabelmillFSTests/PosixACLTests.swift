import Foundation
import LabelmillFS
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("POSIX ACLs through extended attributes")
struct PosixACLTests {
    @Test("a named user entry is written, read back with its mask, and removed")
    func roundTrip() throws {
        let folder = try makeTemporaryFolder("labelmill-acl")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/page.json"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("{}".utf8)))
        #expect(chmod(file, 0o640) == 0)
        try PosixACL.update(file) { $0.set(.user, 6, id: 54321); $0.set(.other, 0) }
        let fd = try PosixACL.open(file)
        defer { close(fd) }
        let acl = try #require(PosixACL.read(fd: fd))
        #expect(acl.permissions(.user, id: 54321) == 6)
        #expect(acl.permissions(.owner) == 6)
        #expect(acl.permissions(.mask) == 6)  // the named entry's rw over the group's r
        #expect(acl.permissions(.other) == 0)
        var st = stat()
        #expect(fstat(fd, &st) == 0 && st.st_mode & 0o777 == 0o660)  // the mask shows as the group bits
        try PosixACL.update(file) { $0.remove(.user, id: 54321) }
        #expect(PosixACL.read(fd: fd)?.permissions(.user, id: 54321) == nil)
    }

    @Test("a folder's default ACL is set and removed; a symlink is never opened")
    func defaults() throws {
        let folder = try makeTemporaryFolder("labelmill-acl")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try PosixACL.update(folder, isDefault: true) { acl in
            acl = PosixACL(mode: 0o700)
            acl.set(.user, 7, id: 54321)
        }
        let fd = try PosixACL.open(folder)
        defer { close(fd) }
        #expect(PosixACL.read(fd: fd, isDefault: true)?.permissions(.user, id: 54321) == 7)
        try PosixACL.removeDefault(fd: fd, shown: folder)
        #expect(PosixACL.read(fd: fd, isDefault: true) == nil)
        #expect(symlink(folder, folder + "/link") == 0)
        #expect(throws: FileSystemError.self) { try PosixACL.open(folder + "/link") }
    }
}
