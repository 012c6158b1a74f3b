import LabelmillFS
#if canImport(Glibc)
import Glibc
#endif

/// Who may act as a labeler in a root laid out by `labelmill setup`: Unix user
/// NAME signs in and out as NAME, and nobody else does (root may, for anyone).
enum SharedRootUser {
    /// The verbs that act as a labeler, and what each does.
    enum Verb: String {
        case next, leave
        var action: String { self == .next ? "sign in" : "sign out" }
    }

    /// The Unix account of `name`, once the caller may act as them.
    @discardableResult
    static func require(_ name: String, for verb: Verb, in project: String) throws -> (uid: uid_t, gid: gid_t, name: String) {
        let uid = getuid()
        let me = UnixAccounts.userName(uid) ?? "uid \(uid)"
        let action = verb.action
        guard uid == 0 || me == name else {
            throw CommandFailure("you are Unix user \(me), so you cannot \(action) as \(name): run labelmill \(verb.rawValue) \(project) --as \(me)")
        }
        guard let account = UnixAccounts.user(named: name) else { throw CommandFailure("there is no Unix user \(name) to \(action) as") }
        return account
    }
}
