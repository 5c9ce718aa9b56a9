import Foundation

/// A WGS84 position. `long` is x (east), `lat` is y (north), as in GeoJSON's [long, lat] order.
public struct GeoPoint: Sendable, Hashable, Codable {
    public var lat: Double
    public var long: Double

    public init(lat: Double, long: Double) {
        self.lat = lat
        self.long = long
    }

    public var isValidWGS84: Bool {
        lat.isFinite && long.isFinite && (-90...90).contains(lat) && (-180...180).contains(long)
    }

    /// Great-circle distance in metres (haversine; good to well under a metre at village scale).
    public func distance(to other: GeoPoint) -> Double {
        let r = 6_371_008.8
        let φ1 = lat * .pi / 180, φ2 = other.lat * .pi / 180
        let dφ = (other.lat - lat) * .pi / 180, dλ = (other.long - long) * .pi / 180
        let a = sin(dφ / 2) * sin(dφ / 2) + cos(φ1) * cos(φ2) * sin(dλ / 2) * sin(dλ / 2)
        return 2 * r * asin(min(1, sqrt(a)))
    }

    /// The point moved by metres east and north (local flat-earth approximation, fine below a few km).
    public func offset(eastMetres: Double, northMetres: Double) -> GeoPoint {
        let metresPerDegreeLat = 111_320.0
        let metresPerDegreeLong = 111_320.0 * cos(lat * .pi / 180)
        return GeoPoint(lat: lat + northMetres / metresPerDegreeLat, long: long + eastMetres / metresPerDegreeLong)
    }
}

/// An axis-aligned bounding box in degrees.
public struct GeoBox: Sendable, Hashable, Codable {
    public var minLat: Double
    public var minLong: Double
    public var maxLat: Double
    public var maxLong: Double

    public init(minLat: Double, minLong: Double, maxLat: Double, maxLong: Double) {
        self.minLat = minLat
        self.minLong = minLong
        self.maxLat = maxLat
        self.maxLong = maxLong
    }

    public init?(points: some Sequence<GeoPoint>) {
        var box: GeoBox?
        for p in points {
            if box == nil { box = GeoBox(minLat: p.lat, minLong: p.long, maxLat: p.lat, maxLong: p.long) }
            box!.minLat = min(box!.minLat, p.lat)
            box!.maxLat = max(box!.maxLat, p.lat)
            box!.minLong = min(box!.minLong, p.long)
            box!.maxLong = max(box!.maxLong, p.long)
        }
        guard let box else { return nil }
        self = box
    }

    public func union(_ other: GeoBox) -> GeoBox {
        GeoBox(minLat: min(minLat, other.minLat), minLong: min(minLong, other.minLong),
               maxLat: max(maxLat, other.maxLat), maxLong: max(maxLong, other.maxLong))
    }

    public func contains(_ p: GeoPoint) -> Bool {
        p.lat >= minLat && p.lat <= maxLat && p.long >= minLong && p.long <= maxLong
    }

    public var centre: GeoPoint { GeoPoint(lat: (minLat + maxLat) / 2, long: (minLong + maxLong) / 2) }
}

/// Where a point lies relative to a closed region. The boundary belongs to the region (closed sets), so a
/// point on a shared edge of two grid cells is in both; `GridIndex` breaks that tie deterministically.
public enum PointLocation: Sendable, Equatable {
    case inside
    case boundary
    case outside
}

/// A polygon with an outer ring and optional holes, each ring a list of positions. A closing position equal to
/// the first is allowed and ignored.
public struct Polygon: Sendable, Hashable, Codable {
    public var outer: [GeoPoint]
    public var holes: [[GeoPoint]]

    public init(outer: [GeoPoint], holes: [[GeoPoint]] = []) {
        self.outer = outer
        self.holes = holes
    }

    /// Tolerance in degrees for "on the boundary" (about 0.1 mm): absorbs binary rounding of decimal coordinates.
    public static let boundaryTolerance = 1e-9

    public var boundingBox: GeoBox { GeoBox(points: outer)! }

    public func locate(_ p: GeoPoint) -> PointLocation {
        switch Polygon.locate(p, in: outer) {
        case .outside: return .outside
        case .boundary: return .boundary
        case .inside:
            for hole in holes {
                switch Polygon.locate(p, in: hole) {
                case .inside: return .outside
                case .boundary: return .boundary
                case .outside: continue
                }
            }
            return .inside
        }
    }

    public func contains(_ p: GeoPoint) -> Bool { locate(p) != .outside }

