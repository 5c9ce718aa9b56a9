import Foundation

/// Where a village's money comes from (plan §9(2): 物业管理费 + 政府购买服务费用 + 停车场经营收入 + 专项维修资金, and
/// the subsidies).
public enum IncomeSource: String, Sendable, Codable, CaseIterable {
    case propertyFee, serviceFee, parking, maintenanceFund, introductionSubsidy, policySubsidy

    public var label: LocalizedText {
        switch self {
        case .propertyFee: LocalizedText(zh: "物业管理费", en: "Property fees")
        case .serviceFee: LocalizedText(zh: "政府购买服务", en: "Government service purchase")
        case .parking: LocalizedText(zh: "停车场经营收入", en: "Parking income")
        case .maintenanceFund: LocalizedText(zh: "专项维修资金", en: "Maintenance fund")
        case .introductionSubsidy: LocalizedText(zh: "引入服务补贴", en: "Introduction subsidy")
        case .policySubsidy: LocalizedText(zh: "政策补贴", en: "Policy subsidy")
        }
    }

    /// The chart's colour for the source.
    public var colour: String {
        switch self {
        case .propertyFee: "#2f6fb3"
        case .serviceFee: "#b3261e"
        case .parking: "#6b8e23"
        case .maintenanceFund: "#8e6bbf"
        case .introductionSubsidy: "#d98b1f"
        case .policySubsidy: "#3a9e9e"
        }
    }

    /// Entered by hand in the ledger; the others come from bills, billing runs and subsidy decisions.
    public var isEnteredDirectly: Bool { self == .parking || self == .maintenanceFund }
}

public enum CostKind: String, Sendable, Codable, CaseIterable {
    case staff, materials, subcontract, equipment, other

    public var label: LocalizedText {
        switch self {
        case .staff: LocalizedText(zh: "人员", en: "Staff")
        case .materials: LocalizedText(zh: "物料", en: "Materials")
        case .subcontract: LocalizedText(zh: "外包", en: "Subcontracting")
        case .equipment: LocalizedText(zh: "设备", en: "Equipment")
        case .other: LocalizedText(zh: "其他", en: "Other")
        }
    }
}

/// A month as `YYYY-MM`.
public struct LedgerMonth: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var year: Int
    public var month: Int

    public init(year: Int, month: Int) {
        self.year = year
        self.month = month
    }

    public init?(_ text: String) {
        guard let p = BillingPeriod(text), p.months == 1 else { return nil }
        self.init(year: p.year, month: p.firstMonth)
    }

    public init(_ date: LocalDate) {
        self.init(year: date.year, month: date.month)
    }

    public var description: String { "\(year)-\(month < 10 ? "0" : "")\(month)" }
    public var next: LedgerMonth { month == 12 ? LedgerMonth(year: year + 1, month: 1) : LedgerMonth(year: year, month: month + 1) }
    public var previous: LedgerMonth { month == 1 ? LedgerMonth(year: year - 1, month: 12) : LedgerMonth(year: year, month: month - 1) }

    /// `count` months ending with this one, oldest first.
    public func trailing(_ count: Int) -> [LedgerMonth] {
        var out = [self]
        while out.count < count { out.insert(out[0].previous, at: 0) }
        return out
    }

    public static func < (a: LedgerMonth, b: LedgerMonth) -> Bool { (a.year, a.month) < (b.year, b.month) }
}

public struct LedgerEntry: Sendable, Equatable, Codable {
    public enum Direction: String, Sendable, Codable { case income, cost }

    public var month: LedgerMonth
    public var direction: Direction
    /// An `IncomeSource` or a `CostKind` raw value.
    public var category: String
    public var amountFen: Int
    /// For government service purchase: the delegating department (fee follows the matter).
    public var department: String?

    public init(month: LedgerMonth, direction: Direction, category: String, amountFen: Int, department: String? = nil) {
        self.month = month
        self.direction = direction
        self.category = category
        self.amountFen = amountFen
        self.department = department
    }
}

public struct LedgerSummary: Sendable, Equatable {
    public struct Month: Sendable, Equatable {
        public var month: LedgerMonth
        public var income: [IncomeSource: Int]
        public var costs: [CostKind: Int]
        public var incomeFen: Int
        public var costFen: Int
        /// Income minus costs of the month.
        public var netFen: Int
        /// Running balance from the first month shown (plus the opening balance).
        public var balanceFen: Int
    }

    public var months: [Month]
    public var openingFen: Int
    public var incomeBySource: [IncomeSource: Int]
    public var serviceFeeByDepartment: [String: Int]
    public var incomeFen: Int
    public var costFen: Int

