/// SPEC section 3, rule 2, second half: the images listed are exactly the image
/// files in the page folder, none added, missing or altered; a `file` is a plain
/// name, never a path.
extension PageReview {
    /// Which of the daemon's images the entry at `index` is, and the folder's file for it,
    /// reporting a `file` that is a path, listed twice, renamed, unknown, absent or altered.
    mutating func identifyImage(_ item: JSONNode, index: Int, listedNames: Set<String>,
                                listed: inout [String: Int], accounted: inout Set<String>) -> (daemon: PageImage?, folder: PageFolderFile?) {
        let p = "/images/\(index)"
        let fileNode = item["file"]
        let name = fileNode?.stringValue
        var daemon: PageImage?
        var folder: PageFolderFile?
        if fileNode == nil, let expected, index < expected.images.count, !listedNames.contains(expected.images[index].file) {
            // "file" was deleted: this is the daemon's image at the same place.
            daemon = expected.images[index]
            accounted.insert(expected.images[index].file)
        }
        if let fileNode, let name {
            let fp = p + "/file"
            if let problem = fileNameProblem(name) {
                report(fileNode, fp, problem)
            } else if let first = listed[name] {
                report(fileNode, fp, "image \(quoted(name)) is listed twice (also as image \(first + 1)); remove one")
            } else {
                listed[name] = index
                var known = true
                if let expected {
                    if let match = expectedByName[name] {
                        daemon = match
                        accounted.insert(name)
                    } else if index < expected.images.count, !listedNames.contains(expected.images[index].file) {
                        let original = expected.images[index]
                        report(fileNode, fp, "\"file\" was changed from \(quoted(original.file)) to \(quoted(name)); the daemon's values must stay as written")
                        daemon = original
                        accounted.insert(original.file)
                        accounted.insert(name)
                        known = false
                    } else {
                        report(fileNode, fp, "image \(quoted(name)) is not one of this page's images; remove it from \"images\"")
                        accounted.insert(name)
                        known = false
                    }
                }
                if known, files != nil {
                    if let file = filesByName[name] {
                        folder = file
                        let recorded = daemon?.sha256 ?? item["sha256"]?.stringValue
                        if let problem = file.problem {
                            report(fileNode, fp, "\(quoted(name)) \(problem)")
                        } else if let recorded, recorded.lowercased() != file.sha256.lowercased() {
                            report(fileNode, fp, "\(quoted(name)) was altered: its SHA-256 no longer matches")
                        }
                    } else {
                        report(fileNode, fp, "image \(quoted(name)) is listed but not in the page folder")
                    }
                }
            }
        }
        return (daemon, folder)
    }

    /// The daemon's images left out of "images", and folder files not listed in it.
    mutating func reportImagesNotListed(_ node: JSONNode, listed: [String: Int], accounted: inout Set<String>) {
        if let expected {
            for image in expected.images where !accounted.contains(image.file) && listed[image.file] == nil {
                report(node, "/images", "image \(quoted(image.file)) is missing from \"images\"; put its entry back as the daemon wrote it")
                accounted.insert(image.file)
            }
        }
        for file in files ?? [] where listed[file.name] == nil && !accounted.contains(file.name) {
            report(node, "/images", "\(quoted(file.name)) is in the page folder but not listed in images")
        }
    }

    /// Why a `file` value is not a plain file name, or nil.
    func fileNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "\"file\" must name the image file; it is empty" }
        if name.contains("/") || name.contains("\\") || name == "." || name == ".." {
            return "\"file\" must be a plain file name, not a path: \(quoted(name))"
        }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 }) {
            return "\"file\" must be a plain file name; \(quoted(name)) holds a control character"
        }
        return nil
    }

}
