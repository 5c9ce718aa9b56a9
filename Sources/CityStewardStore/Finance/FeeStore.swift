import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// A property-fee bill of one household for one month.
public struct FeeBill: Sendable, Equatable, Codable {
    public var id: UUID
    public var villageId: UUID
    public var streetId: UUID
    public var buildingCode: String
    public var unit: String
    public var month: String
    public var amountFen: Int
    public var paidFen: Int
    public var issuedAt: Date

    public var outstandingFen: Int { amountFen - paidFen }

    enum CodingKeys: String, CodingKey {
        case id, unit, month
        case villageId = "village_id", streetId = "street_id", buildingCode = "building_code", amountFen = "amount_fen", paidFen = "paid_fen", issuedAt = "issued_at"
    }
}

/// Property fees (物业管理费): a schedule per village (fen per household and month, from a month on), bills for the
/// households living there in a month (a household = a building and unit with a current resident), payments
/// against bills; each payment is property-fee income in the ledger of the month it was paid.
public struct FeeStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    public func setSchedule(villageID: UUID, from month: LedgerMonth, fenPerHousehold: Int, by: String, at now: Date) async throws {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            try await sql.delete(from: "fee_schedules").where("village_id", .equal, villageID).where("from_month", .equal, month.description).run()
            try await sql.insert(into: "fee_schedules").columns("village_id", "from_month", "fen_per_household", "changed_by", "changed_at")
                .values(SQLBind(villageID), SQLBind(month.description), SQLBind(fenPerHousehold), SQLBind(by), SQLBind(now)).run()
        }
    }

    /// (from month, fen per household), oldest first.
    public func schedule(villageID: UUID) async throws -> [(from: String, fen: Int)] {
        try await sql.select().column("from_month").column("fen_per_household").from("fee_schedules").where("village_id", .equal, villageID)
            .orderBy("from_month").all().map { (try $0.decode(column: "from_month", as: String.self), try $0.decode(column: "fen_per_household", as: Int.self)) }
    }

    /// Bills every household of the village for the month at the schedule in force; households billed already are
    /// skipped, so issuing twice changes nothing. Returns the bills made now.
    public func issue(village: Area, streetID: UUID, month: LedgerMonth, at now: Date) async throws -> Int {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            try await FinanceStore.requireOpen(sql, streetID: streetID, months: [month.description])
            let schedule = try await sql.select().column("fen_per_household").from("fee_schedules").where("village_id", .equal, village.id)
                .where("from_month", .lessThanOrEqual, month.description).orderBy("from_month", .descending).limit(1)
                .first(decodingColumn: "fen_per_household", as: Int.self)
            guard let fen = schedule else {
                throw DomainError.conflict(zh: "\(village.name)在 \(month) 没有物业费标准，请先设置", en: "\(village.name) has no fee schedule for \(month); set one first")
            }
            let path = Area.encodePath(village.path)
            let first = month.description + "-01", next = month.next.description + "-01"
            let households = try await sql.raw("""
                SELECT DISTINCT building_code, unit FROM residents
                WHERE area_path >= \(bind: path) AND area_path < \(bind: path + "\u{FFFF}")
                  AND move_in < \(bind: next) AND (move_out IS NULL OR move_out >= \(bind: first))
                ORDER BY building_code, unit
                """).all().map { (try $0.decode(column: "building_code", as: String.self), try $0.decode(column: "unit", as: String.self)) }
            let billed = Set(try await sql.select().column("building_code").column("unit").from("fee_bills").where("village_id", .equal, village.id)
                .where("month", .equal, month.description).all().map { try $0.decode(column: "building_code", as: String.self) + "/" + $0.decode(column: "unit", as: String.self) })
            var made = 0
            for (building, unit) in households where !billed.contains(building + "/" + unit) {
                let bill = FeeBill(id: UUID(), villageId: village.id, streetId: streetID, buildingCode: building, unit: unit, month: month.description,
                                   amountFen: fen, paidFen: 0, issuedAt: now)
                try await sql.insert(into: "fee_bills").model(bill, with: CaseStore.encoder).run()
                made += 1
            }
            return made
        }
    }

    public func bills(villageIDs: [UUID], month: String? = nil, unpaidOnly: Bool = false, limit: Int = 500) async throws -> [FeeBill] {
        guard !villageIDs.isEmpty else { return [] }
        let q = sql.select().column("*").from("fee_bills").where("village_id", .in, villageIDs)
        if let month { q.where("month", .equal, month) }
        if unpaidOnly { q.where(SQLColumn("paid_fen"), .lessThan, SQLColumn("amount_fen")) }
        return try await q.orderBy("month", .descending).orderBy("building_code").orderBy("unit").limit(limit).all(decoding: FeeBill.self)
    }

    public func bill(_ id: UUID) async throws -> FeeBill? {
        try await sql.select().column("*").from("fee_bills").where("id", .equal, id).first(decoding: FeeBill.self)
    }

    /// Billed, paid and outstanding over the villages (every month).
    public func totals(villageIDs: [UUID]) async throws -> (billed: Int, paid: Int, households: Int) {
        guard !villageIDs.isEmpty else { return (0, 0, 0) }
        let row = try await sql.raw("""
            SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS billed, CAST(COALESCE(SUM(paid_fen), 0) AS BIGINT) AS paid,
                   COUNT(DISTINCT CASE WHEN paid_fen < amount_fen THEN building_code || '/' || unit END) AS owing
            FROM fee_bills WHERE village_id IN (\(binds: villageIDs))
            """).first()
        return (try row?.decode(column: "billed", as: Int.self) ?? 0, try row?.decode(column: "paid", as: Int.self) ?? 0, try row?.decode(column: "owing", as: Int.self) ?? 0)
    }

    /// Records a payment (no more than what is outstanding) and its ledger income, in one transaction.
    public func pay(_ billID: UUID, amountFen: Int, paidOn: LocalDate, method: String, by: String, at now: Date) async throws -> FeeBill {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            guard var bill = try await sql.select().column("*").from("fee_bills").where("id", .equal, billID).first(decoding: FeeBill.self) else {
                throw DomainError.notFound(zh: "没有这张账单", en: "no such bill")
            }
            guard amountFen > 0, amountFen <= bill.outstandingFen else {
                throw DomainError.invalid("amountFen", zh: "缴费金额应在 0.01 与欠费 \(Money.yuan(bill.outstandingFen)) 元之间",
                                          en: "a payment is between ¥0.01 and the ¥\(Money.yuan(bill.outstandingFen)) outstanding")
            }
            let month = LedgerMonth(paidOn)
            try await FinanceStore.requireOpen(sql, streetID: bill.streetId, months: [month.description])
            let paymentID = UUID()
            try await sql.insert(into: "fee_payments").columns("id", "bill_id", "amount_fen", "paid_on", "method", "recorded_by", "recorded_at")
                .values(SQLBind(paymentID), SQLBind(billID), SQLBind(amountFen), SQLBind(paidOn.description), SQLBind(method), SQLBind(by), SQLBind(now)).run()
            try await sql.update("fee_bills").set("paid_fen", to: bill.paidFen + amountFen).where("id", .equal, billID).where("paid_fen", .equal, bill.paidFen).run()
            try await FinanceStore.insertEntry(sql, villageID: bill.villageId, streetID: bill.streetId,
                                               entry: LedgerEntry(month: month, direction: .income, category: IncomeSource.propertyFee.rawValue, amountFen: amountFen),
                                               reference: "fee-payment:\(paymentID.uuidString.lowercased())",
                                               memo: "\(bill.buildingCode) \(bill.unit) \(bill.month)", by: by, at: now)
            bill.paidFen += amountFen
            return bill
        }
    }
}

