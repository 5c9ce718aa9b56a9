import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// A spot-inspection round as stored.
public struct SpotCheckRoundRow: Codable, Sendable, Equatable {
    public var id: UUID
    /// `CC2026-003`: the year's rounds in order.
    public var code: String
    public var title: String
    public var placeType: String
    public var scopeAreaId: UUID
    public var orgId: UUID
    public var day: String
    public var seed: String
    /// The grid codes the draw was made from, comma-separated in code order.
    public var population: String
    public var drawn: Int
    public var createdBy: UUID
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, code, title, day, seed, population, drawn
        case placeType = "place_type", scopeAreaId = "scope_area_id", orgId = "org_id", createdBy = "created_by", createdAt = "created_at"
    }

    public init(id: UUID, code: String, title: String, placeType: String, scopeAreaId: UUID, orgId: UUID, day: String, seed: String, population: String,
                drawn: Int, createdBy: UUID, createdAt: Date) {
        (self.id, self.code, self.title, self.placeType, self.scopeAreaId, self.orgId) = (id, code, title, placeType, scopeAreaId, orgId)
        (self.day, self.seed, self.population, self.drawn, self.createdBy, self.createdAt) = (day, seed, population, drawn, createdBy, createdAt)
    }

    public var type: SpotCheckPlaceType { SpotCheckPlaceType(rawValue: placeType) ?? .street }
    public var populationCodes: [String] { population.isEmpty ? [] : population.split(separator: ",").map(String.init) }
}

/// A drawn grid and what its inspection found.
public struct SpotCheckRow: Codable, Sendable, Equatable {
    public var id: UUID
    public var roundId: UUID
    public var position: Int
    public var gridId: UUID
    public var gridCode: String
    public var villageId: UUID?
    public var areaPath: String
    public var state: String
    public var findings: String?
    public var failed: Int
    public var inspectedBy: UUID?
    public var inspectedAt: Date?
    public var lat: Double?
    public var long: Double?
    public var recheckedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, position, state, findings, failed, lat, long
        case roundId = "round_id", gridId = "grid_id", gridCode = "grid_code", villageId = "village_id", areaPath = "area_path"
        case inspectedBy = "inspected_by", inspectedAt = "inspected_at", recheckedAt = "rechecked_at"
    }

    public var checkState: SpotCheckState { SpotCheckState(rawValue: state) ?? .pending }

    public var decodedFindings: [SpotCheckFinding]? {
        findings.flatMap { try? SpotCheckStore.findingsDecoder.decode([SpotCheckFinding].self, from: Data($0.utf8)) }
    }

    public init(id: UUID, roundId: UUID, position: Int, gridId: UUID, gridCode: String, villageId: UUID?, areaPath: String) {
        (self.id, self.roundId, self.position, self.gridId, self.gridCode, self.villageId, self.areaPath) = (id, roundId, position, gridId, gridCode, villageId, areaPath)
        (state, findings, failed, inspectedBy, inspectedAt, lat, long, recheckedAt) = (SpotCheckState.pending.rawValue, nil, 0, nil, nil, nil, nil, nil)
    }
}

