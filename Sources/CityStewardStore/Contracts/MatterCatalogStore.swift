import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// The entrustable-matter catalog as stored: `matters` (the terms in force) with `matter_prices` (unit and benchmark),
/// every version in `matter_versions`, and each street office's list in `street_matter_lists`.
public struct MatterCatalogStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    public static let notFound = DomainError.notFound(zh: "可委托事项清单中没有这个事项", en: "the catalog has no such matter")

    struct Row: Codable {
        var code: String
        var name: String
        var nameEn: String
        var domain: String
        var ownerDepartment: String?
        var timeLimitHours: Int?
        var beyondAuthority: Bool
        var version: Int
        var createdAt: Date
        var unit: String?
        var benchmarkFen: Int?
    }

    static func terms(_ r: Row) -> MatterTerms {
        MatterTerms(code: r.code, name: r.name, nameEn: r.nameEn, domain: ServiceDomain(rawValue: r.domain) ?? .entrusted, ownerDepartment: r.ownerDepartment,
                    unit: r.unit ?? "", benchmarkFen: r.benchmarkFen ?? 0, timeLimitHours: r.timeLimitHours, beyondAuthority: r.beyondAuthority)
    }

    func rows(code: String? = nil) async throws -> [Row] {
        let q = sql.select()
            .columns(SQLColumn("code", table: "m"), SQLColumn("name", table: "m"), SQLColumn("name_en", table: "m"), SQLColumn("domain", table: "m"),
                     SQLColumn("owner_department", table: "m"), SQLColumn("time_limit_hours", table: "m"), SQLColumn("beyond_authority", table: "m"),
                     SQLColumn("version", table: "m"), SQLColumn("created_at", table: "m"), SQLColumn("unit", table: "p"), SQLColumn("benchmark_fen", table: "p"))
            .from(SQLAlias(SQLIdentifier("matters"), as: SQLIdentifier("m")))
            .join(SQLAlias(SQLIdentifier("matter_prices"), as: SQLIdentifier("p")), method: SQLJoinMethod.left,
                  on: SQLColumn("matter_code", table: "p"), .equal, SQLColumn("code", table: "m"))
        if let code { q.where(SQLColumn("code", table: "m"), .equal, SQLBind(code)) }
        return try await q.orderBy(SQLColumn("code", table: "m")).all(decoding: Row.self, with: SQLRowDecoder(keyDecodingStrategy: .convertFromSnakeCase))
    }

    /// Every matter with its terms in force, by code.
    public func catalog() async throws -> [MatterTerms] {
        try await rows().map(Self.terms)
    }

    public func find(_ code: String) async throws -> (terms: MatterTerms, version: Int)? {
        try await rows(code: code).first.map { (Self.terms($0), $0.version) }
    }

    static func encode(_ t: MatterTerms) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return String(decoding: try e.encode(t), as: UTF8.self)
    }

    /// A new matter, version 1.
    public func create(_ t: MatterTerms, by: String, at now: Date, note: String?) async throws {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            try await sql.insert(into: "matters")
                .columns("id", "code", "name", "name_en", "domain", "owner_department", "created_at", "time_limit_hours", "beyond_authority", "version")
                .values(SQLBind(UUID()), SQLBind(t.code), SQLBind(t.name), SQLBind(t.nameEn), SQLBind(t.domain.rawValue), SQLBind(t.ownerDepartment),
                        SQLBind(now), SQLBind(t.timeLimitHours), SQLBind(t.beyondAuthority), SQLBind(1)).run()
            try await Self.price(t, by: by, at: now, sql)
            try await Self.version(t, 1, by: by, at: now, note: note, sql)
        }
    }

    /// The terms as changed, a new version (the old ones stay). Returns the new version.
    public func update(_ t: MatterTerms, by: String, at now: Date, note: String?) async throws -> Int {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            guard let last = try await sql.select().column("version").from("matters").where("code", .equal, t.code).first(decodingColumn: "version", as: Int.self) else {
                throw Self.notFound
            }
            // The versions the catalog shipped with were never written: keep the one being replaced before it goes.
            if try await sql.select().column("version").from("matter_versions").where("matter_code", .equal, t.code).first() == nil,
               let old = try await MatterCatalogStore(db: tx).find(t.code) {
                try await Self.version(old.terms, last, by: "—", at: now, note: nil, sql)
            }
            try await sql.update("matters").set("name", to: t.name).set("name_en", to: t.nameEn).set("domain", to: t.domain.rawValue)
                .set("owner_department", to: t.ownerDepartment).set("time_limit_hours", to: t.timeLimitHours).set("beyond_authority", to: t.beyondAuthority)
                .set("version", to: last + 1).where("code", .equal, t.code).run()
            try await Self.price(t, by: by, at: now, sql)
            try await Self.version(t, last + 1, by: by, at: now, note: note, sql)
            return last + 1
        }
    }

    static func price(_ t: MatterTerms, by: String, at now: Date, _ sql: any SQLDatabase) async throws {
        try await sql.delete(from: "matter_prices").where("matter_code", .equal, t.code).run()
        try await sql.insert(into: "matter_prices").columns("matter_code", "unit", "benchmark_fen", "changed_by", "changed_at")
            .values(SQLBind(t.code), SQLBind(t.unit), SQLBind(t.benchmarkFen), SQLBind(by), SQLBind(now)).run()
    }

    static func version(_ t: MatterTerms, _ version: Int, by: String, at now: Date, note: String?, _ sql: any SQLDatabase) async throws {
        try await sql.insert(into: "matter_versions").columns("matter_code", "version", "terms", "changed_by", "changed_at", "note")
            .values(SQLBind(t.code), SQLBind(version), SQLBind(try encode(t)), SQLBind(by), SQLBind(now), SQLBind(note)).run()
    }

    /// Every version of a matter, newest first. A matter never edited since the catalog shipped has one, its terms now.
    public func versions(_ code: String) async throws -> [MatterVersion] {
        let versionRows = try await sql.select().columns("version", "terms", "changed_by", "changed_at", "note").from("matter_versions")
            .where("matter_code", .equal, code).orderBy("version", .descending).all()
        let stored = try versionRows.map { r in
            MatterVersion(terms: try JSONDecoder().decode(MatterTerms.self, from: Data(try r.decode(column: "terms", as: String.self).utf8)),
                          version: try r.decode(column: "version", as: Int.self), changedBy: try r.decode(column: "changed_by", as: String.self),
                          changedAt: try r.decode(column: "changed_at", as: Date.self), note: try r.decode(column: "note", as: String?.self))
        }
        if !stored.isEmpty { return stored }
        guard let row = try await rows(code: code).first else { return [] }
        return [MatterVersion(terms: Self.terms(row), version: row.version, changedBy: "—", changedAt: row.createdAt, note: nil)]
    }

    // MARK: Street lists

    func list(_ r: any SQLRow) throws -> StreetMatterList {
        StreetMatterList(streetID: try r.decode(column: "street_id", as: UUID.self),
                         matters: try r.decode(column: "matters", as: String.self).split(separator: ",").map(String.init),
                         version: try r.decode(column: "version", as: Int.self), changedBy: try r.decode(column: "changed_by", as: String.self),
                         changedAt: try r.decode(column: "changed_at", as: Date.self), note: try r.decode(column: "note", as: String?.self))
    }

    /// Every version of a street's list, newest first.
    public func streetListHistory(_ streetID: UUID) async throws -> [StreetMatterList] {
        try await sql.select().column("*").from("street_matter_lists").where("street_id", .equal, streetID).orderBy("version", .descending).all().map(list)
    }

    /// The list in force of every street that has one.
    public func streetLists() async throws -> [UUID: StreetMatterList] {
        var out: [UUID: StreetMatterList] = [:]
        for r in try await sql.select().column("*").from("street_matter_lists").orderBy("version").all() {
            let l = try list(r)
            out[l.streetID] = l
        }
        return out
    }

    /// A new version of a street's list.
    public func setStreetList(_ streetID: UUID, matters: [String], by: String, at now: Date, note: String?) async throws -> StreetMatterList {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            let last = try await sql.select().column(SQLFunction("MAX", args: SQLColumn("version")), as: "v").from("street_matter_lists")
                .where("street_id", .equal, streetID).first(decodingColumn: "v", as: Int?.self) ?? nil
            let made = StreetMatterList(streetID: streetID, matters: matters, version: (last ?? 0) + 1, changedBy: by, changedAt: now, note: note)
            try await sql.insert(into: "street_matter_lists").columns("street_id", "version", "matters", "changed_by", "changed_at", "note")
                .values(SQLBind(streetID), SQLBind(made.version), SQLBind(matters.joined(separator: ",")), SQLBind(by), SQLBind(now), SQLBind(note)).run()
            return made
        }
    }
}
