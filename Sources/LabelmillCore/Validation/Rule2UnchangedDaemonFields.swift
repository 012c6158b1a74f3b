/// SPEC section 3, rule 2, first half: what the daemon wrote (`project`, `page`,
/// `revision`, `task`, `tags`, each image's `file`, `width`, `height`, `source`,
/// `sha256`) is unchanged, and a value taken out is named so it can be put back.
extension PageReview {
    /// Rule 2: a value the daemon wrote must stay as written.
    mutating func unchanged(_ v: JSONNode, _ p: String, _ key: String, _ original: JSONValue?) {
        guard let original, v.value != original else { return }
        report(v, p, "\"\(key)\" was changed from \(show(original)) to \(show(v)); the daemon's values must stay as written")
    }

    /// The page's own keys that are missing, with the daemon's value to put back where it is known.
    mutating func reportMissingPageKeys(_ root: JSONNode) {
        for key in ["project", "page", "revision", "task", "tags", "status", "images"] where root.member(key) == nil {
            var message = "page.json is missing \"\(key)\""
            if let expected, key != "images", key != "status", case .object(let values) = expected.json,
               let value = values.first(where: { $0.0 == key })?.1 {
                message += "; put back the daemon's value: \"\(key)\": \(JSONWriter.compact(value))"
            } else if key == "status" {
                message += "; add \"status\": \"submitted\" to hand the page in"
            }
            report(root, "", message)
        }
    }

    /// An image's daemon-written keys that are missing, with the daemon's value to put back where it is known.
    mutating func reportMissingImageKeys(_ item: JSONNode, _ p: String, label: String, daemon: PageImage?) {
        for key in ["file", "width", "height", "source", "sha256"] where item.member(key) == nil {
            var message = "\(label) is missing \"\(key)\""
            if let daemon, case .object(let values) = daemon.json(task: task ?? .multiClass),
               let value = values.first(where: { $0.0 == key })?.1 {
                message += "; put back the daemon's value: \"\(key)\": \(JSONWriter.compact(value))"
            }
            report(item, p, message)
        }
    }
}