/// A stored subsidy request with its decision.
public struct SubsidyRecord: Sendable, Equatable, Codable {
    public var id: UUID
    public var kind: String
    public var villageId: UUID
    public var streetId: UUID
    public var title: String
    public var reason: String
    public var amountFen: Int
    public var serviceYear: Int?
    public var state: String
    public var requestedBy: String
    public var requestedAt: Date
    public var decidedBy: String?
    public var decidedAt: Date?
    public var decisionNote: String?
    public var approvedFen: Int?

    public init(id: UUID, kind: String, villageId: UUID, streetId: UUID, title: String, reason: String, amountFen: Int, serviceYear: Int?, state: String,
                requestedBy: String, requestedAt: Date, decidedBy: String?, decidedAt: Date?, decisionNote: String?, approvedFen: Int?) {
        self.id = id
        self.kind = kind
        self.villageId = villageId
        self.streetId = streetId
        self.title = title
        self.reason = reason
        self.amountFen = amountFen
        self.serviceYear = serviceYear
        self.state = state
        self.requestedBy = requestedBy
        self.requestedAt = requestedAt
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
        self.decisionNote = decisionNote
        self.approvedFen = approvedFen
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, title, reason, state
        case villageId = "village_id", streetId = "street_id", amountFen = "amount_fen", serviceYear = "service_year", requestedBy = "requested_by"
        case requestedAt = "requested_at", decidedBy = "decided_by", decidedAt = "decided_at", decisionNote = "decision_note", approvedFen = "approved_fen"
    }
}

