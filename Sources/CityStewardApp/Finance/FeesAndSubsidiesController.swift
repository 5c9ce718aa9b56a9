import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Property fees (schedules, bills, payments, arrears) and subsidies (introduction subsidies confirmed by the street
/// office, policy subsidies decided by the district office), each feeding the village ledger.
struct FeesAndSubsidiesController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped("api", "v1")
        api.get("villages", ":code", "fee-schedule", use: schedule)
        api.put("villages", ":code", "fee-schedule", use: setSchedule)
        api.post("fees", "bills", use: issue)
        api.get("fees", "bills", use: bills)
        api.post("fees", "bills", ":id", "payments", use: pay)
        api.get("fees", "bills", "export.csv", use: billsCSV)
        api.get("fees", "bills", "export.xlsx", use: billsXLSX)
        routes.get("fees", "export.csv", use: billsCSV)
        routes.get("fees", "export.xlsx", use: billsXLSX)
        api.get("subsidies", use: subsidies)
        api.post("subsidies", use: request)
        api.post("subsidies", ":id", "decision", use: decide)
    }

    /// A village in the caller's scope (by `code`, or the route's `:code`), with its street; anything else is 404.
    static func village(_ req: Request, code: String?, _ actor: Actor, _ ref: CaseReference) throws -> (village: Area, street: UUID) {
        let c = code ?? req.parameters.get("code") ?? ""
        guard let v = ref.areasByCode[c], v.kind == .village, AccessPolicy.areaScope(for: actor).includes(v),
              let street = ref.street(of: v) else {
            throw DomainError.notFound(zh: "没有这个城中村", en: "no such village")
        }
        return (v, street)
    }

    static func month(_ text: String, _ field: String = "month") throws -> LedgerMonth {
        guard let m = LedgerMonth(text) else { throw DomainError.invalid(field, zh: "月份应为 YYYY-MM", en: "a month is YYYY-MM") }
        return m
    }

    static func fen(_ v: Double, _ field: String, positive: Bool = true) throws -> Int {
        switch Money.fen(v, field: field) {
        case .success(let f):
            if positive, f == 0 { throw DomainError.invalid(field, zh: "金额应大于 0", en: "the amount is above 0") }
            return f
        case .failure(let p): throw p.domainError
        }
    }

    // MARK: Fees

    struct ScheduleView: Content {
        var village: String
        var steps: [Step]
        struct Step: Content {
            var from: String
            var fenPerHousehold: Int
        }
    }

    @Sendable func schedule(req: Request) async throws -> ScheduleView {
        let actor = try req.require(.financeRead)
        let (v, _) = try Self.village(req, code: nil, actor, try await req.caseReference())
        return ScheduleView(village: v.code, steps: try await FeeStore(db: req.db).schedule(villageID: v.id).map { .init(from: $0.from, fenPerHousehold: $0.fen) })
    }

    struct ScheduleBody: Content {
        var from: String
        var fenPerHousehold: Double
    }

    @Sendable func setSchedule(req: Request) async throws -> ScheduleView {
        try await FinanceService(req: req).setFeeSchedule(villageCode: req.parameters.get("code") ?? "", try req.content.decode(ScheduleBody.self))
    }

    struct IssueBody: Content {
        var village: String
        var month: String
    }

    struct IssueAnswer: Content {
        var village: String
        var month: String
        var issued: Int
    }

    @Sendable func issue(req: Request) async throws -> Response {
        try await FinanceService(req: req).issueFeeBills(try req.content.decode(IssueBody.self)).encodeResponse(status: .created, for: req)
    }

    struct BillView: Content {
        var id: UUID
        var building: String
        var unit: String
        var month: String
        var amountFen: Int
        var paidFen: Int
        var outstandingFen: Int
    }

    struct BillsAnswer: Content {
        var bills: [BillView]
        var billedFen: Int
        var paidFen: Int
        var arrearsFen: Int
        var householdsOwing: Int
    }

    @Sendable func bills(req: Request) async throws -> BillsAnswer {
        let actor = try req.require(.financeRead)
        let ref = try await req.caseReference()
        let code = try? req.query.get(String.self, at: "village")
        let villages: [Area]
        if let code, !code.isEmpty {
            villages = [try Self.village(req, code: code, actor, ref).village]
        } else {
            villages = ref.villages(in: AccessPolicy.areaScope(for: actor))
        }
        let monthText = try? req.query.get(String.self, at: "month")
        if let m = monthText, !m.isEmpty { _ = try Self.month(m) }
        let unpaid = try req.flag("unpaid")
        let store = FeeStore(db: req.db)
        let list = try await store.bills(villageIDs: villages.map(\.id), month: monthText?.isEmpty == false ? monthText : nil, unpaidOnly: unpaid)
        let totals = try await store.totals(villageIDs: villages.map(\.id))
        return BillsAnswer(bills: list.map { BillView(id: $0.id, building: $0.buildingCode, unit: $0.unit, month: $0.month, amountFen: $0.amountFen,
                                                      paidFen: $0.paidFen, outstandingFen: $0.outstandingFen) },
                           billedFen: totals.billed, paidFen: totals.paid, arrearsFen: totals.billed - totals.paid, householdsOwing: totals.households)
    }

    struct PaymentBody: Content {
        var amountFen: Double
        var paidOn: String?
        var method: String?
    }

    @Sendable func pay(req: Request) async throws -> BillView {
        try await FinanceService(req: req).payFeeBill(id: req.parameters.get("id"), try req.content.decode(PaymentBody.self))
    }

    // MARK: Subsidies

    struct SubsidyView: Content {
        var id: UUID
        var kind: String
        var kindLabel: String
        var village: String
        var villageName: String
        var title: String
        var reason: String
        var amountFen: Int
        var serviceYear: Int?
        var state: String
        var stateLabel: String
        var requestedBy: String
        var requestedAt: Date
        var decidedBy: String?
        var decisionNote: String?
        var approvedFen: Int?
    }

    static func view(_ r: SubsidyRecord, _ ref: CaseReference, _ language: Language) -> SubsidyView {
        let v = ref.areas[r.villageId]
        return SubsidyView(id: r.id, kind: r.kind, kindLabel: SubsidyKind(rawValue: r.kind)?.label.text(language) ?? r.kind, village: v?.code ?? "",
                           villageName: v?.displayName(language) ?? "", title: r.title, reason: r.reason, amountFen: r.amountFen, serviceYear: r.serviceYear,
                           state: r.state, stateLabel: SubsidyState(rawValue: r.state)?.label.text(language) ?? r.state, requestedBy: r.requestedBy,
                           requestedAt: r.requestedAt, decidedBy: r.decidedBy, decisionNote: r.decisionNote, approvedFen: r.approvedFen)
    }

    @Sendable func subsidies(req: Request) async throws -> [SubsidyView] {
        try await FinanceService(req: req).subsidies(state: try? req.query.get(String.self, at: "state"))
    }

    struct RequestBody: Content {
        var kind: String
        var village: String
        var title: String?
        var reason: String?
        var amountFen: Double?
    }

    @Sendable func request(req: Request) async throws -> Response {
        try await FinanceService(req: req).requestSubsidy(try req.content.decode(RequestBody.self)).encodeResponse(status: .created, for: req)
    }

    struct DecisionBody: Content {
        var approve: Bool
        var amountFen: Double?
        var note: String?
    }

    @Sendable func decide(req: Request) async throws -> SubsidyView {
        try await FinanceService(req: req).decideSubsidy(id: req.parameters.get("id"), try req.content.decode(DecisionBody.self))
    }

    // MARK: Exports

    static func billsWorkbook(_ bills: [FeeBill], village: String, _ language: Language) -> Workbook {
        let en = language == .en
        var rows: [[Workbook.Cell]] = [[.text(en ? "building" : "楼栋代码"), .text(en ? "unit" : "房号"), .text(en ? "month" : "月份"),
                                        .text(en ? "billed (yuan)" : "应缴（元）"), .text(en ? "paid (yuan)" : "已缴（元）"), .text(en ? "outstanding (yuan)" : "未缴（元）")]]
        for b in bills {
            rows.append([.text(b.buildingCode), .text(b.unit), .text(b.month), .money(fen: b.amountFen), .money(fen: b.paidFen), .money(fen: b.outstandingFen)])
        }
        rows.append([.text(en ? "total" : "合计"), .empty, .empty, .money(fen: bills.reduce(0) { $0 + $1.amountFen }),
                     .money(fen: bills.reduce(0) { $0 + $1.paidFen }), .money(fen: bills.reduce(0) { $0 + $1.outstandingFen })])
        return Workbook(sheets: [Workbook.Sheet(name: en ? "fee bills \(village)" : "物业费账单 \(village)", rows: rows)])
    }

    /// Every bill of one village (optionally one month, or unpaid only), for the finance officer.
    static func exportedBills(_ req: Request) async throws -> (Workbook, String) {
        let actor = try req.require(.financeRead)
        let ref = try await req.caseReference()
        let code = (try? req.query.get(String.self, at: "village")) ?? ""
        let (v, _) = try village(req, code: code, actor, ref)
        let monthText = (try? req.query.get(String.self, at: "month"))?.nilIfBlank
        if let m = monthText { _ = try month(m) }
        let unpaid = try req.flag("unpaid")
        let bills = try await FeeStore(db: req.db).bills(villageIDs: [v.id], month: monthText, unpaidOnly: unpaid, limit: 100_000)
        try await req.audit(.export, subject: "fee-bills:\(v.code)", detail: "rows=\(bills.count)" + (monthText.map { "; month=\($0)" } ?? "") + (unpaid ? "; unpaid" : ""))
        return (billsWorkbook(bills, village: v.code, req.language), "fee-bills-\(v.code)\(monthText.map { "-\($0)" } ?? "")")
    }

    @Sendable func billsCSV(req: Request) async throws -> Response {
        let (wb, name) = try await Self.exportedBills(req)
        return CSVResponse.make(wb.csv(), filename: name + ".csv")
    }

    @Sendable func billsXLSX(req: Request) async throws -> Response {
        let (wb, name) = try await Self.exportedBills(req)
        return try XLSX.response(wb, filename: name + ".xlsx")
    }
}
