import Foundation

/// The kinds of recurring work a steward is paid for (plan §6(1)–(3)).
public enum WorkKind: String, Sendable, Codable, CaseIterable {
    case cleaning, garbage, fireCheck, upkeep, disinfection, patrol, inspection

    public var label: LocalizedText {
        switch self {
        case .cleaning: LocalizedText(zh: "道路清扫保洁", en: "Street cleaning")
        case .garbage: LocalizedText(zh: "垃圾收运", en: "Garbage collection")
        case .fireCheck: LocalizedText(zh: "消防设施检查", en: "Fire-equipment check")
        case .upkeep: LocalizedText(zh: "设施维护保养", en: "Facility upkeep")
        case .disinfection: LocalizedText(zh: "消杀", en: "Disinfection")
        case .patrol: LocalizedText(zh: "巡查巡更", en: "Patrol")
        case .inspection: LocalizedText(zh: "巡检", en: "Inspection")
        }
    }
}

/// How often a plan's work recurs. Days of the week are ISO (1 = Monday … 7 = Sunday); a monthly day past the
/// month's end is its last day (31 = the last day of every month).
public enum Recurrence: Sendable, Equatable, Codable {
    case everyDays(Int)
    case weekly([Int])
    case monthly(Int)

    /// Whether the rule falls on `date`, counting every N days from `anchor`.
    public func falls(on date: LocalDate, anchor: LocalDate) -> Bool {
        switch self {
        case .everyDays(let n):
            let d = date.dayNumber - anchor.dayNumber
            return d >= 0 && d % max(n, 1) == 0
        case .weekly(let days):
            return days.contains(date.isoWeekday)
        case .monthly(let day):
            return date.day == min(day, BillingPeriod.daysIn(year: date.year, month: date.month))
        }
    }

    public var summary: LocalizedText {
        switch self {
        case .everyDays(1): return LocalizedText(zh: "每天", en: "every day")
        case .everyDays(let n): return LocalizedText(zh: "每 \(n) 天", en: "every \(n) days")
        case .weekly(let days):
            let zh = ["一", "二", "三", "四", "五", "六", "日"], en = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
            let sorted = days.sorted().filter { (1...7).contains($0) }
            return LocalizedText(zh: "每周" + sorted.map { zh[$0 - 1] }.joined(separator: "、"), en: "weekly on " + sorted.map { en[$0 - 1] }.joined(separator: ", "))
        case .monthly(let day):
            return day >= 31 ? LocalizedText(zh: "每月最后一天", en: "monthly on the last day")
                : LocalizedText(zh: "每月 \(day) 日", en: "monthly on day \(day)")
        }
    }
}

/// What a plan does with a date its rule falls on that is not a working day of the statutory calendar.
public enum HolidayRule: String, Sendable, Codable, CaseIterable {
    /// Every day, holidays included (street cleaning, garbage).
    case keep
    /// Weekends kept, statutory holidays skipped.
    case skipHolidays
    /// Working days only: a weekend or holiday is skipped.
    case skip
    /// Moved to the next working day (a monthly check due on a holiday).
    case nextWorkingDay
    /// Moved to the working day before.
    case previousWorkingDay

    public var label: LocalizedText {
        switch self {
        case .keep: LocalizedText(zh: "节假日照常", en: "Holidays included")
        case .skipHolidays: LocalizedText(zh: "法定节假日不做", en: "Skip statutory holidays")
        case .skip: LocalizedText(zh: "仅工作日", en: "Working days only")
        case .nextWorkingDay: LocalizedText(zh: "顺延至下一工作日", en: "Move to the next working day")
        case .previousWorkingDay: LocalizedText(zh: "提前至上一工作日", en: "Move to the working day before")
        }
    }
}

