import Foundation

/// Which days of a roster's period have the shift, read against the statutory working calendar.
public enum ShiftDays: Sendable, Equatable {
    /// Every day, holidays included (patrol, security, cleaning).
    case everyDay
    /// The calendar's working days: weekdays that are not holidays, and the swapped Saturdays and Sundays (调休上班).
    case workingDays
    /// Weekends and holidays that are not working days: the duty roster (节假日值班).
    case restDays
    /// Chosen days of the week (ISO, 1 = Monday), holidays included.
    case weekly([Int])

    public func falls(on date: LocalDate, calendar: WorkingCalendar) -> Bool {
        switch self {
        case .everyDay: true
        case .workingDays: calendar.isWorkingDay(date)
        case .restDays: !calendar.isWorkingDay(date)
        case .weekly(let days): days.contains(date.isoWeekday)
        }
    }

    /// The form's and the API's name for the rule.
    public var token: String {
        switch self {
        case .everyDay: "every"
        case .workingDays: "working"
        case .restDays: "rest"
        case .weekly: "weekly"
        }
    }

    public var label: LocalizedText {
        switch self {
        case .everyDay: LocalizedText(zh: "每天（含节假日）", en: "Every day, holidays included")
        case .workingDays: LocalizedText(zh: "法定工作日（含调休上班日）", en: "Working days (swapped workdays included)")
        case .restDays: LocalizedText(zh: "休息日与节假日值班", en: "Weekends and holidays (duty)")
        case .weekly: Recurrence.weekly(weekdays).summary
        }
    }

    public var weekdays: [Int] { if case .weekly(let d) = self { d } else { [] } }
}

/// A roster as typed: one team on one shift, every day the rule falls on from `from` through `through`.
public struct ShiftInput: Sendable, Equatable {
    public var team: String
    /// The area's code (a village, community or grid the steward serves).
    public var area: String
    public var from: String
    public var through: String
    /// "HH:MM", Beijing time; an end at or before the start ends the next day (a night shift).
    public var start: String
    public var end: String
    /// `every`, `working`, `rest` or `weekly` (with `weekdays`).
    public var days: String
    public var weekdays: [String]
    /// User ids; none: every member of the team.
    public var members: [String]
    public var note: String

    public init(team: String = "", area: String = "", from: String = "", through: String = "", start: String = "", end: String = "",
                days: String = "every", weekdays: [String] = [], members: [String] = [], note: String = "") {
        (self.team, self.area, self.from, self.through, self.start, self.end) = (team, area, from, through, start, end)
        (self.days, self.weekdays, self.members, self.note) = (days, weekdays, members, note)
    }
}

/// A roster as checked.
public struct ShiftTerms: Sendable, Equatable {
    public var team: UUID
    public var area: UUID
    public var from: LocalDate
    public var through: LocalDate
    /// Minutes after midnight, Beijing time.
    public var start: Int
    /// Minutes from start to end (up to a whole day).
    public var length: Int
    public var days: ShiftDays
    public var members: [UUID]
    public var note: String?

    public init(team: UUID, area: UUID, from: LocalDate, through: LocalDate, start: Int, length: Int, days: ShiftDays, members: [UUID], note: String?) {
        (self.team, self.area, self.from, self.through, self.start, self.length, self.days, self.members, self.note)
            = (team, area, from, through, start, length, days, members, note)
    }
}

/// What a roster is checked against: the areas the steward serves (code → id) and its teams with their members.
public struct ShiftReference: Sendable {
    public var areas: [String: UUID]
    public var teams: [UUID: [UUID]]

    public init(areas: [String: UUID], teams: [UUID: [UUID]]) {
        (self.areas, self.teams) = (areas, teams)
    }
}

/// One shift of a roster: its day and its instants.
public struct ShiftSlot: Sendable, Equatable {
    public var date: LocalDate
    public var start: Date
    public var end: Date

    public init(date: LocalDate, start: Date, end: Date) {
        (self.date, self.start, self.end) = (date, start, end)
    }
}

