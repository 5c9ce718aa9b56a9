import CityStewardCore
import Foundation
import Vapor
import ZIPFoundation

/// Zips a workbook's SpreadsheetML parts into an .xlsx (deflated, in memory).
enum XLSX {
    static let contentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    static func data(_ wb: Workbook) throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create)
        for part in SpreadsheetML.parts(wb) {
            let bytes = Data(part.content.utf8)
            try archive.addEntry(with: part.path, type: .file, uncompressedSize: Int64(bytes.count), modificationDate: Date(timeIntervalSince1970: 1_767_196_800),
                                 compressionMethod: .deflate) { position, size in
                bytes.subdata(in: Int(position)..<min(bytes.count, Int(position) + size))
            }
        }
        guard let data = archive.data else { throw Abort(.internalServerError, reason: "the workbook could not be written") }
        return data
    }

    static func response(_ wb: Workbook, filename: String) throws -> Response {
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: contentType)
        headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(filename)\"")
        headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return Response(status: .ok, headers: headers, body: .init(data: try data(wb)))
    }
}
