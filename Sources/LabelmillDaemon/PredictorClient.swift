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
        var results: [String: Result<[Double], PredictorFailure>] = [:]
        var rest = images[...]
        while !rest.isEmpty {
            let batch = rest.prefix(Self.window)
            rest = rest.dropFirst(batch.count)
            for (key, result) in embedBatch(Array(batch), task: task, tags: tags) { results[key] = result }
        }
        return results
    }

    private func embedBatch(_ images: [Image], task: TaskKind, tags: [String]) -> [String: Result<[Double], PredictorFailure>] {
        var results: [String: Result<[Double], PredictorFailure>] = [:]
        guard let process = running() else {
            let wait = max(0, backoff.notBefore - clock())
            let why = PredictorFailure("the predictor is not running (\(lastFailure); started again in \(PredictorProcess.format((wait * 10).rounded(.up) / 10)) s)")
            for image in images { results[image.key] = .failure(why) }
            return results
        }
        // Every request goes out first, then the answers are read as they come.
        var waiting: [Int: (key: String, due: Double)] = [:]
        for image in images {
            let id = nextID
            nextID += 1
            let request = PredictorWire.Request(id: id, op: .embed, image: image.path, width: image.width, height: image.height, task: task, tags: tags)
            let due = PredictorProcess.monotonic() + settings.timeoutSeconds
            do { try process.send(request.line, deadline: due) } catch {
                fail(error.description, waiting: &waiting, results: &results)
                for unsent in images where results[unsent.key] == nil { results[unsent.key] = .failure(PredictorFailure(lastFailure)) }
                return results
            }
            waiting[id] = (image.key, due)
        }
        while !waiting.isEmpty {
            let due = waiting.values.map(\.due).min()!
            switch process.readLine(until: due) {
            case .line(let line):
                switch PredictorWire.embedAnswer(line, dimensions: dimensions) {
                case .success(let (id, answer)):
                    guard let asked = waiting.removeValue(forKey: id) else {
                        fail("answered id \(id), which it was not asked or had answered already", waiting: &waiting, results: &results)
                        return results
                    }
                    backoff.succeeded()
                    switch answer {
                    case .embedding(let vector):
                        if dimensions == nil { dimensions = vector.count }
                        results[asked.key] = .success(vector)
                    case .refused(let message):
                        warn("the predictor could not embed an image; it is paged without an embedding", "\(message) (image \(images.first { $0.key == asked.key }?.path ?? asked.key))")
                        results[asked.key] = .failure(PredictorFailure("the predictor answered with an error: \(message)"))
                    }
                case .failure(.invalid(let id, let why)):
                    guard let asked = waiting.removeValue(forKey: id) else {
                        fail("answered id \(id), which it was not asked or had answered already", waiting: &waiting, results: &results)
                        return results
                    }
                    let failure = PredictorFailure("the predictor's answer was dropped: \(why)")
                    warn("a predictor answer was dropped", why)
                    results[asked.key] = .failure(failure)
                case .failure(.broken(let why)):
                    fail(why, waiting: &waiting, results: &results)
                    return results
                }
            case .timedOut:
                fail("gave no answer within \(PredictorProcess.format(settings.timeoutSeconds)) s (timeout_seconds)", waiting: &waiting, results: &results)
            case .closed:
                fail(process.exitDescription(), waiting: &waiting, results: &results)
            case .tooLong:
                fail("printed a line longer than \(PredictorWire.maxLineBytes >> 20) MiB", waiting: &waiting, results: &results)
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
            self.process = process
            starts += 1
            return process
        } catch {
            lastFailure = error.description
            let wait = backoff.failed(at: clock())
            warn("the predictor did not start; trying again later", "\(error.description); next start in \(PredictorProcess.format(wait)) s")
            return nil
        }
    }

    /// Ends the process after a misbehaviour: what it had not answered fails with `why`.
    private func fail(_ why: String, waiting: inout [Int: (key: String, due: Double)], results: inout [String: Result<[Double], PredictorFailure>]) {
        process?.kill()
        process = nil
        lastFailure = why
        let wait = backoff.failed(at: clock())
        warn("the predictor misbehaved and was stopped; it is started again after a pause", "\(why); next start in \(PredictorProcess.format(wait)) s")
        for asked in waiting.values { results[asked.key] = .failure(PredictorFailure("the predictor \(why)")) }
        waiting = [:]
    }

    /// Lets the process finish (end of input), then kills what is left.
    func close() {
        process?.stop(grace: 2)
        process = nil
    }
}
