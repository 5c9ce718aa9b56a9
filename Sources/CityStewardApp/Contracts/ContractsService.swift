import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Service contracts and the catalog's prices, one use case per verb. The JSON API (`ContractsController`) and the
/// console (`FinanceWebController`) both call these: the access check, the rules, the audit row and the reference
/// cache's invalidation are written once.
struct ContractsService {
    let req: Request

    typealias PriceView = ContractsController.PriceView
    typealias ActionBody = ContractsController.ActionBody
    typealias TakeoverBody = ContractsController.TakeoverBody
    typealias TakeoverView = ContractsController.TakeoverView
    typealias Detail = ContractsController.Detail

    func prices() async throws -> [PriceView] {
        let c = try await ContractsController.context(req)
        let prices = try await ContractsController.catalog(req)
        return c.reference.taxonomy.matters.map { m in
            let p = prices[m.code]
            return PriceView(matterCode: m.code, name: req.language == .en ? m.nameEn : m.name, domain: m.domain.rawValue, ownerDepartment: m.ownerDepartment,
                             unit: p?.unit ?? "", benchmarkFen: p?.benchmarkFen ?? 0, benchmark: Money.yuan(p?.benchmarkFen ?? 0))
        }
    }

    /// A new benchmark price is a new version of the matter (its reason: the price was adjusted).
    func setPrice(matter code: String, _ body: ContractsController.PriceBody) async throws -> PriceView {
        let catalog = MatterCatalogService(req: req)
        let actor = try req.require(.contractsRead)
        guard ContractAccess.maySetPrices(actor) else {
            throw DomainError.forbidden(LocalizedText(zh: "行业管养单价由区专项办维护", en: "the district office keeps the benchmark prices"))
        }
        var input = MatterCatalogService.input(try await catalog.find(code).terms, note: "行业管养单价调整")
        input.unit = body.unit
        input.benchmarkFen = body.benchmarkFen
        let saved = try await catalog.edit(code, input).terms
        return PriceView(matterCode: saved.code, name: req.language == .en ? saved.nameEn : saved.name, domain: saved.domain.rawValue,
                         ownerDepartment: saved.ownerDepartment, unit: saved.unit, benchmarkFen: saved.benchmarkFen, benchmark: Money.yuan(saved.benchmarkFen))
    }

    func create(_ body: ContractBody) async throws -> Detail {
        let c = try await ContractsController.context(req)
        let (street, steward) = try ContractsController.parties(body, c)
        let terms = try await ContractsController.terms(req, body, c, street: street)
        let record = try await c.store.create(terms, streetID: street.id, streetCode: street.code, stewardID: steward.id, by: c.actor.user.displayName, at: req.now)
        try await req.audit(.contractChanged, subject: "contract:\(record.number)", detail: "created v1 (draft)")
        return try await ContractsController.detail(req, c, record)
    }

    func update(id: String?, _ body: ContractBody) async throws -> Detail {
        let c = try await ContractsController.context(req)
        let r = try await ContractsController.contract(id, c)
        var b = body
        b.street = c.reference.areas[r.streetID]?.code
        let (street, _) = try ContractsController.parties(b, c)
        let terms = try await ContractsController.terms(req, b, c, street: street)
        let updated = try await c.store.update(r.id, terms: terms, by: c.actor.user.displayName, at: req.now)
        try await req.audit(.contractChanged, subject: "contract:\(r.number)", detail: "edited v\(r.version)")
        return try await ContractsController.detail(req, c, updated)
    }

    func act(id: String?, action name: String, _ body: ActionBody) async throws -> Detail {
        let c = try await ContractsController.context(req)
        let r = try await ContractsController.contract(id, c)
        guard let action = ContractAction(rawValue: name) else {
            throw DomainError.invalid("action", zh: "没有这个操作：\(name)", en: "no such action: \(name)")
        }
        // The steward countersigns its own contracts; every other step is the street office's.
        if action == .countersign {
            guard ContractAccess.mayCountersign(c.actor, stewardID: r.stewardID) else {
                throw DomainError.forbidden(LocalizedText(zh: "只有合同乙方（城市管家）的调度人员可以会签", en: "only the steward's dispatchers countersign its contracts"))
            }
        } else {
            try ContractsController.requireManage(c, streetID: r.streetID)
        }
        var date: LocalDate?
        if let text = body.date, !text.isEmpty {
            guard let d = LocalDate(text) else { throw DomainError.invalid("date", zh: "日期应为 YYYY-MM-DD", en: "a date is YYYY-MM-DD") }
            date = d
        }
        if action == .returnToDraft || action == .terminate, (body.note ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw DomainError.refused("note", zh: "请写明理由", en: "give the reason")
        }
        let areaIDs = Dictionary(uniqueKeysWithValues: r.terms.areas.compactMap { code in c.reference.areasByCode[code].map { (code, $0.id) } })
        let done = try await c.store.perform(action, on: r.id, areaIDs: areaIDs, today: ContractsController.today(req), terminationDate: date, note: body.note,
                                             by: c.actor.user.displayName, actorID: c.actor.user.id, at: req.now)
        if action == .activate || action == .terminate { req.application.caseReference.invalidate() }
        // The residents are told on the portal (§7(2)4): the contract's notice goes up with it and down when it ends.
        if action == .activate, done.state == .active {
            try await ContractNotices.activated(done, reference: c.reference, db: req.db, by: c.actor.user.id, at: req.now)
        } else if action == .terminate {
            try await ContractNotices.terminated(done, db: req.db, at: req.now)
        }
        try await req.audit(.contractChanged, subject: "contract:\(r.number)", detail: "v\(r.version) \(r.state.rawValue) → \(done.state.rawValue)"
                            + (body.note.map { "; \($0)" } ?? ""))
        return try await ContractsController.detail(req, c, done)
    }

    func amend(id: String?) async throws -> Detail {
        let c = try await ContractsController.context(req)
        let r = try await ContractsController.contract(id, c)
        try ContractsController.requireManage(c, streetID: r.streetID)
        let draft = try await c.store.amend(r.id, by: c.actor.user.displayName, at: req.now)
        try await req.audit(.contractChanged, subject: "contract:\(r.number)", detail: "amendment v\(draft.version) from v\(r.version)")
        return try await ContractsController.detail(req, c, draft)
    }

    func setTakeover(villageCode: String, _ body: TakeoverBody) async throws -> TakeoverView {
        let c = try await ContractsController.context(req)
        let (v, street) = try FeesAndSubsidiesController.village(req, code: villageCode, c.actor, c.reference)
        try ContractsController.requireManage(c, streetID: street)
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
        return ContractsController.takeoverView(v, t, req.language)
    }
}