    /// Sums entries by month and source. `opening` is the balance before the first month (everything earlier).
    public static func of(_ entries: [LedgerEntry], months: [LedgerMonth], opening: Int = 0) -> LedgerSummary {
        var byMonth: [LedgerMonth: (income: [IncomeSource: Int], costs: [CostKind: Int])] = [:]
        var bySource: [IncomeSource: Int] = [:]
        var byDepartment: [String: Int] = [:]
        let shown = Set(months)
        for e in entries where shown.contains(e.month) {
            var m = byMonth[e.month] ?? ([:], [:])
            switch e.direction {
            case .income:
                let s = IncomeSource(rawValue: e.category) ?? .parking
                m.income[s, default: 0] += e.amountFen
                bySource[s, default: 0] += e.amountFen
                if s == .serviceFee { byDepartment[e.department ?? "—", default: 0] += e.amountFen }
            case .cost:
                m.costs[CostKind(rawValue: e.category) ?? .other, default: 0] += e.amountFen
            }
            byMonth[e.month] = m
        }
        var balance = opening
        var out: [Month] = []
        for month in months.sorted() {
            let m = byMonth[month] ?? ([:], [:])
            let income = m.income.values.reduce(0, +), cost = m.costs.values.reduce(0, +)
            balance += income - cost
            out.append(Month(month: month, income: m.income, costs: m.costs, incomeFen: income, costFen: cost, netFen: income - cost, balanceFen: balance))
        }
        return LedgerSummary(months: out, openingFen: opening, incomeBySource: bySource, serviceFeeByDepartment: byDepartment,
                             incomeFen: out.reduce(0) { $0 + $1.incomeFen }, costFen: out.reduce(0) { $0 + $1.costFen })
    }
}

/// The introduction subsidy for a shareholding company that brought in a steward: an amount per service year,
/// increasing year by year (逐年递增), paid once its street office has confirmed the introduction.
public struct IntroductionSubsidySchedule: Sendable, Equatable, Codable {
    /// Fen for service year 1, 2, 3 …
    public var amountsFen: [Int]

    public init(amountsFen: [Int]) {
        self.amountsFen = amountsFen
    }

    /// The district's configured schedule (demo): ¥200,000 in the first service year, +¥50,000 each year, five years.
    public static let standard = IntroductionSubsidySchedule(amountsFen: [20_000_000, 25_000_000, 30_000_000, 35_000_000, 40_000_000])

    public func problems() -> [FieldProblem] {
        var out: [FieldProblem] = []
        if amountsFen.isEmpty { out.append(FieldProblem(field: "amountsFen", reason: LocalizedText(zh: "至少一年", en: "at least one year"))) }
        for (i, a) in amountsFen.enumerated() {
            if a <= 0 { out.append(FieldProblem(field: "amountsFen[\(i)]", reason: LocalizedText(zh: "金额应大于 0", en: "above 0"))) }
            if i > 0, a < amountsFen[i - 1] {
                out.append(FieldProblem(field: "amountsFen[\(i)]", reason: LocalizedText(zh: "补贴应逐年递增", en: "the subsidy does not decrease from year to year")))
            }
        }
        return out
    }

    /// The amount for the service year that contains `date`, counting from `since`; nil outside the schedule.
    public func amount(since: LocalDate, on date: LocalDate) -> (year: Int, fen: Int)? {
        guard date >= since else { return nil }
        var year = 1
        var start = since
        while true {
            let next = LocalDate(year: start.year + 1, month: start.month, day: min(start.day, BillingPeriod.daysIn(year: start.year + 1, month: start.month)))
            if date < next { break }
            start = next
            year += 1
        }
        guard year <= amountsFen.count else { return nil }
        return (year, amountsFen[year - 1])
    }
}

/// A subsidy request and its decision (plan §9(2)): introduction subsidies are confirmed by the street office,
/// policy subsidies for unforeseen work outside the contract are requested by the steward and decided by the
/// district office.
public enum SubsidyKind: String, Sendable, Codable, CaseIterable {
    case introduction, policy

    public var label: LocalizedText {
        switch self {
        case .introduction: LocalizedText(zh: "引入服务补贴", en: "Introduction subsidy")
        case .policy: LocalizedText(zh: "政策补贴", en: "Policy subsidy")
        }
    }

    public var source: IncomeSource { self == .introduction ? .introductionSubsidy : .policySubsidy }
}

public enum SubsidyState: String, Sendable, Codable, CaseIterable {
    case requested, approved, rejected

    public var label: LocalizedText {
        switch self {
        case .requested: LocalizedText(zh: "待审批", en: "Requested")
        case .approved: LocalizedText(zh: "已批准", en: "Approved")
        case .rejected: LocalizedText(zh: "未批准", en: "Rejected")
        }
    }
}
