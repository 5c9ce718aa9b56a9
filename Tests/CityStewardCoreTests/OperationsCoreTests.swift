import CityStewardCore
import Foundation
import Testing

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let calendar: WorkingCalendar = try! WorkingCalendarData.decode(try! Data(contentsOf: root.appendingPathComponent("Resources/Calendars/china-holidays.json")))

/// Work plans on the working calendar, their versions, the tasks they make and what people do with them (issue 18 §2).
@Suite("Operations: plans, schedules and tasks")
struct OperationsCoreTests {
    let village = Area(id: UUID(), kind: .village, code: "440309005001001", name: "上塘村", parentID: nil, streetID: nil, path: [], shape: nil, centre: nil)
    let team = UUID(), person = UUID(), stranger = UUID()

    func reference() -> PlanningReference {
        PlanningReference(areas: [village.code: village], teams: [team], people: [person], matters: ["ENV-CLEAN"])
    }

    func terms(_ recurrence: Recurrence, _ holidays: HolidayRule = .keep, starts: String = "2026-09-28", ends: String? = nil) -> WorkPlanTerms {
        WorkPlanTerms(name: "主街清扫", kind: .cleaning, areaID: village.id, recurrence: recurrence, holidays: holidays,
                      window: TimeWindow(start: 7 * 60, end: 9 * 60), assignee: .team(team), starts: LocalDate(starts)!, ends: ends.flatMap(LocalDate.init), matter: nil)
    }

    func days(_ occurrences: [Occurrence]) -> [String] { occurrences.map(\.date.description) }

    @Test func recurrenceFallsOnItsDays() {
        let from = LocalDate("2026-09-28")!   // a Monday
        #expect(Recurrence.everyDays(3).falls(on: from, anchor: from))
        #expect(!Recurrence.everyDays(3).falls(on: from.adding(days: 2), anchor: from))
        #expect(Recurrence.everyDays(3).falls(on: from.adding(days: 6), anchor: from))
        #expect(!Recurrence.everyDays(3).falls(on: from.adding(days: -3), anchor: from))   // nothing before the anchor
        #expect(Recurrence.weekly([1, 4]).falls(on: from, anchor: from))
        #expect(Recurrence.weekly([1, 4]).falls(on: LocalDate("2026-10-01")!, anchor: from))
        #expect(!Recurrence.weekly([1, 4]).falls(on: LocalDate("2026-09-30")!, anchor: from))
        // Day 31 is the month's last day: February's 28th, April's 30th.
        #expect(Recurrence.monthly(31).falls(on: LocalDate("2027-02-28")!, anchor: from))
        #expect(Recurrence.monthly(31).falls(on: LocalDate("2026-04-30")!, anchor: from))
        #expect(!Recurrence.monthly(31).falls(on: LocalDate("2026-04-29")!, anchor: from))
        #expect(Recurrence.monthly(15).falls(on: LocalDate("2026-11-15")!, anchor: from))
    }

