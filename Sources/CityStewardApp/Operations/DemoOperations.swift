import CityStewardCore
import CityStewardStore
import FluentKit
import Foundation
import SQLKit
import Vapor

/// The demo steward's operations (once, when it has no team): a cleaning team with the patroller, a repair team with
/// the repairer, and in its first
/// village a daily street-cleaning round, garbage collection three times a week and the monthly fire-equipment check,
/// each since the first of last month, with that history worked — most tasks done in their window, some late, a few
/// missed — so the completion figures have something to show. Synthetic.
enum DemoOperations {
    @discardableResult
    static func load(_ app: Application) async throws -> Bool {
        let directory = DirectoryStore(db: app.db)
        guard let steward = try await directory.org(code: DemoDistrict.stewardCode),
              let patrol = try await directory.user(username: "steward-patrol"),
              let dispatcher = try await directory.user(username: "steward-dispatch") else { return false }
        let teams = TeamStore(db: app.db)
        guard try await teams.list(orgs: [steward.id]).isEmpty else { return false }
        let now = app.clock.now
        let today = LocalDate.beijing(now)
        let reference = try await app.caseReference.get(app.db)
        let served = try await teams.stewardAreas(at: now).filter { $0.value == steward.id }.keys
        guard let village = served.compactMap({ reference.areas[$0] }).filter({ $0.kind == .village }).min(by: { $0.code < $1.code }) else { return false }
        let team = try await teams.create(TeamTerms(name: "保洁一组", kind: .cleaning, members: [patrol.id], lead: patrol.id), org: steward.id, at: now)
        if let repairer = try await directory.user(username: "steward-repair") {
            _ = try await teams.create(TeamTerms(name: "维修一组", kind: .repair, members: [repairer.id], lead: repairer.id), org: steward.id, at: now)
        }
        let lastMonth = today.month == 1 ? LocalDate(year: today.year - 1, month: 12, day: 1) : LocalDate(year: today.year, month: today.month - 1, day: 1)
        let plans: [WorkPlanTerms] = [
            WorkPlanTerms(name: "主街巷道清扫保洁", kind: .cleaning, areaID: village.id, recurrence: .everyDays(1), holidays: .keep,
                          window: TimeWindow(start: 6 * 60 + 30, end: 9 * 60), assignee: .team(team.row.id), starts: lastMonth, ends: nil, matter: nil),
            WorkPlanTerms(name: "生活垃圾收运", kind: .garbage, areaID: village.id, recurrence: .weekly([1, 3, 5]), holidays: .keep,
                          window: TimeWindow(start: 18 * 60, end: 20 * 60), assignee: .team(team.row.id), starts: lastMonth, ends: nil, matter: nil),
            WorkPlanTerms(name: "消防器材月检", kind: .fireCheck, areaID: village.id, recurrence: .monthly(5), holidays: .nextWorkingDay,
                          window: TimeWindow(start: 9 * 60, end: 17 * 60), assignee: .person(patrol.id), starts: lastMonth, ends: nil, matter: nil),
        ]
        let store = WorkPlanStore(db: app.db)
        for (p, terms) in plans.enumerated() {
            let plan = try await store.create(terms, org: steward.id, area: village, by: dispatcher.id, at: now)
            let version = WorkPlanVersion(number: 1, effectiveFrom: terms.starts, terms: terms, reason: nil)
            var tasks: [WorkTask] = []
            for (i, o) in WorkPlanSchedule.occurrences([version], calendar: reference.calendar, from: terms.starts,
                                                       through: today.adding(days: TaskScheduling.horizonDays)).enumerated() {
                var task = WorkTask.scheduled(o, plan: plan.id, org: steward.id, area: village.id, terms: terms)
                // The past as worked: one in twenty-three missed, one in eleven done late, the rest in the window.
                if o.windowEnd.addingTimeInterval(WorkTaskWorkflow.missedAfter) < now {
                    let wave = (i * 7 + p * 3) % 23
                    if wave == 0 {
                        task.state = .missed
                    } else {
                        let done = wave % 11 == 0 ? o.windowEnd.addingTimeInterval(3 * 3600) : o.windowStart.addingTimeInterval(Double(20 + wave * 3) * 60)
                        (task.state, task.startedAt, task.doneAt, task.doneBy) = (.done, o.windowStart, done, patrol.id)
                    }
                }
                tasks.append(task)
            }
            try await store.insert(tasks, of: plan, at: now)
            try await store.setGenerated([plan.id], through: today.adding(days: TaskScheduling.horizonDays), at: now)
        }
        // A night patrol route of four checkpoints around the village's centre, walked daily 20:00–22:00 by the patroller.
        if let centre = try await AreaStore(db: app.db).find(code: village.code).flatMap({ $0.centre ?? $0.shape?.boundingBox?.centre }) {
            let names = ["村口东门", "文化广场", "祠堂", "消防站点"]
            let offsets: [(Double, Double)] = [(0, 0), (150, 40), (160, 190), (-20, 170)]
            let points = zip(names, offsets).enumerated().map { i, p in
                Checkpoint(id: UUID(), code: PatrolService.newCode(), name: p.0, position: centre.offset(eastMetres: p.1.0, northMetres: p.1.1), radiusMetres: 30,
                           order: i + 1, dueWithinMinutes: nil, photoRequired: false)
            }
            let route = try await PatrolStore(db: app.db).create(PatrolRouteTerms(name: "夜间巡更路线", areaID: village.id, checkpoints: points), org: steward.id,
                                                                 area: village, by: dispatcher.id, at: now)
            let terms = WorkPlanTerms(name: "夜间巡更", kind: .patrol, areaID: village.id, recurrence: .everyDays(1), holidays: .keep,
                                      window: TimeWindow(start: 20 * 60, end: 22 * 60), assignee: .person(patrol.id), starts: today, ends: nil, matter: nil, route: route.id)
            let plan = try await store.create(terms, org: steward.id, area: village, by: dispatcher.id, at: now)
            try await TaskScheduling.generate(plans: [plan], on: app.db, calendar: reference.calendar, now: now)
        }
        return true
    }
}

