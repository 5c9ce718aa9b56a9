import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import Vapor

/// The steward's operations (plan §6(1)–(3)): teams, work plans and the tasks they make — one use case per verb for
/// the console and the API alike, each with its access check (`OperationsAccess`), its audit row and the tasks made
/// in the same transaction as the plan.
struct OperationsService {
    let req: Request

    var teams: TeamStore { TeamStore(db: req.db) }
    var plans: WorkPlanStore { WorkPlanStore(db: req.db) }

    static let planningForbidden = DomainError.forbidden(LocalizedText(zh: "只有本单位调度员可以编排作业计划和班组", en: "only the company's dispatcher plans work and teams"))

    /// The caller, who must be able to see operations at all.
    func actor() throws -> (Actor, OperationsScope) {
        let actor = try req.requireActor()
        let scope = OperationsAccess.scope(for: actor)
        guard scope != .nothing else {
            throw DomainError.forbidden(LocalizedText(zh: "无权查看作业计划与任务", en: "not allowed to see work plans and tasks"))
        }
        return (actor, scope)
    }

    var today: LocalDate { LocalDate.beijing(req.now) }

    // MARK: Reference

    /// The areas plans can be made for — villages, communities and grids served by a steward — with their steward,
    /// narrowed to what the caller may plan.
    func plannableAreas(_ actor: Actor) async throws -> [String: (area: Area, steward: UUID)] {
        let reference = try await req.caseReference()
        let served = try await teams.stewardAreas(at: req.now)
        var out: [String: (area: Area, steward: UUID)] = [:]
        for area in reference.areas.values where [.village, .community, .grid].contains(area.kind) {
            // The steward serving the area or the nearest area above it.
            guard let steward = ([area.id] + area.path.reversed()).lazy.compactMap({ served[$0] }).first,
                  OperationsAccess.mayPlan(actor, stewardID: steward) else { continue }
            out[area.code] = (area, steward)
        }
        return out
    }

    /// The steward's active people (its dispatchers and staff).
    func staff(of steward: UUID) async throws -> [User] {
        try await DirectoryStore(db: req.db).users().filter { OperationsAccess.mayBeAssigned($0, stewardID: steward) }
    }

    func reference(for steward: UUID, areas: [String: (area: Area, steward: UUID)]) async throws -> PlanningReference {
        let teamIDs = try await teams.list(orgs: [steward]).map(\.row.id)
        let people = try await staff(of: steward).map(\.id)
        let matters = try await MatterCatalogStore(db: req.db).catalog().map(\.code)
        let routes = try await PatrolStore(db: req.db).routes(.steward(steward))
        return PlanningReference(areas: areas.filter { $0.value.steward == steward }.mapValues(\.area), teams: Set(teamIDs), people: Set(people), matters: Set(matters),
                                 routes: Dictionary(uniqueKeysWithValues: routes.map { ($0.id, $0.areaId) }))
    }

    // MARK: Teams

    /// The teams the caller may see: a steward's own; the district office and auditors every steward's.
    func listTeams() async throws -> [Team] {
        let (actor, scope) = try actor()
        switch scope {
        case .all: return try await teams.list(orgs: nil)
        case .steward(let org): return try await teams.list(orgs: [org])
        case .areas, .department:
            // Street offices and departments see the stewards serving their areas.
            let served = try await teams.stewardAreas(at: req.now)
            let mine = AccessPolicy.areaScope(for: actor)
            let reference = try await req.caseReference()
            let orgs = Set(served.filter { reference.areas[$0.key].map(mine.includes) ?? false }.values)
            return try await teams.list(orgs: Array(orgs))
        case .nothing: return []
        }
    }

    func team(_ id: String) async throws -> Team {
        guard let uuid = UUID(uuidString: id), let found = try await listTeams().first(where: { $0.row.id == uuid }) else { throw TeamStore.notFound }
        return found
    }

    /// The steward a new team belongs to: the dispatcher's own company, or the one the district office names.
    func stewardForTeam(_ actor: Actor, named code: String?) async throws -> UUID {
        if let org = actor.org, org.kind == .steward { return org.id }
        guard let code, !code.isEmpty, let org = try await DirectoryStore(db: req.db).org(code: code), org.kind == .steward else {
            throw DomainError.refused("steward", zh: "请指定管家企业（机构代码）", en: "name the steward company (its organisation code)")
        }
        return org.id
    }

