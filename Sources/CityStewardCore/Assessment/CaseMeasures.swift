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
    /// A 12345 transfer: with residents' reports, what the complaints-per-households figure counts.
    public var fromHotline: Bool
    /// Working hours from the report to the first response and to the first handling, as stored with the case
    /// (`CaseMilestones`); nil: counted on the calendar given to the summary.
    public var responseHours: Double?
    public var handlingHours: Double?

    public init(number: String, village: UUID, deadline: Date, handledAt: Date?, reworks: Int, closedAt: Date?, supervised: Bool, rating: Int?,
                reportedAt: Date? = nil, respondedAt: Date? = nil, reopens: Int = 0, fromResident: Bool = false,
                responseHours: Double? = nil, handlingHours: Double? = nil, fromHotline: Bool = false) {
        (self.number, self.village, self.deadline, self.handledAt, self.reworks, self.closedAt, self.supervised, self.rating)
            = (number, village, deadline, handledAt, reworks, closedAt, supervised, rating)
        (self.reportedAt, self.respondedAt, self.reopens, self.fromResident) = (reportedAt, respondedAt, reopens, fromResident)
        (self.responseHours, self.handlingHours, self.fromHotline) = (responseHours, handlingHours, fromHotline)
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

/// What one village's cases due in a period add up to, as of the period's end (or now while it runs): the counts the
/// indicators divide, the two medians, and for each kind of lost point the first record references. The database adds
/// it up for a year of cases in one pass (`AssessmentStore.caseTallies`); `of(_:end:calendar:)` adds up a list the
/// same way, the definition both follow.
public struct CasesSummary: Sendable, Equatable {
    /// The kinds of cases an indicator names as its evidence.
    public enum Evidence: String, Sendable, CaseIterable {
        case late, unclosed, closedLate, reworked, overdue, supervised, unsatisfied, reopened, unanswered
        /// Residents' reports and 12345 transfers.
        case complaint
        /// Slowest first (the others are by number).
        case slowResponse, slowHandling
    }

    public var cases = 0
    /// Due by the end (or handled before it), and of those handled late or not at all.
    public var dueByEnd = 0, late = 0
    /// Due by the end (or closed), closed by the end, and closed late or not at all.
    public var closable = 0, closed = 0, closedLate = 0
    /// Handled by the end; of those sent back at least once; of those whose verification concluded.
    public var handled = 0, reworked = 0, verified = 0
    public var overdue = 0, supervised = 0
    public var rated = 0, ratingSum = 0, unsatisfied = 0
    /// Closed and then reopened by the reporter.
    public var reopened = 0
    /// Residents' cases closed, and of those rated.
    public var residentClosed = 0, residentAnswered = 0
    /// Residents' reports and 12345 transfers.
    public var complaints = 0
    public var medianResponseHours: Double?, medianHandlingHours: Double?
    public var evidence: [Evidence: [String]] = [:]

    public init() {}

    /// The first `CaseMeasures.evidenceLimit` of a kind's references by number, from all of them in any order.
    public static func first<S: StringProtocol>(_ numbers: some Sequence<S>) -> [String] {
        // Compared as they come (a database's list for a year can hold 300,000 numbers), made Strings only when kept.
        var kept: [String] = []
        for n in numbers {
            if kept.count == CaseMeasures.evidenceLimit, let last = kept.last, !(n < last) { continue }
            keep(&kept, String(n), before: <)
        }
        return kept
    }

    /// Puts `item` into `kept` (ordered by `before`, at most `CaseMeasures.evidenceLimit` long) if it belongs there.
    static func keep<T>(_ kept: inout [T], _ item: T, before: (T, T) -> Bool) {
        if kept.count == CaseMeasures.evidenceLimit, let last = kept.last, !before(item, last) { return }
        kept.insert(item, at: kept.firstIndex { before(item, $0) } ?? kept.endIndex)
        if kept.count > CaseMeasures.evidenceLimit { kept.removeLast() }
    }

    /// The median of hours rounded to a tenth, nil of none.
    public static func median(_ sorted: [Double]) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let n = sorted.count
        let m = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
        return (m * 10).rounded() / 10
    }

    /// A list's summary: the definition. Working hours are the stored ones, else counted on `calendar` (none without).
    public static func of(_ cases: [AssessedCase], end: Date, calendar: WorkingCalendar? = nil) -> CasesSummary {
        var builder = CasesSummaryBuilder(end: end, calendar: calendar)
        for c in cases { builder.add(c) }
        return builder.build()
    }
}

