import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The steward's operations in the API: `/api/v1/teams`, `/api/v1/work-plans`, `/api/v1/tasks` and
/// `/api/v1/operations/completion`, on `OperationsService`.
struct OperationsAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped("api", "v1")
        api.get("teams", use: listTeams)
        api.post("teams", use: createTeam)
        api.get("teams", ":id", use: showTeam)
        api.patch("teams", ":id", use: editTeam)
        api.get("work-plans", use: listPlans)
        api.post("work-plans", use: createPlan)
        api.get("work-plans", ":id", use: showPlan)
        api.post("work-plans", ":id", "versions", use: changePlan)
        api.get("tasks", use: listTasks)
        api.get("tasks", ":id", use: showTask)
        api.post("tasks", ":id", "actions", use: actOnTask)
        api.get("operations", "completion", use: completion)
        api.get("operations", "workload", use: workload)
    }

    // MARK: Views

    struct AreaRef: Content {
        var id: UUID
        var code: String
        var name: String
    }

    struct PersonRef: Content {
        var id: UUID
        var name: String
    }

    struct AssigneeView: Content {
        /// `team` or `person`.
        var kind: String
        var id: UUID
        var name: String
        /// The form `assignee` takes: `team:<id>` or `person:<id>`.
        var token: String
    }

    /// Names of the things views refer to, looked up once per answer.
    struct Names {
        var areas: [UUID: Area]
        var users: [UUID: User]
        var teams: [UUID: TeamRow]
        var orgs: [UUID: Org]
        var language: Language

        /// `people` and `teams`, when given, are the only ones the answer names (a page of tasks names a few of the
        /// district's people and teams; reading them all was most of a person's list).
        static func load(_ req: Request, people: Set<UUID>? = nil, teams teamIDs: Set<UUID>? = nil) async throws -> Names {
            let reference = try await req.caseReference()
            // The caller alone (a scan's answer, a person's own task) is known without a read.
            let me = req.actor?.user
            let users = if let me, let people, people.subtracting([me.id]).isEmpty { people.isEmpty ? [] : [me] } else { try await DirectoryStore(db: req.db).users(ids: people) }
            // Names only: the team rows, not their members (this is on every operations answer, a person's list included).
            let teams = try await TeamStore(db: req.db).rows(ids: teamIDs.map(Array.init))
            return Names(areas: reference.areas, users: Dictionary(uniqueKeysWithValues: users.map { ($0.id, $0) }),
                         teams: Dictionary(uniqueKeysWithValues: teams.map { ($0.id, $0) }), orgs: reference.orgs, language: req.language)
        }

        func area(_ id: UUID) -> AreaRef {
            AreaRef(id: id, code: areas[id]?.code ?? "", name: areas[id]?.displayName(language) ?? "—")
        }

        func person(_ id: UUID) -> PersonRef { PersonRef(id: id, name: users[id]?.displayName ?? "—") }

        func assignee(_ a: Assignee?) -> AssigneeView? {
            switch a {
            case .team(let id)?: AssigneeView(kind: "team", id: id, name: teams[id]?.name ?? "—", token: a!.token)
            case .person(let id)?: AssigneeView(kind: "person", id: id, name: users[id]?.displayName ?? "—", token: a!.token)
            case nil: nil
            }
        }
    }

    struct TeamView: Content {
        var id: UUID
        var name: String
        var kind: String
        var kindLabel: String
        var steward: String
        var lead: PersonRef?
        var members: [PersonRef]

        init(_ t: Team, _ n: Names) {
            (id, name, kind) = (t.row.id, t.row.name, t.row.kind)
            kindLabel = TeamKind(rawValue: t.row.kind)?.label.text(n.language) ?? t.row.kind
            steward = n.orgs[t.row.orgId]?.code ?? ""
            lead = t.row.leadId.map(n.person)
            members = t.members.map(n.person)
        }
    }

    struct PlanView: Content {
        var id: UUID
        var name: String
        var kind: String
        var kindLabel: String
        var area: AreaRef
        var steward: String
        var version: Int
        /// `days`, `weekly` or `monthly`, with `every`, `weekdays` or `monthDay`.
        var repeats: String
        var every: Int?
        var weekdays: [Int]?
        var monthDay: Int?
        var schedule: String
        var holidays: String
        var holidaysLabel: String
        var windowStart: String
        var windowEnd: String
        var assignee: AssigneeView?
        var starts: String
        var ends: String?
        var matter: String?
        /// A patrol plan's route: each task is a round of it.
        var route: UUID?
        var generatedThrough: String?

        init(_ p: WorkPlanRow, _ t: WorkPlanTerms, _ n: Names) {
            (id, name, kind, version, generatedThrough) = (p.id, t.name, t.kind.rawValue, p.version, p.generatedThrough)
            kindLabel = t.kind.label.text(n.language)
            area = n.area(p.areaId)
            steward = n.orgs[p.orgId]?.code ?? ""
            switch t.recurrence {
            case .everyDays(let d): (repeats, every) = ("days", d)
            case .weekly(let days): (repeats, weekdays) = ("weekly", days)
            case .monthly(let d): (repeats, monthDay) = ("monthly", d)
            }
            schedule = t.recurrence.summary.text(n.language)
            (holidays, holidaysLabel) = (t.holidays.rawValue, t.holidays.label.text(n.language))
            (windowStart, windowEnd) = (TimeWindow.text(t.window.start), TimeWindow.text(t.window.end))
            assignee = n.assignee(t.assignee)
            (starts, ends, matter, route) = (t.starts.description, t.ends?.description, t.matter, t.route)
        }
    }

    struct VersionView: Content {
        var number: Int
        var effectiveFrom: String
        var reason: String?
        var schedule: String
        var window: String
        var assignee: AssigneeView?
        var createdBy: PersonRef
        var createdAt: Date
    }

    struct PlanDetail: Content {
        var plan: PlanView
        var versions: [VersionView]
        /// The next dates the plan's work falls on (after holidays), from today: up to ten.
        var upcoming: [String]
        /// Tasks superseded by the change just made (only in the answer to a change).
        var superseded: Int?
    }

    struct TaskView: Content {
        var id: UUID
        var plan: UUID
        var planVersion: Int
        var name: String
        var kind: String
        var kindLabel: String
        var area: AreaRef
        var date: String
        /// The day the plan's rule fell on, before a holiday moved it.
        var nominal: String
        var windowStart: Date
        var windowEnd: Date
        var assignee: AssigneeView?
        var state: String
        var stateLabel: String
        /// Open past its window.
        var late: Bool
        var onTime: Bool?
        var startedAt: Date?
        var doneAt: Date?
        var doneBy: PersonRef?
        var note: String?
    }

    struct TaskPage: Content {
        var items: [TaskView]
        var total: Int
        var next: String?
    }

    // MARK: Teams

    struct TeamBody: Content {
        var name: String?
        var kind: String?
        var members: [String]?
        var lead: String?
        /// The steward's organisation code (the district office names it; a dispatcher's is its own).
        var steward: String?
    }

    @Sendable func listTeams(req: Request) async throws -> [TeamView] {
        let teams = try await OperationsService(req: req).listTeams()
        let names = try await Names.load(req)
        return teams.map { TeamView($0, names) }
    }

    @Sendable func createTeam(req: Request) async throws -> Response {
        let b = try req.content.decode(TeamBody.self)
        let made = try await OperationsService(req: req).createTeam(TeamInput(name: b.name ?? "", kind: b.kind ?? "", members: b.members ?? [], lead: b.lead ?? ""),
                                                                    steward: b.steward)
        return try await TeamView(made, try await Names.load(req)).encodeResponse(status: .created, for: req)
    }

    @Sendable func showTeam(req: Request) async throws -> TeamView {
        let team = try await OperationsService(req: req).team(req.parameters.get("id") ?? "")
        return TeamView(team, try await Names.load(req))
    }

    /// What is left out keeps its value.
    @Sendable func editTeam(req: Request) async throws -> TeamView {
        let service = OperationsService(req: req)
        let id = req.parameters.get("id") ?? ""
        let current = try await service.team(id)
        let b = try req.content.decode(TeamBody.self)
        let changed = try await service.editTeam(id, TeamInput(name: b.name ?? current.row.name, kind: b.kind ?? current.row.kind,
                                                               members: b.members ?? current.members.map(\.uuidString),
                                                               lead: b.lead ?? current.row.leadId?.uuidString ?? ""))
        return TeamView(changed, try await Names.load(req))
    }

    // MARK: Plans

    struct PlanBody: Content {
        var name: String?
        var kind: String?
        var area: String?
        var repeats: String?
        var every: Int?
        var weekdays: [Int]?
        var monthDay: Int?
        var holidays: String?
        var windowStart: String?
        var windowEnd: String?
        var assignee: String?
        var starts: String?
        var ends: String?
        var matter: String?
        var route: String?
        /// For a change: the first day the new terms apply, and why.
        var effectiveFrom: String?
        var reason: String?

        /// The input, with what is left out taken from `base` (a change restates only what changes).
        func input(over base: WorkPlanInput = WorkPlanInput()) -> WorkPlanInput {
            var i = base
            if let name { i.name = name }
            if let kind { i.kind = kind }
            if let area { i.area = area }
            if let repeats { i.repeats = repeats }
            if let every { i.every = String(every) }
            if let weekdays { i.weekdays = weekdays.map(String.init) }
            if let monthDay { i.monthDay = String(monthDay) }
            if let holidays { i.holidays = holidays }
            if let windowStart { i.windowStart = windowStart }
            if let windowEnd { i.windowEnd = windowEnd }
            if let assignee { i.assignee = assignee }
            if let starts { i.starts = starts }
            if let ends { i.ends = ends }
            if let matter { i.matter = matter }
            if let route { i.route = route }
            return i
        }
    }

    @Sendable func listPlans(req: Request) async throws -> [PlanView] {
        let area = try req.query.get(String?.self, at: "area")
        let service = OperationsService(req: req)
        let rows = try await service.listPlans(area: area)
        let versions = try await WorkPlanStore(db: req.db).versions(of: rows.map(\.id))
        let names = try await Names.load(req)
        return rows.compactMap { p in versions[p.id]?.max(by: { $0.number < $1.number }).map { PlanView(p, $0.terms, names) } }
    }

    static func detail(_ req: Request, _ id: String, superseded: Int? = nil) async throws -> PlanDetail {
        let found = try await OperationsService(req: req).plan(id)
        let names = try await Names.load(req)
        let calendar = try await req.caseReference().calendar
        let today = LocalDate.beijing(req.now)
        let all = found.versions.map(\.version)
        let upcoming = WorkPlanSchedule.occurrences(all, calendar: calendar, from: today, through: today.adding(days: 400)).prefix(10).map(\.date.description)
        let current = found.versions.last!.version
        return PlanDetail(
            plan: PlanView(found.plan, current.terms, names),
            versions: found.versions.map {
                VersionView(number: $0.version.number, effectiveFrom: $0.version.effectiveFrom.description, reason: $0.version.reason,
                            schedule: $0.version.terms.recurrence.summary.text(req.language) + " · " + $0.version.terms.holidays.label.text(req.language),
                            window: $0.version.terms.window.description, assignee: names.assignee($0.version.terms.assignee),
                            createdBy: names.person($0.createdBy), createdAt: $0.createdAt)
            },
            upcoming: Array(upcoming), superseded: superseded)
    }

    @Sendable func createPlan(req: Request) async throws -> Response {
        let made = try await OperationsService(req: req).createPlan(try req.content.decode(PlanBody.self).input())
        return try await Self.detail(req, made.id.uuidString).encodeResponse(status: .created, for: req)
    }

    @Sendable func showPlan(req: Request) async throws -> PlanDetail {
        try await Self.detail(req, req.parameters.get("id") ?? "")
    }

    /// The new terms restate only what changes; `effectiveFrom` and `reason` are required.
    @Sendable func changePlan(req: Request) async throws -> Response {
        let id = req.parameters.get("id") ?? ""
        let service = OperationsService(req: req)
        let current = try await service.plan(id)
        let b = try req.content.decode(PlanBody.self)
        let base = WorkPlanInput(current.versions.last!.version.terms, areaCode: "")
        let changed = try await service.changePlan(id, b.input(over: base), effectiveFrom: b.effectiveFrom ?? "", reason: b.reason ?? "")
        return try await Self.detail(req, id, superseded: changed.superseded).encodeResponse(status: .created, for: req)
    }

    // MARK: Tasks

    static func date(_ req: Request, _ name: String) throws -> LocalDate? {
        guard let text = try req.query.get(String?.self, at: name), !text.isEmpty else { return nil }
        guard text.count == 10, let d = LocalDate(text) else { throw DomainError.invalid(name, zh: "\(name) 应为 YYYY-MM-DD", en: "\(name) must be YYYY-MM-DD") }
        return d
    }

    @Sendable func listTasks(req: Request) async throws -> TaskPage {
        var state: WorkTaskState?
        if let s = try req.query.get(String?.self, at: "state"), !s.isEmpty {
            guard let parsed = WorkTaskState(rawValue: s) else { throw DomainError.invalid("state", zh: "没有这个任务状态", en: "no such task state") }
            state = parsed
        }
        var plan: UUID?
        if let p = try req.query.get(String?.self, at: "plan"), !p.isEmpty {
            guard let id = UUID(uuidString: p) else { throw DomainError.invalid("plan", zh: "plan 应为计划编号", en: "plan must be a plan id") }
            plan = id
        }
        let limit = try req.query.get(Int?.self, at: "limit") ?? 200
        guard (1...500).contains(limit) else { throw DomainError.invalid("limit", zh: "limit 为 1~500", en: "limit is 1 to 500") }
        // The cursor's form is checked whatever else the query says (an unknown area answers an empty page early).
        if let after = try req.query.get(String?.self, at: "after"), !after.isEmpty, UUID(uuidString: after) == nil {
            throw DomainError.invalid("after", zh: "after 应为上一页返回的 next", en: "after must be the next value of a page")
        }
        let page = try await OperationsService(req: req).listTasks(from: try Self.date(req, "from"), through: try Self.date(req, "through"), state: state,
                                                                   plan: plan, mine: try req.flag("mine"), area: try req.query.get(String?.self, at: "area"),
                                                                   after: try req.query.get(String?.self, at: "after"), limit: limit)
        let names = try await Names.load(req, people: Set(page.items.flatMap { [$0.userId, $0.doneBy].compactMap { $0 } }),
                                         teams: Set(page.items.compactMap(\.teamId)))
        return TaskPage(items: page.items.map { TaskView($0, names, now: req.now) }, total: page.total, next: page.next)
    }

    @Sendable func showTask(req: Request) async throws -> TaskView {
        let row = try await OperationsService(req: req).task(req.parameters.get("id") ?? "")
        return TaskView(row, try await Names.load(req), now: req.now)
    }

    struct ActionBody: Content {
        /// `start`, `complete` or `reassign`.
        var action: String
        var note: String?
        var assignee: String?
    }

    static func action(_ b: ActionBody) throws -> WorkTaskAction {
        // The note's limit holds whatever the action (a start ignores its note, but the body is still refused whole).
        if let note = b.note, note.count > 500 { throw DomainError.invalid("note", zh: "备注不超过 500 个字", en: "the note is at most 500 characters") }
        switch b.action {
        case "start": return .start
        case "complete": return .complete(note: b.note)
        case "reassign":
            guard let to = b.assignee.flatMap(Assignee.parse) else {
                throw DomainError.refused("assignee", zh: "assignee 应为 team:<编号> 或 person:<编号>", en: "assignee is team:<id> or person:<id>")
            }
            return .reassign(to)
        default: throw DomainError.invalid("action", zh: "action 应为 start、complete 或 reassign", en: "action is start, complete or reassign")
        }
    }

    @Sendable func actOnTask(req: Request) async throws -> TaskView {
        let b = try req.content.decode(ActionBody.self)
        let service = OperationsService(req: req)
        let id = req.parameters.get("id") ?? ""
        _ = try await service.task(id)   // the task the path names first: 404 before anything the body says
        let row = try await service.act(id, try Self.action(b))
        return TaskView(row, try await Names.load(req), now: req.now)
    }

    // MARK: Figures

    struct CompletionRow: Content {
        var area: AreaRef
        var kind: String
        var kindLabel: String
        /// Tasks due in the period (superseded ones not counted).
        var due: Int
        var done: Int
        var doneOnTime: Int
        var missed: Int
        var open: Int
        /// done ÷ due, and done in their window ÷ due, in per cent to one decimal (nil with nothing due).
        var completionRate: Double?
        var onTimeRate: Double?
    }

    struct PatrolFigure: Content {
        var area: AreaRef
        var rounds: Int
        var roundsComplete: Int
        var checkpointsDue: Int
        var checkpointsVisited: Int
        /// Checkpoints not scanned in rounds whose window has closed.
        var missedCheckpoints: Int
        var checkins: Int
        var flagged: Int
    }

    struct Completion: Content {
        var from: String
        var through: String
        var rows: [CompletionRow]
        /// Patrol rounds per village (from patrol plans with a route).
        var patrol: [PatrolFigure]
    }

    static func patrol(_ tallies: [OperationsService.PatrolTally], _ names: Names) -> [PatrolFigure] {
        tallies.map {
            PatrolFigure(area: names.area($0.area), rounds: $0.rounds, roundsComplete: $0.roundsComplete, checkpointsDue: $0.checkpointsDue,
                         checkpointsVisited: $0.checkpointsVisited, missedCheckpoints: $0.missedCheckpoints, checkins: $0.checkins, flagged: $0.flagged)
        }.sorted { $0.area.code < $1.area.code }
    }

    static func completion(_ tallies: [CompletionTally], _ names: Names) -> [CompletionRow] {
        struct Key: Hashable { var area: UUID; var kind: String }
        var rows: [Key: CompletionRow] = [:]
        for t in tallies where t.state != WorkTaskState.superseded.rawValue {
            let key = Key(area: t.areaId, kind: t.kind)
            var r = rows[key] ?? CompletionRow(area: names.area(t.areaId), kind: t.kind, kindLabel: WorkKind(rawValue: t.kind)?.label.text(names.language) ?? t.kind,
                                               due: 0, done: 0, doneOnTime: 0, missed: 0, open: 0)
            r.due += t.count
            switch WorkTaskState(rawValue: t.state) {
            case .done?: r.done += t.count; r.doneOnTime += t.onTime
            case .missed?: r.missed += t.count
            default: r.open += t.count
            }
            rows[key] = r
        }
        func percent(_ a: Int, _ b: Int) -> Double? { b == 0 ? nil : (Double(a) * 1000 / Double(b)).rounded() / 10 }
        return rows.values.map {
            var r = $0
            (r.completionRate, r.onTimeRate) = (percent(r.done, r.due), percent(r.doneOnTime, r.due))
            return r
        }.sorted { ($0.area.code, $0.kind) < ($1.area.code, $1.kind) }
    }

    @Sendable func completion(req: Request) async throws -> Completion {
        let today = LocalDate.beijing(req.now)
        let from = try Self.date(req, "from") ?? LocalDate(year: today.year, month: today.month, day: 1)
        let through = try Self.date(req, "through") ?? today
        let service = OperationsService(req: req)
        let tallies = try await service.completion(from: from, through: through)
        let names = try await Names.load(req)
        return Completion(from: from.description, through: through.description, rows: Self.completion(tallies, names),
                          patrol: Self.patrol(try await service.patrolFigures(from: from, through: through), names))
    }

    // MARK: Workload and staffing

    struct PersonLoad: Content {
        var person: PersonRef
        var tasksDone: Int
        var minutesSpent: Int
        var daysWorked: Int
    }

    struct TeamLoad: Content {
        var team: PersonRef
        var due: Int
        var done: Int
        var onTime: Int
        var missed: Int
        var completionRate: Double?
        var onTimeRate: Double?
    }

    struct VillageStaffing: Content {
        var area: AreaRef
        var tasksDue: Int
        var tasksDone: Int
        var people: Int
        var tasksPerPerson: Double?
        var minutesSpent: Int
        /// Shifts, distinct people and person-hours the roster put there in the period.
        var rosteredShifts: Int
        var rosteredPeople: Int
        var rosteredHours: Double
        /// Tasks done per rostered person-hour (null without a roster).
        var tasksPerRosteredHour: Double?
    }

    struct WorkloadAnswer: Content {
        var from: String
        var through: String
        var people: [PersonLoad]
        var teams: [TeamLoad]
        var villages: [VillageStaffing]
    }

    static func workload(_ w: Workload, from: LocalDate, through: LocalDate, _ n: Names) -> WorkloadAnswer {
        WorkloadAnswer(from: from.description, through: through.description,
                       people: w.people.map { PersonLoad(person: n.person($0.person), tasksDone: $0.tasksDone, minutesSpent: $0.minutesSpent, daysWorked: $0.daysWorked) },
                       teams: w.teams.map { TeamLoad(team: PersonRef(id: $0.team, name: n.teams[$0.team]?.name ?? "—"), due: $0.due, done: $0.done, onTime: $0.onTime,
                                                     missed: $0.missed, completionRate: $0.completionRate, onTimeRate: $0.onTimeRate) },
                       villages: w.villages.map { VillageStaffing(area: n.area($0.area), tasksDue: $0.tasksDue, tasksDone: $0.tasksDone, people: $0.people,
                                                                  tasksPerPerson: $0.tasksPerPerson, minutesSpent: $0.minutesSpent,
                                                                  rosteredShifts: $0.rostered?.shifts ?? 0, rosteredPeople: $0.rostered?.people ?? 0,
                                                                  rosteredHours: $0.rostered?.personHours ?? 0, tasksPerRosteredHour: $0.tasksPerRosteredHour) })
    }

    /// Workload per person and team, staffing per village (default: this month to today; at most 92 days).
    @Sendable func workload(req: Request) async throws -> WorkloadAnswer {
        let today = LocalDate.beijing(req.now)
        let from = try Self.date(req, "from") ?? LocalDate(year: today.year, month: today.month, day: 1)
        let through = try Self.date(req, "through") ?? today
        let w = try await OperationsService(req: req).workload(from: from, through: through)
        return Self.workload(w, from: from, through: through, try await Names.load(req))
    }
}

