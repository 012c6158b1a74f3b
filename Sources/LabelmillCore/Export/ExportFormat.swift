/// How images go with an export.
public enum ExportImageMode: String, Sendable, CaseIterable {
    /// A hard link to the outbox file; a copy where links cannot be made (another file system).
    case link
    case copy
    /// Labels only.
    case none
}

/// The training formats `labelmill export` writes (SPEC section 5).
public enum ExportFormat: String, Sendable, CaseIterable {
    case coco, voc, yolo, labelme, azureml, csv

    /// Whether the format has a standard way to hold labels of `task`. COCO, VOC,
    /// YOLO and labelme describe regions; image-level tags in them are not a standard.
    public func fits(_ task: TaskKind) -> Bool {
        switch self {
        case .coco, .voc, .yolo, .labelme: return !task.isClassification
        case .azureml, .csv: return true
        }
    }

    /// The formats that hold labels of `task`, in the order of `allCases`.
    public static func fitting(_ task: TaskKind) -> [ExportFormat] {
        allCases.filter { $0.fits(task) }
    }

    /// The sentence that refuses `self` for `task`, naming the formats that fit.
    public func refusal(for task: TaskKind) -> String {
        let names = Self.fitting(task).map(\.rawValue)
        let list = names.count > 1 ? names.dropLast().joined(separator: ", ") + " or " + names.last! : names.joined()
        return "\(rawValue) has no standard form for \(task.rawValue) labels (tags on whole images); export this project as \(list) instead"
    }

    /// The exporter of this format.
    public func exporter(_ context: ExportContext) -> any Exporter {
        switch self {
        case .coco: return COCOExporter(context)
        case .voc: return VOCExporter(context)
        case .yolo: return YOLOExporter(context)
        case .labelme: return LabelmeExporter(context)
        case .azureml: return AzureMLExporter(context)
        case .csv: return CSVExporter(context)
        }
    }
}
