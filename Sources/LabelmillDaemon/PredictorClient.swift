import LabelmillCore

/// The daemon's side of a project's predictor (SPEC section 8): one
/// long-lived process, requests pipelined with ids, a timeout on every
/// answer, and a restart with backoff after any misbehaviour. Runs on ML
/// assist's worker thread only, so a slow or broken predictor holds up
/// nothing but the embeddings, and an image whose embedding fails is paged
/// without one.
///
/// What counts as misbehaviour, each ending the process (the requests it had
/// not answered fail, the next start waits out `RestartBackoff`): it cannot
/// start, exits, prints what is not a JSON object with an id, answers an id
/// it was not asked (or twice), prints a line over 4 MiB, or lets a request
/// wait past `timeout_seconds`. An answer for a known id with a wrong
/// content (not finite, another length) fails that image only.
final class PredictorClient {
    let settings: PredictorSettings
    /// Where the command runs: the workspace's folder.
    let folder: String
    /// The length of its embeddings, once one is known (from the log or the first answer).
    var dimensions: Int?
    /// Log lines, as (message, reason): the caller adds the project and the command.
    var warn: (String, String) -> Void = { _, _ in }
    /// The clock of the backoff (tests move it); timeouts are on the monotonic clock.
    var clock: () -> Double = PredictorProcess.monotonic

    private var process: PredictorProcess?
    /// Readable once the daemon stops: a wait for an answer ends at once (`AssistWorker.stop`).
    var interrupt: Int32 = -1
    /// Whether the running process has printed a line yet: until then its
    /// answers may also wait for it to start (an interpreter, a model loaded).
    private var hasAnswered = false
    /// What a process just started gets on top of `timeout_seconds` for its first answer.
    static let startupSeconds = 30.0
    private(set) var backoff = RestartBackoff()
    private var lastFailure = ""
    private var nextID = 1
    /// Processes started so far (1 + restarts).
    private(set) var starts = 0

    /// Requests sent before their answers are read: enough to keep a
    /// predictor busy, few enough that their lines never fill its input pipe.
    static let window = 16

    init(settings: PredictorSettings, folder: String) {
        self.settings = settings
        self.folder = folder
    }

    deinit { process?.stop(grace: 1) }

    struct Image {
        var key: String
        /// Absolute path of the image file.
        var path: String
        var width: Int
        var height: Int
    }

    /// The embedding of each image, or why there is none, keyed by `Image.key`.
    func embed(_ images: [Image], task: TaskKind, tags: [String]) -> [String: Result<[Double], PredictorFailure>] {
        ask(images, op: .embed, task: task, tags: tags) { line, _ in
            PredictorWire.embedAnswer(line, dimensions: self.dimensions).map { id, answer in
                switch answer {
                case .embedding(let vector):
                    if self.dimensions == nil { self.dimensions = vector.count }
                    return (id, .success(vector))
                case .refused(let message):
                    return (id, .failure(PredictorFailure("the predictor answered with an error: \(message)")))
                }
            }
        }
    }

    /// What the predictor proposes for each image (regions or tags, the
    /// bad ones dropped with a warning), or why there is nothing.
    func predict(_ images: [Image], task: TaskKind, tags: [String]) -> [String: Result<PredictorWire.Prediction, PredictorFailure>] {
        ask(images, op: .predict, task: task, tags: tags) { line, image in
            // The id first, for the image's size the regions are checked against.
            let id: Int
            switch PredictorWire.answerObject(line) {
            case .failure(let problem): return .failure(problem)
            case .success(let (_, answered)): id = answered
            }
            // An id it was not asked: the caller ends the stream.
            guard let asked = image(id) else { return .success((id, .failure(PredictorFailure("not asked")))) }
            return PredictorWire.predictAnswer(line, task: task, tags: tags, width: asked.width, height: asked.height).map { id, prediction in
                switch prediction {
                case .refused(let message):
                    return (id, .failure(PredictorFailure("the predictor answered with an error: \(message)")))
                case .regions(_, let dropped), .tags(_, let dropped):
                    for why in dropped { self.warn("a predicted region or tag was dropped", "\(why) (image \(asked.path))") }
                    return (id, .success(prediction))
                }
            }
        }
    }

    /// Sends the requests for `images` (at most `window` in flight) and reads
    /// the answers as they come; `read` turns an answer line into its id and
    /// that image's result (given the image of an id it was asked).
    private func ask<T>(_ images: [Image], op: PredictorWire.Op, task: TaskKind, tags: [String],
                        read: ([UInt8], (Int) -> Image?) -> Result<(Int, Result<T, PredictorFailure>), PredictorWire.Problem>)
        -> [String: Result<T, PredictorFailure>] {
        var results: [String: Result<T, PredictorFailure>] = [:]
        var rest = images[...]
        while !rest.isEmpty {
            let batch = Array(rest.prefix(Self.window))
            rest = rest.dropFirst(batch.count)
            for (key, result) in askBatch(batch, op: op, task: task, tags: tags, read: read) { results[key] = result }
        }
        return results
    }