    func createTeam(_ input: TeamInput, steward code: String?) async throws -> Team {
        let (actor, _) = try actor()
        guard OperationsAccess.mayPlanAny(actor) else { throw Self.planningForbidden }
        let org = try await stewardForTeam(actor, named: code)
        guard OperationsAccess.mayPlan(actor, stewardID: org) else { throw Self.planningForbidden }
        let staff = Set(try await staff(of: org).map(\.id))
        let terms: TeamTerms
        switch TeamRules.validate(input, staff: staff, nameTaken: try await teams.nameTaken(input.name.trimmingCharacters(in: .whitespaces), org: org, except: nil)) {
        case .failure(let problems): throw problems
        case .success(let t): terms = t
        }
        let (now, who) = (req.now, actor)
        let written = try await req.db.writeTransaction { tx in
            let made = try await TeamStore(db: tx).create(terms, org: org, at: now)
            try await AuditStore(db: tx).append(action: AuditAction.teamChanged.rawValue, subject: "team:\(made.row.id.uuidString.lowercased())",
                                                detail: "created \(terms.name); \(terms.members.count) members", actorID: who.user.id, actorName: who.user.displayName, at: now)
            return made
        }
        req.application.patrolCache.forgetTeams()
        return written
    }

    func editTeam(_ id: String, _ input: TeamInput) async throws -> Team {
        let (actor, _) = try actor()
        let current = try await team(id)
        guard OperationsAccess.mayPlan(actor, stewardID: current.row.orgId) else { throw Self.planningForbidden }
        let staff = Set(try await staff(of: current.row.orgId).map(\.id))
        let taken = try await teams.nameTaken(input.name.trimmingCharacters(in: .whitespaces), org: current.row.orgId, except: current.row.id)
        let terms: TeamTerms
        switch TeamRules.validate(input, staff: staff, nameTaken: taken) {
        case .failure(let problems): throw problems
        case .success(let t): terms = t
        }
        let (now, who) = (req.now, actor)
        let written = try await req.db.writeTransaction { tx in
            let changed = try await TeamStore(db: tx).update(current, to: terms, at: now)
            try await AuditStore(db: tx).append(action: AuditAction.teamChanged.rawValue, subject: "team:\(current.row.id.uuidString.lowercased())",
                                                detail: "changed \(terms.name); \(terms.members.count) members", actorID: who.user.id, actorName: who.user.displayName, at: now)
            return changed
        }
        req.application.patrolCache.forgetTeams()
        return written
    }

    // MARK: Plans

    func listPlans(area code: String? = nil) async throws -> [WorkPlanRow] {
        let (_, scope) = try actor()
        var under: String?
        if let code, !code.isEmpty {
            guard let area = try await req.caseReference().areasByCode[code] else { return [] }
            under = Area.encodePath(area.path)
        }
        return try await plans.plans(scope, underPath: under)
    }

    func plan(_ id: String) async throws -> (plan: WorkPlanRow, versions: [StoredPlanVersion]) {
        let (_, scope) = try actor()
        guard let uuid = UUID(uuidString: id) else { throw WorkPlanStore.planNotFound }
        let row = try await plans.plan(uuid, scope)
        return (row, try await plans.versions(row.id))
    }

    func createPlan(_ input: WorkPlanInput) async throws -> WorkPlanRow {
        let (actor, _) = try actor()
        let areas = try await plannableAreas(actor)
        guard OperationsAccess.mayPlanAny(actor) else { throw Self.planningForbidden }
        let code = input.area.trimmingCharacters(in: .whitespaces)
        // The reference of the steward serving the chosen area (no area yet: any of the caller's, for the other checks).
        let steward = areas[code]?.steward ?? actor.org?.id ?? UUID()
        let terms: WorkPlanTerms
        switch WorkPlanRules.validate(input, reference: try await reference(for: steward, areas: areas), today: today) {
        case .failure(let problems): throw problems
        case .success(let t): terms = t
        }
        guard let area = areas[code]?.area else { throw Self.planningForbidden }
        let (now, who, calendar) = (req.now, actor, try await req.caseReference().calendar)
        let written = try await req.db.writeTransaction { tx in
            let made = try await WorkPlanStore(db: tx).create(terms, org: steward, area: area, by: who.user.id, at: now)
            try await TaskScheduling.generate(plans: [made], on: tx, calendar: calendar, now: now)
            try await AuditStore(db: tx).append(action: AuditAction.planChanged.rawValue, subject: "plan:\(made.id.uuidString.lowercased())",
                                                detail: "created \(terms.name) v1 from \(terms.starts)", actorID: who.user.id, actorName: who.user.displayName, at: now)
            return made
        }
        req.application.patrolCache.forgetRounds()
        return written
    }

