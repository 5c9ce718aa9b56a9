import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// A work plan as stored: what is the same in every version (its steward and village), the version in force, and how
/// far its tasks have been made.
public struct WorkPlanRow: Codable, Sendable, Equatable {
    public var id: UUID
    public var orgId: UUID
    public var areaId: UUID
    public var areaPath: String
    public var name: String
    public var kind: String
    public var matterCode: String?
    public var version: Int
    public var generatedThrough: String?
    public var routeId: UUID?
    public var createdBy: UUID
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, kind, version
        case orgId = "org_id", areaId = "area_id", areaPath = "area_path", matterCode = "matter_code", generatedThrough = "generated_through"
        case routeId = "route_id", createdBy = "created_by", createdAt = "created_at", updatedAt = "updated_at"
    }
}

struct WorkPlanVersionRow: Codable, Sendable {
    var id: UUID
    var planId: UUID
    var number: Int
    var effectiveFrom: String
    var terms: String
    var reason: String?
    var createdBy: UUID
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, number, terms, reason
        case planId = "plan_id", effectiveFrom = "effective_from", createdBy = "created_by", createdAt = "created_at"
    }
}

/// A version as read back, with who made it and when.
public struct StoredPlanVersion: Sendable, Equatable {
    public var version: WorkPlanVersion
    public var createdBy: UUID
    public var createdAt: Date
}

/// A task as stored.
public struct WorkTaskRow: Codable, Sendable, Equatable {
    public var id: UUID
    public var planId: UUID
    public var planVersion: Int
    public var orgId: UUID
    public var areaId: UUID
    public var areaPath: String
    public var kind: String
    public var name: String
    public var nominal: String
    public var date: String
    public var windowStart: Date
    public var windowEnd: Date
    public var teamId: UUID?
    public var userId: UUID?
    public var state: String
    public var startedAt: Date?
    public var doneAt: Date?
    public var doneBy: UUID?
    public var note: String?
    public var createdAt: Date
    public var updatedAt: Date

    init(id: UUID, planId: UUID, planVersion: Int, orgId: UUID, areaId: UUID, areaPath: String, kind: String, name: String, nominal: String,
                date: String, windowStart: Date, windowEnd: Date, teamId: UUID?, userId: UUID?, state: String, startedAt: Date?, doneAt: Date?,
                doneBy: UUID?, note: String?, createdAt: Date, updatedAt: Date) {
        (self.id, self.planId, self.planVersion, self.orgId, self.areaId, self.areaPath, self.kind) = (id, planId, planVersion, orgId, areaId, areaPath, kind)
        (self.name, self.nominal, self.date, self.windowStart, self.windowEnd, self.teamId, self.userId) = (name, nominal, date, windowStart, windowEnd, teamId, userId)
        (self.state, self.startedAt, self.doneAt, self.doneBy, self.note, self.createdAt, self.updatedAt) = (state, startedAt, doneAt, doneBy, note, createdAt, updatedAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, name, nominal, date, state, note
        case planId = "plan_id", planVersion = "plan_version", orgId = "org_id", areaId = "area_id", areaPath = "area_path"
        case windowStart = "window_start", windowEnd = "window_end", teamId = "team_id", userId = "user_id", startedAt = "started_at"
        case doneAt = "done_at", doneBy = "done_by", createdAt = "created_at", updatedAt = "updated_at"
    }

    init(_ t: WorkTask, areaPath: String, at now: Date) {
        self.init(id: t.id, planId: t.planID, planVersion: t.planVersion, orgId: t.orgID, areaId: t.areaID, areaPath: areaPath, kind: t.kind.rawValue,
                  name: t.name, nominal: t.nominal.description, date: t.date.description, windowStart: t.windowStart, windowEnd: t.windowEnd,
                  teamId: t.assignee?.teamID, userId: t.assignee?.personID, state: t.state.rawValue, startedAt: t.startedAt, doneAt: t.doneAt,
                  doneBy: t.doneBy, note: t.note, createdAt: now, updatedAt: now)
    }

    public var task: WorkTask {
        WorkTask(id: id, planID: planId, planVersion: planVersion, orgID: orgId, areaID: areaId, kind: WorkKind(rawValue: kind) ?? .upkeep, name: name,
                 nominal: LocalDate(nominal) ?? LocalDate(dayNumber: 0), date: LocalDate(date) ?? LocalDate(dayNumber: 0), windowStart: windowStart,
                 windowEnd: windowEnd, assignee: teamId.map { .team($0) } ?? userId.map { .person($0) }, state: WorkTaskState(rawValue: state) ?? .scheduled,
                 startedAt: startedAt, doneAt: doneAt, doneBy: doneBy, note: note)
    }
}

/// What a list of tasks is narrowed to.
public struct TaskFilter: Sendable {
    public var from: LocalDate
    public var through: LocalDate
    /// One person's work: assigned to them, or to a team of theirs.
    public var worker: (user: UUID, teams: Set<UUID>)?
    public var state: WorkTaskState?
    public var plan: UUID?
    public var underPath: String?
    /// The last task of the page before.
    public var after: WorkTaskRow?
    public var limit: Int

