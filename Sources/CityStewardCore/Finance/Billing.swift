import Foundation

/// A month (`2026-11`) or a quarter (`2026-Q4`) of Beijing days.
public struct BillingPeriod: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var year: Int
    public var firstMonth: Int
    /// 1 or 3.
    public var months: Int

    public init(year: Int, month: Int) {
        self.year = year
        firstMonth = month
        months = 1
    }

    public init(year: Int, quarter: Int) {
        self.year = year
        firstMonth = (quarter - 1) * 3 + 1
        months = 3
    }

    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let parts = t.split(separator: "-")
        guard parts.count == 2, let y = Int(parts[0]), (2000...2100).contains(y) else { return nil }
        if parts[1].hasPrefix("Q"), let q = Int(parts[1].dropFirst()), (1...4).contains(q) {
            self.init(year: y, quarter: q)
        } else if parts[1].count == 2, let m = Int(parts[1]), (1...12).contains(m) {
            self.init(year: y, month: m)
        } else {
            return nil
        }
    }

    public var description: String {
        months == 3 ? "\(year)-Q\((firstMonth - 1) / 3 + 1)" : "\(year)-\(firstMonth < 10 ? "0" : "")\(firstMonth)"
    }

    /// The months it spans, as (year, month).
    public var monthList: [(year: Int, month: Int)] { (0..<months).map { (year, firstMonth + $0) } }

    public var first: LocalDate { LocalDate(year: year, month: firstMonth, day: 1) }
    /// The day after the period.
    public var endExclusive: LocalDate {
        let m = firstMonth + months
        return m > 12 ? LocalDate(year: year + 1, month: m - 12, day: 1) : LocalDate(year: year, month: m, day: 1)
    }

    public static func daysIn(year: Int, month: Int) -> Int {
        let next = month == 12 ? LocalDate(year: year + 1, month: 1, day: 1) : LocalDate(year: year, month: month + 1, day: 1)
        return next.dayNumber - LocalDate(year: year, month: month, day: 1).dayNumber
    }

    public static func < (a: BillingPeriod, b: BillingPeriod) -> Bool { (a.year, a.firstMonth, a.months) < (b.year, b.firstMonth, b.months) }
}

/// What the records say about a contract's period (Store computes them from cases and their events).
public struct BillingFacts: Sendable, Equatable, Codable {
    /// Per matter: cases whose deadline fell in the period and that were not handled by it.
    public var overdueCases: [String: Int]
    /// Per matter: verifications that failed in the period.
    public var failedVerifications: [String: Int]
    /// Per matter: spot-check items inspected in the period that failed and opened a case of the contract.
    public var failedSpotChecks: [String: Int]
    /// The contract's villages' assessment score for the period (for its payment coefficient).
    public var assessment: AssessedPeriodScore?

    public init(overdueCases: [String: Int] = [:], failedVerifications: [String: Int] = [:], failedSpotChecks: [String: Int] = [:],
                assessment: AssessedPeriodScore? = nil) {
        self.overdueCases = overdueCases
        self.failedVerifications = failedVerifications
        self.failedSpotChecks = failedSpotChecks
        self.assessment = assessment
    }

    enum CodingKeys: String, CodingKey { case overdueCases, failedVerifications, failedSpotChecks, assessment }

    /// Runs stored before spot checks and the coefficient existed read back with neither.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        overdueCases = try c.decodeIfPresent([String: Int].self, forKey: .overdueCases) ?? [:]
        failedVerifications = try c.decodeIfPresent([String: Int].self, forKey: .failedVerifications) ?? [:]
        failedSpotChecks = try c.decodeIfPresent([String: Int].self, forKey: .failedSpotChecks) ?? [:]
        assessment = try c.decodeIfPresent(AssessedPeriodScore.self, forKey: .assessment)
    }

    func count(_ basis: DeductionBasis, matter: String?) -> Int {
        let table = switch basis {
        case .overdueCase: overdueCases
        case .failedVerification: failedVerifications
        case .failedSpotCheck: failedSpotChecks
        }
        if let matter { return table[matter] ?? 0 }
        return table.values.reduce(0, +)
    }
}

/// One line of a bill, with the sum written out so anyone can redo it.
public struct BillingLine: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable { case service, deduction, performance }

    public var kind: Kind
    public var matterCode: String?
    public var quantity: Int
    public var unit: String
    public var unitPriceFen: Int
    /// Days of the period the contract covered (service lines).
    public var days: Int
    public var daysInPeriod: Int
    /// Negative for deductions.
    public var amountFen: Int
    public var explanation: LocalizedText

    public init(kind: Kind, matterCode: String?, quantity: Int, unit: String, unitPriceFen: Int, days: Int, daysInPeriod: Int, amountFen: Int,
                explanation: LocalizedText) {
        self.kind = kind
        self.matterCode = matterCode
        self.quantity = quantity
        self.unit = unit
        self.unitPriceFen = unitPriceFen
        self.days = days
        self.daysInPeriod = daysInPeriod
        self.amountFen = amountFen
        self.explanation = explanation
    }
}

