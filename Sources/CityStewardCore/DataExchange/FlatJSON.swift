import Foundation

/// A parser for the one shape device events have: a flat JSON object of strings, numbers, booleans and nulls.
/// Several times faster than `JSONSerialization` per line; anything else (nesting, bad syntax) returns nil and
/// the caller falls back to the general parser, which decides.
public enum FlatJSON {
    public static func object(_ bytes: some Collection<UInt8>) -> [String: Any]? {
        guard let fields = fields(bytes) else { return nil }
        var out: [String: Any] = [:]
        for (key, value) in fields {
            switch value {
            case .string(let s): out[key] = s
            case .number(let n): out[key] = NSNumber(value: n)
            case .bool(let b): out[key] = b
            case .null: out[key] = NSNull()
            }
        }
        return out
    }

    /// A flat object's members in order, typed (no boxing into `Any` on the intake's path).
    public enum Value: Sendable, Equatable {
        case string(String)
        case number(Double)
        case bool(Bool)
        case null
    }

    public static func fields(_ bytes: some Collection<UInt8>) -> [(key: String, value: Value)]? {
        var p = Parser(bytes: Array(bytes))
        return p.object()
    }

    struct Parser {
        let bytes: [UInt8]
        var i = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func space() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 }
        }

        mutating func object() -> [(key: String, value: Value)]? {
            space()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { return nil }
            i += 1
            var out: [(key: String, value: Value)] = []
            space()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return end(out) }
            while true {
                space()
                guard let key = string() else { return nil }
                space()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                space()
                guard i < bytes.count else { return nil }
                switch bytes[i] {
                case UInt8(ascii: "\""):
                    guard let s = string() else { return nil }
                    out.append((key, .string(s)))
                case UInt8(ascii: "t"):
                    guard literal("true") else { return nil }
                    out.append((key, .bool(true)))
                case UInt8(ascii: "f"):
                    guard literal("false") else { return nil }
                    out.append((key, .bool(false)))
                case UInt8(ascii: "n"):
                    guard literal("null") else { return nil }
                    out.append((key, .null))
                default:
                    guard let n = number() else { return nil }
                    out.append((key, .number(n)))
                }
                space()
                guard i < bytes.count else { return nil }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return end(out) }
                return nil
            }
        }

        mutating func end(_ out: [(key: String, value: Value)]) -> [(key: String, value: Value)]? {
            space()
            return i == bytes.count ? out : nil
        }

        mutating func literal(_ word: String) -> Bool {
            let w = Array(word.utf8)
            guard i + w.count <= bytes.count, bytes[i..<(i + w.count)].elementsEqual(w) else { return false }
            i += w.count
            return true
        }

        mutating func number() -> Double? {
            let start = i
            while i < bytes.count, (bytes[i] >= 0x30 && bytes[i] <= 0x39) || bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")
                || bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") { i += 1 }
            guard i > start else { return nil }
            return Double(String(decoding: bytes[start..<i], as: UTF8.self))
        }

        mutating func string() -> String? {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            let start = i
            // Fast path: no escapes.
            while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\") {
                if bytes[i] < 0x20 { return nil }
                i += 1
            }
            guard i < bytes.count else { return nil }
            if bytes[i] == UInt8(ascii: "\"") {
                defer { i += 1 }
                return String(decoding: bytes[start..<i], as: UTF8.self)
            }
            var out = Array(bytes[start..<i])
            while i < bytes.count {
                let b = bytes[i]
                if b == UInt8(ascii: "\"") { i += 1; return String(decoding: out, as: UTF8.self) }
                if b < 0x20 { return nil }
                if b != UInt8(ascii: "\\") { out.append(b); i += 1; continue }
                i += 1
                guard i < bytes.count else { return nil }
                switch bytes[i] {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    guard var scalar = hex4(i + 1) else { return nil }
                    i += 4
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard i + 6 < bytes.count, bytes[i + 1] == UInt8(ascii: "\\"), bytes[i + 2] == UInt8(ascii: "u"),
                              let low = hex4(i + 3), (0xDC00...0xDFFF).contains(low) else { return nil }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                    guard let u = Unicode.Scalar(scalar) else { return nil }
                    out += Array(String(Character(u)).utf8)
                default: return nil
                }
                i += 1
            }
            return nil
        }

        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= bytes.count else { return nil }
            var v: UInt32 = 0
            for b in bytes[at..<(at + 4)] {
                guard let d = Character(UnicodeScalar(b)).hexDigitValue else { return nil }
                v = v << 4 | UInt32(d)
            }
            return v
        }
    }
}

extension FlatJSON {
    /// A flat JSON object of strings, keys sorted (a case event's details). Written by hand: it runs on every intake.
    public static func object(_ values: [String: String]) -> String {
        var out = "{"
        for (i, key) in values.keys.sorted().enumerated() {
            if i > 0 { out += "," }
            out += quoted(key) + ":" + quoted(values[key]!)
        }
        return out + "}"
    }

    /// A JSON string literal.
    public static func quoted(_ text: String) -> String {
        // Nearly every value needs no escaping: one pass over the bytes decides.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) { return "\"" + text + "\"" }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
