import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import Vapor

/// Deliberation (议事协调, issue 20 §4): items raised by residents on the portal or by staff, a meeting of the parties,
/// the decision with who carries it out and by when — a case when it needs work — and the outcome published. The
/// console and the API both call these.
struct DeliberationsService {
    let req: Request

    var store: DeliberationStore { DeliberationStore(db: req.db) }

    static let forbidden = DomainError.forbidden(LocalizedText(zh: "无权处理议事协调", en: "not allowed to run deliberation"))

    static func parse<T: RawRepresentable & CaseIterable>(_ text: String?, _ field: String) throws -> T? where T.RawValue == String {
        guard let text, !text.isEmpty else { return nil }
        guard let v = T(rawValue: text) else {
            let values = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw DomainError.invalid(field, zh: "\(field) 应为 \(values) 之一", en: "\(field) is one of \(values)")
        }
        return v
    }

    /// Yuan as typed (`12000`, `12000.50`) to fen; nil for empty, a problem for anything else.
    static func fen(_ text: String?, field: String, problems: inout [FieldProblem]) -> Int? {
        guard let t = text?.trimmingCharacters(in: .whitespaces), !t.isEmpty else { return nil }
        guard let v = Decimal(string: t), v >= 0, v <= 2_000_000 else {
            problems.append(FieldProblem(field: field, reason: LocalizedText(zh: "金额应为 0~2000000 元", en: "an amount is 0 to 2,000,000 yuan")))
            return nil
        }
        return NSDecimalNumber(decimal: v * 100).intValue
    }

    /// The organisations that may carry out a decision in a village: its stewards, its street office, the departments
    /// and the district office.
    static func carriers(_ reference: CaseReference, village: Area) -> [PartyRef] {
        var out: [PartyRef] = []
        var seen = Set<UUID>()
        func add(_ p: PartyRef) { if seen.insert(p.id).inserted { out.append(p) } }
        for e in reference.entrustments where village.path.contains(e.areaID) { add(e.steward) }
        if let street = village.streetID, let office = reference.streetOffices[street] { add(office) }
        for d in reference.departments.values.sorted(by: { $0.name < $1.name }) { add(d) }
        add(reference.districtOffice)
        return out
    }

    // MARK: Raising

    /// Staff raise an item in a village they serve, for a party (not a resident: residents raise their own on the portal).
    func raise(area: String?, title: String?, description: String?, source: String?, microProject: Bool?, budget: String?) async throws -> DeliberationItem {
        let actor = try req.requireActor()
        guard DeliberationAccess.raiseScope(for: actor) != .nothing else { throw Self.forbidden }
        let src: DeliberationSource = try Self.parse(source, "source") ?? DeliberationAccess.defaultSource(for: actor)
        var problems: [FieldProblem] = []
        if src == .resident { problems.append(FieldProblem(field: "source", reason: LocalizedText(zh: "居民在村页面自行提出议题", en: "residents raise their items on the village's page"))) }
        let budgetFen = Self.fen(budget, field: "budget", problems: &problems)
        let reference = try await req.caseReference()
        let village = area.flatMap { reference.areasByCode[$0.trimmingCharacters(in: .whitespaces)] }.flatMap {
            $0.kind == .village && DeliberationAccess.mayRaise(actor, villagePath: $0.path) ? $0 : nil
        }
        switch DeliberationRules.validateRaise(title: title ?? "", description: description ?? "", source: src, microProject: microProject ?? false,
                                               budgetFen: budgetFen, village: village?.id) {
        case .failure(let p): throw FieldProblems(problems + p.problems)
        case .success(let raised):
            guard problems.isEmpty, let village else { throw FieldProblems(problems) }
            let (now, who) = (req.now, actor)
            return try await store.create(raised, area: village.id, path: village.path, by: actor.user.id, actorName: actor.user.displayName, contact: nil, at: now) { db, item in
                try await AuditStore(db: db).append(action: AuditAction.deliberationChanged.rawValue, subject: Self.subject(item.id),
                                                    detail: "raised \(item.number) (\(src.rawValue)): \(item.title)", actorID: who.user.id, actorName: who.user.displayName, at: now)
            }
        }
    }

    static func subject(_ id: UUID) -> String { "deliberation:\(id.uuidString.lowercased())" }

    struct Raised {
        var item: DeliberationItem
        var token: String
    }