/// A time window within one day, in minutes after midnight, Beijing time.
public struct TimeWindow: Sendable, Equatable, Codable {
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        (self.start, self.end) = (start, end)
    }

    /// "HH:MM" into minutes after midnight; "24:00" is the day's end.
    public static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]),
              (0...24).contains(h), (0...59).contains(m), h * 60 + m <= 1440 else { return nil }
        return h * 60 + m
    }

    public static func text(_ minutes: Int) -> String {
        String(format: "%02d:%02d", minutes / 60, minutes % 60)
    }

    public var description: String { "\(Self.text(start))–\(Self.text(end))" }

    /// The window's start and end as instants on `date`.
    public func instants(on date: LocalDate) -> (start: Date, end: Date) {
        let midnight = date.beijingMidnight
        return (midnight.addingTimeInterval(Double(start * 60)), midnight.addingTimeInterval(Double(end * 60)))
    }
}

/// A plan's terms as typed, from a form or a JSON body: every value a string as it came.
public struct WorkPlanInput: Sendable, Equatable {
    public var name: String
    public var kind: String
    public var area: String
    /// "days", "weekly" or "monthly".
    public var repeats: String
    /// N for "days".
    public var every: String
    /// ISO weekdays for "weekly".
    public var weekdays: [String]
    /// The day of the month for "monthly".
    public var monthDay: String
    public var holidays: String
    public var windowStart: String
    public var windowEnd: String
    /// `team:<uuid>` or `person:<uuid>`, or empty (the dispatcher assigns each task).
    public var assignee: String
    public var starts: String
    public var ends: String
    public var matter: String
    /// A patrol plan's route (its id): each task is a round of it.
    public var route: String

    public init(name: String = "", kind: String = "", area: String = "", repeats: String = "", every: String = "", weekdays: [String] = [],
                monthDay: String = "", holidays: String = "", windowStart: String = "", windowEnd: String = "", assignee: String = "",
                starts: String = "", ends: String = "", matter: String = "", route: String = "") {
        (self.name, self.kind, self.area, self.repeats, self.every, self.weekdays, self.monthDay) = (name, kind, area, repeats, every, weekdays, monthDay)
        (self.holidays, self.windowStart, self.windowEnd, self.assignee, self.starts, self.ends, self.matter) = (holidays, windowStart, windowEnd, assignee, starts, ends, matter)
        self.route = route
    }

    public init(_ terms: WorkPlanTerms, areaCode: String) {
        self.init(name: terms.name, kind: terms.kind.rawValue, area: areaCode, holidays: terms.holidays.rawValue,
                  windowStart: TimeWindow.text(terms.window.start), windowEnd: TimeWindow.text(terms.window.end),
                  assignee: terms.assignee?.token ?? "", starts: terms.starts.description, ends: terms.ends?.description ?? "", matter: terms.matter ?? "",
                  route: terms.route.map { $0.uuidString.lowercased() } ?? "")
        switch terms.recurrence {
        case .everyDays(let n): (repeats, every) = ("days", String(n))
        case .weekly(let days): (repeats, weekdays) = ("weekly", days.map(String.init))
        case .monthly(let d): (repeats, monthDay) = ("monthly", String(d))
        }
    }
}

/// Who a task goes to: a team (any member may take it) or one person.
public enum Assignee: Sendable, Equatable, Hashable, Codable {
    case team(UUID)
    case person(UUID)

    public var token: String {
        switch self {
        case .team(let id): "team:\(id.uuidString.lowercased())"
        case .person(let id): "person:\(id.uuidString.lowercased())"
        }
    }

    public static func parse(_ text: String) -> Assignee? {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let id = UUID(uuidString: parts[1]) else { return nil }
        switch parts[0] {
        case "team": return .team(id)
        case "person": return .person(id)
        default: return nil
        }
    }

    public var teamID: UUID? { if case .team(let id) = self { id } else { nil } }
    public var personID: UUID? { if case .person(let id) = self { id } else { nil } }
}

