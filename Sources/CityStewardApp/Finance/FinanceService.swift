import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Money, one use case per verb: billing runs, the ledger, property fees and subsidies. The JSON API
/// (`FinanceController`, `FeesAndSubsidiesController`) and the console (`FinanceWebController`) both call these, so
/// the access check, the rules and the audit row are written once.
struct FinanceService {
    let req: Request

    typealias RunView = FinanceController.RunView
    typealias ScheduleView = FeesAndSubsidiesController.ScheduleView
    typealias IssueAnswer = FeesAndSubsidiesController.IssueAnswer
    typealias BillView = FeesAndSubsidiesController.BillView
    typealias SubsidyView = FeesAndSubsidiesController.SubsidyView

    func runBilling(contractID: String?, _ body: FinanceController.BillingBody) async throws -> RunView {
        let c = try await ContractsController.context(req)
        let contract = try await ContractsController.contract(contractID, c)
        guard ContractAccess.mayManage(c.actor, streetID: contract.streetID), c.actor.can(.financeManage) else {
            throw DomainError.forbidden(LocalizedText(zh: "结算由合同所属街道办或区专项办发起", en: "billing is run by the contract's street office or the district office"))
        }
        guard let period = BillingPeriod(body.period) else {
            throw DomainError.invalid("period", zh: "结算期应为 YYYY-MM（月）或 YYYY-Qn（季度）", en: "the period is YYYY-MM (a month) or YYYY-Qn (a quarter)")
        }
        let today = LocalDate.beijing(req.now)
        guard period.first <= today else {
            throw DomainError.refused("period", zh: "结算期尚未开始", en: "the period has not begun")
        }
        let assessment = AssessmentService(req: req)
        let (statement, facts) = try await RunBilling(db: req.db, reference: c.reference).statement(contract, period: period, now: req.now) { codes, from, through in
            try await assessment.periodScore(villages: codes, from: from, through: through)
        }
        let villages = contract.terms.areas.compactMap { code in c.reference.areasByCode[code].map { (id: $0.id, code: code) } }
        let departments = Dictionary(uniqueKeysWithValues: c.reference.taxonomy.matters.map { ($0.code, $0.ownerDepartment ?? "—") })
        let run = try await FinanceStore(db: req.db).saveRun(contract: contract, statement: statement, facts: facts, villages: villages, departments: departments,
                                                             by: c.actor.user.displayName, at: req.now)
        try await req.audit(.financeChanged, subject: "billing:\(contract.number):\(period)", detail: "net=\(statement.netFen) fen; gross=\(statement.grossFen); deductions=\(statement.deductionsFen)")
        return FinanceController.view(run, req.language)
    }

    /// Parking income, the maintenance fund and costs are entered by hand; the other sources come from their records.
    func enterLedgerItem(_ body: FinanceController.EntryBody) async throws {
        let actor = try req.require(.financeManage)
        let reference = try await req.caseReference()
        guard let v = reference.areasByCode[body.village], v.kind == .village, AccessPolicy.areaScope(for: actor).includes(v),
              let street = reference.street(of: v) else {
            throw DomainError.notFound(zh: "没有这个城中村", en: "no such village")
        }
        var problems: [FieldProblem] = []
        let month = LedgerMonth(body.month)
        if month == nil { problems.append(FieldProblem(field: "month", reason: LocalizedText(zh: "月份应为 YYYY-MM", en: "a month is YYYY-MM"))) }
        let direction = LedgerEntry.Direction(rawValue: body.direction)
        switch direction {
        case .income:
            if !(IncomeSource(rawValue: body.category)?.isEnteredDirectly ?? false) {
                problems.append(FieldProblem(field: "category", reason: LocalizedText(
                    zh: "手工录入的收入只能是 parking 或 maintenanceFund（其他来源由账单、结算和补贴生成）",
                    en: "hand-entered income is parking or maintenanceFund (the other sources come from bills, billing runs and subsidies)")))
            }
        case .cost:
            if CostKind(rawValue: body.category) == nil {
                problems.append(FieldProblem(field: "category", reason: LocalizedText(zh: "支出类别应为 \(CostKind.allCases.map(\.rawValue).joined(separator: "/"))",
                                                                                    en: "a cost is one of \(CostKind.allCases.map(\.rawValue).joined(separator: ", "))")))
            }
        case nil:
            problems.append(FieldProblem(field: "direction", reason: LocalizedText(zh: "应为 income 或 cost", en: "income or cost")))
        }
        var amount = 0
        switch Money.fen(body.amountFen, field: "amountFen") {
        case .success(let f):
            amount = f
            if f == 0 { problems.append(FieldProblem(field: "amountFen", reason: LocalizedText(zh: "金额应大于 0", en: "the amount is above 0"))) }
        case .failure(let p): problems += p.problems
        }
        guard problems.isEmpty, let month, let direction else { throw FieldProblems(problems).domainError }
        let entry = LedgerEntry(month: month, direction: direction, category: body.category, amountFen: amount)
        try await FinanceStore(db: req.db).enter(entry, villageID: v.id, streetID: street, memo: body.memo ?? "", by: actor.user.displayName, at: req.now)
        try await req.audit(.financeChanged, subject: "ledger:\(v.code):\(month)", detail: "\(direction.rawValue) \(body.category) \(amount) fen")
    }