    /// National Day week 2026: 10-01…10-07 off, Saturday 10-10 a working day.
    @Test func holidaysAreKeptSkippedOrMovedAsThePlanSays() {
        let from = LocalDate("2026-09-28")!, through = LocalDate("2026-10-11")!
        let daily = [WorkPlanVersion(number: 1, effectiveFrom: from, terms: terms(.everyDays(1)), reason: nil)]
        #expect(WorkPlanSchedule.occurrences(daily, calendar: calendar, from: from, through: through).count == 14)
        let noHolidays = [WorkPlanVersion(number: 1, effectiveFrom: from, terms: terms(.everyDays(1), .skipHolidays), reason: nil)]
        #expect(days(WorkPlanSchedule.occurrences(noHolidays, calendar: calendar, from: from, through: through))
                == ["2026-09-28", "2026-09-29", "2026-09-30", "2026-10-08", "2026-10-09", "2026-10-10", "2026-10-11"])
        let workingOnly = [WorkPlanVersion(number: 1, effectiveFrom: from, terms: terms(.everyDays(1), .skip), reason: nil)]
        #expect(days(WorkPlanSchedule.occurrences(workingOnly, calendar: calendar, from: from, through: through))
                == ["2026-09-28", "2026-09-29", "2026-09-30", "2026-10-08", "2026-10-09", "2026-10-10"])
        // A monthly fire-equipment check due on the 1st of October moves to the 8th, or back to 30 September.
        let monthly = [WorkPlanVersion(number: 1, effectiveFrom: from, terms: terms(.monthly(1), .nextWorkingDay), reason: nil)]
        let moved = WorkPlanSchedule.occurrences(monthly, calendar: calendar, from: from, through: through)
        #expect(moved.map(\.nominal.description) == ["2026-10-01"] && days(moved) == ["2026-10-08"])
        let earlier = [WorkPlanVersion(number: 1, effectiveFrom: from, terms: terms(.monthly(1), .previousWorkingDay), reason: nil)]
        #expect(days(WorkPlanSchedule.occurrences(earlier, calendar: calendar, from: from, through: through)) == ["2026-09-30"])
        // The window is Beijing time on the day the work is done.
        #expect(moved[0].windowStart == ISO8601DateFormatter().date(from: "2026-10-07T23:00:00Z"))
        #expect(moved[0].windowEnd == ISO8601DateFormatter().date(from: "2026-10-08T01:00:00Z"))
    }

    @Test func aChangeAppliesFromItsDateAndNeverDoublesADay() {
        let v1 = WorkPlanVersion(number: 1, effectiveFrom: LocalDate("2026-11-02")!, terms: terms(.everyDays(1), starts: "2026-11-02"), reason: nil)
        var changed = terms(.weekly([1, 3, 5]), starts: "2026-11-02")
        changed.assignee = .person(person)
        let v2 = WorkPlanVersion(number: 2, effectiveFrom: LocalDate("2026-11-05")!, terms: changed, reason: "改为隔日")
        let all = WorkPlanSchedule.occurrences([v1, v2], calendar: calendar, from: LocalDate("2026-11-02")!, through: LocalDate("2026-11-09")!)
        #expect(all.map { "\($0.date)@\($0.version)" } == ["2026-11-02@1", "2026-11-03@1", "2026-11-04@1", "2026-11-06@2", "2026-11-09@2"])
        #expect(all.last?.assignee == .person(person))
        // A Friday already done under v1 is not made again under v2.
        let kept = WorkPlanSchedule.occurrences([v1, v2], calendar: calendar, from: LocalDate("2026-11-05")!, through: LocalDate("2026-11-09")!,
                                                taken: [LocalDate("2026-11-06")!])
        #expect(days(kept) == ["2026-11-09"])
        // An end date stops the plan.
        var ending = changed
        ending.ends = LocalDate("2026-11-06")
        let v3 = WorkPlanVersion(number: 3, effectiveFrom: LocalDate("2026-11-06")!, terms: ending, reason: "合同到期")
        #expect(days(WorkPlanSchedule.occurrences([v1, v2, v3], calendar: calendar, from: LocalDate("2026-11-05")!, through: LocalDate("2026-11-30")!)) == ["2026-11-06"])
    }

    @Test func aPlanIsCheckedWholeAndEachProblemNamesItsField() {
        let today = LocalDate("2026-11-02")!
        let good = WorkPlanInput(name: "消防器材月检", kind: "fireCheck", area: village.code, repeats: "monthly", monthDay: "1", holidays: "nextWorkingDay",
                                 windowStart: "09:00", windowEnd: "17:00", assignee: "team:\(team.uuidString)", starts: "2026-11-02", matter: "ENV-CLEAN")
        guard case .success(let t) = WorkPlanRules.validate(good, reference: reference(), today: today) else { Issue.record("refused"); return }
        #expect(t.recurrence == .monthly(1) && t.window == TimeWindow(start: 540, end: 1020) && t.assignee == .team(team) && t.matter == "ENV-CLEAN")
        let bad = WorkPlanInput(name: "", kind: "sweeping", area: "440309999", repeats: "weekly", weekdays: ["8"], holidays: "sometimes",
                                windowStart: "9:00", windowEnd: "08:00", assignee: "person:\(stranger.uuidString)", starts: "2026-11-01", ends: "2026-10-01", matter: "NOPE")
        guard case .failure(let problems) = WorkPlanRules.validate(bad, reference: reference(), today: today) else { Issue.record("accepted"); return }
        #expect(problems.problems.map(\.field) == ["name", "kind", "area", "weekdays", "holidays", "windowStart", "assignee", "starts", "ends", "matter"])
        let reversed = WorkPlanInput(name: "x", kind: "cleaning", area: village.code, repeats: "days", every: "0", holidays: "keep",
                                     windowStart: "10:00", windowEnd: "09:00", starts: "2026-11-02")
        guard case .failure(let p2) = WorkPlanRules.validate(reversed, reference: reference(), today: today) else { Issue.record("accepted"); return }
        #expect(p2.problems.map(\.field) == ["every", "windowEnd"])
        // A change from a past date, or without a reason, is refused.
        let current = WorkPlanVersion(number: 1, effectiveFrom: today, terms: t, reason: nil)
        guard case .failure(let p3) = WorkPlanRules.validateChange(from: "2026-11-01", reason: "", current: current, today: today) else { Issue.record("accepted"); return }
        #expect(p3.problems.map(\.field) == ["effectiveFrom", "reason"])
        guard case .success(let ok) = WorkPlanRules.validateChange(from: "2026-11-10", reason: "改期", current: current, today: today) else { Issue.record("refused"); return }
        #expect(ok.0 == LocalDate("2026-11-10") && ok.1 == "改期")
        // The input made back from terms reads to the same terms.
        #expect(WorkPlanRules.validate(WorkPlanInput(t, areaCode: village.code), reference: reference(), today: today) == .success(t))
    }

    func task(_ state: WorkTaskState = .scheduled, assignee: Assignee? = nil) -> WorkTask {
        let date = LocalDate("2026-11-02")!
        let w = TimeWindow(start: 7 * 60, end: 9 * 60).instants(on: date)
        return WorkTask(id: UUID(), planID: UUID(), planVersion: 1, orgID: UUID(), areaID: village.id, kind: .cleaning, name: "主街清扫", nominal: date, date: date,
                        windowStart: w.start, windowEnd: w.end, assignee: assignee ?? .team(team), state: state)
    }

    @Test func peopleDoTheirOwnTasksAndTheDispatcherReassigns() throws {
        let t = task()
        let member = TaskWorker(userID: person, teams: [team], dispatches: false)
        let outsider = TaskWorker(userID: stranger, teams: [], dispatches: false)
        let dispatcher = TaskWorker(userID: UUID(), teams: [], dispatches: true)
        let during = t.windowStart.addingTimeInterval(1800), after = t.windowEnd.addingTimeInterval(3600)
        // Someone not on the team may not touch it; a member starts and completes it, in its window: on time.
        #expect(throws: DomainError.self) { try WorkTaskWorkflow.apply(t, .start, by: outsider, now: during).get() }
        let started = try WorkTaskWorkflow.apply(t, .start, by: member, now: during).get()
        #expect(started.state == .started && started.startedAt == during && !started.isLate(at: during))
        let done = try WorkTaskWorkflow.apply(started, .complete(note: " 已清扫 "), by: member, now: during.addingTimeInterval(600)).get()
        #expect(done.state == .done && done.onTime == true && done.note == "已清扫" && done.doneBy == person)
        #expect(throws: DomainError.conflict(zh: "任务已完成", en: "the task is done already")) { try WorkTaskWorkflow.apply(done, .complete(note: nil), by: member, now: after).get() }
        // After the window: late, still allowed until a day after; then missed.
        #expect(t.isLate(at: after))
        #expect(try WorkTaskWorkflow.apply(t, .complete(note: nil), by: member, now: after).get().onTime == false)
        #expect(throws: DomainError.self) { try WorkTaskWorkflow.apply(t, .complete(note: nil), by: member, now: t.missedAt).get() }
        // Not before its day.
        #expect(throws: DomainError.self) { try WorkTaskWorkflow.apply(t, .start, by: member, now: t.windowStart.addingTimeInterval(-86_400)).get() }
        // Reassigning: the dispatcher only, within the company, an open task only.
        let to = Assignee.person(person)
        #expect(throws: DomainError.self) { try WorkTaskWorkflow.apply(t, .reassign(to), by: member, assignable: [to], now: during).get() }
        #expect(throws: DomainError.self) { try WorkTaskWorkflow.apply(t, .reassign(.person(stranger)), by: dispatcher, assignable: [to], now: during).get() }
        #expect(try WorkTaskWorkflow.apply(t, .reassign(to), by: dispatcher, assignable: [to], now: during).get().assignee == to)
        #expect(throws: DomainError.self) { try WorkTaskWorkflow.apply(done, .reassign(to), by: dispatcher, assignable: [to], now: during).get() }
        // A task given to one person is theirs, not their team's.
        #expect(!member.isAssigned(task(assignee: .person(stranger))) && member.isAssigned(task(assignee: .person(person))))
        #expect(throws: DomainError.self) { try WorkTaskWorkflow.apply(task(.superseded), .start, by: dispatcher, now: during).get() }
    }

    @Test func aTeamHoldsOnlyTheCompanysPeople() {
        let staff: Set<UUID> = [person, team]
        guard case .success(let t) = TeamRules.validate(TeamInput(name: " 保洁一组 ", kind: "cleaning", members: [person.uuidString, person.uuidString], lead: person.uuidString),
                                                         staff: staff, nameTaken: false) else { Issue.record("refused"); return }
        #expect(t.name == "保洁一组" && t.members == [person] && t.lead == person)
        guard case .failure(let p) = TeamRules.validate(TeamInput(name: "保洁一组", kind: "dancing", members: [stranger.uuidString], lead: UUID().uuidString),
                                                         staff: staff, nameTaken: true) else { Issue.record("accepted"); return }
        #expect(p.problems.map(\.field) == ["name", "kind", "members", "lead"])
    }
}

