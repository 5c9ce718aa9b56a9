import Foundation

/// A case as the assessment reads it: due in the period (its deadline falls in it), with when it was first handled,
/// whether it was sent back, when it closed, whether it was supervised, and the resident's rating.
public struct AssessedCase: Sendable, Equatable {
    public var number: String
    public var village: UUID
    public var deadline: Date
    public var handledAt: Date?
    public var reworks: Int
    public var closedAt: Date?
    public var supervised: Bool
    public var rating: Int?
    public var reportedAt: Date?
    /// The first response: accepted by the responsible party, or handled (on the spot) before that.
    public var respondedAt: Date?
    /// Times the reporter had it reopened (重新办理).
    public var reopens: Int
    /// A resident's report (asked for a rating once closed).
    public var fromResident: Bool

    public init(number: String, village: UUID, deadline: Date, handledAt: Date?, reworks: Int, closedAt: Date?, supervised: Bool, rating: Int?,
                reportedAt: Date? = nil, respondedAt: Date? = nil, reopens: Int = 0, fromResident: Bool = false) {
        (self.number, self.village, self.deadline, self.handledAt, self.reworks, self.closedAt, self.supervised, self.rating)
            = (number, village, deadline, handledAt, reworks, closedAt, supervised, rating)
        (self.reportedAt, self.respondedAt, self.reopens, self.fromResident) = (reportedAt, respondedAt, reopens, fromResident)
    }
}

/// Work-plan and patrol figures of one village for the period.
public struct OperationsMeasures: Sendable, Equatable {
    public var tasksDue: Int
    public var tasksDone: Int
    public var checkpointsDue: Int
    public var checkpointsVisited: Int

    public init(tasksDue: Int, tasksDone: Int, checkpointsDue: Int, checkpointsVisited: Int) {
        (self.tasksDue, self.tasksDone, self.checkpointsDue, self.checkpointsVisited) = (tasksDue, tasksDone, checkpointsDue, checkpointsVisited)
    }
}

public enum CaseMeasures {
    /// How many record references an indicator lists as its evidence.
    public static let evidenceLimit = 20

    /// The measures of one village's cases due in a period, as of `end` (the period's end, or now while it runs); the
    /// median times count working hours on `calendar` (none without one).
    public static func of(_ cases: [AssessedCase], operations: OperationsMeasures?, end: Date, calendar: WorkingCalendar? = nil) -> [IndicatorMeasure: Measured] {
        func refs(_ list: [AssessedCase]) -> [String] { Array(list.map(\.number).sorted().prefix(evidenceLimit)) }
        let handled = cases.filter { $0.handledAt.map { $0 <= end } ?? false }
        let late = cases.filter { c in !(c.handledAt.map { $0 <= c.deadline } ?? false) && (c.handledAt != nil || c.deadline < end) }
        let closed = cases.filter { $0.closedAt.map { $0 <= end } ?? false }
        let closedNumbers = Set(closed.map(\.number))
        let closedLate = cases.filter { c in !(c.closedAt.map { $0 <= c.deadline } ?? false) && (c.closedAt != nil || c.deadline < end) }
        let reworked = handled.filter { $0.reworks > 0 }
        let overdue = cases.filter { c in c.deadline < end && !(c.handledAt.map { $0 <= end } ?? false) }
        let supervised = cases.filter(\.supervised)
        let rated = cases.filter { $0.rating != nil }
        let unsatisfied = rated.filter { $0.rating! < 4 }
        // Cases not yet due by `end` are not yet counted against on-time rates.
        let dueByEnd = cases.filter { $0.deadline < end || $0.handledAt != nil }
        let closableByEnd = cases.filter { $0.deadline < end || $0.closedAt != nil }
        var out: [IndicatorMeasure: Measured] = [
            .onTimeHandlingRate: .rate(dueByEnd.count - late.count, of: dueByEnd.count, evidence: refs(late)),
            .closureRate: .rate(closed.count, of: closableByEnd.count, evidence: refs(closableByEnd.filter { !closedNumbers.contains($0.number) })),
            .onTimeClosureRate: .rate(closableByEnd.count - closedLate.count, of: closableByEnd.count, evidence: refs(closedLate)),
            .reworkRate: .rate(reworked.count, of: handled.count, evidence: refs(reworked)),
            // Counts of a village with no case due are not zero problems but nothing to measure.
            .overdueCases: cases.isEmpty ? Measured(value: nil) : .count(overdue.count, evidence: refs(overdue)),
            .supervisedCases: cases.isEmpty ? Measured(value: nil) : .count(supervised.count, evidence: refs(supervised)),
            .satisfiedShare: .rate(rated.count - unsatisfied.count, of: rated.count, evidence: refs(unsatisfied)),
            .meanRating: rated.isEmpty ? Measured(value: nil) : Measured(
                value: (Double(rated.reduce(0) { $0 + $1.rating! }) / Double(rated.count) * 100).rounded() / 100,
                numerator: Double(rated.reduce(0) { $0 + $1.rating! }), denominator: Double(rated.count), evidence: refs(unsatisfied)),
        ]
        // Verification concluded: passed (closed) or sent back at least once.
        let verified = handled.filter { $0.reworks > 0 || ($0.closedAt.map { $0 <= end } ?? false) }
        out[.firstPassRate] = .rate(verified.count - verified.filter { $0.reworks > 0 }.count, of: verified.count, evidence: refs(reworked))
        let reopened = closed.filter { $0.reopens > 0 }
        out[.reopenRate] = .rate(reopened.count, of: closed.count, evidence: refs(reopened))
        let residentClosed = closed.filter(\.fromResident)
        out[.ratingAnswerRate] = .rate(residentClosed.filter { $0.rating != nil }.count, of: residentClosed.count,
                                       evidence: refs(residentClosed.filter { $0.rating == nil }))
        if let calendar {
            func median(_ pairs: [(AssessedCase, Date)]) -> Measured {
                let hours = pairs.compactMap { c, at in c.reportedAt.map { (c, calendar.workingSeconds(from: $0, to: at) / 3600) } }.sorted { $0.1 < $1.1 }
                guard !hours.isEmpty else { return Measured(value: nil) }
                let n = hours.count
                let m = n % 2 == 1 ? hours[n / 2].1 : (hours[n / 2 - 1].1 + hours[n / 2].1) / 2
                // The evidence: the slowest cases, slowest first.
                return Measured(value: (m * 10).rounded() / 10, evidence: Array(hours.reversed().prefix(evidenceLimit).map(\.0.number)))
            }
            out[.medianResponseHours] = median(cases.compactMap { c in c.respondedAt.flatMap { $0 <= end ? (c, $0) : nil } })
            out[.medianHandlingHours] = median(cases.compactMap { c in c.handledAt.flatMap { $0 <= end ? (c, $0) : nil } })
        }
        if let o = operations {
            out[.workPlanCompletionRate] = .rate(o.tasksDone, of: o.tasksDue)
            out[.patrolCompletionRate] = .rate(o.checkpointsVisited, of: o.checkpointsDue)
        }
        return out
    }
}
