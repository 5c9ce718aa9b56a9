import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Shifts (排班) in the API — `GET`/`POST /api/v1/shifts`, `GET /api/v1/shifts/{id}`, `POST /api/v1/shifts/{id}/cancel` —
/// and the console's `/shifts` (the week's roster with its figures, the roster form, cancelling), on `ShiftService`.
struct ShiftController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped("api", "v1")
        api.get("shifts", use: list)
        api.post("shifts", use: roster)
        api.get("shifts", ":id", use: show)
        api.post("shifts", ":id", "cancel", use: cancel)
        routes.get("shifts", use: page)
        routes.post("shifts", use: rosterForm)
        routes.post("shifts", ":id", "cancel", use: cancelForm)
    }

    typealias API = OperationsAPIController

    // MARK: Views

    struct Figures: Content {
        var people: Int
        var personHours: Double
        var tasksDue: Int
        var tasksDone: Int
        var minutesSpent: Int
        var casesAssigned: Int
        var casesWorked: Int
    }

    struct ShiftView: Content {
        var id: UUID
        var roster: UUID
        var team: API.PersonRef
        var area: API.AreaRef
        var steward: String
        var date: String
        /// "HH:MM", Beijing time; an end at or before the start is the next day.
        var start: String
        var end: String
        var startsAt: Date
        var endsAt: Date
        var days: String
        var weekdays: [Int]?
        var daysLabel: String
        var people: [API.PersonRef]
        var note: String?
        var cancelled: Bool
        var cancelledAt: Date?
        /// Null for a cancelled shift.
        var figures: Figures?

        init(_ s: StoredShift, _ load: ShiftLoad?, _ n: API.Names) {
            let r = s.row
            (id, roster, date, startsAt, endsAt, note, cancelledAt) = (r.id, r.rosterId, r.date, r.startsAt, r.endsAt, r.note, r.cancelledAt)
            team = API.PersonRef(id: r.teamId, name: n.teams[r.teamId]?.name ?? "—")
            area = n.area(r.areaId)
            steward = n.orgs[r.orgId]?.code ?? ""
            start = String(BeijingTime.minute(r.startsAt).suffix(5))
            end = String(BeijingTime.minute(r.endsAt).suffix(5))
            let rule = ShiftStore.days(r.days)
            days = rule.token
            weekdays = rule.token == "weekly" ? rule.weekdays : nil
            daysLabel = rule.label.text(n.language)
            people = s.members.map(n.person).sorted { $0.name < $1.name }
            cancelled = r.cancelledAt != nil
            figures = load.map {
                Figures(people: $0.people, personHours: $0.personHours, tasksDue: $0.tasksDue, tasksDone: $0.tasksDone, minutesSpent: $0.minutesSpent,
                        casesAssigned: $0.casesAssigned, casesWorked: $0.casesWorked)
            }
        }
    }

    struct ShiftPage: Content {
        var items: [ShiftView]
        var total: Int
        var next: String?
    }

    struct Rostered: Content {
        var count: Int
        var items: [ShiftView]
    }

    struct Cancelled: Content {
        var cancelled: Int
    }

    // MARK: API

    /// The roster as the API's JSON body and the console's form send it.
    struct RosterBody: Content {
        var team: String?
        var area: String?
        var from: String?
        var through: String?
        var start: String?
        var end: String?
        var days: String?
        var weekdays: [Int]?
        var members: [String]?
        var note: String?

        var input: ShiftInput {
            ShiftInput(team: team ?? "", area: area ?? "", from: from ?? "", through: through ?? "", start: start ?? "", end: end ?? "",
                       days: days ?? "every", weekdays: (weekdays ?? []).map(String.init), members: members ?? [], note: note ?? "")
        }
    }

    @Sendable func list(req: Request) async throws -> ShiftPage {
        let limit = try req.query.get(Int?.self, at: "limit") ?? 200
        guard (1...500).contains(limit) else { throw DomainError.invalid("limit", zh: "limit 为 1~500", en: "limit is 1 to 500") }
        if let after = try req.query.get(String?.self, at: "after"), !after.isEmpty, UUID(uuidString: after) == nil {
            throw DomainError.invalid("after", zh: "after 应为上一页返回的 next", en: "after must be the next value of a page")
        }
        let page = try await ShiftService(req: req).list(from: try API.date(req, "from"), through: try API.date(req, "through"),
                                                         team: try req.query.get(String?.self, at: "team"), area: try req.query.get(String?.self, at: "area"),
                                                         mine: try req.flag("mine"), cancelled: try req.flag("cancelled"),
                                                         after: try req.query.get(String?.self, at: "after"), limit: limit)
        let names = try await API.Names.load(req)
        return ShiftPage(items: page.items.map { ShiftView($0, page.loads[$0.row.id], names) }, total: page.total, next: page.next)
    }

    @Sendable func roster(req: Request) async throws -> Response {
        let b = try req.content.decode(RosterBody.self)
        let made = try await ShiftService(req: req).roster(b.input)
        let names = try await API.Names.load(req)
        return try await Rostered(count: made.count, items: made.map { ShiftView($0, nil, names) }).encodeResponse(status: .created, for: req)
    }

    @Sendable func show(req: Request) async throws -> ShiftView {
        let service = ShiftService(req: req)
        let found = try await service.shift(req.parameters.get("id") ?? "")
        return ShiftView(found, try await service.loads([found])[found.row.id], try await API.Names.load(req))
    }

    struct CancelBody: Content {
        /// Also the roster's later shifts.
        var following: Bool?
    }

    @Sendable func cancel(req: Request) async throws -> Cancelled {
        let service = ShiftService(req: req)
        let id = req.parameters.get("id") ?? ""
        _ = try await service.shift(id)   // the shift the path names first: 404 before anything the body says
        // The body is optional: none (or an empty one) cancels this shift alone.
        let b = (req.body.data?.readableBytes ?? 0) == 0 ? CancelBody() : try req.content.decode(CancelBody.self)
        return Cancelled(cancelled: try await service.cancel(id, following: b.following ?? false))
    }

    // MARK: Console

    struct DayGroup: Encodable {
        var date: String
        var label: String
        var shifts: [ShiftView]
    }

    struct RosterPage: Encodable {
        var page: PageChrome
        var from: String
        var through: String
        var previous: String
        var following: String
        var team: String
        var teams: [Choice]
        var days: [DayGroup]
        var total: Int
        var more: Bool
        var canRoster: Bool
        var mayCancel: Bool
        var form: RosterBody
        var formTeams: [Choice]
        var formAreas: [Choice]
        var formDays: [Choice]
        var formWeekdays: [Choice]
        var formPeople: [Choice]
        var errors: [String: String]
    }

    @Sendable func page(req: Request) async throws -> Response {
        try await page(req, form: nil, errors: [:])
    }

    func page(_ req: Request, form typed: RosterBody?, errors: [String: String], status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let language = req.language
        let today = LocalDate.beijing(req.now)
        // The week shown: seven days from `from` (default today); a bad date shows this week.
        let from = (try? req.query.get(String?.self, at: "from")).flatMap { $0.flatMap(LocalDate.init) } ?? today
        let through = from.adding(days: 6)
        let teamFilter = (try? req.query.get(String?.self, at: "team")).flatMap { $0 }.flatMap { UUID(uuidString: $0) != nil ? $0 : nil } ?? ""
        let service = ShiftService(req: req)
        let listed = try await service.list(from: from, through: through, team: teamFilter, area: nil, mine: false, cancelled: false, limit: 500)
        let names = try await API.Names.load(req)
        let views = listed.items.map { ShiftView($0, listed.loads[$0.row.id], names) }
        let dayNames = language == .en ? ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] : ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
        let calendar = try await req.caseReference().calendar
        let days = (0..<7).map { from.adding(days: $0) }.map { d in
            let holiday = calendar.holidayName(d).map { " · \($0)" } ?? (calendar.isWorkingDay(d) ? "" : (language == .en ? " · rest day" : " · 休息日"))
            return DayGroup(date: d.description, label: "\(d) \(dayNames[d.isoWeekday - 1])\(holiday)", shifts: views.filter { $0.date == d.description })
        }
        let visibleTeams = try await OperationsService(req: req).listTeams()
        // The roster form: for the dispatcher's own company, or the district office's first steward with areas.
        let plannable = OperationsAccess.mayPlanAny(actor) ? try await OperationsService(req: req).plannableAreas(actor) : [:]
        let chosenTeam = typed?.team.flatMap(UUID.init(uuidString:))
        let steward = plannable[typed?.area ?? ""]?.steward ?? visibleTeams.first { $0.row.id == chosenTeam }?.row.orgId
            ?? (actor.org?.kind == .steward ? actor.org?.id : plannable.values.map(\.steward).min { $0.uuidString < $1.uuidString })
        let ownTeams = visibleTeams.filter { $0.row.orgId == steward }
        let form = typed ?? RosterBody(team: ownTeams.first?.row.id.uuidString.lowercased(), from: today.adding(days: 1).description,
                                       through: today.adding(days: 7).description, start: "08:00", end: "17:00", days: "every")
        var staff: [User] = []
        if let steward { staff = try await OperationsService(req: req).staff(of: steward) }
        let chosenDays = Set((form.weekdays ?? []).map(String.init)), chosenPeople = Set((form.members ?? []).map { $0.lowercased() })
        let rules: [(String, LocalizedText)] = [("every", ShiftDays.everyDay.label), ("working", ShiftDays.workingDays.label), ("rest", ShiftDays.restDays.label),
                                                ("weekly", LocalizedText(zh: "每周选定几天", en: "Chosen days of the week"))]
        let page = RosterPage(
            page: PageChrome(request: req, title: language == .en ? "Shifts" : "排班"), from: from.description, through: through.description,
            previous: from.adding(days: -7).description, following: from.adding(days: 7).description, team: teamFilter,
            teams: [Choice(value: "", label: language == .en ? "All teams" : "全部班组", selected: teamFilter.isEmpty)]
                + visibleTeams.map { Choice(value: $0.row.id.uuidString.lowercased(), label: $0.row.name, selected: $0.row.id.uuidString.lowercased() == teamFilter.lowercased()) },
            days: days, total: listed.total, more: listed.next != nil, canRoster: !plannable.isEmpty && steward != nil,
            mayCancel: steward.map { OperationsAccess.mayPlan(actor, stewardID: $0) } ?? false,
            form: form,
            formTeams: ownTeams.map { Choice(value: $0.row.id.uuidString.lowercased(), label: $0.row.name, selected: $0.row.id.uuidString.lowercased() == form.team?.lowercased()) },
            formAreas: plannable.values.filter { $0.steward == steward }.sorted { $0.area.code < $1.area.code }
                .map { Choice(value: $0.area.code, label: "\($0.area.displayName(language))（\($0.area.code)）", selected: $0.area.code == form.area) },
            formDays: rules.map { Choice(value: $0.0, label: $0.1.text(language), selected: $0.0 == (form.days ?? "every")) },
            formWeekdays: (1...7).map { Choice(value: String($0), label: dayNames[$0 - 1], selected: chosenDays.contains(String($0))) },
            formPeople: staff.map { Choice(value: $0.id.uuidString.lowercased(), label: $0.displayName, selected: chosenPeople.contains($0.id.uuidString.lowercased())) },
            errors: errors)
        let response = try await req.page("shifts", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func rosterForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let form = try req.content.decode(RosterBody.self)
        do {
            let made = try await ShiftService(req: req).roster(form.input)
            return req.redirect(to: "/shifts?from=\(made.first?.row.date ?? "")&team=\(made.first?.row.teamId.uuidString.lowercased() ?? "")")
        } catch let problems as FieldProblems {
            return try await page(req, form: form, errors: problems.messagesByField(req.language), status: .unprocessableEntity)
        }
    }

    struct CancelForm: Content {
        var following: String?
        var from: String?
    }

    @Sendable func cancelForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let form = try req.content.decode(CancelForm.self)
        let id = req.parameters.get("id") ?? ""
        let found = try await ShiftService(req: req).shift(id)
        _ = try await ShiftService(req: req).cancel(id, following: form.following == "on" || form.following == "true")
        let back = form.from.flatMap(LocalDate.init)?.description ?? found.row.date
        return req.redirect(to: "/shifts?from=\(back)")
    }
}