    func closePeriod(_ body: FinanceController.CloseBody) async throws {
        let actor = try req.require(.financeManage)
        let reference = try await req.caseReference()
        guard let month = LedgerMonth(body.month) else { throw DomainError.invalid("month", zh: "月份应为 YYYY-MM", en: "a month is YYYY-MM") }
        let streetID: UUID
        if let code = body.street, !code.isEmpty {
            guard let s = reference.areasByCode[code], s.kind == .street else { throw DomainError.refused("street", zh: "没有街道 \(code)", en: "no street \(code)") }
            streetID = s.id
        } else {
            guard let s = reference.street(of: actor) else {
                throw DomainError.refused("street", zh: "请写明街道代码", en: "name the street (its area code)")
            }
            streetID = s
        }
        guard ContractAccess.mayManage(actor, streetID: streetID) else {
            throw DomainError.forbidden(LocalizedText(zh: "只有本街道办或区专项办可以结账", en: "only the street office or the district office closes a month"))
        }
        guard month < LedgerMonth(LocalDate.beijing(req.now)) else {
            throw DomainError.refused("month", zh: "只能结已过去的月份", en: "only a past month can be closed")
        }
        try await FinanceStore(db: req.db).close(month: month, streetID: streetID, by: actor.user.displayName, at: req.now)
        try await req.audit(.financeChanged, subject: "period:\(reference.areas[streetID]?.code ?? ""):\(month)", detail: "closed")
    }

    /// The fee standard is the street office's (or the district's) to set.
    func setFeeSchedule(villageCode: String, _ body: FeesAndSubsidiesController.ScheduleBody) async throws -> ScheduleView {
        let actor = try req.require(.financeManage)
        let (v, street) = try FeesAndSubsidiesController.village(req, code: villageCode, actor, try await req.caseReference())
        guard ContractAccess.mayManage(actor, streetID: street) else {
            throw DomainError.forbidden(LocalizedText(zh: "物业费标准由街道办设定", en: "the street office sets the fee schedule"))
        }
        let month = try FeesAndSubsidiesController.month(body.from, "from")
        let fen = try FeesAndSubsidiesController.fen(body.fenPerHousehold, "fenPerHousehold")
        try await FeeStore(db: req.db).setSchedule(villageID: v.id, from: month, fenPerHousehold: fen, by: actor.user.displayName, at: req.now)
        try await req.audit(.financeChanged, subject: "fee-schedule:\(v.code)", detail: "from \(month): \(fen) fen per household")
        return ScheduleView(village: v.code, steps: try await FeeStore(db: req.db).schedule(villageID: v.id).map { .init(from: $0.from, fenPerHousehold: $0.fen) })
    }

    func issueFeeBills(_ body: FeesAndSubsidiesController.IssueBody) async throws -> IssueAnswer {
        let actor = try req.require(.financeManage)
        let (v, street) = try FeesAndSubsidiesController.village(req, code: body.village, actor, try await req.caseReference())
        let month = try FeesAndSubsidiesController.month(body.month)
        guard month <= LedgerMonth(LocalDate.beijing(req.now)) else {
            throw DomainError.refused("month", zh: "不能为未来月份出账", en: "bills are not issued for a future month")
        }
        let n = try await FeeStore(db: req.db).issue(village: v, streetID: street, month: month, at: req.now)
        try await req.audit(.financeChanged, subject: "fee-bills:\(v.code):\(month)", detail: "issued=\(n)")
        return IssueAnswer(village: v.code, month: month.description, issued: n)
    }

