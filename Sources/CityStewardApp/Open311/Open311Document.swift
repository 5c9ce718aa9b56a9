import CityStewardCore
import Foundation
import Vapor

/// One Open311 answer, written as XML (always) or JSON (the spec's "Spark" mapping: the root element is dropped and
/// repeated containers become arrays, so lists are bare JSON arrays).
indirect enum Open311Value {
    case string(String?)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case object([(String, Open311Value)])
    /// A repeated child: `<items><item/>…</items>` in XML, `[…]` in JSON.
    case list(item: String, [Open311Value])
}

enum Open311Format: String {
    case xml, json

    var contentType: HTTPMediaType {
        switch self {
        case .xml: HTTPMediaType(type: "text", subType: "xml", parameters: ["charset": "utf-8"])
        case .json: HTTPMediaType(type: "application", subType: "json", parameters: ["charset": "utf-8"])
        }
    }

    /// `services.json` → ("services", .json); nil when the suffix is neither format.
    static func split(_ file: String) -> (name: String, format: Open311Format)? {
        guard let dot = file.lastIndex(of: ".") else { return nil }
        guard let format = Open311Format(rawValue: String(file[file.index(after: dot)...]).lowercased()) else { return nil }
        return (String(file[..<dot]), format)
    }
}

struct Open311Document {
    var root: String
    var value: Open311Value

    func render(_ format: Open311Format) -> String {
        switch format {
        case .xml:
            var out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
            Self.xml(root, value, into: &out)
            return out
        case .json:
            var out = ""
            Self.json(value, into: &out)
            return out
        }
    }

    func response(_ format: Open311Format, status: HTTPResponseStatus = .ok) -> Response {
        let response = Response(status: status, body: .init(string: render(format)))
        response.headers.contentType = format.contentType
        return response
    }

    static func xml(_ name: String, _ value: Open311Value, into out: inout String) {
        switch value {
        case .string(let s):
            if let s, !s.isEmpty { out += "<\(name)>\(SVGText.escape(s))</\(name)>" } else { out += "<\(name)/>" }
        case .int(let i): out += "<\(name)>\(i)</\(name)>"
        case .double(let d): out += "<\(name)>\(number(d))</\(name)>"
        case .bool(let b): out += "<\(name)>\(b)</\(name)>"
        case .object(let fields):
            out += "<\(name)>"
            for (k, v) in fields { xml(k, v, into: &out) }
            out += "</\(name)>"
        case .list(let item, let items):
            out += "<\(name)>"
            for v in items { xml(item, v, into: &out) }
            out += "</\(name)>"
        }
    }

    static func json(_ value: Open311Value, into out: inout String) {
        switch value {
        case .string(let s): out += s.map(ReportCase.quoted) ?? "null"
        case .int(let i): out += String(i)
        case .double(let d): out += number(d)
        case .bool(let b): out += b ? "true" : "false"
        case .object(let fields):
            out += "{"
            for (i, (k, v)) in fields.enumerated() {
                if i > 0 { out += "," }
                out += ReportCase.quoted(k) + ":"
                json(v, into: &out)
            }
            out += "}"
        case .list(_, let items):
            out += "["
            for (i, v) in items.enumerated() {
                if i > 0 { out += "," }
                json(v, into: &out)
            }
            out += "]"
        }
    }

    /// Integers plainly; other numbers to 7 decimals (≈1 cm for positions), trailing zeros dropped.
    static func number(_ d: Double) -> String {
        guard d.isFinite else { return "0" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
        var text = String(format: "%.7f", d)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// The spec's error list: `<errors><error><code/><description/></error></errors>` / `[{"code":…,"description":…}]`.
    static func errors(_ items: [(code: Int, description: String)]) -> Open311Document {
        Open311Document(root: "errors", value: .list(item: "error", items.map {
            .object([("code", .int($0.code)), ("description", .string($0.description))])
        }))
    }
}