    /// New terms from a date, with the reason: a new version; tasks nobody began from that date are superseded and
    /// made again under the new terms. The plan's village stays (another village is another plan).
    func changePlan(_ id: String, _ input: WorkPlanInput, effectiveFrom: String, reason: String) async throws -> (plan: WorkPlanRow, superseded: Int) {
        let (actor, _) = try actor()
        let current = try await plan(id)
        guard OperationsAccess.mayPlan(actor, stewardID: current.plan.orgId), let inForce = current.versions.last?.version else { throw Self.planningForbidden }
        var typed = input
        let areas = try await plannableAreas(actor)
        typed.area = areas.first { $0.value.area.id == current.plan.areaId }?.key ?? ""
        var problems: [FieldProblem] = []
        var terms: WorkPlanTerms?
        switch WorkPlanRules.validate(typed, reference: try await reference(for: current.plan.orgId, areas: areas), today: today, isChange: true) {
        case .failure(let p): problems += p.problems
        case .success(let t): terms = t
        }
        var change: (LocalDate, String)?
        switch WorkPlanRules.validateChange(from: effectiveFrom, reason: reason, current: inForce, today: today) {
        case .failure(let p): problems += p.problems
        case .success(let c): change = c
        }
        guard problems.isEmpty, let terms, let change else { throw FieldProblems(problems) }
        let version = WorkPlanVersion(number: inForce.number + 1, effectiveFrom: change.0, terms: terms, reason: change.1)
        let (now, who, calendar) = (req.now, actor, try await req.caseReference().calendar)
        let written = try await req.db.writeTransaction { tx in
            let (changed, superseded) = try await WorkPlanStore(db: tx).change(current.plan, to: version, by: who.user.id, at: now)
            try await TaskScheduling.generate(plans: [changed], on: tx, calendar: calendar, now: now)
            try await AuditStore(db: tx).append(action: AuditAction.planChanged.rawValue, subject: "plan:\(changed.id.uuidString.lowercased())",
                                                detail: "v\(version.number) from \(version.effectiveFrom): \(change.1); \(superseded) tasks superseded",
                                                actorID: who.user.id, actorName: who.user.displayName, at: now)
            return (changed, superseded)
        }
        req.application.patrolCache.forgetRounds()
        return written
    }

    // MARK: Tasks

    /// The caller's teams and whether its list is its own work only.
    func worker(_ actor: Actor) async throws -> (user: UUID, teams: Set<UUID>) {
        (actor.user.id, try await teams.teams(of: actor.user.id))
    }

    struct TaskPage {
        var items: [WorkTaskRow]
        var total: Int
        /// The last task's id, to pass as `after`, while there is more.
        var next: String?
    }

    /// Tasks from `from` through `through` (default today) in scope, a page at a time; line staff see their own and
    /// their teams'.
    func listTasks(from: LocalDate?, through: LocalDate?, state: WorkTaskState?, plan: UUID?, mine: Bool, area code: String?,
                   after: String? = nil, limit: Int = 200) async throws -> TaskPage {
        let (actor, scope) = try actor()
        let first = from ?? today, last = through ?? first
        guard last >= first, last.dayNumber - first.dayNumber <= 92 else {
            throw DomainError.refused("through", zh: "日期范围为 0~92 天", en: "the dates span 0 to 92 days")
        }
        var under: String?
        if let code, !code.isEmpty {
            guard let area = try await req.caseReference().areasByCode[code] else { return TaskPage(items: [], total: 0, next: nil) }
            under = Area.encodePath(area.path)
        }
        var cursor: WorkTaskRow?
        if let after, !after.isEmpty {
            guard let id = UUID(uuidString: after), let row = try? await plans.task(id, scope) else {
                throw DomainError.refused("after", zh: "after 应为上一页返回的 next", en: "after must be the next value of a page")
            }
            cursor = row
        }
        let own = mine || OperationsAccess.listsOwnWorkOnly(actor)
        var filter = TaskFilter(from: first, through: last, worker: own ? try await worker(actor) : nil, state: state, plan: plan, underPath: under,
                                after: cursor, limit: limit + 1)
        let rows = try await plans.tasks(scope, filter)
        filter.after = nil
        let total = try await plans.countTasks(scope, filter)
        let items = Array(rows.prefix(limit))
        return TaskPage(items: items, total: total, next: rows.count > limit ? items.last?.id.uuidString.lowercased() : nil)
    }