    func payFeeBill(id billID: String?, _ body: FeesAndSubsidiesController.PaymentBody) async throws -> BillView {
        let actor = try req.require(.financeManage)
        let ref = try await req.caseReference()
        guard let id = billID.flatMap(UUID.init(uuidString:)), let bill = try await FeeStore(db: req.db).bill(id),
              let village = ref.areas[bill.villageId], AccessPolicy.areaScope(for: actor).includes(village) else {
            throw DomainError.notFound(zh: "没有这张账单", en: "no such bill")
        }
        let fen = try FeesAndSubsidiesController.fen(body.amountFen, "amountFen")
        let today = LocalDate.beijing(req.now)
        var paidOn = today
        if let text = body.paidOn, !text.isEmpty {
            guard let d = LocalDate(text), d <= today else {
                throw DomainError.refused("paidOn", zh: "缴费日期应为不晚于今天的 YYYY-MM-DD", en: "paidOn is a date YYYY-MM-DD, not in the future")
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

    func subsidies(state stateText: String?) async throws -> [SubsidyView] {
        let actor = try req.require(.financeRead)
        let ref = try await req.caseReference()
        let villages = ref.villages(in: AccessPolicy.areaScope(for: actor)).map(\.id)
        let state = stateText.flatMap(SubsidyState.init(rawValue:))
        if let s = stateText, !s.isEmpty, state == nil {
            throw DomainError.invalid("state", zh: "状态应为 requested/approved/rejected", en: "state is requested, approved or rejected")
        }
        return try await SubsidyStore(db: req.db).list(villageIDs: villages, state: state).map { FeesAndSubsidiesController.view($0, ref, req.language) }
    }

    /// A policy subsidy is the steward's request for unforeseen work outside its contracts; an introduction subsidy is
    /// requested for the village's shareholding company for the current service year, at the configured schedule.
    func requestSubsidy(_ body: FeesAndSubsidiesController.RequestBody) async throws -> SubsidyView {
        let actor = try req.require(.financeManage)
        let ref = try await req.caseReference()
        guard let kind = SubsidyKind(rawValue: body.kind) else {
            throw DomainError.invalid("kind", zh: "补贴类型应为 introduction 或 policy", en: "kind is introduction or policy")
        }
        let (v, street) = try FeesAndSubsidiesController.village(req, code: body.village, actor, ref)
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
        return FeesAndSubsidiesController.view(record, ref, req.language)
    }

    /// Introduction subsidies: the village's street office confirms (认定). Policy subsidies: the district office
    /// decides (专项工作组办公室确认), and may approve less than asked, with the reason.
    func decideSubsidy(id subsidyID: String?, _ body: FeesAndSubsidiesController.DecisionBody) async throws -> SubsidyView {
        let actor = try req.requireActor()
        // Whoever may decide no subsidy at all learns nothing about which exist.
        guard FinanceAccess.mayDecideAnySubsidy(actor) else {
            throw DomainError.forbidden(LocalizedText(zh: "无权审批补贴", en: "not allowed to decide subsidies"))
        }
        let ref = try await req.caseReference()
        guard let id = subsidyID.flatMap(UUID.init(uuidString:)), let r = try await SubsidyStore(db: req.db).find(id),
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
        let note = (body.note ?? "").trimmingCharacters(in: .whitespaces)
        guard note.count <= 500 else { throw DomainError.invalid("note", zh: "理由最多 500 字", en: "the reason is at most 500 characters") }
        var approved: Int?
        if let a = body.amountFen {
            approved = try FeesAndSubsidiesController.fen(a, "amountFen", positive: true)
            guard approved! <= r.amountFen else {
                throw DomainError.refused("amountFen", zh: "批准金额不能超过申请金额", en: "the approved amount cannot exceed the request")
            }
        }
        if !body.approve || (approved.map { $0 < r.amountFen } ?? false), note.isEmpty {
            throw DomainError.refused("note", zh: "不批准或核减时须写明理由", en: "a rejection or a reduced amount gives the reason")
        }
        let decided = try await SubsidyStore(db: req.db).decide(id, approve: body.approve, approvedFen: approved, note: note, by: actor.user.displayName, at: req.now)
        try await req.audit(.financeChanged, subject: "subsidy:\(id.uuidString.lowercased())", detail: "\(decided.state) \(decided.approvedFen ?? 0) fen; \(note)")
        return FeesAndSubsidiesController.view(decided, ref, req.language)
    }
}