public struct SpotCheckStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    public static let roundNotFound = DomainError.notFound(zh: "没有这轮抽查", en: "no such spot-check round")
    public static let spotNotFound = DomainError.notFound(zh: "没有这个抽查点", en: "no such spot check")
    static let encoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)
    static let findingsEncoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.dateEncodingStrategy = .iso8601
        return e
    }()
    static let findingsDecoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }()

    /// Stores a round with its drawn grids; its code is the year's next (taken inside the caller's transaction, the
    /// unique code refusing a racing twin).
    public func create(_ round: SpotCheckRoundRow, spots: [SpotCheckRow]) async throws -> SpotCheckRoundRow {
        let year = String(round.day.prefix(4))
        let count = try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("spot_check_rounds")
            .where("day", .like, "\(year)-%").first()?.decode(column: "n", as: Int.self) ?? 0
        var row = round
        row.code = "CC\(year)-" + String(format: "%03d", count + 1)
        try await sql.insert(into: "spot_check_rounds").model(row, with: Self.encoder).run()
        if !spots.isEmpty { try await sql.insert(into: "spot_checks").models(spots, with: Self.encoder).run() }
        return row
    }

    public func rounds() async throws -> [SpotCheckRoundRow] {
        try await sql.select().column("*").from("spot_check_rounds").orderBy("day", .descending).orderBy("code", .descending)
            .all(decoding: SpotCheckRoundRow.self)
    }

    public func round(_ id: UUID) async throws -> SpotCheckRoundRow {
        guard let r = try await sql.select().column("*").from("spot_check_rounds").where("id", .equal, id).first(decoding: SpotCheckRoundRow.self) else {
            throw Self.roundNotFound
        }
        return r
    }

    public func spots(round: UUID) async throws -> [SpotCheckRow] {
        try await sql.select().column("*").from("spot_checks").where("round_id", .equal, round).orderBy("position").all(decoding: SpotCheckRow.self)
    }

    /// Every spot of the given rounds (the list's counts).
    public func spots(rounds: [UUID]) async throws -> [SpotCheckRow] {
        guard !rounds.isEmpty else { return [] }
        return try await sql.select().column("*").from("spot_checks").where("round_id", .in, rounds).all(decoding: SpotCheckRow.self)
    }

    public func spot(_ id: UUID) async throws -> SpotCheckRow {
        guard let s = try await sql.select().column("*").from("spot_checks").where("id", .equal, id).first(decoding: SpotCheckRow.self) else {
            throw Self.spotNotFound
        }
        return s
    }

    /// Records a spot's inspection: only while it waits for one (a second inspector, or the same form twice, finds it done).
    public func record(_ spot: SpotCheckRow, findings: [SpotCheckFinding], by user: UUID, at now: Date, position: GeoPoint) async throws -> SpotCheckRow {
        let text = String(decoding: try Self.findingsEncoder.encode(findings), as: UTF8.self)
        guard try await sql.update("spot_checks").set("findings", to: text).set("state", to: SpotCheckState.of(findings).rawValue)
            .set("failed", to: findings.filter { !$0.passed }.count).set("inspected_by", to: user).set("inspected_at", to: now)
            .set("lat", to: position.lat).set("long", to: position.long)
            .where("id", .equal, spot.id).where("state", .equal, SpotCheckState.pending.rawValue).returning("id").first() != nil else {
            throw DomainError.conflict(zh: "该抽查点已检查过", en: "this spot has already been inspected")
        }
        return try await self.spot(spot.id)
    }

    /// A re-inspection's findings, guarded by the findings it was judged against (two re-inspections at once: one wins).
    public func recheck(_ spot: SpotCheckRow, findings: [SpotCheckFinding], at now: Date) async throws -> SpotCheckRow {
        let text = String(decoding: try Self.findingsEncoder.encode(findings), as: UTF8.self)
        guard let was = spot.findings, try await sql.update("spot_checks").set("findings", to: text).set("state", to: SpotCheckState.of(findings).rawValue)
            .set("rechecked_at", to: now).where("id", .equal, spot.id).where("findings", .equal, was).returning("id").first() != nil else {
            throw DomainError.conflict(zh: "该抽查点刚被复查过，请刷新后再试", en: "this spot was just re-inspected; reload and try again")
        }
        return try await self.spot(spot.id)
    }

    /// The inspected spots of these villages inspected in [from, until), as the assessment reads them.
    /// With `inspectedBy`: only the rounds that organisation drew (a department's own inspections of its matters).
    public func assessed(villages: [UUID], from: Date, until: Date, inspectedBy org: UUID? = nil) async throws -> [AssessedSpotCheck] {
        guard !villages.isEmpty else { return [] }
        let q = sql.select().column("*").from("spot_checks").where("village_id", .in, villages)
            .where("inspected_at", .greaterThanOrEqual, from).where("inspected_at", .lessThan, until)
        if let org {
            q.where("round_id", .in, SQLGroupExpression(sql.select().column("id").from("spot_check_rounds").where("org_id", .equal, org).query))
        }
        return try await q.all(decoding: SpotCheckRow.self).compactMap { r in
                guard let v = r.villageId, let at = r.inspectedAt, let f = r.decodedFindings else { return nil }
                return AssessedSpotCheck(village: v, grid: r.gridCode, inspectedAt: at, findings: f)
            }
    }
}
