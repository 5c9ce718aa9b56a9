import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// The one-time codes of `/find`, one row per phone (its blind index).
public struct PhoneChallengeStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    struct Row: Codable {
        var phone_index: String
        var code_hash: String
        var expires_at: Date
        var attempts: Int
        var window_start: Date
        var sends: Int
    }

    public func find(_ phoneIndex: String) async throws -> PhoneChallenge? {
        try await sql.select().column("*").from("phone_challenges").where("phone_index", .equal, phoneIndex).first(decoding: Row.self).map {
            PhoneChallenge(phoneIndex: $0.phone_index, codeHash: $0.code_hash, expiresAt: $0.expires_at, attempts: $0.attempts,
                           windowStart: $0.window_start, sends: $0.sends)
        }
    }

    public func save(_ c: PhoneChallenge) async throws {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            try await sql.delete(from: "phone_challenges").where("phone_index", .equal, c.phoneIndex).run()
            try await sql.insert(into: "phone_challenges").model(Row(phone_index: c.phoneIndex, code_hash: c.codeHash, expires_at: c.expiresAt,
                                                                     attempts: c.attempts, window_start: c.windowStart, sends: c.sends)).run()
        }
    }

    /// A used code is gone (the hourly count stays with a spent hash).
    public func spend(_ c: PhoneChallenge) async throws {
        var spent = c
        spent.codeHash = "spent"
        spent.expiresAt = Date(timeIntervalSince1970: 0).addingTimeInterval(PhoneVerification.codeLifetime)
        try await save(spent)
    }
}
