import LabelmillCore
import LabelmillFS

/// Which embedder a project's ML assist uses (project.json `assist.embedder`),
/// and where its embeddings are kept.
struct EmbedderChoice: Sendable, Equatable {
    /// nil: the builtin features.
    var predictor: PredictorSettings?
    /// Where a predictor's command runs: the workspace's folder.
    var folder: String

    static func of(_ settings: ProjectSettings, in workspace: Workspace) -> EmbedderChoice {
        EmbedderChoice(predictor: settings.assist?.embedder == .predictor ? settings.predictor : nil, folder: workspace.root)
    }

    /// What model names start with: `builtin-3`, `predictor-4`.
    var name: String { predictor == nil ? "builtin" : "predictor" }
    var logName: String { EmbeddingLog.fileName(predictorCommand: predictor?.command) }
    /// The builtin features' length; a predictor's is learned from its log or its first answer.
    var fixedDimensions: Int? { predictor == nil ? BuiltinEmbedding.dimensions : nil }
}

/// What ML assist knows of one project (SPEC section 7), on the engine's
/// thread: when each pool image came, the embeddings of the pool, the latest
/// clustering, the model in use and the live check of its prelabels.
final class ProjectAssist {
    var embedder: EmbedderChoice
    /// The length of the embedder's vectors, once known.
    var dimensions: Int?

    init(embedder: EmbedderChoice) {
        self.embedder = embedder
        dimensions = embedder.fixedDimensions
    }

    /// When each pool image came, on the daemon's clock.
    var arrival: [String: Double] = [:]
    /// Embeddings of pool images (the embedder's raw values), at the half precision
    /// the log stores: a quarter of the memory, and the same values after a restart.
    var vectors: [String: [Float16]] = [:]

    func vector(_ sha: String) -> [Double]? { vectors[sha].map { $0.map { Double(Float($0)) } } }
    func keep(_ vector: [Double], of sha: String) { vectors[sha] = vector.map { Float16(Float($0.isFinite ? $0 : 0)) } }
    /// Images whose embedding is stored in the log (never computed again).
    var stored = Set<String>()
    /// Embeddings asked of the worker and not back yet.
    var asked = Set<String>()
    /// Images the embedder could not read or decode: paged without one.
    var failed = Set<String>()
    /// The latest clustering of the pool (image -> cluster), and how many
    /// embedded pool images it saw.
    var clusters: [String: Int] = [:]
    var clusteredCount = 0
    var clusterGeneration = 0
    var clustering = false
    /// The model in use, if one passed calibration; paused by the live check.
    var model: PrelabelModel?
    /// The model trained last, used or not (model.json shows it).
    var latest: PrelabelModel?
    /// Tasks clustered and prelabeled, reviews per model: nil until counted from the copies.
    var counts: AssistCounts?
    var paused: String?
    var training = false
    /// Models trained so far in this project (the next is `<embedder>-<versions + 1>`).
    var versions = 0
    /// Human labels in the outbox, and how many the last training saw.
    /// nil until counted from the copies (the first look after start), then kept up to date.
    var humanLabels: Int?
    var trainedOn = 0
    /// What the models learn from (`humanExamples`), for the tags they were
    /// listed with: read from the copies once, then added to as pages are
    /// accepted (the copies of done pages are on disk, in the journal).
    var examples: (tags: [String], list: [AssistWorker.Example])?
    var live = LiveCheck(target: 0.97)
    /// When an image still waiting for its embedding may be paged without it.
    var embedDue = Double.infinity
    /// Something pages depend on changed since the last plan; the queue's length at that plan.
    var dirty = true
    var plannedAt = -1
    /// What the project's predictor proposed for pool images (bbox and
    /// polygon projects, SPEC section 8), asked once per image; the images it
    /// gave no answer for are paged without proposals.
    var predictions: [String: [PredictedRegion]] = [:]
    var predictAsked = Set<String>()
    var predictFailed = Set<String>()
    /// The model's suggestions for pool images, computed once per model.
    var suggested: [String: [(tag: String, confidence: Double)]] = [:]
    var suggestedBy: String?

    func entered(_ image: AcceptedImage, at t: Double) {
        arrival[image.sha256] = t
        dirty = true
    }

