import ArgumentParser

/// `--root`, shared by every command that works on a workspace.
struct WorkspaceOptions: ParsableArguments {
    @Option(name: .long, help: "The workspace root (default: $LABELMILL_ROOT, else the current directory).")
    var root: String?

    /// The root folder to use, as an absolute or relative path.
    var rootPath: String {
        if let root { return root }
        if let env = getenv("LABELMILL_ROOT"), let s = String(validatingCString: env), !s.isEmpty { return s }
        return "."
    }
}

#if canImport(Glibc)
import Glibc
#endif
