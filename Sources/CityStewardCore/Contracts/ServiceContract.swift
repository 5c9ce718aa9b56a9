import Foundation

/// How a steward came to run a village's property services (plan §7(1)).
public enum TakeoverMode: String, Sendable, Codable, CaseIterable {
    /// The former company did not qualify and withdrew; the steward took over everything.
    case fullTakeover
    /// The former company stays, working with the steward in one of four ways.
    case merger, restructuring, consulting, menuCooperation
    /// There was no property company; the street office brought the steward in.
    case newIntroduction

    public var isCoexistence: Bool { [.merger, .restructuring, .consulting, .menuCooperation].contains(self) }

    public var label: LocalizedText {
        switch self {
        case .fullTakeover: LocalizedText(zh: "全面接管", en: "Full takeover")
        case .merger: LocalizedText(zh: "并存·兼并", en: "Coexistence: merger")
        case .restructuring: LocalizedText(zh: "并存·重组", en: "Coexistence: restructuring")
        case .consulting: LocalizedText(zh: "并存·顾问咨询", en: "Coexistence: consulting")
        case .menuCooperation: LocalizedText(zh: "并存·菜单式合作", en: "Coexistence: menu cooperation")
        case .newIntroduction: LocalizedText(zh: "新引入（原无物业）", en: "New introduction (no former company)")
        }
    }
}

/// A contract that goes with a takeover: the property service (or consulting) contract with the tenderer, or the
/// cooperation contract with the former company.
public struct TakeoverContract: Sendable, Codable, Equatable {
    public enum Counterparty: String, Sendable, Codable, CaseIterable { case tenderer, formerCompany }
    public enum Kind: String, Sendable, Codable, CaseIterable { case propertyService, consulting, cooperation }

    public var counterparty: Counterparty
    public var kind: Kind
    public var reference: String
    public var signedOn: LocalDate
    public var from: LocalDate
    public var to: LocalDate?

    public init(counterparty: Counterparty, kind: Kind, reference: String, signedOn: LocalDate, from: LocalDate, to: LocalDate?) {
        self.counterparty = counterparty
        self.kind = kind
        self.reference = reference
        self.signedOn = signedOn
        self.from = from
        self.to = to
    }
}

public struct VillageTakeover: Sendable, Codable, Equatable {
    public var mode: TakeoverMode
    public var since: LocalDate
    public var formerCompany: String?
    public var contracts: [TakeoverContract]
    public var note: String?

    public init(mode: TakeoverMode, since: LocalDate, formerCompany: String?, contracts: [TakeoverContract], note: String?) {
        self.mode = mode
        self.since = since
        self.formerCompany = formerCompany
        self.contracts = contracts
        self.note = note
    }

    public func problems() -> [FieldProblem] {
        var out: [FieldProblem] = []
        if mode.isCoexistence, (formerCompany ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            out.append(FieldProblem(field: "formerCompany", reason: LocalizedText(zh: "并存方式须写明原物业公司", en: "coexistence names the former property company")))
        }
        if mode == .newIntroduction, formerCompany != nil {
            out.append(FieldProblem(field: "formerCompany", reason: LocalizedText(zh: "新引入的片区原无物业公司", en: "a new introduction has no former company")))
        }
        for (i, c) in contracts.enumerated() {
            if c.reference.trimmingCharacters(in: .whitespaces).isEmpty {
                out.append(FieldProblem(field: "contracts[\(i)].reference", reason: LocalizedText(zh: "合同编号不能为空", en: "the contract reference is required")))
            }
            if let to = c.to, to < c.from {
                out.append(FieldProblem(field: "contracts[\(i)].to", reason: LocalizedText(zh: "结束日期早于开始日期", en: "ends before it starts")))
            }
            if c.counterparty == .formerCompany, !mode.isCoexistence {
                out.append(FieldProblem(field: "contracts[\(i)].counterparty", reason: LocalizedText(
                    zh: "只有并存方式才与原物业公司签约", en: "only a coexistence has a contract with the former company")))
            }
        }
        return out
    }
}

