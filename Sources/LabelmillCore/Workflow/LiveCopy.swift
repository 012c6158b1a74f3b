/// One folder of a page found in Watch, as the edge read it.
public struct PageCopy: Sendable, Equatable {
    /// What page.json said, as far as choosing the live copy goes.
    public enum Revision: Sendable, Equatable {
        case number(Int)
        /// page.json is there but not valid JSON with a revision (mid-save, damaged).
        case unreadable
        /// No page.json in the folder.
        case missing
    }

    public var folder: String
    public var place: Workspace.Place
    public var revision: Revision

    public init(folder: String, place: Workspace.Place, revision: Revision) {
        (self.folder, self.place, self.revision) = (folder, place, revision)
    }
}

/// Which copy of a page is live, and why each other one is set aside.
public struct LiveCopyChoice: Sendable, Equatable {
    public struct SetAside: Sendable, Equatable {
        public var copy: PageCopy
        public var reason: ConflictReason
    }

    /// The copy to review; nil when none is (the page is done, not ours, or every copy went aside).
    public var live: PageCopy?
    /// The other copies, in the order found, each with its reason.
    public var setAside: [SetAside]
}

public enum LiveCopy {
    /// Chooses the live folder of page `id` among `copies` (one or more places
    /// in Watch) against the daemon's copy of the page. The daemon's record
    /// decides: the revision it last gave the page (an older one is an earlier
    /// holder's), and who holds it (never where a folder was moved to). A copy
    /// whose page.json is being saved stays a candidate; one without page.json
    /// goes aside (the page is restored). Of several current copies the
    /// holder's is kept. `outbox`: where a done page lives.
    public static func choose(page id: String, project: String, copies: [PageCopy], daemonCopy: PageManifest?, outbox: String) -> LiveCopyChoice {
        guard let copy = daemonCopy else {
            return LiveCopyChoice(live: nil, setAside: copies.map { .init(copy: $0, reason: .notOurs(project: project)) })
        }
        if copy.status == .done {
            return LiveCopyChoice(live: nil, setAside: copies.map { .init(copy: $0, reason: .alreadyDone(outbox: outbox)) })
        }
        var aside: [LiveCopyChoice.SetAside] = []
        var current: [PageCopy] = []
        for candidate in copies {
            switch candidate.revision {
            case .missing:
                aside.append(.init(copy: candidate, reason: .lostPageJSON))
            case .unreadable:
                current.append(candidate)  // judged once it is valid JSON again
            case .number(let revision) where revision < copy.revision:
                aside.append(.init(copy: candidate, reason: .staleCopy(revision: revision, current: copy.revision)))
            case .number:
                if case .labeler(let name) = candidate.place, name != copy.assignedTo {
                    aside.append(.init(copy: candidate, reason: .wrongHolder(foundIn: name, holder: copy.assignedTo)))
                } else {
                    current.append(candidate)
                }
            }
        }
        let holder: String? = copy.assignedTo
        guard let keep = current.first(where: { labelerName($0.place) == holder }) ?? current.first else {
            return LiveCopyChoice(live: nil, setAside: aside)
        }
        for other in current where other.folder != keep.folder {
            aside.append(.init(copy: other, reason: .secondCopy(live: keep.folder)))
        }
        return LiveCopyChoice(live: keep, setAside: aside)
    }

    static func labelerName(_ place: Workspace.Place) -> String? {
        if case .labeler(let name) = place { return name }
        return nil
    }
}
