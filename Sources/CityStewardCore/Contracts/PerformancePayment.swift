import Foundation

/// One band of a contract's payment coefficient (履约考核系数): a period's assessment score at or above `minimum`
/// pays `percentAtTop` per cent at the band's top — 100 points for the first band, the minimum of the band above for
/// the others — less `perPointBelow` percentage points for each point below it. The plan's example: 90–100 → 100 %;
/// 70–89 → 100 % − 0.2 % per point below 90; below 70 → 96 % − 1 % per point below 70.
public struct PaymentBand: Sendable, Codable, Equatable {
    public var minimum: Double
    public var percentAtTop: Double
    public var perPointBelow: Double

    public init(minimum: Double, percentAtTop: Double, perPointBelow: Double) {
        (self.minimum, self.percentAtTop, self.perPointBelow) = (minimum, percentAtTop, perPointBelow)
    }
}

/// Ties a contract's service fee to its villages' assessment score for the billing period.
public struct PerformancePayment: Sendable, Codable, Equatable {
    public var bands: [PaymentBand]

    public init(bands: [PaymentBand]) {
        self.bands = bands
    }

    public static let example = PerformancePayment(bands: [
        PaymentBand(minimum: 90, percentAtTop: 100, perPointBelow: 0),
        PaymentBand(minimum: 70, percentAtTop: 100, perPointBelow: 0.2),
        PaymentBand(minimum: 0, percentAtTop: 96, perPointBelow: 1),
    ])

    /// The coefficient in per cent (0–100, to two decimals) for a score, with the band used and its top.
    public func coefficient(_ score: Double) -> (percent: Double, band: PaymentBand, top: Double)? {
        var top = 100.0
        for b in bands {
            if score >= b.minimum {
                let p = min(100, max(0, b.percentAtTop - b.perPointBelow * max(0, top - score)))
                return ((p * 100).rounded() / 100, b, top)
            }
            top = b.minimum
        }
        return nil
    }

    /// Bands best first with falling minimums down to 0 (every score is covered), percentages within 0–100, slopes 0–10.
    public func problems(field: String = "performance") -> [FieldProblem] {
        var out: [FieldProblem] = []
        func add(_ f: String, _ zh: String, _ en: String) { out.append(FieldProblem(field: f, reason: LocalizedText(zh: zh, en: en))) }
        if bands.isEmpty || bands.count > 10 { add(field + ".bands", "考核系数须设 1~10 档", "a coefficient has 1 to 10 bands") }
        var previous = 100.0 + 1
        for (i, b) in bands.enumerated() {
            let f = "\(field).bands[\(i)]"
            if !(b.minimum >= 0 && b.minimum < previous && b.minimum <= 100) {
                add(f + ".minimum", "分数线应在 0~100 且逐档降低", "minimums lie within 0–100 and fall band by band")
            }
            if !(0...100).contains(b.percentAtTop) { add(f + ".percentAtTop", "支付比例在 0~100%", "the percentage is 0–100") }
            if !(0...10).contains(b.perPointBelow) { add(f + ".perPointBelow", "每分扣减在 0~10 个百分点", "the step per point is 0–10 percentage points") }
            if b.minimum.isFinite { previous = b.minimum }
        }
        if let last = bands.last, last.minimum != 0 { add(field + ".bands", "最后一档的分数线应为 0，使任何得分都有系数", "the last band starts at 0, so every score has a coefficient") }
        return out
    }
}

/// The period's assessment score of a contract's villages, as the billing reads it.
public struct AssessedPeriodScore: Sendable, Codable, Equatable {
    public struct Village: Sendable, Codable, Equatable {
        public var code: String
        public var name: String
        public var total: Double

        public init(code: String, name: String, total: Double) {
            (self.code, self.name, self.total) = (code, name, total)
        }
    }

    /// The plan and version the score was computed under (`2026 年度城市管家考核 v1`).
    public var plan: String
    public var from: LocalDate
    public var through: LocalDate
    public var villages: [Village]

    public init(plan: String, from: LocalDate, through: LocalDate, villages: [Village]) {
        (self.plan, self.from, self.through, self.villages) = (plan, from, through, villages)
    }

    enum CodingKeys: String, CodingKey { case plan, from, through, villages }

    /// Days as `YYYY-MM-DD`, as the API writes them.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        plan = try c.decode(String.self, forKey: .plan)
        villages = try c.decode([Village].self, forKey: .villages)
        guard let f = LocalDate(try c.decode(String.self, forKey: .from)), let t = LocalDate(try c.decode(String.self, forKey: .through)) else {
            throw DecodingError.dataCorruptedError(forKey: .from, in: c, debugDescription: "a day is YYYY-MM-DD")
        }
        (from, through) = (f, t)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(plan, forKey: .plan)
        try c.encode(from.description, forKey: .from)
        try c.encode(through.description, forKey: .through)
        try c.encode(villages, forKey: .villages)
    }

    /// The villages' mean total, to two decimals.
    public var score: Double {
        villages.isEmpty ? 0 : (villages.reduce(0) { $0 + $1.total } / Double(villages.count) * 100).rounded() / 100
    }
}
