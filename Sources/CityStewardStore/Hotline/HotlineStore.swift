import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// A 12345 ticket as stored: the case it became and what the hotline said of it.
public struct HotlineTicketRow: Codable, Sendable, Equatable {
    public var id: UUID
    public var ticketNumber: String
    public var caseId: UUID
    public var caseNumber: String
    public var nature: String?
    public var categoryText: String?
    public var address: String?
    public var dueAt: Date?
    public var receivedAt: Date
    public var createdAt: Date

    public init(id: UUID, ticketNumber: String, caseId: UUID, caseNumber: String, nature: String?, categoryText: String?, address: String?,
                dueAt: Date?, receivedAt: Date, createdAt: Date) {
        self.id = id
        self.ticketNumber = ticketNumber
        self.caseId = caseId
        self.caseNumber = caseNumber
        self.nature = nature
        self.categoryText = categoryText
        self.address = address
        self.dueAt = dueAt
        self.receivedAt = receivedAt
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, nature, address
        case ticketNumber = "ticket_number", caseId = "case_id", caseNumber = "case_number", categoryText = "category_text"
        case dueAt = "due_at", receivedAt = "received_at", createdAt = "created_at"
    }
}

/// One step going back to the hotline, and how its delivery stands.
public struct HotlinePushRow: Codable, Sendable, Equatable {
    public var id: UUID
    public var ticketId: UUID
    public var caseId: UUID
    public var seq: Int
    public var step: String
    public var body: String
    public var createdAt: Date
    public var attempts: Int
    public var nextAttemptAt: Date
    public var deliveredAt: Date?
    public var lastStatus: Int?
    public var lastError: String?

    enum CodingKeys: String, CodingKey {
        case id, seq, step, body, attempts
        case ticketId = "ticket_id", caseId = "case_id", createdAt = "created_at", nextAttemptAt = "next_attempt_at"
        case deliveredAt = "delivered_at", lastStatus = "last_status", lastError = "last_error"
    }
}

public struct HotlineStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    static let encoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)
    /// Sorted keys: the body of a push is the same bytes on every attempt, so the hotline may compare them.
    static let messageEncoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        e.dateEncodingStrategy = .iso8601
        return e
    }()

    public func ticket(number: String) async throws -> HotlineTicketRow? {
        try await sql.select().column("*").from("hotline_tickets").where("ticket_number", .equal, number).first(decoding: HotlineTicketRow.self)
    }

    public func ticket(caseID: UUID) async throws -> HotlineTicketRow? {
        try await sql.select().column("*").from("hotline_tickets").where("case_id", .equal, caseID).first(decoding: HotlineTicketRow.self)
    }

    /// Records the ticket for its case, once: a second send (or a retry after a crash between the case and this row)
    /// finds the row there and changes nothing. Answers the row as stored.
    public func record(_ row: HotlineTicketRow) async throws -> HotlineTicketRow {
        if let existing = try await ticket(number: row.ticketNumber) { return existing }
        do {
            try await sql.insert(into: "hotline_tickets").model(row, with: Self.encoder).run()
        } catch {
            // Another request stored it first (the unique ticket number).
            if let existing = try await ticket(number: row.ticketNumber) { return existing }
            throw error
        }
        return row
    }

    /// Queues a step for the ticket, once per step (a step queued again is left as it is); due at once.
    @discardableResult
    public func enqueue(_ message: HotlineMessage, ticket: HotlineTicketRow, at now: Date) async throws -> HotlinePushRow {
        try await Self.enqueue(message, ticket: ticket, at: now, on: sql)
    }

    /// The same, on the connection of a transaction (a case change and its step commit together).
    @discardableResult
    public static func enqueue(_ message: HotlineMessage, ticket: HotlineTicketRow, at now: Date, on sql: any SQLDatabase) async throws -> HotlinePushRow {
        let existing = try await sql.select().column("*").from("hotline_pushes").where("ticket_id", .equal, ticket.id).orderBy("seq")
            .all(decoding: HotlinePushRow.self)
        if let same = existing.first(where: { $0.step == message.step.rawValue }) { return same }
        let body = String(decoding: try Self.messageEncoder.encode(message), as: UTF8.self)
        let row = HotlinePushRow(id: UUID(), ticketId: ticket.id, caseId: ticket.caseId, seq: (existing.map(\.seq).max() ?? 0) + 1,
                                 step: message.step.rawValue, body: body, createdAt: now, attempts: 0, nextAttemptAt: now,
                                 deliveredAt: nil, lastStatus: nil, lastError: nil)
        try await sql.insert(into: "hotline_pushes").model(row, with: Self.encoder).run()
        return row
    }

    public func pushes(ticketID: UUID) async throws -> [HotlinePushRow] {
        try await sql.select().column("*").from("hotline_pushes").where("ticket_id", .equal, ticketID).orderBy("seq").all(decoding: HotlinePushRow.self)
    }

    /// The pushes to try now: each ticket's first undelivered step, when it is due (a later step waits for it).
    public func due(now: Date, limit: Int = 200) async throws -> [HotlinePushRow] {
        let pending = try await sql.select().column("*").from("hotline_pushes").where("delivered_at", .is, SQLLiteral.null)
            .orderBy("ticket_id").orderBy("seq").limit(limit * 5).all(decoding: HotlinePushRow.self)
        var seen = Set<UUID>()
        var out: [HotlinePushRow] = []
        for push in pending where seen.insert(push.ticketId).inserted && push.nextAttemptAt <= now {
            out.append(push)
            if out.count == limit { break }
        }
        return out
    }

    public func delivered(_ push: HotlinePushRow, status: Int, at now: Date) async throws {
        try await sql.update("hotline_pushes").set("delivered_at", to: now).set("attempts", to: push.attempts + 1).set("last_status", to: status)
            .set("last_error", to: SQLLiteral.null).where("id", .equal, push.id).run()
    }

    /// The hotline failed or could not be reached; the next try waits `FeedPush.backoff`, as the feeds' webhooks do.
    public func failed(_ push: HotlinePushRow, status: Int?, error: String, at now: Date) async throws {
        let attempts = push.attempts + 1
        try await sql.update("hotline_pushes").set("attempts", to: attempts)
            .set("next_attempt_at", to: now.addingTimeInterval(FeedPush.backoff(afterFailures: attempts)))
            .set("last_status", to: status.map { SQLBind($0) as any SQLExpression } ?? SQLLiteral.null)
            .set("last_error", to: String(error.prefix(500))).where("id", .equal, push.id).run()
    }
}
