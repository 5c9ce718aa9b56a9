import CityStewardCore
import Foundation
import Testing

@Suite("Point in polygon")
struct GeometryTests {
    // A 10 × 10 square with a 4 × 4 hole in the middle (degrees used as plain coordinates).
    let square = Polygon(
        outer: [GeoPoint(lat: 0, long: 0), GeoPoint(lat: 0, long: 10), GeoPoint(lat: 10, long: 10), GeoPoint(lat: 10, long: 0), GeoPoint(lat: 0, long: 0)],
        holes: [[GeoPoint(lat: 3, long: 3), GeoPoint(lat: 7, long: 3), GeoPoint(lat: 7, long: 7), GeoPoint(lat: 3, long: 7), GeoPoint(lat: 3, long: 3)]])

    @Test func insideOutside() {
        #expect(square.locate(GeoPoint(lat: 1, long: 1)) == .inside)
        #expect(square.locate(GeoPoint(lat: 9.5, long: 5)) == .inside)
        #expect(square.locate(GeoPoint(lat: 11, long: 5)) == .outside)
        #expect(square.locate(GeoPoint(lat: -0.0001, long: 5)) == .outside)
        #expect(square.locate(GeoPoint(lat: 5, long: 20)) == .outside)
    }

    @Test func edgesAndVerticesBelongToThePolygon() {
        #expect(square.locate(GeoPoint(lat: 0, long: 5)) == .boundary)   // bottom edge
        #expect(square.locate(GeoPoint(lat: 5, long: 10)) == .boundary)  // right edge
        #expect(square.locate(GeoPoint(lat: 10, long: 0)) == .boundary)  // vertex
        #expect(square.locate(GeoPoint(lat: 0, long: 0)) == .boundary)   // first vertex
        #expect(square.contains(GeoPoint(lat: 10, long: 10)))
    }

    @Test func holes() {
        #expect(square.locate(GeoPoint(lat: 5, long: 5)) == .outside)    // in the hole
        #expect(square.locate(GeoPoint(lat: 3, long: 5)) == .boundary)   // on the hole's edge
        #expect(square.locate(GeoPoint(lat: 7, long: 7)) == .boundary)   // on the hole's vertex
        #expect(square.locate(GeoPoint(lat: 2.9, long: 5)) == .inside)   // between hole and outer ring
    }

    @Test func rayThroughAVertexCountsOnce() {
        // A diamond: a horizontal ray from (lat 5, long 0) passes exactly through the vertices at lat 5.
        let diamond = Polygon(outer: [GeoPoint(lat: 0, long: 5), GeoPoint(lat: 5, long: 10), GeoPoint(lat: 10, long: 5), GeoPoint(lat: 5, long: 0)])
        #expect(diamond.locate(GeoPoint(lat: 5, long: 5)) == .inside)
        #expect(diamond.locate(GeoPoint(lat: 5, long: -1)) == .outside)
        #expect(diamond.locate(GeoPoint(lat: 5, long: 11)) == .outside)
        #expect(diamond.locate(GeoPoint(lat: 2.5, long: 7.5)) == .boundary) // on a slanted edge
    }

    @Test func concavePolygon() {
        // A U shape: the notch is outside.
        let u = Polygon(outer: [GeoPoint(lat: 0, long: 0), GeoPoint(lat: 0, long: 3), GeoPoint(lat: 3, long: 3), GeoPoint(lat: 3, long: 2),
                                GeoPoint(lat: 1, long: 2), GeoPoint(lat: 1, long: 1), GeoPoint(lat: 3, long: 1), GeoPoint(lat: 3, long: 0)])
        #expect(u.locate(GeoPoint(lat: 2, long: 1.5)) == .outside)
        #expect(u.locate(GeoPoint(lat: 2, long: 0.5)) == .inside)
        #expect(u.locate(GeoPoint(lat: 0.5, long: 1.5)) == .inside)
        #expect(u.locate(GeoPoint(lat: 1, long: 1.5)) == .boundary)
    }

    @Test func areaOfAHundredMetreCell() {
        let origin = GeoPoint(lat: 22.65, long: 114.0)
        let ne = origin.offset(eastMetres: 100, northMetres: 100)
        let cell = Polygon.rectangle(GeoBox(minLat: origin.lat, minLong: origin.long, maxLat: ne.lat, maxLong: ne.long))
        #expect(abs(cell.areaSquareMetres - 10_000) < 50)
        #expect(abs(origin.distance(to: origin.offset(eastMetres: 100, northMetres: 0)) - 100) < 0.5)
    }
}

@Suite("Grid index")
struct GridIndexTests {
    /// A 3 × 3 lattice of unit cells, row-major from the south-west.
    func lattice() -> [AreaShape] {
        var shapes: [AreaShape] = []
        for row in 0..<3 { for column in 0..<3 {
            shapes.append(AreaShape(polygons: [Polygon.rectangle(GeoBox(minLat: Double(row), minLong: Double(column),
                                                                       maxLat: Double(row + 1), maxLong: Double(column + 1)))]))
        } }
        return shapes
    }