    private func askBatch<T>(_ images: [Image], op: PredictorWire.Op, task: TaskKind, tags: [String],
                             read: ([UInt8], (Int) -> Image?) -> Result<(Int, Result<T, PredictorFailure>), PredictorWire.Problem>)
        -> [String: Result<T, PredictorFailure>] {
        var results: [String: Result<T, PredictorFailure>] = [:]
        guard let process = running() else {
            let wait = max(0, backoff.notBefore - clock())
            let why = PredictorFailure("the predictor is not running (\(lastFailure); started again in \(PredictorProcess.format((wait * 10).rounded(.up) / 10)) s)")
            for image in images { results[image.key] = .failure(why) }
            return results
        }
        // Every request goes out first, then the answers are read as they come.
        var waiting: [Int: (image: Image, due: Double)] = [:]
        func fail(_ why: String) {
            stop(why)
            for asked in waiting.values { results[asked.image.key] = .failure(PredictorFailure("the predictor \(why)")) }
            for unsent in images where results[unsent.key] == nil { results[unsent.key] = .failure(PredictorFailure(why)) }
            waiting = [:]
        }
        for image in images {
            let id = nextID
            nextID += 1
            let request = PredictorWire.Request(id: id, op: op, image: image.path, width: image.width, height: image.height, task: task, tags: tags)
            let due = PredictorProcess.monotonic() + settings.timeoutSeconds + (hasAnswered ? 0 : Self.startupSeconds)
            do { try process.send(request.line, deadline: due) } catch {
                // A predictor that stopped reading has usually exited: say how.
                fail(process.exitStatus(within: 0.2) ?? error.description)
                return results
            }
            waiting[id] = (image, due)
        }
        while !waiting.isEmpty {
            let due = waiting.values.map(\.due).min()!
            switch process.readLine(until: due) {
            case .line(let line):
                hasAnswered = true
                switch read(line, { waiting[$0]?.image }) {
                case .success(let (id, result)):
                    guard let asked = waiting.removeValue(forKey: id) else {
                        fail("answered id \(id), which it was not asked or had answered already")
                        return results
                    }
                    backoff.succeeded()
                    if case .failure(let failure) = result {
                        warn("the predictor gave no usable answer for an image; it is paged without it", "\(failure) (image \(asked.image.path))")
                    }
                    results[asked.image.key] = result
                case .failure(.invalid(let id, let why)):
                    guard let asked = waiting.removeValue(forKey: id) else {
                        fail("answered id \(id), which it was not asked or had answered already")
                        return results
                    }
                    warn("a predictor answer was dropped", why)
                    results[asked.image.key] = .failure(PredictorFailure("the predictor's answer was dropped: \(why)"))
                case .failure(.broken(let why)):
                    fail(why)
                    return results
                }
            case .timedOut:
                fail("gave no answer within \(PredictorProcess.format(settings.timeoutSeconds)) s (timeout_seconds)"
                     + (hasAnswered ? "" : ", plus \(PredictorProcess.format(Self.startupSeconds)) s to start"))
            case .closed:
                fail(process.exitDescription())
            case .interrupted:
                fail("was stopped: the daemon is stopping")
            case .tooLong:
                fail("printed a line longer than \(PredictorWire.maxLineBytes >> 20) MiB")
            }
        }
        return results
    }

    /// The process, started if it is not running and the backoff allows; nil otherwise.
    private func running() -> PredictorProcess? {
        if let process { return process }
        guard backoff.mayStart(at: clock()) else { return nil }
        do {
            let process = try PredictorProcess(command: settings.command, folder: folder)
            process.interrupt = interrupt
            self.process = process
            hasAnswered = false
            starts += 1
            return process
        } catch {
            lastFailure = error.description
            let wait = backoff.failed(at: clock())
            warn("the predictor did not start; trying again later", "\(error.description); next start in \(PredictorProcess.format(wait)) s")
            return nil
        }
    }

    /// Ends the process after a misbehaviour; the next start waits out the backoff.
    private func stop(_ why: String) {
        process?.kill()
        process = nil
        lastFailure = why
        let wait = backoff.failed(at: clock())
        warn("the predictor misbehaved and was stopped; it is started again after a pause", "\(why); next start in \(PredictorProcess.format(wait)) s")
    }

    /// Lets the process finish (end of input), then kills what is left.
    func close() {
        process?.stop(grace: 2)
        process = nil
    }
}
