import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// A published result (公示) as stored: its scores decoded.
public struct AssessmentResult: Sendable, Equatable {
    public var id: UUID
    public var planId: UUID
    public var year: Int
    public var version: Int
    public var planVersion: Int
    public var from: LocalDate
    public var through: LocalDate
    public var scores: [PublishedScore]
    public var reason: String?
    public var opens: LocalDate
    public var closes: LocalDate
    public var publishedBy: UUID
    public var publishedAt: Date

    public var window: (start: Date, end: Date) { ResultTerms(opens: opens, closes: closes, reason: nil).window }
}

struct AssessmentResultRow: Codable, Sendable {
    var id: UUID
    var planId: UUID
    var year: Int
    var version: Int
    var planVersion: Int
    var periodFrom: String
    var periodThrough: String
    var scores: String
    var reason: String?
    var opens: String
    var closes: String
    var publishedBy: UUID
    var publishedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, year, version, scores, reason, opens, closes
        case planId = "plan_id", planVersion = "plan_version", periodFrom = "period_from", periodThrough = "period_through"
        case publishedBy = "published_by", publishedAt = "published_at"
    }
}

/// A comment on a published result, with its moderation and answer.
public struct AssessmentComment: Codable, Sendable, Equatable {
    public var id: UUID
    public var resultId: UUID
    public var planId: UUID
    public var kind: String
    public var village: String?
    public var body: String
    public var name: String?
    /// A keyed hash of the sender's address: enough to see one sender's many comments, never the address.
    public var clientHash: String
    public var createdAt: Date
    public var hiddenAt: Date?
    public var hiddenReason: String?
    public var hiddenBy: UUID?
    public var answer: String?
    public var answeredAt: Date?
    public var answeredBy: UUID?
    /// The spot-check round drawn to re-check an objection.
    public var recheckRoundId: UUID?

    enum CodingKeys: String, CodingKey {
        case id, kind, village, body, name, answer, recheckRoundId = "recheck_round_id"
        case resultId = "result_id", planId = "plan_id", clientHash = "client_hash", createdAt = "created_at", hiddenAt = "hidden_at"
        case hiddenReason = "hidden_reason", hiddenBy = "hidden_by", answeredAt = "answered_at", answeredBy = "answered_by"
    }
}

public struct AssessmentResultStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    public static let notFound = DomainError.notFound(zh: "没有这份公示结果", en: "no such published result")
    public static let commentNotFound = DomainError.notFound(zh: "没有这条意见", en: "no such comment")
    static let encoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)
    static let scoresEncoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    func decode(_ r: AssessmentResultRow) throws -> AssessmentResult {
        guard let from = LocalDate(r.periodFrom), let through = LocalDate(r.periodThrough), let opens = LocalDate(r.opens), let closes = LocalDate(r.closes) else {
            throw DomainError.invalid("result", zh: "公示记录已损坏", en: "a stored result is damaged")
        }
        return AssessmentResult(id: r.id, planId: r.planId, year: r.year, version: r.version, planVersion: r.planVersion, from: from, through: through,
                                scores: try JSONDecoder().decode([PublishedScore].self, from: Data(r.scores.utf8)), reason: r.reason, opens: opens, closes: closes,
                                publishedBy: r.publishedBy, publishedAt: r.publishedAt)
    }

    /// A plan's published results, oldest version first.
    public func results(plan: UUID) async throws -> [AssessmentResult] {
        try await sql.select().column("*").from("assessment_results").where("plan_id", .equal, plan).orderBy("version")
            .all(decoding: AssessmentResultRow.self).map(decode)
    }

    public func find(_ id: UUID) async throws -> AssessmentResult {
        guard let row = try await sql.select().column("*").from("assessment_results").where("id", .equal, id).first(decoding: AssessmentResultRow.self) else {
            throw Self.notFound
        }
        return try decode(row)
    }

    /// Publishes the next version of a plan's results. The version number is taken inside the caller's transaction;
    /// the unique (plan, version) index refuses a second publication racing for the same number.
    public func publish(plan: AssessmentPlanRow, planVersion: Int, from: LocalDate, through: LocalDate, scores: [PublishedScore], terms: ResultTerms,
                        by user: UUID, at now: Date) async throws -> AssessmentResult {
        let last = try await sql.select().column(SQLFunction("MAX", args: SQLColumn("version")), as: "v").from("assessment_results")
            .where("plan_id", .equal, plan.id).first()?.decode(column: "v", as: Int?.self) ?? 0
        let row = AssessmentResultRow(id: UUID(), planId: plan.id, year: plan.year, version: last + 1, planVersion: planVersion, periodFrom: from.description,
                                      periodThrough: through.description, scores: String(decoding: try Self.scoresEncoder.encode(scores), as: UTF8.self),
                                      reason: terms.reason, opens: terms.opens.description, closes: terms.closes.description, publishedBy: user, publishedAt: now)
        try await sql.insert(into: "assessment_results").model(row, with: Self.encoder).run()
        return try decode(row)
    }

    // MARK: Comments

    public func comments(plan: UUID) async throws -> [AssessmentComment] {
        try await sql.select().column("*").from("assessment_comments").where("plan_id", .equal, plan).orderBy("created_at").orderBy("id")
            .all(decoding: AssessmentComment.self)
    }

    public func comment(_ id: UUID) async throws -> AssessmentComment {
        guard let c = try await sql.select().column("*").from("assessment_comments").where("id", .equal, id).first(decoding: AssessmentComment.self) else {
            throw Self.commentNotFound
        }
        return c
    }

    public func add(_ terms: CommentTerms, to result: AssessmentResult, clientHash: String, at now: Date) async throws -> AssessmentComment {
        let c = AssessmentComment(id: UUID(), resultId: result.id, planId: result.planId, kind: terms.kind.rawValue, village: terms.village, body: terms.body,
                                  name: terms.name, clientHash: clientHash, createdAt: now)
        try await sql.insert(into: "assessment_comments").model(c, with: Self.encoder).run()
        return c
    }

    /// Hides a comment with its reason (shown in its place); nothing is deleted. Once only.
    public func hide(_ c: AssessmentComment, reason: String, by user: UUID, at now: Date) async throws -> AssessmentComment {
        guard try await sql.update("assessment_comments").set("hidden_at", to: now).set("hidden_reason", to: reason).set("hidden_by", to: user)
            .where("id", .equal, c.id).where("hidden_at", .is, SQLLiteral.null).returning("id").first() != nil else {
            throw DomainError.conflict(zh: "这条意见已被隐藏", en: "the comment is already hidden")
        }
        return try await comment(c.id)
    }

    /// Keeps the round drawn to re-check an objection; once only.
    public func recheck(_ c: AssessmentComment, round: UUID) async throws {
        guard try await sql.update("assessment_comments").set("recheck_round_id", to: round).where("id", .equal, c.id)
            .where("recheck_round_id", .is, SQLLiteral.null).returning("id").first() != nil else {
            throw DomainError.conflict(zh: "这条异议已安排复查", en: "a re-check is already arranged for this objection")
        }
    }

    public func answer(_ c: AssessmentComment, text: String, by user: UUID, at now: Date) async throws -> AssessmentComment {
        try await sql.update("assessment_comments").set("answer", to: text).set("answered_at", to: now).set("answered_by", to: user)
            .where("id", .equal, c.id).run()
        return try await comment(c.id)
    }
}