public struct SubsidyStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    public static let notFound = DomainError.notFound(zh: "没有这项补贴申请", en: "no such subsidy request")

    public func request(_ r: SubsidyRecord) async throws {
        if r.kind == SubsidyKind.introduction.rawValue, let year = r.serviceYear {
            let existing = try await sql.select().column("id").from("subsidies").where("kind", .equal, r.kind).where("village_id", .equal, r.villageId)
                .where("service_year", .equal, year).where("state", .notEqual, SubsidyState.rejected.rawValue).first()
            if existing != nil {
                throw DomainError.conflict(zh: "该村第 \(year) 服务年度的引入服务补贴已申请", en: "the introduction subsidy for service year \(year) is already requested")
            }
        }
        try await sql.insert(into: "subsidies").model(r, with: SQLQueryEncoder(nilEncodingStrategy: .asNil)).run()
    }

    public func list(villageIDs: [UUID], state: SubsidyState? = nil) async throws -> [SubsidyRecord] {
        guard !villageIDs.isEmpty else { return [] }
        let q = sql.select().column("*").from("subsidies").where("village_id", .in, villageIDs)
        if let state { q.where("state", .equal, state.rawValue) }
        return try await q.orderBy("requested_at", .descending).all(decoding: SubsidyRecord.self)
    }

    public func find(_ id: UUID) async throws -> SubsidyRecord? {
        try await sql.select().column("*").from("subsidies").where("id", .equal, id).first(decoding: SubsidyRecord.self)
    }

    /// Decides a request still open; an approval is income in the ledger of the decision's month. One transaction.
    public func decide(_ id: UUID, approve: Bool, approvedFen: Int?, note: String, by: String, at now: Date) async throws -> SubsidyRecord {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            guard var r = try await sql.select().column("*").from("subsidies").where("id", .equal, id).first(decoding: SubsidyRecord.self) else { throw Self.notFound }
            guard r.state == SubsidyState.requested.rawValue else {
                throw DomainError.conflict(zh: "该申请已审批", en: "this request has been decided already")
            }
            let month = LedgerMonth(LocalDate.beijing(now))
            r.state = approve ? SubsidyState.approved.rawValue : SubsidyState.rejected.rawValue
            r.decidedBy = by
            r.decidedAt = now
            r.decisionNote = note
            r.approvedFen = approve ? (approvedFen ?? r.amountFen) : nil
            if approve { try await FinanceStore.requireOpen(sql, streetID: r.streetId, months: [month.description]) }
            try await sql.update("subsidies").set("state", to: r.state).set("decided_by", to: by).set("decided_at", to: now).set("decision_note", to: note)
                .set("approved_fen", to: r.approvedFen.map { SQLBind($0) as any SQLExpression } ?? SQLLiteral.null)
                .where("id", .equal, id).where("state", .equal, SubsidyState.requested.rawValue).run()
            if approve, let fen = r.approvedFen, fen > 0 {
                let source = (SubsidyKind(rawValue: r.kind) ?? .policy).source
                try await FinanceStore.insertEntry(sql, villageID: r.villageId, streetID: r.streetId,
                                                   entry: LedgerEntry(month: month, direction: .income, category: source.rawValue, amountFen: fen),
                                                   reference: "subsidy:\(id.uuidString.lowercased())", memo: r.title, by: by, at: now)
            }
            return r
        }
    }
}
