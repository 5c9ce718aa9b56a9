import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Coordination meetings: `/api/v1/meetings`, `/api/v1/action-items` (participants see theirs), the console's
/// `/meetings` (plan one), `/meetings/{id}` (agenda, items carried forward, minutes) and `/action-items`.
struct MeetingsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped("api", "v1")
        api.get("meetings", use: listAPI)
        api.post("meetings", use: planAPI)
        api.get("meetings", ":id", use: showAPI)
        api.post("meetings", ":id", "minutes", use: minuteAPI)
        api.get("action-items", use: itemsAPI)
        api.post("action-items", ":id", "done", use: doneAPI)
        routes.get("meetings", use: listPage)
        routes.post("meetings", use: planForm)
        routes.get("meetings", ":id", use: meetingPage)
        routes.post("meetings", ":id", "minutes", use: minuteForm)
        routes.get("action-items", use: itemsPage)
        routes.post("action-items", ":id", "done", use: doneForm)
    }

    // MARK: Views

    struct OrgRef: Content {
        var id: String
        var code: String
        var name: String
    }

    static func org(_ id: UUID, _ reference: CaseReference, _ language: Language) -> OrgRef {
        let o = reference.orgs[id]
        return OrgRef(id: id.uuidString.lowercased(), code: o?.code ?? "", name: o?.displayName(language) ?? "")
    }

    struct LinkView: Content {
        var kind: String
        var ref: String
        /// Where it opens in the console.
        var href: String?
    }

    struct AgendaView: Content {
        var title: String
        var links: [LinkView]
    }

    struct ActionView: Content {
        var id: String
        var number: String
        var title: String
        var owner: OrgRef
        var dueDate: String
        var escalation: String
        var escalationLabel: String
        var overdue: Bool
        var done: Bool
        var doneAt: Date?
        var doneNote: String?
        /// Later meetings it was carried to while open.
        var carried: Int
        var meeting: String
        var meetingTitle: String

        init(_ a: ActionItem, meeting: Meeting, _ reference: CaseReference, _ language: Language, today: LocalDate) {
            (id, number, title) = (a.id.uuidString.lowercased(), a.number, a.title)
            owner = MeetingsController.org(a.ownerOrg, reference, language)
            (dueDate, escalation, escalationLabel) = (a.dueDate.description, a.escalation.name, a.escalation.label.text(language))
            (overdue, done, doneAt, doneNote, carried) = (a.isOverdue(today: today), !a.isOpen, a.doneAt, a.doneNote, a.carried)
            (self.meeting, meetingTitle) = (meeting.id.uuidString.lowercased(), meeting.title)
        }
    }

    struct MeetingView: Content {
        var id: String
        var kind: String
        var kindLabel: String
        var title: String
        var area: ActivitiesController.AreaRef
        var convenedBy: OrgRef?
        var heldAt: Date
        var when: String
        var place: String
        var invited: [OrgRef]
        var agenda: [AgendaView]
        var state: String
        var stateLabel: String
        var attended: [OrgRef]
        var decisions: [String]
        var minutes: String?
        var minutedAt: Date?

        init(_ m: Meeting, _ reference: CaseReference, _ language: Language, caseIDs: [String: String] = [:], contractIDs: [String: String] = [:]) {
            (id, kind, kindLabel, title) = (m.id.uuidString.lowercased(), m.kind.rawValue, m.kind.label.text(language), m.title)
            let a = reference.areas[m.areaID]
            area = .init(code: a?.code ?? "", name: a?.displayName(language) ?? "")
            convenedBy = m.convenedBy.map { MeetingsController.org($0, reference, language) }
            (heldAt, when, place) = (m.heldAt, BeijingTime.minute(m.heldAt), m.place)
            invited = m.invited.map { MeetingsController.org($0, reference, language) }
            agenda = m.agenda.map { item in
                AgendaView(title: item.title, links: item.links.map { l in
                    let href: String? = switch l.kind {
                    case .case: caseIDs[l.ref].map { "/cases/\($0)" }
                    case .contract: contractIDs[l.ref].map { "/contracts/\($0)" }
                    case .village: reference.areasByCode[l.ref].map { "/areas/\($0.id.uuidString.lowercased())" }
                    case .assessment: "/assessment"
                    }
                    return LinkView(kind: l.kind.rawValue, ref: l.ref, href: href)
                })
            }
            (state, stateLabel) = (m.state.rawValue, m.state.label.text(language))
            attended = m.attended.map { MeetingsController.org($0, reference, language) }
            (decisions, minutes, minutedAt) = (m.decisions, m.minutes, m.minutedAt)
        }
    }

    struct MeetingDetail: Content {
        var meeting: MeetingView
        var actions: [ActionView]
        /// Open items of earlier meetings carried to this one.
        var carried: [ActionView]
    }

    struct MeetingList: Content {
        var items: [MeetingView]
    }

    struct ActionList: Content {
        var items: [ActionView]
    }

    func detail(_ req: Request, _ m: Meeting) async throws -> MeetingDetail {
        let reference = try await req.caseReference(), language = req.language, today = LocalDate.beijing(req.now)
        let store = MeetingStore(db: req.db)
        let (own, carried) = try await store.items(of: m.id)
        var meetings: [UUID: Meeting] = [m.id: m]
        for c in carried where meetings[c.meetingID] == nil { meetings[c.meetingID] = try await store.find(c.meetingID) }
        var caseIDs: [String: String] = [:], contractIDs: [String: String] = [:]
        for item in m.agenda { for l in item.links {
            if l.kind == .case, let row = try? await CaseStore(db: req.db).find(number: l.ref, scope: nil) { caseIDs[l.ref] = row.id.uuidString.lowercased() }
            if l.kind == .contract, let c = try await ContractStore(db: req.db).list(scope: .all).first(where: { $0.number == l.ref }) { contractIDs[l.ref] = c.id.uuidString.lowercased() }
        } }
        return MeetingDetail(meeting: MeetingView(m, reference, language, caseIDs: caseIDs, contractIDs: contractIDs),
                             actions: own.map { ActionView($0, meeting: m, reference, language, today: today) },
                             carried: carried.compactMap { c in meetings[c.meetingID].map { ActionView(c, meeting: $0, reference, language, today: today) } })
    }

    // MARK: API

    @Sendable func listAPI(req: Request) async throws -> MeetingList {
        let reference = try await req.caseReference()
        return MeetingList(items: try await MeetingsService(req: req).list().map { MeetingView($0, reference, req.language) })
    }

    @Sendable func planAPI(req: Request) async throws -> Response {
        let input = try req.content.decode(MeetingsService.PlanInput.self)
        let made = try await MeetingsService(req: req).plan(input)
        return try await detail(req, made.meeting).encodeResponse(status: .created, for: req)
    }

    @Sendable func showAPI(req: Request) async throws -> MeetingDetail {
        try await detail(req, try await MeetingsService(req: req).find(req.parameters.get("id")))
    }

    @Sendable func minuteAPI(req: Request) async throws -> MeetingDetail {
        let service = MeetingsService(req: req)
        _ = try await service.find(req.parameters.get("id"))
        let input = try req.content.decode(MeetingsService.MinutesInput.self)
        return try await detail(req, try await service.minute(req.parameters.get("id"), input))
    }

    @Sendable func itemsAPI(req: Request) async throws -> ActionList {
        let reference = try await req.caseReference(), today = LocalDate.beijing(req.now)
        let open = try req.flag("open")
        return ActionList(items: try await MeetingsService(req: req).actionItems(openOnly: open).map { ActionView($0.0, meeting: $0.1, reference, req.language, today: today) })
    }

    struct DoneBody: Content {
        var note: String?
    }

    @Sendable func doneAPI(req: Request) async throws -> ActionView {
        let service = MeetingsService(req: req)
        let (_, m) = try await service.actionItem(req.parameters.get("id"))
        let body = (req.body.data?.readableBytes ?? 0) == 0 ? DoneBody() : try req.content.decode(DoneBody.self)
        let done = try await service.complete(req.parameters.get("id"), note: body.note)
        return ActionView(done, meeting: m, try await req.caseReference(), req.language, today: LocalDate.beijing(req.now))
    }

    // MARK: Console

    /// The plan form: invited organisations chosen; the agenda a line each, `title | link, link`.
    struct PlanForm: Content {
        var kind: String?
        var title: String?
        var area: String?
        var heldAt: String?
        var place: String?
        var invited: [String]?
        var agenda: String?

        var input: MeetingsService.PlanInput {
            let lines = (agenda ?? "").components(separatedBy: .newlines).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return .init(kind: kind, title: title, area: area, heldAt: heldAt, place: place, invited: invited, agenda: lines.map { line in
                let parts = line.split(separator: "|", maxSplits: 1).map(String.init)
                let links = parts.count > 1 ? parts[1].split(whereSeparator: { $0 == "," || $0 == "，" || $0 == " " }).map(String.init) : []
                return .init(title: parts.first ?? "", links: links)
            })
        }
    }

    struct ListPage: Encodable {
        var page: PageChrome
        var meetings: [MeetingView]
        var canConvene: Bool
        var form: PlanForm
        var kinds: [Choice]
        var areas: [Choice]
        var orgs: [Choice]
        var errors: [String: String]
    }

    @Sendable func listPage(req: Request) async throws -> Response {
        try await listPage(req, form: nil, errors: [:])
    }

    func listPage(_ req: Request, form typed: PlanForm?, errors: [String: String], status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let reference = try await req.caseReference(), language = req.language
        let meetings = try await MeetingsService(req: req).list()
        let areas = reference.areas.values.filter { a in
            (a.kind == .district && CoordinationAccess.mayConvene(actor, kind: .districtMonthly, areaPath: a.path))
                || (a.kind == .street && CoordinationAccess.mayConvene(actor, kind: .street, areaPath: a.path))
        }.sorted { $0.code < $1.code }
        let form = typed ?? PlanForm(kind: CoordinationAccess.defaultKind(for: actor).rawValue, area: areas.first?.code,
                                     heldAt: BeijingTime.inputValue(req.now.addingTimeInterval(7 * 86_400)))
        let chosen = Set(form.invited ?? [])
        let page = ListPage(page: PageChrome(request: req, title: language == .en ? "Coordination meetings" : "协调会"),
                            meetings: meetings.map { MeetingView($0, reference, language) }, canConvene: CoordinationAccess.mayConveneAny(actor), form: form,
                            kinds: MeetingKind.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == form.kind) },
                            areas: areas.map { Choice(value: $0.code, label: $0.displayName(language), selected: $0.code == form.area) },
                            orgs: reference.orgs.values.sorted { $0.code < $1.code }.map { Choice(value: $0.code, label: $0.displayName(language), selected: chosen.contains($0.code)) },
                            errors: errors)
        let response = try await req.page("meetings", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func planForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let f = try req.content.decode(PlanForm.self)
        do {
            let made = try await MeetingsService(req: req).plan(f.input)
            return req.redirect(to: "/meetings/\(made.meeting.id.uuidString.lowercased())")
        } catch let problems as FieldProblems {
            return try await listPage(req, form: f, errors: problems.messagesByField(req.language), status: .unprocessableEntity)
        }
    }

    /// The minutes form: attendance ticked, decisions a line each, three action rows.
    struct MinutesForm: Content {
        var attended: [String]?
        var decisions: String?
        var minutes: String?
        var actionTitle: [String]?
        var actionOwner: [String]?
        var actionDue: [String]?

        var input: MeetingsService.MinutesInput {
            let titles = actionTitle ?? [], owners = actionOwner ?? [], dues = actionDue ?? []
            return .init(attended: attended, decisions: (decisions ?? "").components(separatedBy: .newlines), minutes: minutes,
                         actions: titles.indices.map { i in .init(title: titles[i], owner: i < owners.count ? owners[i] : nil, dueDate: i < dues.count ? dues[i] : nil) })
        }
    }

    struct MeetingPage: Encodable {
        var page: PageChrome
        var detail: MeetingDetail
        var mayMinute: Bool
        var form: MinutesForm
        var invited: [Choice]
        var rows: [Row]
        var errors: [String: String]

        struct Row: Encodable {
            var index: Int
            var title: String
            var owners: [Choice]
            var due: String
            var error: String?
        }
    }

    @Sendable func meetingPage(req: Request) async throws -> Response {
        try await meetingPage(req, form: nil, errors: [:])
    }

    func meetingPage(_ req: Request, form typed: MinutesForm?, errors: [String: String], status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let m = try await MeetingsService(req: req).find(req.parameters.get("id"))
        let reference = try await req.caseReference(), language = req.language
        let form = typed ?? MinutesForm(attended: m.invited.map { reference.orgs[$0]?.code ?? "" })
        let attended = Set(form.attended ?? [])
        let invited = m.invited.compactMap { reference.orgs[$0] }
        let rows = (0..<3).map { i in
            MeetingPage.Row(index: i, title: form.actionTitle.flatMap { i < $0.count ? $0[i] : nil } ?? "",
                            owners: [Choice(value: "", label: "—")] + invited.map { o in
                                Choice(value: o.code, label: o.displayName(language), selected: form.actionOwner.flatMap { i < $0.count ? $0[i] : nil } == o.code) },
                            due: form.actionDue.flatMap { i < $0.count ? $0[i] : nil } ?? "",
                            error: ["title", "owner", "dueDate"].compactMap { errors["actions[\(i)].\($0)"] }.joined(separator: " ").nilIfEmpty)
        }
        let page = MeetingPage(page: PageChrome(request: req, title: m.title), detail: try await detail(req, m),
                               mayMinute: m.state == .planned && CoordinationAccess.mayManage(actor, m), form: form,
                               invited: invited.map { Choice(value: $0.code, label: $0.displayName(language), selected: attended.contains($0.code)) },
                               rows: rows, errors: errors)
        let response = try await req.page("meeting", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func minuteForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let f = try req.content.decode(MinutesForm.self)
        let id = req.parameters.get("id") ?? ""
        do {
            _ = try await MeetingsService(req: req).minute(id, f.input)
        } catch let problems as FieldProblems {
            return try await meetingPage(req, form: f, errors: problems.messagesByField(req.language), status: .unprocessableEntity)
        }
        return req.redirect(to: "/meetings/\(id)")
    }

    struct ItemsPage: Encodable {
        var page: PageChrome
        var items: [ActionView]
        var openOnly: Bool
        var refused: String?
        var refusedMessage: String?
    }

    @Sendable func itemsPage(req: Request) async throws -> Response {
        try await itemsPage(req, refused: nil)
    }

    func itemsPage(_ req: Request, refused: (id: String, message: String)?, status: HTTPStatus = .ok) async throws -> Response {
        _ = try req.consoleActor()
        let open = (try? req.query.get(String?.self, at: "all")).flatMap { $0 } != "1"
        let reference = try await req.caseReference(), today = LocalDate.beijing(req.now)
        let items = try await MeetingsService(req: req).actionItems(openOnly: open).map { ActionView($0.0, meeting: $0.1, reference, req.language, today: today) }
        let response = try await req.page("action-items", ItemsPage(page: PageChrome(request: req, title: req.language == .en ? "Action items" : "交办任务"),
                                                                   items: items, openOnly: open, refused: refused?.id, refusedMessage: refused?.message), status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func doneForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let f = try req.content.decode(DoneBody.self)
        let id = req.parameters.get("id") ?? ""
        do {
            _ = try await MeetingsService(req: req).complete(id, note: f.note)
        } catch let problems as FieldProblems {
            return try await itemsPage(req, refused: (id.lowercased(), problems.messagesByField(req.language).values.joined(separator: " ")), status: .unprocessableEntity)
        }
        return req.redirect(to: "/action-items")
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