    func task(_ id: String) async throws -> WorkTaskRow {
        let (actor, scope) = try actor()
        guard let uuid = UUID(uuidString: id) else { throw WorkPlanStore.taskNotFound }
        let row = try await plans.task(uuid, scope)
        // Line staff open their own tasks only; another's answers as missing, like one out of scope.
        if OperationsAccess.listsOwnWorkOnly(actor) {
            let me = try await worker(actor)
            guard TaskWorker(userID: me.user, teams: me.teams, dispatches: false).isAssigned(row.task) else { throw WorkPlanStore.taskNotFound }
        }
        return row
    }

    /// Start, complete or reassign a task. The same completion sent twice (a retry on a poor signal) answers the task
    /// as done, once.
    func act(_ id: String, _ action: WorkTaskAction) async throws -> WorkTaskRow {
        let (actor, _) = try actor()
        let row = try await task(id)
        let me = try await worker(actor)
        guard let worker = OperationsAccess.worker(actor, stewardID: row.orgId, teams: me.teams) else {
            throw DomainError.forbidden(LocalizedText(zh: "无权处理这项任务", en: "not allowed to act on this task"))
        }
        let current = row.task
        if case .complete = action, current.state == .done, current.doneBy == actor.user.id { return row }
        if action == .start, current.state == .started, worker.isAssigned(current) || worker.dispatches { return row }
        var assignable: Set<Assignee> = []
        if case .reassign = action {
            assignable = Set(try await teams.list(orgs: [row.orgId]).map { Assignee.team($0.row.id) } + (try await staff(of: row.orgId)).map { Assignee.person($0.id) })
        }
        let next = try WorkTaskWorkflow.apply(current, action, by: worker, assignable: assignable, now: req.now).get()
        guard try await plans.save(next, was: row, at: req.now) else {
            throw DomainError.conflict(zh: "任务刚被他人处理，请刷新后再试", en: "someone else just changed this task: reload and try again")
        }
        req.application.patrolCache.forgetRounds()
        return try await task(id)
    }

    // MARK: Figures

    /// Workload per person and team and staffing per village over a period (issue 18 §5): tasks done, minutes from
    /// start to done, days worked; each team's completion; per village, the people who worked there and tasks per person.
    func workload(from: LocalDate, through: LocalDate) async throws -> Workload {
        let (_, scope) = try actor()
        guard through >= from, through.dayNumber - from.dayNumber <= 92 else {
            throw DomainError.refused("through", zh: "统计期为 0~92 天", en: "the period spans 0 to 92 days")
        }
        let rostered = try await ShiftService(req: req).rosteredStaff(from: from, through: through)
        return Workload.of(try await plans.workloadTasks(scope, from: from, through: through), rostered: rostered, day: { LocalDate.beijing($0) })
    }

    /// Plan completion per village and kind over a period (issue 18 §8, read by the assessment).
    func completion(from: LocalDate, through: LocalDate) async throws -> [CompletionTally] {
        let (_, scope) = try actor()
        guard through >= from, through.dayNumber - from.dayNumber <= 366 else {
            throw DomainError.refused("through", zh: "统计期为 0~366 天", en: "the period spans 0 to 366 days")
        }
        return try await plans.completion(scope, from: from, through: through)
    }

    /// Patrol figures per village over a period: rounds, rounds complete, checkpoints due and visited, checkpoints
    /// missed in rounds whose window has closed, check-ins and flagged check-ins.
    struct PatrolTally {
        var area: UUID
        var rounds = 0, roundsComplete = 0, checkpointsDue = 0, checkpointsVisited = 0, missedCheckpoints = 0, checkins = 0, flagged = 0
    }

    func patrolFigures(from: LocalDate, through: LocalDate) async throws -> [PatrolTally] {
        let (_, scope) = try actor()
        return try await patrolFigures(scope, from: from, through: through)
    }

