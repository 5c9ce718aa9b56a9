import CityStewardCore
import Foundation

/// Writes an `AreaMap` as inline SVG. Every text and attribute value is escaped here, because the template
/// inserts the result unescaped. Styling comes from classes in app.css (the CSP forbids inline styles).
enum MapSVG {
    static func render(_ map: AreaMap, label: String) -> String {
        var out = "<svg class=\"map\" viewBox=\"0 0 \(n(map.width)) \(n(map.height))\" role=\"img\" aria-label=\"\(escape(label))\" font-size=\"\(n(map.fontSize))\" xmlns=\"http://www.w3.org/2000/svg\">"
        out += "<rect class=\"map-bg\" x=\"0\" y=\"0\" width=\"\(n(map.width))\" height=\"\(n(map.height))\"/>"
        for shape in map.shapes {
            let path = "<path class=\"shape shape-\(escape(shape.kind))\" d=\"\(escape(shape.path))\" fill-rule=\"evenodd\"><title>\(escape(shape.label)) \(escape(shape.code))</title></path>"
            if let href = shape.href {
                out += "<a href=\"\(escape(href))\">\(path)</a>"
            } else {
                out += path
            }
        }
        // Labels for the larger shapes only (grid cells carry their name in the tooltip).
        for shape in map.shapes where shape.kind == "village" || shape.kind == "street" || shape.kind == "community" {
            out += "<text class=\"label\" x=\"\(n(shape.labelX))\" y=\"\(n(shape.bottomY + map.fontSize * 1.2))\" text-anchor=\"middle\">\(escape(shape.label))</text>"
        }
        for m in map.markers {
            let dot = "<circle class=\"pin pin-\(escape(m.style))\" cx=\"\(n(m.x))\" cy=\"\(n(m.y))\" r=\"\(n(map.fontSize * 0.5))\"><title>\(escape(m.label))</title></circle>"
            out += m.href.map { "<a href=\"\(escape($0))\">\(dot)</a>" } ?? dot
        }
        let bar = map.scaleBar
        out += "<g class=\"scale\"><rect x=\"\(n(bar.x))\" y=\"\(n(bar.y))\" width=\"\(n(bar.width))\" height=\"\(n(map.fontSize * 0.35))\"/>"
        out += "<text x=\"\(n(bar.x))\" y=\"\(n(bar.y - map.fontSize * 0.4))\">\(escape(bar.label))</text></g>"
        out += "<g class=\"north\"><path d=\"\(escape(map.northArrow))\"/><text x=\"\(n(map.northX))\" y=\"\(n(map.northY))\" text-anchor=\"middle\">N</text></g>"
        out += "</svg>"
        return out
    }

    static func n(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String { SVGText.escape(text) }
}