    /// Another embedder: what the old one made (vectors, clusters, model) no longer applies.
    func switchEmbedder(to choice: EmbedderChoice) {
        embedder = choice
        dimensions = choice.fixedDimensions
        vectors = [:]; stored = []; asked = []; failed = []
        clusters = [:]; clusteredCount = 0; clusterGeneration += 1; clustering = false
        model = nil; latest = nil; paused = nil; trainedOn = 0; training = false
        suggested = [:]; suggestedBy = nil
        dirty = true
    }

    func left(_ sha: String) {
        dirty = true
        arrival[sha] = nil
        suggested[sha] = nil
        vectors[sha] = nil
        clusters[sha] = nil
        predictions[sha] = nil
        predictFailed.remove(sha)
    }

    /// Still waiting for what the image may get before it is paged: its embedding, its predicted regions.
    func waiting(_ sha: String, predicting: Bool) -> Bool {
        (vectors[sha] == nil && !failed.contains(sha)) || (predicting && predictions[sha] == nil && !predictFailed.contains(sha))
    }
}

extension Engine {
    /// How long a pool image waits for its embedding before it is paged without it.
    static let embedWaitSeconds = 3.0
    /// The oldest this many embedded pool images are clustered.
    static let clusterWindow = 2000

    func assistState(_ project: ProjectState) -> ProjectAssist {
        if let state = project.assist { return state }
        let state = ProjectAssist(embedder: project.settings.map { EmbedderChoice.of($0, in: workspace) } ?? EmbedderChoice(folder: workspace.root))
        project.assist = state
        return state
    }

    func embeddingLog(_ project: ProjectState) -> String { Path.join(workspace.assist(project.name), assistState(project).embedder.logName) }

    /// Settings read: the embedder they name. Before the pool is loaded it is
    /// only noted; a change while running sets aside what the old embedder
    /// made and loads the new one's embeddings and model (each embedder keeps
    /// its own log and models, so switching back finds them again).
    func chooseEmbedder(_ settings: ProjectSettings, for project: ProjectState) throws(FileSystemError) {
        guard settings.assist != nil else { return }
        let choice = EmbedderChoice.of(settings, in: workspace)
        let state = assistState(project)
        guard state.embedder != choice else { return }
        let wasLoaded = project.copiesLoaded
        state.switchEmbedder(to: choice)
        guard wasLoaded else { return }
        logger.info("embedder changed: the pool is embedded again", metadata: ["project": "\(project.name)", "embedder": "\(choice.name)"])
        try loadEmbeddings(project)
        loadModel(project, settings: settings)
        writeModelFile(project)
    }

    /// The worker: a thread while watching (`startAssistWorker`), else each job inline.
    var assistWorker: AssistWorker {
        if let worker = assistWorkerStorage { return worker }
        let worker = AssistWorker(root: root, logger: logger)
        assistWorkerStorage = worker
        return worker
    }

    /// The embeddings already stored, and the pool's vectors from them; the
    /// other pool images are embedded. The log's last line may be cut by a stop.
    func loadEmbeddings(_ project: ProjectState) throws(FileSystemError) {
        let state = assistState(project)
        let pool = Set(project.pending.map(\.sha256))
        if let text = try? root.read(embeddingLog(project), maxBytes: 1 << 34).bytes {
            let read = EmbeddingLog.read(text, dimensions: state.dimensions, only: pool)
            for (sha, vector) in read.vectors { state.keep(vector, of: sha); state.stored.insert(sha) }
            if state.dimensions == nil { state.dimensions = read.vectors.first?.value.count ?? EmbeddingLog.firstDimensions(text) }
            if text.last != 10 && !text.isEmpty {
                // A line cut by a stop: ended, so the next line starts on its own.
                try root.append(embeddingLog(project), "\n")
            }
        }
        for image in project.pending where isPooled(image, in: project) {
            requestEmbedding(of: image, in: project)
            requestPrediction(of: image, in: project)
        }
    }

    func requestEmbedding(of image: AcceptedImage, in project: ProjectState) {
        let state = assistState(project)
        guard state.vectors[image.sha256] == nil, !state.asked.contains(image.sha256), !state.failed.contains(image.sha256) else { return }
        state.asked.insert(image.sha256)
        let kept = PageJournal(workspace: workspace, project: project.name).image(image.sha256)
        assistWorker.submit(.embed(AssistWorker.EmbedJob(
            project: project.name, sha256: image.sha256, path: String(decoding: image.rawPath, as: UTF8.self), fallback: kept,
            width: image.width, height: image.height, embedder: state.embedder, log: embeddingLog(project),
            task: project.settings?.task ?? .multiClass, tags: project.settings?.tags ?? [], dimensions: state.dimensions)))
        collectAssist()
    }

