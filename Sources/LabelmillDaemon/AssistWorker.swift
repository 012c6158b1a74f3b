import CShims
import LabelmillCore
import LabelmillFS
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

    enum Job: Sendable {
        /// Embed the image at `path` (or `fallback`, once it has left the pool) and append its line to `log`.
        case embed(project: String, sha256: String, path: String, fallback: String, log: String)
        /// Cluster these vectors into `k` clusters.
        case cluster(project: String, generation: Int, ids: [String], vectors: [[Double]], k: Int)
        /// Train and calibrate a model on these labeled images, whose embeddings are in `log`.
        case train(project: String, version: Int, examples: [Example], tags: [String], target: Double, log: String)
    }

    enum Outcome: Sendable {
        case embedded(project: String, sha256: String, vector: [Double]?, problem: String?)
        case clustered(project: String, generation: Int, clusters: [String: Int])
        case trained(project: String, model: PrelabelModel?, problem: String?)
    }

    let root: any FileSystem
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

    init(root: any FileSystem) {
        self.root = root
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&wake, nil)
    }

    deinit {
        pthread_cond_destroy(&wake)
        pthread_mutex_destroy(&mutex)
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
        if let tid { pthread_join(tid, nil) }
    }

    func submit(_ job: Job) {
        let background = locked { () -> Bool in
            outstanding += 1
            guard thread != nil else { return false }
            if case .embed = job { embeds.append(job) } else { others.append(job) }
            pthread_cond_signal(&wake)
            return true
        }
        if !background {
            let outcome = Self.perform(job, root: root)
            locked { done.append(outcome) }
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
            let job = locked { () -> Job? in
                while !stopping && embeds.isEmpty && others.isEmpty { pthread_cond_wait(&wake, &mutex) }
                if stopping { return nil }
                // Embeddings first: pages wait for them; training can wait.
                return embeds.isEmpty ? others.removeFirst() : embeds.removeFirst()
            }
            guard let job else { return }
            let outcome = Self.perform(job, root: root)
            locked { done.append(outcome) }
            notify?()
        }
    }

    /// Runs one job: reads and computes, appends to the embedding log, touches nothing else.
    static func perform(_ job: Job, root: any FileSystem) -> Outcome {
        switch job {
        case .embed(let project, let sha, let path, let fallback, let log):
            let bytes: [UInt8]
            do { bytes = try root.read(path, maxBytes: Engine.maxFileBytes).bytes } catch {
                guard let kept = try? root.read(fallback, maxBytes: Engine.maxFileBytes).bytes else {
                    return .embedded(project: project, sha256: sha, vector: nil, problem: "cannot read the image: \(error)")
                }
                bytes = kept
            }
            let vector: [Double]
            do { vector = BuiltinEmbedding.features(rgb: try Thumbnail.rgb(of: bytes)) } catch {
                return .embedded(project: project, sha256: sha, vector: nil, problem: "\(error)")
            }
            do { try root.append(log, EmbeddingLog.line(sha256: sha, vector: vector)) } catch {
                // Kept in memory: computed again after a restart.
                return .embedded(project: project, sha256: sha, vector: vector, problem: "not stored: \(error)")
            }
            return .embedded(project: project, sha256: sha, vector: vector, problem: nil)
        case .cluster(let project, let generation, let ids, let vectors, let k):
            var generator = SeededGenerator(seed: UInt64(generation))
            let fit = KMeans.fit(vectors, k: k, maxIterations: 30, using: &generator)
            return .clustered(project: project, generation: generation,
                              clusters: Dictionary(zip(ids, fit.assignment), uniquingKeysWith: { a, _ in a }))
        case .train(let project, let version, let examples, let tags, let target, let log):
            let text: [UInt8]
            do { text = try root.read(log, maxBytes: 1 << 34).bytes } catch {
                return .trained(project: project, model: nil, problem: "cannot read the embeddings: \(error)")
            }
            let vectors = EmbeddingLog.read(text, dimensions: BuiltinEmbedding.dimensions, only: Set(examples.map(\.sha256))).vectors
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
                                                                                   embedder: "builtin", groups: groups), problem: nil)
        }
    }
}
