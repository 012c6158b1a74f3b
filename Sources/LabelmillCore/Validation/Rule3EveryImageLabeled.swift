/// SPEC section 3, rule 3: every image is labeled: `multi-class` exactly one tag,
/// `multi-label` at least one with no repeats, `bbox`/`polygon` a `regions` list.
/// Off (`labelsRequired`) for a page saved while it is being labeled.
extension PageReview {
    /// An image with neither "tags" nor "regions" is not labeled yet.
    mutating func requireLabel(_ item: JSONNode, _ p: String, label: String) {
        if let task {
            let labelKey = task.isClassification ? "tags" : "regions"
            if item.member(labelKey) == nil, item.member(task.isClassification ? "regions" : "tags") == nil {
                reportUnlabeled(item, p, label)
            }
        }
    }

    mutating func reportUnlabeled(_ node: JSONNode, _ p: String, _ label: String) {
        if labelsRequired { report(node, p, unlabeled(label)) }
    }

    func unlabeled(_ label: String) -> String {
        switch task {
        case .multiClass: return "\(label) has no tag yet; choose one of: \(tagChoices)"
        case .multiLabel: return "\(label) has no tag yet; choose one or more of: \(tagChoices)"
        default: return "\(label) is not labeled yet: add its regions, or write \"regions\": [] if there is nothing to mark"
        }
    }

    var tagChoices: String {
        guard let tags = pageTags else { return "the page's tags" }
        let shown = tags.prefix(12).joined(separator: ", ")
        return tags.count > 12 ? "\(shown), ... (\(tags.count) tags in all, listed in \"tags\")" : shown
    }

    mutating func classification(_ node: JSONNode, _ p: String, label: String) {
        switch node.kind {
        case .null:
            reportUnlabeled(node, p, label)
        case .array(let items):
            if items.isEmpty {
                reportUnlabeled(node, p, label)
                return
            }
            if task == .multiClass, items.count > 1 {
                report(node, p, "\(label) has \(items.count) tags, but this is a multi-class page: keep exactly one")
            }
            var seen = Set<String>()
            for (k, item) in items.enumerated() {
                let ip = "\(p)/\(k)"
                guard case .string(let tag) = item.kind else {
                    report(item, ip, "tag \(k + 1) of \(label) must be a tag name in double quotes, not \(kindName(item))")
                    continue
                }
                if !seen.insert(tag).inserted {
                    if task == .multiLabel {
                        report(item, ip, "tag \(quoted(tag)) is listed twice for \(label); remove one")
                    }
                    continue
                }
                checkTag(item, ip, tag)
            }
        default:
            report(node, p, "\"tags\" of \(label) must be a list of tag names, like [\"\(pageTags?.first ?? "Dog")\"], not \(kindName(node))")
        }
    }

    mutating func regions(_ node: JSONNode, _ p: String, label: String, size: (width: Double, height: Double)?) {
        switch node.kind {
        case .null:
            reportUnlabeled(node, p, label)
        case .array(let items):
            for (k, item) in items.enumerated() {
                region(item, "\(p)/\(k)", label: "region \(k + 1) of \(label)", size: size)
            }
        default:
            report(node, p, "\"regions\" of \(label) must be a list of regions, or [] if there is nothing to mark, not \(kindName(node))")
        }
    }

}