/// Adds up cases one at a time into their summary (`CasesSummary.of`), keeping only what the summary needs: the counts,
/// each kind's first references, the hours for the medians and the slowest cases — so a year of a million cases can be
/// streamed through it.
public struct CasesSummaryBuilder: Sendable {
    public let end: Date
    public let calendar: WorkingCalendar?
    private var t = CasesSummary()
    private var refs: [CasesSummary.Evidence: [String]] = [:]
    private var response: [Double] = [], handling: [Double] = []
    /// The slowest so far, slowest first (ties: the greater number first).
    private var slowResponse: [(Double, String)] = [], slowHandling: [(Double, String)] = []

    public init(end: Date, calendar: WorkingCalendar? = nil) {
        (self.end, self.calendar) = (end, calendar)
    }

    private mutating func note(_ kind: CasesSummary.Evidence, _ number: String) {
        CasesSummary.keep(&refs[kind, default: []], number, before: <)
    }

    private static func keep(_ list: inout [(Double, String)], _ h: Double, _ number: String) {
        CasesSummary.keep(&list, (h, number)) { $0 > $1 }
    }

    public mutating func add(_ c: AssessedCase) {
        t.cases += 1
        let handledByEnd = c.handledAt.map { $0 <= end } ?? false
        let closedByEnd = c.closedAt.map { $0 <= end } ?? false
        let due = c.deadline < end
        if due || c.handledAt != nil {
            t.dueByEnd += 1
            if !(c.handledAt.map { $0 <= c.deadline } ?? false) { t.late += 1; note(.late, c.number) }
        }
        if due || c.closedAt != nil {
            t.closable += 1
            if !closedByEnd { note(.unclosed, c.number) }
            if !(c.closedAt.map { $0 <= c.deadline } ?? false) { t.closedLate += 1; note(.closedLate, c.number) }
        }
        if closedByEnd { t.closed += 1 }
        if handledByEnd {
            t.handled += 1
            if c.reworks > 0 { t.reworked += 1; note(.reworked, c.number) }
            if c.reworks > 0 || closedByEnd { t.verified += 1 }
        }
        if due && !handledByEnd { t.overdue += 1; note(.overdue, c.number) }
        if c.supervised { t.supervised += 1; note(.supervised, c.number) }
        if let r = c.rating {
            t.rated += 1
            t.ratingSum += r
            if r < 4 { t.unsatisfied += 1; note(.unsatisfied, c.number) }
        }
        if closedByEnd, c.reopens > 0 { t.reopened += 1; note(.reopened, c.number) }
        if closedByEnd, c.fromResident {
            t.residentClosed += 1
            if c.rating != nil { t.residentAnswered += 1 } else { note(.unanswered, c.number) }
        }
        if c.fromResident || c.fromHotline { t.complaints += 1; note(.complaint, c.number) }
        func hours(_ stored: Double?, _ at: Date) -> Double? {
            stored ?? calendar.flatMap { cal in c.reportedAt.map { cal.workingSeconds(from: $0, to: at) / 3600 } }
        }
        if let at = c.respondedAt, at <= end, let h = hours(c.responseHours, at) { response.append(h); Self.keep(&slowResponse, h, c.number) }
        if let at = c.handledAt, at <= end, let h = hours(c.handlingHours, at) { handling.append(h); Self.keep(&slowHandling, h, c.number) }
    }

