import CityStewardCore
import FluentKit
import Foundation
import SQLKit

public struct AssessmentPlanRow: Codable, Sendable, Equatable {
    public var id: UUID
    public var year: Int
    public var name: String
    public var version: Int
    public var publishedAt: Date?
    public var publishedBy: UUID?
    public var createdBy: UUID
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, year, name, version
        case publishedAt = "published_at", publishedBy = "published_by", createdBy = "created_by", createdAt = "created_at", updatedAt = "updated_at"
    }
}

/// One version of a plan's method, as made.
public struct AssessmentPlanVersion: Sendable, Equatable {
    public var number: Int
    public var name: String
    public var method: AssessmentMethod
    public var reason: String?
    public var createdBy: UUID
    public var createdAt: Date
}

struct AssessmentPlanVersionRow: Codable, Sendable {
    var id: UUID
    var planId: UUID
    var number: Int
    var name: String
    var method: String
    var reason: String?
    var createdBy: UUID
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, number, name, method, reason
        case planId = "plan_id", createdBy = "created_by", createdAt = "created_at"
    }
}

public struct AssessmentStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    public static let notFound = DomainError.notFound(zh: "没有这个考核方案", en: "no such assessment plan")
    static let encoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)
    static let methodEncoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return e
    }()

    public func create(_ t: AssessmentPlanTerms, by user: UUID, at now: Date) async throws -> AssessmentPlanRow {
        let row = AssessmentPlanRow(id: UUID(), year: t.year, name: t.name, version: 1, publishedAt: nil, publishedBy: nil, createdBy: user, createdAt: now, updatedAt: now)
        try await sql.insert(into: "assessment_plans").model(row, with: Self.encoder).run()
        try await insertVersion(row.id, number: 1, t, reason: nil, by: user, at: now)
        return row
    }

    private func insertVersion(_ plan: UUID, number: Int, _ t: AssessmentPlanTerms, reason: String?, by user: UUID, at now: Date) async throws {
        let method = String(decoding: try Self.methodEncoder.encode(t.method), as: UTF8.self)
        let row = AssessmentPlanVersionRow(id: UUID(), planId: plan, number: number, name: t.name, method: method, reason: reason, createdBy: user, createdAt: now)
        try await sql.insert(into: "assessment_plan_versions").model(row, with: Self.encoder).run()
    }

    /// A new version of the plan's name and method; the year stays.
    public func change(_ plan: AssessmentPlanRow, to t: AssessmentPlanTerms, reason: String?, by user: UUID, at now: Date) async throws -> AssessmentPlanRow {
        let number = plan.version + 1
        try await insertVersion(plan.id, number: number, t, reason: reason, by: user, at: now)
        try await sql.update("assessment_plans").set("version", to: number).set("name", to: t.name).set("updated_at", to: now).where("id", .equal, plan.id).run()
        var row = plan
        (row.version, row.name, row.updatedAt) = (number, t.name, now)
        return row
    }

    public func publish(_ plan: AssessmentPlanRow, by user: UUID, at now: Date) async throws -> AssessmentPlanRow {
        try await sql.update("assessment_plans").set("published_at", to: now).set("published_by", to: user).set("updated_at", to: now)
            .where("id", .equal, plan.id).run()
        var row = plan
        (row.publishedAt, row.publishedBy, row.updatedAt) = (now, user, now)
        return row
    }

    /// Plans by year (newest first); drafts only when asked for.
    public func list(drafts: Bool) async throws -> [AssessmentPlanRow] {
        let q = sql.select().column("*").from("assessment_plans")
        if !drafts { q.where("published_at", .isNot, SQLLiteral.null) }
        return try await q.orderBy("year", .descending).orderBy("created_at", .descending).all(decoding: AssessmentPlanRow.self)
    }

    public func find(_ id: UUID, drafts: Bool) async throws -> AssessmentPlanRow {
        let q = sql.select().column("*").from("assessment_plans").where("id", .equal, id)
        if !drafts { q.where("published_at", .isNot, SQLLiteral.null) }
        guard let row = try await q.first(decoding: AssessmentPlanRow.self) else { throw Self.notFound }
        return row
    }

    public func versions(_ plan: UUID) async throws -> [AssessmentPlanVersion] {
        try await sql.select().column("*").from("assessment_plan_versions").where("plan_id", .equal, plan).orderBy("number")
            .all(decoding: AssessmentPlanVersionRow.self).map {
                AssessmentPlanVersion(number: $0.number, name: $0.name, method: try JSONDecoder().decode(AssessmentMethod.self, from: Data($0.method.utf8)),
                                      reason: $0.reason, createdBy: $0.createdBy, createdAt: $0.createdAt)
            }
    }

    // MARK: What the scores read

    /// Cases whose deadline falls from `from` before `until` in these villages (nil: every village), with when each
    /// was first handled, how often it was sent back, and its resident's rating. Rejected and merged cases do not count.
    public func assessedCases(villages: [UUID]?, from: Date, until: Date) async throws -> [AssessedCase] {
        if let villages, villages.isEmpty { return [] }
        let q = sql.select()
            .column(SQLColumn("number", table: "c")).column(SQLColumn("village_id", table: "c")).column(SQLColumn("deadline", table: "c"))
            .column(SQLColumn("closed_at", table: "c")).column(SQLColumn("supervised", table: "c")).column(SQLColumn("rating", table: "r"))
            .column(SQLRaw("(SELECT MIN(e.at) FROM case_events e WHERE e.case_id = c.id AND e.to_state = 'handled')"), as: "handled_at")
            .column(SQLRaw("(SELECT COUNT(*) FROM case_events e WHERE e.case_id = c.id AND e.to_state = 'reworked')"), as: "reworks")
            .column(SQLRaw("(SELECT MIN(e.at) FROM case_events e WHERE e.case_id = c.id AND e.to_state IN ('accepted', 'handled'))"), as: "responded_at")
            .column(SQLRaw("(SELECT COUNT(*) FROM case_events e WHERE e.case_id = c.id AND e.action = 'reopen')"), as: "reopens")
            .column(SQLColumn("reported_at", table: "c")).column(SQLColumn("source", table: "c"))
            .from(SQLAlias(SQLIdentifier("cases"), as: SQLIdentifier("c")))
            .join(SQLAlias(SQLIdentifier("resident_reports"), as: SQLIdentifier("r")), method: SQLJoinMethod.left,
                  on: SQLColumn("case_id", table: "r"), .equal, SQLColumn("id", table: "c"))
            .where(SQLColumn("deadline", table: "c"), .greaterThanOrEqual, SQLBind(from)).where(SQLColumn("deadline", table: "c"), .lessThan, SQLBind(until))
            .where(SQLColumn("state", table: "c"), .notEqual, SQLBind(CaseState.rejected.rawValue))
            .where(SQLColumn("merged_into", table: "c"), .is, SQLLiteral.null)
            .where(SQLColumn("village_id", table: "c"), .isNot, SQLLiteral.null)
        if let villages { q.where(SQLColumn("village_id", table: "c"), .in, SQLBind.group(villages)) }
        return try await q.all().map {
            AssessedCase(number: try $0.decode(column: "number", as: String.self), village: try $0.decode(column: "village_id", as: UUID.self),
                         deadline: try $0.decode(column: "deadline", as: Date.self), handledAt: try $0.decode(column: "handled_at", as: Date?.self),
                         reworks: try $0.decode(column: "reworks", as: Int.self), closedAt: try $0.decode(column: "closed_at", as: Date?.self),
                         supervised: try $0.decode(column: "supervised", as: Bool.self), rating: try $0.decode(column: "rating", as: Int?.self),
                         reportedAt: try $0.decode(column: "reported_at", as: Date.self), respondedAt: try $0.decode(column: "responded_at", as: Date?.self),
                         reopens: try $0.decode(column: "reopens", as: Int.self), fromResident: try $0.decode(column: "source", as: String.self) == CaseSource.resident.rawValue)
        }
    }
}
