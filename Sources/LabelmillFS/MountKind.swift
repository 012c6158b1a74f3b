import CShims
#if canImport(Glibc)
import Glibc
#endif

/// The kind of file system a path is on, from statfs's f_type (linux/magic.h).
public enum MountKind {
    /// FUSE's f_type (sshfs, rclone, s3fs, ...).
    static let fuse: Int64 = 0x65735546

    /// File systems where other machines write and inotify does not see it.
    static let network: [Int64: String] = [
        0x6969: "NFS", 0x517B: "SMB", 0xFE534D42: "SMB2", 0xFF534D42: "CIFS",
        0x65735546: "a FUSE file system (sshfs, ...)", 0x00C36400: "CephFS",
    ]

    /// The name of the network or FUSE file system `path` is on; nil for a local one.
    public static func networkName(of path: String) -> String? {
        var fs = statfs()
        guard statfs(path, &fs) == 0 else { return nil }
        return network[Int64(fs.f_type)]
    }
}
