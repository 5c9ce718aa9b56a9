import CityStewardCore
import Foundation
import SQLKit
import FluentKit

/// Public facilities (places with their own QR code). Lists are scoped like areas: by the area paths in scope.
public struct FacilityStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    struct Row: Codable {
        var id: UUID
        var code: String
        var name: String
        var nameEn: String?
        var componentCode: String
        var areaId: UUID
        var areaPath: String
        var streetId: UUID?
        var lat: Double
        var long: Double

        enum CodingKeys: String, CodingKey {
            case id, code, name, lat, long
            case nameEn = "name_en", componentCode = "component_code", areaId = "area_id", areaPath = "area_path", streetId = "street_id"
        }

        var facility: Facility {
            Facility(id: id, code: code, name: name, nameEn: nameEn, componentCode: componentCode, areaID: areaId,
                     position: GeoPoint(lat: lat, long: long))
        }
    }

    static let encoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)

    /// Adds facilities standing in `area` (a grid or deeper); codes are checked against the area's code.
    public func add(_ facilities: [Facility], in area: Area) async throws {
        for f in facilities {
            if let problem = Facility.validate(code: f.code, gridCode: area.code) { throw DomainError.invalid(field: "code", problem) }
        }
        let rows = facilities.map {
            Row(id: $0.id, code: $0.code, name: $0.name, nameEn: $0.nameEn, componentCode: $0.componentCode, areaId: area.id,
                areaPath: Area.encodePath(area.path), streetId: area.streetID, lat: $0.position.lat, long: $0.position.long)
        }
        guard !rows.isEmpty else { return }
        try await sql.insert(into: "facilities").models(rows, with: Self.encoder).run()
    }

    public func all() async throws -> [Facility] {
        try await sql.select().column("*").from("facilities").orderBy("code").all(decoding: Row.self).map(\.facility)
    }

    /// Facilities located under `area` (its subtree), ordered by code.
    public func under(_ area: Area) async throws -> [Facility] {
        let prefix = Area.encodePath(area.path)
        // A range on the path index: every path that starts with the prefix sorts between it and prefix + U+FFFF.
        return try await sql.select().column("*").from("facilities")
            .where("area_path", .greaterThanOrEqual, prefix).where("area_path", .lessThan, prefix + "\u{FFFF}")
            .orderBy("code").all(decoding: Row.self).map(\.facility)
    }
}
