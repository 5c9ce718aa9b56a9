import CityStewardCore
import FluentKit
import Foundation
import SQLKit

struct MeetingRow: Codable, Sendable {
    var id: UUID
    var kind: String
    var title: String
    var areaId: UUID
    var convenedBy: UUID?
    var heldAt: Date
    var place: String
    var invited: String
    var agenda: String
    var state: String
    var attended: String
    var decisions: String
    var minutes: String?
    var minutedAt: Date?
    var createdBy: UUID?
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, kind, title, place, invited, agenda, state, attended, decisions, minutes
        case areaId = "area_id", convenedBy = "convened_by", heldAt = "held_at", minutedAt = "minuted_at", createdBy = "created_by", createdAt = "created_at"
    }

    static func json<T: Encodable>(_ v: T) -> String { String(decoding: (try? JSONEncoder().encode(v)) ?? Data("[]".utf8), as: UTF8.self) }
    static func decode<T: Decodable>(_ t: T.Type, _ s: String) -> T? { try? JSONDecoder().decode(t, from: Data(s.utf8)) }

    init(_ m: Meeting) {
        (id, kind, title, areaId, convenedBy, heldAt, place) = (m.id, m.kind.rawValue, m.title, m.areaID, m.convenedBy, m.heldAt, m.place)
        (invited, agenda, state, attended, decisions) = (Self.json(m.invited), Self.json(m.agenda), m.state.rawValue, Self.json(m.attended), Self.json(m.decisions))
        (minutes, minutedAt, createdBy, createdAt) = (m.minutes, m.minutedAt, m.createdBy, m.createdAt)
    }

    var meeting: Meeting? {
        guard let kind = MeetingKind(rawValue: kind), let state = MeetingState(rawValue: state) else { return nil }
        return Meeting(id: id, kind: kind, title: title, areaID: areaId, convenedBy: convenedBy, heldAt: heldAt, place: place,
                       invited: Self.decode([UUID].self, invited) ?? [], agenda: Self.decode([AgendaItem].self, agenda) ?? [], state: state,
                       attended: Self.decode([UUID].self, attended) ?? [], decisions: Self.decode([String].self, decisions) ?? [], minutes: minutes,
                       minutedAt: minutedAt, createdBy: createdBy, createdAt: createdAt)
    }
}

struct ActionItemRow: Codable, Sendable {
    var id: UUID
    var number: String
    var meetingId: UUID
    var title: String
    var ownerOrg: UUID
    var dueDate: String
    var escalation: Int
    var doneAt: Date?
    var doneBy: UUID?
    var doneNote: String?
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, number, title, escalation
        case meetingId = "meeting_id", ownerOrg = "owner_org", dueDate = "due_date", doneAt = "done_at", doneBy = "done_by", doneNote = "done_note", createdAt = "created_at"
    }

    func item(carried: Int) -> ActionItem? {
        guard let due = LocalDate(dueDate) else { return nil }
        return ActionItem(id: id, number: number, meetingID: meetingId, title: title, ownerOrg: ownerOrg, dueDate: due,
                          escalation: ActionEscalation(rawValue: escalation) ?? .none, doneAt: doneAt, doneNote: doneNote, createdAt: createdAt, carried: carried)
    }
}