    /// The summary. Sorts the hours where they are (a year of a large village holds two lists of ~900,000: a sorted
    /// copy of each was 14 MB more at the server's peak).
    public mutating func build() -> CasesSummary {
        var out = t
        out.evidence = refs
        response.sort()
        handling.sort()
        out.medianResponseHours = CasesSummary.median(response)
        out.medianHandlingHours = CasesSummary.median(handling)
        if !slowResponse.isEmpty { out.evidence[.slowResponse] = slowResponse.map(\.1) }
        if !slowHandling.isEmpty { out.evidence[.slowHandling] = slowHandling.map(\.1) }
        return out
    }
}

public enum CaseMeasures {
    /// How many record references an indicator lists as its evidence.
    public static let evidenceLimit = 20

    /// The measures of one village's cases due in a period, as of `end` (the period's end, or now while it runs); the
    /// median times count working hours (stored with each case, else on `calendar`; none without either).
    public static func of(_ cases: [AssessedCase], operations: OperationsMeasures?, end: Date, calendar: WorkingCalendar? = nil) -> [IndicatorMeasure: Measured] {
        of(CasesSummary.of(cases, end: end, calendar: calendar), operations: operations)
    }

    /// The measures of a village's summary (and its work plans and patrols); `households`: those lived in on its house
    /// register (none registered: the complaints figure has nothing to measure).
    public static func of(_ t: CasesSummary, operations: OperationsMeasures?, households: Int? = nil) -> [IndicatorMeasure: Measured] {
        func refs(_ kind: CasesSummary.Evidence) -> [String] { t.evidence[kind] ?? [] }
        let none = t.cases == 0
        var out: [IndicatorMeasure: Measured] = [
            // Cases not yet due by the end are not yet counted against on-time rates.
            .onTimeHandlingRate: .rate(t.dueByEnd - t.late, of: t.dueByEnd, evidence: refs(.late)),
            .closureRate: .rate(t.closed, of: t.closable, evidence: refs(.unclosed)),
            .onTimeClosureRate: .rate(t.closable - t.closedLate, of: t.closable, evidence: refs(.closedLate)),
            .reworkRate: .rate(t.reworked, of: t.handled, evidence: refs(.reworked)),
            // Counts of a village with no case due are not zero problems but nothing to measure.
            .overdueCases: none ? Measured(value: nil) : .count(t.overdue, evidence: refs(.overdue)),
            .supervisedCases: none ? Measured(value: nil) : .count(t.supervised, evidence: refs(.supervised)),
            .satisfiedShare: .rate(t.rated - t.unsatisfied, of: t.rated, evidence: refs(.unsatisfied)),
            .meanRating: t.rated == 0 ? Measured(value: nil) : Measured(
                value: (Double(t.ratingSum) / Double(t.rated) * 100).rounded() / 100,
                numerator: Double(t.ratingSum), denominator: Double(t.rated), evidence: refs(.unsatisfied)),
            // Verification concluded: passed (closed) or sent back at least once.
            .firstPassRate: .rate(t.verified - t.reworked, of: t.verified, evidence: refs(.reworked)),
            .reopenRate: .rate(t.reopened, of: t.closed, evidence: refs(.reopened)),
            .ratingAnswerRate: .rate(t.residentAnswered, of: t.residentClosed, evidence: refs(.unanswered)),
        ]
        // The evidence: the slowest cases, slowest first.
        out[.medianResponseHours] = Measured(value: t.medianResponseHours, evidence: refs(.slowResponse))
        out[.medianHandlingHours] = Measured(value: t.medianHandlingHours, evidence: refs(.slowHandling))
        if let h = households, h > 0 {
            out[.complaintsPerThousandHouseholds] = Measured(value: (Double(t.complaints) * 100_000 / Double(h)).rounded() / 100,
                                                             numerator: Double(t.complaints), denominator: Double(h), evidence: refs(.complaint))
        }
        if let o = operations {
            out[.workPlanCompletionRate] = .rate(o.tasksDone, of: o.tasksDue)
            out[.patrolCompletionRate] = .rate(o.checkpointsVisited, of: o.checkpointsDue)
        }
        return out
    }
}