    /// A resident raises an item from the village's page (name and phone optional, sealed; limited per client).
    func raiseFromPortal(village code: String, title: String?, description: String?, name: String?, phone: String?) async throws -> Raised {
        let reference = try await req.caseReference()
        guard let village = reference.areasByCode[code], village.kind == .village else { throw DomainError.notFound(zh: "没有这个城中村", en: "there is no such village") }
        var problems: [FieldProblem] = []
        let who = (name ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if who.count > 20 { problems.append(FieldProblem(field: "name", reason: LocalizedText(zh: "称呼不超过 20 字", en: "the name is at most 20 characters"))) }
        var number: PhoneNumber?
        if let p = phone, !p.trimmingCharacters(in: .whitespaces).isEmpty {
            number = PhoneNumber.parse(p)
            if number == nil { problems.append(FieldProblem(field: "phone", reason: PhoneNumber.problem)) }
        }
        let raised: DeliberationRaise
        switch DeliberationRules.validateRaise(title: title ?? "", description: description ?? "", source: .resident, microProject: false, budgetFen: nil,
                                               village: village.id) {
        case .failure(let p): throw FieldProblems(p.problems + problems)
        case .success(let r):
            guard problems.isEmpty else { throw FieldProblems(problems) }
            raised = r
        }
        try ActivitiesService(req: req).limit()
        let cipher = req.application.fieldCipher
        let token = ActivitiesService.newToken()
        let contact = DeliberationStore.ResidentContact(nameSealed: who.isEmpty ? nil : try cipher.seal(who), nameMasked: who.isEmpty ? nil : Masking.name(who),
                                                        phoneSealed: try number.map { try cipher.seal($0.sealedForm) }, phoneMasked: number?.masked,
                                                        receiptHash: ActivitiesService.receiptHash(token))
        let now = req.now
        let item = try await store.create(raised, area: village.id, path: village.path, by: nil, actorName: "居民", contact: contact, at: now) { db, item in
            try await AuditStore(db: db).append(action: AuditAction.deliberationChanged.rawValue, subject: Self.subject(item.id),
                                                detail: "raised \(item.number) on the portal: \(item.title)", actorID: nil, actorName: "居民", at: now)
        }
        return Raised(item: item, token: token)
    }

    // MARK: Reading

    func find(_ id: String?) async throws -> (item: DeliberationItem, village: Area) {
        let actor = try req.requireActor()
        guard let id = id.flatMap(UUID.init(uuidString:)), let item = try await store.find(id) else { throw DeliberationStore.notFound }
        let reference = try await req.caseReference()
        guard let village = reference.areas[item.areaID], DeliberationAccess.maySee(actor, item, villagePath: village.path) else { throw DeliberationStore.notFound }
        return (item, village)
    }

    func list(state: String?, village: String?) async throws -> [DeliberationItem] {
        let actor = try req.requireActor()
        let s: DeliberationState? = try Self.parse(state, "state")
        let reference = try await req.caseReference()
        var villageID: UUID?
        if let village, !village.isEmpty {
            guard let a = reference.areasByCode[village], a.kind == .village else { throw DomainError.notFound(zh: "没有这个城中村", en: "there is no such village") }
            villageID = a.id
        }
        switch DeliberationAccess.readScope(for: actor) {
        case .nothing: throw DomainError.forbidden(LocalizedText(zh: "无权查看议事协调", en: "not allowed to see deliberation"))
        case .everywhere: return try await store.list(under: nil, org: nil, state: s, village: villageID)
        case .areas(let roots):
            let prefixes = roots.compactMap { reference.areas[$0].map { Area.encodePath($0.path) } }
            return try await store.list(under: prefixes, org: actor.org?.id, state: s, village: villageID)
        }
    }

    // MARK: Steps

    /// What a step asks for, as typed.
    struct StepInput: Content {
        var action: String?
        var meetingAt: String?
        var meetingPlace: String?
        var parties: [String]?
        var opinions: [Opinion]?
        var decision: String?
        /// The organisation's code or id.
        var carriedOutBy: String?
        var dueDate: String?
        /// Yuan.
        var budget: String?
        var spent: String?
        var outcome: String?
        var reason: String?
        /// A decision that needs work becomes a case: its class (GB/T 47678.5 code) and, optionally, where (else the village).
        var caseCategory: String?
        var caseLat: Double?
        var caseLong: Double?

        struct Opinion: Content {
            var party: String?
            var text: String?
        }
    }

    func act(_ id: String?, _ input: StepInput) async throws -> DeliberationItem {
        let actor = try req.requireActor()
        let (item, village) = try await find(id)
        guard DeliberationAccess.mayRun(actor, villagePath: village.path) else { throw Self.forbidden }
        let reference = try await req.caseReference()
        var problems: [FieldProblem] = []
        let action: DeliberationAction
        switch input.action ?? "" {
        case "schedule": action = .schedule(at: input.meetingAt ?? "", place: input.meetingPlace ?? "", parties: input.parties ?? [])
        case "decide":
            let carriers = Self.carriers(reference, village: village)
            let carrier = input.carriedOutBy.flatMap { text in carriers.first { $0.id.uuidString.lowercased() == text.lowercased() || reference.orgs[$0.id]?.code == text } }
            action = .decide(opinions: (input.opinions ?? []).map { DeliberationOpinion(party: $0.party ?? "", text: $0.text ?? "") }, decision: input.decision ?? "",
                             carriedOutBy: carrier?.id ?? (input.carriedOutBy?.isEmpty == false ? UUID() : nil), dueDate: input.dueDate ?? "",
                             budgetFen: Self.fen(input.budget, field: "budget", problems: &problems))
        case "close": action = .close(outcome: input.outcome ?? "", spentFen: Self.fen(input.spent, field: "spent", problems: &problems))
        case "decline": action = .decline(reason: input.reason ?? "")
        default: throw DomainError.invalid("action", zh: "action 应为 schedule、decide、close、decline 之一", en: "action is one of schedule, decide, close, decline")
        }
        let organisations = Set(Self.carriers(reference, village: village).map(\.id))
        var change: DeliberationChange?
        switch DeliberationRules.decide(item, action, organisations: organisations, now: req.now) {
        case .failure(let p): problems += p.problems
        case .success(let c): change = c
        }
        // The case a decision becomes, checked before anything is written.
        var caseReport: CaseReport?
        if case .decide = action, let code = input.caseCategory?.trimmingCharacters(in: .whitespaces), !code.isEmpty {
            if reference.taxonomy.eventCategory(code) == nil {
                problems.append(FieldProblem(field: "caseCategory", reason: LocalizedText(zh: "没有类别代码 \(code)", en: "no category \(code)")))
            }
            var position: GeoPoint?
            if let lat = input.caseLat, let long = input.caseLong {
                position = GeoPoint(lat: lat, long: long)
                if !position!.isValidWGS84 { problems.append(FieldProblem(field: "caseLat", reason: LocalizedText(zh: "纬度、经度应为 WGS84 数值", en: "latitude and longitude are WGS84 numbers"))) }
            }
            caseReport = CaseReport(category: code, position: position, placeCode: position == nil ? village.code : nil,
                                    description: "议事决定 \(item.number)：\(item.title)。\((input.decision ?? "").trimmingCharacters(in: .whitespacesAndNewlines))".prefix(CaseReport.maxDescription).description,
                                    urgency: nil)
        }
        guard problems.isEmpty, let change else { throw FieldProblems(problems) }
        var made: (id: UUID, number: String)?
        if let caseReport {
            let outcome = try await ReportCase(request: req).run(.init(report: caseReport, source: .deliberation, reporterName: "议事协调 \(item.number)"),
                                                                 actor: actor, now: req.now)
            made = (outcome.saved.id, outcome.saved.number)
        }
        let (now, linked) = (req.now, made)
        let done = try await store.apply(change, from: item, action: action.name, actor: actor.user.id, actorName: actor.user.displayName, at: now, madeCase: linked) { db in
            try await AuditStore(db: db).append(action: AuditAction.deliberationChanged.rawValue, subject: Self.subject(item.id),
                                                detail: "\(action.name) \(item.number): \(change.audit)\(linked.map { "; case \($0.number)" } ?? "")",
                                                actorID: actor.user.id, actorName: actor.user.displayName, at: now)
        }
        guard done else { throw DomainError.conflict(LocalizedText(zh: "议题已被他人处理，请刷新", en: "someone acted on the item first; reload it")) }
        return try await store.find(item.id) ?? change.item
    }

    /// A public item (past `raised`) for the portal.
    static func publicItem(_ req: Request, _ id: String?) async throws -> DeliberationItem {
        guard let id = id.flatMap(UUID.init(uuidString:)), let item = try await DeliberationStore(db: req.db).find(id), item.state.isPublic else {
            throw DeliberationStore.notFound
        }
        return item
    }
}
