/// SPEC sections 7 and 8, provenance: where each accepted label came from.
/// An image the model suggested a tag for was kept as suggested
/// (`model-accepted`) or changed (`model-corrected`); one without suggestions
/// was labeled from scratch (`human`). A region a predictor proposed was kept
/// as proposed (`model-accepted`), moved or retagged (`model-adjusted`) or
/// deleted; one the labeler drew is `human`.
public enum Provenance {
    public static func source(of image: PageImage) -> LabelSource {
        guard let top = image.prelabels?.first else { return .human }
        return image.tags == [top.tag] ? .modelAccepted : .modelCorrected
    }

    /// What became of one model's proposed regions on accepted pages.
    public struct RegionReviews: Sendable, Equatable {
        public var proposed = 0
        public var kept = 0
        public var adjusted = 0
        public var deleted: Int { proposed - kept - adjusted }
        public init(proposed: Int = 0, kept: Int = 0, adjusted: Int = 0) {
            (self.proposed, self.kept, self.adjusted) = (proposed, kept, adjusted)
        }
    }

    /// Sets `label_source` on each region of an accepted image, against the
    /// daemon's record of what was proposed (the image's `prelabels`): a
    /// region with its `prelabel` note and the tag and outline of a proposal
    /// of that model is `model-accepted`; one with the note but changed
    /// matches a proposal of that model and confidence and is
    /// `model-adjusted`; the rest are `human` (a note that matches nothing
    /// the daemon proposed is dropped). Each proposal is matched once; the
    /// image's own `label_source` is `model-accepted` when every proposal was
    /// kept as it was and nothing added, `model-adjusted` when anything
    /// proposed was changed, added to or deleted, `human` when nothing was.
    public static func markRegions(_ image: inout PageImage) {
        let proposals = (image.prelabels ?? []).filter { $0.shape != nil }
        guard var regions = image.regions else {
            image.labelSource = proposals.isEmpty ? .human : .modelAdjusted
            return
        }
        var used = [Bool](repeating: false, count: proposals.count)
        var marked = [LabelSource?](repeating: nil, count: regions.count)
        func claim(_ k: Int, _ matches: (Prelabel) -> Bool) -> Bool {
            guard let note = regions[k].prelabel,
                  let i = proposals.indices.first(where: { !used[$0] && proposals[$0].model == note.model && matches(proposals[$0]) })
            else { return false }
            used[i] = true
            return true
        }
        for k in regions.indices where claim(k, { $0.tag == regions[k].tag && $0.shape == regions[k].shape }) {
            marked[k] = .modelAccepted
        }
        for k in regions.indices where marked[k] == nil {
            if claim(k, { $0.confidence == regions[k].prelabel!.confidence }) {
                marked[k] = .modelAdjusted
            } else {
                marked[k] = .human
                regions[k].prelabel = nil
            }
        }
        for k in regions.indices { regions[k].labelSource = marked[k] }
        image.regions = regions
        if proposals.isEmpty {
            image.labelSource = .human
        } else {
            let allKept = used.allSatisfy { $0 } && marked.allSatisfy { $0 == .modelAccepted }
            image.labelSource = allKept ? .modelAccepted : .modelAdjusted
        }
    }

    /// Per model, what became of the regions it proposed on an accepted page.
    public static func regionReviews(_ page: PageManifest) -> [String: RegionReviews] {
        var reviews: [String: RegionReviews] = [:]
        for image in page.images {
            for proposal in image.prelabels ?? [] where proposal.shape != nil { reviews[proposal.model, default: RegionReviews()].proposed += 1 }
            for region in image.regions ?? [] {
                guard let model = region.prelabel?.model else { continue }
                if region.labelSource == .modelAccepted { reviews[model, default: RegionReviews()].kept += 1 }
                if region.labelSource == .modelAdjusted { reviews[model, default: RegionReviews()].adjusted += 1 }
            }
        }
        return reviews
    }
}

extension PageManifest {
    /// The page as accepted: every image (and region) with its `label_source`.
    public mutating func recordLabelSources() {
        for i in images.indices {
            if task.isClassification {
                images[i].labelSource = Provenance.source(of: images[i])
            } else {
                Provenance.markRegions(&images[i])
            }
        }
    }
}
