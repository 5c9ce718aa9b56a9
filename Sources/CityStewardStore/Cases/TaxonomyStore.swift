import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// One stored version of a category (table `categories`).
struct CategoryRow: Codable, Sendable {
    var id: UUID
    var code: String
    var kind: String
    var version: Int
    var isCurrent: Bool
    var name: String
    var nameEn: String
    var majorCode: String
    var majorName: String
    var majorNameEn: String
    var groupCode: String
    var matterCode: String?
    var ownerDepartment: String?
    var beyondAuthority: Bool
    var limits: String
    var legacyCodes: String
    var handlingNote: Bool
    var handlingAfterPhoto: Bool
    var editedBy: UUID?
    var note: String?
    var createdAt: Date

    init(_ c: CaseCategory, version: Int, editedBy: UUID?, note: String?, at: Date) throws {
        id = UUID()
        code = c.code
        kind = c.kind.rawValue
        self.version = version
        isCurrent = true
        name = c.name
        nameEn = c.nameEn
        majorCode = c.majorCode
        majorName = c.majorName
        majorNameEn = c.majorNameEn
        groupCode = c.group.rawValue
        matterCode = c.matter
        ownerDepartment = c.ownerDepartment
        beyondAuthority = c.beyondStewardAuthority
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        limits = String(decoding: try encoder.encode(Dictionary(uniqueKeysWithValues: c.limits.map { ($0.key.rawValue, $0.value) })), as: UTF8.self)
        legacyCodes = String(decoding: try encoder.encode(c.legacyCodes), as: UTF8.self)
        handlingNote = c.handlingEvidence.note
        handlingAfterPhoto = c.handlingEvidence.afterPhoto
        self.editedBy = editedBy
        self.note = note
        createdAt = at
    }

    func category() throws -> CaseCategory {
        let decoder = JSONDecoder()
        let raw = try decoder.decode([String: TimeLimit].self, from: Data(limits.utf8))
        var limits: [Urgency: TimeLimit] = [:]
        for (k, v) in raw { if let u = Urgency(rawValue: k) { limits[u] = v } }
        return CaseCategory(code: code, kind: CategoryKind(rawValue: kind) ?? .event, name: name, nameEn: nameEn, majorCode: majorCode,
                            majorName: majorName, majorNameEn: majorNameEn, limits: limits, beyondStewardAuthority: beyondAuthority,
                            ownerDepartment: ownerDepartment, matter: matterCode, group: CategoryGroup(rawValue: groupCode) ?? .other,
                            legacyCodes: (try? decoder.decode([String].self, from: Data(legacyCodes.utf8))) ?? [],
                            handlingEvidence: HandlingEvidence(note: handlingNote, afterPhoto: handlingAfterPhoto))
    }
}

/// A version of a category as the history view shows it.
public struct CategoryVersion: Sendable {
    public var category: CaseCategory
    public var version: Int
    public var isCurrent: Bool
    public var editedBy: UUID?
    public var note: String?
    public var createdAt: Date
}

struct MatterRow: Codable, Sendable {
    var id: UUID
    var code: String
    var name: String
    var nameEn: String
    var domain: String
    var ownerDepartment: String?
    var createdAt: Date
    var timeLimitHours: Int?
    var beyondAuthority: Bool = false
    var version: Int = 1
}

struct EntrustedMatterRow: Codable, Sendable {
    var id: UUID
    var matterCode: String
    var areaId: UUID
    var stewardId: UUID
    var validFrom: Date
    var validTo: Date?
    var contractReference: String
    var createdAt: Date
    /// Working hours agreed in the contract for the matter (nil: the category's limits).
    var timeLimitHours: Int?
}

/// The category taxonomy, the matter catalog and the entrusted matters, as stored.
public struct TaxonomyStore: Sendable {
    let db: any Database

    public init(db: any Database) {
        self.db = db
    }

    var sql: any SQLDatabase { db as! any SQLDatabase }

