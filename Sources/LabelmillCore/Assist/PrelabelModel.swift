/// A classifier the daemon may prelabel with (SPEC section 7): softmax
/// regression trained on the images people labeled, with the confidence
/// threshold its k-fold held-out predictions earned. One without a threshold
/// is kept for the record (status says why) but prelabels nothing.
public struct PrelabelModel: Sendable {
    /// `builtin-N` (or `predictor-N`): N counts the models trained in the project.
    public var name: String
    public var version: Int
    public var classifier: SoftmaxModel
    /// nil: no threshold reached the target precision on the held-out labels.
    public var threshold: PrelabelThreshold?
    /// Human labels it was trained on.
    public var trainedOn: Int
    /// The project's tags when it was trained, in class order.
    public var tags: [String]

    /// The length of the embeddings it reads.
    public var dimensions: Int { classifier.standardizer.mean.count }

    /// Trains on `(embedding, tag index)` pairs: calibration first (k models
    /// on k-1 folds each, scored on the fold they did not see; `groups` held
    /// out together), then the model used, on everything.
    public static func train(_ x: [[Double]], labels: [Int], tags: [String], target: Double, version: Int,
                             embedder: String, folds: Int = 5, groups: [Int]? = nil) -> PrelabelModel {
        let heldOut = Calibration.heldOutPredictions(x, labels: labels, classes: tags.count, k: folds, groups: groups)
        let threshold = Calibration.threshold(heldOut, target: target)
        let classifier = SoftmaxModel.train(x, labels: labels, classes: tags.count)
        return PrelabelModel(name: "\(embedder)-\(version)", version: version, classifier: classifier,
                             threshold: threshold, trainedOn: x.count, tags: tags)
    }

    /// The model's suggestions for one image, most likely first: the top
    /// three tags with their probabilities, and whether the first reaches the
    /// threshold (then it is filled in).
    /// An embedding of another length (another embedder's) gets none.
    public func suggestions(_ x: [Double], top: Int = 3) -> (confident: Bool, ranked: [(tag: String, confidence: Double)]) {
        guard x.count == dimensions else { return (false, []) }
        let p = classifier.probabilities(x)
        let order = p.indices.sorted { p[$0] != p[$1] ? p[$0] > p[$1] : $0 < $1 }.prefix(top)
        let ranked = order.map { (tags[$0], p[$0]) }
        let confident = threshold.map { t in (ranked.first?.1 ?? 0) >= t.confidence } ?? false
        return (confident, ranked)
    }
}
