import Foundation

/// What an indicator is computed from: a figure the system records (never a number typed into a score). Rates are
/// per cent; `direction` says whether more is better.
public enum IndicatorMeasure: String, Sendable, Codable, CaseIterable {
    /// 按期处置率: cases handled by their deadline ÷ cases due in the period.
    case onTimeHandlingRate
    /// 结案率: cases closed ÷ cases due in the period.
    case closureRate
    /// 按期结案率: cases closed by their deadline ÷ cases due.
    case onTimeClosureRate
    /// 返工率: cases sent back for rework at verification ÷ cases handled.
    case reworkRate
    /// 超期案件数: cases past their deadline and not handled by the period's end.
    case overdueCases
    /// 督办数: cases put under supervision.
    case supervisedCases
    /// 满意率: ratings of 4 or 5 ÷ ratings.
    case satisfiedShare
    /// 平均满意度 (1–5).
    case meanRating
    /// 作业计划完成率: tasks done ÷ tasks due.
    case workPlanCompletionRate
    /// 巡更到点率: checkpoints visited ÷ checkpoints due.
    case patrolCompletionRate
    /// 一次核查通过率: cases passing verification the first time ÷ cases whose verification concluded.
    case firstPassRate
    /// 重新办理率: cases the reporter had reopened ÷ cases closed.
    case reopenRate
    /// 响应时长中位数: working hours from the report to the first response (accepted, or handled on the spot).
    case medianResponseHours
    /// 处置时长中位数: working hours from the report to the first handling.
    case medianHandlingHours
    /// 回访评价率: residents' closed cases rated ÷ residents' cases closed.
    case ratingAnswerRate
    /// 抽查合格率: spot-check items passed ÷ items checked.
    case spotCheckPassRate
    /// 抽查扣分: failed spot-check items, each counted again when not fixed in time and again when repeated.
    case spotCheckProblems
    /// 千户诉求率: residents' reports and 12345 transfers ÷ households registered as lived in × 1,000.
    case complaintsPerThousandHouseholds

    public var higherIsBetter: Bool {
        switch self {
        case .reworkRate, .overdueCases, .supervisedCases, .spotCheckProblems, .reopenRate, .medianResponseHours, .medianHandlingHours,
             .complaintsPerThousandHouseholds: false
        default: true
        }
    }

    /// A share in per cent (the others are counts, hours, a mean or a per-thousand figure).
    public var isRate: Bool {
        switch self {
        case .overdueCases, .supervisedCases, .meanRating, .spotCheckProblems, .medianResponseHours, .medianHandlingHours,
             .complaintsPerThousandHouseholds: false
        default: true
        }
    }

    /// The unit written after a value and a band's threshold.
    public var unit: String {
        if isRate { return "%" }
        return self == .complaintsPerThousandHouseholds ? "‰" : ""
    }

    public var label: LocalizedText {
        switch self {
        case .onTimeHandlingRate: LocalizedText(zh: "按期处置率", en: "On-time handling rate")
        case .closureRate: LocalizedText(zh: "结案率", en: "Closure rate")
        case .onTimeClosureRate: LocalizedText(zh: "按期结案率", en: "On-time closure rate")
        case .reworkRate: LocalizedText(zh: "返工率", en: "Rework rate")
        case .overdueCases: LocalizedText(zh: "超期案件数", en: "Overdue cases")
        case .supervisedCases: LocalizedText(zh: "督办案件数", en: "Cases under supervision")
        case .satisfiedShare: LocalizedText(zh: "满意率（4 分及以上）", en: "Satisfied share (4 or 5)")
        case .meanRating: LocalizedText(zh: "平均满意度", en: "Mean rating")
        case .workPlanCompletionRate: LocalizedText(zh: "作业计划完成率", en: "Work-plan completion rate")
        case .patrolCompletionRate: LocalizedText(zh: "巡更到点率", en: "Patrol checkpoints visited")
        case .firstPassRate: LocalizedText(zh: "一次核查通过率", en: "First-time verification pass rate")
        case .reopenRate: LocalizedText(zh: "重新办理率", en: "Reopen rate")
        case .medianResponseHours: LocalizedText(zh: "响应时长中位数（工作小时）", en: "Median response time (working hours)")
        case .medianHandlingHours: LocalizedText(zh: "处置时长中位数（工作小时）", en: "Median handling time (working hours)")
        case .ratingAnswerRate: LocalizedText(zh: "回访评价率", en: "Rating answer rate")
        case .spotCheckPassRate: LocalizedText(zh: "抽查合格率", en: "Spot-check pass rate")
        case .spotCheckProblems: LocalizedText(zh: "抽查问题扣分", en: "Spot-check problems")
        case .complaintsPerThousandHouseholds: LocalizedText(zh: "千户诉求率", en: "Complaints per 1,000 households")
        }
    }

