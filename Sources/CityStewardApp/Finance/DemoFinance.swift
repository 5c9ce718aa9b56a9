import CityStewardCore
import CityStewardStore
import FluentKit
import Foundation
import SQLKit
import Vapor

/// A year of money for the demo (once, when there is none): each contract billed for every finished month and the
/// current one, parking income and costs entered monthly, property fees billed for the last three months and mostly
/// paid, the introduction subsidy of each village confirmed, one policy subsidy waiting for the district office.
/// Figures are synthetic.
enum DemoFinance {
    @discardableResult
    static func load(_ app: Application) async throws -> Bool {
        let sql = app.db as! any SQLDatabase
        let existing = try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("billing_runs").first(decodingColumn: "n", as: Int.self) ?? 0
        guard existing == 0 else { return false }
        let reference = try await app.caseReference.get(app.db)
        let now = app.clock.now
        let today = LocalDate.beijing(now)
        let this = LedgerMonth(today)
        let by = "演示数据"
        let departments = Dictionary(uniqueKeysWithValues: reference.taxonomy.matters.map { ($0.code, $0.ownerDepartment ?? "—") })
        let finance = FinanceStore(db: app.db)
        // The payment coefficient reads the villages' scores when a published plan is there (the demo loads it first).
        let assessment = AssessmentService(req: Request(application: app, on: app.eventLoopGroup.any()))
        for contract in try await ContractStore(db: app.db).list(scope: .all) where contract.state == .active {
            var month = LedgerMonth(contract.terms.start)
            while month <= this {
                let period = BillingPeriod(year: month.year, month: month.month)
                let (statement, facts) = try await RunBilling(db: app.db, reference: reference).statement(contract, period: period, now: now) { codes, from, through in
                    try await assessment.periodScore(villages: codes, from: from, through: through)
                }
                let villages = contract.terms.areas.compactMap { code in reference.areasByCode[code].map { (id: $0.id, code: code) } }
                _ = try await finance.saveRun(contract: contract, statement: statement, facts: facts, villages: villages, departments: departments, by: by, at: now)
                month = month.next
            }
        }
        let fees = FeeStore(db: app.db), subsidies = SubsidyStore(db: app.db)
        for (i, code) in DemoDistrict.villageCodes.enumerated() {
            guard let village = reference.areasByCode[code], let street = reference.street(of: village) else { continue }
            var month = LedgerMonth(year: 2026, month: 1)
            while month <= this {
                let wave = (month.month * 7 + i * 3) % 10
                try await finance.enter(LedgerEntry(month: month, direction: .income, category: IncomeSource.parking.rawValue, amountFen: 1_800_000 + wave * 120_000),
                                        villageID: village.id, streetID: street, memo: "停车场月收入", by: by, at: now)
                try await finance.enter(LedgerEntry(month: month, direction: .cost, category: CostKind.staff.rawValue, amountFen: 3_600_000 + i * 150_000),
                                        villageID: village.id, streetID: street, memo: "保洁、巡查人员工资", by: by, at: now)
                try await finance.enter(LedgerEntry(month: month, direction: .cost, category: CostKind.materials.rawValue, amountFen: 600_000 + wave * 50_000),
                                        villageID: village.id, streetID: street, memo: "保洁耗材", by: by, at: now)
                if month.month % 3 == 0 {
                    try await finance.enter(LedgerEntry(month: month, direction: .income, category: IncomeSource.maintenanceFund.rawValue, amountFen: 2_500_000),
                                            villageID: village.id, streetID: street, memo: "专项维修资金拨付", by: by, at: now)
                }
                month = month.next
            }
            try await fees.setSchedule(villageID: village.id, from: LedgerMonth(year: 2026, month: 1), fenPerHousehold: 6_000, by: by, at: now)
            for back in [2, 1, 0] {
                var m = this
                for _ in 0..<back { m = m.previous }
                _ = try await fees.issue(village: village, streetID: street, month: m, at: now)
            }
            for (n, bill) in try await fees.bills(villageIDs: [village.id], limit: 1000).enumerated() where n % 5 != 0 {
                let month = LedgerMonth(bill.month) ?? this
                let paidOn = month == this ? today : LocalDate(year: month.year, month: month.month, day: 15)
                _ = try await fees.pay(bill.id, amountFen: bill.amountFen, paidOn: paidOn, method: n % 2 == 0 ? "wechat" : "alipay", by: by, at: now)
            }
            if let takeover = try await ContractStore(db: app.db).takeover(villageID: village.id),
               let due = app.config.introductionSubsidy.amount(since: takeover.since, on: today) {
                let id = UUID()
                try await subsidies.request(SubsidyRecord(id: id, kind: SubsidyKind.introduction.rawValue, villageId: village.id, streetId: street,
                                                          title: "\(village.name)股份合作公司引入服务补贴（第 \(due.year) 服务年度）", reason: "引入“城市管家”，自 \(takeover.since) 起服务",
                                                          amountFen: due.fen, serviceYear: due.year, state: SubsidyState.requested.rawValue, requestedBy: by,
                                                          requestedAt: now, decidedBy: nil, decidedAt: nil, decisionNote: nil, approvedFen: nil))
                _ = try await subsidies.decide(id, approve: true, approvedFen: nil, note: "经街道办认定", by: by, at: now)
            }
            if i == 0 {
                try await subsidies.request(SubsidyRecord(id: UUID(), kind: SubsidyKind.policy.rawValue, villageId: village.id, streetId: street,
                                                          title: "台风后紧急清障", reason: "台风过境后清理倒伏树木、广告牌和积水垃圾，属合同委托事项外不可预计的工作",
                                                          amountFen: 3_500_000, serviceYear: nil, state: SubsidyState.requested.rawValue, requestedBy: "管家调度中心",
                                                          requestedAt: now, decidedBy: nil, decidedAt: nil, decisionNote: nil, approvedFen: nil))
            }
        }
        return true
    }
}
