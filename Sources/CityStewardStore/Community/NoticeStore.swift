import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// A notice as stored.
struct NoticeRow: Codable, Sendable {
    var id: UUID
    var title: String
    var body: String
    var kind: String
    var audience: String
    var shownFrom: String
    var shownUntil: String?
    var orgId: UUID?
    var createdBy: UUID?
    var createdAt: Date
    var withdrawnAt: Date?
    var withdrawnBy: UUID?
    var withdrawnReason: String?
    var contractId: UUID?
    var reads: Int

    enum CodingKeys: String, CodingKey {
        case id, title, body, kind, audience, reads
        case shownFrom = "shown_from", shownUntil = "shown_until", orgId = "org_id", createdBy = "created_by", createdAt = "created_at"
        case withdrawnAt = "withdrawn_at", withdrawnBy = "withdrawn_by", withdrawnReason = "withdrawn_reason", contractId = "contract_id"
    }

    init(_ n: Notice) {
        (id, title, body, kind, audience) = (n.id, n.title, n.body, n.kind.rawValue, n.audience.rawValue)
        (shownFrom, shownUntil, orgId, createdBy, createdAt) = (n.shownFrom.description, n.shownUntil?.description, n.orgID, n.createdBy, n.createdAt)
        (withdrawnAt, withdrawnBy, withdrawnReason, contractId, reads) = (n.withdrawnAt, nil, n.withdrawnReason, n.contractID, n.reads)
    }

    func notice(areas: [UUID]) -> Notice? {
        guard let kind = NoticeKind(rawValue: kind), let audience = NoticeAudience(rawValue: audience), let from = LocalDate(shownFrom) else { return nil }
        return Notice(id: id, title: title, body: body, kind: kind, audience: audience, areas: areas, shownFrom: from,
                      shownUntil: shownUntil.flatMap(LocalDate.init), orgID: orgId, createdBy: createdBy, createdAt: createdAt,
                      withdrawnAt: withdrawnAt, withdrawnReason: withdrawnReason, contractID: contractId, reads: reads)
    }
}