/// A person already on a shift, as far as a new roster must not overlap it.
public struct ShiftBooking: Sendable, Equatable {
    public var person: UUID
    public var start: Date
    public var end: Date

    public init(person: UUID, start: Date, end: Date) {
        (self.person, self.start, self.end) = (person, start, end)
    }
}

public enum ShiftRules {
    /// A roster covers at most a quarter (the tasks' and the figures' longest period).
    public static let maxDays = 92
    public static let maxNote = 200

    /// Every problem of the form at once (nothing about other shifts: `clashes` is asked once the terms hold).
    public static func validate(_ input: ShiftInput, reference: ShiftReference, today: LocalDate) -> Result<ShiftTerms, FieldProblems> {
        var problems: [FieldProblem] = []
        func problem(_ field: String, _ zh: String, _ en: String) { problems.append(FieldProblem(field: field, reason: LocalizedText(zh: zh, en: en))) }
        let teamText = input.team.trimmingCharacters(in: .whitespaces)
        let team = UUID(uuidString: teamText).flatMap { reference.teams[$0] != nil ? $0 : nil }
        if team == nil { problem("team", "请选择本单位的班组", "choose one of the company's teams") }
        let area = reference.areas[input.area.trimmingCharacters(in: .whitespaces)]
        if area == nil { problem("area", "请选择本单位服务的村（社区）或网格", "choose a village, community or grid the company serves") }
        let from = LocalDate(input.from.trimmingCharacters(in: .whitespaces)), through = LocalDate(input.through.trimmingCharacters(in: .whitespaces))
        if from == nil { problem("from", "开始日期应为 YYYY-MM-DD", "the first day is YYYY-MM-DD") }
        else if let from, from < today { problem("from", "不能为过去的日子排班", "a roster starts today or later") }
        if through == nil { problem("through", "结束日期应为 YYYY-MM-DD", "the last day is YYYY-MM-DD") }
        else if let from, let through, through < from || through.dayNumber - from.dayNumber >= maxDays {
            problem("through", "结束日期在开始日期之后，一次最多排 \(maxDays) 天", "the last day is on or after the first, at most \(maxDays) days in one roster")
        }
        let start = TimeWindow.minutes(input.start.trimmingCharacters(in: .whitespaces)), end = TimeWindow.minutes(input.end.trimmingCharacters(in: .whitespaces))
        if start == nil || start == 1440 { problem("start", "上班时间应为 HH:MM", "the start is HH:MM") }
        if end == nil { problem("end", "下班时间应为 HH:MM", "the end is HH:MM") }
        var days: ShiftDays?
        switch input.days {
        case "every": days = .everyDay
        case "working": days = .workingDays
        case "rest": days = .restDays
        case "weekly":
            let chosen = input.weekdays.map { Int($0.trimmingCharacters(in: .whitespaces)) }
            if chosen.isEmpty || chosen.contains(where: { $0 == nil || !(1...7).contains($0!) }) {
                problem("weekdays", "请选择每周的哪几天（1=周一 … 7=周日）", "choose the days of the week (1 = Monday … 7 = Sunday)")
            } else {
                days = .weekly(Array(Set(chosen.compactMap { $0 })).sorted())
            }
        default: problem("days", "请选择排班日：每天、工作日、休息日或每周几天", "choose the days: every, working, rest or weekly")
        }
        var members: [UUID] = []
        if let team, let all = reference.teams[team] {
            let ids = input.members.map { UUID(uuidString: $0.trimmingCharacters(in: .whitespaces)) }
            if ids.contains(nil) || ids.compactMap({ $0 }).contains(where: { !all.contains($0) }) {
                problem("members", "上班人员须是该班组成员", "the people on the shift are members of the team")
            } else {
                for id in ids.compactMap({ $0 }) where !members.contains(id) { members.append(id) }
                if members.isEmpty { members = all }
                if members.isEmpty { problem("members", "该班组还没有成员", "the team has no members yet") }
            }
        }
        let note = input.note.trimmingCharacters(in: .whitespacesAndNewlines)
        if note.count > maxNote { problem("note", "备注不超过 \(maxNote) 个字", "the note is at most \(maxNote) characters") }
        guard problems.isEmpty, let team, let area, let from, let through, let start, let end, let days else { return .failure(FieldProblems(problems)) }
        let length = end > start ? end - start : end + 1440 - start
        let terms = ShiftTerms(team: team, area: area, from: from, through: through, start: start, length: length, days: days, members: members,
                               note: note.isEmpty ? nil : note)
        return .success(terms)
    }

