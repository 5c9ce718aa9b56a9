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

    /// The fee standard is the street office's (or the district's) to set.
    @Sendable func setSchedule(req: Request) async throws -> ScheduleView {
        let actor = try req.require(.financeManage)
        let (v, street) = try Self.village(req, code: nil, actor, try await req.caseReference())
        guard ContractAccess.mayManage(actor, streetID: street) else {
            throw DomainError.forbidden(LocalizedText(zh: "物业费标准由街道办设定", en: "the street office sets the fee schedule"))
        }
        let body = try req.content.decode(ScheduleBody.self)
        let month = try Self.month(body.from, "from")
        let fen = try Self.fen(body.fenPerHousehold, "fenPerHousehold")
        try await FeeStore(db: req.db).setSchedule(villageID: v.id, from: month, fenPerHousehold: fen, by: actor.user.displayName, at: req.now)
        try await req.audit(.financeChanged, subject: "fee-schedule:\(v.code)", detail: "from \(month): \(fen) fen per household")
        return try await schedule(req: req)
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
        let actor = try req.require(.financeManage)
        let body = try req.content.decode(IssueBody.self)
        let (v, street) = try Self.village(req, code: body.village, actor, try await req.caseReference())
        let month = try Self.month(body.month)
        guard month <= LedgerMonth(LocalDate.beijing(req.now)) else {
            throw DomainError.invalid("month", zh: "不能为未来月份出账", en: "bills are not issued for a future month")
        }
        let n = try await FeeStore(db: req.db).issue(village: v, streetID: street, month: month, at: req.now)
        try await req.audit(.financeChanged, subject: "fee-bills:\(v.code):\(month)", detail: "issued=\(n)")
        return try await IssueAnswer(village: v.code, month: month.description, issued: n).encodeResponse(status: .created, for: req)
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
        let unpaid = (try? req.query.get(Bool.self, at: "unpaid")) ?? false
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
        let actor = try req.require(.financeManage)
        let ref = try await req.caseReference()
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)), let bill = try await FeeStore(db: req.db).bill(id),
              let village = ref.areas[bill.villageId], AccessPolicy.areaScope(for: actor).includes(village) else {
            throw DomainError.notFound(zh: "没有这张账单", en: "no such bill")
        }
        let body = try req.content.decode(PaymentBody.self)
        let fen = try Self.fen(body.amountFen, "amountFen")
        let today = LocalDate.beijing(req.now)
        var paidOn = today
        if let text = body.paidOn, !text.isEmpty {
            guard let d = LocalDate(text), d <= today else {
                throw DomainError.invalid("paidOn", zh: "缴费日期应为不晚于今天的 YYYY-MM-DD", en: "paidOn is a date YYYY-MM-DD, not in the future")
            }
            paidOn = d
        }
        let method = body.method ?? "cash"
        guard ["cash", "bank", "wechat", "alipay"].contains(method) else {
            throw DomainError.invalid("method", zh: "缴费方式应为 cash/bank/wechat/alipay", en: "method is cash, bank, wechat or alipay")
        }
        let paid = try await FeeStore(db: req.db).pay(id, amountFen: fen, paidOn: paidOn, method: method, by: actor.user.displayName, at: req.now)
        try await req.audit(.financeChanged, subject: "fee-bill:\(paid.buildingCode)/\(paid.unit):\(paid.month)", detail: "paid \(fen) fen (\(method))")
        return BillView(id: paid.id, building: paid.buildingCode, unit: paid.unit, month: paid.month, amountFen: paid.amountFen, paidFen: paid.paidFen,
                        outstandingFen: paid.outstandingFen)
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
        let actor = try req.require(.financeRead)
        let ref = try await req.caseReference()
        let villages = ref.villages(in: AccessPolicy.areaScope(for: actor)).map(\.id)
        let stateText = try? req.query.get(String.self, at: "state")
        let state = stateText.flatMap(SubsidyState.init(rawValue:))
        if let s = stateText, !s.isEmpty, state == nil {
            throw DomainError.invalid("state", zh: "状态应为 requested/approved/rejected", en: "state is requested, approved or rejected")
        }
        return try await SubsidyStore(db: req.db).list(villageIDs: villages, state: state).map { Self.view($0, ref, req.language) }
    }

    struct RequestBody: Content {
        var kind: String
        var village: String
        var title: String?
        var reason: String?
        var amountFen: Double?
    }

    /// A policy subsidy is the steward's request for unforeseen work outside its contracts; an introduction subsidy is
    /// requested for the village's shareholding company for the current service year, at the configured schedule.
    @Sendable func request(req: Request) async throws -> Response {
        let actor = try req.require(.financeManage)
        let ref = try await req.caseReference()
        let body = try req.content.decode(RequestBody.self)
        guard let kind = SubsidyKind(rawValue: body.kind) else {
            throw DomainError.invalid("kind", zh: "补贴类型应为 introduction 或 policy", en: "kind is introduction or policy")
        }
        let (v, street) = try Self.village(req, code: body.village, actor, ref)
        let now = req.now
        var record = SubsidyRecord(id: UUID(), kind: kind.rawValue, villageId: v.id, streetId: street, title: "", reason: "", amountFen: 0, serviceYear: nil,
                                   state: SubsidyState.requested.rawValue, requestedBy: actor.user.displayName, requestedAt: now, decidedBy: nil, decidedAt: nil,
                                   decisionNote: nil, approvedFen: nil)
        switch kind {
        case .policy:
            guard FinanceAccess.mayEver(.requestPolicySubsidy, actor) else {
                throw DomainError.forbidden(LocalizedText(zh: "政策补贴由城市管家申请", en: "the steward requests policy subsidies"))
            }
            let title = (body.title ?? "").trimmingCharacters(in: .whitespaces), reason = (body.reason ?? "").trimmingCharacters(in: .whitespaces)
            var problems: [FieldProblem] = []
            if title.isEmpty { problems.append(FieldProblem(field: "title", reason: LocalizedText(zh: "请写明工作任务", en: "name the work"))) }
            if reason.count < 10 {
                problems.append(FieldProblem(field: "reason", reason: LocalizedText(zh: "请说明为何属于委托事项外不可预计的工作（至少 10 个字）",
                                                                                  en: "explain why the work was unforeseen and outside the contract (10 characters at least)")))
            }
            var amount = 0
            switch body.amountFen.map({ Money.fen($0, field: "amountFen") }) {
            case .success(let f)?: amount = f
            case .failure(let p)?: problems += p.problems
            case nil: problems.append(FieldProblem(field: "amountFen", reason: LocalizedText(zh: "请写明申请金额（分）", en: "give the amount (fen)")))
            }
            if amount == 0, body.amountFen != nil, problems.allSatisfy({ $0.field != "amountFen" }) {
                problems.append(FieldProblem(field: "amountFen", reason: LocalizedText(zh: "金额应大于 0", en: "the amount is above 0")))
            }
            guard problems.isEmpty else { throw FieldProblems(problems).domainError }
            record.title = title
            record.reason = reason
            record.amountFen = amount
        case .introduction:
            guard let takeover = try await ContractStore(db: req.db).takeover(villageID: v.id) else {
                throw DomainError.conflict(zh: "该村尚未登记引入城市管家", en: "the village has no recorded takeover")
            }
            guard let due = req.application.config.introductionSubsidy.amount(since: takeover.since, on: LocalDate.beijing(now)) else {
                throw DomainError.conflict(zh: "不在引入服务补贴的服务期内", en: "outside the introduction subsidy's service period")
            }
            record.title = "\(v.name)股份合作公司引入服务补贴（第 \(due.year) 服务年度）"
            record.reason = body.reason ?? "引入“城市管家”，自 \(takeover.since) 起服务"
            record.amountFen = due.fen
            record.serviceYear = due.year
        }
        try await SubsidyStore(db: req.db).request(record)
        try await req.audit(.financeChanged, subject: "subsidy:\(record.id.uuidString.lowercased())", detail: "\(kind.rawValue) requested \(record.amountFen) fen for \(v.code)")
        return try await Self.view(record, ref, req.language).encodeResponse(status: .created, for: req)
    }

    struct DecisionBody: Content {
        var approve: Bool
        var amountFen: Double?
        var note: String?
    }

    /// Introduction subsidies: the village's street office confirms (认定). Policy subsidies: the district office
    /// decides (专项工作组办公室确认), and may approve less than asked, with the reason.
    @Sendable func decide(req: Request) async throws -> SubsidyView {
        let actor = try req.requireActor()
        // Whoever may decide no subsidy at all learns nothing about which exist.
        guard FinanceAccess.mayDecideAnySubsidy(actor) else {
            throw DomainError.forbidden(LocalizedText(zh: "无权审批补贴", en: "not allowed to decide subsidies"))
        }
        let ref = try await req.caseReference()
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)), let r = try await SubsidyStore(db: req.db).find(id),
              let village = ref.areas[r.villageId], AccessPolicy.areaScope(for: actor).includes(village) else { throw SubsidyStore.notFound }
        switch SubsidyKind(rawValue: r.kind) ?? .policy {
        case .policy:
            guard FinanceAccess.may(.decidePolicySubsidy, actor, streetID: r.streetId) else {
                throw DomainError.forbidden(LocalizedText(zh: "政策补贴由区专项工作组办公室审批", en: "the district office decides policy subsidies"))
            }
        case .introduction:
            guard FinanceAccess.may(.confirmIntroductionSubsidy, actor, streetID: r.streetId) else {
                throw DomainError.forbidden(LocalizedText(zh: "引入服务补贴由所在街道办认定", en: "the village's street office confirms introduction subsidies"))
            }
        }
        let body = try req.content.decode(DecisionBody.self)
        let note = (body.note ?? "").trimmingCharacters(in: .whitespaces)
        var approved: Int?
        if let a = body.amountFen {
            approved = try Self.fen(a, "amountFen", positive: true)
            guard approved! <= r.amountFen else {
                throw DomainError.invalid("amountFen", zh: "批准金额不能超过申请金额", en: "the approved amount cannot exceed the request")
            }
        }
        if !body.approve || (approved.map { $0 < r.amountFen } ?? false), note.isEmpty {
            throw DomainError.invalid("note", zh: "不批准或核减时须写明理由", en: "a rejection or a reduced amount gives the reason")
        }
        let decided = try await SubsidyStore(db: req.db).decide(id, approve: body.approve, approvedFen: approved, note: note, by: actor.user.displayName, at: req.now)
        try await req.audit(.financeChanged, subject: "subsidy:\(id.uuidString.lowercased())", detail: "\(decided.state) \(decided.approvedFen ?? 0) fen; \(note)")
        return Self.view(decided, ref, req.language)
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
        let unpaid = (try? req.query.get(Bool.self, at: "unpaid")) ?? false
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
