/// A request that is invalid or cannot be done (SPEC section 4: exit status 1).
/// Commands throw it; `Labelmill.main` prints "labelmill: MESSAGE" on stderr and exits.
struct CommandFailure: Error, Equatable, CustomStringConvertible {
    /// What went wrong, in plain words, without the "labelmill: " prefix.
    let message: String
    let exitStatus: Int32

    init(_ message: String, exitStatus: Int32 = 1) {
        self.message = message
        self.exitStatus = exitStatus
    }

    var description: String { message }
}
