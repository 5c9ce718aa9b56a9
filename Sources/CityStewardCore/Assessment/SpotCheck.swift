import Foundation

/// The kinds of place a spot inspection (抽查) checks, each with the district's standard checklist: the street scene
/// by the plan's four words (干净、整洁、有序、绿化), public toilets, and public facilities.
public enum SpotCheckPlaceType: String, Sendable, Codable, CaseIterable {
    case street, toilet, facilities

    public var label: LocalizedText {
        switch self {
        case .street: LocalizedText(zh: "街巷环境（干净、整洁、有序、绿化）", en: "Streets and lanes (clean, tidy, orderly, green)")
        case .toilet: LocalizedText(zh: "公共厕所", en: "Public toilets")
        case .facilities: LocalizedText(zh: "公共设施", en: "Public facilities")
        }
    }

    /// The standard checklist. Each item names the event class a failure is filed under, so the case it opens is
    /// routed to whoever the catalogue makes responsible.
    public var items: [SpotCheckItem] {
        switch self {
        case .street: [
            SpotCheckItem(key: "clean.litter", label: LocalizedText(zh: "干净：路面无暴露垃圾、积存渣土", en: "Clean: no exposed litter or heaped spoil"), category: "06010"),
            SpotCheckItem(key: "clean.bins", label: LocalizedText(zh: "干净：垃圾桶（站）不满溢", en: "Clean: bins and stations not overflowing"), category: "06042"),
            SpotCheckItem(key: "tidy.heaps", label: LocalizedText(zh: "整洁：无乱堆杂物", en: "Tidy: no piled-up clutter"), category: "06036"),
            SpotCheckItem(key: "tidy.ads", label: LocalizedText(zh: "整洁：无非法小广告", en: "Tidy: no illegal flyers"), category: "07001"),
            SpotCheckItem(key: "orderly.stalls", label: LocalizedText(zh: "有序：无占道经营", en: "Orderly: no trading on the road"), category: "09006"),
            SpotCheckItem(key: "orderly.bikes", label: LocalizedText(zh: "有序：非机动车有序停放", en: "Orderly: bicycles and e-bikes parked in order"), category: "09010"),
            SpotCheckItem(key: "orderly.fire", label: LocalizedText(zh: "有序：消防通道畅通", en: "Orderly: fire lanes clear"), category: "09012"),
            SpotCheckItem(key: "green.plots", label: LocalizedText(zh: "绿化：绿地无脏乱、无毁绿", en: "Green: green plots clean and intact"), category: "06017"),
        ]
        case .toilet: [
            SpotCheckItem(key: "toilet.clean", label: LocalizedText(zh: "厕位、地面清洁，无明显异味", en: "Stalls and floor clean, no strong smell"), category: "03001"),
            SpotCheckItem(key: "toilet.supplies", label: LocalizedText(zh: "洗手设施、厕纸、洗手液齐全可用", en: "Basins, paper and soap in place and working"), category: "03001"),
            SpotCheckItem(key: "toilet.fittings", label: LocalizedText(zh: "照明、通风、冲水设备正常", en: "Lights, ventilation and flushing work"), category: "03001"),
            SpotCheckItem(key: "toilet.open", label: LocalizedText(zh: "按公示时间开放，无障碍厕位可用", en: "Open at the posted hours, accessible stall usable"), category: "03001"),
            SpotCheckItem(key: "toilet.sign", label: LocalizedText(zh: "指示牌清晰完好", en: "Direction signs legible and intact"), category: "03002"),
        ]
        case .facilities: [
            SpotCheckItem(key: "facility.lights", label: LocalizedText(zh: "路灯完好、按时亮灯", en: "Street lights intact and lit on time"), category: "01037"),
            SpotCheckItem(key: "facility.road", label: LocalizedText(zh: "道路、台阶无破损", en: "Roads and steps unbroken"), category: "06013"),
            SpotCheckItem(key: "facility.bins", label: LocalizedText(zh: "垃圾箱完好", en: "Litter bins intact"), category: "03005"),
            SpotCheckItem(key: "facility.fitness", label: LocalizedText(zh: "户外健身设施完好、可安全使用", en: "Outdoor fitness equipment intact and safe"), category: "01046"),
            SpotCheckItem(key: "facility.seats", label: LocalizedText(zh: "街头座椅完好", en: "Street seats intact"), category: "04007"),
            SpotCheckItem(key: "facility.board", label: LocalizedText(zh: "管理责任公示牌完好、信息准确", en: "Responsibility board intact and current"), category: "01065"),
        ]
        }
    }
}