/// A plan's terms as checked.
public struct WorkPlanTerms: Sendable, Equatable, Codable {
    public var name: String
    public var kind: WorkKind
    public var areaID: UUID
    public var recurrence: Recurrence
    public var holidays: HolidayRule
    public var window: TimeWindow
    public var assignee: Assignee?
    public var starts: LocalDate
    public var ends: LocalDate?
    /// The entrusted matter the work is done under, when it is one (a department then supervises it).
    public var matter: String?
    /// A patrol plan's route: each task is a round of it.
    public var route: UUID?

    public init(name: String, kind: WorkKind, areaID: UUID, recurrence: Recurrence, holidays: HolidayRule, window: TimeWindow,
                assignee: Assignee?, starts: LocalDate, ends: LocalDate?, matter: String?, route: UUID? = nil) {
        (self.name, self.kind, self.areaID, self.recurrence, self.holidays, self.window) = (name, kind, areaID, recurrence, holidays, window)
        (self.assignee, self.starts, self.ends, self.matter, self.route) = (assignee, starts, ends, matter, route)
    }
}

/// One version of a plan: its terms and the first day they apply to. Versions are never changed; a change of plan is
/// a new version from a date, so the tasks made under the old terms stay as they were.
public struct WorkPlanVersion: Sendable, Equatable, Codable {
    public var number: Int
    public var effectiveFrom: LocalDate
    public var terms: WorkPlanTerms
    public var reason: String?

    public init(number: Int, effectiveFrom: LocalDate, terms: WorkPlanTerms, reason: String?) {
        (self.number, self.effectiveFrom, self.terms, self.reason) = (number, effectiveFrom, terms, reason)
    }
}

/// The reference a plan is checked against: the areas the caller may plan for (by code), the teams and people of the
/// steward that holds them, and the matter codes that exist.
public struct PlanningReference: Sendable {
    public var areas: [String: Area]
    public var teams: Set<UUID>
    public var people: Set<UUID>
    public var matters: Set<String>
    /// The steward's patrol routes, by id, with the area each runs in.
    public var routes: [UUID: UUID]

    public init(areas: [String: Area], teams: Set<UUID>, people: Set<UUID>, matters: Set<String>, routes: [UUID: UUID] = [:]) {
        (self.areas, self.teams, self.people, self.matters, self.routes) = (areas, teams, people, matters, routes)
    }
}

public enum WorkPlanRules {
    public static let maxName = 60
    /// How far ahead a plan may start or a change apply: a year.
    public static let maxLead = 366

