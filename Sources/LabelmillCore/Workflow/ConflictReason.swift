/// Why a page folder (or files in one) went to `Watch/<project>/conflicts/`
/// instead of being applied (SPEC section 6: a late or stale copy is kept,
/// never applied silently). The note a labeler reads is made from the reason
/// and, where the reason needs it, the place of the live page.
public enum ConflictReason: Sendable, Equatable, Hashable {
    /// A page id the daemon never made in this project.
    case notOurs(project: String)
    /// The page is done already; `outbox` is the completed page.
    case alreadyDone(outbox: String)
    /// The folder has no page.json: nothing in it can be judged.
    case lostPageJSON
    /// An earlier holder's copy: its revision is older than the page's.
    case staleCopy(revision: Int, current: Int)
    /// A current copy in a labeler's folder who does not hold the page.
    case wrongHolder(foundIn: String, holder: String?)
    /// A second current copy; `live` is the one kept.
    case secondCopy(live: String)
    /// A page folder outside any labeler's folder (`labelers/page-000001`,
    /// `labelers/ann/ann/page-000001`); `doneAt` is the completed page if the page is done.
    case misplaced(doneAt: String?)
    /// The holder timed out while page.json was not valid JSON.
    case unreadableAtTimeOut
    /// Syncthing's `*.sync-conflict-*` versions of the live page's files.
    case syncConflict(files: [String])

    /// Whether the note names where the live page is (the caller looks it up).
    public var namesLivePlace: Bool {
        switch self {
        case .staleCopy, .wrongHolder: return true
        case .misplaced(let doneAt): return doneAt == nil
        default: return false
        }
    }

    /// The word in the conflict folder's name after the page id, when not the holder's name.
    public var folderTag: String? {
        if case .misplaced = self { return "misplaced" }
        return nil
    }

    /// NOTE.txt for a copy of `page` that came from `folder`. `livePlace`: the
    /// live page's folder, nil while it is being restored to the queue.
    public func note(page id: String, from folder: String, livePlace: String?) -> String {
        let live = "The live page is \(livePlace ?? "being restored to the queue"). Nothing was applied."
        let text: String
        switch self {
        case .notOurs(let project):
            text = "\(id) is not a page labelmill made in \(project); nothing was applied."
        case .alreadyDone(let outbox):
            text = "a late copy of \(id), which was already done: the completed page is \(outbox). Nothing was applied."
        case .lostPageJSON:
            text = "the page folder \(folder) lost its page.json, so it was set aside here and the page was restored to the queue from the daemon's copy."
        case .staleCopy(let revision, let current):
            text = "a stale copy of \(id) (revision \(revision); the page is at revision \(current) and has changed hands since). \(live)"
        case .wrongHolder(let name, let holder):
            let held = holder.map { "held by \($0)" } ?? "not held by anyone"
            text = "a copy of \(id) found in \(name)'s folder, but the page is \(held): pages change hands only through the queue (`labelmill leave`, then `next`), not by moving folders. \(live)"
        case .secondCopy(let kept):
            text = "a second copy of \(id); the live page is \(kept). Nothing was applied."
        case .misplaced(let doneAt):
            let whereLive = doneAt.map { "The completed page is \($0). Nothing was applied." } ?? live
            text = "a copy of \(id) found at \(folder), not in a labeler's folder (pages live in labelers/NAME/\(id)). \(whereLive)"
        case .unreadableAtTimeOut:
            text = "\(id) timed out while its page.json was not valid JSON, so it could not go back to the queue with its labels. It was set aside here, and the page was restored to the queue from the daemon's copy."
        case .syncConflict(let files):
            // Files out of the live folder, not a folder: the live page is where they came from.
            return "Syncthing found \(files.joined(separator: ", ")) changed on two machines at once and kept this version aside. "
                + "Nothing was applied: the live page is \(folder). To use these labels, copy them into the live page by hand.\n"
        }
        return text + "\nIt came from \(folder). To use its labels, copy them into the live page by hand.\n"
    }
}
