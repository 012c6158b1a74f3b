#if canImport(Glibc)
import Glibc
#endif

/// Prints one line on stderr.
func printError(_ message: String) {
    FileHandleStderr.write(message + "\n")
}

enum FileHandleStderr {
    static func write(_ s: String) {
        var s = s
        s.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
