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
        // Superseded by the matter catalog (GET|PUT /api/v1/catalog/matters[/{code}]), which carries the price too.
        let deprecated = api.grouped(Deprecation.catalogPrices)
        deprecated.get("catalog", "prices", use: prices)
        deprecated.put("catalog", "prices", ":matter", use: setPrice)
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

    /// The contract an id names, if the caller may see it (404 otherwise, and for an id that is not one).
    static func contract(_ idText: String?, _ c: Context) async throws -> ContractRecord {
        guard let id = idText.flatMap(UUID.init(uuidString:)) else { throw ContractStore.notFound }
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
        /// The payment coefficient's bands, and the rule written out.
        var performance: [PaymentBand]?
        var performanceText: [String]?
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
            notice: t.notice.map { NoticeView(date: $0.date.description, channel: $0.channel, text: $0.text) },
            performance: t.performance?.bands, performanceText: t.performance.map { Self.describe($0, language) }, createdBy: r.createdBy, updatedAt: r.updatedAt)
    }

    /// Each band as a sentence: "≥ 70 分：100% − 0.2% × (90 − 得分)".
    static func describe(_ p: PerformancePayment, _ language: Language) -> [String] {
        let fmt = AssessmentScoring.fmt
        var top = 100.0
        return p.bands.map { b in
            defer { top = b.minimum }
            let rule = b.perPointBelow == 0 ? "\(fmt(b.percentAtTop))%"
                : "\(fmt(b.percentAtTop))% − \(fmt(b.perPointBelow))% × (\(fmt(top)) − \(language == .en ? "score" : "得分"))"
            return language == .en ? "score \(fmt(b.minimum))–\(fmt(top)): \(rule)" : "得分 \(fmt(b.minimum))~\(fmt(top))：\(rule)"
        }
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
        try await ContractsService(req: req).prices()
    }

    struct PriceBody: Content {
        var unit: String
        var benchmarkFen: Double
    }

    @Sendable func setPrice(req: Request) async throws -> PriceView {
        try await ContractsService(req: req).setPrice(matter: req.parameters.get("matter") ?? "", try req.content.decode(PriceBody.self))
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
            events: events.map { EventView(at: Timestamp.beijing($0.at), action: ContractAction.label(event: $0.action).text(language),
                                           from: $0.from?.label.text(language), to: $0.to.label.text(language), actor: $0.actorName, note: $0.note) },
            actions: actions(c.actor, r, manage: manage, signatures: try await c.store.signatures(r.id)).map(\.rawValue),
            mayAmend: manage && (r.state == .active || r.state == .signed) && !versions.contains { $0.state == .draft || $0.state == .underReview })
    }

    /// What the caller can do to the version now: the street office its steps (signing once the steward has
    /// countersigned), the steward's dispatcher its countersignature.
    static func actions(_ actor: Actor, _ r: ContractRecord, manage: Bool, signatures: ContractSignatures) -> [ContractAction] {
        ContractAction.allCases.filter { a in
            guard a.from.contains(r.state) else { return false }
            if a == .countersign { return ContractAccess.mayCountersign(actor, stewardID: r.stewardID) && signatures.refusal(a, by: actor.user.id) == nil }
            if a == .sign { return manage && signatures.refusal(a, by: actor.user.id) == nil }
            return manage
        }
    }

    @Sendable func one(req: Request) async throws -> Detail {
        let c = try await Self.context(req)
        return try await Self.detail(req, c, try await Self.contract(req.parameters.get("id"), c))
    }

    /// The street and steward a body names, checked against the caller.
    static func parties(_ body: ContractBody, _ c: Context) throws -> (street: Area, steward: Org) {
        let street: Area
        if let code = body.street, !code.isEmpty {
            guard let a = c.reference.areasByCode[code], a.kind == .street else {
                throw DomainError.refused("street", zh: "没有街道 \(code)", en: "no street \(code)")
            }
            street = a
        } else {
            guard let id = c.reference.street(of: c.actor), let a = c.reference.areas[id] else {
                throw DomainError.refused("street", zh: "请写明街道代码", en: "name the street (its area code)")
            }
            street = a
        }
        try requireManage(c, streetID: street.id)
        guard let steward = c.reference.orgs.values.first(where: { $0.code == body.steward }), steward.kind == .steward else {
            throw DomainError.refused("steward", zh: "没有城市管家运营企业 \(body.steward)", en: "no steward operator \(body.steward)")
        }
        return (street, steward)
    }

    static func terms(_ req: Request, _ body: ContractBody, _ c: Context, street: Area) async throws -> ContractTerms {
        let catalog = try await Self.catalog(req)
        let office = c.reference.streetOffices[street.id]?.name ?? street.name
        var terms: ContractTerms
        switch body.terms(catalog: catalog, streetOffice: office) {
        case .success(let t): terms = t
        case .failure(let p): throw p
        }
        let matters = MatterCatalogStore(db: req.db)
        let catalogTerms = Dictionary(uniqueKeysWithValues: try await matters.catalog().map { ($0.code, $0) })
        // A line that agrees no time limit of its own takes the catalog's.
        for i in terms.lines.indices where terms.lines[i].timeLimitHours == nil {
            terms.lines[i].timeLimitHours = catalogTerms[terms.lines[i].matterCode]?.timeLimitHours
        }
        let list = try await matters.streetLists()[street.id]
        let known = Set(c.reference.areas.values.filter { $0.path.contains(street.id) && $0.kind == .village }.map(\.code))
        let problems = ContractRules.problems(terms, catalog: catalog, knownAreas: known,
                                              mayEntrust: { MatterRules.entrustRefusal($0, streetList: list, catalog: catalogTerms) })
        guard problems.isEmpty else { throw FieldProblems(problems) }
        return terms
    }

    @Sendable func create(req: Request) async throws -> Response {
        try await ContractsService(req: req).create(try req.content.decode(ContractBody.self)).encodeResponse(status: .created, for: req)
    }

    @Sendable func update(req: Request) async throws -> Detail {
        try await ContractsService(req: req).update(id: req.parameters.get("id"), try req.content.decode(ContractBody.self))
    }

    struct ActionBody: Content {
        var note: String?
        var date: String?
    }

    @Sendable func act(req: Request) async throws -> Detail {
        try await ContractsService(req: req).act(id: req.parameters.get("id"), action: req.parameters.get("action") ?? "",
                                                 (try? req.content.decode(ActionBody.self)) ?? ActionBody())
    }

    @Sendable func amend(req: Request) async throws -> Response {
        try await ContractsService(req: req).amend(id: req.parameters.get("id")).encodeResponse(status: .created, for: req)
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
        try await ContractsService(req: req).setTakeover(villageCode: req.parameters.get("code") ?? "", try req.content.decode(TakeoverBody.self))
    }
}

extension String {
    var nilIfBlank: String? { trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : self }
}
