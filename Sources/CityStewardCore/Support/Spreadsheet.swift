import Foundation

/// A workbook to export (issue 6 §4): sheets of rows of cells. `SpreadsheetML` writes the parts of an .xlsx
/// (Office Open XML); the App zips them. Money cells hold yuan with two decimals and a `#,##0.00` format, so a
/// finance officer sees and sums real numbers, not text.
public struct Workbook: Sendable, Equatable {
    public enum Cell: Sendable, Equatable {
        case text(String)
        case integer(Int)
        case money(fen: Int)
        case empty
    }

    public struct Sheet: Sendable, Equatable {
        public var name: String
        public var rows: [[Cell]]

        public init(name: String, rows: [[Cell]]) {
            self.name = name
            self.rows = rows
        }
    }

    public var sheets: [Sheet]

    public init(sheets: [Sheet]) {
        self.sheets = sheets
    }

    /// The same content as CSV (the first sheet), money as `1234.56`.
    public func csv() -> String {
        guard let sheet = sheets.first else { return CSV.byteOrderMark }
        return CSV.byteOrderMark + sheet.rows.map { row in
            CSV.line(row.map { cell in
                switch cell {
                case .text(let s): s
                case .integer(let n): String(n)
                case .money(let fen): Money.decimal(fen)
                case .empty: ""
                }
            })
        }.joined()
    }
}

public enum SpreadsheetML {
    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            // XML 1.0 forbids most control characters.
            case _ where ch.value < 0x20 && ch != "\n" && ch != "\t" && ch != "\r": continue
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// `0` → `A`, `27` → `AB`.
    public static func column(_ index: Int) -> String {
        var n = index + 1, out = ""
        while n > 0 {
            let r = (n - 1) % 26
            out = String(UnicodeScalar(UInt8(65 + r))) + out
            n = (n - 1) / 26
        }
        return out
    }

    /// Sheet names: at most 31 characters, none of `[]:*?/\`, unique.
    static func sheetNames(_ wb: Workbook) -> [String] {
        var used = Set<String>()
        return wb.sheets.enumerated().map { i, s in
            var name = String(s.name.filter { !"[]:*?/\\".contains($0) }.prefix(31))
            if name.isEmpty { name = "Sheet\(i + 1)" }
            while !used.insert(name).inserted { name = String(name.prefix(28)) + "\(i + 1)" }
            return name
        }
    }

    /// Path → content of every part of the package.
    public static func parts(_ wb: Workbook) -> [(path: String, content: String)] {
        let header = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
        let names = sheetNames(wb)
        var parts: [(String, String)] = []
        parts.append(("[Content_Types].xml", header + #"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#
            + #"<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>"#
            + #"<Default Extension="xml" ContentType="application/xml"/>"#
            + #"<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#
            + #"<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#
            + wb.sheets.indices.map { #"<Override PartName="/xl/worksheets/sheet\#($0 + 1).xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"# }.joined()
            + "</Types>"))
        parts.append(("_rels/.rels", header + #"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#
            + #"<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>"#
            + "</Relationships>"))
        parts.append(("xl/workbook.xml", header + #"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#
            + names.enumerated().map { #"<sheet name="\#(escape($1))" sheetId="\#($0 + 1)" r:id="rId\#($0 + 1)"/>"# }.joined()
            + "</sheets></workbook>"))
        parts.append(("xl/_rels/workbook.xml.rels", header + #"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#
            + wb.sheets.indices.map { #"<Relationship Id="rId\#($0 + 1)" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet\#($0 + 1).xml"/>"# }.joined()
            + #"<Relationship Id="rId\#(wb.sheets.count + 1)" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>"#
            + "</Relationships>"))
        // Style 0: default; 1: money (#,##0.00); 2: bold (the header row).
        parts.append(("xl/styles.xml", header + #"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#
            + ##"<numFmts count="1"><numFmt numFmtId="164" formatCode="#,##0.00"/></numFmts>"##
            + #"<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>"#
            + #"<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>"#
            + #"<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"#
            + #"<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>"#
            + #"<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>"#
            + "</styleSheet>"))
        for (i, sheet) in wb.sheets.enumerated() {
            var xml = header + #"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#
            for (r, row) in sheet.rows.enumerated() {
                xml += #"<row r="\#(r + 1)">"#
                for (c, cell) in row.enumerated() {
                    let ref = column(c) + String(r + 1)
                    switch cell {
                    case .text(let s):
                        xml += #"<c r="\#(ref)" t="inlineStr"\#(r == 0 ? #" s="2""# : "")><is><t xml:space="preserve">\#(escape(s))</t></is></c>"#
                    case .integer(let n): xml += #"<c r="\#(ref)"><v>\#(n)</v></c>"#
                    case .money(let fen):
                        xml += #"<c r="\#(ref)" s="1"><v>\#(Money.decimal(fen))</v></c>"#
                    case .empty: continue
                    }
                }
                xml += "</row>"
            }
            xml += "</sheetData></worksheet>"
            parts.append(("xl/worksheets/sheet\(i + 1).xml", xml))
        }
        return parts
    }
}