public struct BillingStatement: Sendable, Equatable, Codable {
    public var period: BillingPeriod
    public var lines: [BillingLine]
    public var grossFen: Int
    public var deductionsFen: Int
    public var netFen: Int

    public init(period: BillingPeriod, lines: [BillingLine], grossFen: Int, deductionsFen: Int, netFen: Int) {
        self.period = period
        self.lines = lines
        self.grossFen = grossFen
        self.deductionsFen = deductionsFen
        self.netFen = netFen
    }

    /// Several statements of one period (a contract's versions in force for parts of it) as one.
    public static func merged(_ parts: [BillingStatement], period: BillingPeriod) -> BillingStatement {
        BillingStatement(period: period, lines: parts.flatMap(\.lines), grossFen: parts.reduce(0) { $0 + $1.grossFen },
                         deductionsFen: parts.reduce(0) { $0 + $1.deductionsFen }, netFen: parts.reduce(0) { $0 + $1.netFen })
    }
}

public enum Billing {
    /// Quantity × unit price for each month the term covers, pro rata by day for a month covered in part (rounded
    /// half up to the fen), then each deduction rule's count × amount, capped per rule, never more than the gross.
    public static func compute(_ t: ContractTerms, period: BillingPeriod, facts: BillingFacts, matterNames: [String: LocalizedText] = [:]) -> BillingStatement {
        var lines: [BillingLine] = []
        for line in t.lines {
            var amount = 0, covered = 0, total = 0
            var parts: [(days: Int, of: Int)] = []
            for (y, m) in period.monthList {
                let dim = BillingPeriod.daysIn(year: y, month: m)
                total += dim
                let first = LocalDate(year: y, month: m, day: 1), last = first.adding(days: dim - 1)
                let from = max(first, t.start), to = min(last, t.end)
                guard from <= to else { continue }
                let days = to.dayNumber - from.dayNumber + 1
                covered += days
                parts.append((days, dim))
                // Half up: (2·q·p·d + dim) / (2·dim).
                amount += (2 * line.quantity * line.unitPriceFen * days + dim) / (2 * dim)
            }
            let name = matterNames[line.matterCode] ?? LocalizedText(zh: line.matterCode, en: line.matterCode)
            let share = parts.map { $0.days == $0.of ? (zh: "1 个月", en: "1 month") : (zh: "\($0.days)/\($0.of) 个月", en: "\($0.days)/\($0.of) month") }
            let shareZh = share.isEmpty ? "0 个月" : share.map(\.zh).joined(separator: " + ")
            let shareEn = share.isEmpty ? "0 months" : share.map(\.en).joined(separator: " + ")
            lines.append(BillingLine(
                kind: .service, matterCode: line.matterCode, quantity: line.quantity, unit: line.unit, unitPriceFen: line.unitPriceFen,
                days: covered, daysInPeriod: total, amountFen: amount,
                explanation: LocalizedText(
                    zh: "\(name.zh)：\(line.quantity) \(line.unit) × \(Money.yuan(line.unitPriceFen)) 元/\(line.unit)·月 × \(shareZh) = \(Money.yuan(amount)) 元",
                    en: "\(name.en): \(line.quantity) \(line.unit) × ¥\(Money.yuan(line.unitPriceFen))/\(line.unit)/month × \(shareEn) = ¥\(Money.yuan(amount))")))
        }
        let gross = lines.reduce(0) { $0 + $1.amountFen }
        var deducted = 0
        for rule in t.deductions {
            let count = facts.count(rule.basis, matter: rule.matterCode)
            guard count > 0 else { continue }
            let raw = count * rule.amountFen
            var amount = rule.capFen.map { min(raw, $0) } ?? raw
            var capNote = (zh: "", en: "")
            if let cap = rule.capFen, raw > cap { capNote = ("（本期上限 \(Money.yuan(cap)) 元）", " (capped at ¥\(Money.yuan(cap)) a period)") }
            if deducted + amount > gross {
                amount = gross - deducted
                capNote = (capNote.zh + "（扣款不超过应付金额）", capNote.en + " (no more than the gross)")
            }
            deducted += amount
            let scope = rule.matterCode.map { matterNames[$0] ?? LocalizedText(zh: $0, en: $0) } ?? LocalizedText(zh: "全部事项", en: "all matters")
            lines.append(BillingLine(
                kind: .deduction, matterCode: rule.matterCode, quantity: count, unit: rule.basis.label.zh, unitPriceFen: rule.amountFen,
                days: 0, daysInPeriod: 0, amountFen: -amount,
                explanation: LocalizedText(
                    zh: "扣款·\(scope.zh)：\(count) 件\(rule.basis.label.zh) × \(Money.yuan(rule.amountFen)) 元 = \(Money.yuan(raw)) 元\(capNote.zh)，扣 \(Money.yuan(amount)) 元",
                    en: "Deduction, \(scope.en): \(count) \(rule.basis.label.en)\(count == 1 ? "" : "s") × ¥\(Money.yuan(rule.amountFen)) = ¥\(Money.yuan(raw))\(capNote.en); deducted ¥\(Money.yuan(amount))")))
        }
        return withPerformance(BillingStatement(period: period, lines: lines, grossFen: gross, deductionsFen: deducted, netFen: gross - deducted),
                               t.performance, facts: facts)
    }

