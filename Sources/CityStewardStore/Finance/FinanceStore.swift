import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// A stored billing run.
public struct BillingRun: Sendable, Equatable {
    public var id: UUID
    public var contractID: UUID
    public var contractNumber: String
    public var streetID: UUID
    public var period: BillingPeriod
    public var statement: BillingStatement
    public var facts: BillingFacts
    public var runBy: String
    public var runAt: Date
}

public struct StoredLedgerEntry: Sendable, Equatable {
    public var id: UUID
    public var villageID: UUID
    public var entry: LedgerEntry
    public var reference: String?
    public var memo: String
    public var enteredBy: String
    public var enteredAt: Date
}

public struct FinanceStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    public static func closedPeriod(_ month: String) -> DomainError {
        .conflict(LocalizedText(zh: "\(month) 已结账，不能再更改", en: "\(month) is closed; it cannot be changed"))
    }

    // MARK: Closed periods

    public func closedMonths(streetID: UUID) async throws -> Set<String> {
        Set(try await sql.select().column("month").from("finance_periods").where("street_id", .equal, streetID).all()
            .map { try $0.decode(column: "month", as: String.self) })
    }

    public func close(month: LedgerMonth, streetID: UUID, by: String, at now: Date) async throws {
        guard try await !closedMonths(streetID: streetID).contains(month.description) else { throw Self.closedPeriod(month.description) }
        try await sql.insert(into: "finance_periods").columns("street_id", "month", "closed_by", "closed_at")
            .values(SQLBind(streetID), SQLBind(month.description), SQLBind(by), SQLBind(now)).run()
    }

    /// Refuses when any of the months is closed for the street (inside the caller's transaction).
    static func requireOpen(_ sql: any SQLDatabase, streetID: UUID, months: [String]) async throws {
        let closed = try await sql.select().column("month").from("finance_periods").where("street_id", .equal, streetID).where("month", .in, months).all()
        if let first = closed.first { throw Self.closedPeriod(try first.decode(column: "month", as: String.self)) }
    }

    // MARK: Facts for billing

    /// Per category: cases of the contract whose deadline fell in [from, to) and that were not handled by it (or are
    /// still unhandled and past it at `now`); verifications of its cases that failed in [from, to); and spot-check
    /// items inspected in [from, to) that failed and opened a case of the contract.
    public func facts(contract number: String, from: Date, to: Date, now: Date) async throws -> (overdue: [String: Int], failed: [String: Int], spotChecks: [String: Int]) {
        let cases = try await sql.select().column("id").column("category_code").column("deadline").from("cases")
            .where("contract_reference", .equal, number).where("deadline", .greaterThanOrEqual, from).where("deadline", .lessThan, to).all()
        var overdue: [String: Int] = [:]
        if !cases.isEmpty {
            let ids = try cases.map { try $0.decode(column: "id", as: UUID.self) }
            var handled: [UUID: Date] = [:]
            for chunk in stride(from: 0, to: ids.count, by: 500) {
                let rows = try await sql.select().column("case_id").column(SQLFunction("MIN", args: SQLColumn("at")), as: "first")
                    .from("case_events").where("case_id", .in, Array(ids[chunk..<min(ids.count, chunk + 500)]))
                    .where("action", .in, [CaseAction.handle.rawValue, CaseAction.selfHandle.rawValue]).groupBy("case_id").all()
                for r in rows { handled[try r.decode(column: "case_id", as: UUID.self)] = try r.decode(column: "first", as: Date.self) }
            }
            for c in cases {
                let id = try c.decode(column: "id", as: UUID.self), deadline = try c.decode(column: "deadline", as: Date.self)
                let late = handled[id].map { $0 > deadline } ?? (deadline < now)
                if late { overdue[try c.decode(column: "category_code", as: String.self), default: 0] += 1 }
            }
        }
        let failedRows = try await sql.raw("""
            SELECT c.category_code AS code, COUNT(*) AS n FROM case_events e JOIN cases c ON c.id = e.case_id
            WHERE c.contract_reference = \(bind: number) AND e.action = \(bind: CaseAction.failVerification.rawValue)
              AND e.at >= \(bind: from) AND e.at < \(bind: to)
            GROUP BY c.category_code
            """).all()
        var failed: [String: Int] = [:]
        for r in failedRows { failed[try r.decode(column: "code", as: String.self)] = try r.decode(column: "n", as: Int.self) }
        // Spot checks are few (a handful of grids a round): their findings are read and their cases looked up.
        let inspected = try await sql.select().column("findings").from("spot_checks").where("failed", .greaterThan, 0)
            .where("inspected_at", .greaterThanOrEqual, from).where("inspected_at", .lessThan, to).all(decoding: SpotCheckFindingsRow.self)
        let numbers = inspected.flatMap { r in r.decoded.filter { !$0.passed }.compactMap(\.caseNumber) }
        var spotChecks: [String: Int] = [:]
        for chunk in stride(from: 0, to: numbers.count, by: 500) {
            let rows = try await sql.select().column("category_code").from("cases").where("contract_reference", .equal, number)
                .where("number", .in, Array(numbers[chunk..<min(numbers.count, chunk + 500)])).all()
            for r in rows { spotChecks[try r.decode(column: "category_code", as: String.self), default: 0] += 1 }
        }
        return (overdue, failed, spotChecks)
    }

    struct SpotCheckFindingsRow: Decodable {
        var findings: String?
        var decoded: [SpotCheckFinding] { findings.flatMap { try? SpotCheckStore.findingsDecoder.decode([SpotCheckFinding].self, from: Data($0.utf8)) } ?? [] }
    }

    // MARK: Billing runs

    struct RunRow: Codable {
        var id: UUID
        var contractId: UUID
        var contractNumber: String
        var streetId: UUID
        var period: String
        var grossFen: Int
        var deductionsFen: Int
        var netFen: Int
        var lines: String
        var facts: String
        var runBy: String
        var runAt: Date

        enum CodingKeys: String, CodingKey {
            case id, period, lines, facts
            case contractId = "contract_id", contractNumber = "contract_number", streetId = "street_id", grossFen = "gross_fen"
            case deductionsFen = "deductions_fen", netFen = "net_fen", runBy = "run_by", runAt = "run_at"
        }

        func run() throws -> BillingRun {
            let p = BillingPeriod(period) ?? BillingPeriod(year: 2000, month: 1)
            let lines = try JSONDecoder().decode([BillingLine].self, from: Data(self.lines.utf8))
            return BillingRun(id: id, contractID: contractId, contractNumber: contractNumber, streetID: streetId, period: p,
                              statement: BillingStatement(period: p, lines: lines, grossFen: grossFen, deductionsFen: deductionsFen, netFen: netFen),
                              facts: try JSONDecoder().decode(BillingFacts.self, from: Data(facts.utf8)), runBy: runBy, runAt: runAt)
        }
    }

    /// Saves a run (replacing an earlier run of the same contract and period) and posts its net to the ledger of each
    /// village, split by the delegating department of each matter (fee follows the matter), in the period's last
    /// month. Refused when any month of the period is closed. One transaction.
    public func saveRun(contract: ContractRecord, statement: BillingStatement, facts: BillingFacts, villages: [(id: UUID, code: String)],
                        departments: [String: String], by: String, at now: Date) async throws -> BillingRun {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            let months = statement.period.monthList.map { LedgerMonth(year: $0.year, month: $0.month).description }
            try await Self.requireOpen(sql, streetID: contract.streetID, months: months)
            let e = JSONEncoder()
            e.outputFormatting = .sortedKeys
            let row = RunRow(id: UUID(), contractId: contract.id, contractNumber: contract.number, streetId: contract.streetID, period: statement.period.description,
                             grossFen: statement.grossFen, deductionsFen: statement.deductionsFen, netFen: statement.netFen,
                             lines: String(decoding: try e.encode(statement.lines), as: UTF8.self), facts: String(decoding: try e.encode(facts), as: UTF8.self),
                             runBy: by, runAt: now)
            let reference = "billing:\(contract.number):\(statement.period)"
            try await sql.delete(from: "billing_runs").where("contract_number", .equal, contract.number).where("period", .equal, row.period).run()
            try await sql.delete(from: "ledger_entries").where("reference", .equal, reference).run()
            try await sql.insert(into: "billing_runs").model(row, with: CaseStore.encoder).run()
            // Net by department: each line's share (deductions fall on their matter's department, or on all in
            // proportion when a rule covers every matter, as the payment coefficient does), then split evenly over
            // the villages, the remainder to the first so the sums are exact.
            var byDepartment: [String: Int] = [:]
            let service = statement.lines.filter { $0.kind == .service }
            for l in service { byDepartment[departments[l.matterCode ?? ""] ?? "—", default: 0] += l.amountFen }
            for d in statement.lines where d.kind != .service {
                if let m = d.matterCode {
                    byDepartment[departments[m] ?? "—", default: 0] += d.amountFen
                } else {
                    let gross = max(1, statement.grossFen)
                    var left = d.amountFen
                    let keys = byDepartment.keys.sorted()
                    for (i, k) in keys.enumerated() {
                        let share = i == keys.count - 1 ? left : d.amountFen * service.filter { departments[$0.matterCode ?? ""] ?? "—" == k }.reduce(0) { $0 + $1.amountFen } / gross
                        byDepartment[k, default: 0] += share
                        left -= share
                    }
                }
            }
            let month = months.last!
            for (department, amount) in byDepartment.sorted(by: { $0.key < $1.key }) where amount != 0 {
                let each = amount / max(1, villages.count)
                for (i, v) in villages.enumerated() {
                    let part = i == 0 ? amount - each * (villages.count - 1) : each
                    try await Self.insertEntry(sql, villageID: v.id, streetID: contract.streetID, entry: LedgerEntry(
                        month: LedgerMonth(month) ?? LedgerMonth(year: 2000, month: 1), direction: .income, category: IncomeSource.serviceFee.rawValue,
                        amountFen: part, department: department), reference: reference, memo: "\(contract.number) \(statement.period)", by: by, at: now)
                }
            }
            return try row.run()
        }
    }

    public func runs(contractNumber: String) async throws -> [BillingRun] {
        try await sql.select().column("*").from("billing_runs").where("contract_number", .equal, contractNumber).orderBy("period", .descending)
            .all(decoding: RunRow.self).map { try $0.run() }
    }

    public func run(_ id: UUID) async throws -> BillingRun? {
        try await sql.select().column("*").from("billing_runs").where("id", .equal, id).first(decoding: RunRow.self)?.run()
    }

    // MARK: Ledger

    static func insertEntry(_ sql: any SQLDatabase, villageID: UUID, streetID: UUID, entry: LedgerEntry, reference: String?, memo: String, by: String, at: Date) async throws {
        try await sql.insert(into: "ledger_entries")
            .columns("id", "village_id", "street_id", "month", "direction", "category", "amount_fen", "department", "reference", "memo", "entered_by", "entered_at")
            .values(SQLBind(UUID()), SQLBind(villageID), SQLBind(streetID), SQLBind(entry.month.description), SQLBind(entry.direction.rawValue),
                    SQLBind(entry.category), SQLBind(entry.amountFen), entry.department.map { SQLBind($0) as any SQLExpression } ?? SQLLiteral.null,
                    reference.map { SQLBind($0) as any SQLExpression } ?? SQLLiteral.null, SQLBind(memo), SQLBind(by), SQLBind(at)).run()
    }

    /// A hand-entered item (parking income, maintenance fund, a cost), refused in a closed month.
    public func enter(_ entry: LedgerEntry, villageID: UUID, streetID: UUID, memo: String, by: String, at now: Date) async throws {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            try await Self.requireOpen(sql, streetID: streetID, months: [entry.month.description])
            try await Self.insertEntry(sql, villageID: villageID, streetID: streetID, entry: entry, reference: nil, memo: memo, by: by, at: now)
        }
    }

    /// Entries of the villages for the months, and the balance of everything before the first month.
    public func ledger(villages: [UUID], months: [LedgerMonth]) async throws -> (entries: [StoredLedgerEntry], opening: Int) {
        guard !villages.isEmpty, let first = months.min(), let last = months.max() else { return ([], 0) }
        let rows = try await sql.select().column("*").from("ledger_entries").where("village_id", .in, villages)
            .where("month", .greaterThanOrEqual, first.description).where("month", .lessThanOrEqual, last.description)
            .orderBy("month").orderBy("entered_at").all()
        let entries = try rows.map { r in
            StoredLedgerEntry(
                id: try r.decode(column: "id", as: UUID.self), villageID: try r.decode(column: "village_id", as: UUID.self),
                entry: LedgerEntry(month: LedgerMonth(try r.decode(column: "month", as: String.self)) ?? first,
                                   direction: LedgerEntry.Direction(rawValue: try r.decode(column: "direction", as: String.self)) ?? .income,
                                   category: try r.decode(column: "category", as: String.self), amountFen: try r.decode(column: "amount_fen", as: Int.self),
                                   department: try r.decodeNil(column: "department") ? nil : try r.decode(column: "department", as: String.self)),
                reference: try r.decodeNil(column: "reference") ? nil : try r.decode(column: "reference", as: String.self),
                memo: try r.decode(column: "memo", as: String.self), enteredBy: try r.decode(column: "entered_by", as: String.self),
                enteredAt: try r.decode(column: "entered_at", as: Date.self))
        }
        let opening = try await sql.raw("""
            SELECT CAST(COALESCE(SUM(CASE WHEN direction = 'income' THEN amount_fen ELSE -amount_fen END), 0) AS BIGINT) AS b
            FROM ledger_entries WHERE month < \(bind: first.description) AND village_id IN (\(binds: villages))
            """).first(decodingColumn: "b", as: Int.self) ?? 0
        return (entries, opening)
    }
}