    /// Loads the shipped taxonomy into an empty database (version 1 of every category). Returns false if already there.
    @discardableResult
    public func seed(_ taxonomy: Taxonomy, at now: Date) async throws -> Bool {
        let existing = try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("categories")
            .first(decodingColumn: "n", as: Int.self) ?? 0
        guard existing == 0 else { return false }
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            let rows = try taxonomy.categories.map { try CategoryRow($0, version: 1, editedBy: nil, note: nil, at: now) }
            for chunk in stride(from: 0, to: rows.count, by: 100) {
                try await sql.insert(into: "categories").models(Array(rows[chunk..<min(rows.count, chunk + 100)]), with: CaseStore.encoder).run()
            }
            let matters = taxonomy.matters.map {
                MatterRow(id: UUID(), code: $0.code, name: $0.name, nameEn: $0.nameEn, domain: $0.domain.rawValue,
                          ownerDepartment: $0.ownerDepartment, createdAt: now, timeLimitHours: $0.timeLimitHours, beyondAuthority: $0.beyondAuthority)
            }
            if !matters.isEmpty { try await sql.insert(into: "matters").models(matters, with: CaseStore.encoder).run() }
        }
        return true
    }

    /// The taxonomy in force: the current version of each category, the matter catalog; device mappings come from
    /// the shipped file.
    public func current(deviceEvents: [DeviceEventMapping]) async throws -> Taxonomy {
        let rows = try await sql.select().column("*").from("categories").where("is_current", .equal, true).orderBy("kind").orderBy("code")
            .all(decoding: CategoryRow.self, with: CaseStore.decoder)
        let categories = try rows.map { try $0.category() }
        var versions: [String: Int] = [:]
        for r in rows where r.kind == CategoryKind.event.rawValue { versions[r.code] = r.version }
        let matterRows = try await sql.select().column("*").from("matters").orderBy("code").all(decoding: MatterRow.self, with: CaseStore.decoder)
        let matters = matterRows.map { m in
            Matter(code: m.code, name: m.name, nameEn: m.nameEn, domain: ServiceDomain(rawValue: m.domain) ?? .entrusted,
                   ownerDepartment: m.ownerDepartment, categories: categories.filter { $0.kind == .event && $0.matter == m.code }.map(\.code),
                   timeLimitHours: m.timeLimitHours, beyondAuthority: m.beyondAuthority)
        }
        return Taxonomy(categories: categories, matters: matters, deviceEvents: deviceEvents, versions: versions)
    }

    /// Every version of one category, newest first.
    public func history(kind: CategoryKind, code: String) async throws -> [CategoryVersion] {
        try await sql.select().column("*").from("categories").where("kind", .equal, kind.rawValue).where("code", .equal, code)
            .orderBy("version", .descending).all(decoding: CategoryRow.self, with: CaseStore.decoder)
            .map { CategoryVersion(category: try $0.category(), version: $0.version, isCurrent: $0.isCurrent, editedBy: $0.editedBy,
                                   note: $0.note, createdAt: $0.createdAt) }
    }

    /// Saves an edit as a new version (the old one stays, for the cases filed under it). Returns the new version.
    public func save(_ category: CaseCategory, editedBy: UUID, note: String?, at now: Date) async throws -> Int {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            let last = try await sql.select().column(SQLFunction("MAX", args: SQLColumn("version")), as: "v").from("categories")
                .where("kind", .equal, category.kind.rawValue).where("code", .equal, category.code)
                .first(decodingColumn: "v", as: Int?.self) ?? nil
            guard let last else { throw CaseStore.notFoundCategory(category.code) }
            try await sql.update("categories").set("is_current", to: false)
                .where("kind", .equal, category.kind.rawValue).where("code", .equal, category.code).run()
            let row = try CategoryRow(category, version: last + 1, editedBy: editedBy, note: note, at: now)
            try await sql.insert(into: "categories").model(row, with: CaseStore.encoder).run()
            return last + 1
        }
    }

    /// A category as it was in a given version (what a case was filed under).
    public func category(code: String, version: Int) async throws -> CaseCategory? {
        try await sql.select().column("*").from("categories").where("kind", .equal, CategoryKind.event.rawValue)
            .where("code", .equal, code).where("version", .equal, version)
            .first(decoding: CategoryRow.self, with: CaseStore.decoder)?.category()
    }

    // MARK: Entrusted matters

    public func entrustments() async throws -> [(matterCode: String, areaID: UUID, stewardID: UUID, validFrom: Date, validTo: Date?, contract: String, timeLimitHours: Int?)] {
        try await sql.select().column("*").from("entrusted_matters").orderBy("valid_from")
            .all(decoding: EntrustedMatterRow.self, with: CaseStore.decoder)
            .map { ($0.matterCode, $0.areaId, $0.stewardId, $0.validFrom, $0.validTo, $0.contractReference, $0.timeLimitHours) }
    }

    public func entrust(matterCode: String, areaID: UUID, stewardID: UUID, validFrom: Date, validTo: Date?, contract: String,
                        at now: Date) async throws {
        let row = EntrustedMatterRow(id: UUID(), matterCode: matterCode, areaId: areaID, stewardId: stewardID, validFrom: validFrom,
                                     validTo: validTo, contractReference: contract, createdAt: now)
        try await sql.insert(into: "entrusted_matters").model(row, with: CaseStore.encoder).run()
    }

    public func entrustmentCount() async throws -> Int {
        try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("entrusted_matters")
            .first(decodingColumn: "n", as: Int.self) ?? 0
    }
}

extension CaseStore {
    public static func notFoundCategory(_ code: String) -> DomainError {
        .notFound(zh: "没有类别 \(code)", en: "no category \(code)")
    }
}