    /// The predictor that proposes regions for a project's new pages: its
    /// `predictor`, in a bbox or polygon project with ML assist (the pool is
    /// where images wait for their predictions).
    func regionPredictor(_ settings: ProjectSettings?) -> PredictorSettings? {
        guard let settings, settings.assist != nil, !settings.task.isClassification else { return nil }
        return settings.predictor
    }

    func requestPrediction(of image: AcceptedImage, in project: ProjectState) {
        guard let predictor = regionPredictor(project.settings), let settings = project.settings else { return }
        let state = assistState(project)
        guard state.predictions[image.sha256] == nil, !state.predictAsked.contains(image.sha256), !state.predictFailed.contains(image.sha256) else { return }
        state.predictAsked.insert(image.sha256)
        let kept = PageJournal(workspace: workspace, project: project.name).image(image.sha256)
        assistWorker.submit(.predict(AssistWorker.PredictJob(
            project: project.name, sha256: image.sha256, path: String(decoding: image.rawPath, as: UTF8.self), fallback: kept,
            width: image.width, height: image.height, predictor: predictor, folder: workspace.root, task: settings.task, tags: settings.tags)))
        collectAssist()
    }

    /// Takes what the worker finished; true when pages may now be made that
    /// could not before (new embeddings, clusters or a model).
    @discardableResult
    func collectAssist() -> Bool {
        guard let worker = assistWorkerStorage else { return false }
        var changed = false
        defer { if changed { for project in projects.values { project.assist?.dirty = true } } }
        for outcome in worker.take() {
            switch outcome {
            case .embedded(let name, let sha, let vector, let problem, let log):
                guard let project = projects[name], let state = project.assist, log == embeddingLog(project) else { continue }
                state.asked.remove(sha)
                if let vector, state.dimensions == nil { state.dimensions = vector.count }
                if let vector, project.pendingHashes.contains(sha) { state.keep(vector, of: sha) }
                if vector != nil && problem == nil { state.stored.insert(sha) }
                if vector == nil { state.failed.insert(sha) }
                if let problem {
                    // A predictor's failures are logged once by its client (a broken predictor fails every image).
                    logger.log(level: state.embedder.predictor == nil ? .warning : .debug, "no embedding for this image; it is paged without one",
                               metadata: ["project": "\(name)", "sha256": "\(sha)", "reason": "\(problem)"])
                }
                changed = true
            case .predicted(let name, let sha, let regions, let problem, let predictor):
                guard let project = projects[name], let state = project.assist, predictor == regionPredictor(project.settings) else { continue }
                state.predictAsked.remove(sha)
                if let regions, project.pendingHashes.contains(sha) { state.predictions[sha] = regions }
                if regions == nil { state.predictFailed.insert(sha) }
                if let problem {
                    // Logged once by the client; a broken predictor fails every image.
                    logger.debug("no predicted regions for this image; it is paged without them",
                                 metadata: ["project": "\(name)", "sha256": "\(sha)", "reason": "\(problem)"])
                }
                changed = true
            case .clustered(let name, let generation, let clusters):
                guard let state = projects[name]?.assist, generation == state.clusterGeneration else { continue }
                state.clustering = false
                state.clusters = clusters
                changed = true
            case .trained(let name, let model, let problem):
                guard let project = projects[name], let state = project.assist else { continue }
                state.training = false
                // Trained on another embedder's vectors (it changed meanwhile): not used.
                if let model, model.name.hasPrefix("\(state.embedder.name)-"), state.dimensions.map({ $0 == model.dimensions }) ?? true {
                    adopt(model, in: project)
                }
                if let problem { logger.warning("no model trained", metadata: ["project": "\(name)", "reason": "\(problem)"]) }
                changed = true
            }
        }
        return changed
    }

    /// A new model: used if calibration gave it a threshold (the live check
    /// starts over); recorded in model.json either way.
    func adopt(_ model: PrelabelModel, in project: ProjectState) {
        guard let state = project.assist, let settings = project.settings?.assist else { return }
        state.versions = max(state.versions, model.version)
        state.latest = model
        saveModel(model, in: project)
        if let threshold = model.threshold {
            state.model = model
            state.paused = nil
            state.live = LiveCheck(target: settings.targetPrecision)
            logger.info("model trained: prelabeling", metadata: ["project": "\(project.name)", "model": "\(model.name)", "labels": "\(model.trainedOn)",
                                                              "threshold": "\(threshold.confidence)", "coverage": "\(threshold.coverage)"])
        } else {
            state.model = nil
            logger.info("model trained: no threshold reaches the target precision on held-out labels; no prelabels", metadata: [
                "project": "\(project.name)", "model": "\(model.name)", "labels": "\(model.trainedOn)", "target": "\(settings.targetPrecision)"])
        }
        writeModelFile(project)
    }

