import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// A checklist as stored (its items as JSON).
public struct ChecklistRow: Codable, Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var componentCode: String
    public var items: String
    public var createdBy: UUID?
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, items
        case componentCode = "component_code", createdBy = "created_by", createdAt = "created_at"
    }

    public var terms: ChecklistTerms {
        ChecklistTerms(name: name, component: componentCode, items: (try? JSONDecoder().decode([ChecklistItem].self, from: Data(items.utf8))) ?? [])
    }
}

/// An inspection as stored.
public struct InspectionRow: Codable, Sendable, Equatable {
    public var id: UUID
    public var checklistId: UUID
    public var assetId: UUID
    public var taskId: UUID?
    public var orgId: UUID
    public var areaPath: String
    public var userId: UUID
    public var signature: String
    public var signedAt: Date
    public var lat: Double?
    public var long: Double?
    public var results: String
    public var failed: Int
    /// The numbers of the cases its failed items opened, comma-separated.
    public var caseNumbers: String
    public var idempotencyKey: String?

    enum CodingKeys: String, CodingKey {
        case id, signature, lat, long, results, failed
        case checklistId = "checklist_id", assetId = "asset_id", taskId = "task_id", orgId = "org_id", areaPath = "area_path", userId = "user_id"
        case signedAt = "signed_at", caseNumbers = "case_numbers", idempotencyKey = "idempotency_key"
    }

    public init(id: UUID, checklistId: UUID, assetId: UUID, taskId: UUID?, orgId: UUID, areaPath: String, userId: UUID, signature: String, signedAt: Date,
                lat: Double?, long: Double?, results: String, failed: Int, caseNumbers: String, idempotencyKey: String?) {
        (self.id, self.checklistId, self.assetId, self.taskId, self.orgId, self.areaPath, self.userId) = (id, checklistId, assetId, taskId, orgId, areaPath, userId)
        (self.signature, self.signedAt, self.lat, self.long, self.results, self.failed) = (signature, signedAt, lat, long, results, failed)
        (self.caseNumbers, self.idempotencyKey) = (caseNumbers, idempotencyKey)
    }

    public var resultList: [InspectionResult] { (try? JSONDecoder().decode([InspectionResult].self, from: Data(results.utf8))) ?? [] }
    public var cases: [String] { caseNumbers.split(separator: ",").map(String.init) }
}

public struct InspectionStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    public static let checklistNotFound = DomainError.notFound(zh: "没有这个检查表", en: "no such checklist")
    static let encoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)

    public func create(_ t: ChecklistTerms, by: UUID?, at now: Date) async throws -> ChecklistRow {
        let items = String(decoding: try JSONEncoder().encode(t.items), as: UTF8.self)
        let row = ChecklistRow(id: UUID(), name: t.name, componentCode: t.component, items: items, createdBy: by, createdAt: now)
        try await sql.insert(into: "checklists").model(row, with: Self.encoder).run()
        return row
    }

    public func checklists(component: String? = nil) async throws -> [ChecklistRow] {
        let q = sql.select().column("*").from("checklists")
        if let component { q.where("component_code", .equal, component) }
        return try await q.orderBy("component_code").orderBy("name").all(decoding: ChecklistRow.self)
    }

    public func checklist(_ id: UUID) async throws -> ChecklistRow {
        guard let row = try await sql.select().column("*").from("checklists").where("id", .equal, id).first(decoding: ChecklistRow.self) else { throw Self.checklistNotFound }
        return row
    }

    public func insert(_ row: InspectionRow) async throws {
        try await sql.insert(into: "inspections").model(row, with: Self.encoder).run()
    }

    public func inspection(idempotencyKey: String) async throws -> InspectionRow? {
        try await sql.select().column("*").from("inspections").where("idempotency_key", .equal, idempotencyKey).first(decoding: InspectionRow.self)
    }

    /// A component's inspections, newest first.
    public func inspections(asset: UUID, limit: Int = 20) async throws -> [InspectionRow] {
        try await sql.select().column("*").from("inspections").where("asset_id", .equal, asset).orderBy("signed_at", .descending).limit(limit).all(decoding: InspectionRow.self)
    }

    // MARK: Who a case is given to

    public func assign(case caseID: UUID, to assignee: CaseAssignee?, by: UUID?, at now: Date) async throws {
        try await sql.delete(from: "case_assignees").where("case_id", .equal, caseID).run()
        guard let assignee else { return }
        var team: UUID?, user: UUID?
        switch assignee {
        case .team(let id): team = id
        case .person(let id): user = id
        }
        try await sql.insert(into: "case_assignees").columns("case_id", "team_id", "user_id", "assigned_by", "assigned_at")
            .values(SQLBind(caseID), SQLBind(team), SQLBind(user), SQLBind(by), SQLBind(now)).run()
    }

    public func assignee(of caseID: UUID) async throws -> CaseAssignee? {
        guard let row = try await sql.select().column("team_id").column("user_id").from("case_assignees").where("case_id", .equal, caseID).first() else { return nil }
        if let team = try row.decode(column: "team_id", as: UUID?.self) { return .team(team) }
        return try row.decode(column: "user_id", as: UUID?.self).map { .person($0) }
    }

    /// The cases given to a person or to one of their teams (newest assignment first).
    public func assignedCases(user: UUID, teams: Set<UUID>, limit: Int = 200) async throws -> [UUID] {
        let q = sql.select().column("case_id").from("case_assignees")
            .where { group in
                group.where("user_id", .equal, user)
                if !teams.isEmpty { group.orWhere("team_id", .in, Array(teams)) }
                return group
            }
        return try await q.orderBy("assigned_at", .descending).limit(limit).all().map { try $0.decode(column: "case_id", as: UUID.self) }
    }
}
