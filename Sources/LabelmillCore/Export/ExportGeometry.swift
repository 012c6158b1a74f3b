/// Areas and extents of regions, in pixels.
public enum ExportGeometry {
    /// The polygon's area by the shoelace formula (the polygon closes itself).
    public static func area(_ points: [Point]) -> Double {
        guard points.count >= 3 else { return 0 }
        var twice = 0.0
        for i in points.indices {
            let a = points[i], b = points[(i + 1) % points.count]
            twice += a.x * b.y - b.x * a.y
        }
        return abs(twice) / 2
    }

    /// The smallest box holding every point.
    public static func bounds(_ points: [Point]) -> Box {
        guard let first = points.first else { return Box(x: 0, y: 0, width: 0, height: 0) }
        var (minX, minY, maxX, maxY) = (first.x, first.y, first.x, first.y)
        for p in points.dropFirst() {
            minX = min(minX, p.x); maxX = max(maxX, p.x)
            minY = min(minY, p.y); maxY = max(maxY, p.y)
        }
        return Box(x: minX, y: minY, width: maxX - minX, height: maxY - minY)
    }

    /// The box as a polygon: top-left, top-right, bottom-right, bottom-left.
    public static func corners(_ box: Box) -> [Point] {
        [Point(x: box.x, y: box.y), Point(x: box.x + box.width, y: box.y),
         Point(x: box.x + box.width, y: box.y + box.height), Point(x: box.x, y: box.y + box.height)]
    }
}

extension Region {
    /// The region's extent: the box itself, or the polygon's bounding box.
    public var bounds: Box {
        switch shape {
        case .box(let box): return box
        case .polygon(let points): return ExportGeometry.bounds(points)
        }
    }

    /// The region's area in square pixels.
    public var area: Double {
        switch shape {
        case .box(let box): return box.width * box.height
        case .polygon(let points): return ExportGeometry.area(points)
        }
    }

    /// The outline: the polygon's points, or a box's four corners.
    public var outline: [Point] {
        switch shape {
        case .box(let box): return ExportGeometry.corners(box)
        case .polygon(let points): return points
        }
    }
}
