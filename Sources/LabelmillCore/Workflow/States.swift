/// What a project is doing, one named state (as syncthing names a folder's).
public enum ProjectPhase: Sendable, Equatable {
    /// No usable project.json (missing, invalid, a tag change refused before
    /// any was accepted): the project is skipped, and logged, until fixed.
    case unconfigured(reason: String)
    /// Settings read: every step runs.
    case ready(ProjectSettings)
    /// A step met a full disk: the daemon waits and retries, dropping nothing.
    case waitingForSpace(ProjectSettings)

    /// The settings in force; nil while unconfigured.
    public var settings: ProjectSettings? {
        switch self {
        case .unconfigured: return nil
        case .ready(let settings), .waitingForSpace(let settings): return settings
        }
    }

    public var isWaitingForSpace: Bool {
        if case .waitingForSpace = self { return true }
        return false
    }

    /// project.json was read (or a bad change refused, keeping these settings).
    /// A full disk is still a full disk.
    public func configured(_ settings: ProjectSettings) -> ProjectPhase {
        isWaitingForSpace ? .waitingForSpace(settings) : .ready(settings)
    }

    /// A step met a full disk.
    public var diskFull: ProjectPhase {
        if case .ready(let settings) = self { return .waitingForSpace(settings) }
        return self
    }

    /// A step went through after a full disk.
    public var spaceAgain: ProjectPhase {
        if case .waitingForSpace(let settings) = self { return .ready(settings) }
        return self
    }
}

/// Where a page is in its life (SPEC section 3), from the daemon's record.
public enum PagePhase: Sendable, Equatable {
    case queued
    case held(by: String)
    /// Handed in, waiting for review where it is (nil: handed in from the queue).
    case submitted(by: String?)
    /// Reviewed with errors: the labeler fixes it and submits again.
    case rejected(by: String?)
    case done

    /// What happens to a page.
    public enum Event: Sendable, Equatable {
        case assigned(to: String)
        /// Timed out or left (`labelmill leave`): back to the queue with its labels.
        case returned
        case submitted
        case rejected
        case accepted
        /// Its folder was lost or damaged: put back in the queue from the daemon's copy.
        case restored

        /// Whether the page changes hands, so its revision goes up and any
        /// copy from before is stale (a rejection does not).
        public var changesHands: Bool {
            switch self {
            case .assigned, .returned, .restored: return true
            case .submitted, .rejected, .accepted: return false
            }
        }
    }

    /// The phase after `event`; nil when the event cannot happen here (a done
    /// page never changes again: a late copy of it goes to conflicts).
    public func after(_ event: Event) -> PagePhase? {
        switch (self, event) {
        case (.done, _): return nil
        case (_, .restored): return .queued
        case (.queued, .assigned(let name)): return .held(by: name)
        case (.held, .returned), (.rejected, .returned): return .queued
        case (.held(let name), .submitted), (.rejected(let name?), .submitted): return .submitted(by: name)
        case (.queued, .submitted), (.rejected(nil), .submitted): return .submitted(by: nil)
        case (.submitted(let name), .rejected): return .rejected(by: name)
        case (.submitted, .accepted): return .done
        default: return nil
        }
    }

    /// The revision after `event` on a page at `revision`.
    public static func revision(_ revision: Int, after event: Event) -> Int {
        event.changesHands ? revision + 1 : revision
    }
}

/// A labeler, from their folder in `labelers/`.
public enum LabelerPhase: Sendable, Equatable {
    /// A folder without SIGNED-OUT.txt: kept filled to `pages_per_labeler`.
    case signedIn
    /// SIGNED-OUT.txt is there: no new pages (held ones still time out).
    case signedOut
    /// `labelmill leave` in a shared root asked (its SIGNED-OUT.txt says so):
    /// the pages go back to the queue, labels kept.
    case left
    /// The lease ran out: pages go back to the queue, SIGNED-OUT.txt says why.
    case timedOut
}

/// One labeler as the workflow sees them when it staffs the queue.
public struct LabelerSeat: Sendable, Equatable {
    public var name: String
    public var signedIn: Bool
    /// Pages in the folder now.
    public var held: Int
    public var lease: Lease
    /// SIGNED-OUT.txt is a request of `labelmill leave` not yet carried out (a
    /// labeler in a shared root cannot move pages into the queue: the daemon does).
    public var leaveRequested: Bool

    public init(name: String, signedIn: Bool, held: Int, lease: Lease, leaveRequested: Bool = false) {
        (self.name, self.signedIn, self.held, self.lease, self.leaveRequested) = (name, signedIn, held, lease, leaveRequested)
    }
}

/// What the workflow asks the handler to do for the labelers.
public enum StaffingAction: Sendable, Equatable {
    /// The lease ran out: return the pages, sign the labeler out.
    case expireLease(labeler: String)
    /// The labeler asked to leave: return the pages (labels kept), keep them signed out.
    case returnPages(labeler: String)
    /// Keep the folder filled to `upTo` pages from the queue (and say so when the queue is empty).
    case fill(labeler: String, upTo: Int)
}

public enum Staffing {
    /// The labelers' actions, in their order: a signed-out labeler holding
    /// pages who asked to leave gets them returned; one whose lease ran out is
    /// timed out, signed in or not (a SIGNED-OUT.txt can come back with a sync
    /// while pages are held); every other signed-in labeler is kept filled.
    public static func actions(for seats: [LabelerSeat], pagesPerLabeler: Int, leaseMinutes: Double, now: Double) -> [StaffingAction] {
        seats.compactMap { seat in
            if seat.held > 0, !seat.signedIn, seat.leaveRequested { return .returnPages(labeler: seat.name) }
            if seat.held > 0, seat.lease.isExpired(at: now, minutes: leaseMinutes) { return .expireLease(labeler: seat.name) }
            return seat.signedIn ? .fill(labeler: seat.name, upTo: pagesPerLabeler) : nil
        }
    }

    /// The phase of a labeler after the actions.
    public static func phase(of seat: LabelerSeat, after actions: [StaffingAction]) -> LabelerPhase {
        if actions.contains(.expireLease(labeler: seat.name)) { return .timedOut }
        if actions.contains(.returnPages(labeler: seat.name)) { return .left }
        return seat.signedIn ? .signedIn : .signedOut
    }
}
