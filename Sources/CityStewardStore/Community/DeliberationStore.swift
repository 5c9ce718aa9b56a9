import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// A deliberation item as stored.
struct DeliberationRow: Codable, Sendable {
    var id: UUID
    var number: String
    var title: String
    var description: String
    var areaId: UUID
    var areaPath: String
    var source: String
    var state: String
    var microProject: Bool
    var budgetFen: Int?
    var spentFen: Int?
    var raisedBy: UUID?
    var residentNameSealed: String?
    var residentNameMasked: String?
    var residentPhoneSealed: String?
    var residentPhoneMasked: String?
    var receiptHash: String?
    var createdAt: Date
    var updatedAt: Date
    var meetingAt: Date?
    var meetingPlace: String?
    var parties: String
    var opinions: String
    var decision: String?
    var carriedOutBy: UUID?
    var dueDate: String?
    var caseId: UUID?
    var caseNumber: String?
    var outcome: String?
    var declineReason: String?

    enum CodingKeys: String, CodingKey {
        case id, number, title, description, source, state, parties, opinions, decision, outcome
        case areaId = "area_id", areaPath = "area_path", microProject = "micro_project", budgetFen = "budget_fen", spentFen = "spent_fen"
        case raisedBy = "raised_by", residentNameSealed = "resident_name_sealed", residentNameMasked = "resident_name_masked"
        case residentPhoneSealed = "resident_phone_sealed", residentPhoneMasked = "resident_phone_masked", receiptHash = "receipt_hash"
        case createdAt = "created_at", updatedAt = "updated_at", meetingAt = "meeting_at", meetingPlace = "meeting_place"
        case carriedOutBy = "carried_out_by", dueDate = "due_date", caseId = "case_id", caseNumber = "case_number", declineReason = "decline_reason"
    }

    var item: DeliberationItem? {
        guard let source = DeliberationSource(rawValue: source), let state = DeliberationState(rawValue: state) else { return nil }
        let parties = (try? JSONDecoder().decode([String].self, from: Data(self.parties.utf8))) ?? []
        let opinions = (try? JSONDecoder().decode([DeliberationOpinion].self, from: Data(self.opinions.utf8))) ?? []
        return DeliberationItem(id: id, number: number, title: title, description: description, areaID: areaId, source: source, state: state,
                                microProject: microProject, budgetFen: budgetFen, spentFen: spentFen, raisedBy: raisedBy, residentName: residentNameMasked,
                                residentPhone: residentPhoneMasked, createdAt: createdAt, meetingAt: meetingAt, meetingPlace: meetingPlace, parties: parties,
                                opinions: opinions, decision: decision, carriedOutBy: carriedOutBy, dueDate: dueDate.flatMap(LocalDate.init), caseID: caseId,
                                caseNumber: caseNumber, outcome: outcome, declineReason: declineReason, updatedAt: updatedAt)
    }

    static func json<T: Encodable>(_ value: T) -> String { String(decoding: (try? JSONEncoder().encode(value)) ?? Data("[]".utf8), as: UTF8.self) }
}