    /// The formula as the method publishes it.
    public var formula: LocalizedText {
        switch self {
        case .onTimeHandlingRate: LocalizedText(zh: "按期处置数 ÷ 应处置数 × 100%", en: "cases handled by their deadline ÷ cases due × 100%")
        case .closureRate: LocalizedText(zh: "结案数 ÷ 应结案数 × 100%", en: "cases closed ÷ cases due × 100%")
        case .onTimeClosureRate: LocalizedText(zh: "按期结案数 ÷ 应结案数 × 100%", en: "cases closed by their deadline ÷ cases due × 100%")
        case .reworkRate: LocalizedText(zh: "返工数 ÷ 处置数 × 100%", en: "cases sent back for rework ÷ cases handled × 100%")
        case .overdueCases: LocalizedText(zh: "期末超期未处置的案件数", en: "cases past their deadline and not handled at the period's end")
        case .supervisedCases: LocalizedText(zh: "期内被督办的案件数", en: "cases put under supervision in the period")
        case .satisfiedShare: LocalizedText(zh: "4、5 分评价数 ÷ 评价数 × 100%", en: "ratings of 4 or 5 ÷ ratings × 100%")
        case .meanRating: LocalizedText(zh: "评价分之和 ÷ 评价数", en: "sum of ratings ÷ ratings")
        case .workPlanCompletionRate: LocalizedText(zh: "完成任务数 ÷ 应完成任务数 × 100%", en: "tasks done ÷ tasks due × 100%")
        case .patrolCompletionRate: LocalizedText(zh: "到点数 ÷ 应到点数 × 100%", en: "checkpoints visited ÷ checkpoints due × 100%")
        case .firstPassRate: LocalizedText(zh: "一次通过核查数 ÷ 完成核查数 × 100%", en: "cases passing verification the first time ÷ cases whose verification concluded × 100%")
        case .reopenRate: LocalizedText(zh: "重新办理数 ÷ 结案数 × 100%", en: "cases the reporter had reopened ÷ cases closed × 100%")
        case .medianResponseHours: LocalizedText(zh: "各案件自上报至接单（或现场处置）的工作小时数的中位数", en: "the median of the working hours from each report to its first response (accepted, or handled on the spot)")
        case .medianHandlingHours: LocalizedText(zh: "各案件自上报至处置完毕的工作小时数的中位数", en: "the median of the working hours from each report to its handling")
        case .ratingAnswerRate: LocalizedText(zh: "居民上报已结案件中已评价数 ÷ 居民上报已结案件数 × 100%", en: "residents' closed cases rated ÷ residents' closed cases × 100%")
        case .spotCheckPassRate: LocalizedText(zh: "抽查合格项数 ÷ 抽查项数 × 100%", en: "spot-check items passed ÷ items checked × 100%")
        case .spotCheckProblems: LocalizedText(zh: "每个不合格项计 1；复查仍不合格或逾期未整改加 1；同一网格同一项期内重复出现加 1",
                                               en: "1 per failed item; +1 when a re-inspection finds it still failing or it is open past its deadline; +1 when the same item failed at the same grid earlier in the period")
        case .complaintsPerThousandHouseholds: LocalizedText(zh: "期内居民上报与 12345 转办的案件数 ÷ 房屋登记中有人居住的户数 × 1000‰",
                                                             en: "cases reported by residents or transferred from the 12345 hotline in the period ÷ households lived in on the house register × 1,000‰")
        }
    }
}

