/// SPEC section 3, rule 5: boxes are finite numbers, `width > 0`, `height > 0`, inside the image.
extension PageReview {
    mutating func box(_ node: JSONNode, _ p: String, size: (width: Double, height: Double)?) {
        guard case .object(let members) = node.kind else {
            report(node, p, "\"box\" must be an object like {\"x\": 10, \"y\": 20, \"width\": 50, \"height\": 40}, not \(kindName(node))")
            return
        }
        var values: [String: (Double, JSONNode)] = [:]
        for m in members {
            let mp = pointer(p, m.key)
            guard SubmissionValidator.boxKeys.contains(m.key) else {
                unknownKey(m, in: p, allowed: SubmissionValidator.boxKeys)
                continue
            }
            guard case .number(let n, _) = m.value.kind, n.isFinite else {
                report(m.value, mp, "\"\(m.key)\" of a box must be a number of pixels, not \(kindName(m.value))")
                continue
            }
            values[m.key] = (n, m.value)
        }
        let missing = SubmissionValidator.boxKeys.filter { node.member($0) == nil }
        if !missing.isEmpty {
            report(node, p, "the box is missing \(missing.map { "\"\($0)\"" }.joined(separator: ", ")); a box needs \"x\", \"y\", \"width\" and \"height\"")
        }
        guard let (x, xNode) = values["x"], let (y, yNode) = values["y"],
              let (w, wNode) = values["width"], let (h, hNode) = values["height"] else { return }
        if w <= 0 { report(wNode, p + "/width", "box width must be greater than 0, not \(literal(wNode))") }
        if h <= 0 { report(hNode, p + "/height", "box height must be greater than 0, not \(literal(hNode))") }
        if x < 0 { report(xNode, p + "/x", "box extends past the left edge: x = \(literal(xNode)) < 0") }
        if y < 0 { report(yNode, p + "/y", "box extends past the top edge: y = \(literal(yNode)) < 0") }
        guard let size else { return }
        if x + w > size.width {
            report(node, p, "box extends past the right edge: x + width = \(number(x + w)) > image width \(number(size.width))")
        }
        if y + h > size.height {
            report(node, p, "box extends past the bottom edge: y + height = \(number(y + h)) > image height \(number(size.height))")
        }
    }

}
