import Foundation

/// One task as the workload figures read it.
public struct WorkloadTask: Sendable, Equatable {
    public var area: UUID
    public var team: UUID?
    public var state: WorkTaskState
    public var windowEnd: Date
    public var startedAt: Date?
    public var doneAt: Date?
    public var doneBy: UUID?

    public init(area: UUID, team: UUID?, state: WorkTaskState, windowEnd: Date, startedAt: Date?, doneAt: Date?, doneBy: UUID?) {
        (self.area, self.team, self.state, self.windowEnd, self.startedAt, self.doneAt, self.doneBy) = (area, team, state, windowEnd, startedAt, doneAt, doneBy)
    }
}

/// Workload per person and per team, and staffing per village (plan §3(3): optimise staffing), over a period.
public struct Workload: Sendable, Equatable {
    public struct Person: Sendable, Equatable {
        public var person: UUID
        public var tasksDone: Int
        /// Minutes from start to done, summed over the tasks done that were started first.
        public var minutesSpent: Int
        /// Days with at least one task done (the days worked, as far as the tasks show).
        public var daysWorked: Int

        public init(person: UUID, tasksDone: Int, minutesSpent: Int, daysWorked: Int) {
            (self.person, self.tasksDone, self.minutesSpent, self.daysWorked) = (person, tasksDone, minutesSpent, daysWorked)
        }
    }

    public struct Team: Sendable, Equatable {
        public var team: UUID
        public var due: Int
        public var done: Int
        public var onTime: Int
        public var missed: Int
        public var completionRate: Double?
        public var onTimeRate: Double?

        public init(team: UUID, due: Int, done: Int, onTime: Int, missed: Int, completionRate: Double?, onTimeRate: Double?) {
            (self.team, self.due, self.done, self.onTime, self.missed, self.completionRate, self.onTimeRate) = (team, due, done, onTime, missed, completionRate, onTimeRate)
        }
    }

    public struct Village: Sendable, Equatable {
        public var area: UUID
        public var tasksDue: Int
        public var tasksDone: Int
        /// People who did any of its tasks in the period.
        public var people: Int
        /// Tasks done per person who worked there (nil without anyone).
        public var tasksPerPerson: Double?
        public var minutesSpent: Int
        /// The roster beside the work: shifts, people and person-hours rostered there in the period.
        public var rostered: RosteredStaff?
        /// Tasks done per rostered person-hour (nil without a roster).
        public var tasksPerRosteredHour: Double?

        public init(area: UUID, tasksDue: Int, tasksDone: Int, people: Int, tasksPerPerson: Double?, minutesSpent: Int, rostered: RosteredStaff? = nil) {
            (self.area, self.tasksDue, self.tasksDone, self.people, self.tasksPerPerson, self.minutesSpent) = (area, tasksDue, tasksDone, people, tasksPerPerson, minutesSpent)
            self.rostered = rostered
            tasksPerRosteredHour = rostered.flatMap { $0.personHours > 0 ? (Double(tasksDone) / $0.personHours * 100).rounded() / 100 : nil }
        }
    }

    public var people: [Person]
    public var teams: [Team]
    public var villages: [Village]

    static func rate(_ part: Int, _ whole: Int) -> Double? { whole == 0 ? nil : (Double(part) / Double(whole) * 1000).rounded() / 10 }

    /// `day` maps an instant to the day it counts on (Beijing). Superseded tasks count nowhere. `rostered` is the
    /// staff the shifts put in each area over the same period: a village with a roster and no tasks is listed too.
    public static func of(_ tasks: [WorkloadTask], rostered: [RosteredStaff] = [], day: (Date) -> LocalDate) -> Workload {
        let counted = tasks.filter { $0.state != .superseded }
        func minutes(_ t: WorkloadTask) -> Int {
            guard let s = t.startedAt, let d = t.doneAt, d >= s else { return 0 }
            return Int((d.timeIntervalSince(s) / 60).rounded())
        }
        var people: [UUID: (done: Int, minutes: Int, days: Set<LocalDate>)] = [:]
        for t in counted where t.state == .done {
            guard let who = t.doneBy else { continue }
            var p = people[who] ?? (0, 0, [])
            p.done += 1
            p.minutes += minutes(t)
            if let d = t.doneAt { p.days.insert(day(d)) }
            people[who] = p
        }
        var teams: [UUID: (due: Int, done: Int, onTime: Int, missed: Int)] = [:]
        for t in counted {
            guard let team = t.team else { continue }
            var x = teams[team] ?? (0, 0, 0, 0)
            x.due += 1
            if t.state == .done { x.done += 1; if let d = t.doneAt, d <= t.windowEnd { x.onTime += 1 } }
            if t.state == .missed { x.missed += 1 }
            teams[team] = x
        }
        var villages: [UUID: (due: Int, done: Int, people: Set<UUID>, minutes: Int)] = [:]
        for t in counted {
            var v = villages[t.area] ?? (0, 0, [], 0)
            v.due += 1
            if t.state == .done {
                v.done += 1
                v.minutes += minutes(t)
                if let who = t.doneBy { v.people.insert(who) }
            }
            villages[t.area] = v
        }
        let roster = Dictionary(rostered.map { ($0.area, $0) }, uniquingKeysWith: { a, _ in a })
        for area in roster.keys where villages[area] == nil { villages[area] = (0, 0, [], 0) }
        return Workload(
            people: people.map { Person(person: $0.key, tasksDone: $0.value.done, minutesSpent: $0.value.minutes, daysWorked: $0.value.days.count) }
                .sorted { ($0.tasksDone, $0.person.uuidString) > ($1.tasksDone, $1.person.uuidString) },
            teams: teams.map { Team(team: $0.key, due: $0.value.due, done: $0.value.done, onTime: $0.value.onTime, missed: $0.value.missed,
                                    completionRate: rate($0.value.done, $0.value.due), onTimeRate: rate($0.value.onTime, $0.value.due)) }
                .sorted { $0.team.uuidString < $1.team.uuidString },
            villages: villages.map { Village(area: $0.key, tasksDue: $0.value.due, tasksDone: $0.value.done, people: $0.value.people.count,
                                             tasksPerPerson: $0.value.people.isEmpty ? nil : (Double($0.value.done) / Double($0.value.people.count) * 10).rounded() / 10,
                                             minutesSpent: $0.value.minutes, rostered: roster[$0.key]) }
                .sorted { $0.area.uuidString < $1.area.uuidString })
    }
}