    /// Crossing-number test with an explicit on-edge check first.
    static func locate(_ p: GeoPoint, in ring: [GeoPoint]) -> PointLocation {
        let n = ring.count
        guard n >= 3 else { return .outside }
        var inside = false
        var j = n - 1
        for i in 0..<n {
            let a = ring[j], b = ring[i]
            if onSegment(px: p.long, py: p.lat, ax: a.long, ay: a.lat, bx: b.long, by: b.lat) { return .boundary }
            if (a.lat > p.lat) != (b.lat > p.lat) {
                let x = a.long + (p.lat - a.lat) * (b.long - a.long) / (b.lat - a.lat)
                if p.long < x { inside.toggle() }
            }
            j = i
        }
        return inside ? .inside : .outside
    }

    @inline(__always)
    static func onSegment(px: Double, py: Double, ax: Double, ay: Double, bx: Double, by: Double) -> Bool {
        let tol = boundaryTolerance
        if px < min(ax, bx) - tol || px > max(ax, bx) + tol || py < min(ay, by) - tol || py > max(ay, by) + tol {
            return false
        }
        let dx = bx - ax, dy = by - ay
        let length = (dx * dx + dy * dy).squareRoot()
        if length == 0 { return abs(px - ax) <= tol && abs(py - ay) <= tol }
        let cross = dx * (py - ay) - dy * (px - ax)
        return abs(cross) <= tol * length
    }

    /// Planar area in square metres (local equirectangular projection around the ring's centre).
    public var areaSquareMetres: Double {
        func ringArea(_ ring: [GeoPoint]) -> Double {
            guard ring.count >= 3, let box = GeoBox(points: ring) else { return 0 }
            let lat0 = box.centre.lat * .pi / 180
            let mx = 111_320.0 * cos(lat0), my = 111_320.0
            var sum = 0.0
            for i in 0..<ring.count {
                let a = ring[i], b = ring[(i + 1) % ring.count]
                sum += (a.long * mx) * (b.lat * my) - (b.long * mx) * (a.lat * my)
            }
            return abs(sum) / 2
        }
        return max(0, ringArea(outer) - holes.map(ringArea).reduce(0, +))
    }

    /// An axis-aligned rectangle, counter-clockwise, closed (GeoJSON right-hand rule).
    public static func rectangle(_ box: GeoBox) -> Polygon {
        Polygon(outer: [
            GeoPoint(lat: box.minLat, long: box.minLong),
            GeoPoint(lat: box.minLat, long: box.maxLong),
            GeoPoint(lat: box.maxLat, long: box.maxLong),
            GeoPoint(lat: box.maxLat, long: box.minLong),
            GeoPoint(lat: box.minLat, long: box.minLong),
        ])
    }
}

/// The shape of an area: one or more polygons (GeoJSON Polygon or MultiPolygon).
public struct AreaShape: Sendable, Hashable, Codable {
    public var polygons: [Polygon]

    public init(polygons: [Polygon]) {
        self.polygons = polygons
    }

    public var boundingBox: GeoBox? {
        polygons.map(\.boundingBox).reduce(nil) { partial, box in partial.map { $0.union(box) } ?? box }
    }

    public func locate(_ p: GeoPoint) -> PointLocation {
        var result = PointLocation.outside
        for polygon in polygons {
            switch polygon.locate(p) {
            case .inside: return .inside
            case .boundary: result = .boundary
            case .outside: break
            }
        }
        return result
    }

    public func contains(_ p: GeoPoint) -> Bool { locate(p) != .outside }

    public var areaSquareMetres: Double { polygons.map(\.areaSquareMetres).reduce(0, +) }

    /// A point that is inside the shape, for labels and for "the area's position": the bounding-box centre
    /// when it is inside, otherwise the centre of the widest horizontal run across the middle.
    public var labelPoint: GeoPoint? {
        guard let box = boundingBox else { return nil }
        if locate(box.centre) == .inside { return box.centre }
        let lat = box.centre.lat
        var crossings: [Double] = []
        for polygon in polygons {
            for ring in [polygon.outer] + polygon.holes {
                for i in 0..<ring.count {
                    let a = ring[i], b = ring[(i + 1) % ring.count]
                    if (a.lat > lat) != (b.lat > lat) {
                        crossings.append(a.long + (lat - a.lat) * (b.long - a.long) / (b.lat - a.lat))
                    }
                }
            }
        }
        crossings.sort()
        var best: (Double, Double)?
        var i = 0
        while i + 1 < crossings.count {
            let run = (crossings[i], crossings[i + 1])
            if best == nil || run.1 - run.0 > best!.1 - best!.0 { best = run }
            i += 2
        }
        if let best { return GeoPoint(lat: lat, long: (best.0 + best.1) / 2) }
        return polygons.first?.outer.first
    }
}
