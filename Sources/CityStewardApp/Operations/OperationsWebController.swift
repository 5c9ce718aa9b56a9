import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The steward's operations in the console: `/operations` (completion per village, the plans, a new plan),
/// `/work-plans/{id}` (versions, the next days, recent tasks, a change from a date), `/teams` and `/teams/{id}`, and
/// the actions on a task from the staff's day (`POST /work-tasks/{id}/actions`, on `/tasks`). All on `OperationsService`.
struct OperationsWebController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("operations", use: overview)
        routes.post("work-plans", use: createPlan)
        routes.get("work-plans", ":id", use: planPage)
        routes.post("work-plans", ":id", "versions", use: changePlan)
        routes.get("teams", use: teamsPage)
        routes.post("teams", use: createTeam)
        routes.get("teams", ":id", use: teamPage)
        routes.post("teams", ":id", use: editTeam)
        routes.post("work-tasks", ":id", "actions", use: actOnTask)
    }

    typealias API = OperationsAPIController

    // MARK: The plan form

    struct PlanForm: Content {
        var name: String?
        var kind: String?
        var area: String?
        var repeats: String?
        var every: String?
        var weekdays: [String]?
        var monthDay: String?
        var holidays: String?
        var windowStart: String?
        var windowEnd: String?
        var assignee: String?
        var starts: String?
        var ends: String?
        var matter: String?
        var route: String?
        var effectiveFrom: String?
        var reason: String?

        var input: WorkPlanInput {
            WorkPlanInput(name: name ?? "", kind: kind ?? "", area: area ?? "", repeats: repeats ?? "", every: every ?? "", weekdays: weekdays ?? [],
                          monthDay: monthDay ?? "", holidays: holidays ?? "", windowStart: windowStart ?? "", windowEnd: windowEnd ?? "",
                          assignee: assignee ?? "", starts: starts ?? "", ends: ends ?? "", matter: matter ?? "", route: route ?? "")
        }

        init(_ i: WorkPlanInput) {
            (name, kind, area, repeats, every, weekdays, monthDay) = (i.name, i.kind, i.area, i.repeats, i.every, i.weekdays, i.monthDay)
            (holidays, windowStart, windowEnd, assignee, starts, ends, matter) = (i.holidays, i.windowStart, i.windowEnd, i.assignee, i.starts, i.ends, i.matter)
            route = i.route
        }
    }

    /// The choices of the plan form, with what was typed selected.
    struct PlanChoices: Encodable {
        var kinds: [Choice]
        var areas: [Choice]
        var repeats: [Choice]
        var weekdays: [Choice]
        var holidays: [Choice]
        var assignees: [Choice]
        var routes: [Choice]

        static func make(_ form: PlanForm, areas: [(code: String, name: String)], assignees: [(token: String, name: String)], routes: [PatrolRoute] = [],
                         _ language: Language) -> PlanChoices {
            let dayNames = language == .en ? ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] : ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
            let chosenDays = Set(form.weekdays ?? [])
            return PlanChoices(
                kinds: WorkKind.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == form.kind) },
                areas: areas.map { Choice(value: $0.code, label: "\($0.name)（\($0.code)）", selected: $0.code == form.area) },
                repeats: [("days", LocalizedText(zh: "每 N 天", en: "Every N days")), ("weekly", LocalizedText(zh: "每周", en: "Weekly")),
                          ("monthly", LocalizedText(zh: "每月", en: "Monthly"))].map { Choice(value: $0.0, label: $0.1.text(language), selected: $0.0 == form.repeats) },
                weekdays: (1...7).map { Choice(value: String($0), label: dayNames[$0 - 1], selected: chosenDays.contains(String($0))) },
                holidays: HolidayRule.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == form.holidays) },
                assignees: [Choice(value: "", label: language == .en ? "— the dispatcher assigns each task" : "— 由调度逐项派工", selected: (form.assignee ?? "").isEmpty)]
                    + assignees.map { Choice(value: $0.token, label: $0.name, selected: $0.token == form.assignee) },
                routes: [Choice(value: "", label: "—", selected: (form.route ?? "").isEmpty)]
                    + routes.map { Choice(value: $0.id.uuidString.lowercased(), label: $0.name, selected: $0.id.uuidString.lowercased() == form.route?.lowercased()) })
        }
    }

    /// The teams and people a plan of this steward may be given to.
    static func assignees(_ req: Request, steward: UUID?) async throws -> [(token: String, name: String)] {
        guard let steward else { return [] }
        let service = OperationsService(req: req)
        let teams = try await TeamStore(db: req.db).list(orgs: [steward])
        let people = try await service.staff(of: steward)
        let team = req.language == .en ? "Team: " : "班组："
        return teams.map { (Assignee.team($0.row.id).token, team + $0.row.name) } + people.map { (Assignee.person($0.id).token, $0.displayName) }
    }

    static func routes(_ req: Request, steward: UUID?) async throws -> [PatrolRoute] {
        guard let steward else { return [] }
        return try await PatrolStore(db: req.db).routes(.steward(steward))
    }

    // MARK: Overview

    struct PlanRow: Encodable {
        var id: String
        var name: String
        var kind: String
        var area: String
        var schedule: String
        var window: String
        var assignee: String
        var version: Int
    }

    struct OverviewPage: Encodable {
        var page: PageChrome
        var from: String
        var through: String
        var completion: [API.CompletionRow]
        var patrol: [API.PatrolFigure]
        var workload: API.WorkloadAnswer
        var plans: [PlanRow]
        var canPlan: Bool
        var form: PlanForm
        var choices: PlanChoices
        var errors: [String: String]
    }

    @Sendable func overview(req: Request) async throws -> Response {
        try await overview(req, form: nil, errors: [:])
    }

    func overview(_ req: Request, form typed: PlanForm?, errors: [String: String], status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let service = OperationsService(req: req)
        _ = try service.actor()
        let language = req.language
        let today = LocalDate.beijing(req.now)
        let from = LocalDate(year: today.year, month: today.month, day: 1)
        let names = try await API.Names.load(req)
        let completion = API.completion(try await service.completion(from: from, through: today), names)
        let rows = try await service.listPlans()
        let versions = try await WorkPlanStore(db: req.db).versions(of: rows.map(\.id))
        let plans: [PlanRow] = rows.compactMap { p in
            guard let t = versions[p.id]?.max(by: { $0.number < $1.number })?.terms else { return nil }
            return PlanRow(id: p.id.uuidString.lowercased(), name: t.name, kind: t.kind.label.text(language), area: names.area(p.areaId).name,
                           schedule: t.recurrence.summary.text(language) + " · " + t.holidays.label.text(language), window: t.window.description,
                           assignee: names.assignee(t.assignee)?.name ?? "—", version: p.version)
        }
        let plannable = OperationsAccess.mayPlanAny(actor) ? try await service.plannableAreas(actor) : [:]
        let form = typed ?? PlanForm(WorkPlanInput(kind: WorkKind.cleaning.rawValue, repeats: "days", every: "1", holidays: HolidayRule.keep.rawValue,
                                                   windowStart: "07:00", windowEnd: "09:00", starts: today.description))
        let steward = plannable[form.area ?? ""]?.steward ?? (actor.org?.kind == .steward ? actor.org?.id : plannable.values.first?.steward)
        let areaChoices = plannable.values.sorted { $0.area.code < $1.area.code }.map { ($0.area.code, $0.area.displayName(language)) }
        let page = OverviewPage(page: PageChrome(request: req, title: language == .en ? "Operations" : "作业计划"), from: from.description, through: today.description,
                                completion: completion, patrol: API.patrol(try await service.patrolFigures(from: from, through: today), names),
                                workload: API.workload(try await service.workload(from: from, through: today), from: from, through: today, names), plans: plans, canPlan: !plannable.isEmpty, form: form,
                                choices: PlanChoices.make(form, areas: areaChoices, assignees: try await Self.assignees(req, steward: steward),
                                                          routes: try await Self.routes(req, steward: steward), language), errors: errors)
        let response = try await req.page("operations", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func createPlan(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let form = try req.content.decode(PlanForm.self)
        do {
            let made = try await OperationsService(req: req).createPlan(form.input)
            return req.redirect(to: "/work-plans/\(made.id.uuidString.lowercased())")
        } catch let problems as FieldProblems {
            return try await overview(req, form: form, errors: problems.messagesByField(req.language), status: .unprocessableEntity)
        }
    }

    // MARK: One plan

    struct TaskRow: Encodable {
        var id: String
        var name: String
        var area: String
        var date: String
        var window: String
        var assignee: String
        var state: String
        var stateLabel: String
        var late: Bool
        var doneAt: String?
        var doneBy: String?
        var note: String?
    }

    static func taskRow(_ r: WorkTaskRow, _ names: API.Names, now: Date) -> TaskRow {
        let t = r.task
        return TaskRow(id: r.id.uuidString.lowercased(), name: r.name, area: names.area(r.areaId).name, date: r.date,
                       window: "\(BeijingTime.minute(r.windowStart).suffix(5))–\(BeijingTime.minute(r.windowEnd).suffix(5))",
                       assignee: names.assignee(t.assignee)?.name ?? "—", state: r.state, stateLabel: t.state.label.text(names.language),
                       late: t.isLate(at: now), doneAt: r.doneAt.map(BeijingTime.minute), doneBy: r.doneBy.map { names.person($0).name }, note: r.note)
    }

    struct PlanPage: Encodable {
        var page: PageChrome
        var detail: API.PlanDetail
        var tasks: [TaskRow]
        var canChange: Bool
        var form: PlanForm
        var choices: PlanChoices
        var errors: [String: String]
    }

    @Sendable func planPage(req: Request) async throws -> Response {
        try await planPage(req, form: nil, errors: [:])
    }

    func planPage(_ req: Request, form typed: PlanForm?, errors: [String: String], status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let id = req.parameters.get("id") ?? ""
        let service = OperationsService(req: req)
        let found = try await service.plan(id)
        let detail = try await API.detail(req, id)
        let names = try await API.Names.load(req)
        let today = LocalDate.beijing(req.now)
        let recent = try await service.listTasks(from: today.adding(days: -14), through: today.adding(days: TaskScheduling.horizonDays), state: nil,
                                                 plan: found.plan.id, mine: false, area: nil, limit: 100)
        let current = found.versions.last!.version
        var base = PlanForm(WorkPlanInput(current.terms, areaCode: detail.plan.area.code))
        base.effectiveFrom = max(today.adding(days: 1), current.effectiveFrom).description
        let form = typed ?? base
        let page = PlanPage(page: PageChrome(request: req, title: detail.plan.name), detail: detail,
                            tasks: recent.items.reversed().map { Self.taskRow($0, names, now: req.now) },
                            canChange: OperationsAccess.mayPlan(actor, stewardID: found.plan.orgId), form: form,
                            choices: PlanChoices.make(form, areas: [], assignees: try await Self.assignees(req, steward: found.plan.orgId),
                                                      routes: try await Self.routes(req, steward: found.plan.orgId), req.language), errors: errors)
        let response = try await req.page("work-plan", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func changePlan(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let id = req.parameters.get("id") ?? ""
        let form = try req.content.decode(PlanForm.self)
        do {
            _ = try await OperationsService(req: req).changePlan(id, form.input, effectiveFrom: form.effectiveFrom ?? "", reason: form.reason ?? "")
            return req.redirect(to: "/work-plans/\(id)")
        } catch let problems as FieldProblems {
            return try await planPage(req, form: form, errors: problems.messagesByField(req.language), status: .unprocessableEntity)
        }
    }

    // MARK: Teams

    struct TeamForm: Content {
        var name: String?
        var kind: String?
        var members: [String]?
        var lead: String?
        var steward: String?

        var input: TeamInput { TeamInput(name: name ?? "", kind: kind ?? "", members: members ?? [], lead: lead ?? "") }
    }

    struct TeamsPage: Encodable {
        var page: PageChrome
        var teams: [API.TeamView]
        var canPlan: Bool
        var form: TeamForm
        var kinds: [Choice]
        var people: [Choice]
        var leads: [Choice]
        var stewards: [Choice]
        var errors: [String: String]
    }

    func teamChoices(_ req: Request, _ form: TeamForm, steward: UUID?) async throws -> (kinds: [Choice], people: [Choice], leads: [Choice]) {
        let language = req.language
        let staff = try await steward.asyncMap { try await OperationsService(req: req).staff(of: $0) } ?? []
        let members = Set(form.members ?? [])
        return (TeamKind.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == form.kind) },
                staff.map { Choice(value: $0.id.uuidString, label: $0.displayName, selected: members.contains($0.id.uuidString)) },
                [Choice(value: "", label: "—", selected: (form.lead ?? "").isEmpty)]
                    + staff.map { Choice(value: $0.id.uuidString, label: $0.displayName, selected: $0.id.uuidString == form.lead) })
    }

    @Sendable func teamsPage(req: Request) async throws -> Response {
        try await teamsPage(req, form: nil, errors: [:])
    }

    func teamsPage(_ req: Request, form typed: TeamForm?, errors: [String: String], status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let service = OperationsService(req: req)
        let teams = try await service.listTeams()
        let names = try await API.Names.load(req)
        let form = typed ?? TeamForm(kind: TeamKind.cleaning.rawValue)
        // The district office names the steward; a dispatcher's team is its own company's.
        let stewardOrgs = names.orgs.values.filter { $0.kind == .steward }.sorted { $0.code < $1.code }
        let ownSteward = actor.org?.kind == .steward ? actor.org : nil
        let steward = ownSteward?.id ?? stewardOrgs.first { $0.code == form.steward }?.id ?? stewardOrgs.first?.id
        let choices = try await teamChoices(req, form, steward: steward)
        let page = TeamsPage(page: PageChrome(request: req, title: req.language == .en ? "Teams" : "班组"), teams: teams.map { API.TeamView($0, names) },
                             canPlan: OperationsAccess.mayPlanAny(actor), form: form, kinds: choices.kinds, people: choices.people, leads: choices.leads,
                             stewards: ownSteward == nil ? stewardOrgs.map { Choice(value: $0.code, label: $0.displayName(req.language), selected: $0.id == steward) } : [],
                             errors: errors)
        let response = try await req.page("teams", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func createTeam(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let form = try req.content.decode(TeamForm.self)
        do {
            let made = try await OperationsService(req: req).createTeam(form.input, steward: form.steward)
            return req.redirect(to: "/teams/\(made.row.id.uuidString.lowercased())")
        } catch let problems as FieldProblems {
            return try await teamsPage(req, form: form, errors: problems.messagesByField(req.language), status: .unprocessableEntity)
        }
    }

    struct TeamPage: Encodable {
        var page: PageChrome
        var team: API.TeamView
        var canPlan: Bool
        var form: TeamForm
        var kinds: [Choice]
        var people: [Choice]
        var leads: [Choice]
        var errors: [String: String]
    }

    @Sendable func teamPage(req: Request) async throws -> Response {
        try await teamPage(req, form: nil, errors: [:])
    }

    func teamPage(_ req: Request, form typed: TeamForm?, errors: [String: String], status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let team = try await OperationsService(req: req).team(req.parameters.get("id") ?? "")
        let form = typed ?? TeamForm(name: team.row.name, kind: team.row.kind, members: team.members.map(\.uuidString), lead: team.row.leadId?.uuidString)
        let choices = try await teamChoices(req, form, steward: team.row.orgId)
        let page = TeamPage(page: PageChrome(request: req, title: team.row.name), team: API.TeamView(team, try await API.Names.load(req)),
                            canPlan: OperationsAccess.mayPlan(actor, stewardID: team.row.orgId), form: form, kinds: choices.kinds,
                            people: choices.people, leads: choices.leads, errors: errors)
        let response = try await req.page("team", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func editTeam(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let id = req.parameters.get("id") ?? ""
        let form = try req.content.decode(TeamForm.self)
        do {
            _ = try await OperationsService(req: req).editTeam(id, form.input)
            return req.redirect(to: "/teams/\(id)")
        } catch let problems as FieldProblems {
            return try await teamPage(req, form: form, errors: problems.messagesByField(req.language), status: .unprocessableEntity)
        }
    }

    // MARK: The staff's day

    struct ActionForm: Content {
        var action: String
        var note: String?
        var assignee: String?
        /// Where to go back to: the task list (default) or the plan's page.
        var back: String?
    }

    /// Start or complete a task from the day's list (or reassign it from the plan's page). A form sent twice is
    /// stored once; a refusal comes back on the list as its message.
    @Sendable func actOnTask(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let id = req.parameters.get("id") ?? ""
        let form = try req.content.decode(ActionForm.self)
        let row = try await OperationsService(req: req).act(id, try API.action(API.ActionBody(action: form.action, note: form.note, assignee: form.assignee)))
        if form.back == "plan" { return req.redirect(to: "/work-plans/\(row.planId.uuidString.lowercased())") }
        return req.redirect(to: "/tasks#task-\(id)")
    }
}

extension Optional {
    fileprivate func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
