/// What the daemon writes into a page besides its fixed keys ("prelabels", "assist",
/// "label_source", "errors"): a labeler may leave or delete them, but what is there
/// must have their shape. On acceptance the daemon's own copy of them wins.
extension PageReview {
    mutating func prelabels(_ node: JSONNode, _ p: String) {
        guard case .array(let items) = node.kind else {
            report(node, p, "\"prelabels\" must be a list (the daemon writes it; you may leave it as it is), not \(kindName(node))")
            return
        }
        for (k, item) in items.enumerated() {
            let ip = "\(p)/\(k)"
            guard case .object(let members) = item.kind else {
                report(item, ip, "prelabel \(k + 1) must be an object, not \(kindName(item))")
                continue
            }
            for m in members {
                let v = m.value, mp = pointer(ip, m.key)
                switch m.key {
                case "tag", "model":
                    requireString(v, mp, m.key)
                case "confidence":
                    if case .number(let c, _) = v.kind, c >= 0, c <= 1 { break }
                    report(v, mp, "\"confidence\" must be a number from 0 to 1, not \(kindName(v))")
                case "box":
                    box(v, mp, size: nil)
                case "polygon":
                    if case .array(let points) = v.kind, points.allSatisfy({ $0.numberPair }) { break }
                    report(v, mp, "\"polygon\" of a prelabel must be a list of [x, y] points")
                default:
                    unknownKey(m, in: ip, allowed: SubmissionValidator.prelabelKeys)
                }
            }
        }
    }

    /// A region's `"prelabel": {"confidence": 0.8, "model": "faces"}`: the
    /// daemon's note that a predictor proposed it; kept when the labeler
    /// keeps or moves the region, deleted with it.
    mutating func regionPrelabel(_ node: JSONNode, _ p: String) {
        guard case .object(let members) = node.kind else {
            report(node, p, "\"prelabel\" must be an object like {\"confidence\": 0.8, \"model\": \"faces\"} (the daemon writes it; you may leave it as it is), not \(kindName(node))")
            return
        }
        for m in members {
            let v = m.value, mp = pointer(p, m.key)
            switch m.key {
            case "model":
                requireString(v, mp, m.key)
            case "confidence":
                if case .number(let c, _) = v.kind, c >= 0, c <= 1 { break }
                report(v, mp, "\"confidence\" must be a number from 0 to 1, not \(kindName(v))")
            default:
                unknownKey(m, in: p, allowed: SubmissionValidator.regionPrelabelKeys)
            }
        }
    }

    mutating func assistNote(_ node: JSONNode) {
        guard case .object(let members) = node.kind else {
            report(node, "/assist", "\"assist\" must be an object like {\"clustered\": true} (the daemon writes it; you may leave it as it is), not \(kindName(node))")
            return
        }
        for m in members {
            let mp = pointer("/assist", m.key)
            switch m.key {
            case "clustered", "prelabeled":
                if case .bool = m.value.kind { break }
                report(m.value, mp, "\"\(m.key)\" must be true or false, not \(kindName(m.value))")
            case "model": requireString(m.value, mp, m.key)
            default: unknownKey(m, in: "/assist", allowed: SubmissionValidator.assistKeys)
            }
        }
    }

    mutating func errorList(_ node: JSONNode) {
        guard case .array(let items) = node.kind else {
            report(node, "/errors", "\"errors\" must be a list (the daemon writes it; you may delete it), not \(kindName(node))")
            return
        }
        for (k, item) in items.enumerated() {
            let ip = "/errors/\(k)"
            guard case .object(let members) = item.kind else {
                report(item, ip, "error \(k + 1) must be an object with \"line\", \"column\", \"pointer\" and \"message\"")
                continue
            }
            for m in members {
                let mp = pointer(ip, m.key)
                switch m.key {
                case "line", "column": requireWholeNumber(m.value, mp, m.key, minimum: 1)
                case "pointer", "message": requireString(m.value, mp, m.key)
                default: unknownKey(m, in: ip, allowed: SubmissionValidator.errorKeys)
                }
            }
        }
    }

}
