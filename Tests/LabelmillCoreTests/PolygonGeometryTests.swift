import Testing
@testable import LabelmillCore
import TestSupport

enum Shapes {
    /// A star-shaped, simple polygon: points sorted by angle around the centre, random radii.
    static func star(_ n: Int, seed: UInt64) -> [Point] {
        var rng = SplitMix64(state: seed)
        return (0..<n).map { k in
            let angle = Double(k) / Double(n) * 2 * Double.pi
            let r = Double.random(in: 100...300, using: &rng)
            return Point(x: 320 + r * cosine(angle), y: 320 + r * sine(angle))
        }
    }

    /// A simple comb: `teeth` long thin teeth hanging from a spine.
    static func comb(teeth: Int) -> [Point] {
        var p: [Point] = [Point(x: 0, y: 0)]
        for t in 0..<teeth {
            let x = Double(t) * 2
            p.append(Point(x: x + 1, y: 0))
            p.append(Point(x: x + 1, y: 1000))
            p.append(Point(x: x + 2, y: 1000))
            p.append(Point(x: x + 2, y: 0))
        }
        p.append(Point(x: Double(teeth) * 2 + 1, y: -10))
        p.append(Point(x: 0, y: -10))
        return p
    }

    // Taylor-free sine and cosine are not in the standard library without Foundation; a
    // short polynomial after range reduction is plenty for test shapes.
    static func sine(_ x: Double) -> Double {
        var a = x.truncatingRemainder(dividingBy: 2 * .pi)
        if a > .pi { a -= 2 * .pi }
        if a < -.pi { a += 2 * .pi }
        var term = a, sum = a
        for k in 1..<12 {
            term *= -a * a / Double((2 * k) * (2 * k + 1))
            sum += term
        }
        return sum
    }

    static func cosine(_ x: Double) -> Double { sine(x + .pi / 2) }
}

@Suite("Polygon geometry")
struct PolygonGeometryTests {
    @Test func sweepAgreesWithEveryPairOnRandomGridPolygons() {
        var rng = SplitMix64(state: 42)
        var tried = 0, crossing = 0
        while tried < 3000 {
            let n = Int.random(in: 4...40, using: &rng)
            let side = Double(Int.random(in: 4...30, using: &rng))
            let points = (0..<n).map { _ in
                Point(x: Double(Int.random(in: 0...Int(side), using: &rng)), y: Double(Int.random(in: 0...Int(side), using: &rng)))
            }
            // The validator only asks for crossings once these simpler faults are ruled out.
            if zip(points, points.dropFirst() + [points[0]]).contains(where: { $0 == $1 })
                || PolygonGeometry.isCollinear(points) || PolygonGeometry.foldBack(points) != nil { continue }
            tried += 1
            let brute = PolygonGeometry.bruteForceCrossing(points)
            let sweep = PolygonGeometry.sweepCrossing(points)
            #expect((brute == nil) == (sweep == nil), "\(points)")
            if brute != nil { crossing += 1 }
            if let c = sweep {
                let a = c.first, b = c.second
                #expect(PolygonGeometry.segmentsMeet(points[a], points[(a + 1) % n], points[b], points[(b + 1) % n]))
            }
        }
        #expect(crossing > 100)
    }

    @Test func sweepAgreesOnSimpleAndNearlySimplePolygons() {
        var rng = SplitMix64(state: 7)
        for seed in 0..<200 {
            var points = Shapes.star(Int.random(in: 50...400, using: &rng), seed: UInt64(seed))
            #expect(PolygonGeometry.sweepCrossing(points) == nil)
            // Swapping two points makes the outline cross itself.
            let i = Int.random(in: 0..<points.count, using: &rng)
            let j = (i + Int.random(in: 3..<(points.count - 2), using: &rng)) % points.count
            points.swapAt(i, j)
            #expect(PolygonGeometry.bruteForceCrossing(points) != nil)
            #expect(PolygonGeometry.sweepCrossing(points) != nil)
        }
    }

    @Test func largePolygons() {
        let star = Shapes.star(10_000, seed: 1)
        #expect(PolygonGeometry.firstCrossing(star) == nil)
        let comb = Shapes.comb(teeth: 2_499)
        #expect(comb.count == 9_999)
        #expect(PolygonGeometry.firstCrossing(comb) == nil)
        var broken = comb
        broken[2].x = 7  // the first tooth leans across the next three
        #expect(PolygonGeometry.firstCrossing(broken) != nil)
    }

    @Test func touchingAtAVertexCounts() {
        // Two squares sharing one corner, drawn as one outline: it touches itself.
        let figure = [Point(x: 0, y: 0), Point(x: 10, y: 0), Point(x: 10, y: 10), Point(x: 20, y: 10),
                      Point(x: 20, y: 20), Point(x: 10, y: 20), Point(x: 10, y: 10), Point(x: 0, y: 10)]
        #expect(PolygonGeometry.bruteForceCrossing(figure) != nil)
        #expect(PolygonGeometry.sweepCrossing(figure) != nil)
    }
}