    /// The payment coefficient's line: the fee times (100 % − the coefficient) is withheld, at most what is left after
    /// the deductions; written out from the villages' scores to the amount. Without a score for the period (no
    /// published plan, or nothing scored) the line says so and withholds nothing.
    public static func withPerformance(_ s: BillingStatement, _ performance: PerformancePayment?, facts: BillingFacts) -> BillingStatement {
        guard let performance else { return s }
        var out = s
        guard let a = facts.assessment, !a.villages.isEmpty, let c = performance.coefficient(a.score) else {
            out.lines.append(BillingLine(kind: .performance, matterCode: nil, quantity: 0, unit: "%", unitPriceFen: 0, days: 0, daysInPeriod: 0, amountFen: 0,
                                         explanation: LocalizedText(zh: "履约考核系数：本期没有可用的考核得分（无已公布方案或各村均无记录），按 100% 支付",
                                                                    en: "Payment coefficient: no assessment score for the period (no published plan, or nothing scored); paid at 100%")))
            return out
        }
        // Basis points, so the fen are exact: half up.
        let bp = Int((c.percent * 100).rounded())
        var withheld = (s.grossFen * (10_000 - bp) + 5_000) / 10_000
        var capNote = (zh: "", en: "")
        if withheld > s.netFen {
            withheld = s.netFen
            capNote = ("（扣减不超过扣款后的应付金额）", " (no more than is left after the deductions)")
        }
        let fmt = AssessmentScoring.fmt
        let villages = a.villages.map { "\($0.name) \(fmt($0.total))" }
        let mean = a.villages.count == 1 ? "" : "，\(a.villages.count) 村平均"
        let meanEn = a.villages.count == 1 ? "" : ", the mean of \(a.villages.count) villages"
        let worked = c.band.perPointBelow == 0 ? "\(fmt(c.percent))%"
            : "\(fmt(c.band.percentAtTop))% − \(fmt(c.band.perPointBelow))% × (\(fmt(c.top)) − \(fmt(a.score))) = \(fmt(c.percent))%"
        out.lines.append(BillingLine(
            kind: .performance, matterCode: nil, quantity: bp, unit: "‱", unitPriceFen: 0, days: 0, daysInPeriod: 0, amountFen: -withheld,
            explanation: LocalizedText(
                zh: "履约考核系数：\(a.plan) \(a.from)~\(a.through) 得分 \(fmt(a.score))（\(villages.joined(separator: "、"))\(mean)）；≥ \(fmt(c.band.minimum)) 分档：\(worked)；服务费 \(Money.yuan(s.grossFen)) 元 × (100% − \(fmt(c.percent))%) = 扣 \(Money.yuan(withheld)) 元\(capNote.zh)",
                en: "Payment coefficient: \(a.plan) \(a.from)–\(a.through) score \(fmt(a.score)) (\(villages.joined(separator: ", "))\(meanEn)); band ≥ \(fmt(c.band.minimum)): \(worked); fee ¥\(Money.yuan(s.grossFen)) × (100% − \(fmt(c.percent))%) = ¥\(Money.yuan(withheld)) withheld\(capNote.en)")))
        out.deductionsFen += withheld
        out.netFen -= withheld
        return out
    }
}

extension Billing {
    /// The states of a version that was in force (and so is billed for the days it covered).
    public static let inForce: Set<ContractState> = [.active, .superseded, .expired, .terminated]

    /// A contract's bill for a period from all its versions: each version in force billed for the days it covered
    /// (up to the next version's start, its termination, its end); deductions and the payment coefficient once, by
    /// the rules of the last version in force in the period. Nil when no version was ever in force.
    public static func statement(versions all: [ContractVersion], period: BillingPeriod, facts: BillingFacts,
                                 matterNames: [String: LocalizedText] = [:]) -> BillingStatement? {
        let versions = all.filter { inForce.contains($0.state) }.sorted { $0.version < $1.version }
        guard !versions.isEmpty else { return nil }
        var parts: [BillingStatement] = []
        let lastInPeriod = versions.last { $0.terms.start < period.endExclusive }
        for (i, v) in versions.enumerated() {
            var t = v.terms
            if i + 1 < versions.count { t.end = min(t.end, versions[i + 1].terms.start.adding(days: -1)) }
            if let stop = v.terminatedOn { t.end = min(t.end, stop.adding(days: -1)) }
            guard t.start <= t.end else { continue }
            let isLast = v.id == lastInPeriod?.id
            if !isLast { t.deductions = [] }
            // The coefficient applies once, to the whole period's fee, by the last version's rule.
            t.performance = nil
            parts.append(compute(t, period: period, facts: isLast ? facts : BillingFacts(), matterNames: matterNames))
        }
        return withPerformance(BillingStatement.merged(parts, period: period), lastInPeriod?.terms.performance, facts: facts)
    }
}
