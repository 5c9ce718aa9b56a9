import Foundation

/// A map drawn by the server: shapes projected to SVG user units, with a scale bar and a north arrow.
/// Pure data, so templates only print it and tests can check it.
public struct AreaMap: Sendable, Encodable, Equatable {
    public struct Shape: Sendable, Encodable, Equatable {
        public var id: String
        public var code: String
        public var label: String
        public var kind: String
        /// SVG path data; rings after the first are holes (draw with fill-rule="evenodd").
        public var path: String
        public var labelX: Double
        public var labelY: Double
        /// The lowest point of the shape on the map, for a label placed underneath.
        public var bottomY: Double
        public var href: String?
    }

    public struct ScaleBar: Sendable, Encodable, Equatable {
        public var x: Double
        public var y: Double
        public var width: Double
        public var label: String
        public var metres: Int
    }

    public var width: Double
    public var height: Double
    public var shapes: [Shape]
    public var scaleBar: ScaleBar
    public var northArrow: String
    public var northX: Double
    public var northY: Double
    /// Text size in SVG units, proportional to the width so labels stay readable when the map is scaled down.
    public var fontSize: Double
    /// Points drawn over the shapes (open cases …), projected like the shapes.
    public var markers: [Marker] = []
    /// The projection, for a script that turns a tap into a position: the extent's north-west corner lands on
    /// (`frame[0]`, `frame[1]`) and its south-east corner on (`frame[2]`, `frame[3]`); `bounds` is
    /// [minLat, minLong, maxLat, maxLong]. The projection is linear in each axis between them.
    public var frame: [Double] = []
    public var bounds: [Double] = []

    public struct Marker: Sendable, Encodable, Equatable {
        public var x: Double
        public var y: Double
        public var style: String
        public var label: String
        public var href: String?
    }

    /// A point to mark, with a style name for the stylesheet.
    public struct Pin: Sendable {
        public var position: GeoPoint
        public var style: String
        public var label: String
        public var href: String?
        public init(position: GeoPoint, style: String, label: String, href: String?) {
            self.position = position
            self.style = style
            self.label = label
            self.href = href
        }
    }

    /// One layer entry: an area with its link.
    public struct Item: Sendable {
        public var area: Area
        public var href: String?
        public init(area: Area, href: String?) {
            self.area = area
            self.href = href
        }
    }

    static let metresPerDegree = 111_320.0

    /// Projects the items (equirectangular around the extent's mean latitude: true shape at village scale) into
    /// a box `width` wide, keeping the aspect ratio, with a margin for the scale bar and arrow.
    public static func draw(_ items: [Item], outline: Area? = nil, width: Double = 800, language: Language, pins: [Pin] = []) -> AreaMap? {
        let drawn = (outline.map { [Item(area: $0, href: nil)] } ?? []) + items
        let boxes = drawn.compactMap { $0.area.shape?.boundingBox }
        guard var extent = boxes.first else { return nil }
        for b in boxes.dropFirst() { extent = extent.union(b) }
        let cosLat = cos(extent.centre.lat * .pi / 180)
        let spanX = max((extent.maxLong - extent.minLong) * cosLat, 1e-7)
        let spanY = max(extent.maxLat - extent.minLat, 1e-7)
        let margin = 24.0
        let k = width / 360                        // sizes below are for a 360-unit map, scaled with the width
        let bottom = 36.0 * k                      // room for the scale bar
        let inner = width - 2 * margin
        let scale = inner / spanX                       // SVG units per (cos-corrected) degree
        let innerHeight = min(max(spanY * scale, 120), width * 1.1)   // tall areas shrink to fit rather than run off the screen
        let yScale = innerHeight / spanY
        let s = min(scale, yScale)
        let offsetX = margin + (inner - spanX * s) / 2
        let height = innerHeight + margin + bottom

        func project(_ p: GeoPoint) -> (Double, Double) {
            let x = offsetX + (p.long - extent.minLong) * cosLat * s
            let y = margin + (extent.maxLat - p.lat) * s
            return (x, y)
        }
        func fmt(_ v: Double) -> String { String(format: "%.1f", v) }

        var shapes: [Shape] = []
        for (index, item) in drawn.enumerated() {
            guard let shape = item.area.shape else { continue }
            var d = ""
            for polygon in shape.polygons {
                for ring in [polygon.outer] + polygon.holes {
                    var points = ring
                    if points.count > 1, points.first == points.last { points.removeLast() }
                    for (i, p) in points.enumerated() {
                        let (x, y) = project(p)
                        d += (i == 0 ? "M" : "L") + fmt(x) + " " + fmt(y) + " "
                    }
                    d += "Z "
                }
            }
            let label = shape.labelPoint.map(project) ?? (0, 0)
            let bottom = shape.boundingBox.map { project(GeoPoint(lat: $0.minLat, long: $0.minLong)).1 } ?? label.1
            shapes.append(Shape(
                id: item.area.id.uuidString.lowercased(), code: item.area.code, label: item.area.displayName(language),
                kind: index == 0 && outline != nil ? "outline" : item.area.kind.rawValue,
                path: String(d.dropLast()), labelX: (label.0 * 10).rounded() / 10, labelY: (label.1 * 10).rounded() / 10,
                bottomY: (bottom * 10).rounded() / 10, href: item.href))
        }

        // Scale bar: the largest 1-2-5 length that fits in a quarter of the width.
        let metresPerUnit = metresPerDegree / s
        let target = (width / 4) * metresPerUnit
        var length = 1.0
        while length * 10 <= target { length *= 10 }
        for step in [5.0, 2.0, 1.0] where length * step <= target { length *= step; break }
        let metres = Int(length)
        let barWidth = length / metresPerUnit
        let label = metres >= 1000 ? "\(metres / 1000) km" : "\(metres) m"
        let bar = ScaleBar(x: margin, y: height - 14 * k, width: (barWidth * 10).rounded() / 10, label: label, metres: metres)
        // The north arrow sits in the bottom band beside the scale bar, clear of the shapes.
        let nx = width - margin - 8 * k, ny = height - bottom / 2
        let arrow = "M\(fmt(nx)) \(fmt(ny - 12 * k)) L\(fmt(nx + 6 * k)) \(fmt(ny + 8 * k)) L\(fmt(nx)) \(fmt(ny + 4 * k)) L\(fmt(nx - 6 * k)) \(fmt(ny + 8 * k)) Z"
        let markers = pins.filter { extent.contains($0.position) }.map { pin in
            let (x, y) = project(pin.position)
            return Marker(x: (x * 10).rounded() / 10, y: (y * 10).rounded() / 10, style: pin.style, label: pin.label, href: pin.href)
        }
        let nw = project(GeoPoint(lat: extent.maxLat, long: extent.minLong)), se = project(GeoPoint(lat: extent.minLat, long: extent.maxLong))
        return AreaMap(width: width, height: (height * 10).rounded() / 10, shapes: shapes, scaleBar: bar,
                       northArrow: arrow, northX: nx - 14 * k, northY: ny + 4 * k, fontSize: ((6 + width / 100) * 10).rounded() / 10,
                       markers: markers, frame: [nw.0, nw.1, se.0, se.1],
                       bounds: [extent.minLat, extent.minLong, extent.maxLat, extent.maxLong])
    }
}