public enum ProcurementMethod: String, Sendable, Codable, CaseIterable {
    case directEntrustment, singleSource

    public var label: LocalizedText {
        switch self {
        case .directEntrustment: LocalizedText(zh: "直接委托", en: "Direct entrustment")
        case .singleSource: LocalizedText(zh: "单一来源采购", en: "Single-source procurement")
        }
    }
}

/// One entrusted matter in a contract: how much of it, at what price per unit and month.
public struct ContractLine: Sendable, Codable, Equatable {
    public var matterCode: String
    public var quantity: Int
    /// m², 项, 人, 处 …
    public var unit: String
    /// Fen per unit per month.
    public var unitPriceFen: Int
    /// The catalog's industry benchmark at the time the line was written.
    public var benchmarkPriceFen: Int
    /// Why the price differs from the benchmark (required when it does).
    public var priceReason: String?
    /// The handling time limit agreed for the matter, in hours (nil: the category's own limits apply).
    public var timeLimitHours: Int?

    public init(matterCode: String, quantity: Int, unit: String, unitPriceFen: Int, benchmarkPriceFen: Int, priceReason: String? = nil, timeLimitHours: Int? = nil) {
        self.matterCode = matterCode
        self.quantity = quantity
        self.unit = unit
        self.unitPriceFen = unitPriceFen
        self.benchmarkPriceFen = benchmarkPriceFen
        self.priceReason = priceReason
        self.timeLimitHours = timeLimitHours
    }

    /// One full month of the line.
    public var monthlyFen: Int { quantity * unitPriceFen }
}

/// What a deduction is counted from (liability for breach, plan §7(2)).
public enum DeductionBasis: String, Sendable, Codable, CaseIterable {
    /// A case of the matter whose deadline fell in the period and was not handled in time.
    case overdueCase
    /// A handled case of the matter that failed verification in the period (rework).
    case failedVerification
    /// An item of a spot inspection (抽查) in the period that failed and opened a case of the matter.
    case failedSpotCheck

    public var label: LocalizedText {
        switch self {
        case .overdueCase: LocalizedText(zh: "超期案件", en: "overdue case")
        case .failedVerification: LocalizedText(zh: "核查不通过", en: "failed verification")
        case .failedSpotCheck: LocalizedText(zh: "抽查不合格项", en: "failed spot-check item")
        }
    }
}

public struct DeductionRule: Sendable, Codable, Equatable {
    public var basis: DeductionBasis
    /// nil: every matter of the contract.
    public var matterCode: String?
    public var amountFen: Int
    /// Most deducted by this rule in one billing period (nil: no cap).
    public var capFen: Int?

    public init(basis: DeductionBasis, matterCode: String?, amountFen: Int, capFen: Int?) {
        self.basis = basis
        self.matterCode = matterCode
        self.amountFen = amountFen
        self.capFen = capFen
    }
}

/// A check done before signing (在委托前…考察是否具有相应资质和条件).
public struct QualificationCheck: Sendable, Codable, Equatable {
    public var item: String
    public var passed: Bool
    public var checker: String
    public var date: LocalDate
    public var attachment: String?

    public init(item: String, passed: Bool, checker: String, date: LocalDate, attachment: String?) {
        self.item = item
        self.passed = passed
        self.checker = checker
        self.date = date
        self.attachment = attachment
    }
}

/// How residents were told (以适当方式告知居民).
public struct PublicNotice: Sendable, Codable, Equatable {
    public var date: LocalDate
    public var channel: String
    public var text: String

    public init(date: LocalDate, channel: String, text: String) {
        self.date = date
        self.channel = channel
        self.text = text
    }
}

/// Everything a service contract says. Dates are Beijing days; `end` is the last day covered.
public struct ContractTerms: Sendable, Codable, Equatable {
    public var title: String
    public var streetOffice: String
    public var steward: String
    public var procurement: ProcurementMethod
    /// Codes of the villages (or other areas) covered.
    public var areas: [String]
    public var lines: [ContractLine]
    public var start: LocalDate
    public var end: LocalDate
    public var rightsAndDuties: String
    public var breachLiability: String
    public var deductions: [DeductionRule]
    public var guaranteeText: String
    public var guaranteeFen: Int
    public var qualificationChecks: [QualificationCheck]
    public var notice: PublicNotice?
    /// Ties the fee to the villages' assessment score for the period (nil: paid in full).
    public var performance: PerformancePayment?

