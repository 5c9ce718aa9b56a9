import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The entrustable-matter catalog (可委托事项清单) and the streets' own lists, in the API (`/api/v1/catalog/matters`,
/// `/api/v1/streets/{code}/matter-list`) and the console (`/catalog/matters/…`, `/catalog/streets/…`), on
/// `MatterCatalogService`.
struct MatterCatalogController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped("api", "v1")
        api.get("catalog", "matters", use: list)
        api.post("catalog", "matters", use: create)
        api.get("catalog", "matters", ":code", use: show)
        api.put("catalog", "matters", ":code", use: edit)
        api.get("streets", ":code", "matter-list", use: streetList)
        api.put("streets", ":code", "matter-list", use: setStreetList)

        routes.post("catalog", "matters", use: createForm)
        routes.get("catalog", "matters", ":code", use: matterPage)
        routes.post("catalog", "matters", ":code", use: editForm)
        routes.get("catalog", "streets", ":code", use: listPage)
        routes.post("catalog", "streets", ":code", use: listForm)
    }

    // MARK: API

    struct MatterView: Content {
        var code: String
        var name: String
        var nameEn: String
        var domain: String
        var domainLabel: String
        var ownerDepartment: String?
        var unit: String
        var benchmarkFen: Int
        var timeLimitHours: Int?
        var beyondAuthority: Bool
        var version: Int

        init(_ t: MatterTerms, version: Int, _ language: Language) {
            (code, name, nameEn, domain, domainLabel) = (t.code, t.name, t.nameEn, t.domain.rawValue, t.domain.label.text(language))
            (ownerDepartment, unit, benchmarkFen, timeLimitHours, beyondAuthority) = (t.ownerDepartment, t.unit, t.benchmarkFen, t.timeLimitHours, t.beyondAuthority)
            self.version = version
        }
    }

    struct VersionView: Content {
        var version: Int
        var changedBy: String
        var changedAt: Date
        var note: String?
        var terms: MatterView
    }

    struct MatterDetail: Content {
        var matter: MatterView
        var versions: [VersionView]
    }

    struct MatterBody: Content {
        var code: String?
        var name: String?
        var nameEn: String?
        var domain: String?
        var ownerDepartment: String?
        var unit: String?
        var benchmarkFen: Double?
        var timeLimitHours: Int?
        var beyondAuthority: Bool?
        var note: String?

        var input: MatterInput {
            MatterInput(code: code ?? "", name: name ?? "", nameEn: nameEn ?? "", domain: domain ?? "", ownerDepartment: ownerDepartment ?? "", unit: unit ?? "",
                        benchmarkFen: benchmarkFen, timeLimitHours: timeLimitHours.map(String.init) ?? "", beyondAuthority: beyondAuthority ?? false, note: note ?? "")
        }
    }

    @Sendable func list(req: Request) async throws -> [MatterView] {
        let service = MatterCatalogService(req: req)
        var out: [MatterView] = []
        for t in try await service.catalog() { out.append(MatterView(t, version: try await service.find(t.code).version, req.language)) }
        return out
    }

    func detail(_ req: Request, _ code: String) async throws -> MatterDetail {
        let service = MatterCatalogService(req: req)
        let found = try await service.find(code)
        return MatterDetail(matter: MatterView(found.terms, version: found.version, req.language),
                            versions: try await service.versions(code).map {
                                VersionView(version: $0.version, changedBy: $0.changedBy, changedAt: $0.changedAt, note: $0.note,
                                            terms: MatterView($0.terms, version: $0.version, req.language))
                            })
    }

    @Sendable func show(req: Request) async throws -> MatterDetail {
        try await detail(req, req.parameters.get("code") ?? "")
    }

    @Sendable func create(req: Request) async throws -> Response {
        let made = try await MatterCatalogService(req: req).create(try req.content.decode(MatterBody.self).input)
        return try await detail(req, made.code).encodeResponse(status: .created, for: req)
    }

    /// The whole matter as it should stand; what is left out keeps its value. A change is a new version with its note.
    @Sendable func edit(req: Request) async throws -> MatterDetail {
        let code = req.parameters.get("code") ?? ""
        let service = MatterCatalogService(req: req)
        let actor = try req.requireActor()
        guard ContractAccess.maySetPrices(actor) else { throw MatterCatalogService.forbidden }
        let body = try req.content.decode(MatterBody.self)
        let current = MatterCatalogService.input(try await service.find(code).terms)
        let input = MatterInput(code: current.code, name: body.name ?? current.name, nameEn: body.nameEn ?? current.nameEn, domain: body.domain ?? current.domain,
                                ownerDepartment: body.ownerDepartment ?? current.ownerDepartment, unit: body.unit ?? current.unit,
                                benchmarkFen: body.benchmarkFen ?? current.benchmarkFen,
                                timeLimitHours: body.timeLimitHours.map(String.init) ?? current.timeLimitHours,
                                beyondAuthority: body.beyondAuthority ?? current.beyondAuthority, note: body.note ?? "")
        _ = try await service.edit(code, input)
        return try await detail(req, code)
    }

    struct ListView: Content {
        var street: String
        var streetName: String
        /// Nil: the street has drawn up no list yet (its contracts can entrust nothing).
        var version: Int?
        var matters: [String]
        var changedBy: String?
        var changedAt: Date?
        var note: String?
        var history: [HistoryItem]

        struct HistoryItem: Content {
            var version: Int
            var matters: [String]
            var changedBy: String
            var changedAt: Date
            var note: String?
        }

        init(_ street: Area, _ history: [StreetMatterList], _ language: Language) {
            self.street = street.code
            streetName = street.displayName(language)
            let now = history.first
            (version, matters, changedBy, changedAt, note) = (now?.version, now?.matters ?? [], now?.changedBy, now?.changedAt, now?.note)
            self.history = history.map { HistoryItem(version: $0.version, matters: $0.matters, changedBy: $0.changedBy, changedAt: $0.changedAt, note: $0.note) }
        }
    }

    struct ListBody: Content {
        /// Required: a PUT without it would empty the list.
        var matters: [String]
        var note: String?
    }

    @Sendable func streetList(req: Request) async throws -> ListView {
        let found = try await MatterCatalogService(req: req).streetList(req.parameters.get("code") ?? "")
        return ListView(found.street, found.history, req.language)
    }

    @Sendable func setStreetList(req: Request) async throws -> ListView {
        let body = try req.content.decode(ListBody.self)
        let code = req.parameters.get("code") ?? ""
        let service = MatterCatalogService(req: req)
        _ = try await service.setStreetList(code, matters: body.matters, note: body.note ?? "")
        let found = try await service.streetList(code)
        return ListView(found.street, found.history, req.language)
    }

    // MARK: Console

    /// The matter form as typed (amounts in yuan).
    struct MatterForm: Content {
        var code: String?
        var name: String?
        var nameEn: String?
        var domain: String?
        var ownerDepartment: String?
        var unit: String?
        var benchmarkYuan: String?
        var timeLimitHours: String?
        var beyondAuthority: String?
        var note: String?

        init(code: String? = nil, name: String? = nil, nameEn: String? = nil, domain: String? = nil, ownerDepartment: String? = nil, unit: String? = nil,
             benchmarkYuan: String? = nil, timeLimitHours: String? = nil, beyondAuthority: String? = nil, note: String? = nil) {
            (self.code, self.name, self.nameEn, self.domain, self.ownerDepartment) = (code, name, nameEn, domain, ownerDepartment)
            (self.unit, self.benchmarkYuan, self.timeLimitHours, self.beyondAuthority, self.note) = (unit, benchmarkYuan, timeLimitHours, beyondAuthority, note)
        }

        init(_ t: MatterTerms) {
            self.init(code: t.code, name: t.name, nameEn: t.nameEn, domain: t.domain.rawValue, ownerDepartment: t.ownerDepartment ?? "", unit: t.unit,
                      benchmarkYuan: Money.yuan(t.benchmarkFen), timeLimitHours: t.timeLimitHours.map(String.init) ?? "", beyondAuthority: t.beyondAuthority ? "on" : nil)
        }

        /// As the use case takes it; an amount that is not yuan is refused by its field first.
        func input() throws -> MatterInput {
            MatterInput(code: code ?? "", name: name ?? "", nameEn: nameEn ?? "", domain: domain ?? "", ownerDepartment: ownerDepartment ?? "", unit: unit ?? "",
                        benchmarkFen: try FinanceWebController.fen(benchmarkYuan, field: "benchmarkYuan"), timeLimitHours: timeLimitHours ?? "",
                        beyondAuthority: beyondAuthority == "on" || beyondAuthority == "true", note: note ?? "")
        }

        var beyond: Bool { beyondAuthority == "on" || beyondAuthority == "true" }
    }

    static func messages(_ problems: FieldProblems, _ language: Language) -> [String: String] {
        problems.messagesByField(language, rename: ["benchmarkFen": "benchmarkYuan"])
    }

    struct FormChoices: Encodable {
        var domains: [Choice]
        var departments: [Choice]
    }

    static func choices(_ req: Request, form: MatterForm) async throws -> FormChoices {
        let language = req.language
        let reference = try await req.caseReference()
        let departments = reference.orgs.values.filter { $0.kind == .department }.sorted { $0.code < $1.code }
        return FormChoices(domains: ServiceDomain.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == form.domain) },
                           departments: [Choice(value: "", label: language == .en ? "none" : "无", selected: (form.ownerDepartment ?? "").isEmpty)]
                               + departments.map { Choice(value: $0.code, label: $0.displayName(language), selected: $0.code == form.ownerDepartment) })
    }

    @Sendable func createForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let form = try req.content.decode(MatterForm.self)
        do {
            let made = try await MatterCatalogService(req: req).create(try form.input())
            return req.redirect(to: "/catalog/matters/\(made.code)")
        } catch let problems as FieldProblems {
            return try await FinanceWebController.catalogPage(req, refused: nil, newMatter: form, newErrors: Self.messages(problems, req.language))
        }
    }

    struct MatterPage: Encodable {
        var page: PageChrome
        var matter: MatterView
        var ownerName: String?
        var canEdit: Bool
        var form: MatterForm
        var beyond: Bool
        var choices: FormChoices
        var errors: [String: String]
        var saved: Bool
        var versions: [VersionRow]
        var categories: [Choice]
    }

    struct VersionRow: Encodable {
        var version: Int
        var changedBy: String
        var changedAt: String
        var note: String?
        var summary: String
    }

    static func summary(_ t: MatterTerms, _ language: Language) -> String {
        let limit = t.timeLimitHours.map { language == .en ? "\($0) working hours" : "\($0) 个工作小时" } ?? (language == .en ? "each category's own limits" : "按各类问题时限")
        let parts = [t.displayName(language), "\(Money.yuan(t.benchmarkFen)) / \(t.unit)", limit, t.ownerDepartment ?? "—"]
            + (t.beyondAuthority ? [language == .en ? "beyond the steward's authority" : "超出城市管家职权"] : [])
        return parts.joined(separator: " · ")
    }

    @Sendable func matterPage(req: Request) async throws -> Response {
        try await matterPage(req, form: nil, errors: [:])
    }

    func matterPage(_ req: Request, form typed: MatterForm?, errors: [String: String], status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let language = req.language
        let code = req.parameters.get("code") ?? ""
        let service = MatterCatalogService(req: req)
        let found = try await service.find(code)
        let form = typed ?? MatterForm(found.terms)
        let reference = try await req.caseReference()
        let page = MatterPage(
            page: PageChrome(request: req, title: "\(found.terms.code) · \(found.terms.displayName(language))"),
            matter: MatterView(found.terms, version: found.version, language),
            ownerName: found.terms.ownerDepartment.flatMap { code in reference.orgs.values.first { $0.code == code }?.displayName(language) },
            canEdit: ContractAccess.maySetPrices(actor), form: form, beyond: form.beyond, choices: try await Self.choices(req, form: form), errors: errors,
            saved: (try? req.query.get(String.self, at: "saved")) == "1",
            versions: try await service.versions(code).map {
                VersionRow(version: $0.version, changedBy: $0.changedBy, changedAt: Timestamp.beijing($0.changedAt), note: $0.note, summary: Self.summary($0.terms, language))
            },
            categories: (reference.taxonomy.matter(code)?.categories ?? []).compactMap { c in
                reference.taxonomy.eventCategory(c).map { Choice(value: $0.code, label: $0.displayName(language)) }
            })
        return try await req.page("matter", page, status: status)
    }

    @Sendable func editForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let form = try req.content.decode(MatterForm.self)
        let code = req.parameters.get("code") ?? ""
        do {
            var input = try form.input()
            input.code = code
            _ = try await MatterCatalogService(req: req).edit(code, input)
            return req.redirect(to: "/catalog/matters/\(code)?saved=1")
        } catch let problems as FieldProblems {
            return try await matterPage(req, form: form, errors: Self.messages(problems, req.language), status: .badRequest)
        }
    }

    struct ListPage: Encodable {
        var page: PageChrome
        var street: String
        var streetName: String
        var version: Int?
        var canEdit: Bool
        var matters: [ListMatter]
        var note: String
        var errors: [String: String]
        var saved: Bool
        var history: [ListHistory]
    }

    struct ListMatter: Encodable {
        var code: String
        var label: String
        var checked: Bool
        var beyond: Bool
    }

    struct ListHistory: Encodable {
        var version: Int
        var matters: String
        var changedBy: String
        var changedAt: String
        var note: String?
    }

    @Sendable func listPage(req: Request) async throws -> Response {
        try await listPage(req, chosen: nil, note: "", errors: [:])
    }

    func listPage(_ req: Request, chosen: [String]?, note: String, errors: [String: String], status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let language = req.language
        let service = MatterCatalogService(req: req)
        let found = try await service.streetList(req.parameters.get("code") ?? "")
        let current = Set(chosen ?? found.history.first?.matters ?? [])
        let catalog = try await service.catalog()
        let names = Dictionary(uniqueKeysWithValues: catalog.map { ($0.code, $0.displayName(language)) })
        let page = ListPage(
            page: PageChrome(request: req, title: (language == .en ? "Entrusted matters · " : "委托事项清单 · ") + found.street.displayName(language)),
            street: found.street.code, streetName: found.street.displayName(language), version: found.history.first?.version,
            canEdit: ContractAccess.mayManage(actor, streetID: found.street.id),
            matters: catalog.map { ListMatter(code: $0.code, label: "\($0.code) \($0.displayName(language)) · \(Money.yuan($0.benchmarkFen))/\($0.unit)",
                                              checked: current.contains($0.code), beyond: $0.beyondAuthority) },
            note: note, errors: errors, saved: (try? req.query.get(String.self, at: "saved")) == "1",
            history: found.history.map { l in
                ListHistory(version: l.version, matters: l.matters.map { "\($0) \(names[$0] ?? "")" }.joined(separator: language == .en ? "; " : "；"),
                            changedBy: l.changedBy, changedAt: Timestamp.beijing(l.changedAt), note: l.note)
            })
        return try await req.page("matter-list", page, status: status)
    }

    struct ListForm: Content {
        var matters: [String]?
        var note: String?
    }

    @Sendable func listForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let form = try req.content.decode(ListForm.self)
        let code = req.parameters.get("code") ?? ""
        do {
            _ = try await MatterCatalogService(req: req).setStreetList(code, matters: form.matters ?? [], note: form.note ?? "")
            return req.redirect(to: "/catalog/streets/\(code)?saved=1")
        } catch let problems as FieldProblems {
            return try await listPage(req, chosen: form.matters ?? [], note: form.note ?? "", errors: Self.messages(problems, req.language), status: .badRequest)
        }
    }
}
