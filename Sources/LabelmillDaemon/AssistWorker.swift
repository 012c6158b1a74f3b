import CShims
import LabelmillCore
import LabelmillFS
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// ML assist's background work (SPEC section 7): embedding pool images,
/// clustering the pool, training and calibrating models. One thread at the
/// lowest priority (nice 19), so ingest and review, on the engine's thread,
/// never wait for it; the engine hands it jobs and picks up what is done at
/// its next step (`notify` wakes the engine). Without a thread (`watch
/// --once`, tests) each job runs when submitted.
final class AssistWorker: @unchecked Sendable {  // jobs and outcomes behind `mutex`
    /// A label people made: the image, its tag's index, and its page's number.
    struct Example: Sendable {
        var sha256: String
        var label: Int
        var group: Int
    }

    /// Embed the image at `path` (or `fallback`, once it has left the pool) and append its line to `log`.
    struct EmbedJob: Sendable {
        var project: String
        var sha256: String
        var path: String
        var fallback: String
        var width: Int
        var height: Int
        var embedder: EmbedderChoice
        var log: String
        /// What a predictor is told of the project, and the length of its embeddings once known.
        var task: TaskKind
        var tags: [String]
        var dimensions: Int?
    }

    /// Ask the project's predictor what it finds in the image (SPEC section 8, `op: predict`).
    struct PredictJob: Sendable {
        var project: String
        var sha256: String
        var path: String
        var fallback: String
        var width: Int
        var height: Int
        var predictor: PredictorSettings
        var folder: String
        var task: TaskKind
        var tags: [String]
    }

    enum Job: Sendable {
        case embed(EmbedJob)
        case predict(PredictJob)
        /// Cluster these vectors into `k` clusters.
        case cluster(project: String, generation: Int, ids: [String], vectors: [[Double]], k: Int)
        /// Train and calibrate a model on these labeled images, whose embeddings are in `log`.
        case train(project: String, version: Int, examples: [Example], tags: [String], target: Double,
                   embedder: String, log: String, dimensions: Int?)
    }

    enum Outcome: Sendable {
        /// `log`: the embedder's log it was made for (a change of embedder drops outcomes for the old one).
        case embedded(project: String, sha256: String, vector: [Double]?, problem: String?, log: String)
        case clustered(project: String, generation: Int, clusters: [String: Int])
        case trained(project: String, model: PrelabelModel?, problem: String?)
        /// `predictor`: the settings it was asked with (a change of predictor drops outcomes for the old one).
        case predicted(project: String, sha256: String, regions: [PredictedRegion]?, problem: String?, predictor: PredictorSettings)
    }

    let root: any FileSystem
    let logger: Logger
    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    private var embeds: [Job] = []
    private var others: [Job] = []
    private var done: [Outcome] = []
    private var stopping = false
    private var thread: pthread_t?
    /// Called on the worker's thread after each job (the engine's wakeup).
    var notify: (@Sendable () -> Void)?
    /// Jobs submitted and not yet taken back as outcomes.
    private(set) var outstanding = 0

    /// Each project's predictor, used by the one thread that runs the jobs.
    private var predictors: [String: PredictorClient] = [:]
    /// Each project's Label Studio ML backend, when its predictor is one.
    private var backends: [String: LabelStudioBackend] = [:]

    /// Written to by `stop`: a job waiting on a predictor ends at once, not at its timeout.
    private let stopPipe: (read: Int32, write: Int32)

