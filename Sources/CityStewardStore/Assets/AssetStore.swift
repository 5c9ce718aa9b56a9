import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// A component as stored.
public struct AssetRow: Codable, Sendable, Equatable {
    public var id: UUID
    public var code: String
    public var name: String
    public var componentCode: String
    public var areaId: UUID
    public var areaPath: String
    public var lat: Double
    public var long: Double
    /// GeoJSON geometry text of a line or outline.
    public var outline: String?
    public var condition: String
    public var ownerDepartment: String?
    public var maintainer: String?
    public var installedOn: String?
    public var placeCode: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var updatedBy: UUID?

    enum CodingKeys: String, CodingKey {
        case id, code, name, lat, long, outline, condition
        case componentCode = "component_code", areaId = "area_id", areaPath = "area_path", ownerDepartment = "owner_department", maintainer
        case installedOn = "installed_on", placeCode = "place_code", createdAt = "created_at", updatedAt = "updated_at", updatedBy = "updated_by"
    }

    public var position: GeoPoint { GeoPoint(lat: lat, long: long) }
    public var conditionValue: AssetCondition { AssetCondition(rawValue: condition) ?? .good }

    init(id: UUID, terms t: AssetTerms, area: Area, by: UUID?, created: Date, at now: Date) {
        (self.id, code, name, componentCode, areaId, areaPath) = (id, t.code, t.name, t.componentCode, area.id, Area.encodePath(area.path))
        (lat, long, outline, condition) = (t.position.lat, t.position.long, t.outline?.geoJSON, t.condition.rawValue)
        (ownerDepartment, maintainer, installedOn, placeCode) = (t.ownerDepartment, t.maintainer, t.installedOn?.description, t.placeCode)
        (createdAt, updatedAt, updatedBy) = (created, now, by)
    }
}

/// A case filed about a component, as its history lists it.
public struct AssetCase: Sendable, Equatable {
    public var assetId: UUID
    public var caseId: UUID
    public var number: String
    public var categoryCode: String
    public var categoryName: String
    public var state: String
    public var reportedAt: Date
    public var closedAt: Date?
}

/// Filters of the register's list.
public struct AssetFilter: Sendable {
    /// Under this area's path.
    public var underPath: String?
    public var component: String?
    public var condition: String?
    /// Text in the code or name.
    public var text: String?
    /// Codes after this one (keyset paging by code).
    public var after: String?
    public var limit: Int

    public init(underPath: String? = nil, component: String? = nil, condition: String? = nil, text: String? = nil, after: String? = nil, limit: Int = 100) {
        (self.underPath, self.component, self.condition, self.text, self.after, self.limit) = (underPath, component, condition, text, after, limit)
    }
}

