import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Money (plan §7(3), §9(2)), all in integer fen: billing runs per contract and period (quantity × unit price less
/// deductions, every line explained), the ledger per village by source and month, hand-entered items, closing a
/// month; exports as CSV and XLSX.
struct FinanceController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped("api", "v1")
        api.post("contracts", ":id", "billing", use: runBilling)
        api.get("contracts", ":id", "billing", use: runs)
        api.get("billing", ":run", use: run)
        api.get("billing", ":run", "export.csv", use: runCSV)
        api.get("billing", ":run", "export.xlsx", use: runXLSX)
        api.get("ledger", use: ledger)
        api.get("ledger", "export.csv", use: ledgerCSV)
        api.get("ledger", "export.xlsx", use: ledgerXLSX)
        api.post("ledger", "entries", use: enter)
        api.post("finance", "periods", use: closePeriod)
        // The console's download links (the session, not a bearer token, signs them in).
        routes.get("billing", ":run", "export.csv", use: runCSV)
        routes.get("billing", ":run", "export.xlsx", use: runXLSX)
        routes.get("ledger", "export.csv", use: ledgerCSV)
        routes.get("ledger", "export.xlsx", use: ledgerXLSX)
    }

    // MARK: Billing

    struct LineView: Content {
        var kind: String
        var matterCode: String?
        var quantity: Int
        var unit: String
        var unitPriceFen: Int
        var days: Int
        var daysInPeriod: Int
        var amountFen: Int
        var amount: String
        var explanation: String
    }

    struct RunView: Content {
        var id: UUID
        var contractId: UUID
        var contractNumber: String
        var period: String
        var grossFen: Int
        var deductionsFen: Int
        var netFen: Int
        var gross: String
        var deductions: String
        var net: String
        var lines: [LineView]
        var overdueCases: [String: Int]
        var failedVerifications: [String: Int]
        var failedSpotChecks: [String: Int]
        /// The villages' score the payment coefficient read (a contract with one, when there was a score).
        var assessment: AssessedPeriodScore?
        var runBy: String
        var runAt: Date
    }

    static func view(_ r: BillingRun, _ language: Language) -> RunView {
        RunView(id: r.id, contractId: r.contractID, contractNumber: r.contractNumber, period: r.period.description, grossFen: r.statement.grossFen,
                deductionsFen: r.statement.deductionsFen, netFen: r.statement.netFen, gross: Money.yuan(r.statement.grossFen),
                deductions: Money.yuan(r.statement.deductionsFen), net: Money.yuan(r.statement.netFen),
                lines: r.statement.lines.map { LineView(kind: $0.kind.rawValue, matterCode: $0.matterCode, quantity: $0.quantity, unit: $0.unit,
                                                        unitPriceFen: $0.unitPriceFen, days: $0.days, daysInPeriod: $0.daysInPeriod, amountFen: $0.amountFen,
                                                        amount: Money.yuan($0.amountFen), explanation: $0.explanation.text(language)) },
                overdueCases: r.facts.overdueCases, failedVerifications: r.facts.failedVerifications, failedSpotChecks: r.facts.failedSpotChecks,
                assessment: r.facts.assessment, runBy: r.runBy, runAt: r.runAt)
    }

    struct BillingBody: Content {
        var period: String
    }

    @Sendable func runBilling(req: Request) async throws -> Response {
        try await FinanceService(req: req).runBilling(contractID: req.parameters.get("id"), try req.content.decode(BillingBody.self))
            .encodeResponse(status: .created, for: req)
    }

    @Sendable func runs(req: Request) async throws -> [RunView] {
        let c = try await ContractsController.context(req)
        try AccessPolicy.require(.financeRead, c.actor)
        let contract = try await ContractsController.contract(req.parameters.get("id"), c)
        return try await FinanceStore(db: req.db).runs(contractNumber: contract.number).map { Self.view($0, req.language) }
    }

    /// A run the caller may see (its contract in scope), else 404.
    static func run(_ req: Request) async throws -> (BillingRun, ContractsController.Context) {
        let c = try await ContractsController.context(req)
        try AccessPolicy.require(.financeRead, c.actor)
        guard let id = req.parameters.get("run").flatMap(UUID.init(uuidString:)), let run = try await FinanceStore(db: req.db).run(id) else {
            throw DomainError.notFound(zh: "没有这次结算", en: "no such billing run")
        }
        _ = try await c.store.find(run.contractID, scope: ContractAccess.scope(for: c.actor))
        return (run, c)
    }

    @Sendable func run(req: Request) async throws -> RunView {
        Self.view(try await Self.run(req).0, req.language)
    }

    static func workbook(_ run: BillingRun, _ language: Language) -> Workbook {
        let en = language == .en
        var rows: [[Workbook.Cell]] = [[.text(en ? "kind" : "类型"), .text(en ? "matter" : "事项"), .text(en ? "quantity" : "数量"), .text(en ? "unit" : "单位"),
                                        .text(en ? "unit price (yuan)" : "单价（元）"), .text(en ? "days" : "天数"), .text(en ? "days in period" : "期内天数"),
                                        .text(en ? "amount (yuan)" : "金额（元）"), .text(en ? "explanation" : "计算说明")]]
        for l in run.statement.lines {
            rows.append([.text(l.kind == .service ? (en ? "service" : "服务费") : l.kind == .performance ? (en ? "payment coefficient" : "履约考核系数") : (en ? "deduction" : "扣款")), .text(l.matterCode ?? (en ? "all" : "全部")),
                         .integer(l.quantity), .text(l.unit), .money(fen: l.unitPriceFen), .integer(l.days), .integer(l.daysInPeriod),
                         .money(fen: l.amountFen), .text(l.explanation.text(language))])
        }
        rows.append([.text(en ? "gross" : "应付"), .empty, .empty, .empty, .empty, .empty, .empty, .money(fen: run.statement.grossFen), .empty])
        rows.append([.text(en ? "deductions" : "扣款合计"), .empty, .empty, .empty, .empty, .empty, .empty, .money(fen: -run.statement.deductionsFen), .empty])
        rows.append([.text(en ? "net" : "实付"), .empty, .empty, .empty, .empty, .empty, .empty, .money(fen: run.statement.netFen), .empty])
        return Workbook(sheets: [Workbook.Sheet(name: "\(run.contractNumber) \(run.period)", rows: rows)])
    }

    @Sendable func runCSV(req: Request) async throws -> Response {
        let (run, _) = try await Self.run(req)
        try await req.audit(.export, subject: "billing:\(run.contractNumber):\(run.period)", detail: "csv")
        return CSVResponse.make(Self.workbook(run, req.language).csv(), filename: "billing-\(run.contractNumber)-\(run.period).csv")
    }

    @Sendable func runXLSX(req: Request) async throws -> Response {
        let (run, _) = try await Self.run(req)
        try await req.audit(.export, subject: "billing:\(run.contractNumber):\(run.period)", detail: "xlsx")
        return try XLSX.response(Self.workbook(run, req.language), filename: "billing-\(run.contractNumber)-\(run.period).xlsx")
    }

    // MARK: Ledger

    struct LedgerQuery: Content {
        var village: String?
        var street: String?
        var to: String?
        var months: Int?
    }

    struct MonthView: Content {
        var month: String
        var income: [String: Int]
        var costs: [String: Int]
        var incomeFen: Int
        var costFen: Int
        var netFen: Int
        var balanceFen: Int
    }

    struct LedgerView: Content {
        var villages: [String]
        var months: [MonthView]
        var openingFen: Int
        var incomeBySource: [String: Int]
        var serviceFeeByDepartment: [String: Int]
        var incomeFen: Int
        var costFen: Int
        var closedMonths: [String]
    }

    /// The villages and months a query asks for, within the caller's scope.
    static func ledgerScope(_ req: Request) async throws -> (villages: [Area], months: [LedgerMonth], streets: Set<UUID>, reference: CaseReference) {
        let actor = try req.require(.financeRead)
        let reference = try await req.caseReference()
        let q = try req.query.decode(LedgerQuery.self)
        let scope = AccessPolicy.areaScope(for: actor)
        var villages: [Area]
        if let code = q.village, !code.isEmpty {
            guard let v = reference.areasByCode[code], v.kind == .village, scope.includes(v) else {
                throw DomainError.notFound(zh: "没有这个城中村", en: "no such village")
            }
            villages = [v]
        } else if let code = q.street, !code.isEmpty {
            guard let s = reference.areasByCode[code], s.kind == .street, scope.includes(s) || actor.orgAreas.contains(s.id) else {
                throw DomainError.notFound(zh: "没有这个街道", en: "no such street")
            }
            villages = reference.areas.values.filter { $0.kind == .village && $0.path.contains(s.id) && scope.includes($0) }
        } else {
            villages = reference.villages(in: scope)
        }
        villages.sort { $0.code < $1.code }
        let to: LedgerMonth
        if let text = q.to, !text.isEmpty {
            guard let m = LedgerMonth(text) else { throw DomainError.invalid("to", zh: "月份应为 YYYY-MM", en: "a month is YYYY-MM") }
            to = m
        } else {
            to = LedgerMonth(LocalDate.beijing(req.now))
        }
        let count = q.months ?? 12
        guard (1...36).contains(count) else { throw DomainError.invalid("months", zh: "months 应为 1~36", en: "months is 1 to 36") }
        let streets = Set(villages.compactMap(reference.street(of:)))
        return (villages, to.trailing(count), streets, reference)
    }

    static func summary(_ req: Request) async throws -> (LedgerSummary, [Area], [String], CaseReference) {
        let (villages, months, streets, reference) = try await ledgerScope(req)
        let store = FinanceStore(db: req.db)
        let (entries, opening) = try await store.ledger(villages: villages.map(\.id), months: months)
        var closed = Set<String>()
        for s in streets { closed.formUnion(try await store.closedMonths(streetID: s)) }
        return (LedgerSummary.of(entries.map(\.entry), months: months, opening: opening), villages, months.map(\.description).filter(closed.contains), reference)
    }

    @Sendable func ledger(req: Request) async throws -> LedgerView {
        let (s, villages, closed, _) = try await Self.summary(req)
        return LedgerView(
            villages: villages.map(\.code),
            months: s.months.map { m in MonthView(month: m.month.description, income: Dictionary(uniqueKeysWithValues: m.income.map { ($0.key.rawValue, $0.value) }),
                                                  costs: Dictionary(uniqueKeysWithValues: m.costs.map { ($0.key.rawValue, $0.value) }), incomeFen: m.incomeFen,
                                                  costFen: m.costFen, netFen: m.netFen, balanceFen: m.balanceFen) },
            openingFen: s.openingFen, incomeBySource: Dictionary(uniqueKeysWithValues: s.incomeBySource.map { ($0.key.rawValue, $0.value) }),
            serviceFeeByDepartment: s.serviceFeeByDepartment, incomeFen: s.incomeFen, costFen: s.costFen, closedMonths: closed)
    }

    static func ledgerWorkbook(_ s: LedgerSummary, _ language: Language, title: String) -> Workbook {
        let en = language == .en
        let header: [Workbook.Cell] = [.text(en ? "month" : "月份")] + IncomeSource.allCases.map { .text($0.label.text(language)) }
            + [.text(en ? "income" : "收入合计"), .text(en ? "costs" : "支出合计"), .text(en ? "net" : "当月结余"), .text(en ? "balance" : "累计结余")]
        var rows: [[Workbook.Cell]] = [header]
        for m in s.months {
            rows.append([.text(m.month.description)] + IncomeSource.allCases.map { .money(fen: m.income[$0] ?? 0) }
                        + [.money(fen: m.incomeFen), .money(fen: m.costFen), .money(fen: m.netFen), .money(fen: m.balanceFen)])
        }
        rows.append([.text(en ? "total" : "合计")] + IncomeSource.allCases.map { .money(fen: s.incomeBySource[$0] ?? 0) }
                    + [.money(fen: s.incomeFen), .money(fen: s.costFen), .money(fen: s.incomeFen - s.costFen), .empty])
        var departments: [[Workbook.Cell]] = [[.text(en ? "delegating department" : "委托部门"), .text(en ? "government service purchase (yuan)" : "政府购买服务（元）")]]
        for (d, fen) in s.serviceFeeByDepartment.sorted(by: { $0.key < $1.key }) { departments.append([.text(d), .money(fen: fen)]) }
        return Workbook(sheets: [Workbook.Sheet(name: title, rows: rows), Workbook.Sheet(name: en ? "by department" : "按委托部门", rows: departments)])
    }

    @Sendable func ledgerCSV(req: Request) async throws -> Response {
        let (s, villages, _, _) = try await Self.summary(req)
        try await req.audit(.export, subject: "ledger", detail: "csv; villages=\(villages.map(\.code).joined(separator: ","))")
        return CSVResponse.make(Self.ledgerWorkbook(s, req.language, title: "ledger").csv(), filename: "ledger.csv")
    }

    @Sendable func ledgerXLSX(req: Request) async throws -> Response {
        let (s, villages, _, _) = try await Self.summary(req)
        try await req.audit(.export, subject: "ledger", detail: "xlsx; villages=\(villages.map(\.code).joined(separator: ","))")
        return try XLSX.response(Self.ledgerWorkbook(s, req.language, title: req.language == .en ? "ledger" : "台账"), filename: "ledger.xlsx")
    }

    struct EntryBody: Content {
        var village: String
        var month: String
        var direction: String
        var category: String
        var amountFen: Double
        var memo: String?
    }

    @Sendable func enter(req: Request) async throws -> Response {
        try await FinanceService(req: req).enterLedgerItem(try req.content.decode(EntryBody.self))
        return Response(status: .created)
    }

    struct CloseBody: Content {
        var street: String?
        var month: String
    }

    @Sendable func closePeriod(req: Request) async throws -> HTTPStatus {
        try await FinanceService(req: req).closePeriod(try req.content.decode(CloseBody.self))
        return .noContent
    }
}