    init(root: any FileSystem, logger: Logger) {
        self.root = root
        self.logger = logger
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&wake, nil)
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            stopPipe = (fds[0], fds[1])
        } else {
            stopPipe = (-1, -1)
        }
    }

    deinit {
        pthread_cond_destroy(&wake)
        pthread_mutex_destroy(&mutex)
        if stopPipe.read >= 0 { close(stopPipe.read); close(stopPipe.write) }
    }

    private func locked<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }

    var isBackground: Bool { locked { thread != nil } }

    /// Starts the thread; jobs submitted from now on run there.
    func start() {
        guard locked({ thread == nil }) else { return }
        // A stop before this start left its byte in the pipe: taken out, so waits are not cut short.
        var p = pollfd(fd: stopPipe.read, events: Int16(POLLIN), revents: 0)
        while stopPipe.read >= 0 && poll(&p, 1, 0) > 0 {
            var byte: UInt8 = 0
            guard read(stopPipe.read, &byte, 1) == 1 else { break }
        }
        let box = Unmanaged.passRetained(self)
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            let worker = Unmanaged<AssistWorker>.fromOpaque(arg!).takeRetainedValue()
            // The lowest priority: this thread only, never the engine's.
            _ = lm_lower_thread_priority(19)
            worker.loop()
            return nil
        }, box.toOpaque())
        if rc == 0 { locked { thread = tid } } else { box.release() }
    }

    /// Stops the thread after the job under way; jobs not started are dropped
    /// (each is submitted again when the daemon next needs it).
    func stop() {
        let tid = locked { () -> pthread_t? in
            stopping = true
            pthread_cond_signal(&wake)
            defer { thread = nil }
            return thread
        }
        if let tid {
            if stopPipe.write >= 0 { _ = withUnsafeBytes(of: UInt8(1)) { write(stopPipe.write, $0.baseAddress, 1) } }
            pthread_join(tid, nil)
        }
        for client in predictors.values { client.close() }
        predictors = [:]
        for backend in backends.values { backend.close() }
        backends = [:]
    }

    func submit(_ job: Job) {
        let background = locked { () -> Bool in
            outstanding += 1
            guard thread != nil else { return false }
            switch job {
            case .embed, .predict: embeds.append(job)
            default: others.append(job)
            }
            pthread_cond_signal(&wake)
            return true
        }
        if !background {
            let outcomes = perform([job])
            locked { done.append(contentsOf: outcomes) }
        }
    }

    /// What finished since the last call.
    func take() -> [Outcome] {
        locked {
            defer { done = [] }
            outstanding -= done.count
            return done
        }
    }

    private func loop() {
        while true {
            let jobs = locked { () -> [Job] in
                while !stopping && embeds.isEmpty && others.isEmpty { pthread_cond_wait(&wake, &mutex) }
                if stopping { return [] }
                // Embeddings and predictions first: pages wait for them; training can wait.
                guard !embeds.isEmpty else { return [others.removeFirst()] }
                let first = embeds.removeFirst()
                // A predictor's requests are pipelined: the next ones of the same kind for the same predictor go with it.
                func sameBatch(_ job: Job) -> Bool {
                    switch (first, job) {
                    case (.embed(let a), .embed(let b)): return a.embedder.predictor != nil && a.project == b.project && a.embedder == b.embedder
                    case (.predict(let a), .predict(let b)): return a.project == b.project && a.predictor == b.predictor
                    default: return false
                    }
                }
                var batch = [first]
                while batch.count < PredictorClient.window, let i = embeds.firstIndex(where: sameBatch) { batch.append(embeds.remove(at: i)) }
                return batch
            }
            guard !jobs.isEmpty else { return }
            let outcomes = perform(jobs)
            locked { done.append(contentsOf: outcomes) }
            notify?()
        }
    }

    /// Runs jobs (several only when they are embeddings by one predictor):
    /// reads and computes, appends to the embedding log, touches nothing else.
    func perform(_ jobs: [Job]) -> [Outcome] {
        var embeds: [EmbedJob] = []
        var predicts: [PredictJob] = []
        var outcomes: [Outcome] = []
        for job in jobs {
            switch job {
            case .embed(let e): embeds.append(e)
            case .predict(let p): predicts.append(p)
            case .cluster(let project, let generation, let ids, let vectors, let k):
                outcomes.append(Self.cluster(project: project, generation: generation, ids: ids, vectors: vectors, k: k))
            case .train(let project, let version, let examples, let tags, let target, let embedder, let log, let dimensions):
                outcomes.append(Self.train(project: project, version: version, examples: examples, tags: tags, target: target,
                                           embedder: embedder, log: log, dimensions: dimensions, root: root))
            }
        }
        if let lead = predicts.first { outcomes += predict(predicts, lead: lead) }
        guard let lead = embeds.first else { return outcomes }
        guard let predictor = lead.embedder.predictor else { return outcomes + embeds.map(builtinEmbedding) }
        let client = predictorClient(for: lead.project, settings: predictor, folder: lead.embedder.folder)
        if client.dimensions == nil { client.dimensions = lead.dimensions }
        let images = embeds.map { imageFile($0.sha256, path: $0.path, fallback: $0.fallback, width: $0.width, height: $0.height) }
        let results = client.embed(images, task: lead.task, tags: lead.tags)
        for job in embeds {
            switch results[job.sha256] ?? .failure(PredictorFailure("no answer")) {
            case .success(let vector): outcomes.append(store(vector, for: job))
            case .failure(let failure): outcomes.append(.embedded(project: job.project, sha256: job.sha256, vector: nil, problem: failure.description, log: job.log))
            }
        }
        return outcomes
    }

    /// The image as the pool holds it, or the daemon's kept copy once it has left the pool.
    private func imageFile(_ sha256: String, path: String, fallback: String, width: Int, height: Int) -> PredictorClient.Image {
        PredictorClient.Image(key: sha256, path: PageFolder.absolute(root.status(path) != nil ? path : fallback), width: width, height: height)
    }

    /// The regions the predictor proposes for each image; what it got wrong is dropped (logged by the client).
    private func predict(_ jobs: [PredictJob], lead: PredictJob) -> [Outcome] {
        let images = jobs.map { imageFile($0.sha256, path: $0.path, fallback: $0.fallback, width: $0.width, height: $0.height) }
        let results = lead.predictor.url != nil
            ? backend(for: lead.project, settings: lead.predictor).predict(images, task: lead.task, tags: lead.tags)
            : predictorClient(for: lead.project, settings: lead.predictor, folder: lead.folder).predict(images, task: lead.task, tags: lead.tags)
        return jobs.map { job in
            switch results[job.sha256] ?? .failure(PredictorFailure("no answer")) {
            case .success(.regions(let regions, _)):
                return .predicted(project: job.project, sha256: job.sha256, regions: regions, problem: nil, predictor: job.predictor)
            case .success:
                return .predicted(project: job.project, sha256: job.sha256, regions: nil, problem: "the predictor answered tags, not regions", predictor: job.predictor)
            case .failure(let failure):
                return .predicted(project: job.project, sha256: job.sha256, regions: nil, problem: failure.description, predictor: job.predictor)
            }
        }
    }

    /// The project's predictor client (one process for embed and predict), new when the project's predictor changed.
    private func predictorClient(for project: String, settings: PredictorSettings, folder: String) -> PredictorClient {
        if let client = predictors[project], client.settings == settings { return client }
        predictors[project]?.close()
        let client = PredictorClient(settings: settings, folder: PageFolder.absolute(folder))
        client.interrupt = stopPipe.read
        let logger = self.logger
        let command = settings.command.joined(separator: " ")
        client.warn = { message, reason in
            logger.warning("\(message)", metadata: ["project": "\(project)", "predictor": "\(command)", "reason": "\(reason)"])
        }
        predictors[project] = client
        return client
    }

    /// The project's Label Studio ML backend, new when the project's predictor changed.
    private func backend(for project: String, settings: PredictorSettings) -> LabelStudioBackend {
        if let backend = backends[project], backend.settings == settings { return backend }
        backends[project]?.close()
        let backend = LabelStudioBackend(settings: settings, project: project)
        let logger = self.logger
        let url = settings.url ?? ""
        backend.warn = { message, reason in
            logger.warning("\(message)", metadata: ["project": "\(project)", "predictor": "\(url)", "reason": "\(reason)"])
        }
        backends[project] = backend
        return backend
    }

    private func builtinEmbedding(_ job: EmbedJob) -> Outcome {
        let bytes: [UInt8]
        do { bytes = try root.read(job.path, maxBytes: Engine.maxFileBytes).bytes } catch {
            guard let kept = try? root.read(job.fallback, maxBytes: Engine.maxFileBytes).bytes else {
                return .embedded(project: job.project, sha256: job.sha256, vector: nil, problem: "cannot read the image: \(error)", log: job.log)
            }
            bytes = kept
        }
        do { return store(BuiltinEmbedding.features(rgb: try Thumbnail.rgb(of: bytes)), for: job) } catch {
            return .embedded(project: job.project, sha256: job.sha256, vector: nil, problem: "\(error)", log: job.log)
        }
    }

    /// Appends the embedding's line to the log.
    private func store(_ vector: [Double], for job: EmbedJob) -> Outcome {
        do { try root.append(job.log, EmbeddingLog.line(sha256: job.sha256, vector: vector)) } catch {
            // Kept in memory: computed again after a restart.
            return .embedded(project: job.project, sha256: job.sha256, vector: vector, problem: "not stored: \(error)", log: job.log)
        }
        return .embedded(project: job.project, sha256: job.sha256, vector: vector, problem: nil, log: job.log)
    }

    static func cluster(project: String, generation: Int, ids: [String], vectors: [[Double]], k: Int) -> Outcome {
        var generator = SeededGenerator(seed: UInt64(generation))
        let fit = KMeans.fit(vectors, k: k, maxIterations: 30, using: &generator)
        return .clustered(project: project, generation: generation,
                          clusters: Dictionary(zip(ids, fit.assignment), uniquingKeysWith: { a, _ in a }))
    }

    /// Trains on the labeled images whose embeddings are in the log.
    static func train(project: String, version: Int, examples: [Example], tags: [String], target: Double,
                      embedder: String, log: String, dimensions: Int?, root: any FileSystem) -> Outcome {
        let text: [UInt8]
        do { text = try root.read(log, maxBytes: 1 << 34).bytes } catch {
            return .trained(project: project, model: nil, problem: "cannot read the embeddings: \(error)")
        }
        let vectors = EmbeddingLog.read(text, dimensions: dimensions, only: Set(examples.map(\.sha256))).vectors
        var x: [[Double]] = []
        var y: [Int] = []
        var groups: [Int] = []
        for example in examples {
            guard let v = vectors[example.sha256] else { continue }
            x.append(v)
            y.append(example.label)
            groups.append(example.group)
        }
        guard Set(y).count >= 2 else {
            return .trained(project: project, model: nil, problem: "the labeled images with embeddings use fewer than two tags")
        }
        return .trained(project: project, model: PrelabelModel.train(x, labels: y, tags: tags, target: target, version: version,
                                                                     embedder: embedder, groups: groups), problem: nil)
    }
}
