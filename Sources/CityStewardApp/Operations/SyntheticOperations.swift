import CityStewardCore
import CityStewardStore
import FluentKit
import Foundation
import SQLKit
import Vapor

/// A district-sized operation for load tests (issue 18 §10): the demo steward with `plans` work plans — half of them
/// patrol rounds on routes of 20 checkpoints, the rest cleaning, garbage, upkeep and disinfection — across its
/// villages, each started a year ago with that year of tasks stored (worked: done, a few missed), spread over 100 teams;
/// the patroller (`steward-patrol`) has ten plans of its own and one team's. Then it times what the `work-tasks` job
/// does each day: making the next day's tasks of every plan. Synthetic; never part of the demo.
struct SyntheticOperations {
    let app: Application

    struct Outcome {
        var plans: Int
        var checkpoints: Int
        var tasks: Int
        var loadSeconds: Double
        var dayTasks: Int
        var daySeconds: Double
    }

    func fill(plans count: Int, checkpointsPerRoute: Int = 20, days: Int = 365, progress: @Sendable (Int) -> Void) async throws -> Outcome {
        let db = app.db
        let directory = DirectoryStore(db: db)
        guard let steward = try await directory.org(code: DemoDistrict.stewardCode), let patrol = try await directory.user(username: "steward-patrol"),
              let dispatcher = try await directory.user(username: "steward-dispatch") else {
            throw CommandFailure(description: "run on a demo database (citysteward demo once, then this)")
        }
        let started = ContinuousClock.now
        let now = app.clock.now
        // The work-tasks job runs in every process, this one too: hold its lease so it makes nothing meanwhile and the
        // day timed below is the whole day's generation.
        guard try await JobLeases(db: db).acquire(TaskScheduling.jobName, holder: "synthesize-operations", ttl: 3600, now: now) else {
            throw CommandFailure(description: "another process holds the work-tasks job: stop the server first")
        }
        let today = LocalDate.beijing(now)
        let reference = try await app.caseReference.get(db)
        let calendar = reference.calendar
        let served = try await TeamStore(db: db).stewardAreas(at: now).filter { $0.value == steward.id }.keys
        let villages = served.compactMap { reference.areas[$0] }.filter { $0.kind == .village }.sorted { $0.code < $1.code }
        var grids: [Area] = []
        for v in villages { grids += try await AreaStore(db: db).children(of: v.id, includeShapes: false).filter { $0.kind == .grid && $0.centre != nil } }
        guard !grids.isEmpty else { throw CommandFailure(description: "the demo steward serves no grids") }
        let kinds: [TeamKind] = [.cleaning, .repair, .patrol, .security]
        var teams: [UUID] = []
        for i in 0..<100 {
            let members = i == 0 ? [patrol.id] : []
            teams.append(try await TeamStore(db: db).create(TeamTerms(name: "合成班组 \(i + 1)", kind: kinds[i % kinds.count], members: members, lead: members.first),
                                                            org: steward.id, at: now).row.id)
        }
        let starts = today.adding(days: -days)
        let store = WorkPlanStore(db: db)
        var tasks = 0
        var checkpoints = 0
        let otherKinds: [WorkKind] = [.cleaning, .garbage, .upkeep, .disinfection]
        for i in 0..<count {
            let grid = grids[i % grids.count]
            let village = reference.path(of: grid).first { $0.kind == .village } ?? grid
            let assignee: Assignee = i < 10 ? .person(patrol.id) : (i < 20 ? .team(teams[0]) : .team(teams[1 + i % 99]))
            var route: UUID?
            if i % 2 == 0 {
                let centre = grid.centre!
                let points = (0..<checkpointsPerRoute).map { k in
                    Checkpoint(id: UUID(), code: PatrolService.newCode(), name: "点 \(k + 1)", position: centre.offset(eastMetres: Double(k % 5) * 30, northMetres: Double(k / 5) * 30),
                               radiusMetres: 30, order: k + 1, dueWithinMinutes: nil, photoRequired: false)
                }
                route = try await PatrolStore(db: db).create(PatrolRouteTerms(name: "合成路线 \(i / 2 + 1)", areaID: village.id, checkpoints: points), org: steward.id,
                                                             area: village, by: dispatcher.id, at: now).id
                checkpoints += points.count
            }
            let start = (6 + i % 14) * 60
            let terms = WorkPlanTerms(name: route == nil ? "合成作业 \(i + 1)" : "合成巡更 \(i + 1)", kind: route == nil ? otherKinds[i % otherKinds.count] : .patrol,
                                      areaID: village.id, recurrence: .everyDays(1), holidays: .keep, window: TimeWindow(start: start, end: start + 120),
                                      assignee: assignee, starts: starts, ends: nil, matter: nil, route: route)
            let plan = try await store.create(terms, org: steward.id, area: village, by: dispatcher.id, at: now)
            // The year as worked, through tomorrow: the job's next round makes the day after.
            let version = WorkPlanVersion(number: 1, effectiveFrom: starts, terms: terms, reason: nil)
            var made: [WorkTask] = []
            for (n, o) in WorkPlanSchedule.occurrences([version], calendar: calendar, from: starts, through: today.adding(days: TaskScheduling.horizonDays - 1)).enumerated() {
                var task = WorkTask.scheduled(o, plan: plan.id, org: steward.id, area: village.id, terms: terms)
                if o.windowEnd.addingTimeInterval(WorkTaskWorkflow.missedAfter) < now {
                    if (n + i) % 29 == 0 {
                        task.state = .missed
                    } else {
                        (task.state, task.startedAt, task.doneAt, task.doneBy) = (.done, o.windowStart, o.windowStart.addingTimeInterval(3000), patrol.id)
                    }
                }
                made.append(task)
            }
            let batch = made
            try await db.writeTransaction { tx in
                try await WorkPlanStore(db: tx).insert(batch, of: plan, at: now)
                try await WorkPlanStore(db: tx).setGenerated([plan.id], through: today.adding(days: TaskScheduling.horizonDays - 1), at: now)
            }
            tasks += made.count
            if (i + 1) % 100 == 0 { progress(i + 1) }
        }
        let loaded = ContinuousClock.now - started
        // Every plan generated through tomorrow (the demo's own plans too): the timed round makes the day after.
        let horizon = today.adding(days: TaskScheduling.horizonDays)
        let all = try await store.plans(.all).map(\.id)
        try await db.writeTransaction { tx in
            try await (tx as! any SQLDatabase).delete(from: "work_tasks").where("date", .equal, horizon.description).run()
            try await WorkPlanStore(db: tx).setGenerated(all, through: today.adding(days: TaskScheduling.horizonDays - 1), at: now)
        }
        // What the job does each day, timed: the next day's tasks of every plan, in one transaction.
        let dayStart = ContinuousClock.now
        let day = try await db.writeTransaction { tx in try await TaskScheduling.generate(plans: nil, on: tx, calendar: calendar, now: now) }
        let dayTime = ContinuousClock.now - dayStart
        try await JobLeases(db: db).release(TaskScheduling.jobName, holder: "synthesize-operations")
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
        return Outcome(plans: count, checkpoints: checkpoints, tasks: tasks, loadSeconds: seconds(loaded), dayTasks: day, daySeconds: seconds(dayTime))
    }
}

struct SynthesizeOperationsCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "plans", help: "how many work plans (default 2000; half are patrol rounds of 20 checkpoints)") var plans: Int?
        @Option(name: "days", help: "days of history (default 365)") var days: Int?
    }
    var help: String { "Load tests only: fills a demo database with a district-sized operation and times one day's task generation." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let count = signature.plans ?? 2000
        guard count > 0, count <= 20_000 else { throw CommandFailure(description: "--plans is 1 to 20000") }
        let console = context.console
        let outcome = try await SyntheticOperations(app: context.application).fill(plans: count, days: max(signature.days ?? 365, 1)) { made in console.print("\(made) plans") }
        console.print("synthesized \(outcome.plans) plans, \(outcome.checkpoints) checkpoints, \(outcome.tasks) tasks in \(String(format: "%.1f", outcome.loadSeconds)) s")
        console.print("one day's generation: \(outcome.dayTasks) tasks in \(String(format: "%.3f", outcome.daySeconds)) s")
    }
}
