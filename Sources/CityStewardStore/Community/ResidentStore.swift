import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// A resident as stored: personal fields sealed, with masked forms for lists.
public struct ResidentRow: Codable, Sendable, Equatable {
    public var id: UUID
    public var areaId: UUID
    public var areaPath: String
    public var streetId: UUID?
    public var buildingCode: String
    public var unit: String
    public var role: String
    public var nameSealed: String
    public var nameMasked: String
    public var idSealed: String
    public var idMasked: String
    public var idIndex: String
    public var phoneSealed: String?
    public var phoneMasked: String?
    public var phoneIndex: String?
    public var birthYear: Int
    public var male: Bool
    public var moveIn: String
    public var moveOut: String?
    public var keyVersion: String
    public var createdAt: Date
    /// Relation to the head of the household (`HouseholdRelation`), when recorded.
    public var relation: String?
    /// How the person lives here (`ResidenceStatus`), when recorded.
    public var residence: String?

    enum CodingKeys: String, CodingKey {
        case id, unit, role, male, relation, residence
        case areaId = "area_id", areaPath = "area_path", streetId = "street_id", buildingCode = "building_code"
        case nameSealed = "name_sealed", nameMasked = "name_masked", idSealed = "id_sealed", idMasked = "id_masked", idIndex = "id_index"
        case phoneSealed = "phone_sealed", phoneMasked = "phone_masked", phoneIndex = "phone_index", birthYear = "birth_year"
        case moveIn = "move_in", moveOut = "move_out", keyVersion = "key_version", createdAt = "created_at"
    }

    public func sealed(_ field: PersonalField) -> String? {
        switch field {
        case .name: nameSealed
        case .idNumber: idSealed
        case .phone: phoneSealed
        }
    }

    public func masked(_ field: PersonalField) -> String? {
        switch field {
        case .name: nameMasked
        case .idNumber: idMasked
        case .phone: phoneMasked
        }
    }
}