/// One step of an indicator's scale: a value at or beyond `threshold` (at least, when more is better; at most,
/// otherwise) earns `points` of 100.
public struct ScoreBand: Sendable, Codable, Equatable {
    public var threshold: Double
    public var points: Double

    public init(threshold: Double, points: Double) {
        (self.threshold, self.points) = (threshold, points)
    }
}

/// A node of the indicator tree: a group of indicators, or a leaf computed from one measure and scored by its bands.
/// `weight` is its share of its parent, in per cent (siblings sum to 100).
public struct Indicator: Sendable, Codable, Equatable {
    public var key: String
    public var name: String
    public var weight: Double
    public var measure: IndicatorMeasure?
    public var bands: [ScoreBand]
    public var children: [Indicator]

    public init(key: String, name: String, weight: Double, measure: IndicatorMeasure? = nil, bands: [ScoreBand] = [], children: [Indicator] = []) {
        (self.key, self.name, self.weight, self.measure, self.bands, self.children) = (key, name, weight, measure, bands, children)
    }

    /// The leaves under (and including) this node.
    public var leaves: [Indicator] { children.isEmpty ? [self] : children.flatMap(\.leaves) }
}

/// A grade and the lowest total that earns it.
public struct GradeBand: Sendable, Codable, Equatable {
    public var grade: String
    public var minimum: Double

    public init(grade: String, minimum: Double) {
        (self.grade, self.minimum) = (grade, minimum)
    }
}

/// An assessment method as checked: the indicator tree and the grades.
public struct AssessmentMethod: Sendable, Codable, Equatable {
    public var indicators: [Indicator]
    public var grades: [GradeBand]

    public init(indicators: [Indicator], grades: [GradeBand]) {
        (self.indicators, self.grades) = (indicators, grades)
    }

    public func grade(of total: Double) -> String? {
        grades.sorted { $0.minimum > $1.minimum }.first { total >= $0.minimum }?.grade
    }
}

public enum AssessmentRules {
    public static let maxDepth = 3
    public static let maxIndicators = 60