/// The demo steward's roster (once, when it has no shift): the cleaning team on a split shift every day (06:00–10:00
/// and 17:30–22:00, around its rounds and the night patrol), the repair team on working days 08:30–17:30, from the
/// first of last month to two weeks ahead — so the shift figures and the staffing table have history. Synthetic.
enum DemoShifts {
    @discardableResult
    static func load(_ app: Application) async throws -> Bool {
        let directory = DirectoryStore(db: app.db)
        guard let steward = try await directory.org(code: DemoDistrict.stewardCode),
              let dispatcher = try await directory.user(username: "steward-dispatch") else { return false }
        let shifts = ShiftStore(db: app.db)
        let now = app.clock.now
        let today = LocalDate.beijing(now)
        let farAhead = today.adding(days: 14).beijingMidnight
        guard try await shifts.count(.steward(steward.id), ShiftFilter(from: Date(timeIntervalSince1970: 0), until: farAhead, includeCancelled: true)) == 0 else { return false }
        let teams = try await TeamStore(db: app.db).list(orgs: [steward.id])
        let reference = try await app.caseReference.get(app.db)
        // The village the demo plans are in.
        guard let plan = try await WorkPlanStore(db: app.db).plans(.steward(steward.id)).first, let village = reference.areas[plan.areaId] else { return false }
        let first = today.month == 1 ? LocalDate(year: today.year - 1, month: 12, day: 1) : LocalDate(year: today.year, month: today.month - 1, day: 1)
        let last = today.adding(days: 13)
        var rosters: [ShiftTerms] = []
        if let cleaning = teams.first(where: { $0.row.kind == TeamKind.cleaning.rawValue }), !cleaning.members.isEmpty {
            rosters.append(ShiftTerms(team: cleaning.row.id, area: village.id, from: first, through: last, start: 6 * 60, length: 4 * 60, days: .everyDay,
                                      members: cleaning.members, note: "早班"))
            rosters.append(ShiftTerms(team: cleaning.row.id, area: village.id, from: first, through: last, start: 17 * 60 + 30, length: 270, days: .everyDay,
                                      members: cleaning.members, note: "晚班（含夜间巡更）"))
        }
        if let repair = teams.first(where: { $0.row.kind == TeamKind.repair.rawValue }), !repair.members.isEmpty {
            rosters.append(ShiftTerms(team: repair.row.id, area: village.id, from: first, through: last, start: 8 * 60 + 30, length: 9 * 60, days: .workingDays,
                                      members: repair.members, note: nil))
        }
        guard !rosters.isEmpty else { return false }
        for terms in rosters {
            _ = try await shifts.create(terms, slots: ShiftRules.slots(terms, calendar: reference.calendar), org: steward.id, area: village, by: dispatcher.id, at: now)
        }
        return true
    }
}
