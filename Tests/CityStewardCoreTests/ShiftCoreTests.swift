import CityStewardCore
import Foundation
import Testing

@Suite("Shifts on the working calendar")
struct ShiftCoreTests {
    // 2027: New Year 1–3 January (Fri–Sun), Saturday 9 January a swapped workday.
    let calendar = WorkingCalendar(years: [HolidayYear(year: 2027, holidays: [(LocalDate("2027-01-01")!, LocalDate("2027-01-03")!, "元旦")],
                                                       workdays: [LocalDate("2027-01-09")!])])
    let today = LocalDate("2026-12-30")!
    let team = UUID(), area = UUID()
    let ann = UUID(), bo = UUID(), cy = UUID()
    var reference: ShiftReference { ShiftReference(areas: ["440309001001": area], teams: [team: [ann, bo]]) }

    func input(from: String = "2027-01-01", through: String = "2027-01-10", start: String = "08:00", end: String = "17:00", days: String = "every",
               weekdays: [String] = [], members: [String] = []) -> ShiftInput {
        ShiftInput(team: team.uuidString, area: "440309001001", from: from, through: through, start: start, end: end, days: days, weekdays: weekdays,
                   members: members)
    }

    func terms(_ i: ShiftInput) throws -> ShiftTerms {
        switch ShiftRules.validate(i, reference: reference, today: today) {
        case .success(let t): return t
        case .failure(let p): Issue.record("refused: \(p.problems.map(\.field))"); throw p
        }
    }

    @Test func aRosterWithoutPeopleNamedPutsTheWholeTeamOnIt() throws {
        let t = try terms(input())
        #expect(t.members == [ann, bo])
        #expect(t.start == 480 && t.length == 540)
        #expect(try terms(input(members: [bo.uuidString, bo.uuidString])).members == [bo])
    }

    @Test func everyProblemOfTheFormComesBackByField() {
        let bad = ShiftInput(team: UUID().uuidString, area: "nowhere", from: "2026-12-01", through: "2027-12-01", start: "25:00", end: "9am",
                             days: "weekly", weekdays: ["8"], members: [], note: String(repeating: "字", count: 201))
        guard case .failure(let p) = ShiftRules.validate(bad, reference: reference, today: today) else { Issue.record("accepted"); return }
        #expect(Set(p.problems.map(\.field)) == ["team", "area", "from", "through", "start", "end", "weekdays", "note"])
        let late = input(from: "2027-01-01", through: "2027-04-03")
        guard case .failure(let q) = ShiftRules.validate(late, reference: reference, today: today) else { Issue.record("93 days accepted"); return }
        #expect(q.problems.map(\.field) == ["through"])
        guard case .failure(let r) = ShiftRules.validate(input(members: [cy.uuidString]), reference: reference, today: today) else { Issue.record("outsider accepted"); return }
        #expect(r.problems.map(\.field) == ["members"])
        guard case .failure(let d) = ShiftRules.validate(input(days: "fortnightly"), reference: reference, today: today) else { Issue.record("unknown rule accepted"); return }
        #expect(d.problems.map(\.field) == ["days"])
    }

    @Test func theDaysFollowTheStatutoryCalendar() throws {
        func dates(_ i: ShiftInput) throws -> [String] { ShiftRules.slots(try terms(i), calendar: calendar).map(\.date.description) }
        #expect(try dates(input()).count == 10)
        // Working days: the holiday and the weekend out, the swapped Saturday in.
        #expect(try dates(input(days: "working")) == ["2027-01-04", "2027-01-05", "2027-01-06", "2027-01-07", "2027-01-08", "2027-01-09"])
        #expect(try dates(input(days: "rest")) == ["2027-01-01", "2027-01-02", "2027-01-03", "2027-01-10"])
        #expect(try dates(input(days: "weekly", weekdays: ["1", "5"])) == ["2027-01-01", "2027-01-04", "2027-01-08"])
    }

    @Test func aNightShiftEndsTheNextMorningInBeijingTime() throws {
        let t = try terms(input(from: "2027-01-04", through: "2027-01-04", start: "20:00", end: "08:00"))
        let slot = try #require(ShiftRules.slots(t, calendar: calendar).first)
        #expect(t.length == 720)
        #expect(slot.start == ISO8601DateFormatter().date(from: "2027-01-04T12:00:00Z"))
        #expect(slot.end == ISO8601DateFormatter().date(from: "2027-01-05T00:00:00Z"))
        // Start equal to end: a whole day.
        #expect(try terms(input(start: "08:00", end: "08:00")).length == 1440)
    }

