import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The console's case pages: the dispatcher's queue, one case with its timeline and the actions allowed now, the
/// staff task list and patrol report (phone width), the map of open cases, and the taxonomy editor.
struct CasesWebController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("cases", use: queue)
        routes.get("cases", "map", use: map)
        routes.get("cases", "export.csv", use: exportCSV)
        routes.get("cases", "export.xlsx", use: exportXLSX)
        routes.get("cases", ":caseID", use: show)
        routes.on(.POST, "cases", ":caseID", "actions", body: .collect(maxSize: "64mb"), use: act)
        routes.post("cases", "dispatch", use: dispatchForm)
        routes.post("api", "v1", "cases", "dispatch", use: dispatchAPI)
        routes.get("tasks", use: tasks)
        routes.get("patrol", use: patrolForm)
        routes.on(.POST, "patrol", body: .collect(maxSize: "64mb"), use: patrol)
        routes.get("photos", ":name", use: CasesAPIController().photo)
        routes.get("taxonomy", use: taxonomy)
        routes.get("taxonomy", ":code", use: categoryPage)
        routes.post("taxonomy", ":code", use: saveCategory)
    }


    // MARK: Queue

    struct Row: Encodable {
        var id: String
        var number: String
        var category: String
        var categoryCode: String
        var area: String
        var responsible: String
        var state: String
        var stateLabel: String
        var deadline: String
        var overdue: Bool
        var escalation: Int
        var supervised: Bool
        var duplicate: Bool
        var source: String
        var pending: String?
        /// The caller may dispatch it now (a box to tick for bulk dispatch).
        var selectable = false

        init(_ c: Case, language: Language, now: Date) {
            id = c.id.uuidString.lowercased()
            number = c.number
            category = language == .en ? c.category.nameEn : c.category.name
            categoryCode = c.category.code
            area = c.place.areaName
            responsible = c.responsible.name
            state = c.state.rawValue
            stateLabel = c.state.label.text(language)
            deadline = Timestamp.beijing(c.workflow.deadline)
            overdue = c.isOverdue(at: now)
            escalation = c.workflow.escalation
            supervised = c.workflow.supervised
            duplicate = c.duplicateOf != nil
            source = c.source.label.text(language)
            pending = c.workflow.pending?.label.text(language)
        }
    }

    struct Chip: Encodable {
        var label: String
        var count: Int
        var href: String
        var active: Bool
    }

    struct QueuePage: Encodable {
        var page: PageChrome
        var rows: [Row]
        var total: Int
        var chips: [Chip]
        var overdueCount: Int
        var states: [Choice]
        var areas: [Choice]
        var sources: [Choice]
        var category: String
        /// The search as typed: a case number or words of the description.
        var search: String
        var overdue: Bool
        var prev: String?
        var next: String?
        var canReport: Bool
        var provisionalYear: String?
        /// Some row may be dispatched: the table is a bulk-dispatch form.
        var canDispatch = false
        /// The query of this page, for the bulk form to come back to it.
        var query = ""
        /// The queue's filters as a CSV and an XLSX download.
        var exportCSV = ""
        var exportXLSX = ""
        /// What the last bulk dispatch did (shown once).
        var dispatchResult: String?
    }

    /// The bulk dispatch's summary travels to the page it returns to in the session, once.
    static let dispatchResultKey = "bulkDispatch"

    struct DispatchForm: Content {
        var ids: [String]?
        var back: String?
    }

    @Sendable func dispatchForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let form = try req.content.decode(DispatchForm.self)
        let language = req.language
        let summary: String
        do {
            let o = try await DispatchCases(req: req).run(form.ids ?? [], responsibleID: nil)
            let refused = o.refused.map { "\($0.number ?? $0.id)：\($0.reason)" }.joined(separator: language == .en ? "; " : "；")
            summary = (language == .en ? "Dispatched \(o.dispatched.count)" : "已派遣 \(o.dispatched.count) 件")
                + (o.refused.isEmpty ? "" : (language == .en ? "; not dispatched \(o.refused.count): " : "；未派遣 \(o.refused.count) 件：") + refused)
        } catch let e as DomainError {
            summary = e.message(language)
        }
        req.session.data[Self.dispatchResultKey] = summary
        // Back to the queue as it was filtered (only a path of the queue is taken).
        let back = form.back.flatMap { $0.hasPrefix("/cases") && !$0.hasPrefix("//") ? $0 : nil } ?? "/cases"
        return req.redirect(to: back)
    }

    struct DispatchBody: Content {
        /// Case ids: one that is not a UUID makes the body unreadable (400), as the document says.
        var ids: [UUID]
        var responsible: UUID?
    }

    @Sendable func dispatchAPI(req: Request) async throws -> DispatchCases.Outcome {
        let body = try req.content.decode(DispatchBody.self)
        return try await DispatchCases(req: req).run(body.ids.map(\.uuidString), responsibleID: body.responsible)
    }

    /// The filter form sends every field; those left on "all" (全部) come empty and are no filter.
    static func listQuery(_ req: Request) throws -> CasesAPIController.ListQuery {
        let given = (URLComponents(string: req.url.string)?.queryItems ?? []).filter { !($0.value ?? "").trimmingCharacters(in: .whitespaces).isEmpty }
        var kept = URLComponents()
        kept.queryItems = given
        return try URLEncodedFormDecoder().decode(CasesAPIController.ListQuery.self, from: kept.percentEncodedQuery ?? "")
    }

    @Sendable func exportCSV(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        try AccessPolicy.require(.casesRead, actor)
        return try await ExportCases(req: req).csv(try Self.listQuery(req))
    }

    @Sendable func exportXLSX(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        try AccessPolicy.require(.casesRead, actor)
        return try await ExportCases(req: req).xlsx(try Self.listQuery(req))
    }

    @Sendable func queue(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        try AccessPolicy.require(.casesRead, actor)
        let language = req.language
        let q = try Self.listQuery(req)
        let now = req.now
        let filter = try CasesAPIController.filter(q, now: now)
        let scope = CaseAccess.scope(for: actor)
        let (offset, after, before) = try CasesAPIController.start(q)
        let (listed, counts) = try await req.caseQueue(scope: scope, filter: filter, limit: 50, offset: offset, after: after, before: before)
        let rows = listed.rows
        let total = counts.total(states: filter.states, overdueOnly: filter.overdueAt != nil)
        func link(_ changes: [String: String?]) -> String {
            var items: [String: String] = [:]
            if let s = q.state { items["state"] = s }
            if q.overdue == true { items["overdue"] = "true" }
            if let a = q.area { items["area"] = a.uuidString.lowercased() }
            if let c = q.category, !c.isEmpty { items["category"] = c }
            if let s = q.source, !s.isEmpty { items["source"] = s }
            if let w = q.q, !w.isEmpty { items["q"] = w }
            for (k, v) in changes { items[k] = v }
            let query = items.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.value)" }
            return "/cases" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        }
        var chips = [Chip(label: language == .en ? "All" : "全部", count: counts.byState.values.reduce(0, +), href: link(["state": nil, "overdue": nil]),
                          active: q.state == nil && q.overdue != true)]
        chips.append(Chip(label: language == .en ? "Open" : "未结", count: CaseState.open.compactMap { counts.byState[$0] }.reduce(0, +),
                          href: link(["state": "open", "overdue": nil]), active: q.state == "open"))
        for s in CaseState.allCases where (counts.byState[s] ?? 0) > 0 {
            chips.append(Chip(label: s.label.text(language), count: counts.byState[s] ?? 0, href: link(["state": s.rawValue, "overdue": nil]), active: q.state == s.rawValue))
        }
        let areaScope = AccessPolicy.areaScope(for: actor)
        let areaOptions = try await req.areas.list(scope: areaScope).filter { $0.kind == .street || $0.kind == .village }
            .map { Choice(value: $0.id.uuidString.lowercased(), label: ($0.kind == .village ? "　" : "") + $0.displayName(language), selected: $0.id == q.area) }
        let calendar = req.application.caseReference.calendar
        let year = calendar.localDate(now).year
        let shown = rows.map { r -> Row in
            var row = Row(r.case, language: language, now: now)
            row.selectable = CaseWorkflow.available(on: r.snapshot, as: CaseAccess.capacities(of: actor, on: r.parties)).contains(.dispatch)
            return row
        }
        var page = QueuePage(
            page: PageChrome(request: req, title: language == .en ? "Case queue" : "案件调度"),
            rows: shown, total: total, chips: chips, overdueCount: counts.overdue,
            states: [Choice(value: "", label: language == .en ? "Any state" : "全部状态", selected: q.state == nil),
                     Choice(value: "open", label: language == .en ? "Open" : "未结", selected: q.state == "open")]
                + CaseState.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: q.state == $0.rawValue) },
            areas: [Choice(value: "", label: language == .en ? "Every area" : "全部区域", selected: q.area == nil)] + areaOptions,
            sources: [Choice(value: "", label: language == .en ? "Any source" : "全部来源", selected: q.source == nil)]
                + CaseSource.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: q.source == $0.rawValue) },
            category: q.category ?? "", search: q.q ?? "", overdue: q.overdue == true,
            prev: listed.previous.map { link(["before": $0.token]) },
            next: listed.next.map { link(["after": $0.token]) },
            canReport: actor.can(.casesReport),
            provisionalYear: calendar.isProvisional(year: year) ? String(year) : nil)
        page.canDispatch = shown.contains { $0.selectable }
        page.query = req.url.string.hasPrefix("/cases") ? req.url.string : "/cases"
        let filters = link([:])
        page.exportCSV = filters.replacingOccurrences(of: "/cases", with: "/cases/export.csv")
        page.exportXLSX = filters.replacingOccurrences(of: "/cases", with: "/cases/export.xlsx")
        if let result = req.session.data[Self.dispatchResultKey] {
            req.session.data[Self.dispatchResultKey] = nil
            page.dispatchResult = result
        }
        return try await req.page("cases", page)
    }

    // MARK: One case

    struct ActionForm: Encodable {
        var action: String
        var label: String
        var needsNote: Bool
        var noteRequired: Bool
        var needsHours: Bool
        var chooseResponsible: Bool
        var chooseCategory: Bool
        var chooseMerge: Bool
        var takesPhoto: Bool
        var photoRequired: Bool
        var danger: Bool
        /// What was typed into this form when it was refused.
        var note: String?
        var hours: String
        var category: String?
        var mergeInto: String?
        /// Messages by field (`note`, `photo`, `hours`, `category`, `mergeInto`, `responsible`; `form` for the rest).
        var errors: [String: String]
        var hadPhoto: Bool
    }

    /// An action form that was refused: shown again, open, with what was typed and each message by its field.
    struct RefusedAction {
        var body: ActionFormBody
        var error: DomainError
    }

    struct EventView: Encodable {
        var at: String
        var actor: String
        var action: String
        var state: String
        var note: String?
        var detail: String?
    }

    struct PhotoView: Encodable {
        var url: String
        var role: String
    }

    struct CasePage: Encodable {
        var page: PageChrome
        var c: CaseResponse
        var row: Row
        var category: String
        var urgency: String
        var source: String
        var reportedAt: String
        var deadline: String
        var stepDue: String
        var limit: String?
        var limitIsDefault: Bool
        var routingRule: String
        var explanation: String
        var events: [EventView]
        var photos: [PhotoView]
        var actions: [ActionForm]
        var orgs: [Choice]
        var svg: String?
        var duplicateHref: String?
        var duplicateNumber: String?
        var mergedHref: String?
        var revision: Int
        var provisional: Bool
        var position: String
        /// Who within the responsible organisation has it (a team or a person), and the choices when the caller gives it out.
        var assignee: String?
        var assignChoices: [Choice]
        var asset: Choice?
    }

    @Sendable func show(req: Request) async throws -> Response {
        try await casePage(req, refused: nil)
    }

    /// The fields an action form has; a message for any other field is shown at the top of the form.
    static let actionFields: Set<String> = ["note", "photo", "hours", "category", "mergeInto", "responsible"]

    func casePage(_ req: Request, refused: RefusedAction?) async throws -> Response {
        let actor = try req.consoleActor()
        let row = try await req.cases.find(try CasesAPIController.caseID(req), scope: CaseAccess.scope(for: actor))
        let language = req.language
        let reference = try await req.caseReference()
        let now = req.now
        let capacities = CaseAccess.capacities(of: actor, on: row.parties)
        let evidence = reference.taxonomy.eventCategory(row.categoryCode)?.handlingEvidence ?? .required
        let actions = CaseWorkflow.available(on: row.snapshot, as: capacities).filter { $0 != .selfHandle }.map { a in
            var errors: [String: String] = [:]
            var typed: ActionFormBody?
            if let refused, refused.body.action == a.rawValue {
                typed = refused.body
                switch refused.error {
                case .tooLarge, .unsupportedType: errors["photo"] = refused.error.message(language)
                default:
                    for (field, message) in refused.error.messagesByField(language) {
                        errors[field.flatMap { Self.actionFields.contains($0) ? $0 : nil } ?? "form"] = message
                    }
                }
            }
            return ActionForm(action: a.rawValue, label: a.label.text(language), needsNote: a.needsNote || a == .dispatch || a == .handle,
                              noteRequired: a.needsNote || (a == .handle && evidence.note), needsHours: a == .requestPostpone,
                              chooseResponsible: a == .dispatch, chooseCategory: a == .file, chooseMerge: a == .merge,
                              takesPhoto: [.handle, .passVerification, .failVerification].contains(a),
                              photoRequired: a == .handle && evidence.afterPhoto,
                              danger: [.reject, .merge, .failVerification, .returnCase, .denyRequest].contains(a),
                              note: typed?.note, hours: typed?.hours ?? "8", category: typed?.category ?? row.categoryCode,
                              mergeInto: typed?.mergeInto, errors: errors,
                              hadPhoto: typed.map { Self.fileData($0.photo) != nil } ?? false)
        }
        // A refusal of an action this page does not offer (an unknown one) has no form to stand by: its own page.
        if let refused, !actions.contains(where: { $0.action == refused.body.action }) { throw refused.error }
        var timeline: [(at: Date, view: EventView)] = try await req.cases.events(of: row.id).map { e in
            let action = CaseEvent.label(action: e.action).text(language)
            return (e.at, EventView(at: Timestamp.beijing(e.at), actor: e.actorName, action: action,
                                    state: (CaseState(rawValue: e.toState)?.label ?? LocalizedText(zh: e.toState, en: e.toState)).text(language),
                                    note: e.note, detail: e.detail))
        }
        // A 12345 ticket's case: each step sent back to the hotline stands in the timeline, with how its delivery stands.
        if row.case.source == .hotline, actor.can(.casesRead), let ticket = try await HotlineStore(db: req.db).ticket(caseID: row.id) {
            for push in CaseResponse.Hotline(ticket, pushes: try await HotlineStore(db: req.db).pushes(ticketID: ticket.id), language: language).pushes {
                let at = push.deliveredAt ?? push.queuedAt
                let state = switch push.state {
                case "delivered": language == .en ? "delivered" : "已送达"
                case "pending": language == .en ? "queued" : "待发送"
                default: language == .en ? "retrying (\(push.attempts) failed)" : "重试中（已失败 \(push.attempts) 次）"
                }
                timeline.append((at, EventView(at: Timestamp.beijing(at), actor: "12345 \(ticket.ticketNumber)",
                                               action: (language == .en ? "To the 12345 hotline: " : "回传 12345：") + push.stepLabel,
                                               state: state, note: push.lastError, detail: nil)))
            }
        }
        let events = timeline.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element.view)
        let photos = try await req.cases.photos(of: row.id).map { p in
            PhotoView(url: "/photos/\(actor.can(.casesRead) ? p.hash : p.publicHash).\(PhotoFormat(rawValue: p.format)?.fileExtension ?? "jpg")", role: (PhotoRole(rawValue: p.role)?.label ?? LocalizedText(zh: p.role, en: p.role)).text(language))
        }
        // The village (or street) around the case, with the case marked.
        var svg: String?
        if let outlineID = row.villageId ?? row.streetId, let outline = try? await req.areas.find(outlineID, scope: .everything) {
            let inside = row.villageId != nil ? try await req.areas.children(of: outlineID) : []
            let map = AreaMap.draw(inside.map { AreaMap.Item(area: $0, href: nil) }, outline: outline, width: 360, language: language,
                                   pins: [AreaMap.Pin(position: row.position, style: row.isOverdue(at: now) ? "overdue" : row.state, label: row.number, href: nil)])
            svg = map.map { MapSVG.render($0, label: outline.displayName(language)) }
        }
        let limit: TimeLimit? = reference.handlingLimit(for: row.case)
        let chosenResponsible = refused?.body.responsible.flatMap(UUID.init(uuidString:)) ?? row.responsibleId
        let orgs = reference.orgs.values.filter { [.steward, .streetOffice, .department, .districtOffice].contains($0.kind) }
            .sorted { ($0.kind.rawValue, $0.code) < ($1.kind.rawValue, $1.code) }
            .map { Choice(value: $0.id.uuidString.lowercased(), label: $0.displayName(language), selected: $0.id == chosenResponsible) }
        var duplicateNumber: String?
        if let dup = row.duplicateOf { duplicateNumber = (try? await req.cases.find(dup, scope: CaseAccess.scope(for: actor)))?.number }
        var page = CasePage(
            page: PageChrome(request: req, title: row.number), c: CaseResponse(row.case, language: language, now: now), row: Row(row.case, language: language, now: now),
            category: "\(row.categoryCode) \(language == .en ? row.categoryNameEn : row.categoryName) (v\(row.categoryVersion))",
            urgency: row.caseUrgency.label.text(language),
            source: (CaseSource(rawValue: row.source)?.label ?? LocalizedText(zh: row.source, en: row.source)).text(language),
            reportedAt: Timestamp.beijing(row.reportedAt), deadline: Timestamp.beijing(row.deadline), stepDue: Timestamp.beijing(row.stepDue),
            limit: limit?.label.text(language), limitIsDefault: limit?.isDefault ?? false,
            routingRule: (RoutingRule(rawValue: row.routingRule)?.label ?? LocalizedText(zh: row.routingRule, en: row.routingRule)).text(language),
            explanation: row.routingExplanation.text(language), events: events, photos: photos, actions: actions, orgs: orgs, svg: svg,
            duplicateHref: duplicateNumber == nil ? nil : row.duplicateOf.map { "/cases/\($0.uuidString.lowercased())" }, duplicateNumber: duplicateNumber,
            mergedHref: row.mergedInto.map { "/cases/\($0.uuidString.lowercased())" }, revision: row.revision,
            provisional: reference.calendar.isProvisional(year: reference.calendar.localDate(row.deadline).year),
            position: String(format: "%.6f, %.6f", row.lat, row.long), assignee: nil, assignChoices: [], asset: nil)
        let current = try await InspectionStore(db: req.db).assignee(of: row.id)
        let teams = try await TeamStore(db: req.db).list(orgs: [row.responsibleId])
        let people = try await DirectoryStore(db: req.db).users().filter { OperationsAccess.mayBeAssigned($0, stewardID: row.responsibleId) }
        func label(_ a: CaseAssignee) -> String? {
            switch a {
            case .team(let id): teams.first { $0.row.id == id }.map { $0.row.name }
            case .person(let id): people.first { $0.id == id }?.displayName
            }
        }
        page.assignee = current.flatMap(label)
        if OperationsAccess.mayPlan(actor, stewardID: row.responsibleId), !(CaseState(rawValue: row.state)?.isFinal ?? true), !(teams.isEmpty && people.isEmpty) {
            page.assignChoices = [Choice(value: "", label: language == .en ? "The organisation (no one)" : "负责单位（不分派）", selected: current == nil)]
                + teams.map { Choice(value: CaseAssignee.team($0.row.id).text, label: $0.row.name, selected: current == .team($0.row.id)) }
                + people.map { Choice(value: CaseAssignee.person($0.id).text, label: $0.displayName, selected: current == .person($0.id)) }
        }
        if let assetID = try await AssetStore(db: req.db).asset(ofCase: row.id), let a = try? await AssetStore(db: req.db).find(assetID, AssetAccess.scope(for: actor)) {
            page.asset = Choice(value: "/assets/\(a.id.uuidString.lowercased())", label: "\(a.code) \(a.name)")
        }
        return try await req.page("case", page, status: refused?.error.status ?? .ok)
    }

    struct ActionFormBody: Content {
        var action: String
        var note: String?
        var hours: String?
        var responsible: String?
        var category: String?
        var mergeInto: String?
        var revision: Int?
        var photo: File?
        var back: String?
    }

    static func fileData(_ file: File?) -> Data? {
        guard let file, file.data.readableBytes > 0 else { return nil }
        return Data(buffer: file.data)
    }

    @Sendable func act(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        try AccessPolicy.require(.casesWork, actor)
        let body = try req.content.decode(ActionFormBody.self)
        do {
            return try await act(req, body, actor: actor)
        } catch let error as DomainError {
            // What the person can fix comes back as the case page with this form open and what was typed kept; a
            // case they may not see, or one changed meanwhile, keeps its own answer.
            switch error {
            case .invalid, .unprocessable, .tooLarge, .unsupportedType: return try await casePage(req, refused: RefusedAction(body: body, error: error))
            default: throw error
            }
        }
    }

    private func act(_ req: Request, _ body: ActionFormBody, actor: Actor) async throws -> Response {
        guard let action = CaseAction(rawValue: body.action) else {
            throw DomainError.invalid("action", zh: "未知操作", en: "unknown action")
        }
        var hours: Double?
        if let text = body.hours, !text.isEmpty {
            guard let h = Double(text) else { throw DomainError.invalid("hours", zh: "延期时长应为数字", en: "hours must be a number") }
            hours = h
        }
        var photos: [(data: Data, role: PhotoRole)] = []
        if let data = Self.fileData(body.photo) { photos.append((data, action == .handle ? .after : .evidence)) }
        let id = try CasesAPIController.caseID(req)
        let input = ActOnCase.Input(action: action, note: body.note?.isEmpty == true ? nil : body.note, hours: hours,
                                    responsibleID: body.responsible.flatMap(UUID.init(uuidString:)),
                                    category: body.category?.isEmpty == true ? nil : body.category,
                                    mergeInto: body.mergeInto?.isEmpty == true ? nil : body.mergeInto, photos: photos, expectedRevision: body.revision)
        _ = try await ActOnCase(request: req).run(caseID: id, input: input, actor: actor, now: req.now)
        let back = body.back == "tasks" ? "/tasks" : "/cases/\(id.uuidString.lowercased())"
        return req.redirect(to: back, redirectType: .normal)
    }

    // MARK: Staff on the phone

    struct TasksPage: Encodable {
        var page: PageChrome
        /// Today's planned work given to the caller or its teams (operations), when it works the steward's tasks.
        var planned: [OperationsWebController.TaskRow]?
        /// The caller's shifts today and the next six days, when it works the steward's tasks.
        var shifts: [ShiftController.ShiftView]?
        var todo: [Row]
        /// Cases given to the caller or its teams (for a dispatcher, beside the whole queue).
        var given: [Row]
        var ownWorkOnly: Bool
        var verify: [Row]
        var reported: [Row]
    }

    @Sendable func tasks(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        try AccessPolicy.require(.casesRead, actor)
        let language = req.language
        let now = req.now
        let scope = CaseAccess.scope(for: actor)
        var todo: [CaseRow] = []
        // Line staff see the cases given to them or their teams; a dispatcher the organisation's whole queue.
        let given = try await InspectionService(req: req).myCases()
        if OperationsAccess.listsOwnWorkOnly(actor) {
            todo = given
        } else if let org = actor.org?.id {
            todo = try await req.cases.page(scope: scope, filter: CaseFilter(states: [.dispatched, .accepted, .reworked], responsibleID: org), limit: 100).rows
        }
        let handled = try await req.cases.page(scope: scope, filter: CaseFilter(states: [.handled]), limit: 100).rows
            .filter { CaseAccess.capacities(of: actor, on: $0.parties).contains(.verifier) }
        let mine = try await req.cases.page(scope: .limited(areas: [], orgs: [], departments: [], reporter: actor.user.id), limit: 20).rows
        var planned: [OperationsWebController.TaskRow]?
        var shifts: [ShiftController.ShiftView]?
        if let org = actor.org, OperationsAccess.worker(actor, stewardID: org.id, teams: []) != nil {
            let today = try await OperationsService(req: req).listTasks(from: nil, through: nil, state: nil, plan: nil, mine: true, area: nil, limit: 100)
            let names = try await OperationsAPIController.Names.load(req)
            planned = today.items.map { OperationsWebController.taskRow($0, names, now: now) }
            let mine = try await ShiftService(req: req).list(from: nil, through: nil, team: nil, area: nil, mine: true, cancelled: false, limit: 20)
            shifts = mine.items.filter { $0.row.endsAt > now }.map { ShiftController.ShiftView($0, mine.loads[$0.row.id], names) }
        }
        let page = TasksPage(page: PageChrome(request: req, title: language == .en ? "My tasks" : "我的任务"), planned: planned, shifts: shifts,
                             todo: todo.sorted { ($0.stepDue ?? $0.deadline) < ($1.stepDue ?? $1.deadline) }.map { Row($0.case, language: language, now: now) },
                             given: OperationsAccess.listsOwnWorkOnly(actor) ? [] : given.map { Row($0.case, language: language, now: now) },
                             ownWorkOnly: OperationsAccess.listsOwnWorkOnly(actor),
                             verify: handled.map { Row($0.case, language: language, now: now) },
                             reported: mine.map { Row($0.case, language: language, now: now) })
        return try await req.page("tasks", page)
    }

    struct CategoryGroupView: Encodable {
        var label: String
        var options: [Choice]
    }

    struct PatrolPage: Encodable {
        var page: PageChrome
        var groups: [CategoryGroupView]
        var places: [Choice]
        /// Identifies this form: posting it twice (a double tap) makes one case.
        var formKey: String
    }

    static func requirePatrol(_ actor: Actor) throws {
        guard CaseAccess.mayPatrol(actor) else {
            throw DomainError.forbidden(LocalizedText(zh: "巡查上报只供工作人员使用；居民请通过“我要上报”反映问题", en: "the patrol form is for staff; residents report through “Report a problem”"))
        }
    }

    @Sendable func patrolForm(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        try Self.requirePatrol(actor)
        let language = req.language
        let reference = try await req.caseReference()
        let groups = CategoryGroup.allCases.map { g in
            CategoryGroupView(label: g.label.text(language), options: reference.taxonomy.categories
                .filter { $0.kind == .event && $0.group == g && $0.majorCode >= "06" }
                .map { Choice(value: $0.code, label: "\($0.code) \($0.displayName(language))", selected: $0.code == "06010") })
        }
        let scope = AccessPolicy.areaScope(for: actor)
        let places = try await req.areas.list(scope: scope).filter { $0.kind == .village || $0.kind == .building }
            .map { Choice(value: $0.code, label: ($0.kind == .building ? "　" : "") + $0.displayName(language), selected: false) }
        let page = PatrolPage(page: PageChrome(request: req, title: language == .en ? "Report from patrol" : "巡查上报"), groups: groups,
                              places: places, formKey: UUID().uuidString.lowercased())
        return try await req.page("patrol", page)
    }

    struct PatrolBody: Content {
        var category: String?
        var lat: String?
        var long: String?
        var placeCode: String?
        var description: String?
        var urgency: String?
        var photo: File?
        var before: File?
        var after: File?
        var selfHandled: String?
        var handledNote: String?
        var formKey: String?
    }

    @Sendable func patrol(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        try Self.requirePatrol(actor)
        let body = try req.content.decode(PatrolBody.self)
        let position = try CasesAPIController.position(lat: try CasesAPIController.decimal(body.lat, field: "lat"),
                                                       long: try CasesAPIController.decimal(body.long, field: "long"), crs: nil)
        var photos: [(data: Data, role: PhotoRole)] = []
        if let d = Self.fileData(body.photo) { photos.append((d, .report)) }
        let selfHandled = body.selfHandled == "on" || body.selfHandled == "true"
        if let d = Self.fileData(body.before) { photos.append((d, .before)) }
        if let d = Self.fileData(body.after) { photos.append((d, .after)) }
        let report = CaseReport(category: body.category, position: position, placeCode: position == nil ? body.placeCode : nil,
                                description: body.description, urgency: (body.urgency ?? "").isEmpty ? nil : body.urgency)
        let input = ReportCase.Input(report: report, source: .patrol, photos: photos, selfHandled: selfHandled,
                                     handledNote: body.handledNote, idempotencyKey: body.formKey.map { "\(actor.user.id):form:\($0)" })
        let outcome = try await ReportCase(request: req).run(input, actor: actor, now: req.now)
        return req.redirect(to: "/cases/\(outcome.saved.id.uuidString.lowercased())", redirectType: .normal)
    }

    // MARK: Map of open cases

    struct MapCard: Encodable {
        var name: String
        var svg: String?
        var open: Int
        var overdue: Int
    }

    struct MapPage: Encodable {
        var page: PageChrome
        var cards: [MapCard]
        var legend: [Choice]
    }

    @Sendable func map(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        try AccessPolicy.require(.casesRead, actor)
        let language = req.language
        let now = req.now
        let open = try await req.cases.page(scope: CaseAccess.scope(for: actor), filter: CaseFilter(states: CaseState.open), limit: 2000).rows
        let villages = try await req.areas.list(scope: AccessPolicy.areaScope(for: actor), kind: .village, includeShapes: true)
        let byVillage = Dictionary(grouping: open.filter { $0.villageId != nil }, by: { $0.villageId! })
        var cards: [MapCard] = []
        for village in villages {
            let cases = byVillage[village.id] ?? []
            let inside = try await req.areas.children(of: village.id)
            let pins = cases.map { c in
                AreaMap.Pin(position: c.position, style: c.isOverdue(at: now) ? "overdue" : c.state,
                            label: "\(c.number) \(language == .en ? c.categoryNameEn : c.categoryName) · \(c.caseState.label.text(language))",
                            href: "/cases/\(c.id.uuidString.lowercased())")
            }
            let map = AreaMap.draw(inside.map { AreaMap.Item(area: $0, href: nil) }, outline: village, width: 360, language: language, pins: pins)
            cards.append(MapCard(name: village.displayName(language), svg: map.map { MapSVG.render($0, label: village.displayName(language)) },
                                 open: cases.count, overdue: cases.filter { $0.isOverdue(at: now) }.count))
        }
        let legend = [CaseState.reported, .filed, .dispatched, .accepted, .handled, .verified, .reworked, .returned, .suspended]
            .map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: false) }
            + [Choice(value: "overdue", label: language == .en ? "Overdue" : "已超时", selected: false)]
        let page = MapPage(page: PageChrome(request: req, title: language == .en ? "Open cases on the map" : "未结案件地图"), cards: cards, legend: legend)
        return try await req.page("casemap", page)
    }

    // MARK: Taxonomy

    struct CategoryRowView: Encodable {
        var code: String
        var name: String
        var major: String
        var normal: String
        var urgent: String
        var isDefault: Bool
        var beyond: Bool
        var owner: String
        var matter: String
        var version: Int
    }

    struct TaxonomyPage: Encodable {
        var page: PageChrome
        var rows: [CategoryRowView]
        var majors: [Choice]
        var matters: [MatterView]
        var canEdit: Bool
        var calendarNote: String
    }

    struct MatterView: Encodable {
        var code: String
        var name: String
        var domain: String
        var owner: String
        var count: Int
        var entrusted: Int
    }

    @Sendable func taxonomy(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        try AccessPolicy.require(.casesRead, actor)
        let language = req.language
        let reference = try await req.caseReference()
        let major = (try? req.query.get(String.self, at: "major")) ?? "06"
        let deptName = { (code: String?) -> String in
            guard let code else { return language == .en ? "— (district office)" : "—（区办协调）" }
            return reference.departments[code]?.name ?? code
        }
        let events = reference.taxonomy.categories.filter { $0.kind == .event }
        let rows = events.filter { $0.majorCode == major }.map { c in
            CategoryRowView(code: c.code, name: c.displayName(language), major: language == .en ? c.majorNameEn : c.majorName,
                            normal: c.limit(.normal)?.label.text(language) ?? "", urgent: c.limit(.urgent)?.label.text(language) ?? "",
                            isDefault: c.limits.values.contains { $0.isDefault }, beyond: c.beyondStewardAuthority,
                            owner: deptName(c.ownerDepartment), matter: c.matter ?? "", version: reference.taxonomy.version(of: c.code))
        }
        var majors: [Choice] = []
        for c in events where !majors.contains(where: { $0.value == c.majorCode }) {
            majors.append(Choice(value: c.majorCode, label: "\(c.majorCode) \(language == .en ? c.majorNameEn : c.majorName)", selected: c.majorCode == major))
        }
        let now = req.now
        let matters = reference.taxonomy.matters.map { m in
            MatterView(code: m.code, name: m.displayName(language), domain: m.domain.label.text(language), owner: deptName(m.ownerDepartment),
                       count: m.categories.count, entrusted: reference.entrustments.filter { $0.matterCode == m.code && $0.isActive(at: now) }.count)
        }
        let years = reference.calendar.years.keys.sorted().map(String.init).joined(separator: ", ")
        let page = TaxonomyPage(page: PageChrome(request: req, title: language == .en ? "Categories and matters" : "类别与事项"), rows: rows,
                                majors: majors, matters: matters, canEdit: actor.can(.taxonomyManage),
                                calendarNote: language == .en ? "Holiday schedules published for: \(years). Other years are provisional (weekends only)."
                                    : "已载入节假日安排的年份：\(years)。其他年份为临时日历（仅按周末计算）。")
        return try await req.page("taxonomy", page)
    }

    struct CategoryEditPage: Encodable {
        var page: PageChrome
        var c: CategoryResponse
        var units: [Choice]
        var normalUnit: String
        var urgentUnit: String
        var normalAmount: String
        var urgentAmount: String
        var groups: [Choice]
        var departments: [Choice]
        var matters: [Choice]
        var versions: [CasesAPIController.CategoryDetail.Version]
        var canEdit: Bool
    }

    @Sendable func categoryPage(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        try AccessPolicy.require(.casesRead, actor)
        let language = req.language
        let detail = try await CasesAPIController.categoryDetail(code: req.parameters.get("code") ?? "", req: req)
        let reference = try await req.caseReference()
        let c = detail.category
        func amount(_ u: String) -> String {
            guard let a = c.limits[u]?.amount else { return "" }
            return a.rounded() == a ? String(Int(a)) : String(a)
        }
        let page = CategoryEditPage(
            page: PageChrome(request: req, title: "\(c.code) \(language == .en ? c.nameEn : c.name)"), c: c,
            units: TimeLimitUnit.allCases.map { Choice(value: $0.rawValue, label: $0.label(1).text(language).replacingOccurrences(of: "1 ", with: ""), selected: false) },
            normalUnit: c.limits["normal"]?.unit ?? "workingHours", urgentUnit: c.limits["urgent"]?.unit ?? "workingHours",
            normalAmount: amount("normal"), urgentAmount: amount("urgent"),
            groups: CategoryGroup.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == c.group) },
            departments: [Choice(value: "", label: language == .en ? "— none (district office)" : "— 无（区办协调）", selected: c.ownerDepartment == nil)]
                + reference.departments.sorted { $0.key < $1.key }.map { Choice(value: $0.key, label: $0.value.name, selected: $0.key == c.ownerDepartment) },
            matters: [Choice(value: "", label: language == .en ? "— not entrustable" : "— 不属于可委托事项", selected: c.matter == nil)]
                + reference.taxonomy.matters.map { Choice(value: $0.code, label: "\($0.code) \($0.displayName(language))", selected: $0.code == c.matter) },
            // Pages show Beijing time; the API's times are ISO 8601 in UTC.
            versions: detail.versions.map { v in
                var shown = v
                if let at = try? Date(v.createdAt, strategy: .iso8601) { shown.createdAt = Timestamp.beijing(at) }
                return shown
            }, canEdit: actor.can(.taxonomyManage))
        return try await req.page("category", page)
    }

    struct CategoryForm: Content {
        var name: String?
        var nameEn: String?
        var group: String?
        var normalAmount: String?
        var normalUnit: String?
        var urgentAmount: String?
        var urgentUnit: String?
        var beyond: String?
        var evidenceNote: String?
        var evidencePhoto: String?
        var ownerDepartment: String?
        var matter: String?
        var note: String?
    }

    @Sendable func saveCategory(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        try AccessPolicy.require(.taxonomyManage, actor)
        let code = req.parameters.get("code") ?? ""
        let form = try req.content.decode(CategoryForm.self)
        func limit(_ amount: String?, _ unit: String?, _ field: String) throws -> CasesAPIController.EditBody.Limit? {
            guard let amount, !amount.isEmpty else { return nil }
            guard let value = Double(amount) else { throw DomainError.invalid(field, zh: "时限应为数字", en: "a time limit is a number") }
            return .init(amount: value, unit: unit ?? "workingHours")
        }
        var limits: [String: CasesAPIController.EditBody.Limit] = [:]
        if let l = try limit(form.normalAmount, form.normalUnit, "normalAmount") { limits["normal"] = l }
        if let l = try limit(form.urgentAmount, form.urgentUnit, "urgentAmount") { limits["urgent"] = l }
        let body = CasesAPIController.EditBody(name: form.name, nameEn: form.nameEn, group: form.group, limits: limits,
                                               beyondStewardAuthority: form.beyond == "on", ownerDepartment: form.ownerDepartment,
                                               clearOwnerDepartment: form.ownerDepartment == "", matter: form.matter, clearMatter: form.matter == "",
                                               handlingEvidence: HandlingEvidence(note: form.evidenceNote == "on", afterPhoto: form.evidencePhoto == "on"),
                                               note: form.note)
        _ = try await EditCategory(request: req).run(code: code, body: body, actor: actor)
        return req.redirect(to: "/taxonomy/\(code)", redirectType: .normal)
    }
}