    /// Every problem of a method at once, each named by the indicator's key: siblings' weights that do not sum to
    /// 100, a leaf without a measure or without bands, bands out of order or out of 0–100, keys twice, grades out of
    /// order.
    public static func validate(_ method: AssessmentMethod) -> Result<AssessmentMethod, FieldProblems> {
        var problems: [FieldProblem] = []
        func problem(_ field: String, _ zh: String, _ en: String) { problems.append(FieldProblem(field: field, reason: LocalizedText(zh: zh, en: en))) }
        if method.indicators.isEmpty { problem("indicators", "请至少设一项指标", "give at least one indicator") }
        var keys = Set<String>(), count = 0
        func check(_ siblings: [Indicator], parent: String, depth: Int) {
            guard !siblings.isEmpty else { return }
            let sum = siblings.reduce(0) { $0 + $1.weight }
            if abs(sum - 100) > 0.001 {
                problem(parent, "\(parent == "indicators" ? "一级指标" : parent + " 的下级指标")权重之和应为 100，现为 \(format(sum))",
                        "the weights of \(parent == "indicators" ? "the top indicators" : parent + "'s indicators") sum to \(format(sum)), not 100")
            }
            for i in siblings {
                count += 1
                let field = "indicators.\(i.key)"
                if i.key.trimmingCharacters(in: .whitespaces).isEmpty || !keys.insert(i.key).inserted {
                    problem(field, "指标编号为空或重复", "an indicator's key is empty or used twice")
                }
                if i.name.trimmingCharacters(in: .whitespaces).isEmpty || i.name.count > 60 { problem(field, "请填写指标名称（不超过 60 字）", "name the indicator (at most 60 characters)") }
                if !(i.weight > 0 && i.weight <= 100) { problem(field, "权重应大于 0、不超过 100", "a weight is above 0 and at most 100") }
                if i.children.isEmpty {
                    if i.measure == nil { problem(field, "末级指标须选定由系统计算的数据来源", "a leaf indicator names the record it is computed from") }
                    // The bands' order depends on the measure's direction: checked once there is one.
                    else { problems += bandProblems(i, field: field) }
                } else {
                    if i.measure != nil || !i.bands.isEmpty { problem(field, "有下级的指标不直接计分", "an indicator with indicators under it is not scored itself") }
                    if depth >= maxDepth { problem(field, "指标最多 \(maxDepth) 级", "indicators go at most \(maxDepth) levels deep") } else { check(i.children, parent: i.key, depth: depth + 1) }
                }
            }
        }
        check(method.indicators, parent: "indicators", depth: 1)
        if count > maxIndicators { problem("indicators", "指标不超过 \(maxIndicators) 项", "at most \(maxIndicators) indicators") }
        let grades = method.grades
        if grades.isEmpty { problem("grades", "请设定等级", "set the grades") }
        if Set(grades.map(\.grade)).count != grades.count || grades.contains(where: { $0.grade.isEmpty || !(0...100).contains($0.minimum) })
            || Set(grades.map(\.minimum)).count != grades.count {
            problem("grades", "等级名称不能为空或重复，分数线在 0~100 且互不相同", "grades have distinct names and distinct minimums within 0–100")
        }
        return problems.isEmpty ? .success(method) : .failure(FieldProblems(problems))
    }

    static func bandProblems(_ i: Indicator, field: String) -> [FieldProblem] {
        let bands = i.bands
        guard !bands.isEmpty else {
            return [FieldProblem(field: field, reason: LocalizedText(zh: "请设定计分档次", en: "set the scoring bands"))]
        }
        if bands.contains(where: { !(0...100).contains($0.points) || !$0.threshold.isFinite || $0.threshold < 0 }) {
            return [FieldProblem(field: field, reason: LocalizedText(zh: "每档得分在 0~100，门槛不小于 0", en: "each band's points are 0–100 and its threshold not negative"))]
        }
        // Better values first, each band a strictly weaker threshold and fewer points.
        let better = i.measure?.higherIsBetter ?? true   // called with a measure
        for (a, b) in zip(bands, bands.dropFirst()) where (better ? b.threshold >= a.threshold : b.threshold <= a.threshold) || b.points >= a.points {
            return [FieldProblem(field: field, reason: LocalizedText(zh: "档次应从好到差排列，得分逐档递减", en: "bands go from best to worst with fewer points each"))]
        }
        return []
    }

    static func format(_ x: Double) -> String {
        x == x.rounded() ? String(Int(x)) : String(format: "%.2f", x)
    }
}

/// A year's assessment plan as checked: its year, its name and its method.
public struct AssessmentPlanTerms: Sendable, Equatable {
    public var year: Int
    public var name: String
    public var method: AssessmentMethod

    public init(year: Int, name: String, method: AssessmentMethod) {
        (self.year, self.name, self.method) = (year, name, method)
    }
}

/// Who manages assessment plans and whose scores one sees.
public enum AssessmentAccess {
    /// Making, changing and publishing plans: the district office.
    public static func mayManage(_ actor: Actor) -> Bool { actor.role == .districtAdmin && actor.can(.casesWork) }

    /// Plans not yet published: those who manage them and the auditors.
    public static func seesDrafts(_ actor: Actor) -> Bool { mayManage(actor) || actor.role == .auditor }