    @Test func nobodyIsOnTwoShiftsAtOnce() throws {
        let t = try terms(input(from: "2027-01-04", through: "2027-01-05"))
        let slots = ShiftRules.slots(t, calendar: calendar)
        let iso = ISO8601DateFormatter()
        // Bo's night shift ends at 08:00 on the 5th, when the new day shift starts: no overlap. Ann's ends at 09:00.
        let bo1 = ShiftBooking(person: bo, start: iso.date(from: "2027-01-04T12:00:00Z")!, end: iso.date(from: "2027-01-05T00:00:00Z")!)
        let ann1 = ShiftBooking(person: ann, start: iso.date(from: "2027-01-04T13:00:00Z")!, end: iso.date(from: "2027-01-05T01:00:00Z")!)
        let clashes = ShiftRules.clashes(t, slots: slots, booked: [bo1, ann1])
        #expect(clashes.map(\.person) == [ann])
        let problem = try #require(ShiftRules.clashProblem(clashes, name: { $0 == ann ? "张敏" : "?" }))
        #expect(problem.field == "members")
        #expect(problem.reason.zh.contains("张敏 已在 2027-01-04 21:00 的班次上"))
        #expect(ShiftRules.clashProblem([], name: { _ in "" }) == nil)
    }

    @Test func eachShiftCountsWhatHappenedDuringIt() {
        let iso = ISO8601DateFormatter()
        func at(_ s: String) -> Date { iso.date(from: s)! }
        let shift = RosteredShift(id: UUID(), team: team, area: area, start: at("2027-01-04T00:00:00Z"), end: at("2027-01-04T09:00:00Z"), members: [ann, bo])
        let otherTeam = UUID(), case1 = UUID(), case2 = UUID()
        let tasks = [
            // Due in the shift for the team, done by Ann in it after 30 minutes.
            ShiftTask(team: team, person: nil, windowStart: at("2027-01-04T01:00:00Z"), startedAt: at("2027-01-04T01:00:00Z"), doneAt: at("2027-01-04T01:30:00Z"), doneBy: ann),
            // Due in the shift for Bo, not done.
            ShiftTask(team: nil, person: bo, windowStart: at("2027-01-04T02:00:00Z"), startedAt: nil, doneAt: nil, doneBy: nil),
            // Another team's, but Bo finished it during the shift.
            ShiftTask(team: otherTeam, person: nil, windowStart: at("2027-01-03T23:00:00Z"), startedAt: nil, doneAt: at("2027-01-04T03:00:00Z"), doneBy: bo),
            // The team's, after the shift.
            ShiftTask(team: team, person: nil, windowStart: at("2027-01-04T10:00:00Z"), startedAt: nil, doneAt: nil, doneBy: nil),
        ]
        let given = [ShiftCaseEvent(caseID: case1, team: team, person: nil, at: at("2027-01-04T02:00:00Z")),
                     ShiftCaseEvent(caseID: case2, team: otherTeam, person: nil, at: at("2027-01-04T02:00:00Z"))]
        let steps = [ShiftCaseEvent(caseID: case1, team: nil, person: ann, at: at("2027-01-04T04:00:00Z")),
                     ShiftCaseEvent(caseID: case1, team: nil, person: bo, at: at("2027-01-04T05:00:00Z")),
                     ShiftCaseEvent(caseID: case2, team: nil, person: cy, at: at("2027-01-04T05:00:00Z"))]
        let load = ShiftLoad.of([shift], tasks: tasks, assignments: given, steps: steps)
        #expect(load == [ShiftLoad(shift: shift.id, people: 2, personHours: 18, tasksDue: 2, tasksDone: 2, minutesSpent: 30, casesAssigned: 1, casesWorked: 1)])
    }

    @Test func staffingSetsTheRosterBesideTheWorkDone() {
        let quiet = UUID()
        let done = WorkloadTask(area: area, team: team, state: .done, windowEnd: Date(timeIntervalSince1970: 100), startedAt: nil,
                                doneAt: Date(timeIntervalSince1970: 50), doneBy: ann)
        let w = Workload.of(Array(repeating: done, count: 9), rostered: [RosteredStaff(area: area, shifts: 2, people: 2, personHours: 18),
                                                                          RosteredStaff(area: quiet, shifts: 1, people: 1, personHours: 8)],
                            day: { LocalDate.beijing($0) })
        let busy = w.villages.first { $0.area == area }, idle = w.villages.first { $0.area == quiet }
        #expect(busy?.tasksPerRosteredHour == 0.5 && busy?.rostered?.people == 2)
        #expect(idle?.tasksDone == 0 && idle?.tasksPerRosteredHour == 0 && idle?.rostered?.personHours == 8)
    }
}
