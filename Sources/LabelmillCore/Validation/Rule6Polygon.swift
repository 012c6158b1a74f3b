/// SPEC section 3, rule 6: polygons have 3 to 10,000 points, each finite and inside the
/// image, no two consecutive points equal, the last not repeating the first, non-zero
/// area and no crossing edges (the geometry is in PolygonGeometry).
extension PageReview {
    /// Point problems listed one by one in a polygon before the rest are only counted.
    static let pointProblemsShown = 10

    mutating func polygon(_ node: JSONNode, _ p: String, size: (width: Double, height: Double)?) {
        guard case .array(let items) = node.kind else {
            report(node, p, "\"polygon\" must be a list of [x, y] points, like [[10, 10], [50, 12], [30, 40]], not \(kindName(node))")
            return
        }
        let limit = SubmissionValidator.maxPolygonPoints
        if items.count > limit {
            report(node, p, "a polygon may have at most 10,000 points; this one has \(items.count)")
            return
        }
        var sound = true
        if items.count < 3 {
            report(node, p, "a polygon needs at least 3 points; this one has \(items.count)")
            sound = false
        }
        var points: [Point] = []
        points.reserveCapacity(items.count)
        // Problems with single points: the first few are listed, the rest counted.
        var pointProblems = 0
        func pointProblem(_ k: Int, _ message: String) {
            pointProblems += 1
            if pointProblems <= Self.pointProblemsShown {
                report(items[k], "\(p)/\(k)", message)
            }
        }
        // "(x, y)" as the labeler wrote the point.
        func shown(_ k: Int) -> String {
            guard case .array(let xy) = items[k].kind, xy.count == 2 else { return "" }
            return "(\(literal(xy[0])), \(literal(xy[1])))"
        }
        for (k, item) in items.enumerated() {
            guard case .array(let xy) = item.kind, xy.count == 2,
                  case .number(let x, let xl) = xy[0].kind, case .number(let y, let yl) = xy[1].kind else {
                pointProblem(k, "point \(k + 1) must be [x, y], two numbers, not \(kindName(item))")
                sound = false
                points.append(Point(x: .nan, y: .nan))
                continue
            }
            let point = Point(x: x, y: y)
            points.append(point)
            if let size {
                var outside: String?
                if x < 0 { outside = "x = \(xl) < 0" }
                else if x > size.width { outside = "x = \(xl) > image width \(number(size.width))" }
                else if y < 0 { outside = "y = \(yl) < 0" }
                else if y > size.height { outside = "y = \(yl) > image height \(number(size.height))" }
                if let outside {
                    pointProblem(k, "point \(k + 1) \(shown(k)) is outside the image: \(outside)")
                    sound = false
                }
            }
            if k > 0, points[k - 1] == point {
                pointProblem(k, "point \(k + 1) repeats point \(k) \(shown(k)); remove one of them")
                sound = false
            }
        }
        if items.count >= 3, let last = points.last, last == points[0] {
            pointProblem(items.count - 1, "the last point repeats the first \(shown(0)); remove it: a polygon closes itself")
            sound = false
        }
        if pointProblems > Self.pointProblemsShown {
            report(node, p, "this polygon has \(pointProblems) problems with its points; the first \(Self.pointProblemsShown) are listed")
        }
        guard sound else { return }
        let n = points.count
        if PolygonGeometry.isCollinear(points) {
            report(node, p, "the polygon has zero area: all its points lie on one line")
        } else if let k = PolygonGeometry.foldBack(points) {
            report(items[k], "\(p)/\(k)", "the outline turns straight back at point \(k + 1) \(shown(k)): the edges before and after it overlap")
        } else if let c = PolygonGeometry.firstCrossing(points) {
            func edge(_ e: Int) -> String { "from point \(e + 1) to point \((e + 1) % n + 1)" }
            report(items[c.second], "\(p)/\(c.second)",
                   "edges cross: the edge \(edge(c.first)) meets the edge \(edge(c.second)); a polygon's outline must not cross or touch itself")
        }
    }

}