/// Patrol check-ins are judged, never refused (issue 18 §3).
@Suite("Operations: patrol check-ins")
struct PatrolCoreTests {
    let gate = GeoPoint(lat: 22.6500, long: 114.0300)

    func route() -> [Checkpoint] {
        [gate, gate.offset(eastMetres: 200, northMetres: 0), gate.offset(eastMetres: 200, northMetres: 200)].enumerated().map {
            Checkpoint(id: UUID(), code: "K\($0.offset)", name: "点\($0.offset + 1)", position: $0.element, radiusMetres: 30, order: $0.offset + 1,
                       dueWithinMinutes: $0.offset == 2 ? 30 : nil, photoRequired: false)
        }
    }

    @Test func eachKindOfSuspiciousScanIsFlagged() {
        let points = route()
        let start = Date(timeIntervalSince1970: 1_794_960_000)
        let window = (start: start, end: start.addingTimeInterval(3600))
        let t0 = start.addingTimeInterval(60)
        // A good scan at the first point, within its radius, the phone's clock right.
        let good = CheckinReport(position: gate.offset(eastMetres: 10, northMetres: 5), accuracy: 8, deviceTime: t0)
        #expect(CheckinAssessment.flags(good, at: points[0], route: points, earlier: [], window: window, now: t0).isEmpty)
        // 60 m away with ±10 m accuracy: outside a 30 m radius; with ±40 m it could be inside.
        let far = CheckinReport(position: gate.offset(eastMetres: 60, northMetres: 0), accuracy: 10, deviceTime: t0)
        #expect(CheckinAssessment.flags(far, at: points[0], route: points, earlier: [], window: window, now: t0) == [.outsideRadius])
        #expect(CheckinAssessment.flags(CheckinReport(position: far.position, accuracy: 40, deviceTime: t0), at: points[0], route: points, earlier: [], window: window, now: t0).isEmpty)
        // No position; a phone clock ten minutes off; before the round opens.
        #expect(CheckinAssessment.flags(CheckinReport(position: nil, accuracy: nil, deviceTime: t0), at: points[0], route: points, earlier: [], window: window, now: t0) == [.noPosition])
        #expect(CheckinAssessment.flags(CheckinReport(position: good.position, accuracy: 8, deviceTime: t0.addingTimeInterval(-600)), at: points[0], route: points,
                                        earlier: [], window: window, now: t0) == [.clockSkew])
        #expect(CheckinAssessment.flags(good, at: points[0], route: points, earlier: [], window: window, now: start.addingTimeInterval(-60)) == [.outsideWindow])
        // A checkpoint that asks for a photo: without one, flagged; with one, not.
        var photoPoint = points[0]
        photoPoint.photoRequired = true
        #expect(CheckinAssessment.flags(good, at: photoPoint, route: points, earlier: [], window: window, now: t0) == [.noPhoto])
        var withPhoto = good
        withPhoto.hasPhoto = true
        #expect(CheckinAssessment.flags(withPhoto, at: photoPoint, route: points, earlier: [], window: window, now: t0).isEmpty)
        let first = RecordedCheckin(checkpointID: points[0].id, position: good.position, serverTime: t0)
        // The second point 200 m on, 10 s later: 20 m/s is no patrol on foot.
        let t1 = t0.addingTimeInterval(10)
        #expect(CheckinAssessment.flags(CheckinReport(position: points[1].position, accuracy: 5, deviceTime: t1), at: points[1], route: points, earlier: [first],
                                        window: window, now: t1) == [.impossibleSpeed])
        // Its code scanned from where the first was (printed codes taken to one place): outside the radius and one spot.
        let t2 = t0.addingTimeInterval(300)
        #expect(CheckinAssessment.flags(CheckinReport(position: good.position, accuracy: 5, deviceTime: t2), at: points[1], route: points, earlier: [first],
                                        window: window, now: t2) == [.outsideRadius, .sameSpot])
        // The third point before the second: out of order; and after its own 30-minute limit.
        let t3 = start.addingTimeInterval(40 * 60)
        #expect(CheckinAssessment.flags(CheckinReport(position: points[2].position, accuracy: 5, deviceTime: t3), at: points[2], route: points, earlier: [first],
                                        window: window, now: t3) == [.outOfOrder, .outsideWindow])
        // Walked properly: no flags.
        let t4 = t0.addingTimeInterval(240)
        #expect(CheckinAssessment.flags(CheckinReport(position: points[1].position, accuracy: 5, deviceTime: t4), at: points[1], route: points, earlier: [first],
                                        window: window, now: t4).isEmpty)
    }

    /// A round walked scan by scan through `decide`: the first scan starts it, a flagged scan counts (and is counted),
    /// a scan again at a visited point moves nothing, the last checkpoint completes it; a scan with no round judges
    /// alone and leaves no state.
    @Test func scansMoveTheirRoundFromStartToDone() {
        let points = route()
        let start = Date(timeIntervalSince1970: 1_794_960_000)
        let patroller = TaskWorker(userID: UUID(), teams: [], dispatches: false)
        let day = LocalDate.beijing(start)
        var task = WorkTask(id: UUID(), planID: UUID(), planVersion: 1, orgID: UUID(), areaID: UUID(), kind: .patrol, name: "夜巡", nominal: day, date: day,
                            windowStart: start, windowEnd: start.addingTimeInterval(3600), assignee: .person(patroller.userID), state: .scheduled)
        var state = RoundState()
        func scan(_ i: Int, at minutes: Double, from position: GeoPoint? = nil) -> ScanDecision {
            let now = start.addingTimeInterval(minutes * 60)
            let d = CheckinAssessment.decide(CheckinReport(position: position ?? points[i].position, accuracy: 5, deviceTime: now), at: points[i], route: points,
                                             round: (task, (task.windowStart, task.windowEnd)), state: state, worker: patroller, now: now)
            if let moved = d.task { task = moved }
            state = d.state
            return d
        }
        let first = scan(0, at: 1)
        #expect(first.flags.isEmpty && first.task?.state == .started && state.visited == [points[0].id] && state.flagged == 0)
        let far = scan(1, at: 5, from: points[1].position.offset(eastMetres: 80, northMetres: 0))
        #expect(far.flags == [.outsideRadius] && far.task == nil && state.flagged == 1 && state.last?.checkpointID == points[1].id)
        let again = scan(1, at: 7)
        #expect(again.task == nil && state.visited.count == 2)
        let last = scan(2, at: 12)
        #expect(last.task?.state == .done && last.task?.doneBy == patroller.userID && state.visited.count == 3)
        #expect(RoundProgress(route: points, visited: state.visited, flagged: state.flagged).complete)
        // Scanned again once done: recorded, judged, nothing moves.
        #expect(scan(0, at: 20).task == nil)
        let alone = CheckinAssessment.decide(CheckinReport(position: points[0].position, accuracy: 5, deviceTime: start), at: points[0], route: points, round: nil,
                                             state: RoundState(), worker: patroller, now: start)
        #expect(alone.task == nil && alone.state == RoundState() && alone.flags.isEmpty)
    }

    @Test func aRoundIsCompleteWhenEveryCheckpointWasScanned() {
        let points = route()
        let partial = RoundProgress(route: points, checkins: [(points[0].id, []), (points[0].id, [.sameSpot]), (points[2].id, [.outOfOrder])])
        #expect(partial.visited == 2 && partial.total == 3 && partial.flagged == 2 && partial.missing == ["点2"] && !partial.complete && partial.percent == 66.7)
        let full = RoundProgress(route: points, checkins: points.map { ($0.id, []) })
        #expect(full.complete && full.percent == 100 && full.missing.isEmpty)
    }

    @Test func aRouteIsCheckedWhole() {
        let village = Area(id: UUID(), kind: .village, code: "440309005001001", name: "上塘村", parentID: nil, streetID: nil, path: [], shape: nil, centre: nil)
        let box = GeoBox(minLat: 22.64, minLong: 114.02, maxLat: 22.66, maxLong: 114.04)
        var n = 0
        let ok = PatrolRouteRules.validate(name: "夜间巡更", area: village, checkpoints: [CheckpointInput(name: "东门", lat: "22.65", long: "114.03"),
                                                                                         CheckpointInput(name: "祠堂", lat: "22.651", long: "114.031", radius: "50", dueWithinMinutes: "20")],
                                           within: box) { n += 1; return "C\(n)" }
        guard case .success(let route) = ok else { Issue.record("refused"); return }
        #expect(route.checkpoints.map(\.code) == ["C1", "C2"] && route.checkpoints.map(\.order) == [1, 2] && route.checkpoints[0].radiusMetres == 30)
        let bad = PatrolRouteRules.validate(name: "", area: nil, checkpoints: [CheckpointInput(name: "", lat: "91", long: "114"),
                                                                              CheckpointInput(name: "远处", lat: "23.5", long: "114.03", radius: "2")], within: box) { "X" }
        guard case .failure(let p) = bad else { Issue.record("accepted"); return }
        #expect(p.problems.map(\.field) == ["name", "area", "checkpoints[0].name", "checkpoints[0].position", "checkpoints[1].position", "checkpoints[1].radius"])
    }
}