    /// `.labelmill/assist/<project>/model.json`, for `status`: the model
    /// trained last (its threshold, coverage and state), the live check, and
    /// the counts of tasks clustered and prelabeled and of reviews per model.
    func writeModelFile(_ project: ProjectState) {
        guard let state = project.assist else { return }
        var members: [(String, JSONValue)] = []
        if let shown = state.latest {
            members += [("model", .string(shown.name)), ("trained_on", .number(Double(shown.trainedOn)))]
            if let t = shown.threshold {
                members += [("threshold", .number(t.confidence)), ("coverage", .number(t.coverage)), ("precision_bound", .number(t.lowerBound))]
            }
            let stateName = shown.threshold == nil ? "no-threshold" : state.paused != nil ? "paused" : "active"
            members.append(("state", .string(stateName)))
            if let reason = state.paused { members.append(("reason", .string(reason))) }
            members.append(("live", .object([("reviewed", .number(Double(state.live.reviews.count))), ("accepted", .number(Double(state.live.kept)))])))
            members.append(("live_reviews", .string(String(state.live.reviews.map { $0 ? "1" : "0" }))))
        } else {
            members.append(("state", .string("collecting")))
        }
        members.append(("counts", assistCounts(project).json))
        do { try root.writeAtomically(workspace.assistModelFile(project.name), Array((JSONWriter.pretty(.object(members))).utf8), durable: false) } catch {
            logger.warning("cannot write model.json", metadata: ["project": "\(project.name)", "error": "\(error)"])
        }
    }

    func modelsFolder(_ project: String) -> String { Path.join(workspace.assist(project), "models") }

    /// Each model is kept, so a restart prelabels with the one in use (under its name) and names the next anew.
    func saveModel(_ model: PrelabelModel, in project: ProjectState) {
        do {
            try root.makeFolders(modelsFolder(project.name))
            try root.writeAtomically(Path.join(modelsFolder(project.name), "\(model.name).json"), Array(JSONWriter.compact(model.json).utf8), durable: false)
        } catch {
            logger.warning("cannot keep the model; it is trained again after a restart", metadata: ["project": "\(project.name)", "model": "\(model.name)", "error": "\(error)"])
        }
    }

    /// At start: the model in use before the stop (model.json names it), with
    /// its live check and pause; versions go on from the highest kept. A model
    /// file that is damaged or of other tags is not used: the next one is trained.
    func loadModel(_ project: ProjectState, settings: ProjectSettings) {
        guard let assist = settings.assist else { return }
        let state = assistState(project)
        for name in root.names(modelsFolder(project.name)) {
            if let n = Int(name.drop { $0 != "-" }.dropFirst().prefix { $0 != "." }) { state.versions = max(state.versions, n) }
        }
        guard let bytes = try? root.read(workspace.assistModelFile(project.name), maxBytes: 1 << 20).bytes,
              let info = try? StrictJSON.parse(bytes).value, let name = info["model"]?.stringValue,
              !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }),
              let text = try? root.read(Path.join(modelsFolder(project.name), "\(name).json"), maxBytes: 1 << 28).bytes,
              let node = try? StrictJSON.parse(text).value,
              let model = PrelabelModel(json: node, dimensions: state.dimensions), model.name == name, model.tags == settings.tags,
              name.hasPrefix("\(state.embedder.name)-")
        else { return }
        state.latest = model
        state.model = model.threshold == nil ? nil : model
        state.versions = max(state.versions, model.version)
        state.trainedOn = model.trainedOn
        if info["state"]?.stringValue == "paused" { state.paused = info["reason"]?.stringValue ?? "paused before the restart" }
        state.live = LiveCheck(target: assist.targetPrecision, reviews: (info["live_reviews"]?.stringValue ?? "").map { $0 == "1" })
        logger.info("model loaded", metadata: ["project": "\(project.name)", "model": "\(name)", "state": "\(state.paused == nil ? "active" : "paused")"])
    }

    /// The counts for `status`, from the daemon's copies the first time.
    func assistCounts(_ project: ProjectState) -> AssistCounts {
        let state = assistState(project)
        if let counts = state.counts { return counts }
        let counts = AssistCounts(pages: project.copies.manifests)
        state.counts = counts
        return counts
    }
}