    /// Every problem of a plan's terms at once. `today` is the Beijing date: a plan cannot start in the past.
    public static func validate(_ input: WorkPlanInput, reference: PlanningReference, today: LocalDate, isChange: Bool = false) -> Result<WorkPlanTerms, FieldProblems> {
        var problems: [FieldProblem] = []
        func problem(_ field: String, _ zh: String, _ en: String) { problems.append(FieldProblem(field: field, reason: LocalizedText(zh: zh, en: en))) }
        let name = input.name.trimmingCharacters(in: .whitespaces)
        if name.isEmpty || name.count > maxName { problem("name", "请填写计划名称（不超过 \(maxName) 个字）", "give the plan a name (at most \(maxName) characters)") }
        let kind = WorkKind(rawValue: input.kind)
        if kind == nil { problem("kind", "请选择作业类别", "choose the kind of work") }
        let area = reference.areas[input.area.trimmingCharacters(in: .whitespaces)]
        if area == nil { problem("area", "请选择本单位负责的村（社区）", "choose a village your company runs") }
        var recurrence: Recurrence?
        switch input.repeats {
        case "days":
            if let n = Int(input.every.trimmingCharacters(in: .whitespaces)), (1...366).contains(n) { recurrence = .everyDays(n) } else {
                problem("every", "间隔天数为 1~366 的整数", "the interval is a whole number of days from 1 to 366")
            }
        case "weekly":
            let days = input.weekdays.compactMap { Int($0) }
            if days.isEmpty || days.count != input.weekdays.count || days.count > 7 || days.contains(where: { !(1...7).contains($0) }) {
                problem("weekdays", "请选择每周哪几天", "choose the days of the week")
            } else { recurrence = .weekly(Array(Set(days)).sorted()) }
        case "monthly":
            if let d = Int(input.monthDay.trimmingCharacters(in: .whitespaces)), (1...31).contains(d) { recurrence = .monthly(d) } else {
                problem("monthDay", "每月日期为 1~31（31 即月末）", "the day of the month is 1 to 31 (31: the last day)")
            }
        default: problem("repeats", "请选择重复方式：每 N 天、每周或每月", "choose how it repeats: every N days, weekly or monthly")
        }
        let holidays = HolidayRule(rawValue: input.holidays)
        if holidays == nil { problem("holidays", "请选择节假日如何处理", "choose what happens on holidays") }
        let start = TimeWindow.minutes(input.windowStart), end = TimeWindow.minutes(input.windowEnd)
        if start == nil { problem("windowStart", "开始时间应为 HH:MM", "the start time must be HH:MM") }
        if end == nil { problem("windowEnd", "结束时间应为 HH:MM", "the end time must be HH:MM") }
        if let s = start, let e = end, e <= s { problem("windowEnd", "结束时间应晚于开始时间", "the end must be after the start") }
        var assignee: Assignee?
        let who = input.assignee.trimmingCharacters(in: .whitespaces)
        if !who.isEmpty {
            switch Assignee.parse(who) {
            case .team(let id)? where reference.teams.contains(id): assignee = .team(id)
            case .person(let id)? where reference.people.contains(id): assignee = .person(id)
            default: problem("assignee", "请选择本单位的班组或人员", "choose a team or person of your company")
            }
        }
        let starts = LocalDate(input.starts.trimmingCharacters(in: .whitespaces))
        if let s = starts {
            if !isChange, s < today { problem("starts", "开始日期不能早于今天", "the plan cannot start before today") }
            if s.dayNumber > today.dayNumber + maxLead { problem("starts", "开始日期不能晚于一年后", "the plan must start within a year") }
        } else { problem("starts", "开始日期应为 YYYY-MM-DD", "the start date must be YYYY-MM-DD") }
        var ends: LocalDate?
        let endsText = input.ends.trimmingCharacters(in: .whitespaces)
        if !endsText.isEmpty {
            if let e = LocalDate(endsText) {
                if let s = starts, e < s { problem("ends", "结束日期早于开始日期", "the plan ends before it starts") } else { ends = e }
            } else { problem("ends", "结束日期应为 YYYY-MM-DD", "the end date must be YYYY-MM-DD") }
        }
        let matterText = input.matter.trimmingCharacters(in: .whitespaces)
        if !matterText.isEmpty, !reference.matters.contains(matterText) { problem("matter", "没有这个委托事项", "no entrusted matter has this code") }
        var route: UUID?
        let routeText = input.route.trimmingCharacters(in: .whitespaces)
        if !routeText.isEmpty {
            if kind != .patrol { problem("route", "只有巡查巡更计划有巡更路线", "only a patrol plan has a route") }
            else if let id = UUID(uuidString: routeText), let routeArea = reference.routes[id], area.map({ $0.id == routeArea || $0.path.contains(routeArea) }) ?? true {
                route = id
            } else { problem("route", "请选择本村的巡更路线", "choose a patrol route of this village") }
        }
        guard problems.isEmpty, let kind, let area, let recurrence, let holidays, let start, let end, let starts else { return .failure(FieldProblems(problems)) }
        return .success(WorkPlanTerms(name: name, kind: kind, areaID: area.id, recurrence: recurrence, holidays: holidays,
                                      window: TimeWindow(start: start, end: end), assignee: assignee, starts: starts, ends: ends,
                                      matter: matterText.isEmpty ? nil : matterText, route: route))
    }