extension OperationsAPIController.TaskView {
    init(_ r: WorkTaskRow, _ n: OperationsAPIController.Names, now: Date) {
        let t = r.task
        self.init(id: r.id, plan: r.planId, planVersion: r.planVersion, name: r.name, kind: r.kind, kindLabel: t.kind.label.text(n.language), area: n.area(r.areaId),
                  date: r.date, nominal: r.nominal, windowStart: r.windowStart, windowEnd: r.windowEnd, assignee: n.assignee(t.assignee), state: r.state,
                  stateLabel: t.state.label.text(n.language), late: t.isLate(at: now), onTime: t.onTime, startedAt: r.startedAt, doneAt: r.doneAt,
                  doneBy: r.doneBy.map(n.person), note: r.note)
    }

    /// As `JSONEncoder` writes it (for answers written by hand: a scan's).
    func write(to o: inout JSONObjectWriter) {
        o.add("id", id.text(uppercase: true))
        o.add("plan", plan.text(uppercase: true))
        o.add("planVersion", planVersion)
        o.add("name", name)
        o.add("kind", kind)
        o.add("kindLabel", kindLabel)
        o.addObject("area") { $0.add("id", area.id.text(uppercase: true)); $0.add("code", area.code); $0.add("name", area.name) }
        o.add("date", date)
        o.add("nominal", nominal)
        o.add("windowStart", UTCTime.iso(windowStart))
        o.add("windowEnd", UTCTime.iso(windowEnd))
        if let assignee {
            o.addObject("assignee") { $0.add("kind", assignee.kind); $0.add("id", assignee.id.text(uppercase: true)); $0.add("name", assignee.name); $0.add("token", assignee.token) }
        }
        o.add("state", state)
        o.add("stateLabel", stateLabel)
        o.add("late", late)
        if let onTime { o.add("onTime", onTime) }
        o.add("startedAt", startedAt.map(UTCTime.iso))
        o.add("doneAt", doneAt.map(UTCTime.iso))
        if let doneBy { o.addObject("doneBy") { $0.add("id", doneBy.id.text(uppercase: true)); $0.add("name", doneBy.name) } }
        o.add("note", note)
    }
}
