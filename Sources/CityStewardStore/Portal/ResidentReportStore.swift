import CityStewardCore
import Crypto
import FluentKit
import Foundation
import SQLKit

/// A resident's follow-up of one case (table `resident_reports`), written with the case in the same transaction.
public struct ResidentReportRow: Codable, Sendable, Equatable {
    public var caseId: UUID
    public var trackingHash: String
    public var phoneSealed: String?
    public var phoneIndex: String?
    public var phoneMasked: String?
    public var language: String
    public var rating: Int?
    public var ratingComment: String?
    public var ratedAt: Date?
    public var reopenCount: Int
    public var createdAt: Date

    public init(caseId: UUID, trackingHash: String, phoneSealed: String?, phoneIndex: String?, phoneMasked: String?, language: String,
                rating: Int? = nil, ratingComment: String? = nil, ratedAt: Date? = nil, reopenCount: Int = 0, createdAt: Date) {
        self.caseId = caseId
        self.trackingHash = trackingHash
        self.phoneSealed = phoneSealed
        self.phoneIndex = phoneIndex
        self.phoneMasked = phoneMasked
        self.language = language
        self.rating = rating
        self.ratingComment = ratingComment
        self.ratedAt = ratedAt
        self.reopenCount = reopenCount
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case caseId = "case_id", trackingHash = "tracking_hash", phoneSealed = "phone_sealed", phoneIndex = "phone_index"
        case phoneMasked = "phone_masked", language, rating, ratingComment = "rating_comment", ratedAt = "rated_at"
        case reopenCount = "reopen_count", createdAt = "created_at"
    }

    /// The tracking link's secret is never stored, only its SHA-256.
    public static func hash(token: String) -> String {
        Hex.encode(SHA256.hash(data: Data(token.utf8)))
    }
}

public struct ResidentReportStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    static let encoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)

    public func find(token: String) async throws -> ResidentReportRow? {
        try await sql.select().column("*").from("resident_reports").where("tracking_hash", .equal, ResidentReportRow.hash(token: token))
            .first(decoding: ResidentReportRow.self)
    }

    public func find(caseID: UUID) async throws -> ResidentReportRow? {
        try await sql.select().column("*").from("resident_reports").where("case_id", .equal, caseID).first(decoding: ResidentReportRow.self)
    }

    /// The cases a phone number reported (newest first), through its blind index.
    public func caseIDs(phoneIndexes: [String], limit: Int = 20) async throws -> [UUID] {
        try await sql.select().column("case_id").from("resident_reports").where("phone_index", .in, phoneIndexes)
            .orderBy("created_at", .descending).limit(limit).all().map { try $0.decode(column: "case_id", as: UUID.self) }
    }

    public enum Refused: Error, Sendable {
        case alreadyRated
    }

    /// Within a case update's transaction: records the rating only on an unrated row (a double submit cannot rate
    /// twice; the second throws and rolls its event back).
    public static func rate(caseID: UUID, rating: Int, comment: String?, at: Date, on sql: any SQLDatabase) async throws {
        let rows = try await sql.update("resident_reports").set("rating", to: rating).set("rating_comment", to: comment).set("rated_at", to: at)
            .where("case_id", .equal, caseID).where("rating", .is, SQLLiteral.null).returning("case_id").all()
        guard rows.count == 1 else { throw Refused.alreadyRated }
    }

    public static func countReopen(caseID: UUID, on sql: any SQLDatabase) async throws {
        try await sql.update("resident_reports").set(SQLIdentifier("reopen_count"), to: SQLRaw("reopen_count + 1"))
            .where("case_id", .equal, caseID).run()
    }
}
