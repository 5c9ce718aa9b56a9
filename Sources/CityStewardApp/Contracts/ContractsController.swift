import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Service contracts between street offices and stewards (plan §7(2)): the catalog's benchmark prices, contracts and
/// their versions, the actions of their life, takeover modes per village. Activation creates the entrusted-matter
/// rows routing reads; every list is scoped (`ContractAccess`), another street's contract answers 404.
struct ContractsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped("api", "v1")
        api.get("catalog", "prices", use: prices)
        api.put("catalog", "prices", ":matter", use: setPrice)
        api.get("contracts", use: list)
        api.post("contracts", use: create)
        api.get("contracts", ":id", use: one)
        api.put("contracts", ":id", use: update)
        api.post("contracts", ":id", "actions", ":action", use: act)
        api.post("contracts", ":id", "amend", use: amend)
        api.get("villages", ":code", "takeover", use: takeover)
        api.put("villages", ":code", "takeover", use: setTakeover)
    }

    // MARK: Shared

    struct Context {
        var actor: Actor
        var reference: CaseReference
        var store: ContractStore
    }

    static func context(_ req: Request) async throws -> Context {
        let actor = try req.require(.contractsRead)
        return Context(actor: actor, reference: try await req.caseReference(), store: ContractStore(db: req.db))
    }

    static func catalog(_ req: Request) async throws -> [String: CatalogPrice] {
        Dictionary(uniqueKeysWithValues: try await ContractStore(db: req.db).prices().map { ($0.matterCode, $0) })
    }

    static func contract(_ req: Request, _ c: Context) async throws -> ContractRecord {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw ContractStore.notFound }
        return try await c.store.find(id, scope: ContractAccess.scope(for: c.actor))
    }

    static func requireManage(_ c: Context, streetID: UUID) throws {
        guard ContractAccess.mayManage(c.actor, streetID: streetID) else {
            throw DomainError.forbidden(LocalizedText(zh: "只有本街道办或区专项办可以办理该合同", en: "only the contract's street office or the district office may do this"))
        }
    }

    static func today(_ req: Request) -> LocalDate { LocalDate.beijing(req.now) }

    // MARK: Views

    struct LineView: Content {
        var matterCode: String
        var matterName: String
        var department: String?
        var quantity: Int
        var unit: String
        var unitPriceFen: Int
        var unitPrice: String
        var benchmarkPriceFen: Int
        var priceReason: String?
        var timeLimitHours: Int?
        var monthlyFen: Int
        var monthly: String
    }

    struct ContractView: Content {
        var id: UUID
        var number: String
        var version: Int
        var state: String
        var stateLabel: String
        var title: String
        var street: String
        var streetOffice: String
        var steward: String
        var stewardName: String
        var procurement: String
        var procurementLabel: String
        var areas: [String]
        var areaNames: [String]
        var start: String
        var end: String
        var terminatedOn: String?
        var lines: [LineView]
        var monthlyFen: Int
        var monthly: String
        var rightsAndDuties: String
        var breachLiability: String
        var deductions: [DeductionView]
        var guaranteeText: String
        var guaranteeFen: Int
        var qualificationChecks: [CheckView]
        var notice: NoticeView?
        var createdBy: String
        var updatedAt: Date
    }

    struct DeductionView: Content {
        var basis: String
        var basisLabel: String
        var matterCode: String?
        var amountFen: Int
        var capFen: Int?
        var text: String
    }

    struct CheckView: Content {
        var item: String
        var passed: Bool
        var checker: String
        var date: String
        var attachment: String?
    }

    struct NoticeView: Content {
        var date: String
        var channel: String
        var text: String
    }

    static func view(_ r: ContractRecord, _ ref: CaseReference, _ language: Language) -> ContractView {
        let t = r.terms
        let matters = Dictionary(uniqueKeysWithValues: ref.taxonomy.matters.map { ($0.code, $0) })
        let street = ref.areas[r.streetID]
        let steward = ref.orgs[r.stewardID]
        return ContractView(
            id: r.id, number: r.number, version: r.version, state: r.state.rawValue, stateLabel: r.state.label.text(language), title: t.title,
            street: street?.code ?? "", streetOffice: ref.streetOffices[r.streetID]?.name ?? t.streetOffice, steward: steward?.code ?? t.steward,
            stewardName: steward?.displayName(language) ?? t.steward, procurement: t.procurement.rawValue, procurementLabel: t.procurement.label.text(language),
            areas: t.areas, areaNames: t.areas.map { ref.areasByCode[$0]?.displayName(language) ?? $0 }, start: t.start.description, end: t.end.description,
            terminatedOn: r.terminatedOn?.description,
            lines: t.lines.map { l in
                let m = matters[l.matterCode]
                return LineView(matterCode: l.matterCode, matterName: m.map { language == .en ? $0.nameEn : $0.name } ?? l.matterCode,
                                department: m?.ownerDepartment.map { ref.departments[$0]?.name ?? $0 }, quantity: l.quantity, unit: l.unit, unitPriceFen: l.unitPriceFen, unitPrice: Money.yuan(l.unitPriceFen),
                                benchmarkPriceFen: l.benchmarkPriceFen, priceReason: l.priceReason, timeLimitHours: l.timeLimitHours, monthlyFen: l.monthlyFen,
                                monthly: Money.yuan(l.monthlyFen))
            },
            monthlyFen: t.monthlyFen, monthly: Money.yuan(t.monthlyFen), rightsAndDuties: t.rightsAndDuties, breachLiability: t.breachLiability,
            deductions: t.deductions.map { d in
                let scope = d.matterCode.map { c in matters[c].map { language == .en ? $0.nameEn : $0.name } ?? c } ?? (language == .en ? "all matters" : "全部事项")
                let cap = d.capFen.map { language == .en ? ", at most ¥\(Money.yuan($0)) a period" : "，每期最多 \(Money.yuan($0)) 元" } ?? ""
                return DeductionView(basis: d.basis.rawValue, basisLabel: d.basis.label.text(language), matterCode: d.matterCode, amountFen: d.amountFen, capFen: d.capFen,
                                     text: language == .en ? "¥\(Money.yuan(d.amountFen)) per \(d.basis.label.en) (\(scope))\(cap)"
                                         : "每件\(d.basis.label.zh)扣 \(Money.yuan(d.amountFen)) 元（\(scope)）\(cap)")
            },
            guaranteeText: t.guaranteeText, guaranteeFen: t.guaranteeFen,
            qualificationChecks: t.qualificationChecks.map { CheckView(item: $0.item, passed: $0.passed, checker: $0.checker, date: $0.date.description, attachment: $0.attachment) },
            notice: t.notice.map { NoticeView(date: $0.date.description, channel: $0.channel, text: $0.text) }, createdBy: r.createdBy, updatedAt: r.updatedAt)
    }

    // MARK: Catalog

    struct PriceView: Content {
        var matterCode: String
        var name: String
        var domain: String
        var ownerDepartment: String?
        var unit: String
        var benchmarkFen: Int
        var benchmark: String
    }

    @Sendable func prices(req: Request) async throws -> [PriceView] {
        let c = try await Self.context(req)
        let prices = try await Self.catalog(req)
        return c.reference.taxonomy.matters.map { m in
            let p = prices[m.code]
            return PriceView(matterCode: m.code, name: req.language == .en ? m.nameEn : m.name, domain: m.domain.rawValue, ownerDepartment: m.ownerDepartment,
                             unit: p?.unit ?? "", benchmarkFen: p?.benchmarkFen ?? 0, benchmark: Money.yuan(p?.benchmarkFen ?? 0))
        }
    }

    struct PriceBody: Content {
        var unit: String
        var benchmarkFen: Double
    }

    @Sendable func setPrice(req: Request) async throws -> PriceView {
        let c = try await Self.context(req)
        guard ContractAccess.maySetPrices(c.actor) else {
            throw DomainError.forbidden(LocalizedText(zh: "行业管养单价由区专项办维护", en: "the district office keeps the benchmark prices"))
        }
        let code = req.parameters.get("matter") ?? ""
        guard let matter = c.reference.taxonomy.matters.first(where: { $0.code == code }) else {
            throw DomainError.notFound(zh: "可委托事项清单中没有 \(code)", en: "the catalog has no matter \(code)")
        }
        let body = try req.content.decode(PriceBody.self)
        let fen: Int
        switch Money.fen(body.benchmarkFen, field: "benchmarkFen") {
        case .success(let f): fen = f
        case .failure(let p): throw p.domainError
        }
        let unit = body.unit.trimmingCharacters(in: .whitespaces)
        guard !unit.isEmpty, unit.count <= 10 else { throw DomainError.invalid("unit", zh: "计价单位应为 1~10 个字", en: "the unit is 1 to 10 characters") }
        let old = try await Self.catalog(req)[code]
        try await c.store.setPrice(CatalogPrice(matterCode: code, unit: unit, benchmarkFen: fen), by: c.actor.user.displayName, at: req.now)
        try await req.audit(.ruleChanged, subject: "price:\(code)", detail: "\(old.map { "\($0.benchmarkFen) fen/\($0.unit)" } ?? "none") → \(fen) fen/\(unit)")
        return PriceView(matterCode: code, name: req.language == .en ? matter.nameEn : matter.name, domain: matter.domain.rawValue,
                         ownerDepartment: matter.ownerDepartment, unit: unit, benchmarkFen: fen, benchmark: Money.yuan(fen))
    }

    // MARK: Contracts

    @Sendable func list(req: Request) async throws -> [ContractView] {
        let c = try await Self.context(req)
        return try await c.store.list(scope: ContractAccess.scope(for: c.actor)).map { Self.view($0, c.reference, req.language) }
    }

    struct Detail: Content {
        var contract: ContractView
        var versions: [VersionView]
        var events: [EventView]
        var actions: [String]
        var mayAmend: Bool
    }

    struct VersionView: Content {
        var id: UUID
        var version: Int
        var state: String
        var stateLabel: String
        var start: String
        var end: String
        var monthly: String
    }

    struct EventView: Content {
        var at: String
        var action: String
        var from: String?
        var to: String
        var actor: String
        var note: String?
    }

    static func detail(_ req: Request, _ c: Context, _ r: ContractRecord) async throws -> Detail {
        let language = req.language
        let versions = try await c.store.versions(number: r.number)
        let events = try await c.store.events(r.id)
        let manage = ContractAccess.mayManage(c.actor, streetID: r.streetID)
        return Detail(
            contract: view(r, c.reference, language),
            versions: versions.map { VersionView(id: $0.id, version: $0.version, state: $0.state.rawValue, stateLabel: $0.state.label.text(language),
                                                 start: $0.terms.start.description, end: $0.terms.end.description, monthly: Money.yuan($0.terms.monthlyFen)) },
            events: events.map { EventView(at: Timestamp.beijing($0.at), action: ContractAction(rawValue: $0.action)?.label.text(language) ?? $0.action,
                                           from: $0.from?.label.text(language), to: $0.to.label.text(language), actor: $0.actorName, note: $0.note) },
            actions: manage ? ContractAction.allCases.filter { $0.from.contains(r.state) }.map(\.rawValue) : [],
            mayAmend: manage && (r.state == .active || r.state == .signed) && !versions.contains { $0.state == .draft || $0.state == .underReview })
    }

    @Sendable func one(req: Request) async throws -> Detail {
        let c = try await Self.context(req)
        return try await Self.detail(req, c, try await Self.contract(req, c))
    }

    /// The street and steward a body names, checked against the caller.
    static func parties(_ body: ContractBody, _ c: Context) throws -> (street: Area, steward: Org) {
        let street: Area
        if let code = body.street, !code.isEmpty {
            guard let a = c.reference.areasByCode[code], a.kind == .street else {
                throw DomainError.invalid("street", zh: "没有街道 \(code)", en: "no street \(code)")
            }
            street = a
        } else {
            guard let id = c.reference.street(of: c.actor), let a = c.reference.areas[id] else {
                throw DomainError.invalid("street", zh: "请写明街道代码", en: "name the street (its area code)")
            }
            street = a
        }
        try requireManage(c, streetID: street.id)
        guard let steward = c.reference.orgs.values.first(where: { $0.code == body.steward }), steward.kind == .steward else {
            throw DomainError.invalid("steward", zh: "没有城市管家运营企业 \(body.steward)", en: "no steward operator \(body.steward)")
        }
        return (street, steward)
    }

    static func terms(_ req: Request, _ body: ContractBody, _ c: Context, street: Area) async throws -> ContractTerms {
        let catalog = try await Self.catalog(req)
        let office = c.reference.streetOffices[street.id]?.name ?? street.name
        let terms: ContractTerms
        switch body.terms(catalog: catalog, streetOffice: office) {
        case .success(let t): terms = t
        case .failure(let p): throw p.domainError
        }
        let known = Set(c.reference.areas.values.filter { $0.path.contains(street.id) && $0.kind == .village }.map(\.code))
        let problems = ContractRules.problems(terms, catalog: catalog, knownAreas: known)
        guard problems.isEmpty else { throw FieldProblems(problems).domainError }
        return terms
    }

    @Sendable func create(req: Request) async throws -> Response {
        let c = try await Self.context(req)
        let body = try req.content.decode(ContractBody.self)
        let (street, steward) = try Self.parties(body, c)
        let terms = try await Self.terms(req, body, c, street: street)
        let record = try await c.store.create(terms, streetID: street.id, streetCode: street.code, stewardID: steward.id, by: c.actor.user.displayName, at: req.now)
        try await req.audit(.contractChanged, subject: "contract:\(record.number)", detail: "created v1 (draft)")
        return try await Self.detail(req, c, record).encodeResponse(status: .created, for: req)
    }

    @Sendable func update(req: Request) async throws -> Detail {
        let c = try await Self.context(req)
        let r = try await Self.contract(req, c)
        let body = try req.content.decode(ContractBody.self)
        var b = body
        b.street = c.reference.areas[r.streetID]?.code
        let (street, _) = try Self.parties(b, c)
        let terms = try await Self.terms(req, b, c, street: street)
        let updated = try await c.store.update(r.id, terms: terms, by: c.actor.user.displayName, at: req.now)
        try await req.audit(.contractChanged, subject: "contract:\(r.number)", detail: "edited v\(r.version)")
        return try await Self.detail(req, c, updated)
    }

    struct ActionBody: Content {
        var note: String?
        var date: String?
    }

    @Sendable func act(req: Request) async throws -> Detail {
        let c = try await Self.context(req)
        let r = try await Self.contract(req, c)
        try Self.requireManage(c, streetID: r.streetID)
        let name = req.parameters.get("action") ?? ""
        guard let action = ContractAction(rawValue: name) else {
            throw DomainError.invalid("action", zh: "没有这个操作：\(name)", en: "no such action: \(name)")
        }
        let body = (try? req.content.decode(ActionBody.self)) ?? ActionBody()
        var date: LocalDate?
        if let text = body.date, !text.isEmpty {
            guard let d = LocalDate(text) else { throw DomainError.invalid("date", zh: "日期应为 YYYY-MM-DD", en: "a date is YYYY-MM-DD") }
            date = d
        }
        if action == .returnToDraft || action == .terminate, (body.note ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw DomainError.invalid("note", zh: "请写明理由", en: "give the reason")
        }
        let areaIDs = Dictionary(uniqueKeysWithValues: r.terms.areas.compactMap { code in c.reference.areasByCode[code].map { (code, $0.id) } })
        let done = try await c.store.perform(action, on: r.id, areaIDs: areaIDs, today: Self.today(req), terminationDate: date, note: body.note,
                                             by: c.actor.user.displayName, at: req.now)
        if action == .activate || action == .terminate { req.application.caseReference.invalidate() }
        try await req.audit(.contractChanged, subject: "contract:\(r.number)", detail: "v\(r.version) \(r.state.rawValue) → \(done.state.rawValue)"
                            + (body.note.map { "; \($0)" } ?? ""))
        return try await Self.detail(req, c, done)
    }

    @Sendable func amend(req: Request) async throws -> Response {
        let c = try await Self.context(req)
        let r = try await Self.contract(req, c)
        try Self.requireManage(c, streetID: r.streetID)
        let draft = try await c.store.amend(r.id, by: c.actor.user.displayName, at: req.now)
        try await req.audit(.contractChanged, subject: "contract:\(r.number)", detail: "amendment v\(draft.version) from v\(r.version)")
        return try await Self.detail(req, c, draft).encodeResponse(status: .created, for: req)
    }

    // MARK: Takeovers

    struct TakeoverView: Content {
        var village: String
        var mode: String
        var modeLabel: String
        var since: String
        var formerCompany: String?
        var contracts: [TakeoverContractView]
        var note: String?
    }

    struct TakeoverContractView: Content {
        var counterparty: String
        var kind: String
        var reference: String
        var signedOn: String
        var from: String
        var to: String?
    }

    static func takeoverView(_ village: Area, _ t: VillageTakeover, _ language: Language) -> TakeoverView {
        TakeoverView(village: village.code, mode: t.mode.rawValue, modeLabel: t.mode.label.text(language), since: t.since.description,
                     formerCompany: t.formerCompany,
                     contracts: t.contracts.map { TakeoverContractView(counterparty: $0.counterparty.rawValue, kind: $0.kind.rawValue, reference: $0.reference,
                                                                       signedOn: $0.signedOn.description, from: $0.from.description, to: $0.to?.description) },
                     note: t.note)
    }

    @Sendable func takeover(req: Request) async throws -> TakeoverView {
        let c = try await Self.context(req)
        let v = try FeesAndSubsidiesController.village(req, code: nil, c.actor, c.reference).village
        guard let t = try await c.store.takeover(villageID: v.id) else {
            throw DomainError.notFound(zh: "尚未登记物业接管方式", en: "no takeover mode is recorded yet")
        }
        return Self.takeoverView(v, t, req.language)
    }

    struct TakeoverBody: Content {
        var mode: String
        var since: String
        var formerCompany: String?
        var contracts: [TakeoverContractView]?
        var note: String?
    }

    @Sendable func setTakeover(req: Request) async throws -> TakeoverView {
        let c = try await Self.context(req)
        let (v, street) = try FeesAndSubsidiesController.village(req, code: nil, c.actor, c.reference)
        try Self.requireManage(c, streetID: street)
        let body = try req.content.decode(TakeoverBody.self)
        var problems: [FieldProblem] = []
        let mode = TakeoverMode(rawValue: body.mode)
        if mode == nil {
            problems.append(FieldProblem(field: "mode", reason: LocalizedText(zh: "接管方式应为 \(TakeoverMode.allCases.map(\.rawValue).joined(separator: "/"))",
                                                                            en: "mode is one of \(TakeoverMode.allCases.map(\.rawValue).joined(separator: ", "))")))
        }
        let since = LocalDate(body.since)
        if since == nil { problems.append(FieldProblem(field: "since", reason: LocalizedText(zh: "日期应为 YYYY-MM-DD", en: "a date is YYYY-MM-DD"))) }
        var contracts: [TakeoverContract] = []
        for (i, x) in (body.contracts ?? []).enumerated() {
            guard let cp = TakeoverContract.Counterparty(rawValue: x.counterparty), let kind = TakeoverContract.Kind(rawValue: x.kind),
                  let signed = LocalDate(x.signedOn), let from = LocalDate(x.from) else {
                problems.append(FieldProblem(field: "contracts[\(i)]", reason: LocalizedText(
                    zh: "合同应写明 counterparty（tenderer/formerCompany）、kind（propertyService/consulting/cooperation）与日期",
                    en: "a contract gives counterparty (tenderer/formerCompany), kind (propertyService/consulting/cooperation) and its dates")))
                continue
            }
            contracts.append(TakeoverContract(counterparty: cp, kind: kind, reference: x.reference, signedOn: signed, from: from, to: x.to.flatMap(LocalDate.init)))
        }
        guard problems.isEmpty, let mode, let since else { throw FieldProblems(problems).domainError }
        let t = VillageTakeover(mode: mode, since: since, formerCompany: body.formerCompany?.nilIfBlank, contracts: contracts, note: body.note?.nilIfBlank)
        let more = t.problems()
        guard more.isEmpty else { throw FieldProblems(more).domainError }
        try await c.store.setTakeover(t, villageID: v.id, by: c.actor.user.displayName, at: req.now)
        try await req.audit(.contractChanged, subject: "takeover:\(v.code)", detail: "\(mode.rawValue) since \(since)")
        return Self.takeoverView(v, t, req.language)
    }
}

extension String {
    var nilIfBlank: String? { trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : self }
}