    @Test func interiorPointsFindTheirCell() {
        let index = GridIndex(regions: lattice())
        #expect(index.firstRegion(containing: GeoPoint(lat: 0.5, long: 0.5)) == 0)
        #expect(index.firstRegion(containing: GeoPoint(lat: 1.5, long: 2.5)) == 5)
        #expect(index.firstRegion(containing: GeoPoint(lat: 2.99, long: 2.99)) == 8)
    }

    @Test func sharedEdgesAndVertices() {
        let index = GridIndex(regions: lattice())
        // On the edge between cells 0 and 1: both contain it; the lowest index wins.
        #expect(index.regions(containing: GeoPoint(lat: 0.5, long: 1)) == [0, 1])
        #expect(index.firstRegion(containing: GeoPoint(lat: 0.5, long: 1)) == 0)
        // The vertex shared by four cells.
        #expect(index.regions(containing: GeoPoint(lat: 1, long: 1)) == [0, 1, 3, 4])
        // The outer corner belongs to one cell.
        #expect(index.regions(containing: GeoPoint(lat: 3, long: 3)) == [8])
    }

    @Test func outsidePoints() {
        let index = GridIndex(regions: lattice())
        #expect(index.firstRegion(containing: GeoPoint(lat: -0.5, long: 1)) == nil)
        #expect(index.firstRegion(containing: GeoPoint(lat: 1, long: 3.0001)) == nil)
        #expect(index.firstRegion(containing: GeoPoint(lat: 50, long: 50)) == nil)
        #expect(index.firstRegion(containing: GeoPoint(lat: .nan, long: 1)) == nil)
    }

    @Test func holesAreNotPartOfTheRegion() {
        let ring = AreaShape(polygons: [Polygon(
            outer: [GeoPoint(lat: 0, long: 0), GeoPoint(lat: 0, long: 4), GeoPoint(lat: 4, long: 4), GeoPoint(lat: 4, long: 0), GeoPoint(lat: 0, long: 0)],
            holes: [[GeoPoint(lat: 1, long: 1), GeoPoint(lat: 3, long: 1), GeoPoint(lat: 3, long: 3), GeoPoint(lat: 1, long: 3), GeoPoint(lat: 1, long: 1)]])])
        let inner = AreaBuilderForTests.square(1, 1, 2)   // fills the hole exactly
        let index = GridIndex(regions: [ring, inner])
        #expect(index.firstRegion(containing: GeoPoint(lat: 2, long: 2)) == 1)
        #expect(index.firstRegion(containing: GeoPoint(lat: 0.5, long: 2)) == 0)
        #expect(index.regions(containing: GeoPoint(lat: 1, long: 2)) == [0, 1]) // the hole's edge is both
    }

    @Test func multiPolygonRegions() {
        let two = AreaShape(polygons: [AreaBuilderForTests.square(0, 0, 1).polygons[0], AreaBuilderForTests.square(5, 5, 1).polygons[0]])
        let index = GridIndex(regions: [two])
        #expect(index.firstRegion(containing: GeoPoint(lat: 5.5, long: 5.5)) == 0)
        #expect(index.firstRegion(containing: GeoPoint(lat: 3, long: 3)) == nil)
    }

    @Test func emptyIndex() {
        #expect(GridIndex(regions: []).firstRegion(containing: GeoPoint(lat: 0, long: 0)) == nil)
    }

    /// Property: the index answers exactly what a brute-force scan answers, for random points and irregular,
    /// differently sized polygons, including points snapped onto vertices and edges.
    @Test func agreesWithBruteForce() {
        var rng = SplitMix64(seed: 42)
        var shapes: [AreaShape] = []
        for _ in 0..<300 {
            let lat = Double.random(in: 0..<1, using: &rng), long = Double.random(in: 0..<1, using: &rng)
            let size = Double.random(in: 0.005..<0.08, using: &rng)
            // An irregular pentagon.
            let points = (0..<5).map { k -> GeoPoint in
                let angle = Double(k) * 2 * .pi / 5
                let r = size * Double.random(in: 0.5..<1, using: &rng)
                return GeoPoint(lat: lat + r * sin(angle), long: long + r * cos(angle))
            }
            shapes.append(AreaShape(polygons: [Polygon(outer: points + [points[0]])]))
        }
        let index = GridIndex(regions: shapes)
        var probes: [GeoPoint] = (0..<3000).map { _ in GeoPoint(lat: Double.random(in: -0.1..<1.1, using: &rng), long: Double.random(in: -0.1..<1.1, using: &rng)) }
        probes += shapes.prefix(100).flatMap { $0.polygons[0].outer.prefix(2) }           // vertices
        probes += shapes.prefix(100).map { s in                                          // edge midpoints
            let a = s.polygons[0].outer[0], b = s.polygons[0].outer[1]
            return GeoPoint(lat: (a.lat + b.lat) / 2, long: (a.long + b.long) / 2)
        }
        for p in probes {
            let expected = shapes.indices.filter { shapes[$0].contains(p) }
            #expect(index.regions(containing: p) == expected, "point \(p)")
            #expect(index.firstRegion(containing: p) == expected.first)
        }
    }
}

enum AreaBuilderForTests {
    static func square(_ lat: Double, _ long: Double, _ size: Double) -> AreaShape {
        AreaShape(polygons: [Polygon.rectangle(GeoBox(minLat: lat, minLong: long, maxLat: lat + size, maxLong: long + size))])
    }
}