    /// Whose scores: the villages of the caller's areas (a steward's: those it serves), everywhere for the district
    /// office, auditors and departments (who assess together with the district, plan §10).
    public static func scope(for actor: Actor) -> OperationsScope {
        guard actor.can(.areasRead), actor.can(.casesRead) else { return .nothing }
        switch actor.role {
        case .districtAdmin, .auditor, .departmentOfficer: return .all
        case .streetOfficer: return .areas(actor.orgAreas)
        case .stewardDispatcher, .stewardStaff: return actor.org.map { .steward($0.id) } ?? .nothing
        case .resident, .dataConsumer: return .nothing
        }
    }

    /// Whose matters the scores count (谁委托谁监管, issue 19 §4): a department officer's are always its own
    /// department's; the others count every case unless they ask for one department's (`asked`).
    public static func department(for actor: Actor, asked: UUID?) -> UUID? {
        actor.role == .departmentOfficer ? actor.org?.id : asked
    }

    /// Whether the caller may ask for this department's scores: a department officer only for its own (another one
    /// is answered as a department that does not exist, like every record outside a scope).
    public static func mayAsk(_ actor: Actor, department: UUID) -> Bool {
        actor.role != .departmentOfficer || actor.org?.id == department
    }
}

extension AssessmentRules {
    /// A plan's year and name with its method; `today` bounds the year (no plan for a year long past).
    public static func validate(year: Int?, name: String, method: AssessmentMethod, today: LocalDate) -> Result<AssessmentPlanTerms, FieldProblems> {
        var problems: [FieldProblem] = []
        if let year, (today.year - 1...today.year + 1).contains(year) {} else {
            problems.append(FieldProblem(field: "year", reason: LocalizedText(zh: "考核年度为去年、今年或明年", en: "the year is last year, this year or next year")))
        }
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed.count > 60 {
            problems.append(FieldProblem(field: "name", reason: LocalizedText(zh: "请填写方案名称（不超过 60 字）", en: "name the plan (at most 60 characters)")))
        }
        if case .failure(let p) = validate(method) { problems += p.problems }
        guard problems.isEmpty, let year else { return .failure(FieldProblems(problems)) }
        return .success(AssessmentPlanTerms(year: year, name: trimmed, method: method))
    }

    /// A published plan is frozen: publishing is for a plan of a year not yet begun; after it, a change is a new
    /// version with its reason.
    public static func mayPublish(year: Int, today: LocalDate) -> Bool { today.year < year }