    public init(title: String, streetOffice: String, steward: String, procurement: ProcurementMethod, areas: [String], lines: [ContractLine],
                start: LocalDate, end: LocalDate, rightsAndDuties: String, breachLiability: String, deductions: [DeductionRule],
                guaranteeText: String, guaranteeFen: Int, qualificationChecks: [QualificationCheck], notice: PublicNotice?,
                performance: PerformancePayment? = nil) {
        self.performance = performance
        self.title = title
        self.streetOffice = streetOffice
        self.steward = steward
        self.procurement = procurement
        self.areas = areas
        self.lines = lines
        self.start = start
        self.end = end
        self.rightsAndDuties = rightsAndDuties
        self.breachLiability = breachLiability
        self.deductions = deductions
        self.guaranteeText = guaranteeText
        self.guaranteeFen = guaranteeFen
        self.qualificationChecks = qualificationChecks
        self.notice = notice
    }

    /// The full-month value of all lines.
    public var monthlyFen: Int { lines.reduce(0) { $0 + $1.monthlyFen } }

    public func overlaps(_ other: ContractTerms) -> Bool { start <= other.end && other.start <= end }
}

/// A matter of the catalog as contracts price it.
public struct CatalogPrice: Sendable, Codable, Equatable {
    public var matterCode: String
    public var unit: String
    public var benchmarkFen: Int

    public init(matterCode: String, unit: String, benchmarkFen: Int) {
        self.matterCode = matterCode
        self.unit = unit
        self.benchmarkFen = benchmarkFen
    }
}

public enum ContractRules {
    /// Problems with the terms themselves; an empty list means they can be saved.
    /// `mayEntrust` says why a matter may not be entrusted by this street (its own list, the steward's authority).
    public static func problems(_ t: ContractTerms, catalog: [String: CatalogPrice], knownAreas: Set<String>,
                                mayEntrust: (String) -> LocalizedText? = { _ in nil }) -> [FieldProblem] {
        var out: [FieldProblem] = []
        func add(_ field: String, _ zh: String, _ en: String) { out.append(FieldProblem(field: field, reason: LocalizedText(zh: zh, en: en))) }
        if t.title.trimmingCharacters(in: .whitespaces).isEmpty { add("title", "合同名称不能为空", "the title is required") }
        if t.areas.isEmpty { add("areas", "至少包含一个委托管理区域", "at least one area is covered") }
        for (i, code) in t.areas.enumerated() where !knownAreas.contains(code) {
            add("areas[\(i)]", "区域 \(code) 不在该街道内", "area \(code) is not in the street")
        }
        if Set(t.areas).count != t.areas.count { add("areas", "区域重复", "an area is listed twice") }
        if t.end < t.start { add("end", "结束日期早于开始日期", "the term ends before it starts") }
        if t.lines.isEmpty { add("lines", "至少包含一项委托事项", "at least one entrusted matter") }
        var seen = Set<String>()
        for (i, l) in t.lines.enumerated() {
            let f = "lines[\(i)]"
            guard let price = catalog[l.matterCode] else {
                add(f + ".matterCode", "可委托事项清单中没有 \(l.matterCode)", "the catalog has no matter \(l.matterCode)")
                continue
            }
            if !seen.insert(l.matterCode).inserted { add(f + ".matterCode", "事项 \(l.matterCode) 重复", "matter \(l.matterCode) appears twice") }
            if let refusal = mayEntrust(l.matterCode) { out.append(FieldProblem(field: f + ".matterCode", reason: refusal)) }
            if l.quantity <= 0 { add(f + ".quantity", "数量应为正整数", "the quantity is a whole number above 0") }
            if l.unitPriceFen < 0 { add(f + ".unitPriceFen", "单价不能为负", "the unit price cannot be negative") }
            if l.unitPriceFen != price.benchmarkFen, (l.priceReason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                add(f + ".priceReason", "单价与行业管养单价标准（\(Money.yuan(price.benchmarkFen)) 元）不同，须说明理由",
                    "the price differs from the industry benchmark (¥\(Money.yuan(price.benchmarkFen))): give a reason")
            }
            if let h = l.timeLimitHours, h <= 0 { add(f + ".timeLimitHours", "时限应为正数小时", "the time limit is a positive number of hours") }
        }
        for (i, d) in t.deductions.enumerated() {
            let f = "deductions[\(i)]"
            if d.amountFen <= 0 { add(f + ".amountFen", "扣款金额应大于 0", "the deduction is above 0") }
            if let cap = d.capFen, cap <= 0 { add(f + ".capFen", "上限应大于 0", "the cap is above 0") }
            if let m = d.matterCode, !t.lines.contains(where: { $0.matterCode == m }) {
                add(f + ".matterCode", "扣款规则的事项 \(m) 不在本合同中", "matter \(m) of the rule is not in this contract")
            }
        }
        if let p = t.performance { out += p.problems() }
        if t.guaranteeFen < 0 { add("guaranteeFen", "履约保证金不能为负", "the performance guarantee cannot be negative") }
        for (i, q) in t.qualificationChecks.enumerated() where q.item.trimmingCharacters(in: .whitespaces).isEmpty || q.checker.isEmpty {
            add("qualificationChecks[\(i)]", "考察项目和考察人不能为空", "a check names its item and checker")
        }
        if let n = t.notice, n.text.trimmingCharacters(in: .whitespaces).isEmpty || n.channel.isEmpty {
            add("notice", "告知居民须写明渠道和内容", "the notice names its channel and text")
        }
        return out
    }
}

