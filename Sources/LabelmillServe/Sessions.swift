import LabelmillCore

/// Signed-in browsers, by the random id in their `lm_session` cookie. Kept in
/// memory: a restart of the server signs everyone out (their pages stay held).
final class SessionStore: Sendable {
    struct Session: Sendable {
        var name: String
        /// The hash of the token it signed in with, so a revoked token ends it.
        var tokenHash: String?
        var serial: Int
    }

    private let sessions = Guarded<(byID: [String: Session], serial: Int)>(([:], 0))
    /// Oldest sessions are dropped past this many, so sign-ins cannot grow memory without end.
    static let limit = 10_000

    func create(name: String, tokenHash: String?) -> String {
        let id = randomHex(bytes: 32)
        sessions.with { state in
            state.serial += 1
            state.byID[id] = Session(name: name, tokenHash: tokenHash, serial: state.serial)
            if state.byID.count > Self.limit, let oldest = state.byID.min(by: { $0.value.serial < $1.value.serial })?.key {
                state.byID[oldest] = nil
            }
        }
        return id
    }

    func session(_ id: String) -> Session? { sessions.with { $0.byID[id] } }

    func end(_ id: String) { sessions.with { _ = $0.byID.removeValue(forKey: id) } }
}