public struct ResidentStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    public static let notFound = DomainError.notFound(zh: "找不到该居民", en: "resident not found")
    static let encoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)

    /// Seals one resident for storing in `building`.
    public static func row(_ r: ValidResident, in building: Area, cipher: FieldCipher, now: Date) throws -> ResidentRow {
        let phone = r.phone
        return ResidentRow(
            id: UUID(), areaId: building.id, areaPath: Area.encodePath(building.path), streetId: building.streetID, buildingCode: building.code,
            unit: r.unit, role: r.role.rawValue, nameSealed: try cipher.seal(r.name), nameMasked: Masking.name(r.name),
            idSealed: try cipher.seal(r.idNumber.value), idMasked: Masking.identityNumber(r.idNumber.value), idIndex: cipher.blindIndex(r.idNumber.value),
            phoneSealed: try phone.map { try cipher.seal($0.sealedForm) }, phoneMasked: phone?.masked, phoneIndex: phone.map { cipher.blindIndex($0.e164) },
            birthYear: r.idNumber.birthDate.year, male: r.idNumber.isMale, moveIn: r.moveIn.description, moveOut: r.moveOut?.description,
            keyVersion: cipher.keyVersion, createdAt: now, relation: nil, residence: nil)
    }

    /// Writes all rows or none. An ID number already registered is refused (unique blind index).
    public func insert(_ rows: [ResidentRow]) async throws {
        guard !rows.isEmpty else { return }
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            for chunk in stride(from: 0, to: rows.count, by: 200) {
                try await sql.insert(into: "residents").models(Array(rows[chunk..<min(rows.count, chunk + 200)]), with: Self.encoder).run()
            }
        }
    }

    /// Which of these ID-number indexes are registered already.
    public func existing(idIndexes: [String]) async throws -> Set<String> {
        guard !idIndexes.isEmpty else { return [] }
        var found = Set<String>()
        for chunk in stride(from: 0, to: idIndexes.count, by: 500) {
            let part = Array(idIndexes[chunk..<min(idIndexes.count, chunk + 500)])
            for row in try await sql.select().column("id_index").from("residents").where("id_index", .in, part).all() {
                found.insert(try row.decode(column: "id_index", as: String.self))
            }
        }
        return found
    }

    /// Limits a query to residents under the scope's areas (ranges on the path index).
    func scoped(_ q: SQLSelectBuilder, _ scope: AreaScope) async throws -> Bool {
        switch scope {
        case .everything: return true
        case .subtrees(let roots):
            guard !roots.isEmpty else { return false }
            let paths = try await sql.select().column("path").from("areas").where("id", .in, roots).all().map { try $0.decode(column: "path", as: String.self) }
            guard !paths.isEmpty else { return false }
            q.where { group in
                for p in paths { group.orWhere { $0.where("area_path", .greaterThanOrEqual, p).where("area_path", .lessThan, p + "\u{FFFF}") } }
                return group
            }
            return true
        }
    }

    /// Exact search by blind index: give the value's index under every key of the ring (`blindIndexes`), so rows not
    /// yet re-sealed by a rotation are found too.
    public struct Filter: Sendable {
        public var phoneIndexes: [String]?
        public var idIndexes: [String]?
        public var underPath: String?

        public init(phoneIndexes: [String]? = nil, idIndexes: [String]? = nil, underPath: String? = nil) {
            self.phoneIndexes = phoneIndexes
            self.idIndexes = idIndexes
            self.underPath = underPath
        }
    }

    public func list(scope: AreaScope, filter: Filter = Filter(), limit: Int = 50, offset: Int = 0) async throws -> (rows: [ResidentRow], total: Int) {
        func apply(_ q: SQLSelectBuilder) async throws -> Bool {
            guard try await scoped(q, scope) else { return false }
            if let p = filter.phoneIndexes { q.where("phone_index", .in, p) }
            if let i = filter.idIndexes { q.where("id_index", .in, i) }
            if let path = filter.underPath { q.where("area_path", .greaterThanOrEqual, path).where("area_path", .lessThan, path + "\u{FFFF}") }
            return true
        }
        let q = sql.select().column("*").from("residents")
        guard try await apply(q) else { return ([], 0) }
        let rows = try await q.orderBy("building_code").orderBy("unit").orderBy("id").limit(limit).offset(offset).all(decoding: ResidentRow.self)
        let c = sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("residents")
        _ = try await apply(c)
        return (rows, try await c.first(decodingColumn: "n", as: Int.self) ?? 0)
    }

    public func find(_ id: UUID, scope: AreaScope) async throws -> ResidentRow {
        let q = sql.select().column("*").from("residents").where("id", .equal, id)
        guard try await scoped(q, scope), let row = try await q.first(decoding: ResidentRow.self) else { throw Self.notFound }
        return row
    }

    /// The residents registered at one door of a building, those living there first, then those who moved out.
    public func occupants(buildingCode: String, unit: String) async throws -> [ResidentRow] {
        try await sql.select().column("*").from("residents").where("building_code", .equal, buildingCode).where("unit", .equal, unit)
            .orderBy("move_in").all(decoding: ResidentRow.self)
            .sorted { ($0.moveOut == nil ? 0 : 1, $0.moveIn) < ($1.moveOut == nil ? 0 : 1, $1.moveIn) }
    }

    /// Writes a resident's changed fields (the row as it should be now).
    public func update(_ row: ResidentRow) async throws {
        try await sql.update("residents").set("phone_sealed", to: row.phoneSealed).set("phone_masked", to: row.phoneMasked).set("phone_index", to: row.phoneIndex)
            .set("role", to: row.role).set("relation", to: row.relation).set("residence", to: row.residence).set("unit", to: row.unit)
            .set("building_code", to: row.buildingCode).set("area_id", to: row.areaId).set("area_path", to: row.areaPath).set("street_id", to: row.streetId)
            .set("move_in", to: row.moveIn).set("move_out", to: row.moveOut).where("id", .equal, row.id).run()
    }

    /// The registered residents whose ID-number index is one of these, by index.
    public func rows(idIndexes: [String]) async throws -> [String: ResidentRow] {
        var out: [String: ResidentRow] = [:]
        for chunk in stride(from: 0, to: idIndexes.count, by: 500) {
            let part = Array(idIndexes[chunk..<min(idIndexes.count, chunk + 500)])
            for row in try await sql.select().column("*").from("residents").where("id_index", .in, part).all(decoding: ResidentRow.self) { out[row.idIndex] = row }
        }
        return out
    }

    public func count() async throws -> Int {
        try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("residents").first(decodingColumn: "n", as: Int.self) ?? 0
    }
}