/// Deliberation items and their history.
public struct DeliberationStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    public static let notFound = DomainError.notFound(zh: "没有这个议题", en: "no such deliberation item")
    static let encoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)
    static let decoder = SQLRowDecoder()

    /// A resident's contact, sealed by the caller.
    public struct ResidentContact: Sendable {
        public var nameSealed: String?
        public var nameMasked: String?
        public var phoneSealed: String?
        public var phoneMasked: String?
        public var receiptHash: String

        public init(nameSealed: String?, nameMasked: String?, phoneSealed: String?, phoneMasked: String?, receiptHash: String) {
            (self.nameSealed, self.nameMasked, self.phoneSealed, self.phoneMasked, self.receiptHash) = (nameSealed, nameMasked, phoneSealed, phoneMasked, receiptHash)
        }
    }

    /// A new item numbered `YS-<year>-<nnnn>` (its village's year), with its first history row; `also` runs last in the
    /// transaction (an audit row). A number taken by a concurrent writer is tried again.
    public func create(_ raise: DeliberationRaise, area: UUID, path: [UUID], by user: UUID?, actorName: String, contact: ResidentContact?, at now: Date,
                       also: (@Sendable (any Database, DeliberationItem) async throws -> Void)? = nil) async throws -> DeliberationItem {
        var attempt = 0
        while true {
            do {
                return try await db.writeTransaction { tx in
                    let sql = tx as! any SQLDatabase
                    let prefix = "YS-\(LocalDate.beijing(now).year)-"
                    let taken = try await sql.select().column("number").from("deliberation_items").where("number", .like, prefix + "%").all()
                        .compactMap { Int(try $0.decode(column: "number", as: String.self).dropFirst(prefix.count)) }
                    let n = (taken.max() ?? 0) + 1
                    let number = prefix + String(repeating: "0", count: max(0, 4 - String(n).count)) + String(n)
                    let row = DeliberationRow(id: UUID(), number: number, title: raise.title, description: raise.description, areaId: area,
                                              areaPath: Area.encodePath(path), source: raise.source.rawValue, state: DeliberationState.raised.rawValue,
                                              microProject: raise.microProject, budgetFen: raise.budgetFen, spentFen: nil, raisedBy: user,
                                              residentNameSealed: contact?.nameSealed, residentNameMasked: contact?.nameMasked,
                                              residentPhoneSealed: contact?.phoneSealed, residentPhoneMasked: contact?.phoneMasked, receiptHash: contact?.receiptHash,
                                              createdAt: now, updatedAt: now, meetingAt: nil, meetingPlace: nil, parties: "[]", opinions: "[]", decision: nil,
                                              carriedOutBy: nil, dueDate: nil, caseId: nil, caseNumber: nil, outcome: nil, declineReason: nil)
                    try await sql.insert(into: "deliberation_items").model(row, with: Self.encoder).run()
                    try await Self.event(sql, row.id, seq: 1, action: "raise", from: nil, to: .raised, actor: user, actorName: actorName, at: now, detail: raise.title)
                    let item = row.item!
                    try await also?(tx, item)
                    return item
                }
            } catch {
                attempt += 1
                guard attempt < 3, "\(error)".localizedCaseInsensitiveContains("unique") || "\(error)".contains("23505") else { throw error }
            }
        }
    }

    static func event(_ sql: any SQLDatabase, _ id: UUID, seq: Int, action: String, from: DeliberationState?, to: DeliberationState, actor: UUID?,
                      actorName: String, at: Date, detail: String) async throws {
        try await sql.insert(into: "deliberation_events").columns("item_id", "seq", "action", "from_state", "to_state", "actor_id", "actor_name", "at", "detail")
            .values(SQLBind(id), SQLBind(seq), SQLBind(action), SQLBind(from?.rawValue), SQLBind(to.rawValue), SQLBind(actor), SQLBind(actorName), SQLBind(at),
                    SQLBind(detail)).run()
    }

    private func items(_ query: SQLSelectBuilder) async throws -> [DeliberationItem] {
        try await query.all(decoding: DeliberationRow.self, with: Self.decoder).compactMap(\.item)
    }

    public func find(_ id: UUID) async throws -> DeliberationItem? {
        try await items(sql.select().column("*").from("deliberation_items").where("id", .equal, id)).first
    }

    public func find(receiptHash: String) async throws -> DeliberationItem? {
        try await items(sql.select().column("*").from("deliberation_items").where("receipt_hash", .equal, receiptHash)).first
    }

    /// The console's list: items in a village under one of `prefixes` (nil: everywhere) or carried out by `org`, newest first.
    public func list(under prefixes: [String]?, org: UUID?, state: DeliberationState? = nil, village: UUID? = nil, limit: Int = 200) async throws -> [DeliberationItem] {
        let query = sql.select().column("*").from("deliberation_items")
        if let prefixes {
            query.where { group in
                for p in prefixes { group.orWhere { CaseStore.subtree($0, p) } }
                if let org { group.orWhere("carried_out_by", .equal, org) }
                group.orWhere(SQLLiteral.boolean(false))
                return group
            }
        }
        if let state { query.where("state", .equal, state.rawValue) }
        if let village { query.where("area_id", .equal, village) }
        return try await items(query.orderBy("created_at", .descending).limit(limit))
    }

    /// What a village's page shows: its items past `raised`, latest changed first.
    public func shown(village: UUID, limit: Int = 10) async throws -> [DeliberationItem] {
        try await items(sql.select().column("*").from("deliberation_items").where("area_id", .equal, village)
            .where("state", .notEqual, DeliberationState.raised.rawValue).orderBy("updated_at", .descending).limit(limit))
    }

    public struct Event: Sendable, Equatable {
        public var seq: Int
        public var action: String
        public var to: DeliberationState
        public var actorName: String
        public var at: Date
        public var detail: String
    }

    public func history(_ id: UUID) async throws -> [Event] {
        try await sql.select().column("*").from("deliberation_events").where("item_id", .equal, id).orderBy("seq").all().map { r in
            Event(seq: try r.decode(column: "seq", as: Int.self), action: try r.decode(column: "action", as: String.self),
                  to: DeliberationState(rawValue: try r.decode(column: "to_state", as: String.self)) ?? .raised,
                  actorName: try r.decode(column: "actor_name", as: String.self), at: try r.decode(column: "at", as: Date.self),
                  detail: try r.decode(column: "detail", as: String.self))
        }
    }

    /// Writes a step's change if the item is still in the state it was read in (else false: someone acted first), with
    /// its history row and the case the decision became; `also` runs last in the transaction (an audit row).
    public func apply(_ change: DeliberationChange, from before: DeliberationItem, action: String, actor: UUID?, actorName: String, at now: Date,
                      madeCase: (id: UUID, number: String)? = nil, also: (@Sendable (any Database) async throws -> Void)? = nil) async throws -> Bool {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            let i = change.item
            let update = sql.update("deliberation_items").set("state", to: i.state.rawValue).set("updated_at", to: now)
                .set("meeting_at", to: i.meetingAt).set("meeting_place", to: i.meetingPlace).set("parties", to: DeliberationRow.json(i.parties))
                .set("opinions", to: DeliberationRow.json(i.opinions)).set("decision", to: i.decision).set("carried_out_by", to: i.carriedOutBy)
                .set("due_date", to: i.dueDate?.description).set("outcome", to: i.outcome).set("decline_reason", to: i.declineReason)
                .set("budget_fen", to: i.budgetFen).set("spent_fen", to: i.spentFen)
            if let madeCase { update.set("case_id", to: madeCase.id).set("case_number", to: madeCase.number) }
            let done = try await update.where("id", .equal, i.id).where("state", .equal, before.state.rawValue).returning("id").all()
            guard !done.isEmpty else { return false }
            let seq = try await sql.select().column(SQLFunction("MAX", args: SQLColumn("seq")), as: "m").from("deliberation_events").where("item_id", .equal, i.id)
                .first()?.decode(column: "m", as: Int?.self) ?? 0
            try await Self.event(sql, i.id, seq: seq + 1, action: action, from: before.state, to: i.state, actor: actor, actorName: actorName, at: now, detail: change.audit)
            try await also?(tx)
            return true
        }
    }
}
