import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// A team as stored, with its members.
public struct TeamRow: Codable, Sendable, Equatable {
    public var id: UUID
    public var orgId: UUID
    public var name: String
    public var kind: String
    public var leadId: UUID?
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, kind
        case orgId = "org_id", leadId = "lead_id", createdAt = "created_at", updatedAt = "updated_at"
    }
}

public struct Team: Sendable, Equatable {
    public var row: TeamRow
    public var members: [UUID]
}

public struct TeamStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    public static let notFound = DomainError.notFound(zh: "没有这个班组", en: "no such team")
    static let encoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)

    public func create(_ t: TeamTerms, org: UUID, at now: Date) async throws -> Team {
        let row = TeamRow(id: UUID(), orgId: org, name: t.name, kind: t.kind.rawValue, leadId: t.lead, createdAt: now, updatedAt: now)
        try await sql.insert(into: "teams").model(row, with: Self.encoder).run()
        try await setMembers(row.id, t.members, at: now)
        return Team(row: row, members: t.members)
    }

    public func update(_ team: Team, to t: TeamTerms, at now: Date) async throws -> Team {
        try await sql.update("teams").set("name", to: t.name).set("kind", to: t.kind.rawValue).set("lead_id", to: t.lead).set("updated_at", to: now)
            .where("id", .equal, team.row.id).run()
        try await sql.delete(from: "team_members").where("team_id", .equal, team.row.id).run()
        try await setMembers(team.row.id, t.members, at: now)
        var row = team.row
        (row.name, row.kind, row.leadId, row.updatedAt) = (t.name, t.kind.rawValue, t.lead, now)
        return Team(row: row, members: t.members)
    }

    private func setMembers(_ team: UUID, _ members: [UUID], at now: Date) async throws {
        guard !members.isEmpty else { return }
        let insert = sql.insert(into: "team_members").columns("team_id", "user_id", "created_at")
        for member in members { insert.values(SQLBind(team), SQLBind(member), SQLBind(now)) }
        try await insert.run()
    }

    public func nameTaken(_ name: String, org: UUID, except: UUID?) async throws -> Bool {
        let q = sql.select().column("id").from("teams").where("org_id", .equal, org).where("name", .equal, name)
        if let except { q.where("id", .notEqual, except) }
        return try await q.first() != nil
    }

    /// The teams of the organisations given (nil: every team), by name, with their members.
    public func list(orgs: [UUID]?) async throws -> [Team] {
        if let orgs, orgs.isEmpty { return [] }
        let q = sql.select().column("*").from("teams")
        if let orgs { q.where("org_id", .in, orgs) }
        let rows = try await q.orderBy("name").all(decoding: TeamRow.self)
        let members = try await membership(teams: rows.map(\.id))
        return rows.map { Team(row: $0, members: members[$0.id] ?? []) }
    }

    /// Team rows only (names for display), without their members.
    public func rows(ids: [UUID]? = nil) async throws -> [TeamRow] {
        if let ids, ids.isEmpty { return [] }
        let q = sql.select().column("*").from("teams")
        if let ids { q.where("id", .in, ids) }
        return try await q.all(decoding: TeamRow.self)
    }

    public func find(_ id: UUID) async throws -> Team? {
        guard let row = try await sql.select().column("*").from("teams").where("id", .equal, id).first(decoding: TeamRow.self) else { return nil }
        return Team(row: row, members: try await membership(teams: [id])[id] ?? [])
    }

    private func membership(teams: [UUID]) async throws -> [UUID: [UUID]] {
        guard !teams.isEmpty else { return [:] }
        var out: [UUID: [UUID]] = [:]
        for row in try await sql.select().column("team_id").column("user_id").from("team_members").where("team_id", .in, teams).orderBy("created_at").all() {
            out[try row.decode(column: "team_id", as: UUID.self), default: []].append(try row.decode(column: "user_id", as: UUID.self))
        }
        return out
    }

    /// The teams a person is in.
    public func teams(of user: UUID) async throws -> Set<UUID> {
        Set(try await sql.select().column("team_id").from("team_members").where("user_id", .equal, user).all().map { try $0.decode(column: "team_id", as: UUID.self) })
    }

    /// Which steward serves each area: assigned to it, or entrusted to it by a contract in force at `instant`
    /// (area id → the steward's org id).
    public func stewardAreas(at instant: Date) async throws -> [UUID: UUID] {
        var out: [UUID: UUID] = [:]
        for row in try await sql.select().column(SQLColumn("area_id", table: "oa")).column(SQLColumn("org_id", table: "oa")).from(SQLAlias(SQLIdentifier("org_areas"), as: SQLIdentifier("oa")))
            .join(SQLAlias(SQLIdentifier("orgs"), as: SQLIdentifier("o")), on: SQLColumn("id", table: "o"), .equal, SQLColumn("org_id", table: "oa"))
            .where(SQLColumn("kind", table: "o"), .equal, SQLBind(OrgKind.steward.rawValue)).all() {
            out[try row.decode(column: "area_id", as: UUID.self)] = try row.decode(column: "org_id", as: UUID.self)
        }
        for row in try await sql.select().distinct().column("area_id").column("steward_id").from("entrusted_matters")
            .where("valid_from", .lessThanOrEqual, instant)
            .where(group: { $0.where("valid_to", .is, SQLLiteral.null).orWhere("valid_to", .greaterThan, instant) }).all() {
            let area = try row.decode(column: "area_id", as: UUID.self)
            if out[area] == nil { out[area] = try row.decode(column: "steward_id", as: UUID.self) }
        }
        return out
    }
}