@Suite("Workload and staffing")
struct WorkloadTests {
    @Test func peopleTeamsAndVillagesAreCountedFromTheTasks() {
        let (v1, v2, team, a, b) = (UUID(), UUID(), UUID(), UUID(), UUID())
        let t0 = Date(timeIntervalSince1970: 1_794_960_000)
        func h(_ x: Double) -> Date { t0.addingTimeInterval(x * 3600) }
        let tasks = [
            WorkloadTask(area: v1, team: team, state: .done, windowEnd: h(2), startedAt: h(0), doneAt: h(1), doneBy: a),        // 60 min, on time
            WorkloadTask(area: v1, team: team, state: .done, windowEnd: h(2), startedAt: h(24), doneAt: h(27), doneBy: a),      // 180 min, late
            WorkloadTask(area: v1, team: team, state: .missed, windowEnd: h(50), startedAt: nil, doneAt: nil, doneBy: nil),
            WorkloadTask(area: v2, team: nil, state: .done, windowEnd: h(2), startedAt: nil, doneAt: h(1), doneBy: b),          // never started: no minutes
            WorkloadTask(area: v2, team: nil, state: .scheduled, windowEnd: h(80), startedAt: nil, doneAt: nil, doneBy: nil),
            WorkloadTask(area: v2, team: team, state: .superseded, windowEnd: h(2), startedAt: nil, doneAt: nil, doneBy: nil),  // counts nowhere
        ]
        let w = Workload.of(tasks, day: { LocalDate.beijing($0) })
        #expect(w.people.first { $0.person == a } == .init(person: a, tasksDone: 2, minutesSpent: 240, daysWorked: 2))
        #expect(w.people.first { $0.person == b } == .init(person: b, tasksDone: 1, minutesSpent: 0, daysWorked: 1))
        #expect(w.teams == [.init(team: team, due: 3, done: 2, onTime: 1, missed: 1, completionRate: 66.7, onTimeRate: 33.3)])
        #expect(w.villages.first { $0.area == v1 } == .init(area: v1, tasksDue: 3, tasksDone: 2, people: 1, tasksPerPerson: 2, minutesSpent: 240))
        #expect(w.villages.first { $0.area == v2 } == .init(area: v2, tasksDue: 2, tasksDone: 1, people: 1, tasksPerPerson: 1, minutesSpent: 0))
    }
}
