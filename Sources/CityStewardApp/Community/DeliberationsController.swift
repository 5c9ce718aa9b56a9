import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Deliberation: `/api/v1/deliberations` (scoped), the console's `/deliberations` and each item's page with the step
/// the street office takes next, and on the portal the form a resident raises an item with (`/v/{code}/raise`), its
/// private receipt (`/d/r/{token}`) and an item's public page (`/d/{id}`) once taken up.
struct DeliberationsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped("api", "v1")
        api.get("deliberations", use: listAPI)
        api.post("deliberations", use: raiseAPI)
        api.get("deliberations", ":id", use: showAPI)
        api.post("deliberations", ":id", "actions", use: actAPI)
        routes.get("deliberations", use: listPage)
        routes.post("deliberations", use: raiseForm)
        routes.get("deliberations", ":id", use: itemPage)
        routes.post("deliberations", ":id", "actions", use: actForm)
        routes.get("v", ":code", "raise", use: portalForm)
        routes.post("v", ":code", "raise", use: portalRaise)
        routes.get("d", "r", ":token", use: receipt)
        routes.get("d", ":id", use: publicPage)
    }

    // MARK: Views

    struct ItemView: Content {
        var id: String
        var number: String
        var title: String
        var description: String
        var village: ActivitiesController.AreaRef
        var source: String
        var sourceLabel: String
        var state: String
        var stateLabel: String
        var microProject: Bool
        /// Yuan, two decimals.
        var budget: String?
        var spent: String?
        var resident: String?
        var residentPhone: String?
        var createdAt: Date
        var meetingAt: Date?
        /// Beijing time, for people.
        var meeting: String?
        var meetingPlace: String?
        var parties: [String]
        var opinions: [DeliberationOpinion]
        var decision: String?
        var carriedOutBy: String?
        var dueDate: String?
        var overdue: Bool
        var caseId: String?
        var caseNumber: String?
        var outcome: String?
        var declineReason: String?
        var url: String?

        init(_ i: DeliberationItem, _ reference: CaseReference, _ language: Language, today: LocalDate, staff: Bool) {
            (id, number, title, description) = (i.id.uuidString.lowercased(), i.number, i.title, i.description)
            let area = reference.areas[i.areaID]
            village = .init(code: area?.code ?? "", name: area?.displayName(language) ?? "")
            (source, sourceLabel, state, stateLabel) = (i.source.rawValue, i.source.label.text(language), i.state.rawValue, i.state.label.text(language))
            microProject = i.microProject
            func yuan(_ fen: Int?) -> String? { fen.map { String(format: "%d.%02d", $0 / 100, $0 % 100) } }
            (budget, spent) = (yuan(i.budgetFen), yuan(i.spentFen))
            (resident, residentPhone) = staff ? (i.residentName, i.residentPhone) : (nil, nil)
            (createdAt, meetingAt, meeting, meetingPlace, parties, opinions) = (i.createdAt, i.meetingAt, i.meetingAt.map(BeijingTime.minute), i.meetingPlace, i.parties, i.opinions)
            decision = i.decision
            carriedOutBy = i.carriedOutBy.flatMap { reference.orgs[$0]?.displayName(language) }
            (dueDate, overdue) = (i.dueDate?.description, i.isOverdue(today: today))
            (caseId, caseNumber) = (staff ? i.caseID?.uuidString.lowercased() : nil, i.caseNumber)
            (outcome, declineReason) = (i.outcome, i.declineReason)
            url = i.state.isPublic ? "/d/\(id)" : nil
        }
    }

    struct EventView: Content {
        var action: String
        var state: String
        var stateLabel: String
        var actor: String
        var at: Date
        var when: String
        var detail: String
    }

    struct ItemDetail: Content {
        var item: ItemView
        var history: [EventView]
    }

    struct ItemList: Content {
        var items: [ItemView]
    }

    struct RaiseBody: Content {
        var area: String?
        var title: String?
        var description: String?
        var source: String?
        var microProject: Bool?
        /// Yuan.
        var budget: String?
    }

    func detail(_ req: Request, _ item: DeliberationItem) async throws -> ItemDetail {
        let reference = try await req.caseReference(), language = req.language
        let history = try await DeliberationStore(db: req.db).history(item.id).map {
            EventView(action: $0.action, state: $0.to.rawValue, stateLabel: $0.to.label.text(language), actor: $0.actorName, at: $0.at, when: BeijingTime.minute($0.at),
                      detail: $0.detail)
        }
        return ItemDetail(item: ItemView(item, reference, language, today: LocalDate.beijing(req.now), staff: true), history: history)
    }

    // MARK: API

    @Sendable func listAPI(req: Request) async throws -> ItemList {
        let items = try await DeliberationsService(req: req).list(state: try req.query.get(String?.self, at: "state"), village: try req.query.get(String?.self, at: "village"))
        let reference = try await req.caseReference(), today = LocalDate.beijing(req.now)
        return ItemList(items: items.map { ItemView($0, reference, req.language, today: today, staff: true) })
    }

    @Sendable func raiseAPI(req: Request) async throws -> Response {
        let b = try req.content.decode(RaiseBody.self)
        let item = try await DeliberationsService(req: req).raise(area: b.area, title: b.title, description: b.description, source: b.source,
                                                                  microProject: b.microProject, budget: b.budget)
        return try await detail(req, item).encodeResponse(status: .created, for: req)
    }

    @Sendable func showAPI(req: Request) async throws -> ItemDetail {
        try await detail(req, try await DeliberationsService(req: req).find(req.parameters.get("id")).item)
    }

    @Sendable func actAPI(req: Request) async throws -> ItemDetail {
        let service = DeliberationsService(req: req)
        _ = try await service.find(req.parameters.get("id"))   // the item the path names first: 404 before the body
        let input = try req.content.decode(DeliberationsService.StepInput.self)
        return try await detail(req, try await service.act(req.parameters.get("id"), input))
    }

    // MARK: Console

    struct RaiseForm: Content {
        var area: String?
        var title: String?
        var description: String?
        var source: String?
        var microProject: String?
        var budget: String?
    }

    struct ListPage: Encodable {
        var page: PageChrome
        var items: [ItemView]
        var states: [Choice]
        var canRaise: Bool
        var form: RaiseForm
        var villages: [Choice]
        var sources: [Choice]
        var errors: [String: String]
    }

    @Sendable func listPage(req: Request) async throws -> Response {
        try await listPage(req, form: nil, errors: [:])
    }

    func listPage(_ req: Request, form typed: RaiseForm?, errors: [String: String], status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let language = req.language
        let stateFilter = (try? req.query.get(String?.self, at: "state")).flatMap { $0 }.flatMap { DeliberationState(rawValue: $0) }
        let items = try await DeliberationsService(req: req).list(state: stateFilter?.rawValue, village: nil)
        let reference = try await req.caseReference(), today = LocalDate.beijing(req.now)
        let villages = reference.areas.values.filter { $0.kind == .village && DeliberationAccess.mayRaise(actor, villagePath: $0.path) }.sorted { $0.code < $1.code }
        let form = typed ?? RaiseForm(area: villages.first?.code, source: DeliberationAccess.defaultSource(for: actor).rawValue)
        let page = ListPage(
            page: PageChrome(request: req, title: language == .en ? "Deliberation" : "议事协调"),
            items: items.map { ItemView($0, reference, language, today: today, staff: true) },
            states: [Choice(value: "", label: language == .en ? "All" : "全部", selected: stateFilter == nil)]
                + DeliberationState.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0 == stateFilter) },
            canRaise: !villages.isEmpty, form: form,
            villages: villages.map { Choice(value: $0.code, label: "\($0.displayName(language))（\($0.code)）", selected: $0.code == form.area) },
            sources: DeliberationSource.allCases.filter { $0 != .resident }.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == form.source) },
            errors: errors)
        let response = try await req.page("deliberations", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func raiseForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let f = try req.content.decode(RaiseForm.self)
        do {
            let item = try await DeliberationsService(req: req).raise(area: f.area, title: f.title, description: f.description, source: f.source,
                                                                      microProject: f.microProject == "on" || f.microProject == "true", budget: f.budget)
            return req.redirect(to: "/deliberations/\(item.id.uuidString.lowercased())")
        } catch let problems as FieldProblems {
            return try await listPage(req, form: f, errors: problems.messagesByField(req.language), status: .unprocessableEntity)
        }
    }

    /// The console's step form: lists as lines (parties one a line; opinions `party：text` a line), amounts in yuan.
    struct StepForm: Content {
        var action: String?
        var meetingAt: String?
        var meetingPlace: String?
        var parties: String?
        var opinions: String?
        var decision: String?
        var carriedOutBy: String?
        var dueDate: String?
        var budget: String?
        var spent: String?
        var outcome: String?
        var reason: String?
        var caseCategory: String?

        var input: DeliberationsService.StepInput {
            func lines(_ s: String?) -> [String] { (s ?? "").components(separatedBy: .newlines).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
            let opinions = lines(opinions).map { line -> DeliberationsService.StepInput.Opinion in
                guard let sep = line.firstIndex(where: { $0 == "：" || $0 == ":" }) else { return .init(party: line, text: "") }
                return .init(party: String(line[..<sep]), text: String(line[line.index(after: sep)...]))
            }
            return .init(action: action, meetingAt: meetingAt, meetingPlace: meetingPlace, parties: lines(parties), opinions: opinions, decision: decision,
                         carriedOutBy: carriedOutBy, dueDate: dueDate, budget: budget, spent: spent, outcome: outcome, reason: reason, caseCategory: caseCategory)
        }
    }

    struct ItemPage: Encodable {
        var page: PageChrome
        var detail: ItemDetail
        var mayRun: Bool
        var maySchedule: Bool
        var mayDecide: Bool
        var mayClose: Bool
        var mayDecline: Bool
        var form: StepForm
        var failed: String?
        var errors: [String: String]
        var carriers: [Choice]
        var categories: [Choice]
        var caseURL: String?
    }

    @Sendable func itemPage(req: Request) async throws -> Response {
        try await itemPage(req, form: nil, errors: [:])
    }

    func itemPage(_ req: Request, form typed: StepForm?, errors: [String: String], status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let (item, village) = try await DeliberationsService(req: req).find(req.parameters.get("id"))
        let reference = try await req.caseReference(), language = req.language
        let run = DeliberationAccess.mayRun(actor, villagePath: village.path)
        let today = LocalDate.beijing(req.now)
        let form = typed ?? StepForm(meetingAt: BeijingTime.inputValue(req.now.addingTimeInterval(3 * 86_400)), parties: item.parties.joined(separator: "\n"),
                                     dueDate: today.adding(days: 14).description)
        let categories = reference.taxonomy.categories.filter { $0.kind == .event }.sorted { $0.code < $1.code }
        let page = ItemPage(page: PageChrome(request: req, title: item.number), detail: try await detail(req, item), mayRun: run,
                            maySchedule: run && (item.state == .raised || item.state == .scheduled), mayDecide: run && item.state == .scheduled,
                            mayClose: run && item.state == .decided, mayDecline: run && (item.state == .raised || item.state == .scheduled),
                            form: form, failed: typed?.action, errors: errors,
                            carriers: DeliberationsService.carriers(reference, village: village).map {
                                Choice(value: $0.id.uuidString.lowercased(), label: reference.orgs[$0.id]?.displayName(language) ?? $0.name,
                                       selected: $0.id.uuidString.lowercased() == form.carriedOutBy?.lowercased()) },
                            categories: [Choice(value: "", label: language == .en ? "No case: nothing to be done on the ground" : "无需立案", selected: (form.caseCategory ?? "").isEmpty)]
                                + categories.map { Choice(value: $0.code, label: "\($0.code) \(language == .en ? $0.nameEn : $0.name)", selected: $0.code == form.caseCategory) },
                            caseURL: item.caseID.map { "/cases/\($0.uuidString.lowercased())" })
        let response = try await req.page("deliberation", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func actForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let f = try req.content.decode(StepForm.self)
        let id = req.parameters.get("id") ?? ""
        do {
            _ = try await DeliberationsService(req: req).act(id, f.input)
        } catch let problems as FieldProblems {
            return try await itemPage(req, form: f, errors: problems.messagesByField(req.language), status: .unprocessableEntity)
        }
        return req.redirect(to: "/deliberations/\(id)")
    }

    // MARK: Portal

    struct PortalForm: Encodable {
        var page: PageChrome
        var village: ActivitiesController.AreaRef
        var title: String
        var description: String
        var name: String
        var phone: String
        var errors: [String: String]
    }

    func portalForm(_ req: Request, title: String = "", description: String = "", name: String = "", phone: String = "", errors: [String: String] = [:],
                    status: HTTPStatus = .ok) async throws -> Response {
        let reference = try await req.caseReference()
        guard let area = reference.areasByCode[req.parameters.get("code") ?? ""], area.kind == .village else {
            throw DomainError.notFound(zh: "没有这个城中村", en: "there is no such village")
        }
        let page = PortalForm(page: PageChrome(request: req, title: req.language == .en ? "Raise an item" : "提出议题").withCSRF(req),
                              village: .init(code: area.code, name: area.displayName(req.language)), title: title, description: description, name: name, phone: phone,
                              errors: errors)
        return try await req.page("portal/deliberation-form", page, status: status)
    }

    @Sendable func portalForm(req: Request) async throws -> Response { try await portalForm(req) }

    struct PortalRaise: Content {
        var title: String?
        var description: String?
        var name: String?
        var phone: String?
    }

    @Sendable func portalRaise(req: Request) async throws -> Response {
        let f = try req.content.decode(PortalRaise.self)
        do {
            let raised = try await DeliberationsService(req: req).raiseFromPortal(village: req.parameters.get("code") ?? "", title: f.title,
                                                                                  description: f.description, name: f.name, phone: f.phone)
            return req.redirect(to: "/d/r/\(raised.token)?new=1")
        } catch let problems as FieldProblems {
            return try await portalForm(req, title: f.title ?? "", description: f.description ?? "", name: f.name ?? "", phone: f.phone ?? "",
                                        errors: problems.messagesByField(req.language), status: .unprocessableEntity)
        }
    }

    struct PublicItemPage: Encodable {
        var page: PageChrome
        var item: ItemView
        var isNew: Bool
        var isReceipt: Bool
    }

    /// The resident's own item, whatever its state, by the link given when it was raised.
    @Sendable func receipt(req: Request) async throws -> Response {
        guard let token = req.parameters.get("token"), (16...64).contains(token.count),
              let item = try await DeliberationStore(db: req.db).find(receiptHash: ActivitiesService.receiptHash(token)) else { throw DeliberationStore.notFound }
        let page = PublicItemPage(page: PageChrome(request: req, title: item.number), item: ItemView(item, try await req.caseReference(), req.language,
                                                                                                     today: LocalDate.beijing(req.now), staff: false),
                                  isNew: (try? req.query.get(String?.self, at: "new")).flatMap { $0 } == "1", isReceipt: true)
        let response = try await req.page("portal/deliberation", page)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    /// An item taken up (past raised), for everyone.
    @Sendable func publicPage(req: Request) async throws -> Response {
        let item = try await DeliberationsService.publicItem(req, req.parameters.get("id"))
        let page = PublicItemPage(page: PageChrome(request: req, title: item.title), item: ItemView(item, try await req.caseReference(), req.language,
                                                                                                    today: LocalDate.beijing(req.now), staff: false),
                                  isNew: false, isReceipt: false)
        return try await req.page("portal/deliberation", page)
    }
}