extension Engine {
    /// Makes pages from the pool where the queue has room and something
    /// changed since the last look (new images, embeddings, clusters, a
    /// model, or a labeler took a page). Runs after every step of the daemon.
    func pageFromPool() {
        collectAssist()
        for name in projects.keys.sorted() {
            guard let project = projects[name], let settings = project.settings, let assist = settings.assist,
                  let state = project.assist else { continue }
            let queued = queuedPages(project)
            guard !project.pending.isEmpty, queued < assist.queuePages, state.dirty || queued != state.plannedAt else { continue }
            runGuarded(project) { () throws(FileSystemError) in
                try buildPages(project, flushAll: false)
                try refusePagedDuplicates(project)
                try serveLabelersIfChanged(project)
            }
        }
        flushEvents()
    }

    /// Clusters the pool again once it has changed enough: the oldest
    /// `clusterWindow` embedded images, about two pages' worth per cluster.
    func maybeCluster(_ project: ProjectState, settings: ProjectSettings) {
        guard let state = project.assist, settings.assist?.cluster == true, !state.clustering else { return }
        let embedded = project.pending.filter { state.vectors[$0.sha256] != nil }
            .sorted { (state.arrival[$0.sha256] ?? 0, $0.sha256) < (state.arrival[$1.sha256] ?? 0, $1.sha256) }
            .prefix(Self.clusterWindow)
        let unseen = embedded.filter { state.clusters[$0.sha256] == nil }.count
        guard embedded.count >= 2 * settings.pageSize, unseen >= max(settings.pageSize, state.clusteredCount / 4) else { return }
        state.clusterGeneration += 1
        state.clustering = true
        state.clusteredCount = embedded.count
        let ids = embedded.map(\.sha256)
        assistWorker.submit(.cluster(project: project.name, generation: state.clusterGeneration, ids: ids,
                                     vectors: ids.map { Vectors.normalized(state.vector($0)!) },
                                     k: ClusteredPages.clusterCount(images: ids.count, pageSize: settings.pageSize)))
        collectAssist()
    }

    /// The images people labeled from scratch in the outbox (`label_source`
    /// human, or no prelabels): what models learn and are calibrated on, as
    /// (SHA-256, tag index, page number: calibration holds a page's images out
    /// together). Multi-class projects only.
    func humanExamples(_ project: ProjectState, tags: [String]) -> [AssistWorker.Example] {
        let state = assistState(project)
        if let kept = state.examples, kept.tags == tags { return kept.list }
        var examples: [AssistWorker.Example] = []
        for id in project.copies.ids.sorted() where project.copies.status(of: id) == .done {
            guard let page = project.copies[id] else { continue }
            examples += Self.humanExamples(of: page, tags: tags)
        }
        state.examples = (tags, examples)
        return examples
    }

    /// The examples one done page gives.
    static func humanExamples(of page: PageManifest, tags: [String]) -> [AssistWorker.Example] {
        guard page.status == .done, page.task == .multiClass else { return [] }
        return page.images.compactMap { image in
            guard isHumanLabel(image), let tag = image.tags?.first, image.tags?.count == 1, let label = tags.firstIndex(of: tag) else { return nil }
            return AssistWorker.Example(sha256: image.sha256, label: label, group: PageID.number(page.page) ?? 0)
        }
    }

    /// Human labels in the outbox (what `humanExamples` would list), counted once.
    func humanLabelCount(_ project: ProjectState, tags: [String]) -> Int {
        let state = assistState(project)
        if let counted = state.humanLabels { return counted }
        let counted = humanExamples(project, tags: tags).count
        state.humanLabels = counted
        return counted
    }

    static func isHumanLabel(_ image: PageImage) -> Bool {
        image.labelSource.map { $0 == .human } ?? (image.prelabels == nil)
    }

