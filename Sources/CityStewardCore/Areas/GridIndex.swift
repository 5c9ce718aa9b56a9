import Foundation

/// A spatial index answering "which region contains this point" for many polygons (grid cells, villages).
///
/// Layout: a uniform bucket grid over the regions' extent, sized from the median region, each bucket listing the
/// regions whose bounding box touches it (CSR arrays); coordinates live in one flat array. A lookup is one bucket
/// computation, a few bounding-box checks and a point-in-polygon test on the survivors: no allocation, no hashing.
///
/// Regions are identified by their position in the input. The boundary belongs to a region, so a point on an
/// edge shared by two regions is in both: `firstRegion(containing:)` returns the lowest index, which callers make
/// meaningful by passing regions sorted by code; `regions(containing:)` returns all of them.
public struct GridIndex: Sendable {
    public let count: Int

    // Flat geometry. Ring r spans coords[2*ringStart[r] ..< 2*ringStart[r+1]] as (x = long, y = lat) pairs.
    private let coords: [Double]
    private let ringStart: [Int32]
    // Polygon p has rings polygonRingStart[p] ..< polygonRingStart[p+1]; the first is the outer ring.
    private let polygonRingStart: [Int32]
    // Region g has polygons regionPolygonStart[g] ..< regionPolygonStart[g+1].
    private let regionPolygonStart: [Int32]
    // Region bounding boxes: minX, minY, maxX, maxY per region.
    private let boxes: [Double]

    // Buckets.
    private let originX: Double, originY: Double
    private let inverseCellWidth: Double, inverseCellHeight: Double
    private let columns: Int, rows: Int
    private let bucketStart: [Int32]
    private let bucketItems: [Int32]

    private static let tolerance = Polygon.boundaryTolerance

    public init(regions: [AreaShape]) {
        count = regions.count
        var coords: [Double] = []
        var ringStart: [Int32] = [0]
        var polygonRingStart: [Int32] = [0]
        var regionPolygonStart: [Int32] = [0]
        var boxes: [Double] = []
        boxes.reserveCapacity(regions.count * 4)
        var vertexCount: Int32 = 0
        for region in regions {
            var minX = Double.infinity, minY = Double.infinity, maxX = -Double.infinity, maxY = -Double.infinity
            for polygon in region.polygons {
                for ring in [polygon.outer] + polygon.holes {
                    var points = ring
                    // Drop an explicit closing point: the loop closes the ring itself.
                    if points.count > 1, points.first == points.last { points.removeLast() }
                    for p in points {
                        coords.append(p.long)
                        coords.append(p.lat)
                        minX = min(minX, p.long); maxX = max(maxX, p.long)
                        minY = min(minY, p.lat); maxY = max(maxY, p.lat)
                    }
                    vertexCount += Int32(points.count)
                    ringStart.append(vertexCount)
                }
                polygonRingStart.append(Int32(ringStart.count - 1))
            }
            regionPolygonStart.append(Int32(polygonRingStart.count - 1))
            if minX > maxX { minX = 0; maxX = -1; minY = 0; maxY = -1 }  // empty region: never matches
            boxes.append(contentsOf: [minX, minY, maxX, maxY])
        }
        self.coords = coords
        self.ringStart = ringStart
        self.polygonRingStart = polygonRingStart
        self.regionPolygonStart = regionPolygonStart
        self.boxes = boxes

        // Extent and bucket size from the median region, so a typical region touches about four buckets.
        var extent: GeoBox?
        var widths: [Double] = [], heights: [Double] = []
        for g in 0..<regions.count where boxes[4 * g] <= boxes[4 * g + 2] {
            let box = GeoBox(minLat: boxes[4 * g + 1], minLong: boxes[4 * g], maxLat: boxes[4 * g + 3], maxLong: boxes[4 * g + 2])
            extent = extent.map { $0.union(box) } ?? box
            widths.append(box.maxLong - box.minLong)
            heights.append(box.maxLat - box.minLat)
        }
        guard let extent else {
            originX = 0; originY = 0; inverseCellWidth = 1; inverseCellHeight = 1; columns = 1; rows = 1
            bucketStart = [0, 0]; bucketItems = []
            return
        }
        widths.sort(); heights.sort()
        let totalWidth = max(extent.maxLong - extent.minLong, 1e-9)
        let totalHeight = max(extent.maxLat - extent.minLat, 1e-9)
        var cellWidth = max(widths[widths.count / 2], totalWidth / 4096, 1e-7)
        var cellHeight = max(heights[heights.count / 2], totalHeight / 4096, 1e-7)
        // Keep the bucket table proportional to the number of regions.
        let maxBuckets = max(1024, 8 * regions.count)
        while (totalWidth / cellWidth + 1) * (totalHeight / cellHeight + 1) > Double(maxBuckets) {
            cellWidth *= 1.5; cellHeight *= 1.5
        }
        let originX = extent.minLong - 2 * Self.tolerance
        let originY = extent.minLat - 2 * Self.tolerance
        let inverseCellWidth = 1 / cellWidth
        let inverseCellHeight = 1 / cellHeight
        let columns = Int(((totalWidth + 4 * Self.tolerance) * inverseCellWidth).rounded(.down)) + 1
        let rows = Int(((totalHeight + 4 * Self.tolerance) * inverseCellHeight).rounded(.down)) + 1
        func column(_ x: Double) -> Int { min(max(Int(((x - originX) * inverseCellWidth).rounded(.down)), 0), columns - 1) }
        func row(_ y: Double) -> Int { min(max(Int(((y - originY) * inverseCellHeight).rounded(.down)), 0), rows - 1) }

        // Two passes: count per bucket, then fill (CSR). Regions are added in index order, so every bucket's list
        // is ascending and the first hit of a lookup is the lowest index.
        var counts = [Int32](repeating: 0, count: columns * rows + 1)
        func bucketRange(_ g: Int) -> (ClosedRange<Int>, ClosedRange<Int>)? {
            let minX = boxes[4 * g], minY = boxes[4 * g + 1], maxX = boxes[4 * g + 2], maxY = boxes[4 * g + 3]
            guard minX <= maxX else { return nil }
            return (column(minX - Self.tolerance)...column(maxX + Self.tolerance), row(minY - Self.tolerance)...row(maxY + Self.tolerance))
        }
        for g in 0..<regions.count {
            guard let (cs, rs) = bucketRange(g) else { continue }
            for r in rs { for c in cs { counts[r * columns + c + 1] += 1 } }
        }
        for i in 1..<counts.count { counts[i] += counts[i - 1] }
        var items = [Int32](repeating: 0, count: Int(counts.last!))
        var cursor = counts
        for g in 0..<regions.count {
            guard let (cs, rs) = bucketRange(g) else { continue }
            for r in rs {
                for c in cs {
                    let b = r * columns + c
                    items[Int(cursor[b])] = Int32(g)
                    cursor[b] += 1
                }
            }
        }
        self.originX = originX
        self.originY = originY
        self.inverseCellWidth = inverseCellWidth
        self.inverseCellHeight = inverseCellHeight
        self.columns = columns
        self.rows = rows
        bucketStart = counts
        bucketItems = items
    }