/// The life of a contract version.
public enum ContractState: String, Sendable, Codable, CaseIterable {
    case draft, underReview, signed, active, expired, terminated
    /// Replaced by an amendment that became active.
    case superseded
    /// A draft its street office gave up (a new contract not pursued, an amendment dropped); kept in the history.
    case withdrawn

    public var label: LocalizedText {
        switch self {
        case .draft: LocalizedText(zh: "草稿", en: "Draft")
        case .underReview: LocalizedText(zh: "审核中", en: "Under review")
        case .signed: LocalizedText(zh: "已签订", en: "Signed")
        case .active: LocalizedText(zh: "履行中", en: "Active")
        case .expired: LocalizedText(zh: "已到期", en: "Expired")
        case .terminated: LocalizedText(zh: "已终止", en: "Terminated")
        case .superseded: LocalizedText(zh: "已被变更取代", en: "Superseded")
        case .withdrawn: LocalizedText(zh: "已撤回", en: "Withdrawn")
        }
    }

    /// States that hold a claim on their matters and areas for their term.
    public var claimsTerm: Bool { [.underReview, .signed, .active].contains(self) }
}

public enum ContractAction: String, Sendable, Codable, CaseIterable {
    case submit, returnToDraft = "return", countersign, sign, activate, terminate, withdraw

    public var label: LocalizedText {
        switch self {
        case .submit: LocalizedText(zh: "提交审核", en: "Submit for review")
        case .returnToDraft: LocalizedText(zh: "退回修改", en: "Return for changes")
        case .countersign: LocalizedText(zh: "城市管家会签", en: "Countersign (steward)")
        case .sign: LocalizedText(zh: "签订", en: "Sign")
        case .activate: LocalizedText(zh: "生效", en: "Activate")
        case .terminate: LocalizedText(zh: "终止", en: "Terminate")
        case .withdraw: LocalizedText(zh: "撤回草稿", en: "Withdraw the draft")
        }
    }

    public var from: Set<ContractState> {
        switch self {
        case .submit: [.draft]
        case .returnToDraft: [.underReview]
        case .countersign: [.underReview]
        case .sign: [.underReview]
        case .activate: [.signed]
        case .terminate: [.signed, .active]
        case .withdraw: [.draft]
        }
    }

