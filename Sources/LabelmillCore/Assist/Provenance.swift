/// SPEC section 7, provenance: where each accepted image's label came from.
/// An image the model suggested a tag for was kept as suggested
/// (`model-accepted`) or changed (`model-corrected`); one without suggestions
/// was labeled from scratch (`human`).
public enum Provenance {
    public static func source(of image: PageImage) -> LabelSource {
        guard let top = image.prelabels?.first else { return .human }
        return image.tags == [top.tag] ? .modelAccepted : .modelCorrected
    }
}

extension PageManifest {
    /// The page as accepted: every image with its `label_source`.
    public mutating func recordLabelSources() {
        for i in images.indices { images[i].labelSource = Provenance.source(of: images[i]) }
    }
}
