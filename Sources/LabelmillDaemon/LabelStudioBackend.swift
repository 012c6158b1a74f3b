import Dispatch
import Foundation
import LabelmillCore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The daemon's side of a Label Studio ML backend (SPEC section 8,
/// `"protocol": "label-studio"`): the calls Label Studio makes, in its order.
/// `GET /health` and `POST /setup` (the project's labeling config, and the
/// loopback address the images are fetched from) once, then `POST /predict`
/// with one task per image, its `data.image` a URL of the daemon's
/// `ImageServer`. Each answer's RectangleLabels / PolygonLabels are turned
/// into pixels and checked like any predictor's (`PredictorWire.predictAnswer`).
///
/// Runs on ML assist's worker thread, like `PredictorClient`: a backend that
/// is down, slow past `timeout_seconds`, or answers what is not Label
/// Studio's format fails those images (they are paged without proposals)
/// and is asked again only after `RestartBackoff`'s pause, set up anew.
final class LabelStudioBackend {
    let settings: PredictorSettings
    let project: String
    var warn: (String, String) -> Void = { _, _ in }
    var clock: () -> Double = PredictorProcess.monotonic

    private let base: String
    private var images: ImageServer?
    private var isSetUp = false
    private(set) var backoff = RestartBackoff()
    private var lastFailure = ""
    private var nextTask = 1
    private let session: URLSession

    init(settings: PredictorSettings, project: String) {
        self.settings = settings
        self.project = project
        self.base = settings.url ?? ""
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = settings.timeoutSeconds
        configuration.timeoutIntervalForResource = settings.timeoutSeconds
        configuration.httpMaximumConnectionsPerHost = 1
        configuration.urlCache = nil
        session = URLSession(configuration: configuration)
    }

    deinit { close() }

    func close() {
        images?.stop()
        images = nil
        session.invalidateAndCancel()
    }

    /// What the backend proposes for each image, keyed by `Image.key`.
    func predict(_ batch: [PredictorClient.Image], task: TaskKind, tags: [String]) -> [String: Result<PredictorWire.Prediction, PredictorFailure>] {
        var results: [String: Result<PredictorWire.Prediction, PredictorFailure>] = [:]
        let config = LabelStudioWire.labelConfig(task: task, tags: tags)
        guard let images = ready(config: config) else {
            let wait = max(0, backoff.notBefore - clock())
            let why = PredictorFailure("the Label Studio backend is not answering (\(lastFailure); asked again in \(PredictorProcess.format((wait * 10).rounded(.up) / 10)) s)")
            for image in batch { results[image.key] = .failure(why) }
            return results
        }
        for (k, image) in batch.enumerated() {
            let id = nextTask
            nextTask += 1
            let offered = images.offer(image.path)
            defer { images.forget(offered.id) }
            let body = LabelStudioWire.predictBody(taskID: id, imageURL: offered.url, project: projectName, config: config)
            switch call("POST", "/predict", body: body) {
            case .failure(let why):
                fail("/predict \(why)")
                for rest in batch[k...] { results[rest.key] = .failure(PredictorFailure("the Label Studio backend \(why)")) }
                return results
            case .success(let answer):
                backoff.succeeded()
                results[image.key] = read(answer, id: id, image: image, task: task, tags: tags)
            }
        }
        return results
    }

    private var projectName: String { "labelmill.\(project)" }

    private func read(_ answer: [UInt8], id: Int, image: PredictorClient.Image, task: TaskKind, tags: [String])
        -> Result<PredictorWire.Prediction, PredictorFailure> {
        switch LabelStudioWire.answerLine(answer, id: id, task: task, width: image.width, height: image.height) {
        case .failure(let problem):
            warn("a Label Studio backend answer was dropped", "\(problem) (image \(image.path))")
            return .failure(PredictorFailure("the backend's answer was dropped: \(problem)"))
        case .success(let (line, convertDropped, origins)):
            for why in convertDropped { warn("a predicted region was dropped", "\(why) (image \(image.path))") }
            switch PredictorWire.predictAnswer(line, task: task, tags: tags, width: image.width, height: image.height) {
            case .failure(let problem):
                warn("a Label Studio backend answer was dropped", "\(problem) (image \(image.path))")
                return .failure(PredictorFailure("the backend's answer was dropped: \(problem)"))
            case .success(let (_, prediction)):
                if case .regions(_, let dropped) = prediction {
                    for why in dropped {
                        warn("a predicted region was dropped", "\(LabelStudioWire.renumbered(why, origins: origins)) (image \(image.path))")
                    }
                }
                return .success(prediction)
            }
        }
    }