/// One item of a spot-check checklist and the event class its failure opens a case under.
public struct SpotCheckItem: Sendable, Equatable {
    public var key: String
    public var label: LocalizedText
    public var category: String
}

/// A reproducible draw (抽签): SplitMix64 from the recorded seed, a partial Fisher–Yates shuffle of the population in
/// code order. Anyone with the seed and the population draws the same places, so nobody picks friendly spots.
public enum SpotCheckDraw {
    public static func draw(_ population: [String], count: Int, seed: UInt64) -> [String] {
        var pool = population.sorted()
        var rng = SplitMix64(seed: seed)
        let n = min(max(count, 0), pool.count)
        for i in 0..<n {
            // Rejection sampling keeps every remaining place equally likely.
            let range = UInt64(pool.count - i)
            let limit = UInt64.max - UInt64.max % range
            var r = rng.next()
            while r >= limit { r = rng.next() }
            pool.swapAt(i, i + Int(r % range))
        }
        return Array(pool.prefix(n))
    }

    /// The seed as recorded and shown: 16 hex digits.
    public static func text(_ seed: UInt64) -> String {
        let hex = String(seed, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    public static func seed(_ text: String) -> UInt64? {
        text.count == 16 ? UInt64(text, radix: 16) : nil
    }
}

/// A round as checked: what is inspected, where the draw is made and how many places are drawn on which day.
public struct SpotCheckRoundTerms: Sendable, Equatable {
    public var title: String
    public var placeType: SpotCheckPlaceType
    public var scope: UUID
    public var count: Int
    public var day: LocalDate

    public init(title: String, placeType: SpotCheckPlaceType, scope: UUID, count: Int, day: LocalDate) {
        (self.title, self.placeType, self.scope, self.count, self.day) = (title, placeType, scope, count, day)
    }
}

/// One item as an inspector judged it: pass or fail, and for a failure the case it opened with that case's deadline;
/// a re-inspection records when the item was found put right (or found failing again).
public struct SpotCheckFinding: Sendable, Codable, Equatable {
    public var item: Int
    public var key: String
    public var passed: Bool
    public var caseNumber: String?
    public var deadline: Date?
    public var rectifiedAt: Date?
    /// A re-inspection found it still failing.
    public var failedAgainAt: Date?

    public init(item: Int, key: String, passed: Bool, caseNumber: String? = nil, deadline: Date? = nil, rectifiedAt: Date? = nil, failedAgainAt: Date? = nil) {
        (self.item, self.key, self.passed, self.caseNumber, self.deadline, self.rectifiedAt, self.failedAgainAt) = (item, key, passed, caseNumber, deadline, rectifiedAt, failedAgainAt)
    }

    /// Failed and not yet found put right.
    public var open: Bool { !passed && rectifiedAt == nil }
}

/// Where a drawn place stands: waiting for its inspection, passed, failed with items open, or every failed item put right.
public enum SpotCheckState: String, Sendable, Codable, CaseIterable {
    case pending, passed, failed, rectified

    public static func of(_ findings: [SpotCheckFinding]?) -> SpotCheckState {
        guard let findings else { return .pending }
        if findings.allSatisfy(\.passed) { return .passed }
        return findings.contains(where: \.open) ? .failed : .rectified
    }

    public var label: LocalizedText {
        switch self {
        case .pending: LocalizedText(zh: "待检查", en: "To inspect")
        case .passed: LocalizedText(zh: "合格", en: "Passed")
        case .failed: LocalizedText(zh: "不合格，待整改", en: "Failed, awaiting repair")
        case .rectified: LocalizedText(zh: "已整改复查", en: "Put right and re-inspected")
        }
    }
}

public enum SpotCheckRules {
    public static let maxCount = 50

    /// A round's terms; `population` is the number of places that can be drawn in the chosen area.
    public static func validateRound(title: String, placeType: String, scope: UUID?, count: Int?, day: LocalDate?, today: LocalDate,
                                     population: Int) -> Result<SpotCheckRoundTerms, FieldProblems> {
        var problems: [FieldProblem] = []
        func problem(_ field: String, _ zh: String, _ en: String) { problems.append(FieldProblem(field: field, reason: LocalizedText(zh: zh, en: en))) }
        let trimmed = title.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed.count > 60 { problem("title", "请填写抽查名称（不超过 60 字）", "give the round a title (at most 60 characters)") }
        let type = SpotCheckPlaceType(rawValue: placeType)
        if type == nil { problem("placeType", "请选择抽查对象：街巷环境、公共厕所或公共设施", "choose what is inspected: streets, toilets or facilities") }
        if scope == nil { problem("area", "请选择在您的辖区内抽取的范围", "choose an area within your scope to draw from") }
        else if population == 0 { problem("area", "该范围内没有可抽取的网格", "there is no grid to draw in this area") }
        if let count, count >= 1, count <= maxCount {
            if scope != nil, population > 0, count > population { problem("count", "抽取数不能超过可抽网格数 \(population)", "draw at most the \(population) grids there are") }
        } else { problem("count", "抽取 1~\(maxCount) 个网格", "draw 1 to \(maxCount) grids") }
        if let day {
            if day < today || day > today.adding(days: 60) { problem("day", "抽查日期为今天起 60 天内", "the day is today or within the next 60 days") }
        } else { problem("day", "请填写抽查日期", "give the day of the round") }
        guard problems.isEmpty, let type, let scope, let count, let day else { return .failure(FieldProblems(problems)) }
        return .success(SpotCheckRoundTerms(title: trimmed, placeType: type, scope: scope, count: count, day: day))
    }

    /// Each item `pass` or `fail`; a failure carries its photo (the evidence the responsible party and the public see).
    public static func judge(_ type: SpotCheckPlaceType, answers: [String], photos: [Bool]) -> Result<[SpotCheckFinding], FieldProblems> {
        var problems: [FieldProblem] = []
        var out: [SpotCheckFinding] = []
        let items = type.items
        if answers.count != items.count {
            problems.append(FieldProblem(field: "items", reason: LocalizedText(zh: "应回答全部 \(items.count) 项", en: "answer all \(items.count) items")))
        }
        for (i, item) in items.enumerated() where i < answers.count {
            let v = answers[i].trimmingCharacters(in: .whitespaces)
            guard v == "pass" || v == "fail" else {
                problems.append(FieldProblem(field: "items[\(i)]", reason: LocalizedText(zh: "第 \(i + 1) 项：请选择合格或不合格", en: "item \(i + 1): choose pass or fail")))
                continue
            }
            if v == "fail", !(i < photos.count && photos[i]) {
                problems.append(FieldProblem(field: "items[\(i)]", reason: LocalizedText(zh: "第 \(i + 1) 项：不合格须附照片", en: "item \(i + 1): a failed item needs its photo")))
            }
            out.append(SpotCheckFinding(item: i, key: item.key, passed: v == "pass"))
        }
        guard problems.isEmpty else { return .failure(FieldProblems(problems)) }
        return .success(out)
    }

    /// A re-inspection of the items still open: each put right (`pass`) or failing again (`fail`). Findings not open
    /// are left as they were.
    public static func recheck(_ findings: [SpotCheckFinding], answers: [Int: String], now: Date) -> Result<[SpotCheckFinding], FieldProblems> {
        var problems: [FieldProblem] = []
        var out = findings
        let open = findings.indices.filter { findings[$0].open }
        if open.isEmpty { problems.append(FieldProblem(field: "items", reason: LocalizedText(zh: "没有待复查的不合格项", en: "no failed item is waiting for re-inspection"))) }
        for i in open {
            let item = findings[i].item
            switch answers[item]?.trimmingCharacters(in: .whitespaces) {
            case "pass": out[i].rectifiedAt = now
            case "fail": out[i].failedAgainAt = now
            default: problems.append(FieldProblem(field: "items[\(item)]", reason: LocalizedText(zh: "第 \(item + 1) 项：请选择已整改或仍不合格", en: "item \(item + 1): choose put right or still failing")))
            }
        }
        guard problems.isEmpty else { return .failure(FieldProblems(problems)) }
        return .success(out)
    }
}

/// Who inspects where (谁委托谁监管): the district office everywhere, a street office its street, a department
/// everywhere its matters are entrusted (the district's villages); who sees rounds: those, the auditors, and a
/// steward the places drawn in the villages it serves (it must see what to put right).
public enum SpotCheckAccess {
    public static func inspectScope(for actor: Actor) -> OperationsScope {
        guard actor.can(.casesReport), actor.keyScopes == nil else { return .nothing }
        switch actor.role {
        case .districtAdmin, .departmentOfficer: return .all
        case .streetOfficer: return .areas(actor.orgAreas)
        default: return .nothing
        }
    }

    public static func viewScope(for actor: Actor) -> OperationsScope {
        guard actor.can(.casesRead) else { return .nothing }
        switch actor.role {
        case .districtAdmin, .departmentOfficer, .auditor: return .all
        case .streetOfficer: return .areas(actor.orgAreas)
        case .stewardDispatcher, .stewardStaff: return actor.org.map { .steward($0.id) } ?? .nothing
        case .resident, .dataConsumer: return .nothing
        }
    }

    /// Recording or re-inspecting a drawn place: whoever drew the round (its organisation's inspectors).
    public static func mayRecord(_ actor: Actor, roundOrg: UUID) -> Bool {
        inspectScope(for: actor) != .nothing && actor.org?.id == roundOrg
    }
}

/// A spot-checked place as the assessment reads it.
public struct AssessedSpotCheck: Sendable, Equatable {
    public var village: UUID
    public var grid: String
    public var inspectedAt: Date
    public var findings: [SpotCheckFinding]

    public init(village: UUID, grid: String, inspectedAt: Date, findings: [SpotCheckFinding]) {
        (self.village, self.grid, self.inspectedAt, self.findings) = (village, grid, inspectedAt, findings)
    }
}

public enum SpotCheckMeasures {
    /// The pass rate, and the problems with their escalation (扣分): each failed item 1; +1 when it was not fixed in
    /// time (a re-inspection found it still failing, or it is still open past its case's deadline, as of `end`); +1
    /// when the same item had already failed at the same grid earlier in the period. Evidence: the failed items' case
    /// numbers.
    public static func of(_ checks: [AssessedSpotCheck], end: Date) -> [IndicatorMeasure: Measured] {
        guard !checks.isEmpty else { return [:] }
        var items = 0, passed = 0, points = 0
        var seen = Set<String>()
        var evidence: [String] = []
        for c in checks.sorted(by: { $0.inspectedAt < $1.inspectedAt }) {
            for f in c.findings {
                items += 1
                if f.passed { passed += 1; continue }
                points += 1
                // Not fixed in time: a re-inspection found it still failing, or it is still open past its case's deadline.
                if f.failedAgainAt.map({ $0 < end }) == true || (f.rectifiedAt.map { $0 >= end } ?? true) && (f.deadline.map { $0 < end } ?? false) { points += 1 }
                if !seen.insert("\(c.grid)|\(f.key)").inserted { points += 1 }
                if let n = f.caseNumber { evidence.append(n) }
            }
        }
        let refs = Array(evidence.sorted().prefix(CaseMeasures.evidenceLimit))
        return [
            .spotCheckPassRate: .rate(passed, of: items, evidence: refs),
            .spotCheckProblems: .count(points, evidence: refs),
        ]
    }
}
