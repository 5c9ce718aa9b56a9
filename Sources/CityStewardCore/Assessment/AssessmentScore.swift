import Foundation

/// A measure's figure for one assessed unit and period, as the records give it: the value (nil when there was
/// nothing to measure), its numerator and denominator, and the records behind it that cost points.
public struct Measured: Sendable, Equatable {
    public var value: Double?
    public var numerator: Double?
    public var denominator: Double?
    /// Case numbers (or other record references) that lost points: late, reworked, unsatisfied…, at most a few.
    public var evidence: [String]

    public init(value: Double?, numerator: Double? = nil, denominator: Double? = nil, evidence: [String] = []) {
        (self.value, self.numerator, self.denominator, self.evidence) = (value, numerator, denominator, evidence)
    }

    /// A rate in per cent to one decimal, nil when nothing was due.
    public static func rate(_ part: Int, of whole: Int, evidence: [String] = []) -> Measured {
        Measured(value: whole == 0 ? nil : (Double(part) * 1000 / Double(whole)).rounded() / 10, numerator: Double(part), denominator: Double(whole),
                 evidence: evidence)
    }

    public static func count(_ n: Int, evidence: [String] = []) -> Measured {
        Measured(value: Double(n), numerator: Double(n), evidence: evidence)
    }
}

/// One indicator's score, with how it was reached.
public struct IndicatorScore: Sendable, Equatable {
    public var key: String
    public var name: String
    public var measure: IndicatorMeasure?
    /// Its weight among its siblings, as the method sets it.
    public var weight: Double
    /// Its share of the total after indicators without records gave theirs to their siblings, in per cent.
    public var share: Double
    public var measured: Measured?
    /// 0–100; nil when it could not be scored (no records).
    public var points: Double?
    /// Points it adds to the total (points × share).
    public var contribution: Double
    public var explanation: LocalizedText
    public var children: [IndicatorScore]
}

/// A unit's score for a period: the total out of 100, its grade, and each indicator's part.
public struct ScoreCard: Sendable, Equatable {
    public var total: Double
    public var grade: String?
    public var indicators: [IndicatorScore]

    /// The leaves, depth first.
    public var leaves: [IndicatorScore] {
        func walk(_ s: [IndicatorScore]) -> [IndicatorScore] { s.flatMap { $0.children.isEmpty ? [$0] : walk($0.children) } }
        return walk(indicators)
    }
}

public enum AssessmentScoring {
    /// Points a value earns on a leaf's bands: the first band it reaches (at least the threshold when more is better,
    /// at most otherwise); none reached: 0.
    public static func points(_ value: Double, bands: [ScoreBand], higherIsBetter: Bool) -> (points: Double, band: ScoreBand?) {
        for b in bands where higherIsBetter ? value >= b.threshold : value <= b.threshold { return (b.points, b) }
        return (0, nil)
    }

    /// Scores a method against the measured figures. An indicator with nothing to measure is not scored and its
    /// siblings share its weight, so a village with no rated case is neither rewarded nor punished for it.
    public static func score(_ method: AssessmentMethod, _ measured: [IndicatorMeasure: Measured]) -> ScoreCard {
        func node(_ i: Indicator) -> (points: Double?, build: (Double) -> IndicatorScore) {
            if i.children.isEmpty {
                let m = i.measure.flatMap { measured[$0] }
                guard let measure = i.measure, let value = m?.value else {
                    return (nil, { _ in IndicatorScore(key: i.key, name: i.name, measure: i.measure, weight: i.weight, share: 0, measured: m, points: nil, contribution: 0,
                                                       explanation: LocalizedText(zh: "期内无可计算的记录：不计分，权重由同级指标分摊",
                                                                                  en: "nothing to measure in the period: not scored, its weight shared by its siblings"),
                                                       children: []) })
                }
                let (p, band) = points(value, bands: i.bands, higherIsBetter: measure.higherIsBetter)
                return (p, { share in
                    IndicatorScore(key: i.key, name: i.name, measure: measure, weight: i.weight, share: round(share, 2), measured: m, points: p,
                                   contribution: round(p * share / 100, 2), explanation: explain(measure, m!, value, band, p, share), children: [])
                })
            }
            let kids = i.children.map { ($0, node($0)) }
            let scored = kids.filter { $0.1.points != nil }
            let weight = scored.reduce(0) { $0 + $1.0.weight }
            let p: Double? = scored.isEmpty || weight == 0 ? nil : scored.reduce(0) { $0 + $1.1.points! * $1.0.weight } / weight
            return (p, { share in
                let children = kids.map { k in k.1.build(k.1.points == nil || weight == 0 ? 0 : share * k.0.weight / weight) }
                let contribution = children.reduce(0) { $0 + $1.contribution }
                let explanation = p == nil
                    ? LocalizedText(zh: "下级指标均无记录：不计分", en: "no indicator under it had records: not scored")
                    : LocalizedText(zh: "下级指标按权重加权：\(fmt(p!)) 分，占总分 \(fmt(share))% → \(fmt(contribution)) 分",
                                    en: "its indicators weighted: \(fmt(p!)) points; \(fmt(share))% of the total → \(fmt(contribution))")
                return IndicatorScore(key: i.key, name: i.name, measure: nil, weight: i.weight, share: round(share, 2), measured: nil, points: p.map { round($0, 2) },
                                      contribution: round(contribution, 2), explanation: explanation, children: children)
            })
        }
        let top = method.indicators.map { ($0, node($0)) }
        let scored = top.filter { $0.1.points != nil }
        let weight = scored.reduce(0) { $0 + $1.0.weight }
        let indicators = top.map { t in t.1.build(t.1.points == nil || weight == 0 ? 0 : 100 * t.0.weight / weight) }
        let total = round(indicators.reduce(0) { $0 + $1.contribution }, 2)
        return ScoreCard(total: total, grade: scored.isEmpty ? nil : method.grade(of: total), indicators: indicators)
    }