    /// The image server, with the backend healthy and set up; nil while the backoff lasts or when it is not.
    private func ready(config: String) -> ImageServer? {
        if isSetUp, let images { return images }
        guard backoff.mayStart(at: clock()) else { return nil }
        if images == nil {
            do { images = try ImageServer() } catch {
                fail("the daemon could not serve the images: \(error.description)")
                return nil
            }
        }
        switch call("GET", "/health", body: nil) {
        case .failure(let why):
            fail("/health \(why)")
            return nil
        case .success(let answer) where !LabelStudioWire.isUp(answer):
            fail("/health did not say {\"status\": \"UP\"}: \(PredictorWire.excerpt(answer))")
            return nil
        case .success: break
        }
        let body = LabelStudioWire.setupBody(project: projectName, config: config, hostname: images!.base)
        if case .failure(let why) = call("POST", "/setup", body: body) {
            fail("/setup \(why)")
            return nil
        }
        isSetUp = true
        return images
    }

    private func fail(_ why: String) {
        isSetUp = false
        lastFailure = why
        let wait = backoff.failed(at: clock())
        warn("the Label Studio backend failed; it is asked again after a pause", "\(why); next try in \(PredictorProcess.format(wait)) s")
    }

    /// One HTTP call; the body of a 2xx answer, else why not (in words that follow "the backend ...").
    private func call(_ method: String, _ path: String, body: String?) -> Result<[UInt8], CallFailure> {
        guard let url = URL(string: base + path) else { return .failure(CallFailure("has an address that is not a URL: \(base)")) }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = settings.timeoutSeconds
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let done = DispatchSemaphore(value: 0)
        let box = CallBox()
        let task = session.dataTask(with: request) { data, response, error in
            box.set(data, response as? HTTPURLResponse, error)
            done.signal()
        }
        task.resume()
        // URLSession's own timeout applies; this one is the backstop should it not fire.
        if done.wait(timeout: .now() + settings.timeoutSeconds + 5) == .timedOut {
            task.cancel()
            return .failure(CallFailure("gave no answer within \(PredictorProcess.format(settings.timeoutSeconds)) s (timeout_seconds)"))
        }
        let (data, response, error) = box.get()
        if let error {
            let nsError = error as NSError
            if nsError.code == NSURLErrorTimedOut {
                return .failure(CallFailure("gave no answer within \(PredictorProcess.format(settings.timeoutSeconds)) s (timeout_seconds)"))
            }
            return .failure(CallFailure("could not be reached at \(base): \(error.localizedDescription)"))
        }
        guard let response else { return .failure(CallFailure("sent no HTTP answer")) }
        let bytes = [UInt8](data ?? Data())
        guard bytes.count <= PredictorWire.maxLineBytes else {
            return .failure(CallFailure("answered over \(PredictorWire.maxLineBytes >> 20) MiB"))
        }
        guard (200..<300).contains(response.statusCode) else {
            return .failure(CallFailure("answered HTTP \(response.statusCode): \(PredictorWire.excerpt(bytes))"))
        }
        return .success(bytes)
    }

    struct CallFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    private final class CallBox: @unchecked Sendable {
        private let lock = NSLock()
        private var value: (Data?, HTTPURLResponse?, Error?) = (nil, nil, nil)
        func set(_ data: Data?, _ response: HTTPURLResponse?, _ error: Error?) { lock.lock(); value = (data, response, error); lock.unlock() }
        func get() -> (Data?, HTTPURLResponse?, Error?) { lock.lock(); defer { lock.unlock() }; return value }
    }
}