    public var to: ContractState {
        switch self {
        case .submit: .underReview
        case .returnToDraft: .draft
        case .countersign: .underReview
        case .sign: .signed
        case .activate: .active
        case .terminate: .terminated
        case .withdraw: .withdrawn
        }
    }

    /// What must hold before the action, beyond the state: checks before signing, the residents told before the
    /// matters move. Nil when it may go ahead.
    public func refusal(_ t: ContractTerms, state: ContractState, today: LocalDate, terminationDate: LocalDate?) -> LocalizedText? {
        guard from.contains(state) else {
            return LocalizedText(zh: "合同处于「\(state.label.zh)」，不能\(label.zh)", en: "a contract that is \(state.label.en.lowercased()) cannot be: \(label.en.lowercased())")
        }
        switch self {
        case .sign:
            if t.qualificationChecks.isEmpty {
                return LocalizedText(zh: "签订前须完成资质条件考察", en: "qualification checks come before signing")
            }
            if let failed = t.qualificationChecks.first(where: { !$0.passed }) {
                return LocalizedText(zh: "资质考察「\(failed.item)」未通过，不能签订", en: "the check \"\(failed.item)\" failed: it cannot be signed")
            }
        case .activate:
            if t.notice == nil { return LocalizedText(zh: "生效前须以适当方式告知居民", en: "residents are told before the contract takes effect") }
            if t.end < today { return LocalizedText(zh: "合同期限已过", en: "the term is already over") }
        case .terminate:
            guard let date = terminationDate else { return LocalizedText(zh: "终止须写明终止日期", en: "a termination gives its date") }
            if date < t.start || date > t.end.adding(days: 1) {
                return LocalizedText(zh: "终止日期应在合同期限内", en: "the termination date lies within the term")
            }
        default: break
        }
        return nil
    }
}

/// Who has put their name to a version under review since it was last submitted.
public struct ContractSignatures: Sendable, Equatable {
    /// The account that submitted it (nil: the system, e.g. the demo loader).
    public var submittedBy: UUID?
    /// The steward's countersignature, if given.
    public var countersignedBy: UUID?
    public var countersigned: Bool

    public init(submittedBy: UUID?, countersignedBy: UUID?, countersigned: Bool) {
        (self.submittedBy, self.countersignedBy, self.countersigned) = (submittedBy, countersignedBy, countersigned)
    }

    /// Why `action` may not be taken by `actor` (an account; nil: the system) given the signatures so far. Signing needs
    /// two people besides the steward: the street office's approver is not the one who submitted it, and the steward
    /// has countersigned first.
    public func refusal(_ action: ContractAction, by actor: UUID?) -> LocalizedText? {
        switch action {
        case .countersign where countersigned:
            return LocalizedText(zh: "城市管家已会签此版本", en: "the steward has already countersigned this version")
        case .sign where !countersigned:
            return LocalizedText(zh: "签订前须由城市管家会签", en: "the steward countersigns before the street office signs")
        case .sign where actor != nil && actor == submittedBy:
            return LocalizedText(zh: "提交审核的人不能同时签订：请由街道办另一位审批人签订", en: "whoever submitted it cannot also sign it: another approver of the street office signs")
        default:
            return nil
        }
    }
}

/// One version of a contract as the rules about terms and bills see it.
public struct ContractVersion: Sendable, Equatable {
    public var id: UUID
    public var number: String
    public var version: Int
    public var state: ContractState
    public var terms: ContractTerms
    public var terminatedOn: LocalDate?

    public init(id: UUID, number: String, version: Int, state: ContractState, terms: ContractTerms, terminatedOn: LocalDate?) {
        self.id = id
        self.number = number
        self.version = version
        self.state = state
        self.terms = terms
        self.terminatedOn = terminatedOn
    }

    /// The last day the version covers: its end, or the day before it was terminated.
    public var lastDay: LocalDate { terminatedOn.map { min($0.adding(days: -1), terms.end) } ?? terms.end }
}