    /// The roster's shifts. A roster whose rule falls on none of its days is refused by `validate`'s caller with `noDays`.
    public static func slots(_ t: ShiftTerms, calendar: WorkingCalendar) -> [ShiftSlot] {
        var out: [ShiftSlot] = []
        for n in t.from.dayNumber...t.through.dayNumber {
            let date = LocalDate(dayNumber: n)
            guard t.days.falls(on: date, calendar: calendar) else { continue }
            let start = date.beijingMidnight.addingTimeInterval(Double(t.start * 60))
            out.append(ShiftSlot(date: date, start: start, end: start.addingTimeInterval(Double(t.length * 60))))
        }
        return out
    }

    public static let noDays = FieldProblem(field: "days", reason: LocalizedText(zh: "所选日期内没有符合规则的排班日", en: "the rule falls on none of the chosen days"))

    /// The people the roster would put on two shifts at once, each with the first shift of theirs it overlaps, in
    /// the order of the roster's members. `booked` are the shifts already held (cancelled ones left out).
    public static func clashes(_ t: ShiftTerms, slots: [ShiftSlot], booked: [ShiftBooking]) -> [(person: UUID, with: ShiftBooking)] {
        let byPerson = Dictionary(grouping: booked, by: \.person)
        var out: [(UUID, ShiftBooking)] = []
        for person in t.members {
            guard let held = byPerson[person] else { continue }
            if let hit = held.sorted(by: { $0.start < $1.start }).first(where: { b in slots.contains { $0.start < b.end && b.start < $0.end } }) {
                out.append((person, hit))
            }
        }
        return out
    }

    /// The problem naming who clashes (at most three by name), for the form's members field.
    public static func clashProblem(_ clashes: [(person: UUID, with: ShiftBooking)], name: (UUID) -> String) -> FieldProblem? {
        guard !clashes.isEmpty else { return nil }
        let shown = clashes.prefix(3).map { c in
            let day = LocalDate.beijing(c.with.start), minutes = Int(c.with.start.timeIntervalSince(day.beijingMidnight) / 60)
            return (name(c.person), "\(day) \(TimeWindow.text(minutes))")
        }
        let more = clashes.count > 3 ? clashes.count - 3 : 0
        return FieldProblem(field: "members", reason: LocalizedText(
            zh: shown.map { "\($0.0) 已在 \($0.1) 的班次上" }.joined(separator: "；") + (more > 0 ? "；另有 \(more) 人" : "") + "：同一人不能同时上两个班",
            en: shown.map { "\($0.0) is already on the shift of \($0.1)" }.joined(separator: "; ") + (more > 0 ? "; and \(more) more" : "")
                + ": nobody is on two shifts at once"))
    }
}

/// One shift as its workload is read: who was on it, where and when.
public struct RosteredShift: Sendable, Equatable {
    public var id: UUID
    public var team: UUID
    public var area: UUID
    public var start: Date
    public var end: Date
    public var members: [UUID]

    public init(id: UUID, team: UUID, area: UUID, start: Date, end: Date, members: [UUID]) {
        (self.id, self.team, self.area, self.start, self.end, self.members) = (id, team, area, start, end, members)
    }
}

/// A task as the shift figures read it.
public struct ShiftTask: Sendable, Equatable {
    public var team: UUID?
    public var person: UUID?
    public var windowStart: Date
    public var startedAt: Date?
    public var doneAt: Date?
    public var doneBy: UUID?

