/// Shape checks of a polygon's outline (SPEC section 3, rule 6). Edge `k` runs
/// from point `k` to point `k + 1`, and the last edge closes the polygon back to point 0.
enum PolygonGeometry {
    /// Two edges that cross or touch, by edge index (`first < second`).
    struct Crossing: Equatable, Sendable {
        var first: Int
        var second: Int
    }

    /// Below this many points every pair of edges is tried; above, a sweep line.
    static let bruteForceLimit = 48

    /// True when every point lies on one line (the polygon has no area).
    static func isCollinear(_ p: [Point]) -> Bool {
        guard let k = p.indices.dropFirst().first(where: { p[$0] != p[0] }) else { return true }
        let a = p[0], b = p[k]
        return p.allSatisfy { orientation(a, b, $0) == 0 }
    }

    /// The first point where the outline turns straight back on itself (the edges
    /// before and after it overlap), as a point index.
    static func foldBack(_ p: [Point]) -> Int? {
        let n = p.count
        guard n >= 3 else { return nil }
        for k in 0..<n {
            let before = p[(k + n - 1) % n], at = p[k], after = p[(k + 1) % n]
            if orientation(before, at, after) == 0,
               (before.x - at.x) * (after.x - at.x) + (before.y - at.y) * (after.y - at.y) > 0 {
                return k
            }
        }
        return nil
    }

    /// Two edges that are not neighbours and meet (cross or touch), if any.
    static func firstCrossing(_ p: [Point]) -> Crossing? {
        p.count <= bruteForceLimit ? bruteForceCrossing(p) : sweepCrossing(p)
    }

    /// Every pair of edges: the oracle for small polygons and for tests.
    static func bruteForceCrossing(_ p: [Point]) -> Crossing? {
        let n = p.count
        guard n >= 4 else { return nil }
        for i in 0..<(n - 2) {
            for j in (i + 2)..<n where !(i == 0 && j == n - 1) {
                if segmentsMeet(p[i], p[(i + 1) % n], p[j], p[(j + 1) % n]) { return Crossing(first: i, second: j) }
            }
        }
        return nil
    }

    /// Shamos-Hoey: sweep a vertical line left to right, keeping the edges it cuts
    /// ordered by height; if any two edges meet, some pair of them is tested while
    /// neighbours in that order, so O(n log n) tests instead of n^2 / 2.
    static func sweepCrossing(_ p: [Point]) -> Crossing? {
        let n = p.count
        guard n >= 4 else { return nil }
        // Each edge from its left (smaller x, then smaller y) end to its right end.
        var left = [Point](), right = [Point]()
        left.reserveCapacity(n)
        right.reserveCapacity(n)
        for k in 0..<n {
            let a = p[k], b = p[(k + 1) % n]
            if a.x < b.x || (a.x == b.x && a.y <= b.y) { left.append(a); right.append(b) } else { left.append(b); right.append(a) }
        }
        // Events: insertions (kind 0) come before removals (kind 1) at the same x, so
        // edges that only touch at one x are active together and get compared.
        var events: [(x: Double, kind: Int, y: Double, edge: Int)] = []
        events.reserveCapacity(2 * n)
        for k in 0..<n {
            events.append((left[k].x, 0, left[k].y, k))
            events.append((right[k].x, 1, right[k].y, k))
        }
        events.sort { a, b in
            if a.x != b.x { return a.x < b.x }
            if a.kind != b.kind { return a.kind < b.kind }
            if a.y != b.y { return a.y < b.y }
            return a.edge < b.edge
        }

        func heightAt(_ e: Int, _ x: Double) -> Double {
            let a = left[e], b = right[e]
            if x <= a.x || a.x == b.x { return a.y }
            if x >= b.x { return b.y }
            return a.y + (x - a.x) * (b.y - a.y) / (b.x - a.x)
        }
        func slope(_ e: Int) -> Double {
            let a = left[e], b = right[e]
            return a.x == b.x ? .infinity : (b.y - a.y) / (b.x - a.x)
        }
        func adjacent(_ i: Int, _ j: Int) -> Bool {
            let d = abs(i - j)
            return d == 1 || d == n - 1
        }
        func meet(_ i: Int, _ j: Int) -> Crossing? {
            if i == j || adjacent(i, j) { return nil }
            guard segmentsMeet(left[i], right[i], left[j], right[j]) else { return nil }
            return Crossing(first: min(i, j), second: max(i, j))
        }

        var active: [Int] = []
        for event in events {
            let e = event.edge, x = event.x
            if event.kind == 0 {
                // Insert below the first active edge that is above e at this x.
                let y = left[e].y, s = slope(e)
                var lo = 0, hi = active.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    let other = active[mid]
                    let h = heightAt(other, x)
                    let below = y < h || (y == h && (s < slope(other) || (s == slope(other) && e < other)))
                    if below { hi = mid } else { lo = mid + 1 }
                }
                active.insert(e, at: lo)
                if lo > 0, let c = meet(active[lo - 1], e) { return c }
                if lo + 1 < active.count, let c = meet(e, active[lo + 1]) { return c }
            } else {
                guard let at = indexOfActive(e, in: active, heightAt: { heightAt($0, x) }, y: event.y) else { continue }
                active.remove(at: at)
                if at > 0, at < active.count, let c = meet(active[at - 1], active[at]) { return c }
            }
        }
        return nil
    }

    /// Where edge `e` (whose height at the sweep is `y`) sits in `active`: found by
    /// height first, then by a plain scan if rounding put it elsewhere.
    private static func indexOfActive(_ e: Int, in active: [Int], heightAt: (Int) -> Double, y: Double) -> Int? {
        var lo = 0, hi = active.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if heightAt(active[mid]) < y { lo = mid + 1 } else { hi = mid }
        }
        var k = lo
        while k < active.count, heightAt(active[k]) <= y {
            if active[k] == e { return k }
            k += 1
        }
        return active.firstIndex(of: e)
    }

    /// Twice the signed area of the triangle a, b, c: > 0 when c is left of a -> b.
    static func orientation(_ a: Point, _ b: Point, _ c: Point) -> Double {
        (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
    }

    /// Whether closed segments a-b and c-d have any point in common.
    static func segmentsMeet(_ a: Point, _ b: Point, _ c: Point, _ d: Point) -> Bool {
        if max(a.x, b.x) < min(c.x, d.x) || max(c.x, d.x) < min(a.x, b.x)
            || max(a.y, b.y) < min(c.y, d.y) || max(c.y, d.y) < min(a.y, b.y) {
            return false
        }
        let o1 = orientation(a, b, c), o2 = orientation(a, b, d)
        let o3 = orientation(c, d, a), o4 = orientation(c, d, b)
        if ((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) && ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0)) { return true }
        // Touching or collinear: an end lies on the other segment (boxes overlap already).
        if o1 == 0, within(c, a, b) { return true }
        if o2 == 0, within(d, a, b) { return true }
        if o3 == 0, within(a, c, d) { return true }
        if o4 == 0, within(b, c, d) { return true }
        return false
    }

    /// For p collinear with a-b: whether p lies between them.
    private static func within(_ p: Point, _ a: Point, _ b: Point) -> Bool {
        min(a.x, b.x) <= p.x && p.x <= max(a.x, b.x) && min(a.y, b.y) <= p.y && p.y <= max(a.y, b.y)
    }
}
