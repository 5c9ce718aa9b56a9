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

    public init(number: String, village: UUID, deadline: Date, handledAt: Date?, reworks: Int, closedAt: Date?, supervised: Bool, rating: Int?) {
        (self.number, self.village, self.deadline, self.handledAt, self.reworks, self.closedAt, self.supervised, self.rating)
            = (number, village, deadline, handledAt, reworks, closedAt, supervised, rating)
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

    /// The measures of one village's cases due in a period, as of `end` (the period's end, or now while it runs).
    public static func of(_ cases: [AssessedCase], operations: OperationsMeasures?, end: Date) -> [IndicatorMeasure: Measured] {
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
        if let o = operations {
            out[.workPlanCompletionRate] = .rate(o.tasksDone, of: o.tasksDue)
            out[.patrolCompletionRate] = .rate(o.checkpointsVisited, of: o.checkpointsDue)
        }
        return out
    }
}