    /// The same over a scope the caller's use case has decided (the assessment reads every village's).
    func patrolFigures(_ scope: OperationsScope, from: LocalDate, through: LocalDate) async throws -> [PatrolTally] {
        let rounds = try await plans.rounds(scope, from: from, through: through)
        let patrol = PatrolStore(db: req.db)
        let sizes = try await patrol.checkpointCounts(routes: Array(Set(rounds.map(\.route))))
        let tallies = try await patrol.roundTallies(tasks: rounds.map(\.task.id))
        var out: [UUID: PatrolTally] = [:]
        for (task, route) in rounds {
            var t = out[task.areaId] ?? PatrolTally(area: task.areaId)
            let total = sizes[route] ?? 0, scanned = tallies[task.id]
            t.rounds += 1
            t.checkpointsDue += total
            t.checkpointsVisited += min(scanned?.visited ?? 0, total)
            if total > 0, (scanned?.visited ?? 0) >= total { t.roundsComplete += 1 }
            if task.windowEnd < req.now { t.missedCheckpoints += max(total - (scanned?.visited ?? 0), 0) }
            t.checkins += scanned?.checkins ?? 0
            t.flagged += scanned?.flagged ?? 0
            out[task.areaId] = t
        }
        return Array(out.values)
    }
}

/// Making the plans' tasks as far ahead as needed, and marking missed the ones nobody did — run by the
/// `work-tasks` job, and after a plan is made or changed.
enum TaskScheduling {
    /// Tasks are made for today and the next two days: far enough for tomorrow's roster, near enough that a change
    /// of plan rarely supersedes anything.
    static let horizonDays = 2
    /// After a stop, days missed are made (and then count as missed) for at most a week back.
    static let catchUpDays = 7
    static let jobName = "work-tasks"

    /// Makes the tasks of `plans` (nil: every plan behind) through the horizon. Returns how many were made.
    @discardableResult
    static func generate(plans given: [WorkPlanRow]?, on db: any Database, calendar: WorkingCalendar, now: Date) async throws -> Int {
        let store = WorkPlanStore(db: db)
        let today = LocalDate.beijing(now), through = today.adding(days: horizonDays)
        let plans: [WorkPlanRow]
        if let given { plans = given } else { plans = try await store.plansBehind(through) }
        guard !plans.isEmpty else { return 0 }
        let ids = plans.map(\.id)
        let versions = try await store.versions(of: ids)
        let floor = today.adding(days: -catchUpDays)
        func start(_ p: WorkPlanRow) -> LocalDate {
            let next = p.generatedThrough.flatMap(LocalDate.init).map { $0.adding(days: 1) } ?? versions[p.id]?.map(\.terms.starts).min() ?? today
            return max(next, floor)
        }
        let earliest = plans.map(start).min() ?? today
        let taken = try await store.taken(plans: ids, from: earliest)
        var tasks: [(task: WorkTask, plan: WorkPlanRow)] = []
        for plan in plans {
            for o in WorkPlanSchedule.occurrences(versions[plan.id] ?? [], calendar: calendar, from: start(plan), through: through, taken: taken[plan.id] ?? []) {
                guard let terms = versions[plan.id]?.first(where: { $0.number == o.version })?.terms else { continue }
                tasks.append((.scheduled(o, plan: plan.id, org: plan.orgId, area: plan.areaId, terms: terms), plan))
            }
        }
        // One multi-row insert for many plans' tasks (a day's generation was one statement per plan).
        try await store.insert(tasks, at: now)
        try await store.setGenerated(ids, through: through, at: now)
        return tasks.count
    }

    /// One round of the job: make what is due, mark what was missed. Returns (made, missed).
    static func round(_ app: Application, holder: String, leaseSeconds: TimeInterval) async throws -> (made: Int, missed: Int) {
        let now = app.clock.now
        guard try await JobLeases(db: app.db).acquire(jobName, holder: holder, ttl: leaseSeconds, now: now) else { return (0, 0) }
        let calendar = try await app.caseReference.get(app.db).calendar
        let made = try await app.db.writeTransaction { tx in try await generate(plans: nil, on: tx, calendar: calendar, now: now) }
        let missed = try await WorkPlanStore(db: app.db).markMissed(now: now)
        app.patrolCache.forgetRounds()
        return (made, missed)
    }
}