/// Coordination meetings, their action items and the items carried from meeting to meeting.
public struct MeetingStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    public static let notFound = DomainError.notFound(zh: "没有这次会议", en: "no such meeting")
    public static let itemNotFound = DomainError.notFound(zh: "没有这项任务", en: "no such action item")
    static let encoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)
    static let decoder = SQLRowDecoder()

    /// A meeting planned, carrying forward every open action item of earlier meetings of the same kind and area.
    public func create(_ m: Meeting, also: (@Sendable (any Database) async throws -> Void)? = nil) async throws -> [UUID] {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            try await sql.insert(into: "meetings").model(MeetingRow(m), with: Self.encoder).run()
            let earlier = sql.select().column("id").from("meetings").where("kind", .equal, m.kind.rawValue).where("area_id", .equal, m.areaID)
                .where("held_at", .lessThan, m.heldAt).where("id", .notEqual, m.id)
            let open = try await sql.select().column("id").from("action_items").where(SQLIdentifier("meeting_id"), .in, SQLGroupExpression(earlier.query))
                .where("done_at", .is, SQLLiteral.null).all().map { try $0.decode(column: "id", as: UUID.self) }
            for id in open {
                try await sql.insert(into: "meeting_carried_items").columns("meeting_id", "action_item_id").values(SQLBind(m.id), SQLBind(id)).run()
            }
            try await also?(tx)
            return open
        }
    }

    private func meetings(_ q: SQLSelectBuilder) async throws -> [Meeting] {
        try await q.all(decoding: MeetingRow.self, with: Self.decoder).compactMap(\.meeting)
    }

    public func find(_ id: UUID) async throws -> Meeting? {
        try await meetings(sql.select().column("*").from("meetings").where("id", .equal, id)).first
    }

    /// Meetings latest first (the caller filters by who may see them).
    public func list(limit: Int = 200) async throws -> [Meeting] {
        try await meetings(sql.select().column("*").from("meetings").orderBy("held_at", .descending).limit(limit))
    }

    /// Records the minutes and numbers the new action items `DB-<year>-<nnnn>`; false when minuted already.
    public func minute(_ m: Meeting, _ minutes: MeetingMinutes, at now: Date, also: (@Sendable (any Database, [ActionItem]) async throws -> Void)? = nil) async throws -> Bool {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            let done = try await sql.update("meetings").set("state", to: MeetingState.minuted.rawValue).set("attended", to: MeetingRow.json(minutes.attended))
                .set("decisions", to: MeetingRow.json(minutes.decisions)).set("minutes", to: minutes.minutes).set("minuted_at", to: now)
                .where("id", .equal, m.id).where("state", .equal, MeetingState.planned.rawValue).returning("id").all()
            guard !done.isEmpty else { return false }
            let prefix = "DB-\(LocalDate.beijing(now).year)-"
            var n = try await sql.select().column("number").from("action_items").where("number", .like, prefix + "%").all()
                .compactMap { Int(try $0.decode(column: "number", as: String.self).dropFirst(prefix.count)) }.max() ?? 0
            var made: [ActionItem] = []
            for a in minutes.actions {
                n += 1
                let number = prefix + String(repeating: "0", count: max(0, 4 - String(n).count)) + String(n)
                let row = ActionItemRow(id: UUID(), number: number, meetingId: m.id, title: a.title, ownerOrg: a.owner, dueDate: a.due.description,
                                        escalation: ActionEscalation.none.rawValue, doneAt: nil, doneBy: nil, doneNote: nil, createdAt: now)
                try await sql.insert(into: "action_items").model(row, with: Self.encoder).run()
                made.append(row.item(carried: 0)!)
            }
            try await also?(tx, made)
            return true
        }
    }

    private func items(_ q: SQLSelectBuilder) async throws -> [ActionItem] {
        let rows = try await q.all(decoding: ActionItemRow.self, with: Self.decoder)
        guard !rows.isEmpty else { return [] }
        var carried: [UUID: Int] = [:]
        for r in try await sql.select().column("action_item_id").from("meeting_carried_items").where("action_item_id", .in, rows.map(\.id)).all() {
            carried[try r.decode(column: "action_item_id", as: UUID.self), default: 0] += 1
        }
        return rows.compactMap { $0.item(carried: carried[$0.id] ?? 0) }
    }

    public func item(_ id: UUID) async throws -> ActionItem? {
        try await items(sql.select().column("*").from("action_items").where("id", .equal, id)).first
    }

    /// A meeting's own action items, and the open ones carried to it.
    public func items(of meeting: UUID) async throws -> (own: [ActionItem], carried: [ActionItem]) {
        let own = try await items(sql.select().column("*").from("action_items").where("meeting_id", .equal, meeting).orderBy("number"))
        let ids = sql.select().column("action_item_id").from("meeting_carried_items").where("meeting_id", .equal, meeting)
        let carried = try await items(sql.select().column("*").from("action_items").where(SQLIdentifier("id"), .in, SQLGroupExpression(ids.query)).orderBy("number"))
        return (own, carried)
    }

    /// Action items, open first then by due date; of an owner, or all.
    public func items(owner: UUID? = nil, openOnly: Bool = false, limit: Int = 500) async throws -> [ActionItem] {
        let q = sql.select().column("*").from("action_items")
        if let owner { q.where("owner_org", .equal, owner) }
        if openOnly { q.where("done_at", .is, SQLLiteral.null) }
        return try await items(q.orderBy("due_date").limit(limit))
    }

    public func complete(_ id: UUID, by user: UUID?, note: String, at now: Date, also: (@Sendable (any Database) async throws -> Void)? = nil) async throws -> Bool {
        try await db.writeTransaction { tx in
            let done = try await (tx as! any SQLDatabase).update("action_items").set("done_at", to: now).set("done_by", to: user).set("done_note", to: note)
                .where("id", .equal, id).where("done_at", .is, SQLLiteral.null).returning("id").all()
            guard !done.isEmpty else { return false }
            try await also?(tx)
            return true
        }
    }

    /// Raises an open item's escalation (never lowers it); false when another pass did it first.
    public func escalate(_ id: UUID, from: ActionEscalation, to: ActionEscalation, also: (@Sendable (any Database) async throws -> Void)? = nil) async throws -> Bool {
        try await db.writeTransaction { tx in
            let done = try await (tx as! any SQLDatabase).update("action_items").set("escalation", to: to.rawValue)
                .where("id", .equal, id).where("escalation", .equal, from.rawValue).where("done_at", .is, SQLLiteral.null).returning("id").all()
            guard !done.isEmpty else { return false }
            try await also?(tx)
            return true
        }
    }
}