    public static func validateReason(_ reason: String, published: Bool) -> FieldProblem? {
        let r = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        if published, r.isEmpty { return FieldProblem(field: "reason", reason: LocalizedText(zh: "已公布的方案变更须写明原因", en: "a change to a published plan gives its reason")) }
        if r.count > 500 { return FieldProblem(field: "reason", reason: LocalizedText(zh: "原因不超过 500 字", en: "the reason is at most 500 characters")) }
        return nil
    }
}

extension AssessmentMethod {
    /// The district's standard method, the starting point of a year's plan: case handling in the GB/T 30428.4 manner
    /// (on time, closed, rework, overdue), residents' satisfaction, the steward's own plans and patrols, and what the
    /// district's, streets' and departments' spot inspections find (抽查); grades
    /// A+ ≥ 93, A ≥ 90, B ≥ 87, C below (the Shenzhen 市容环境 grading).
    public static let standard = AssessmentMethod(indicators: [
        Indicator(key: "1", name: "案件处置", weight: 40, children: [
            Indicator(key: "1.1", name: "按期处置率", weight: 35, measure: .onTimeHandlingRate,
                      bands: [ScoreBand(threshold: 95, points: 100), ScoreBand(threshold: 90, points: 90), ScoreBand(threshold: 80, points: 75),
                              ScoreBand(threshold: 70, points: 60), ScoreBand(threshold: 50, points: 30)]),
            Indicator(key: "1.2", name: "结案率", weight: 20, measure: .closureRate,
                      bands: [ScoreBand(threshold: 95, points: 100), ScoreBand(threshold: 90, points: 85), ScoreBand(threshold: 80, points: 70),
                              ScoreBand(threshold: 60, points: 40)]),
            Indicator(key: "1.3", name: "返工率", weight: 15, measure: .reworkRate,
                      bands: [ScoreBand(threshold: 2, points: 100), ScoreBand(threshold: 5, points: 85), ScoreBand(threshold: 10, points: 60),
                              ScoreBand(threshold: 20, points: 30)]),
            Indicator(key: "1.4", name: "超期案件", weight: 15, measure: .overdueCases,
                      bands: [ScoreBand(threshold: 0, points: 100), ScoreBand(threshold: 2, points: 80), ScoreBand(threshold: 5, points: 60),
                              ScoreBand(threshold: 10, points: 30)]),
            Indicator(key: "1.5", name: "响应时长", weight: 15, measure: .medianResponseHours,
                      bands: [ScoreBand(threshold: 2, points: 100), ScoreBand(threshold: 4, points: 85), ScoreBand(threshold: 8, points: 65),
                              ScoreBand(threshold: 16, points: 40)]),
        ]),
        Indicator(key: "2", name: "群众满意", weight: 25, children: [
            Indicator(key: "2.1", name: "满意率", weight: 60, measure: .satisfiedShare,
                      bands: [ScoreBand(threshold: 95, points: 100), ScoreBand(threshold: 90, points: 90), ScoreBand(threshold: 80, points: 75),
                              ScoreBand(threshold: 60, points: 50)]),
            Indicator(key: "2.2", name: "平均满意度", weight: 25, measure: .meanRating,
                      bands: [ScoreBand(threshold: 4.5, points: 100), ScoreBand(threshold: 4, points: 85), ScoreBand(threshold: 3.5, points: 65),
                              ScoreBand(threshold: 3, points: 40)]),
            Indicator(key: "2.3", name: "回访评价率", weight: 15, measure: .ratingAnswerRate,
                      bands: [ScoreBand(threshold: 80, points: 100), ScoreBand(threshold: 60, points: 85), ScoreBand(threshold: 40, points: 65),
                              ScoreBand(threshold: 20, points: 40)]),
        ]),
        Indicator(key: "3", name: "日常作业", weight: 15, children: [
            Indicator(key: "3.1", name: "作业计划完成率", weight: 60, measure: .workPlanCompletionRate,
                      bands: [ScoreBand(threshold: 98, points: 100), ScoreBand(threshold: 95, points: 90), ScoreBand(threshold: 90, points: 75),
                              ScoreBand(threshold: 80, points: 50)]),
            Indicator(key: "3.2", name: "巡更到点率", weight: 40, measure: .patrolCompletionRate,
                      bands: [ScoreBand(threshold: 98, points: 100), ScoreBand(threshold: 95, points: 90), ScoreBand(threshold: 90, points: 75),
                              ScoreBand(threshold: 80, points: 50)]),
        ]),
        Indicator(key: "4", name: "现场抽查", weight: 20, children: [
            Indicator(key: "4.1", name: "抽查合格率", weight: 60, measure: .spotCheckPassRate,
                      bands: [ScoreBand(threshold: 95, points: 100), ScoreBand(threshold: 90, points: 85), ScoreBand(threshold: 80, points: 65),
                              ScoreBand(threshold: 60, points: 40)]),
            Indicator(key: "4.2", name: "抽查问题扣分", weight: 40, measure: .spotCheckProblems,
                      bands: [ScoreBand(threshold: 0, points: 100), ScoreBand(threshold: 2, points: 85), ScoreBand(threshold: 4, points: 65),
                              ScoreBand(threshold: 8, points: 35)]),
        ]),
    ], grades: [GradeBand(grade: "A+", minimum: 93), GradeBand(grade: "A", minimum: 90), GradeBand(grade: "B", minimum: 87), GradeBand(grade: "C", minimum: 0)])
}