    public init(from: LocalDate, through: LocalDate, worker: (user: UUID, teams: Set<UUID>)? = nil, state: WorkTaskState? = nil, plan: UUID? = nil,
                underPath: String? = nil, after: WorkTaskRow? = nil, limit: Int = 200) {
        (self.from, self.through, self.worker, self.state, self.plan, self.underPath, self.after, self.limit) = (from, through, worker, state, plan, underPath, after, limit)
    }
}

/// One line of the completion figures: tasks of a village and kind due in the period, by how they ended.
public struct CompletionTally: Sendable, Equatable {
    public var areaId: UUID
    public var kind: String
    public var state: String
    public var onTime: Int
    public var count: Int
}

public struct WorkPlanStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    public static let planNotFound = DomainError.notFound(zh: "没有这个作业计划", en: "no such work plan")
    public static let taskNotFound = DomainError.notFound(zh: "没有这项任务", en: "no such task")
    static let encoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)
    static let termsEncoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return e
    }()

    // MARK: Plans

    public func create(_ terms: WorkPlanTerms, org: UUID, area: Area, by user: UUID, at now: Date) async throws -> WorkPlanRow {
        let row = WorkPlanRow(id: UUID(), orgId: org, areaId: area.id, areaPath: Area.encodePath(area.path), name: terms.name, kind: terms.kind.rawValue,
                              matterCode: terms.matter, version: 1, generatedThrough: nil, routeId: terms.route, createdBy: user, createdAt: now, updatedAt: now)
        try await sql.insert(into: "work_plans").model(row, with: Self.encoder).run()
        try await insertVersion(row.id, WorkPlanVersion(number: 1, effectiveFrom: terms.starts, terms: terms, reason: nil), by: user, at: now)
        return row
    }

    private func insertVersion(_ plan: UUID, _ v: WorkPlanVersion, by user: UUID, at now: Date) async throws {
        let row = WorkPlanVersionRow(id: UUID(), planId: plan, number: v.number, effectiveFrom: v.effectiveFrom.description,
                                     terms: String(decoding: try Self.termsEncoder.encode(v.terms), as: UTF8.self), reason: v.reason, createdBy: user, createdAt: now)
        try await sql.insert(into: "work_plan_versions").model(row, with: Self.encoder).run()
    }

    /// A new version from its date: tasks of earlier versions on or after that date that nobody began are superseded
    /// (kept, never deleted), and the plan's tasks are made again from that date. Returns how many were superseded.
    public func change(_ plan: WorkPlanRow, to version: WorkPlanVersion, by user: UUID, at now: Date) async throws -> (WorkPlanRow, Int) {
        try await insertVersion(plan.id, version, by: user, at: now)
        let superseded = try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("work_tasks")
            .where("plan_id", .equal, plan.id).where("nominal", .greaterThanOrEqual, version.effectiveFrom.description)
            .where("state", .equal, WorkTaskState.scheduled.rawValue).where("plan_version", .lessThan, version.number)
            .first()?.decode(column: "n", as: Int.self) ?? 0
        try await sql.update("work_tasks").set("state", to: WorkTaskState.superseded.rawValue).set("updated_at", to: now)
            .where("plan_id", .equal, plan.id).where("nominal", .greaterThanOrEqual, version.effectiveFrom.description)
            .where("state", .equal, WorkTaskState.scheduled.rawValue).where("plan_version", .lessThan, version.number).run()
        let back = version.effectiveFrom.adding(days: -1).description
        var changed = plan
        changed.version = version.number
        changed.name = version.terms.name
        changed.kind = version.terms.kind.rawValue
        changed.matterCode = version.terms.matter
        changed.updatedAt = now
        // The plan row keeps the newest version's route (a scan finds its round through it).
        changed.routeId = version.terms.route
        if let through = plan.generatedThrough, through > back { changed.generatedThrough = back }
        try await sql.update("work_plans").set("version", to: changed.version).set("name", to: changed.name).set("kind", to: changed.kind)
            .set("matter_code", to: changed.matterCode).set("generated_through", to: changed.generatedThrough).set("route_id", to: changed.routeId)
            .set("updated_at", to: now)
            .where("id", .equal, plan.id).run()
        return (changed, superseded)
    }

    public func versions(_ plan: UUID) async throws -> [StoredPlanVersion] {
        try await sql.select().column("*").from("work_plan_versions").where("plan_id", .equal, plan).orderBy("number").all(decoding: WorkPlanVersionRow.self).map {
            StoredPlanVersion(version: WorkPlanVersion(number: $0.number, effectiveFrom: LocalDate($0.effectiveFrom) ?? LocalDate(dayNumber: 0),
                                                       terms: try JSONDecoder().decode(WorkPlanTerms.self, from: Data($0.terms.utf8)), reason: $0.reason),
                              createdBy: $0.createdBy, createdAt: $0.createdAt)
        }
    }

    /// The plans in scope (optionally under one area), by village and name.
    public func plans(_ scope: OperationsScope, underPath: String? = nil) async throws -> [WorkPlanRow] {
        let q = sql.select().column("*").from("work_plans")
        guard try await scoped(q, scope) else { return [] }
        if let p = underPath { q.where("area_path", .greaterThanOrEqual, p).where("area_path", .lessThan, p + "\u{FFFF}") }
        return try await q.orderBy("area_path").orderBy("name").limit(5_000).all(decoding: WorkPlanRow.self)
    }

    /// One plan, if it is in scope; anything else answers as missing.
    public func plan(_ id: UUID, _ scope: OperationsScope) async throws -> WorkPlanRow {
        let q = sql.select().column("*").from("work_plans").where("id", .equal, id)
        guard try await scoped(q, scope), let row = try await q.first(decoding: WorkPlanRow.self) else { throw Self.planNotFound }
        return row
    }

    /// Narrows a query on `work_plans` or `work_tasks` to the scope; false when the scope holds nothing.
    func scoped(_ q: SQLSelectBuilder, _ scope: OperationsScope, tasks: Bool = false) async throws -> Bool {
        switch scope {
        case .all: return true
        case .nothing: return false
        case .steward(let org):
            q.where("org_id", .equal, org)
            return true
        case .department(let code):
            let matters = try await sql.select().column("code").from("matters").where("owner_department", .equal, code).all().map { try $0.decode(column: "code", as: String.self) }
            guard !matters.isEmpty else { return false }
            if tasks {
                let plans = try await sql.select().column("id").from("work_plans").where("matter_code", .in, matters).all().map { try $0.decode(column: "id", as: UUID.self) }
                guard !plans.isEmpty else { return false }
                q.where("plan_id", .in, plans)
            } else {
                q.where("matter_code", .in, matters)
            }
            return true
        case .areas(let roots):
            return try await AreaSubtrees.narrow(q, roots: roots, on: sql)
        }
    }

    // MARK: Generation

    /// Plans whose tasks are not yet made through `through`.
    public func plansBehind(_ through: LocalDate) async throws -> [WorkPlanRow] {
        try await sql.select().column("*").from("work_plans")
            .where { $0.where("generated_through", .is, SQLLiteral.null).orWhere("generated_through", .lessThan, through.description) }
            .all(decoding: WorkPlanRow.self)
    }

    /// The versions of many plans at once, by plan.
    public func versions(of plans: [UUID]) async throws -> [UUID: [WorkPlanVersion]] {
        var out: [UUID: [WorkPlanVersion]] = [:]
        for chunk in stride(from: 0, to: plans.count, by: 500).map({ Array(plans[$0..<min($0 + 500, plans.count)]) }) {
            for row in try await sql.select().column("*").from("work_plan_versions").where("plan_id", .in, chunk).all(decoding: WorkPlanVersionRow.self) {
                out[row.planId, default: []].append(WorkPlanVersion(number: row.number, effectiveFrom: LocalDate(row.effectiveFrom) ?? LocalDate(dayNumber: 0),
                                                                    terms: try JSONDecoder().decode(WorkPlanTerms.self, from: Data(row.terms.utf8)), reason: row.reason))
            }
        }
        return out
    }

    /// Nominal days from `from` that already have a live task (any but superseded), by plan.
    public func taken(plans: [UUID], from: LocalDate) async throws -> [UUID: Set<LocalDate>] {
        var out: [UUID: Set<LocalDate>] = [:]
        for chunk in stride(from: 0, to: plans.count, by: 500).map({ Array(plans[$0..<min($0 + 500, plans.count)]) }) {
            for row in try await sql.select().column("plan_id").column("nominal").from("work_tasks").where("plan_id", .in, chunk)
                .where("nominal", .greaterThanOrEqual, from.description).where("state", .notEqual, WorkTaskState.superseded.rawValue).all() {
                if let d = LocalDate(try row.decode(column: "nominal", as: String.self)) { out[try row.decode(column: "plan_id", as: UUID.self), default: []].insert(d) }
            }
        }
        return out
    }

    /// Stores a plan's tasks, many rows a statement; one already made (same plan, version and day) is left as it is.
    public func insert(_ tasks: [WorkTask], of plan: WorkPlanRow, at now: Date) async throws {
        try await insert(tasks.map { WorkTaskRow($0, areaPath: plan.areaPath, at: now) })
    }

    /// Tasks of many plans at once (one day's generation): multi-row inserts across plans, not one per plan.
    public func insert(_ tasks: [(task: WorkTask, plan: WorkPlanRow)], at now: Date) async throws {
        try await insert(tasks.map { WorkTaskRow($0.task, areaPath: $0.plan.areaPath, at: now) })
    }

    func insert(_ tasks: [WorkTaskRow]) async throws {
        // 1,000 rows of 21 columns a statement: within both databases' limits on bound values (32,766 and 65,535).
        for chunk in stride(from: 0, to: tasks.count, by: 1_000).map({ Array(tasks[$0..<min($0 + 1_000, tasks.count)]) }) {
            try await sql.insert(into: "work_tasks").models(chunk, with: Self.encoder).ignoringConflicts(with: ["plan_id", "plan_version", "nominal"]).run()
        }
    }

    public func setGenerated(_ plans: [UUID], through: LocalDate, at now: Date) async throws {
        for chunk in stride(from: 0, to: plans.count, by: 500).map({ Array(plans[$0..<min($0 + 500, plans.count)]) }) {
            try await sql.update("work_plans").set("generated_through", to: through.description).where("id", .in, chunk).run()
        }
    }

    // MARK: Tasks

    /// The rounds of a route on a day: tasks of its patrol plans, in window order.
    public func rounds(route: UUID, on date: LocalDate) async throws -> [WorkTaskRow] {
        try await sql.raw("""
            SELECT * FROM work_tasks WHERE plan_id IN (SELECT id FROM work_plans WHERE route_id = \(bind: route)) AND date = \(bind: date.description)
            AND state <> \(bind: WorkTaskState.superseded.rawValue) ORDER BY window_start
            """).all(decoding: WorkTaskRow.self)
    }

    /// A page of tasks in (date, window start, id) order, after `f.after` when given.
    public func tasks(_ scope: OperationsScope, _ f: TaskFilter) async throws -> [WorkTaskRow] {
        let q = sql.select().column("*").from("work_tasks")
        guard try await narrowed(q, scope, f) else { return [] }
        if let a = f.after {
            q.where { g in
                g.where("date", .greaterThan, a.date)
                    .orWhere { $0.where("date", .equal, a.date).where("window_start", .greaterThan, a.windowStart) }
                    .orWhere { $0.where("date", .equal, a.date).where("window_start", .equal, a.windowStart).where("id", .greaterThan, a.id) }
            }
        }
        return try await q.orderBy("date").orderBy("window_start").orderBy("id").limit(f.limit).all(decoding: WorkTaskRow.self)
    }

    /// How many tasks the filter holds (every page).
    public func countTasks(_ scope: OperationsScope, _ f: TaskFilter) async throws -> Int {
        let q = sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("work_tasks")
        guard try await narrowed(q, scope, f) else { return 0 }
        return try await q.first()?.decode(column: "n", as: Int.self) ?? 0
    }

    private func narrowed(_ q: SQLSelectBuilder, _ scope: OperationsScope, _ f: TaskFilter) async throws -> Bool {
        // One's own work is one's company's by construction (tasks go to its people and teams only): the person's and
        // the teams' indexes find it, where the company's index would read the company's whole day.
        if f.worker != nil, case .steward = scope {} else {
            guard try await scoped(q, scope, tasks: true) else { return false }
        }
        q.where("date", .greaterThanOrEqual, f.from.description).where("date", .lessThanOrEqual, f.through.description)
        if let w = f.worker {
            q.where { group in
                group.where("user_id", .equal, w.user)
                if !w.teams.isEmpty { group.orWhere("team_id", .in, Array(w.teams)) }
                return group
            }
        }
        if let s = f.state { q.where("state", .equal, s.rawValue) }
        if let p = f.plan { q.where("plan_id", .equal, p) }
        if let p = f.underPath { q.where("area_path", .greaterThanOrEqual, p).where("area_path", .lessThan, p + "\u{FFFF}") }
        return true
    }

    public func task(_ id: UUID, _ scope: OperationsScope) async throws -> WorkTaskRow {
        let q = sql.select().column("*").from("work_tasks").where("id", .equal, id)
        guard try await scoped(q, scope, tasks: true), let row = try await q.first(decoding: WorkTaskRow.self) else { throw Self.taskNotFound }
        return row
    }

    /// Saves a task's new state if nobody changed it meanwhile (its state and assignee as read); false otherwise.
    /// The row `was` becomes when `task` is saved over it at `now` (what `save` writes).
    public static func saved(_ task: WorkTask, was: WorkTaskRow, at now: Date) -> WorkTaskRow {
        var row = was
        (row.state, row.startedAt, row.doneAt, row.doneBy, row.note) = (task.state.rawValue, task.startedAt, task.doneAt, task.doneBy, task.note)
        (row.teamId, row.userId, row.updatedAt) = (task.assignee?.teamID, task.assignee?.personID, now)
        return row
    }

    public func save(_ task: WorkTask, was: WorkTaskRow, at now: Date) async throws -> Bool {
        let q = sql.update("work_tasks").set("state", to: task.state.rawValue).set("started_at", to: task.startedAt).set("done_at", to: task.doneAt)
            .set("done_by", to: task.doneBy).set("note", to: task.note).set("team_id", to: task.assignee?.teamID).set("user_id", to: task.assignee?.personID)
            .set("updated_at", to: now).where("id", .equal, task.id).where("state", .equal, was.state).where("updated_at", .equal, was.updatedAt)
            .returning("id")
        return try await q.first() != nil
    }

    /// Open tasks a day past their window become missed. Returns how many.
    public func markMissed(now: Date) async throws -> Int {
        let cutoff = now.addingTimeInterval(-WorkTaskWorkflow.missedAfter)
        let rows = try await sql.update("work_tasks").set("state", to: WorkTaskState.missed.rawValue).set("updated_at", to: now)
            .where("state", .in, [WorkTaskState.scheduled.rawValue, WorkTaskState.started.rawValue]).where("window_end", .lessThanOrEqual, cutoff)
            .returning("id").all()
        return rows.count
    }

    /// Patrol rounds (tasks of plans with a route) due from `from` through `through` in scope, with their route.
    public func rounds(_ scope: OperationsScope, from: LocalDate, through: LocalDate) async throws -> [(task: WorkTaskRow, route: UUID)] {
        let q = sql.select().column("*").from("work_tasks")
        guard try await scoped(q, scope, tasks: true) else { return [] }
        let tasks = try await q.where("kind", .equal, WorkKind.patrol.rawValue).where("date", .greaterThanOrEqual, from.description)
            .where("date", .lessThanOrEqual, through.description).where("state", .notEqual, WorkTaskState.superseded.rawValue)
            .limit(200_000).all(decoding: WorkTaskRow.self)
        let plans = Array(Set(tasks.map(\.planId)))
        var routes: [UUID: UUID] = [:]
        for chunk in stride(from: 0, to: plans.count, by: 500).map({ Array(plans[$0..<min($0 + 500, plans.count)]) }) where !chunk.isEmpty {
            for row in try await sql.select().column("id").column("route_id").from("work_plans").where("id", .in, chunk).all() {
                if let route = try row.decode(column: "route_id", as: UUID?.self) { routes[try row.decode(column: "id", as: UUID.self)] = route }
            }
        }
        return tasks.compactMap { t in routes[t.planId].map { (t, $0) } }
    }

    /// Tasks due from `from` through `through` in scope, by village, kind and state, with how many were done in their window.
    /// The tasks of a period in scope, as the workload figures read them (no names, no terms).
    public func workloadTasks(_ scope: OperationsScope, from: LocalDate, through: LocalDate) async throws -> [WorkloadTask] {
        let q = sql.select().column("area_id").column("team_id").column("state").column("window_end").column("started_at").column("done_at").column("done_by")
            .from("work_tasks")
        guard try await scoped(q, scope, tasks: true) else { return [] }
        q.where("date", .greaterThanOrEqual, from.description).where("date", .lessThanOrEqual, through.description)
        return try await q.all().compactMap { r in
            guard let state = WorkTaskState(rawValue: try r.decode(column: "state", as: String.self)) else { return nil }
            return WorkloadTask(area: try r.decode(column: "area_id", as: UUID.self), team: try r.decode(column: "team_id", as: UUID?.self), state: state,
                                windowEnd: try r.decode(column: "window_end", as: Date.self), startedAt: try r.decode(column: "started_at", as: Date?.self),
                                doneAt: try r.decode(column: "done_at", as: Date?.self), doneBy: try r.decode(column: "done_by", as: UUID?.self))
        }
    }

    public func completion(_ scope: OperationsScope, from: LocalDate, through: LocalDate) async throws -> [CompletionTally] {
        let q = sql.select().column("area_id").column("kind").column("state")
            .column(SQLFunction("SUM", args: SQLRaw("CASE WHEN done_at IS NOT NULL AND done_at <= window_end THEN 1 ELSE 0 END")), as: "on_time")
            .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("work_tasks")
        guard try await scoped(q, scope, tasks: true) else { return [] }
        q.where("date", .greaterThanOrEqual, from.description).where("date", .lessThanOrEqual, through.description)
            .groupBy("area_id").groupBy("kind").groupBy("state")
        return try await q.all().map {
            CompletionTally(areaId: try $0.decode(column: "area_id", as: UUID.self), kind: try $0.decode(column: "kind", as: String.self),
                            state: try $0.decode(column: "state", as: String.self), onTime: try $0.decode(column: "on_time", as: Int?.self) ?? 0,
                            count: try $0.decode(column: "n", as: Int.self))
        }
    }
}
