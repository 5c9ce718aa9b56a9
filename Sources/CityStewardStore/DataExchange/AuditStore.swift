import CityStewardCore
import Crypto
import FluentKit
import Foundation
import SQLKit

/// The append-only audit log, chained by SHA-256. Appends retry when another writer took the next position first.
public struct AuditStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    struct Row: Codable {
        var seq: Int64
        var atMs: Int64
        var actorId: UUID?
        var actorName: String
        var action: String
        var subject: String
        var detail: String
        var previousHash: String
        var hash: String

        enum CodingKeys: String, CodingKey {
            case seq, action, subject, detail, hash
            case atMs = "at_ms", actorId = "actor_id", actorName = "actor_name", previousHash = "previous_hash"
        }

        var entry: AuditEntry {
            AuditEntry(seq: Int(seq), atMillis: atMs, actorID: actorId, actorName: actorName, action: action, subject: subject,
                       detail: detail, previousHash: previousHash, hash: hash)
        }
    }

    public static func sha256(_ text: String) -> String {
        Hex.encode(SHA256.hash(data: Data(text.utf8)))
    }

    /// Appends one row after the current last one.
    @discardableResult
    public func append(action: String, subject: String, detail: String = "", actorID: UUID?, actorName: String,
                       at: Date) async throws -> AuditEntry {
        var lastError: (any Error)?
        for attempt in 0..<20 {
            do {
                return try await db.writeTransaction { tx in
                    let sql = tx as! any SQLDatabase
                    let last = try await sql.select().column("seq").column("hash").from("audit_log").orderBy("seq", .descending).limit(1).first()
                    let seq = (try last?.decode(column: "seq", as: Int64.self) ?? 0) + 1
                    let previous = try last?.decode(column: "hash", as: String.self) ?? AuditTrail.genesis
                    var entry = AuditEntry(seq: Int(seq), atMillis: Int64((at.timeIntervalSince1970 * 1000).rounded(.down)), actorID: actorID,
                                           actorName: actorName, action: action, subject: subject, detail: detail, previousHash: previous, hash: "")
                    entry.hash = Self.sha256(previous + entry.canonical)
                    let row = Row(seq: seq, atMs: entry.atMillis, actorId: actorID, actorName: actorName, action: action, subject: subject,
                                  detail: detail, previousHash: previous, hash: entry.hash)
                    try await sql.insert(into: "audit_log").model(row, with: SQLQueryEncoder(nilEncodingStrategy: .asNil)).run()
                    return entry
                }
            } catch {
                // Another writer appended the same position (unique key): read the new end and try again.
                lastError = error
                try await Task.sleep(for: .milliseconds(Int64(1 + attempt * 2)))
            }
        }
        throw lastError!
    }

    public struct Filter: Sendable {
        public var action: String?
        public var actorID: UUID?
        public var subject: String?
        public var from: Date?
        public var to: Date?

        public init(action: String? = nil, actorID: UUID? = nil, subject: String? = nil, from: Date? = nil, to: Date? = nil) {
            self.action = action
            self.actorID = actorID
            self.subject = subject
            self.from = from
            self.to = to
        }
    }

    /// A page of rows, newest first, with the total matching.
    public func list(_ filter: Filter, limit: Int = 100, offset: Int = 0) async throws -> (rows: [AuditEntry], total: Int) {
        func apply(_ q: SQLSelectBuilder) {
            if let a = filter.action { q.where("action", .equal, a) }
            if let id = filter.actorID { q.where("actor_id", .equal, id) }
            if let s = filter.subject { q.where("subject", .equal, s) }
            if let f = filter.from { q.where("at_ms", .greaterThanOrEqual, Int64(f.timeIntervalSince1970 * 1000)) }
            if let t = filter.to { q.where("at_ms", .lessThan, Int64(t.timeIntervalSince1970 * 1000)) }
        }
        let q = sql.select().column("*").from("audit_log")
        apply(q)
        let rows = try await q.orderBy("seq", .descending).limit(limit).offset(offset).all(decoding: Row.self).map(\.entry)
        let c = sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("audit_log")
        apply(c)
        return (rows, try await c.first(decodingColumn: "n", as: Int.self) ?? 0)
    }

    public struct Verification: Sendable {
        public var rows: Int
        public var firstBroken: (seq: Int, reason: LocalizedText)?
    }

    /// Walks the whole chain in order, a thousand rows at a time.
    public func verify() async throws -> Verification {
        var previous: (seq: Int, hash: String)?
        var count = 0
        while true {
            let chunk = try await sql.select().column("*").from("audit_log").where("seq", .greaterThan, Int64(previous?.seq ?? 0))
                .orderBy("seq").limit(1000).all(decoding: Row.self).map(\.entry)
            guard !chunk.isEmpty else { return Verification(rows: count, firstBroken: nil) }
            if let broken = AuditTrail.firstBroken(chunk, after: previous, sha256: Self.sha256) {
                return Verification(rows: count + chunk.prefix { $0.seq < broken.seq }.count, firstBroken: broken)
            }
            count += chunk.count
            previous = (chunk.last!.seq, chunk.last!.hash)
        }
    }
}