public struct AssetStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    public static let notFound = DomainError.notFound(zh: "没有这个部件", en: "no such asset")
    static let encoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)

    /// Narrows a query on `assets` to the scope; false when the scope holds nothing.
    func scoped(_ q: SQLSelectBuilder, _ scope: AssetScope) async throws -> Bool {
        switch scope {
        case .all: return true
        case .nothing: return false
        case .ownerDepartment(let code):
            q.where("owner_department", .equal, code)
            return true
        case .areas(let roots):
            return try await AreaSubtrees.narrow(q, roots: roots, on: sql)
        }
    }

    private func filtered(_ q: SQLSelectBuilder, _ scope: AssetScope, _ f: AssetFilter) async throws -> Bool {
        guard try await scoped(q, scope) else { return false }
        if let p = f.underPath { q.where("area_path", .greaterThanOrEqual, p).where("area_path", .lessThan, p + "\u{FFFF}") }
        if let c = f.component { q.where("component_code", .equal, c) }
        if let c = f.condition { q.where("condition", .equal, c) }
        if let t = f.text, !t.isEmpty {
            let pattern = "%" + t.replacingOccurrences(of: "\\", with: "").replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: "") + "%"
            q.where { $0.where("code", .like, pattern.uppercased()).orWhere("name", .like, pattern) }
        }
        return true
    }

    /// A page of the register in scope, by code.
    public func list(_ scope: AssetScope, _ f: AssetFilter) async throws -> [AssetRow] {
        let q = sql.select().column("*").from("assets")
        guard try await filtered(q, scope, f) else { return [] }
        if let after = f.after { q.where("code", .greaterThan, after) }
        return try await q.orderBy("code").limit(f.limit).all(decoding: AssetRow.self)
    }

    public func count(_ scope: AssetScope, _ f: AssetFilter) async throws -> Int {
        let q = sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("assets")
        guard try await filtered(q, scope, f) else { return 0 }
        return try await q.first()?.decode(column: "n", as: Int.self) ?? 0
    }

    public func find(_ id: UUID, _ scope: AssetScope) async throws -> AssetRow {
        let q = sql.select().column("*").from("assets").where("id", .equal, id)
        guard try await scoped(q, scope), let row = try await q.first(decoding: AssetRow.self) else { throw Self.notFound }
        return row
    }

    public func find(code: String) async throws -> AssetRow? {
        try await sql.select().column("*").from("assets").where("code", .equal, code).first(decoding: AssetRow.self)
    }

    /// The rows already registered under these codes (an import's updates).
    public func existing(codes: [String]) async throws -> [String: AssetRow] {
        var out: [String: AssetRow] = [:]
        for chunk in stride(from: 0, to: codes.count, by: 500).map({ Array(codes[$0..<min($0 + 500, codes.count)]) }) {
            for row in try await sql.select().column("*").from("assets").where("code", .in, chunk).all(decoding: AssetRow.self) { out[row.code] = row }
        }
        return out
    }

    /// Adds or replaces components (by id); the caller has checked them whole.
    public func save(_ rows: [AssetRow]) async throws {
        for row in rows {
            try await sql.delete(from: "assets").where("id", .equal, row.id).run()
        }
        for chunk in stride(from: 0, to: rows.count, by: 200).map({ Array(rows[$0..<min($0 + 200, rows.count)]) }) where !chunk.isEmpty {
            try await sql.insert(into: "assets").models(chunk, with: Self.encoder).run()
        }
    }

    public func make(_ terms: AssetTerms, area: Area, by: UUID?, at now: Date) -> AssetRow {
        AssetRow(id: UUID(), terms: terms, area: area, by: by, created: now, at: now)
    }

    public func changed(_ row: AssetRow, to terms: AssetTerms, area: Area, by: UUID?, at now: Date) -> AssetRow {
        AssetRow(id: row.id, terms: terms, area: area, by: by, created: row.createdAt, at: now)
    }

    public func setCondition(_ id: UUID, _ condition: AssetCondition, by: UUID?, at now: Date) async throws {
        try await sql.update("assets").set("condition", to: condition.rawValue).set("updated_at", to: now).set("updated_by", to: by).where("id", .equal, id).run()
    }

    // MARK: Cases about components

    /// Links a case to the component it is about; a case is about one component (a second link moves it).
    public func link(case caseID: UUID, to asset: UUID, by: UUID?, at now: Date) async throws {
        try await sql.delete(from: "asset_cases").where("case_id", .equal, caseID).run()
        try await sql.insert(into: "asset_cases").columns("asset_id", "case_id", "linked_at", "linked_by")
            .values(SQLBind(asset), SQLBind(caseID), SQLBind(now), SQLBind(by)).run()
    }

    public func asset(ofCase caseID: UUID) async throws -> UUID? {
        try await sql.select().column("asset_id").from("asset_cases").where("case_id", .equal, caseID).first()?.decode(column: "asset_id", as: UUID.self)
    }

    /// The cases filed about these components, oldest first.
    public func cases(assets: [UUID]) async throws -> [AssetCase] {
        guard !assets.isEmpty else { return [] }
        var out: [AssetCase] = []
        for chunk in stride(from: 0, to: assets.count, by: 500).map({ Array(assets[$0..<min($0 + 500, assets.count)]) }) {
            let rows = try await sql.select()
                .column(SQLColumn("asset_id", table: "l")).column(SQLColumn("id", table: "c")).column(SQLColumn("number", table: "c"))
                .column(SQLColumn("category_code", table: "c")).column(SQLColumn("category_name", table: "c")).column(SQLColumn("state", table: "c"))
                .column(SQLColumn("reported_at", table: "c")).column(SQLColumn("closed_at", table: "c"))
                .from(SQLAlias(SQLIdentifier("asset_cases"), as: SQLIdentifier("l")))
                .join(SQLAlias(SQLIdentifier("cases"), as: SQLIdentifier("c")), on: SQLColumn("id", table: "c"), .equal, SQLColumn("case_id", table: "l"))
                .where(SQLColumn("asset_id", table: "l"), .in, SQLBind.group(chunk)).all()
            for r in rows {
                out.append(AssetCase(assetId: try r.decode(column: "asset_id", as: UUID.self), caseId: try r.decode(column: "id", as: UUID.self),
                                     number: try r.decode(column: "number", as: String.self), categoryCode: try r.decode(column: "category_code", as: String.self),
                                     categoryName: try r.decode(column: "category_name", as: String.self), state: try r.decode(column: "state", as: String.self),
                                     reportedAt: try r.decode(column: "reported_at", as: Date.self), closedAt: try r.decode(column: "closed_at", as: Date?.self)))
            }
        }
        return out.sorted { $0.reportedAt < $1.reportedAt }
    }

    /// Per component class in scope: its members' failures, for MTBF and MTTR (class code → failures).
    public func failuresByClass(_ scope: AssetScope, reportedFrom: Date? = nil) async throws -> [String: [AssetReliability.Failure]] {
        let q = sql.select().column(SQLColumn("component_code", table: "a")).column(SQLColumn("id", table: "a"))
            .column(SQLColumn("reported_at", table: "c")).column(SQLColumn("closed_at", table: "c"))
            .from(SQLAlias(SQLIdentifier("asset_cases"), as: SQLIdentifier("l")))
            .join(SQLAlias(SQLIdentifier("assets"), as: SQLIdentifier("a")), on: SQLColumn("id", table: "a"), .equal, SQLColumn("asset_id", table: "l"))
            .join(SQLAlias(SQLIdentifier("cases"), as: SQLIdentifier("c")), on: SQLColumn("id", table: "c"), .equal, SQLColumn("case_id", table: "l"))
        switch scope {
        case .all: break
        case .nothing: return [:]
        case .ownerDepartment(let code): q.where(SQLColumn("owner_department", table: "a"), .equal, SQLBind(code))
        case .areas(let roots):
            guard try await AreaSubtrees.narrow(q, column: SQLColumn("area_path", table: "a"), roots: roots, on: sql) else { return [:] }
        }
        if let reportedFrom { q.where(SQLColumn("reported_at", table: "c"), .greaterThanOrEqual, SQLBind(reportedFrom)) }
        var out: [String: [AssetReliability.Failure]] = [:]
        for r in try await q.all() {
            out[try r.decode(column: "component_code", as: String.self), default: []].append(
                AssetReliability.Failure(asset: try r.decode(column: "id", as: UUID.self), reportedAt: try r.decode(column: "reported_at", as: Date.self),
                                         closedAt: try r.decode(column: "closed_at", as: Date?.self)))
        }
        return out
    }

    /// How many components of each class are registered in scope.
    public func classCounts(_ scope: AssetScope) async throws -> [String: Int] {
        let q = sql.select().column("component_code").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("assets")
        guard try await scoped(q, scope) else { return [:] }
        var out: [String: Int] = [:]
        for r in try await q.groupBy("component_code").all() { out[try r.decode(column: "component_code", as: String.self)] = try r.decode(column: "n", as: Int.self) }
        return out
    }
}