    /// The lowest-index region that contains the point (boundary included), or nil.
    public func firstRegion(containing p: GeoPoint) -> Int? {
        var found: Int?
        visitCandidates(p) { g in
            if locate(p.long, p.lat, region: g) != .outside { found = g; return false }
            return true
        }
        return found
    }

    /// Every region that contains the point, ascending; several when the point is on a shared edge or vertex,
    /// or when regions overlap.
    public func regions(containing p: GeoPoint) -> [Int] {
        var result: [Int] = []
        visitCandidates(p) { g in
            if locate(p.long, p.lat, region: g) != .outside { result.append(g) }
            return true
        }
        return result
    }

    /// Where the point lies relative to one region.
    public func location(of p: GeoPoint, inRegion g: Int) -> PointLocation {
        locate(p.long, p.lat, region: g)
    }

    @inline(__always)
    private func visitCandidates(_ p: GeoPoint, _ body: (Int) -> Bool) {
        let x = p.long, y = p.lat
        guard x.isFinite, y.isFinite else { return }
        let c = Int(((x - originX) * inverseCellWidth).rounded(.down))
        let r = Int(((y - originY) * inverseCellHeight).rounded(.down))
        guard c >= 0, c < columns, r >= 0, r < rows else { return }
        let b = r * columns + c
        let tol = Self.tolerance
        bucketItems.withUnsafeBufferPointer { items in
            boxes.withUnsafeBufferPointer { box in
                var i = Int(bucketStart[b])
                let end = Int(bucketStart[b + 1])
                while i < end {
                    let g = Int(items[i])
                    let o = 4 * g
                    if x >= box[o] - tol, y >= box[o + 1] - tol, x <= box[o + 2] + tol, y <= box[o + 3] + tol {
                        if !body(g) { return }
                    }
                    i += 1
                }
            }
        }
    }

    private func locate(_ x: Double, _ y: Double, region g: Int) -> PointLocation {
        var result = PointLocation.outside
        for p in Int(regionPolygonStart[g])..<Int(regionPolygonStart[g + 1]) {
            let firstRing = Int(polygonRingStart[p]), endRing = Int(polygonRingStart[p + 1])
            guard firstRing < endRing else { continue }
            switch locateRing(x, y, ring: firstRing) {
            case .outside: continue
            case .boundary: result = .boundary
            case .inside:
                var polygonResult = PointLocation.inside
                for hole in (firstRing + 1)..<endRing {
                    let h = locateRing(x, y, ring: hole)
                    if h == .inside { polygonResult = .outside; break }
                    if h == .boundary { polygonResult = .boundary; break }
                }
                if polygonResult == .inside { return .inside }
                if polygonResult == .boundary { result = .boundary }
            }
        }
        return result
    }

    @inline(__always)
    private func locateRing(_ x: Double, _ y: Double, ring r: Int) -> PointLocation {
        let start = Int(ringStart[r]), end = Int(ringStart[r + 1])
        let n = end - start
        guard n >= 3 else { return .outside }
        return coords.withUnsafeBufferPointer { c -> PointLocation in
            var inside = false
            var j = end - 1
            var i = start
            while i < end {
                let ax = c[2 * j], ay = c[2 * j + 1], bx = c[2 * i], by = c[2 * i + 1]
                if Polygon.onSegment(px: x, py: y, ax: ax, ay: ay, bx: bx, by: by) { return .boundary }
                if (ay > y) != (by > y) {
                    let xCross = ax + (y - ay) * (bx - ax) / (by - ay)
                    if x < xCross { inside.toggle() }
                }
                j = i
                i += 1
            }
            return inside ? .inside : .outside
        }
    }
}
