import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// A house as stored.
public struct HouseRow: Codable, Sendable, Equatable {
    public var id: UUID
    public var buildingId: UUID
    public var buildingCode: String
    public var streetId: UUID?
    public var areaPath: String
    public var unit: String
    public var addressCode: String?
    public var use: String
    public var rooms: Int?
    public var floorArea: Double?
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, unit, use, rooms
        case buildingId = "building_id", buildingCode = "building_code", streetId = "street_id", areaPath = "area_path", addressCode = "address_code"
        case floorArea = "floor_area", createdAt = "created_at", updatedAt = "updated_at"
    }

    public var terms: HouseTerms {
        HouseTerms(building: buildingCode, unit: unit, addressCode: addressCode, use: HouseUse(rawValue: use) ?? .residential, rooms: rooms, floorArea: floorArea)
    }
}

public struct HouseStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    public static let notFound = DomainError.notFound(zh: "没有这套房屋", en: "no such house")
    static let encoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)

    public func create(_ t: HouseTerms, in building: Area, at now: Date) async throws -> HouseRow {
        let row = HouseRow(id: UUID(), buildingId: building.id, buildingCode: building.code, streetId: building.streetID, areaPath: Area.encodePath(building.path),
                           unit: t.unit, addressCode: t.addressCode, use: t.use.rawValue, rooms: t.rooms, floorArea: t.floorArea, createdAt: now, updatedAt: now)
        try await sql.insert(into: "houses").model(row, with: Self.encoder).run()
        return row
    }

    /// The house's own terms as changed (its building and door stay: they say which house it is).
    public func update(_ row: HouseRow, to t: HouseTerms, at now: Date) async throws -> HouseRow {
        try await sql.update("houses").set("address_code", to: t.addressCode).set("use", to: t.use.rawValue).set("rooms", to: t.rooms)
            .set("floor_area", to: t.floorArea).set("updated_at", to: now).where("id", .equal, row.id).run()
        var changed = row
        (changed.addressCode, changed.use, changed.rooms, changed.floorArea, changed.updatedAt) = (t.addressCode, t.use.rawValue, t.rooms, t.floorArea, now)
        return changed
    }

    public func exists(buildingCode: String, unit: String) async throws -> Bool {
        try await sql.select().column("id").from("houses").where("building_code", .equal, buildingCode).where("unit", .equal, unit).first() != nil
    }

    /// One house, if it lies in the scope; anything else answers as missing.
    public func find(_ id: UUID, scope: AreaScope) async throws -> HouseRow {
        guard let row = try await sql.select().column("*").from("houses").where("id", .equal, id).first(decoding: HouseRow.self),
              scope.includes(path: Area.decodePath(row.areaPath)) else { throw Self.notFound }
        return row
    }

    /// The houses of one building, by door.
    public func list(buildingCode: String) async throws -> [HouseRow] {
        try await sql.select().column("*").from("houses").where("building_code", .equal, buildingCode).orderBy("unit").all(decoding: HouseRow.self)
    }
}