    /// A change of terms from a date: not in the past (tasks already done or due stay as they were), not before
    /// the version in force began, within a year.
    public static func validateChange(from text: String, reason: String, current: WorkPlanVersion, today: LocalDate) -> Result<(LocalDate, String), FieldProblems> {
        var problems: [FieldProblem] = []
        func problem(_ field: String, _ zh: String, _ en: String) { problems.append(FieldProblem(field: field, reason: LocalizedText(zh: zh, en: en))) }
        let from = LocalDate(text.trimmingCharacters(in: .whitespaces))
        if let f = from {
            if f < today { problem("effectiveFrom", "变更只能从今天或以后生效", "a change takes effect today or later") }
            else if f < current.effectiveFrom { problem("effectiveFrom", "变更不能早于现行版本的生效日 \(current.effectiveFrom)", "a change cannot apply before the version in force (\(current.effectiveFrom))") }
            else if f.dayNumber > today.dayNumber + maxLead { problem("effectiveFrom", "生效日期不能晚于一年后", "a change takes effect within a year") }
        } else { problem("effectiveFrom", "生效日期应为 YYYY-MM-DD", "the effective date must be YYYY-MM-DD") }
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        if why.count < 2 || why.count > 500 { problem("reason", "请写明变更原因（2~500 字）", "give the reason for the change (2–500 characters)") }
        guard problems.isEmpty, let from else { return .failure(FieldProblems(problems)) }
        return .success((from, why))
    }
}

/// One task a plan makes: the date its rule falls on (`nominal`), the date it is done on after the holiday rule
/// (`date`), and its window.
public struct Occurrence: Sendable, Equatable {
    public var version: Int
    public var nominal: LocalDate
    public var date: LocalDate
    public var windowStart: Date
    public var windowEnd: Date
    public var assignee: Assignee?
}

public enum WorkPlanSchedule {
    /// The version whose terms apply to `date`: the last one effective on or before it.
    public static func version(on date: LocalDate, _ versions: [WorkPlanVersion]) -> WorkPlanVersion? {
        versions.filter { $0.effectiveFrom <= date }.max { $0.number < $1.number }
    }

    /// Every task the plan's versions make for nominal dates `from` through `through`, skipping the nominal dates in
    /// `taken` (a task for that day exists and is not superseded: a change never doubles the work).
    public static func occurrences(_ versions: [WorkPlanVersion], calendar: WorkingCalendar, from: LocalDate, through: LocalDate,
                                   taken: Set<LocalDate> = []) -> [Occurrence] {
        guard from <= through else { return [] }
        var out: [Occurrence] = []
        for day in from.dayNumber...through.dayNumber {
            let nominal = LocalDate(dayNumber: day)
            guard !taken.contains(nominal), let v = version(on: nominal, versions) else { continue }
            let t = v.terms
            guard nominal >= t.starts, t.ends.map({ nominal <= $0 }) ?? true, t.recurrence.falls(on: nominal, anchor: t.starts),
                  let date = moved(nominal, t.holidays, calendar) else { continue }
            let window = t.window.instants(on: date)
            out.append(Occurrence(version: v.number, nominal: nominal, date: date, windowStart: window.start, windowEnd: window.end, assignee: t.assignee))
        }
        return out
    }

    /// The date the work is done on, after the holiday rule; nil when it is skipped.
    public static func moved(_ date: LocalDate, _ rule: HolidayRule, _ calendar: WorkingCalendar) -> LocalDate? {
        switch rule {
        case .keep: return date
        case .skipHolidays: return calendar.holidayName(date) == nil ? date : nil
        case .skip: return calendar.isWorkingDay(date) ? date : nil
        case .nextWorkingDay, .previousWorkingDay:
            let step = rule == .nextWorkingDay ? 1 : -1
            var d = date
            // A holiday run is at most a few weeks; the bound keeps a calendar with no working day from looping.
            for _ in 0..<40 {
                if calendar.isWorkingDay(d) { return d }
                d = d.adding(days: step)
            }
            return nil
        }
    }
}