extension ContractRules {
    /// Another contract (not a version of this one) claiming one of the same matters in one of the same areas for
    /// an overlapping term: one matter in one place has one steward at a time.
    public static func overlap(of mine: ContractVersion, among others: [ContractVersion]) -> ContractVersion? {
        let matters = Set(mine.terms.lines.map(\.matterCode)), areas = Set(mine.terms.areas)
        return others.first { o in
            o.number != mine.number && o.state.claimsTerm && o.terms.start <= mine.terms.end && mine.terms.start <= o.lastDay
                && !matters.isDisjoint(with: o.terms.lines.map(\.matterCode)) && !areas.isDisjoint(with: o.terms.areas)
        }
    }

    public static func overlapRefusal(_ mine: ContractVersion, _ other: ContractVersion) -> LocalizedText {
        let matters = Set(mine.terms.lines.map(\.matterCode)).intersection(other.terms.lines.map(\.matterCode)).sorted().joined(separator: "、")
        let areas = Set(mine.terms.areas).intersection(other.terms.areas).sorted().joined(separator: "、")
        return LocalizedText(
            zh: "合同 \(mine.number)（\(mine.terms.start)～\(mine.terms.end)）与合同 \(other.number)（\(other.terms.start)～\(other.terms.end)，\(other.state.label.zh)）在区域 \(areas) 的事项 \(matters) 上期限重叠",
            en: "contract \(mine.number) (\(mine.terms.start) to \(mine.terms.end)) overlaps contract \(other.number) (\(other.terms.start) to \(other.terms.end), \(other.state.label.en.lowercased())) for matters \(matters) in areas \(areas)")
    }

    /// Why a version's terms may not be edited (nil: they may).
    public static func editRefusal(state: ContractState) -> LocalizedText? {
        state == .draft ? nil : LocalizedText(zh: "只有草稿可以修改；已签订的合同请发起变更", en: "only a draft can be edited; amend a signed contract instead")
    }

    /// Why a version may not be amended (nil: a new draft version may be made from it).
    public static func amendRefusal(state: ContractState, amendmentInProgress: Bool) -> LocalizedText? {
        guard state == .active || state == .signed else {
            return LocalizedText(zh: "只有已签订或履行中的合同可以变更", en: "only a signed or active contract can be amended")
        }
        return amendmentInProgress ? LocalizedText(zh: "该合同已有一份未完成的变更", en: "this contract already has an amendment in progress") : nil
    }
}

extension FieldProblems {
    public init(_ problems: [FieldProblem]) {
        self.problems = problems
    }

    /// The reasons by field, for a form that shows each by its field (several reasons of one field joined); `rename`
    /// maps a use case's field names to the form's.
    public func messagesByField(_ language: Language, rename: [String: String] = [:]) -> [String: String] {
        var out: [String: String] = [:]
        for p in problems {
            let field = rename[p.field] ?? p.field
            out[field] = [out[field], p.reason.text(language)].compactMap { $0 }.joined(separator: language == .en ? "; " : "；")
        }
        return out
    }

    /// One refusal naming every field and reason: the input had the documented form, and these rules refuse it (422).
    public var domainError: DomainError {
        .unprocessable(field: problems.map(\.field).joined(separator: ","), LocalizedText(
            zh: problems.map { "\($0.field)：\($0.reason.zh)" }.joined(separator: "；"),
            en: problems.map { "\($0.field): \($0.reason.en)" }.joined(separator: "; ")))
    }
}

extension ContractAction {
    /// A contract history entry's action as people read it, including the entries written without a user action.
    public static func label(event action: String) -> LocalizedText {
        if let known = ContractAction(rawValue: action) { return known.label }
        switch action {
        case "create": return LocalizedText(zh: "起草", en: "Drafted")
        case "edit": return LocalizedText(zh: "修改草稿", en: "Draft edited")
        case "amend": return LocalizedText(zh: "变更（新版本）", en: "Amended (new version)")
        case "supersede": return LocalizedText(zh: "被新版本取代", en: "Superseded")
        case "expire": return LocalizedText(zh: "期满终止", en: "Expired")
        default: return LocalizedText(zh: action, en: action)
        }
    }
}