    /// Trains a model when one is due: `min_labeled` human labels at first,
    /// then every `retrain_every` more; in the background while watching.
    func maybeTrain(_ project: ProjectState, settings: ProjectSettings) {
        guard let assist = settings.assist, assist.prelabel, settings.task == .multiClass, let state = project.assist, !state.training else { return }
        let humanLabels = humanLabelCount(project, tags: settings.tags)
        guard humanLabels >= assist.minLabeled, state.trainedOn == 0 || humanLabels - state.trainedOn >= assist.retrainEvery else { return }
        let examples = humanExamples(project, tags: settings.tags)
        state.training = true
        state.trainedOn = humanLabels
        state.versions += 1
        logger.info("training a model", metadata: ["project": "\(project.name)", "labels": "\(examples.count)", "model": "\(state.embedder.name)-\(state.versions)"])
        assistWorker.submit(.train(project: project.name, version: state.versions, examples: examples, tags: settings.tags,
                                   target: assist.targetPrecision, embedder: state.embedder.name, log: embeddingLog(project),
                                   dimensions: state.dimensions))
        collectAssist()
    }

    /// An accepted page: its human labels count toward the next model, and
    /// its reviewed prelabels toward the live check of the model that made
    /// them, which pauses prelabeling when their precision falls below target.
    func noteAccepted(_ done: PageManifest, in project: ProjectState) {
        guard let settings = project.settings, let assist = settings.assist else { return }
        let state = assistState(project)
        // Listed from the copies the first time (this page among them), else added.
        if let tags = state.examples?.tags { state.examples?.list += Self.humanExamples(of: done, tags: tags) }
        // Counted from the copies the first time (this page among them), else added.
        if let counted = state.humanLabels {
            let tags = Set(settings.tags)
            state.humanLabels = counted + done.images.filter { Self.isHumanLabel($0) && $0.tags?.count == 1 && tags.contains($0.tags![0]) }.count
        } else {
            _ = humanLabelCount(project, tags: settings.tags)
        }
        if state.counts == nil { _ = assistCounts(project) } else { state.counts?.accepted(done) }
        if let model = state.model {
            for image in done.images where image.prelabels?.first?.model == model.name {
                state.live.record(kept: image.labelSource == .modelAccepted)
            }
            if state.paused == nil, state.live.shouldPause {
                let precision = state.live.realizedPrecision ?? 0
                state.paused = "realized precision \(Int((precision * 1000).rounded()) / 10)% over the last \(state.live.reviews.count) reviewed prelabels is below the target \(assist.targetPrecision); paused until the next model"
                logger.warning("prelabeling paused", metadata: ["project": "\(project.name)", "model": "\(model.name)", "reason": "\(state.paused!)"])
                state.dirty = true
            }
        }
        writeModelFile(project)
        maybeTrain(project, settings: settings)
    }

    /// Writes what the plan said into a new page: `assist` at the top, and on
    /// a prelabeled page each image's suggestions with its top tag filled in.
    func decorate(_ manifest: inout PageManifest, with assist: PagePick.Assist, in project: ProjectState) {
        manifest.assist = PageAssist(clustered: assist.clustered, prelabeled: assist.model != nil, model: assist.model)
        if let predictor = assist.regionPredictor {
            // A predictor's regions at or above min_confidence, filled in with their note; the proposals beside them.
            let model = predictor.modelName
            for i in manifest.images.indices {
                let proposed = (assist.regions[manifest.images[i].sha256] ?? []).filter { $0.confidence >= predictor.minConfidence }
                guard !proposed.isEmpty else { continue }
                manifest.images[i].prelabels = proposed.map { Prelabel(tag: $0.region.tag, confidence: $0.confidence, model: model, shape: $0.region.shape) }
                manifest.images[i].regions = proposed.map {
                    Region(tag: $0.region.tag, shape: $0.region.shape, prelabel: RegionPrelabel(confidence: $0.confidence, model: model))
                }
            }
            if manifest.images.contains(where: { $0.prelabels != nil }) {
                manifest.assist = PageAssist(clustered: assist.clustered, prelabeled: true, model: model)
            }
            return
        }
        guard let model = assist.model else { return }
        for i in manifest.images.indices {
            guard let ranked = assist.prelabels[manifest.images[i].sha256], let top = ranked.first else { continue }
            manifest.images[i].prelabels = ranked.map { Prelabel(tag: $0.tag, confidence: $0.confidence, model: model) }
            manifest.images[i].tags = [top.tag]
        }
    }
}

extension Engine {
    /// Watch mode: ML assist's jobs run on a background thread from now on.
    public func startAssistWorker(notify: @escaping @Sendable () -> Void) {
        guard root != nil else { return }
        assistWorker.notify = notify
        assistWorker.start()
    }

    public func stopAssistWorker() { assistWorkerStorage?.stop() }
}