    static func explain(_ measure: IndicatorMeasure, _ m: Measured, _ value: Double, _ band: ScoreBand?, _ p: Double, _ share: Double) -> LocalizedText {
        let unit = measure.unit
        var zh = measure.label.zh, en = measure.label.en
        if let n = m.numerator, let d = m.denominator {
            zh += " = \(fmt(n)) ÷ \(fmt(d)) = \(fmt(value))\(unit)"
            en += " = \(fmt(n)) ÷ \(fmt(d)) = \(fmt(value))\(unit)"
        } else {
            zh += " = \(fmt(value))\(unit)"
            en += " = \(fmt(value))\(unit)"
        }
        let cmp = measure.higherIsBetter ? "≥" : "≤"
        if let band {
            zh += "；\(cmp) \(fmt(band.threshold))\(unit) → \(fmt(p)) 分"
            en += "; \(cmp) \(fmt(band.threshold))\(unit) → \(fmt(p)) points"
        } else {
            zh += "；未达最低档 → 0 分"
            en += "; below the lowest band → 0 points"
        }
        let c = round(p * share / 100, 2)
        zh += "；占总分 \(fmt(share))% → \(fmt(c)) 分"
        en += "; \(fmt(share))% of the total → \(fmt(c))"
        return LocalizedText(zh: zh, en: en)
    }

    static func round(_ x: Double, _ places: Int) -> Double {
        let f = pow(10, Double(places))
        return (x * f).rounded() / f
    }

    /// A number as the method and the scores write it: whole, or to one or two decimals.
    public static func fmt(_ x: Double) -> String {
        let r = round(x, 2)
        if r == r.rounded() { return String(Int(r)) }
        return String(format: (r * 10).rounded() == r * 10 ? "%.1f" : "%.2f", r)
    }
}

/// The period a score is computed over (考核周期): the plan's whole year, a quarter or a month of it.
public enum AssessmentPeriod: Sendable, Equatable, CustomStringConvertible {
    case year(Int)
    case quarter(Int, Int)
    case month(Int, Int)

    /// `2026`, `2026-Q3` or `2026-10`.
    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let parts = t.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard let year = Int(parts[0]), parts[0].count == 4 else { return nil }
        if parts.count == 1 { self = .year(year); return }
        guard parts.count == 2 else { return nil }
        if parts[1].hasPrefix("Q"), parts[1].count == 2, let q = Int(parts[1].dropFirst()), (1...4).contains(q) { self = .quarter(year, q); return }
        if parts[1].count == 2, let m = Int(parts[1]), (1...12).contains(m) { self = .month(year, m); return }
        return nil
    }

    public var year: Int {
        switch self { case .year(let y), .quarter(let y, _), .month(let y, _): y }
    }

    public var description: String {
        switch self {
        case .year(let y): String(y)
        case .quarter(let y, let q): "\(y)-Q\(q)"
        case .month(let y, let m): String(format: "%d-%02d", y, m)
        }
    }

    public var first: LocalDate {
        switch self {
        case .year(let y): LocalDate(year: y, month: 1, day: 1)
        case .quarter(let y, let q): LocalDate(year: y, month: 3 * q - 2, day: 1)
        case .month(let y, let m): LocalDate(year: y, month: m, day: 1)
        }
    }

    public var last: LocalDate {
        switch self {
        case .year(let y): LocalDate(year: y, month: 12, day: 31)
        case .quarter(let y, let q): (q == 4 ? LocalDate(year: y + 1, month: 1, day: 1) : LocalDate(year: y, month: 3 * q + 1, day: 1)).adding(days: -1)
        case .month(let y, let m): (m == 12 ? LocalDate(year: y + 1, month: 1, day: 1) : LocalDate(year: y, month: m + 1, day: 1)).adding(days: -1)
        }
    }

    /// The period before, within the same year (the plan's): none for the year, the first quarter or January.
    public var previous: AssessmentPeriod? {
        switch self {
        case .year: nil
        case .quarter(let y, let q): q > 1 ? .quarter(y, q - 1) : nil
        case .month(let y, let m): m > 1 ? .month(y, m - 1) : nil
        }
    }

    /// The periods of a year begun by `today`: the year, its quarters and months that have begun.
    public static func choices(year: Int, today: LocalDate) -> [AssessmentPeriod] {
        var out: [AssessmentPeriod] = [.year(year)]
        out += (1...4).map { AssessmentPeriod.quarter(year, $0) }.filter { $0.first <= today }
        out += (1...12).map { AssessmentPeriod.month(year, $0) }.filter { $0.first <= today }
        return out
    }
}
