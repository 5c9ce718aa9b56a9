import Foundation

/// Writing CSV (RFC 4180) that spreadsheet programs open correctly: fields with a comma, quote or line break are
/// quoted, lines end in CRLF, and the file starts with a UTF-8 byte-order mark so Excel reads Chinese as UTF-8.
/// A field starting with `=`, `+`, `-` or `@` gets a leading apostrophe so a spreadsheet never runs it as a
/// formula (CSV injection); plain numbers are left alone.
public enum CSV {
    public static let byteOrderMark = "\u{FEFF}"

    public static func field(_ value: String) -> String {
        var v = value
        if let first = v.first, "=+-@".contains(first), Double(v) == nil { v = "'" + v }
        if v.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return v
    }

    public static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    public static func document(header: [String], rows: [[String]]) -> String {
        byteOrderMark + line(header) + rows.map(line).joined()
    }
}
