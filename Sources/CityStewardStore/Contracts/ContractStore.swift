import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// One stored version of a contract.
public struct ContractRecord: Sendable, Equatable {
    public var id: UUID
    public var number: String
    public var version: Int
    public var state: ContractState
    public var streetID: UUID
    public var stewardID: UUID
    public var terms: ContractTerms
    public var terminatedOn: LocalDate?
    public var createdBy: String
    public var createdAt: Date
    public var updatedAt: Date

    /// What the rules of terms and bills (Core's `ContractRules`, `Billing`) look at.
    public var asVersion: ContractVersion {
        ContractVersion(id: id, number: number, version: version, state: state, terms: terms, terminatedOn: terminatedOn)
    }
}

public struct ContractEvent: Sendable, Equatable {
    public var seq: Int
    public var action: String
    public var from: ContractState?
    public var to: ContractState
    public var actorName: String
    public var at: Date
    public var note: String?
}

public struct ContractStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    public static let notFound = DomainError.notFound(zh: "没有这份合同", en: "no such contract")

    struct Row: Codable {
        var id: UUID
        var number: String
        var version: Int
        var state: String
        var streetId: UUID
        var stewardId: UUID
        var title: String
        var startDay: String
        var endDay: String
        var monthlyFen: Int
        var terms: String
        var terminatedOn: String?
        var createdBy: String
        var createdAt: Date
        var updatedAt: Date

        enum CodingKeys: String, CodingKey {
            case id, number, version, state, title, terms
            case streetId = "street_id", stewardId = "steward_id", startDay = "start_day", endDay = "end_day", monthlyFen = "monthly_fen"
            case terminatedOn = "terminated_on", createdBy = "created_by", createdAt = "created_at", updatedAt = "updated_at"
        }

        func record() throws -> ContractRecord {
            ContractRecord(id: id, number: number, version: version, state: ContractState(rawValue: state) ?? .draft, streetID: streetId, stewardID: stewardId,
                           terms: try JSONDecoder().decode(ContractTerms.self, from: Data(terms.utf8)), terminatedOn: terminatedOn.flatMap(LocalDate.init),
                           createdBy: createdBy, createdAt: createdAt, updatedAt: updatedAt)
        }
    }

    static func encode(_ t: ContractTerms) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return String(decoding: try e.encode(t), as: UTF8.self)
    }

    // MARK: Catalog prices

    public func prices() async throws -> [CatalogPrice] {
        try await sql.select().column("*").from("matter_prices").orderBy("matter_code").all().map {
            CatalogPrice(matterCode: try $0.decode(column: "matter_code", as: String.self), unit: try $0.decode(column: "unit", as: String.self),
                         benchmarkFen: try $0.decode(column: "benchmark_fen", as: Int.self))
        }
    }

    public func setPrice(_ p: CatalogPrice, by: String, at now: Date) async throws {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            try await sql.delete(from: "matter_prices").where("matter_code", .equal, p.matterCode).run()
            try await sql.insert(into: "matter_prices").columns("matter_code", "unit", "benchmark_fen", "changed_by", "changed_at")
                .values(SQLBind(p.matterCode), SQLBind(p.unit), SQLBind(p.benchmarkFen), SQLBind(by), SQLBind(now)).run()
        }
    }

    // MARK: Reading

    func scoped(_ q: SQLSelectBuilder, _ scope: ContractScope) -> Bool {
        switch scope {
        case .all: return true
        case .nothing: return false
        case .streets(let ids):
            guard !ids.isEmpty else { return false }
            q.where("street_id", .in, ids)
        case .steward(let id): q.where("steward_id", .equal, id)
        }
        return true
    }

    /// The newest version of every contract in scope, newest contracts first.
    public func list(scope: ContractScope) async throws -> [ContractRecord] {
        let q = sql.select().column("*").from("contracts")
        guard scoped(q, scope) else { return [] }
        let rows = try await q.orderBy("number").orderBy("version", .descending).all(decoding: Row.self)
        // A contract is listed as its latest version that was not withdrawn (a dropped amendment leaves the one in force).
        var chosen: [String: Row] = [:]
        for row in rows {
            guard let held = chosen[row.number] else { chosen[row.number] = row; continue }
            if held.state == ContractState.withdrawn.rawValue, row.state != ContractState.withdrawn.rawValue { chosen[row.number] = row }
        }
        return try chosen.values.map { try $0.record() }.sorted { ($0.terms.start, $0.number) > ($1.terms.start, $1.number) }
    }

    public func find(_ id: UUID, scope: ContractScope) async throws -> ContractRecord {
        let q = sql.select().column("*").from("contracts").where("id", .equal, id)
        guard scoped(q, scope), let row = try await q.first(decoding: Row.self) else { throw Self.notFound }
        return try row.record()
    }

    public func versions(number: String) async throws -> [ContractRecord] {
        try await sql.select().column("*").from("contracts").where("number", .equal, number).orderBy("version").all(decoding: Row.self).map { try $0.record() }
    }

    public func events(_ id: UUID) async throws -> [ContractEvent] {
        try await sql.select().column("*").from("contract_events").where("contract_id", .equal, id).orderBy("seq").all().map { r in
            ContractEvent(seq: try r.decode(column: "seq", as: Int.self), action: try r.decode(column: "action", as: String.self),
                          from: try r.decodeNil(column: "from_state") ? nil : ContractState(rawValue: try r.decode(column: "from_state", as: String.self)),
                          to: ContractState(rawValue: try r.decode(column: "to_state", as: String.self)) ?? .draft,
                          actorName: try r.decode(column: "actor_name", as: String.self), at: try r.decode(column: "at", as: Date.self),
                          note: try r.decodeNil(column: "note") ? nil : try r.decode(column: "note", as: String.self))
        }
    }

    // MARK: Writing

    /// The next number of a street's contracts: `HT-<street code>-<year>-<nnn>`.
    func nextNumber(_ sql: any SQLDatabase, streetCode: String, year: Int) async throws -> String {
        let prefix = "HT-\(streetCode)-\(year)-"
        let numbers = try await sql.select().column("number").from("contracts").where("number", .like, prefix + "%").all()
            .compactMap { Int(try $0.decode(column: "number", as: String.self).dropFirst(prefix.count)) }
        let n = (numbers.max() ?? 0) + 1
        return prefix + String(repeating: "0", count: max(0, 3 - String(n).count)) + String(n)
    }

    /// A new contract, in draft.
    public func create(_ terms: ContractTerms, streetID: UUID, streetCode: String, stewardID: UUID, by: String, at now: Date) async throws -> ContractRecord {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            let number = try await nextNumber(sql, streetCode: streetCode, year: terms.start.year)
            let row = Row(id: UUID(), number: number, version: 1, state: ContractState.draft.rawValue, streetId: streetID, stewardId: stewardID,
                          title: terms.title, startDay: terms.start.description, endDay: terms.end.description, monthlyFen: terms.monthlyFen,
                          terms: try Self.encode(terms), terminatedOn: nil, createdBy: by, createdAt: now, updatedAt: now)
            try await sql.insert(into: "contracts").model(row, with: CaseStore.encoder).run()
            try await Self.event(sql, row.id, action: "create", from: nil, to: .draft, by: by, at: now, note: nil)
            return try row.record()
        }
    }

    /// Changes a draft's terms.
    public func update(_ id: UUID, terms: ContractTerms, by: String, at now: Date) async throws -> ContractRecord {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            guard let row = try await sql.select().column("*").from("contracts").where("id", .equal, id).first(decoding: Row.self) else { throw Self.notFound }
            if let refusal = ContractRules.editRefusal(state: try row.record().state) { throw DomainError.conflict(refusal) }
            try await sql.update("contracts").set("terms", to: try Self.encode(terms)).set("title", to: terms.title)
                .set("start_day", to: terms.start.description).set("end_day", to: terms.end.description).set("monthly_fen", to: terms.monthlyFen)
                .set("updated_at", to: now).where("id", .equal, id).run()
            try await Self.event(sql, id, action: "edit", from: .draft, to: .draft, by: by, at: now, note: nil)
            var r = try row.record()
            r.terms = terms
            r.updatedAt = now
            return r
        }
    }

    static func event(_ sql: any SQLDatabase, _ id: UUID, action: String, from: ContractState?, to: ContractState, by: String, actorID: UUID? = nil,
                      at: Date, note: String?) async throws {
        let last = try await sql.select().column(SQLFunction("MAX", args: SQLColumn("seq")), as: "m").from("contract_events").where("contract_id", .equal, id)
            .first(decodingColumn: "m", as: Int?.self) ?? nil
        try await sql.insert(into: "contract_events").columns("contract_id", "seq", "action", "from_state", "to_state", "actor_name", "at", "note", "actor_id")
            .values(SQLBind(id), SQLBind((last ?? 0) + 1), SQLBind(action), from.map { SQLBind($0.rawValue) as any SQLExpression } ?? SQLLiteral.null,
                    SQLBind(to.rawValue), SQLBind(by), SQLBind(at), note.map { SQLBind($0) as any SQLExpression } ?? SQLLiteral.null,
                    actorID.map { SQLBind($0) as any SQLExpression } ?? SQLLiteral.null).run()
    }

    /// The signatures a version has gathered since it was last submitted.
    static func signatures(_ sql: any SQLDatabase, _ id: UUID) async throws -> ContractSignatures {
        let rows = try await sql.select().columns("seq", "action", "actor_id").from("contract_events").where("contract_id", .equal, id).orderBy("seq").all()
        var result = ContractSignatures(submittedBy: nil, countersignedBy: nil, countersigned: false)
        for r in rows {
            let action = try r.decode(column: "action", as: String.self)
            let actor = try r.decode(column: "actor_id", as: UUID?.self)
            if action == ContractAction.submit.rawValue { result = ContractSignatures(submittedBy: actor, countersignedBy: nil, countersigned: false) }
            if action == ContractAction.countersign.rawValue { result.countersigned = true; result.countersignedBy = actor }
        }
        return result
    }

    public func signatures(_ id: UUID) async throws -> ContractSignatures {
        try await Self.signatures(sql, id)
    }

    /// The contracts whose stored term overlaps `r`'s and whose state claims it (the rule itself is Core's).
    func claimsOverlapping(_ sql: any SQLDatabase, _ r: ContractRecord) async throws -> [ContractVersion] {
        try await sql.select().column("*").from("contracts").where("number", .notEqual, r.number)
            .where("state", .in, ContractState.allCases.filter(\.claimsTerm).map(\.rawValue))
            .where("start_day", .lessThanOrEqual, r.terms.end.description).where("end_day", .greaterThanOrEqual, r.terms.start.description)
            .all(decoding: Row.self).map { try $0.record().asVersion }
    }

    /// Moves a version along its life. Activation creates its entrusted-matter rows (so routing follows the contract
    /// from its start day); an activated amendment supersedes the version before it, whose rows end where the
    /// amendment starts; termination ends the rows on its date. All in one transaction.
    public func perform(_ action: ContractAction, on id: UUID, areaIDs: [String: UUID], today: LocalDate, terminationDate: LocalDate?,
                        note: String?, by: String, actorID: UUID? = nil, at now: Date) async throws -> ContractRecord {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            guard let row = try await sql.select().column("*").from("contracts").where("id", .equal, id).first(decoding: Row.self) else { throw Self.notFound }
            var r = try row.record()
            if let refusal = action.refusal(r.terms, state: r.state, today: today, terminationDate: terminationDate) {
                throw DomainError.conflict(refusal)
            }
            if let refusal = try await Self.signatures(sql, id).refusal(action, by: actorID) { throw DomainError.conflict(refusal) }
            if action.to.claimsTerm, let other = ContractRules.overlap(of: r.asVersion, among: try await claimsOverlapping(sql, r)) {
                throw DomainError.conflict(ContractRules.overlapRefusal(r.asVersion, other))
            }
            let from = r.state
            switch action {
            case .activate:
                let previous = try await sql.select().column("*").from("contracts").where("number", .equal, r.number)
                    .where("state", .equal, ContractState.active.rawValue).all(decoding: Row.self)
                for p in previous {
                    try await sql.update("contracts").set("state", to: ContractState.superseded.rawValue).set("updated_at", to: now).where("id", .equal, p.id).run()
                    try await Self.event(sql, p.id, action: "supersede", from: .active, to: .superseded, by: by, at: now, note: "v\(r.version)")
                }
                try await Self.endEntrustments(sql, contract: r.number, on: r.terms.start.beijingMidnight)
                for code in r.terms.areas {
                    guard let areaID = areaIDs[code] else {
                        throw DomainError.invalid("areas", zh: "区域 \(code) 不存在", en: "area \(code) does not exist")
                    }
                    for line in r.terms.lines {
                        try await sql.insert(into: "entrusted_matters")
                            .columns("id", "matter_code", "area_id", "steward_id", "valid_from", "valid_to", "contract_reference", "created_at", "time_limit_hours")
                            .values(SQLBind(UUID()), SQLBind(line.matterCode), SQLBind(areaID), SQLBind(r.stewardID), SQLBind(r.terms.start.beijingMidnight),
                                    SQLBind(r.terms.end.adding(days: 1).beijingMidnight), SQLBind(r.number), SQLBind(now), SQLBind(line.timeLimitHours)).run()
                    }
                }
            case .terminate:
                let date = terminationDate!
                try await Self.endEntrustments(sql, contract: r.number, on: date.beijingMidnight)
                try await sql.update("contracts").set("terminated_on", to: date.description).where("id", .equal, id).run()
                r.terminatedOn = date
            default: break
            }
            try await sql.update("contracts").set("state", to: action.to.rawValue).set("updated_at", to: now).where("id", .equal, id).run()
            try await Self.event(sql, id, action: action.rawValue, from: from, to: action.to, by: by, actorID: actorID, at: now,
                                 note: [note, terminationDate.map { "terminated on \($0)" }].compactMap { $0 }.joined(separator: "; ").nilIfEmpty)
            r.state = action.to
            r.updatedAt = now
            return r
        }
    }

    /// Entrusted rows of the contract still running at `instant` end there; rows not yet started are removed.
    static func endEntrustments(_ sql: any SQLDatabase, contract: String, on instant: Date) async throws {
        try await sql.delete(from: "entrusted_matters").where("contract_reference", .equal, contract).where("valid_from", .greaterThanOrEqual, instant).run()
        try await sql.update("entrusted_matters").set("valid_to", to: instant).where("contract_reference", .equal, contract)
            .where { $0.where("valid_to", .is, SQLLiteral.null).orWhere("valid_to", .greaterThan, instant) }.run()
    }

    /// An amendment: a new draft version with the active version's terms, to be changed and taken through review,
    /// signing and activation again. The history keeps every version.
    public func amend(_ id: UUID, by: String, at now: Date) async throws -> ContractRecord {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            guard let row = try await sql.select().column("*").from("contracts").where("id", .equal, id).first(decoding: Row.self) else { throw Self.notFound }
            let open = try await sql.select().column("id").from("contracts").where("number", .equal, row.number)
                .where("state", .in, [ContractState.draft.rawValue, ContractState.underReview.rawValue]).first()
            if let refusal = ContractRules.amendRefusal(state: try row.record().state, amendmentInProgress: open != nil) { throw DomainError.conflict(refusal) }
            let latest = try await sql.select().column(SQLFunction("MAX", args: SQLColumn("version")), as: "v").from("contracts")
                .where("number", .equal, row.number).first(decodingColumn: "v", as: Int.self) ?? row.version
            var copy = row
            copy.id = UUID()
            copy.version = latest + 1
            copy.state = ContractState.draft.rawValue
            copy.terminatedOn = nil
            copy.createdBy = by
            copy.createdAt = now
            copy.updatedAt = now
            try await sql.insert(into: "contracts").model(copy, with: CaseStore.encoder).run()
            try await Self.event(sql, copy.id, action: "amend", from: nil, to: .draft, by: by, at: now, note: "from v\(row.version)")
            return try copy.record()
        }
    }

    /// Active contracts whose term is over become expired (their entrusted rows already end with the term).
    @discardableResult
    public func expire(today: LocalDate, at now: Date) async throws -> Int {
        let due = try await sql.select().column("id").from("contracts").where("state", .equal, ContractState.active.rawValue)
            .where("end_day", .lessThan, today.description).all().map { try $0.decode(column: "id", as: UUID.self) }
        var expired = 0
        for id in due {
            // Every instance's sweeper runs this: only the one whose update still finds the contract active writes the event.
            let changed = try await sql.update("contracts").set("state", to: ContractState.expired.rawValue).set("updated_at", to: now)
                .where("id", .equal, id).where("state", .equal, ContractState.active.rawValue).returning("id").all()
            guard !changed.isEmpty else { continue }
            try await Self.event(sql, id, action: "expire", from: .active, to: .expired, by: "系统", at: now, note: nil)
            expired += 1
        }
        return expired
    }

    // MARK: Takeovers

    public func takeover(villageID: UUID) async throws -> VillageTakeover? {
        guard let r = try await sql.select().column("*").from("village_takeovers").where("village_id", .equal, villageID).first() else { return nil }
        return VillageTakeover(mode: TakeoverMode(rawValue: try r.decode(column: "mode", as: String.self)) ?? .fullTakeover,
                               since: LocalDate(try r.decode(column: "since", as: String.self)) ?? LocalDate(year: 2026, month: 1, day: 1),
                               formerCompany: try r.decodeNil(column: "former_company") ? nil : try r.decode(column: "former_company", as: String.self),
                               contracts: try JSONDecoder().decode([TakeoverContract].self, from: Data(try r.decode(column: "contracts", as: String.self).utf8)),
                               note: try r.decodeNil(column: "note") ? nil : try r.decode(column: "note", as: String.self))
    }

    public func setTakeover(_ t: VillageTakeover, villageID: UUID, by: String, at now: Date) async throws {
        let contracts = String(decoding: try JSONEncoder().encode(t.contracts), as: UTF8.self)
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            try await sql.delete(from: "village_takeovers").where("village_id", .equal, villageID).run()
            try await sql.insert(into: "village_takeovers").columns("village_id", "mode", "since", "former_company", "contracts", "note", "changed_by", "changed_at")
                .values(SQLBind(villageID), SQLBind(t.mode.rawValue), SQLBind(t.since.description),
                        t.formerCompany.map { SQLBind($0) as any SQLExpression } ?? SQLLiteral.null, SQLBind(contracts),
                        t.note.map { SQLBind($0) as any SQLExpression } ?? SQLLiteral.null, SQLBind(by), SQLBind(now)).run()
        }
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
