import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The console pages for contracts and money. Forms post here; each handler reads its form into the use case's
/// input (`ContractsService`, `FinanceService`, the same ones the JSON API calls) and comes back to the page, with the
/// reason in the page when something was refused.
struct FinanceWebController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("contracts", use: list)
        routes.get("contracts", "new", use: newForm)
        routes.post("contracts", "new", use: create)
        routes.get("contracts", ":id", "edit", use: editForm)
        routes.post("contracts", ":id", "edit", use: edit)
        routes.get("contracts", ":id", use: detail)
        routes.get("contracts", ":id", "print", use: print)
        routes.post("contracts", ":id", "actions", ":action", use: act)
        routes.post("contracts", ":id", "amend", use: amend)
        routes.post("contracts", ":id", "billing", use: runBilling)
        routes.get("billing", ":run", use: billing)
        routes.get("catalog", use: catalog)
        routes.post("catalog", ":matter", use: setPrice)
        routes.get("ledger", use: ledger)
        routes.post("ledger", "entries", use: enter)
        routes.post("ledger", "close", use: close)
        routes.get("subsidies", use: subsidies)
        routes.post("subsidies", use: request)
        routes.post("subsidies", ":id", "decision", use: decide)
        routes.get("fees", use: fees)
        routes.post("fees", "schedule", use: schedule)
        routes.post("fees", "bills", use: issue)
        routes.post("fees", "bills", ":id", "payments", use: pay)
    }

    // MARK: Contracts

    struct ListPage: Encodable {
        var page: PageChrome
        var contracts: [ContractsController.ContractView]
        var canCreate: Bool
    }

    @Sendable func list(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let c = try await ContractsController.context(req)
        let contracts = try await c.store.list(scope: ContractAccess.scope(for: c.actor)).map { ContractsController.view($0, c.reference, req.language) }
        let page = ListPage(page: PageChrome(request: req, title: req.language == .en ? "Service contracts" : "服务合同"), contracts: contracts,
                            canCreate: c.actor.can(.contractsManage))
        return try await req.page("contracts", page)
    }

    struct DetailPage: Encodable {
        var page: PageChrome
        var d: ContractsController.Detail
        var actions: [ActionForm]
        var runs: [FinanceController.RunView]
        var canBill: Bool
        var defaultPeriod: String
        var billingErrors: [String: String]
        var error: String?
        var takeovers: [ContractsController.TakeoverView]
        /// A draft its street office may still change.
        var canEdit: Bool = false
        var guarantee: String = ""
    }

    /// One action form of a contract; a refused one comes back with what was typed and its reasons by field.
    struct ActionForm: Encodable {
        var value: String
        var label: String
        var needsReason: Bool
        var needsDate: Bool
        var note: String?
        var date: String?
        var errors: [String: String]
    }

    /// A refused form of the contract page: which one (`action:NAME` or `billing`), what was typed, the refusal.
    struct Refused {
        var form: String
        var note: String?
        var date: String?
        var period: String?
        var error: DomainError
    }

    /// The refusal's messages by the fields a form has; the rest under `form`.
    static func messages(_ error: DomainError, fields: Set<String>, _ language: Language) -> [String: String] {
        var out: [String: String] = [:]
        for (field, message) in error.messagesByField(language) {
            out[field.flatMap { fields.contains($0) ? $0 : nil } ?? "form"] = message
        }
        return out
    }

    @Sendable func detail(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        return try await renderDetail(req, template: "contract")
    }

    @Sendable func print(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        return try await renderDetail(req, template: "contract-print")
    }

    func renderDetail(_ req: Request, template: String, refused: Refused? = nil) async throws -> Response {
        let c = try await ContractsController.context(req)
        let r = try await ContractsController.contract(req.parameters.get("id"), c)
        let d = try await ContractsController.detail(req, c, r)
        let runs = c.actor.can(.financeRead) ? try await FinanceStore(db: req.db).runs(contractNumber: r.number).map { FinanceController.view($0, req.language) } : []
        var takeovers: [ContractsController.TakeoverView] = []
        for code in r.terms.areas {
            if let v = c.reference.areasByCode[code], let t = try await c.store.takeover(villageID: v.id) {
                var view = ContractsController.takeoverView(v, t, req.language)
                view.village = v.displayName(req.language)
                takeovers.append(view)
            }
        }
        let page = DetailPage(
            page: PageChrome(request: req, title: "\(r.number) · \(r.terms.title)"), d: d,
            actions: d.actions.compactMap { ContractAction(rawValue: $0) }.map { a in
                let mine = refused?.form == "action:\(a.rawValue)" ? refused : nil
                return ActionForm(value: a.rawValue, label: a.label.text(req.language), needsReason: a == .terminate || a == .returnToDraft,
                                  needsDate: a == .terminate, note: mine?.note, date: mine?.date,
                                  errors: mine.map { Self.messages($0.error, fields: ["note", "date"], req.language) } ?? [:])
            },
            runs: runs, canBill: ContractAccess.mayManage(c.actor, streetID: r.streetID) && c.actor.can(.financeManage) && RunBilling.inForce.contains(r.state),
            defaultPeriod: refused?.form == "billing" ? refused?.period ?? "" : LedgerMonth(LocalDate.beijing(req.now)).description,
            billingErrors: refused.flatMap { $0.form == "billing" ? Self.messages($0.error, fields: ["period"], req.language) : nil } ?? [:],
            error: nil, takeovers: takeovers, canEdit: r.state == .draft && ContractAccess.mayManage(c.actor, streetID: r.streetID),
            guarantee: Money.yuan(r.terms.guaranteeFen))
        // A refusal with no form of its own on the page (an amendment, an action not offered now) shows on top.
        var shown = page
        if let refused, !(page.actions.contains { "action:\($0.value)" == refused.form } || (refused.form == "billing" && page.canBill)) {
            shown.error = refused.error.message(req.language)
        }
        return try await req.page(template, shown, status: refused?.error.status ?? .ok)
    }

    /// What the person can fix comes back as the contract page with the form filled in; the rest keeps its answer.
    static func mayComeBack(_ error: DomainError) -> Bool {
        switch error {
        case .invalid, .unprocessable, .conflict: true
        default: false
        }
    }

    @Sendable func act(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let action = req.parameters.get("action") ?? ""
        let body = (try? req.content.decode(ContractsController.ActionBody.self)) ?? .init()
        do {
            _ = try await ContractsService(req: req).act(id: req.parameters.get("id"), action: action, body)
            return req.redirect(to: "/contracts/\(req.parameters.get("id") ?? "")")
        } catch let e as DomainError where Self.mayComeBack(e) {
            return try await renderDetail(req, template: "contract", refused: Refused(form: "action:\(action)", note: body.note, date: body.date, error: e))
        }
    }

    @Sendable func amend(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        do {
            let draft = try await ContractsService(req: req).amend(id: req.parameters.get("id"))
            // An amendment is made to be changed: straight to its form.
            return req.redirect(to: "/contracts/\(draft.contract.id)/edit")
        } catch let e as DomainError where Self.mayComeBack(e) {
            return try await renderDetail(req, template: "contract", refused: Refused(form: "amend", error: e))
        }
    }

    @Sendable func runBilling(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let body = try req.content.decode(FinanceController.BillingBody.self)
        do {
            let run = try await FinanceService(req: req).runBilling(contractID: req.parameters.get("id"), body)
            return req.redirect(to: "/billing/\(run.id)")
        } catch let e as DomainError where Self.mayComeBack(e) {
            return try await renderDetail(req, template: "contract", refused: Refused(form: "billing", period: body.period, error: e))
        }
    }

    struct NewPage: Encodable {
        var page: PageChrome
        /// Where the form posts: `/contracts/new`, or `/contracts/{id}/edit` for a draft.
        var action: String
        var heading: String
        /// The draft being edited (its number and version), if any.
        var editing: String?
        var contractID: String?
        var villages: [Choice]
        var streets: [Choice]
        var stewards: [Choice]
        var matters: [Choice]
        var today: String
        var yearEnd: String
        var error: String?
        /// The matter rows, with what was typed in them after a refusal; always two empty ones more for new lines.
        var rows: [LineRow] = (0..<3).map { _ in LineRow() }
        /// The qualification checks, likewise.
        var checks: [CheckRow] = (0..<2).map { _ in CheckRow() }
        /// What was typed, when the form comes back refused; the page's defaults otherwise.
        var form = Typed()
        /// A message per field of the form (`errors.title` …), in the reader's language.
        var errors: [String: String] = [:]
    }

    struct LineRow: Encodable {
        var matter = ""
        var quantity = ""
        var unitPriceYuan = ""
        var priceReason = ""
        var timeLimitHours = ""
        var error: String?
    }

    struct CheckRow: Encodable {
        var item = ""
        var passed = true
        var checker = ""
        var date = ""
        var error: String?
    }

    struct Typed: Encodable {
        var title = "", street = "", steward = "", procurement = "directEntrustment", areas: [String] = []
        var start = "", end = "", overdueYuan = "200", overdueCapYuan = "5000", failedYuan = "100", spotCheckYuan = "50", performance = true
        var rightsAndDuties = "", breachLiability = "", guaranteeText = "", guaranteeYuan = ""
        var noticeDate = "", noticeChannel = "", noticeText = ""
    }

    @Sendable func newForm(req: Request) async throws -> Response {
        try await newFormPage(req)
    }

    /// A draft's terms on the form.
    static func typed(_ r: ContractRecord, streetCode: String, stewardCode: String) -> (Typed, [LineRow], [CheckRow]) {
        let t = r.terms
        let overdue = t.deductions.first { $0.basis == .overdueCase }, failed = t.deductions.first { $0.basis == .failedVerification }
        let spot = t.deductions.first { $0.basis == .failedSpotCheck }
        let form = Typed(title: t.title, street: streetCode, steward: stewardCode, procurement: t.procurement.rawValue, areas: t.areas, start: t.start.description,
                         end: t.end.description, overdueYuan: overdue.map { Money.yuan($0.amountFen) } ?? "", overdueCapYuan: overdue?.capFen.map(Money.yuan) ?? "",
                         failedYuan: failed.map { Money.yuan($0.amountFen) } ?? "", spotCheckYuan: spot.map { Money.yuan($0.amountFen) } ?? "",
                         performance: t.performance != nil, rightsAndDuties: t.rightsAndDuties, breachLiability: t.breachLiability,
                         guaranteeText: t.guaranteeText, guaranteeYuan: t.guaranteeFen > 0 ? Money.yuan(t.guaranteeFen) : "",
                         noticeDate: t.notice?.date.description ?? "", noticeChannel: t.notice?.channel ?? "", noticeText: t.notice?.text ?? "")
        let lines = t.lines.map { l in
            LineRow(matter: l.matterCode, quantity: l.quantity.formatted(.number.grouping(.never)), unitPriceYuan: Money.yuan(l.unitPriceFen),
                    priceReason: l.priceReason ?? "", timeLimitHours: l.timeLimitHours.map(String.init) ?? "")
        }
        let checks = t.qualificationChecks.map { CheckRow(item: $0.item, passed: $0.passed, checker: $0.checker, date: $0.date.description) }
        return (form, lines, checks)
    }

    /// The contract form: new, or a draft's terms to edit; after a refusal, with everything typed kept and each message
    /// by its field or row.
    func newFormPage(_ req: Request, typed: NewForm? = nil, errors: [String: String] = [:], rowErrors: [Int: String] = [:], checkErrors: [Int: String] = [:],
                     error: String? = nil, editing: ContractRecord? = nil, status: HTTPStatus = .ok) async throws -> Response {
        _ = try req.consoleActor()
        let c = try await ContractsController.context(req)
        try AccessPolicy.require(.contractsManage, c.actor)
        let language = req.language
        let streets = c.reference.areas.values.filter { $0.kind == .street && ContractAccess.mayManage(c.actor, streetID: $0.id) }.sorted { $0.code < $1.code }
        let villages = c.reference.areas.values.filter { v in v.kind == .village && streets.contains { v.path.contains($0.id) } }.sorted { $0.code < $1.code }
        let prices = try await ContractsController.catalog(req)
        let today = LocalDate.beijing(req.now)
        let heading = editing.map { (language == .en ? "Edit draft " : "修改草稿 ") + "\($0.number) v\($0.version)" } ?? (language == .en ? "New service contract" : "新建服务合同")
        let page = NewPage(
            page: PageChrome(request: req, title: heading), action: editing.map { "/contracts/\($0.id)/edit" } ?? "/contracts/new", heading: heading,
            editing: editing.map { "\($0.number) v\($0.version)" }, contractID: editing?.id.uuidString,
            villages: villages.map { Choice(value: $0.code, label: $0.displayName(language)) },
            streets: streets.map { Choice(value: $0.code, label: $0.displayName(language)) },
            stewards: c.reference.orgs.values.filter { $0.kind == .steward }.sorted { $0.code < $1.code }.map { Choice(value: $0.code, label: $0.displayName(language)) },
            matters: c.reference.taxonomy.matters.filter { !$0.beyondAuthority }.map { m in
                let p = prices[m.code]
                return Choice(value: m.code, label: "\(m.code) \(language == .en ? m.nameEn : m.name)" + (p.map { " · \(Money.yuan($0.benchmarkFen))/\($0.unit)" } ?? ""))
            },
            today: today.description, yearEnd: LocalDate(year: today.year + 2, month: 12, day: 31).description, error: error)
        var shown = page
        if let f = typed {
            shown.form = Typed(title: f.title, street: f.street ?? "", steward: f.steward, procurement: f.procurement, areas: f.areas ?? [],
                               start: f.start, end: f.end, overdueYuan: f.overdueYuan ?? "", overdueCapYuan: f.overdueCapYuan ?? "", failedYuan: f.failedYuan ?? "",
                               spotCheckYuan: f.spotCheckYuan ?? "", performance: f.performance == "on",
                               rightsAndDuties: f.rightsAndDuties ?? "", breachLiability: f.breachLiability ?? "", guaranteeText: f.guaranteeText ?? "",
                               guaranteeYuan: f.guaranteeYuan ?? "", noticeDate: f.noticeDate ?? "", noticeChannel: f.noticeChannel ?? "",
                               noticeText: f.noticeText ?? "")
            shown.rows = (0..<max(3, f.matter?.count ?? 0)).map { i in
                LineRow(matter: f.matter?[safe: i] ?? "", quantity: f.quantity?[safe: i] ?? "", unitPriceYuan: f.unitPriceYuan?[safe: i] ?? "",
                        priceReason: f.priceReason?[safe: i] ?? "", timeLimitHours: f.timeLimitHours?[safe: i] ?? "", error: rowErrors[i])
            }
            shown.checks = (0..<max(2, f.checkItem?.count ?? 0)).map { i in
                CheckRow(item: f.checkItem?[safe: i] ?? "", passed: f.checkResult?[safe: i] != "failed", checker: f.checker?[safe: i] ?? "",
                         date: f.checkDate?[safe: i] ?? "", error: checkErrors[i])
            }
        } else if let editing {
            let streetCode = c.reference.areas[editing.streetID]?.code ?? ""
            let stewardCode = c.reference.orgs[editing.stewardID]?.code ?? ""
            let (form, lines, checks) = Self.typed(editing, streetCode: streetCode, stewardCode: stewardCode)
            shown.form = form
            shown.rows = lines + (0..<2).map { _ in LineRow() }
            shown.checks = checks + (0..<max(1, 2 - checks.count)).map { _ in CheckRow() }
        } else {
            shown.form.start = page.today
            shown.form.end = page.yearEnd
        }
        shown.errors = errors
        let mark = { (choices: [Choice], value: String) in choices.map { var c = $0; c.selected = c.value == value; return c } }
        shown.streets = mark(page.streets, shown.form.street)
        shown.stewards = mark(page.stewards, shown.form.steward)
        shown.villages = page.villages.map { var v = $0; v.selected = shown.form.areas.contains(v.value); return v }
        return try await req.page("contract-new", shown, status: status)
    }

    /// The form's fields (matter rows and checks as arrays) as the API's body.
    struct NewForm: Content {
        var title: String
        var street: String?
        var steward: String
        var procurement: String
        var areas: [String]?
        var start: String
        var end: String
        var matter: [String]?
        var quantity: [String]?
        var unitPriceYuan: [String]?
        var priceReason: [String]?
        var timeLimitHours: [String]?
        var overdueYuan: String?
        var overdueCapYuan: String?
        var failedYuan: String?
        var spotCheckYuan: String?
        /// `on`: the fee follows the district's standard payment coefficient.
        var performance: String?
        var rightsAndDuties: String?
        var breachLiability: String?
        var guaranteeText: String?
        var guaranteeYuan: String?
        var checkItem: [String]?
        var checkResult: [String]?
        var checker: [String]?
        var checkDate: [String]?
        var noticeDate: String?
        var noticeChannel: String?
        var noticeText: String?

        /// The rows that were filled in, by the slot they were typed in.
        var lineSlots: [Int] { (matter ?? []).enumerated().filter { !$0.element.isEmpty }.map(\.offset) }
        var checkSlots: [Int] { (checkItem ?? []).enumerated().filter { !$0.element.trimmingCharacters(in: .whitespaces).isEmpty }.map(\.offset) }

        var body: ContractBody {
            let lines = lineSlots.map { i in
                ContractBody.Line(matterCode: matter![i], quantity: quantity?[safe: i].flatMap { Double($0.trimmingCharacters(in: .whitespaces)) } ?? 0, unit: nil,
                                  unitPriceFen: Money.typedYuan(unitPriceYuan?[safe: i]), priceReason: priceReason?[safe: i]?.nilIfBlank,
                                  timeLimitHours: timeLimitHours?[safe: i].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) })
            }
            var deductions: [ContractBody.Deduction] = []
            if let o = Money.typedYuan(overdueYuan) { deductions.append(.init(basis: "overdueCase", matterCode: nil, amountFen: o, capFen: Money.typedYuan(overdueCapYuan))) }
            if let v = Money.typedYuan(failedYuan) { deductions.append(.init(basis: "failedVerification", matterCode: nil, amountFen: v, capFen: nil)) }
            if let v = Money.typedYuan(spotCheckYuan) { deductions.append(.init(basis: "failedSpotCheck", matterCode: nil, amountFen: v, capFen: nil)) }
            let checks = checkSlots.map { i in
                ContractBody.Check(item: checkItem![i], passed: checkResult?[safe: i] != "failed", checker: checker?[safe: i] ?? "", date: checkDate?[safe: i] ?? "", attachment: nil)
            }
            let notice = noticeText?.nilIfBlank.map { ContractBody.Notice(date: noticeDate ?? "", channel: noticeChannel ?? "", text: $0) }
            return ContractBody(title: title, street: street?.nilIfBlank, steward: steward, procurement: procurement, areas: areas ?? [], lines: lines,
                                start: start, end: end, rightsAndDuties: rightsAndDuties, breachLiability: breachLiability, deductions: deductions,
                                guaranteeText: guaranteeText, guaranteeFen: Money.typedYuan(guaranteeYuan), qualificationChecks: checks, notice: notice,
                                performance: performance == "on" ? ContractBody.Performance(bands: PerformancePayment.example.bands.map {
                                    .init(minimum: $0.minimum, percentAtTop: $0.percentAtTop, perPointBelow: $0.perPointBelow)
                                }) : nil)
        }
    }

    @Sendable func create(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let f = try req.content.decode(NewForm.self)
        return try await saveContract(req, f, editing: nil) { try await ContractsService(req: req).create(f.body).contract.id }
    }

    @Sendable func editForm(req: Request) async throws -> Response {
        let c = try await ContractsController.context(req)
        let r = try await ContractsController.contract(req.parameters.get("id"), c)
        try ContractsController.requireManage(c, streetID: r.streetID)
        if let refusal = ContractRules.editRefusal(state: r.state) { throw DomainError.conflict(refusal) }
        return try await newFormPage(req, editing: r)
    }

    @Sendable func edit(req: Request) async throws -> Response {
        let c = try await ContractsController.context(req)
        let r = try await ContractsController.contract(req.parameters.get("id"), c)
        let f = try req.content.decode(NewForm.self)
        return try await saveContract(req, f, editing: r) { try await ContractsService(req: req).update(id: r.id.uuidString, f.body).contract.id }
    }

    /// Saves the form through its use case and opens the contract; a refusal comes back as the form, each message by
    /// its field or by the row it belongs to.
    func saveContract(_ req: Request, _ f: NewForm, editing: ContractRecord?, _ save: () async throws -> UUID) async throws -> Response {
        // A limit typed that is not a whole number of hours ("半天") is refused by its row, not taken as none.
        var limitErrors: [Int: String] = [:]
        for slot in f.lineSlots {
            let typed = (f.timeLimitHours?[safe: slot] ?? "").trimmingCharacters(in: .whitespaces)
            if !typed.isEmpty, (Int(typed) ?? 0) <= 0 {
                limitErrors[slot] = req.language == .en ? "the time limit is a whole number of working hours (e.g. 24)" : "时限应为整数个工作小时（如 24）"
            }
        }
        guard limitErrors.isEmpty else {
            return try await newFormPage(req, typed: f, rowErrors: limitErrors, editing: editing, status: .badRequest)
        }
        do {
            return req.redirect(to: "/contracts/\(try await save())")
        } catch let problems as FieldProblems {
            // The API's field names (`lines[0].priceReason`) are the form's: the rows by their slot.
            var errors: [String: String] = [:], rowErrors: [Int: String] = [:], checkErrors: [Int: String] = [:]
            let language = req.language
            func slot(_ field: String, _ prefix: String) -> Int? {
                guard field.hasPrefix(prefix + "["), let close = field.firstIndex(of: "]") else { return nil }
                return Int(field[field.index(field.startIndex, offsetBy: prefix.count + 1)..<close])
            }
            for p in problems.problems {
                let reason = p.reason.text(language)
                if let i = slot(p.field, "lines"), let s = f.lineSlots[safe: i] {
                    rowErrors[s] = [rowErrors[s], reason].compactMap { $0 }.joined(separator: "；")
                    continue
                }
                if let i = slot(p.field, "qualificationChecks"), let s = f.checkSlots[safe: i] {
                    checkErrors[s] = [checkErrors[s], reason].compactMap { $0 }.joined(separator: "；")
                    continue
                }
                let field = Self.formField[String(p.field.prefix { $0 != "[" && $0 != "." })] ?? String(p.field.prefix { $0 != "[" && $0 != "." })
                errors[field] = [errors[field], reason].compactMap { $0 }.joined(separator: "；")
            }
            return try await newFormPage(req, typed: f, errors: errors, rowErrors: rowErrors, checkErrors: checkErrors, editing: editing, status: .badRequest)
        } catch let e as DomainError {
            return try await newFormPage(req, typed: f, error: e.message(req.language), editing: editing, status: e.status)
        }
    }

    /// Where a problem of the contract's terms belongs on the form.
    static let formField = ["guaranteeFen": "guaranteeYuan", "qualificationChecks": "checkItem", "notice": "noticeText", "deductions": "overdueYuan", "performance": "performance",
                            "lines": "lines"]

    // MARK: Billing

    struct BillingPage: Encodable {
        var page: PageChrome
        var run: FinanceController.RunView
        var contractId: UUID
        var title: String
    }

    @Sendable func billing(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let (run, c) = try await FinanceController.run(req)
        let contract = try await c.store.find(run.contractID, scope: ContractAccess.scope(for: c.actor))
        let page = BillingPage(page: PageChrome(request: req, title: "\(run.contractNumber) · \(run.period)"), run: FinanceController.view(run, req.language),
                               contractId: contract.id, title: contract.terms.title)
        return try await req.page("billing", page)
    }

    // MARK: Refused forms of the money pages

    /// A refused form of a money page: which form, what was typed, each reason by the field it belongs to (`form`:
    /// a reason with no field of its own on that form).
    struct RefusedForm: Encodable {
        var form: String
        var values: [String: String]
        var errors: [String: String]
    }

    /// The refusal as the form shows it, when it is about what was typed (400, 409, 422); nil for the rest (a
    /// forbidden or missing record answers as such). `rename` maps the use case's field names to the form's.
    static func refusedForm(_ error: any Error, form: String, values: [String: String], rename: [String: String], _ language: Language) -> RefusedForm? {
        let domain: DomainError
        switch error {
        case let problems as FieldProblems: domain = problems.domainError
        case let e as DomainError where mayComeBack(e): domain = e
        default: return nil
        }
        var errors: [String: String] = [:]
        for (field, message) in domain.messagesByField(language) {
            let named = field.map { rename[$0] ?? $0 }
            let slot = named.flatMap { values.keys.contains($0) ? $0 : nil } ?? "form"
            errors[slot] = [errors[slot], message].compactMap { $0 }.joined(separator: language == .en ? "; " : "；")
        }
        return RefusedForm(form: form, values: values, errors: errors)
    }

    /// Runs a money form's use case: done, back to `back` (post/redirect/get); refused for what was typed, `page`
    /// renders the page again with the form as typed and each reason by its field (400).
    static func submit(_ req: Request, back: String, form: String, values: [String: String], rename: [String: String] = [:],
                       page: (RefusedForm) async throws -> Response, _ body: () async throws -> Void) async throws -> Response {
        _ = try req.consoleActor()
        do {
            try await body()
            return req.redirect(to: back)
        } catch {
            guard let refused = refusedForm(error, form: form, values: values, rename: rename, req.language) else { throw error }
            return try await page(refused)
        }
    }

    /// An amount in yuan as typed on a form, in fen (what the use cases take); nil when left empty, for the use case to
    /// say whether it may be. Anything that is not yuan with at most two decimals is refused by its field.
    static func fen(_ text: String?, field: String) throws -> Double? {
        guard let t = text?.trimmingCharacters(in: .whitespaces), !t.isEmpty else { return nil }
        guard let fen = Money.typedYuan(t), fen.isFinite, fen.rounded() == fen else {
            throw FieldProblems([FieldProblem(field: field, reason: LocalizedText(zh: "金额以元为单位，最多两位小数，如 1280.50", en: "an amount in yuan with at most two decimals, e.g. 1280.50"))])
        }
        return fen
    }

    /// Lets a form field with a refused value render it back (`form.field` in the templates).
    static func typed(_ refused: RefusedForm?, _ form: String) -> [String: String]? {
        refused?.form == form ? refused?.values : nil
    }

    static func errors(_ refused: RefusedForm?, _ form: String) -> [String: String] {
        refused?.form == form ? refused?.errors ?? [:] : [:]
    }

    // MARK: Catalog

    struct CatalogPage: Encodable {
        var page: PageChrome
        var prices: [PriceRow]
        var canEdit: Bool
        var error: String?
        /// The new-matter form (shared with the matter page as `matter-fields`).
        var form: MatterCatalogController.MatterForm
        var beyond: Bool
        var errors: [String: String]
        var choices: MatterCatalogController.FormChoices
        var streets: [StreetRow]
    }

    /// A matter's row: its terms, and the price form (a refused edit keeps what was typed).
    struct PriceRow: Encodable {
        var p: ContractsController.PriceView
        var limit: String
        var beyond: Bool
        var benchmark: String
        var unit: String
        var errors: [String: String]
    }

    /// A street whose list the reader may open, with the version in force.
    struct StreetRow: Encodable {
        var code: String
        var name: String
        var version: Int?
        var count: Int
    }

    @Sendable func catalog(req: Request) async throws -> Response {
        try await Self.catalogPage(req, refused: nil)
    }

    static func catalogPage(_ req: Request, refused: RefusedForm?, newMatter: MatterCatalogController.MatterForm? = nil,
                            newErrors: [String: String] = [:]) async throws -> Response {
        let actor = try req.consoleActor()
        let language = req.language
        let terms = Dictionary(uniqueKeysWithValues: try await MatterCatalogService(req: req).catalog().map { ($0.code, $0) })
        let prices = try await ContractsService(req: req).prices().map { p in
            let typed = Self.typed(refused, "price:\(p.matterCode)")
            let t = terms[p.matterCode]
            return PriceRow(p: p, limit: t?.timeLimitHours.map { language == .en ? "\($0) h" : "\($0) 工作小时" } ?? "—", beyond: t?.beyondAuthority ?? false,
                            benchmark: typed?["benchmarkYuan"] ?? p.benchmark, unit: typed?["unit"] ?? p.unit, errors: Self.errors(refused, "price:\(p.matterCode)"))
        }
        let reference = try await req.caseReference()
        let lists = try await MatterCatalogStore(db: req.db).streetLists()
        let streets = reference.areas.values.filter { $0.kind == .street && ContractAccess.mayReadMatterList(actor, streetID: $0.id) }.sorted { $0.code < $1.code }
            .map { StreetRow(code: $0.code, name: $0.displayName(language), version: lists[$0.id]?.version, count: lists[$0.id]?.matters.count ?? 0) }
        let form = newMatter ?? MatterCatalogController.MatterForm(domain: ServiceDomain.entrusted.rawValue)
        let page = CatalogPage(page: PageChrome(request: req, title: language == .en ? "Entrustable matters and benchmark prices" : "可委托事项与行业管养单价"),
                               prices: prices, canEdit: ContractAccess.maySetPrices(actor), error: refused?.errors["form"], form: form, beyond: form.beyond,
                               errors: newErrors, choices: try await MatterCatalogController.choices(req, form: form), streets: streets)
        return try await req.page("catalog", page, status: refused == nil && newErrors.isEmpty ? .ok : .badRequest)
    }

    struct PriceForm: Content {
        var unit: String?
        var benchmarkYuan: String?
    }

    @Sendable func setPrice(req: Request) async throws -> Response {
        let f = try req.content.decode(PriceForm.self)
        let matter = req.parameters.get("matter") ?? ""
        return try await Self.submit(req, back: "/catalog", form: "price:\(matter)", values: ["unit": f.unit ?? "", "benchmarkYuan": f.benchmarkYuan ?? ""],
                                     rename: ["benchmarkFen": "benchmarkYuan"], page: { try await Self.catalogPage(req, refused: $0) }) {
            let fen = try Self.fen(f.benchmarkYuan, field: "benchmarkYuan") ?? .nan
            _ = try await ContractsService(req: req).setPrice(matter: matter, .init(unit: f.unit ?? "", benchmarkFen: fen))
        }
    }

    // MARK: Ledger

    struct LedgerPage: Encodable {
        var page: PageChrome
        var svg: String
        var title: String
        var months: [MonthRow]
        var sources: [Choice]
        var totals: [String]
        var totalIncome: String
        var totalCost: String
        var opening: String
        var departments: [Choice]
        var villages: [Choice]
        var streets: [Choice]
        var query: String
        var canEnter: Bool
        var canClose: Bool
        var entryKinds: [Choice]
        var entry: [String: String]
        var entryErrors: [String: String]
        var closing: [String: String]
        var closeErrors: [String: String]
        var entryVillage: String
        var error: String?
    }

    struct MonthRow: Encodable {
        var month: String
        var income: [String]
        var incomeTotal: String
        var cost: String
        var net: String
        var balance: String
        var closed: Bool
    }

    @Sendable func ledger(req: Request) async throws -> Response {
        try await ledgerPage(req, refused: nil)
    }

    /// The kinds of entry the ledger form offers (`direction:category`).
    static let entryKinds: [(value: String, key: String)] = [
        ("income:parking", "ledger.parking"), ("income:maintenanceFund", "ledger.maintenanceFund"), ("cost:staff", "ledger.costStaff"),
        ("cost:materials", "ledger.costMaterials"), ("cost:subcontract", "ledger.costSubcontract"), ("cost:equipment", "ledger.costEquipment"),
        ("cost:other", "ledger.costOther"),
    ]

    func ledgerPage(_ req: Request, refused: RefusedForm?) async throws -> Response {
        let actor = try req.consoleActor()
        let language = req.language
        let (s, villages, closed, reference) = try await FinanceController.summary(req)
        let q = try req.query.decode(FinanceController.LedgerQuery.self)
        let scope = AccessPolicy.areaScope(for: actor)
        let allVillages = reference.villages(in: scope)
        let streets = reference.areas.values.filter { st in st.kind == .street && allVillages.contains { $0.path.contains(st.id) } }.sorted { $0.code < $1.code }
        let title = villages.count == 1 ? villages[0].displayName(language)
            : q.street.flatMap { reference.areasByCode[$0]?.displayName(language) } ?? (language == .en ? "All villages in scope" : "辖区全部城中村")
        let this = LedgerMonth(LocalDate.beijing(req.now))
        let entry = Self.typed(refused, "entry") ?? ["month": this.description]
        let closing = Self.typed(refused, "close") ?? ["month": this.previous.description, "street": q.street ?? ""]
        let page = LedgerPage(
            page: PageChrome(request: req, title: (language == .en ? "Ledger · " : "台账 · ") + title), svg: LedgerChart.svg(s, language), title: title,
            months: s.months.reversed().map { m in
                MonthRow(month: m.month.description, income: IncomeSource.allCases.map { Money.yuan(m.income[$0] ?? 0) }, incomeTotal: Money.yuan(m.incomeFen),
                         cost: Money.yuan(m.costFen), net: Money.yuan(m.netFen), balance: Money.yuan(m.balanceFen), closed: closed.contains(m.month.description))
            },
            sources: IncomeSource.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language)) },
            totals: IncomeSource.allCases.map { Money.yuan(s.incomeBySource[$0] ?? 0) }, totalIncome: Money.yuan(s.incomeFen), totalCost: Money.yuan(s.costFen),
            opening: Money.yuan(s.openingFen),
            departments: s.serviceFeeByDepartment.sorted { $0.key < $1.key }.map { d in
                Choice(value: reference.departments[d.key]?.name ?? d.key, label: Money.yuan(d.value))
            },
            villages: allVillages.map { Choice(value: $0.code, label: $0.displayName(language), selected: villages.count == 1 && villages[0].id == $0.id) },
            streets: streets.map { Choice(value: $0.code, label: $0.displayName(language), selected: closing["street"] == $0.code) },
            query: req.url.query ?? "", canEnter: actor.can(.financeManage) && villages.count == 1,
            canClose: actor.can(.financeManage) && streets.contains { ContractAccess.mayManage(actor, streetID: $0.id) },
            entryKinds: Self.entryKinds.map { Choice(value: $0.value, label: req.application.localizer.text($0.key, language), selected: $0.value == entry["kind"]) },
            entry: entry, entryErrors: Self.errors(refused, "entry"), closing: closing, closeErrors: Self.errors(refused, "close"),
            entryVillage: villages.count == 1 ? villages[0].code : "", error: refused?.errors["form"])
        return try await req.page("ledger", page, status: refused == nil ? .ok : .badRequest)
    }

    /// The ledger as it was filtered: the forms post with the page's query, so a refusal renders the same page and
    /// success returns to it.
    static func ledgerBack(_ req: Request) -> String {
        req.url.query.map { "/ledger?" + $0 } ?? "/ledger"
    }

    struct EntryForm: Content {
        var village: String?
        var month: String?
        var kind: String?
        var amountYuan: String?
        var memo: String?
    }

    @Sendable func enter(req: Request) async throws -> Response {
        let f = try req.content.decode(EntryForm.self)
        let values = ["month": f.month ?? "", "kind": f.kind ?? "", "amountYuan": f.amountYuan ?? "", "memo": f.memo ?? ""]
        return try await Self.submit(req, back: Self.ledgerBack(req), form: "entry", values: values,
                                     rename: ["amountFen": "amountYuan", "direction": "kind", "category": "kind"], page: { try await ledgerPage(req, refused: $0) }) {
            let parts = (f.kind ?? "").split(separator: ":").map(String.init)
            let fen = try Self.fen(f.amountYuan, field: "amountYuan") ?? .nan
            try await FinanceService(req: req).enterLedgerItem(.init(village: f.village ?? "", month: f.month ?? "", direction: parts.first ?? "",
                                                                     category: parts.last ?? "", amountFen: fen, memo: f.memo))
        }
    }

    @Sendable func close(req: Request) async throws -> Response {
        let f = try req.content.decode(FinanceController.CloseBody.self)
        return try await Self.submit(req, back: Self.ledgerBack(req), form: "close", values: ["month": f.month, "street": f.street ?? ""],
                                     page: { try await ledgerPage(req, refused: $0) }) {
            try await FinanceService(req: req).closePeriod(f)
        }
    }

    // MARK: Subsidies

    struct SubsidiesPage: Encodable {
        var page: PageChrome
        var rows: [Row]
        var policyVillages: [Choice]
        var introductionVillages: [Choice]
        var canRequestPolicy: Bool
        var canRequestIntroduction: Bool
        var policy: [String: String]
        var policyErrors: [String: String]
        var introductionErrors: [String: String]
        var error: String?

        struct Row: Encodable {
            var s: FeesAndSubsidiesController.SubsidyView
            var amount: String
            var approved: String?
            var canDecide: Bool
            var typedAmount: String
            var typedNote: String
            var errors: [String: String]
        }
    }

    @Sendable func subsidies(req: Request) async throws -> Response {
        try await subsidiesPage(req, refused: nil)
    }

    func subsidiesPage(_ req: Request, refused: RefusedForm?) async throws -> Response {
        let actor = try req.consoleActor()
        let language = req.language
        let list = try await FinanceService(req: req).subsidies(state: try? req.query.get(String.self, at: "state"))
        let reference = try await req.caseReference()
        let villages = reference.villages(in: AccessPolicy.areaScope(for: actor))
        let rows = list.map { s -> SubsidiesPage.Row in
            let street = reference.areasByCode[s.village].flatMap(reference.street(of:))
            let may = s.state == "requested" && (s.kind == "policy" ? actor.can(.subsidiesDecide) : street.map { ContractAccess.mayManage(actor, streetID: $0) } ?? false)
            let form = "decision:\(s.id.uuidString.lowercased())"
            let typed = Self.typed(refused, form)
            return SubsidiesPage.Row(s: s, amount: Money.yuan(s.amountFen), approved: s.approvedFen.map(Money.yuan), canDecide: may,
                                     typedAmount: typed?["amountYuan"] ?? Money.yuan(s.amountFen), typedNote: typed?["note"] ?? "",
                                     errors: Self.errors(refused, form))
        }
        let policy = Self.typed(refused, "request:policy") ?? [:]
        let introduction = Self.typed(refused, "request:introduction") ?? [:]
        let page = SubsidiesPage(page: PageChrome(request: req, title: language == .en ? "Subsidies" : "补贴申请与审批"), rows: rows,
                                 policyVillages: villages.map { Choice(value: $0.code, label: $0.displayName(language), selected: $0.code == policy["village"]) },
                                 introductionVillages: villages.map { Choice(value: $0.code, label: $0.displayName(language), selected: $0.code == introduction["village"]) },
                                 canRequestPolicy: FinanceAccess.mayEver(.requestPolicySubsidy, actor),
                                 canRequestIntroduction: actor.can(.contractsManage) && actor.can(.financeManage),
                                 policy: policy, policyErrors: Self.errors(refused, "request:policy"),
                                 introductionErrors: Self.errors(refused, "request:introduction"), error: refused?.errors["form"])
        return try await req.page("subsidies", page, status: refused == nil ? .ok : .badRequest)
    }

    struct RequestForm: Content {
        var kind: String?
        var village: String?
        var title: String?
        var reason: String?
        var amountYuan: String?
    }

    @Sendable func request(req: Request) async throws -> Response {
        let f = try req.content.decode(RequestForm.self)
        let kind = f.kind == "introduction" ? "introduction" : "policy"
        let values = ["village": f.village ?? "", "title": f.title ?? "", "reason": f.reason ?? "", "amountYuan": f.amountYuan ?? ""]
        return try await Self.submit(req, back: "/subsidies", form: "request:\(kind)", values: values, rename: ["amountFen": "amountYuan"],
                                     page: { try await subsidiesPage(req, refused: $0) }) {
            let fen = try Self.fen(f.amountYuan, field: "amountYuan")
            _ = try await FinanceService(req: req).requestSubsidy(.init(kind: f.kind ?? "", village: f.village ?? "", title: f.title, reason: f.reason, amountFen: fen))
        }
    }

    struct DecisionForm: Content {
        var decision: String?
        var amountYuan: String?
        var note: String?
    }

    @Sendable func decide(req: Request) async throws -> Response {
        let f = try req.content.decode(DecisionForm.self)
        let id = req.parameters.get("id") ?? ""
        return try await Self.submit(req, back: "/subsidies", form: "decision:\(id.lowercased())", values: ["amountYuan": f.amountYuan ?? "", "note": f.note ?? ""],
                                     rename: ["amountFen": "amountYuan"], page: { try await subsidiesPage(req, refused: $0) }) {
            let fen = try Self.fen(f.amountYuan, field: "amountYuan")
            _ = try await FinanceService(req: req).decideSubsidy(id: id, .init(approve: f.decision == "approve", amountFen: fen, note: f.note))
        }
    }

    // MARK: Fees

    struct FeesPage: Encodable {
        var page: PageChrome
        var village: String
        var villageName: String
        var villages: [Choice]
        var bills: [Bill]
        var billed: String
        var paid: String
        var arrears: String
        var householdsOwing: Int
        var schedule: [Choice]
        var canSetSchedule: Bool
        var canManage: Bool
        var scheduling: [String: String]
        var scheduleErrors: [String: String]
        var issuing: [String: String]
        var issueErrors: [String: String]
        var error: String?

        struct Bill: Encodable {
            var id: UUID
            var building: String
            /// The building's name (its code beside it, small).
            var buildingName: String
            var unit: String
            var month: String
            var amount: String
            var paid: String
            var outstanding: String
            var owing: Bool
            var typedAmount: String
            var methods: [Choice]
            var errors: [String: String]
            /// Every reason of a refused payment, shown under its row.
            var error: String?
        }
    }

    static let paymentMethods: [(value: String, zh: String, en: String)] = [("wechat", "微信", "WeChat Pay"), ("alipay", "支付宝", "Alipay"),
                                                                           ("bank", "银行", "Bank"), ("cash", "现金", "Cash")]

    @Sendable func fees(req: Request) async throws -> Response {
        try await feesPage(req, refused: nil)
    }

    func feesPage(_ req: Request, refused: RefusedForm?) async throws -> Response {
        let actor = try req.consoleActor()
        try AccessPolicy.require(.financeRead, actor)
        let language = req.language
        let reference = try await req.caseReference()
        let villages = reference.villages(in: AccessPolicy.areaScope(for: actor))
        let code = (try? req.query.get(String.self, at: "village")) ?? villages.first?.code ?? ""
        let (v, street) = try FeesAndSubsidiesController.village(req, code: code, actor, reference)
        let store = FeeStore(db: req.db)
        let bills = try await store.bills(villageIDs: [v.id], limit: 200)
        let totals = try await store.totals(villageIDs: [v.id])
        let thisMonth = LedgerMonth(LocalDate.beijing(req.now)).description
        let page = FeesPage(
            page: PageChrome(request: req, title: (language == .en ? "Property fees · " : "物业费 · ") + v.displayName(language)), village: v.code,
            villageName: v.displayName(language), villages: villages.map { Choice(value: $0.code, label: $0.displayName(language), selected: $0.id == v.id) },
            bills: bills.map { b in
                let form = "pay:\(b.id.uuidString.lowercased())"
                let typed = Self.typed(refused, form)
                return FeesPage.Bill(id: b.id, building: b.buildingCode, buildingName: reference.areasByCode[b.buildingCode]?.displayName(language) ?? b.buildingCode, unit: b.unit, month: b.month, amount: Money.yuan(b.amountFen),
                                     paid: Money.yuan(b.paidFen), outstanding: Money.yuan(b.outstandingFen), owing: b.outstandingFen > 0,
                                     typedAmount: typed?["amountYuan"] ?? Money.yuan(b.outstandingFen),
                                     methods: Self.paymentMethods.map { Choice(value: $0.value, label: language == .en ? $0.en : $0.zh, selected: $0.value == typed?["method"]) },
                                     errors: Self.errors(refused, form),
                                     error: Self.errors(refused, form).sorted { $0.key < $1.key }.map(\.value).joined(separator: " ").nilIfBlank)
            },
            billed: Money.yuan(totals.billed), paid: Money.yuan(totals.paid), arrears: Money.yuan(totals.billed - totals.paid), householdsOwing: totals.households,
            schedule: try await store.schedule(villageID: v.id).map { Choice(value: $0.from, label: Money.yuan($0.fen)) },
            canSetSchedule: actor.can(.financeManage) && ContractAccess.mayManage(actor, streetID: street), canManage: actor.can(.financeManage),
            scheduling: Self.typed(refused, "schedule") ?? ["from": thisMonth], scheduleErrors: Self.errors(refused, "schedule"),
            issuing: Self.typed(refused, "issue") ?? ["month": thisMonth], issueErrors: Self.errors(refused, "issue"), error: refused?.errors["form"])
        return try await req.page("fees", page, status: refused == nil ? .ok : .badRequest)
    }

    /// The fees page of the village the form was for: its forms post with `?village=`, so a refusal renders it again.
    static func feesBack(_ req: Request) -> String {
        req.url.query.map { "/fees?" + $0 } ?? "/fees"
    }

    struct ScheduleForm: Content {
        var village: String?
        var from: String?
        var yuanPerHousehold: String?
    }

    @Sendable func schedule(req: Request) async throws -> Response {
        let f = try req.content.decode(ScheduleForm.self)
        return try await Self.submit(req, back: Self.feesBack(req), form: "schedule", values: ["from": f.from ?? "", "yuanPerHousehold": f.yuanPerHousehold ?? ""],
                                     rename: ["fenPerHousehold": "yuanPerHousehold", "amountFen": "yuanPerHousehold"], page: { try await feesPage(req, refused: $0) }) {
            let fen = try Self.fen(f.yuanPerHousehold, field: "yuanPerHousehold") ?? .nan
            _ = try await FinanceService(req: req).setFeeSchedule(villageCode: f.village ?? "", .init(from: f.from ?? "", fenPerHousehold: fen))
        }
    }

    struct IssueForm: Content {
        var village: String?
        var month: String?
    }

    @Sendable func issue(req: Request) async throws -> Response {
        let f = try req.content.decode(IssueForm.self)
        return try await Self.submit(req, back: Self.feesBack(req), form: "issue", values: ["month": f.month ?? ""], page: { try await feesPage(req, refused: $0) }) {
            _ = try await FinanceService(req: req).issueFeeBills(.init(village: f.village ?? "", month: f.month ?? ""))
        }
    }

    struct PayForm: Content {
        var village: String?
        var amountYuan: String?
        var method: String?
    }

    @Sendable func pay(req: Request) async throws -> Response {
        let f = try req.content.decode(PayForm.self)
        let id = (req.parameters.get("id") ?? "").lowercased()
        return try await Self.submit(req, back: Self.feesBack(req), form: "pay:\(id)", values: ["amountYuan": f.amountYuan ?? "", "method": f.method ?? ""],
                                     rename: ["amountFen": "amountYuan"], page: { try await feesPage(req, refused: $0) }) {
            let fen = try Self.fen(f.amountYuan, field: "amountYuan") ?? .nan
            _ = try await FinanceService(req: req).payFeeBill(id: id, .init(amountFen: fen, paidOn: nil, method: f.method))
        }
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