/// Notices to residents and the areas they are shown in.
public struct NoticeStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    public static let notFound = DomainError.notFound(zh: "没有这条公告", en: "no such notice")
    static let encoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)
    static let decoder = SQLRowDecoder()

    /// A notice's picture: the public copy's file, by its hash and format.
    public struct Photo: Sendable, Equatable {
        public var publicHash: String
        public var format: String

        public init(publicHash: String, format: String) {
            (self.publicHash, self.format) = (publicHash, format)
        }
    }

    /// Writes a notice, its areas (each with its path) and its pictures in one transaction; `also` runs in it last (an
    /// audit row).
    public func create(_ notice: Notice, paths: [UUID: [UUID]], photos: [Photo] = [],
                       also: (@Sendable (any Database) async throws -> Void)? = nil) async throws {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            try await sql.insert(into: "notices").model(NoticeRow(notice), with: Self.encoder).run()
            for (i, p) in photos.enumerated() {
                try await sql.insert(into: "notice_photos").columns("notice_id", "position", "public_hash", "format")
                    .values(SQLBind(notice.id), SQLBind(i), SQLBind(p.publicHash), SQLBind(p.format)).run()
            }
            for area in notice.areas {
                try await sql.insert(into: "notice_areas").columns("notice_id", "area_id", "area_path")
                    .values(SQLBind(notice.id), SQLBind(area), SQLBind(Area.encodePath(paths[area] ?? [area]))).run()
            }
            try await also?(tx)
        }
    }

    private func areas(of ids: [UUID]) async throws -> [UUID: [UUID]] {
        guard !ids.isEmpty else { return [:] }
        var out: [UUID: [UUID]] = [:]
        for row in try await sql.select().column("notice_id").column("area_id").from("notice_areas").where("notice_id", .in, ids).all() {
            out[try row.decode(column: "notice_id", as: UUID.self), default: []].append(try row.decode(column: "area_id", as: UUID.self))
        }
        return out
    }

    private func notices(_ query: SQLSelectBuilder) async throws -> [Notice] {
        let rows = try await query.all(decoding: NoticeRow.self, with: Self.decoder)
        let areas = try await areas(of: rows.map(\.id))
        return rows.compactMap { $0.notice(areas: areas[$0.id] ?? []) }
    }

    public func find(_ id: UUID) async throws -> Notice? {
        try await notices(sql.select().column("*").from("notices").where("id", .equal, id)).first
    }

    /// The console's list: notices over an area under one of `prefixes` (encoded paths; nil: everywhere) or published by
    /// `org`, newest first.
    public func list(under prefixes: [String]?, org: UUID?, kind: NoticeKind? = nil, limit: Int = 200) async throws -> [Notice] {
        let query = sql.select().column("*").from("notices")
        if let prefixes {
            query.where { group in
                if !prefixes.isEmpty {
                    let inArea = sql.select().column("notice_id").from("notice_areas").where { g in
                        for p in prefixes { g.orWhere { CaseStore.subtree($0, p) } }
                        return g
                    }
                    group.orWhere(SQLIdentifier("id"), .in, SQLGroupExpression(inArea.query))
                }
                if let org { group.orWhere("org_id", .equal, org) }
                group.orWhere(SQLLiteral.boolean(false))
                return group
            }
        }
        if let kind { query.where("kind", .equal, kind.rawValue) }
        return try await notices(query.orderBy("created_at", .descending).limit(limit))
    }

    /// What a place shows on a Beijing day: the notices over it or over an area above it (`path`: root first, the
    /// place last), not withdrawn, in their period; newest first.
    public func shown(along path: [UUID], on day: LocalDate, limit: Int = 50) async throws -> [Notice] {
        guard !path.isEmpty else { return [] }
        let today = day.description
        let ids = sql.select().column("notice_id").from("notice_areas").where("area_id", .in, path)
        let query = sql.select().column("*").from("notices").where(SQLIdentifier("id"), .in, SQLGroupExpression(ids.query))
            .where("withdrawn_at", .is, SQLLiteral.null).where("shown_from", .lessThanOrEqual, today)
            .where { $0.where("shown_until", .is, SQLLiteral.null).orWhere("shown_until", .greaterThanOrEqual, today) }
        return try await notices(query.orderBy("shown_from", .descending).orderBy("created_at", .descending).limit(limit))
    }

    /// The pictures of these notices, in order.
    public func photos(of ids: [UUID]) async throws -> [UUID: [Photo]] {
        guard !ids.isEmpty else { return [:] }
        var out: [UUID: [Photo]] = [:]
        for row in try await sql.select().column("notice_id").column("public_hash").column("format").from("notice_photos")
            .where("notice_id", .in, ids).orderBy("position").all() {
            out[try row.decode(column: "notice_id", as: UUID.self), default: []]
                .append(Photo(publicHash: try row.decode(column: "public_hash", as: String.self), format: try row.decode(column: "format", as: String.self)))
        }
        return out
    }

    /// One more reader (the portal's page of the notice).
    public func countRead(_ id: UUID) async throws {
        try await sql.update("notices").set(SQLIdentifier("reads"), to: SQLRaw("reads + 1")).where("id", .equal, id).run()
    }

    /// Withdraws a notice still up; false when it was already withdrawn (or is missing).
    public func withdraw(_ id: UUID, by user: UUID?, at: Date, reason: String, also: (@Sendable (any Database) async throws -> Void)? = nil) async throws -> Bool {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            let done = try await sql.update("notices").set("withdrawn_at", to: at).set("withdrawn_by", to: user).set("withdrawn_reason", to: reason)
                .where("id", .equal, id).where("withdrawn_at", .is, SQLLiteral.null).returning("id").all()
            guard !done.isEmpty else { return false }
            try await also?(tx)
            return true
        }
    }

    /// Withdraws the residents' notices of a contract's versions (all, or all but one: the version now in force).
    public func withdrawContractNotices(number: String, except: UUID?, at: Date, reason: String) async throws {
        let versions = sql.select().column("id").from("contracts").where("number", .equal, number)
        if let except { versions.where("id", .notEqual, except) }
        try await sql.update("notices").set("withdrawn_at", to: at).set("withdrawn_reason", to: reason)
            .where(SQLIdentifier("contract_id"), .in, SQLGroupExpression(versions.query)).where("withdrawn_at", .is, SQLLiteral.null).run()
    }

    /// Ends the residents' notices of a contract's versions on its last day (a termination): shown until then, no longer.
    public func endContractNotices(number: String, on last: LocalDate) async throws {
        let versions = sql.select().column("id").from("contracts").where("number", .equal, number)
        try await sql.update("notices").set("shown_until", to: last.description)
            .where(SQLIdentifier("contract_id"), .in, SQLGroupExpression(versions.query)).where("withdrawn_at", .is, SQLLiteral.null)
            .where { $0.where("shown_until", .is, SQLLiteral.null).orWhere("shown_until", .greaterThan, last.description) }.run()
    }

    /// A contract's notice, if it has one.
    public func notice(ofContract contract: UUID) async throws -> Notice? {
        try await notices(sql.select().column("*").from("notices").where("contract_id", .equal, contract).limit(1)).first
    }
}