    public init(team: UUID?, person: UUID?, windowStart: Date, startedAt: Date?, doneAt: Date?, doneBy: UUID?) {
        (self.team, self.person, self.windowStart, self.startedAt, self.doneAt, self.doneBy) = (team, person, windowStart, startedAt, doneAt, doneBy)
    }
}

/// A case given to a team or a person, or a step someone recorded on a case, with when.
public struct ShiftCaseEvent: Sendable, Equatable {
    public var caseID: UUID
    public var team: UUID?
    public var person: UUID?
    public var at: Date

    public init(caseID: UUID, team: UUID?, person: UUID?, at: Date) {
        (self.caseID, self.team, self.person, self.at) = (caseID, team, person, at)
    }
}

/// Tasks and cases per shift (issue 18 §5): what was due from the shift, what its people did during it, and the cases
/// that reached it or that its people worked on.
public struct ShiftLoad: Sendable, Equatable {
    public var shift: UUID
    public var people: Int
    /// People × hours of the shift.
    public var personHours: Double
    /// Tasks of the team or its people whose window opened during the shift.
    public var tasksDue: Int
    /// Tasks its people finished during the shift (whoever they were given to).
    public var tasksDone: Int
    /// Minutes from start to done of those.
    public var minutesSpent: Int
    /// Cases given to the team or one of its people during the shift.
    public var casesAssigned: Int
    /// Cases on which its people recorded a step during the shift.
    public var casesWorked: Int

    public init(shift: UUID, people: Int, personHours: Double, tasksDue: Int, tasksDone: Int, minutesSpent: Int, casesAssigned: Int, casesWorked: Int) {
        (self.shift, self.people, self.personHours, self.tasksDue, self.tasksDone) = (shift, people, personHours, tasksDue, tasksDone)
        (self.minutesSpent, self.casesAssigned, self.casesWorked) = (minutesSpent, casesAssigned, casesWorked)
    }

    public static func of(_ shifts: [RosteredShift], tasks: [ShiftTask], assignments: [ShiftCaseEvent], steps: [ShiftCaseEvent]) -> [ShiftLoad] {
        shifts.map { s in
            let people = Set(s.members)
            func during(_ d: Date?) -> Bool { d.map { s.start <= $0 && $0 < s.end } ?? false }
            func ours(team: UUID?, person: UUID?) -> Bool { team == s.team || person.map(people.contains) == true }
            let due = tasks.filter { during($0.windowStart) && ours(team: $0.team, person: $0.person) }.count
            let done = tasks.filter { during($0.doneAt) && $0.doneBy.map(people.contains) == true }
            let minutes = done.reduce(0) { sum, t in
                guard let a = t.startedAt, let b = t.doneAt, b >= a else { return sum }
                return sum + Int((b.timeIntervalSince(a) / 60).rounded())
            }
            let assigned = Set(assignments.filter { during($0.at) && ours(team: $0.team, person: $0.person) }.map(\.caseID)).count
            let worked = Set(steps.filter { during($0.at) && $0.person.map(people.contains) == true }.map(\.caseID)).count
            let hours = Double(s.members.count) * s.end.timeIntervalSince(s.start) / 3600
            return ShiftLoad(shift: s.id, people: s.members.count, personHours: (hours * 10).rounded() / 10, tasksDue: due, tasksDone: done.count,
                             minutesSpent: minutes, casesAssigned: assigned, casesWorked: worked)
        }
    }
}

/// Rostered staff per village over a period, beside the work done there (the plan's "optimise staffing", §3(3)).
public struct RosteredStaff: Sendable, Equatable {
    public var area: UUID
    public var shifts: Int
    /// Distinct people on its shifts.
    public var people: Int
    public var personHours: Double

    public init(area: UUID, shifts: Int, people: Int, personHours: Double) {
        (self.area, self.shifts, self.people, self.personHours) = (area, shifts, people, personHours)
    }
}
