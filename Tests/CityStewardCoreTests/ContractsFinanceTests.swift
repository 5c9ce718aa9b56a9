import Foundation
import CityStewardCore
import Testing

/// A contract from 10 November 2026 for a year, three matters, two deduction rules: the numbers below are worked by
/// hand in the comments.
func sampleTerms(start: LocalDate = LocalDate(year: 2026, month: 11, day: 10), end: LocalDate = LocalDate(year: 2027, month: 11, day: 9)) -> ContractTerms {
    ContractTerms(
        title: "松仔园村城市管家服务合同", streetOffice: "LH-ST-002", steward: "LH-STEWARD-01", procurement: .singleSource, areas: ["440309002001"],
        lines: [
            ContractLine(matterCode: "M-SAN-01", quantity: 12_000, unit: "m²", unitPriceFen: 85, benchmarkPriceFen: 85),              // ¥10,200 a month
            ContractLine(matterCode: "M-PAT-01", quantity: 4, unit: "人", unitPriceFen: 650_000, benchmarkPriceFen: 600_000,
                         priceReason: "夜间巡查加班"),                                                                               // ¥26,000 a month
            ContractLine(matterCode: "M-FAC-01", quantity: 1, unit: "项", unitPriceFen: 1_500_000, benchmarkPriceFen: 1_500_000, timeLimitHours: 48),  // ¥15,000
        ],
        start: start, end: end, rightsAndDuties: "甲方按月支付，乙方按标准提供服务。", breachLiability: "按扣款规则扣减当期服务费。",
        deductions: [
            DeductionRule(basis: .overdueCase, matterCode: nil, amountFen: 20_000, capFen: 100_000),       // ¥200 a case, at most ¥1,000
            DeductionRule(basis: .failedVerification, matterCode: "M-SAN-01", amountFen: 5_000, capFen: nil), // ¥50 a failed check
        ],
        guaranteeText: "运营主体对未完成的合同工作兜底完成。", guaranteeFen: 5_000_000,
        qualificationChecks: [QualificationCheck(item: "物业服务企业资质", passed: true, checker: "民治街道办 李工", date: LocalDate(year: 2026, month: 10, day: 20), attachment: "qual-2026-10.pdf")],
        notice: PublicNotice(date: LocalDate(year: 2026, month: 11, day: 1), channel: "社区公告栏、i社区码上办", text: "本村自 11 月 10 日起由城市管家提供服务。"))
}

let sampleCatalog: [String: CatalogPrice] = [
    "M-SAN-01": CatalogPrice(matterCode: "M-SAN-01", unit: "m²", benchmarkFen: 85),
    "M-PAT-01": CatalogPrice(matterCode: "M-PAT-01", unit: "人", benchmarkFen: 600_000),
    "M-FAC-01": CatalogPrice(matterCode: "M-FAC-01", unit: "项", benchmarkFen: 1_500_000),
]

@Suite("Contracts and billing")
struct ContractsFinanceTests {
    @Test func periodsParseAndSpanTheirDays() {
        #expect(BillingPeriod("2026-11") == BillingPeriod(year: 2026, month: 11))
        #expect(BillingPeriod("2026-q4")?.monthList.map(\.month) == [10, 11, 12])
        #expect(BillingPeriod("2026-Q4")?.endExclusive == LocalDate(year: 2027, month: 1, day: 1))
        for bad in ["2026-13", "2026-Q5", "2026", "11-2026", "2026-1", ""] { #expect(BillingPeriod(bad) == nil, "\(bad)") }
        #expect(BillingPeriod.daysIn(year: 2028, month: 2) == 29 && BillingPeriod.daysIn(year: 2026, month: 2) == 28)
        #expect(LedgerMonth(year: 2026, month: 1).trailing(3).map(\.description) == ["2025-11", "2025-12", "2026-01"])
    }

    @Test func aFullMonthIsQuantityTimesPriceLessCappedDeductions() {
        let facts = BillingFacts(overdueCases: ["M-SAN-01": 3, "M-PAT-01": 4], failedVerifications: ["M-SAN-01": 2])
        let s = Billing.compute(sampleTerms(), period: BillingPeriod(year: 2026, month: 12), facts: facts)
        // 12,000 × 0.85 = 10,200.00; 4 × 6,500 = 26,000.00; 1 × 15,000 = 15,000.00 → 51,200.00.
        #expect(s.lines.filter { $0.kind == .service }.map(\.amountFen) == [1_020_000, 2_600_000, 1_500_000])
        #expect(s.grossFen == 5_120_000)
        // 7 overdue × 200 = 1,400 capped at 1,000; 2 failed checks × 50 = 100 → 1,100.00 deducted; 50,100.00 net.
        #expect(s.lines.filter { $0.kind == .deduction }.map(\.amountFen) == [-100_000, -10_000])
        #expect(s.deductionsFen == 110_000 && s.netFen == 5_010_000)
        #expect(s.lines[0].explanation.zh == "M-SAN-01：12000 m² × 0.85 元/m²·月 × 1 个月 = 10,200.00 元")
        #expect(s.lines[3].explanation.zh.contains("7 件超期案件 × 200.00 元 = 1,400.00 元（本期上限 1,000.00 元），扣 1,000.00 元"))
    }

    @Test func partMonthsArePaidByTheDayAndQuartersAddUp() {
        // November: the term starts on the 10th, so 21 of 30 days: 714,000 + 1,820,000 + 1,050,000 = 3,584,000.
        let nov = Billing.compute(sampleTerms(), period: BillingPeriod(year: 2026, month: 11), facts: BillingFacts())
        #expect(nov.lines.map(\.amountFen) == [714_000, 1_820_000, 1_050_000] && nov.grossFen == 3_584_000 && nov.lines[0].days == 21)
        #expect(nov.lines[0].explanation.en.hasSuffix("× 21/30 month = ¥7,140.00"))
        // The fourth quarter: nothing in October, 21/30 of November, all of December.
        let q4 = Billing.compute(sampleTerms(), period: BillingPeriod(year: 2026, quarter: 4), facts: BillingFacts())
        #expect(q4.grossFen == 3_584_000 + 5_120_000 && q4.lines[0].daysInPeriod == 92)
        // Rounded half up to the fen: 7 days of 31 of ¥10,200 = 2,303.2258… → 2,303.23.
        let tail = Billing.compute(sampleTerms(start: LocalDate(year: 2027, month: 1, day: 25)), period: BillingPeriod(year: 2027, month: 1), facts: BillingFacts())
        #expect(tail.lines[0].amountFen == 230_323)
        // After the term: nothing.
        #expect(Billing.compute(sampleTerms(), period: BillingPeriod(year: 2027, month: 12), facts: BillingFacts()).grossFen == 0)
    }

    @Test func deductionsNeverExceedWhatIsOwed() {
        var t = sampleTerms()
        t.deductions = [DeductionRule(basis: .overdueCase, matterCode: nil, amountFen: 10_000_000, capFen: nil)]
        let s = Billing.compute(t, period: BillingPeriod(year: 2026, month: 12), facts: BillingFacts(overdueCases: ["M-SAN-01": 1]))
        #expect(s.netFen == 0 && s.deductionsFen == s.grossFen)
    }

    /// By hand: the standard coefficient (≥ 90 → 100 %; 70–89 → 100 % − 0.2 % a point below 90; below 70 → 96 % − 1 % a
    /// point below 70). Villages scoring 88 and 84.8 average 86.4 → 100 − 0.2 × 3.6 = 99.28 %; December's fee ¥51,200 ×
    /// 0.72 % = ¥368.64 withheld after ¥50 for a failed spot-check item (December's net 51,200 − 50 − 368.64 = 50,781.36).
    @Test func thePaymentCoefficientFollowsTheScoreAndIsWrittenOut() throws {
        let p = PerformancePayment.example
        #expect(p.problems().isEmpty)
        #expect(p.coefficient(95)?.percent == 100 && p.coefficient(90)?.percent == 100 && p.coefficient(86.4)?.percent == 99.28)
        #expect(p.coefficient(70)?.percent == 96 && p.coefficient(60)?.percent == 86 && p.coefficient(0)?.percent == 26)
        var t = sampleTerms()
        t.performance = p
        t.deductions = [DeductionRule(basis: .failedSpotCheck, matterCode: nil, amountFen: 5_000, capFen: nil)]
        let score = AssessedPeriodScore(plan: "2026 年度城市管家考核 v1", from: LocalDate(year: 2026, month: 12, day: 1), through: LocalDate(year: 2026, month: 12, day: 31),
                                        villages: [.init(code: "A", name: "松仔园村", total: 88), .init(code: "B", name: "樟坑径村", total: 84.8)])
        #expect(score.score == 86.4)
        let s = Billing.compute(t, period: BillingPeriod(year: 2026, month: 12), facts: BillingFacts(failedSpotChecks: ["M-SAN-01": 1], assessment: score))
        let line = try #require(s.lines.last)
        #expect(line.kind == .performance && line.amountFen == -36_864 && line.quantity == 9_928)
        #expect(s.deductionsFen == 5_000 + 36_864 && s.netFen == 5_078_136)
        #expect(line.explanation.zh == "履约考核系数：2026 年度城市管家考核 v1 2026-12-01~2026-12-31 得分 86.4（松仔园村 88、樟坑径村 84.8，2 村平均）；≥ 70 分档：100% − 0.2% × (90 − 86.4) = 99.28%；服务费 51,200.00 元 × (100% − 99.28%) = 扣 368.64 元",
                "\(line.explanation.zh)")
        // No score for the period: said, nothing withheld; without a coefficient, no line at all.
        let none = Billing.compute(t, period: BillingPeriod(year: 2026, month: 12), facts: BillingFacts())
        #expect(none.lines.last?.kind == .performance && none.lines.last?.amountFen == 0 && none.netFen == none.grossFen)
        #expect(!Billing.compute(sampleTerms(), period: BillingPeriod(year: 2026, month: 12), facts: BillingFacts(assessment: score)).lines.contains { $0.kind == .performance })
        // The coefficient applies once, to the whole fee, across two versions in the period.
        let v1 = ContractVersion(id: UUID(), number: "X", version: 1, state: .superseded, terms: t, terminatedOn: nil)
        var t2 = t
        t2.start = LocalDate(year: 2026, month: 12, day: 16)
        let v2 = ContractVersion(id: UUID(), number: "X", version: 2, state: .active, terms: t2, terminatedOn: nil)
        let both = try #require(Billing.statement(versions: [v1, v2], period: BillingPeriod(year: 2026, month: 12), facts: BillingFacts(assessment: score)))
        #expect(both.lines.filter { $0.kind == .performance }.count == 1 && both.lines.last?.amountFen == -((both.grossFen * 72 + 5_000) / 10_000))
        // Old runs without the new facts read back.
        let old = try JSONDecoder().decode(BillingFacts.self, from: Data(#"{"overdueCases":{"M-SAN-01":2},"failedVerifications":{}}"#.utf8))
        #expect(old == BillingFacts(overdueCases: ["M-SAN-01": 2]))
        // Bands are checked by field.
        let bad = PerformancePayment(bands: [PaymentBand(minimum: 80, percentAtTop: 120, perPointBelow: 0), PaymentBand(minimum: 85, percentAtTop: 90, perPointBelow: 20)])
        #expect(Set(bad.problems().map(\.field)) == ["performance.bands[0].percentAtTop", "performance.bands[1].minimum", "performance.bands[1].perPointBelow", "performance.bands"])
        t.performance = bad
        #expect(ContractRules.problems(t, catalog: sampleCatalog, knownAreas: ["440309002001"]).contains { $0.field == "performance.bands[1].minimum" })
    }

    @Test func termsAreCheckedAndTheLifeOfAContractIsGuarded() {
        #expect(ContractRules.problems(sampleTerms(), catalog: sampleCatalog, knownAreas: ["440309002001"]).isEmpty)
        var t = sampleTerms()
        t.lines[1].priceReason = nil
        t.lines.append(ContractLine(matterCode: "M-XXX", quantity: 0, unit: "项", unitPriceFen: 1, benchmarkPriceFen: 1))
        t.lines.append(ContractLine(matterCode: "M-SAN-01", quantity: -1, unit: "m²", unitPriceFen: 85, benchmarkPriceFen: 85))
        t.end = LocalDate(year: 2026, month: 1, day: 1)
        t.deductions.append(DeductionRule(basis: .overdueCase, matterCode: "M-WAT-01", amountFen: 0, capFen: 0))
        let fields = Set(ContractRules.problems(t, catalog: sampleCatalog, knownAreas: []).map(\.field))
        #expect(fields == ["areas[0]", "end", "lines[1].priceReason", "lines[3].matterCode", "lines[4].matterCode", "lines[4].quantity",
                           "deductions[2].amountFen", "deductions[2].capFen", "deductions[2].matterCode"])
        let today = LocalDate(year: 2026, month: 11, day: 5)
        #expect(ContractAction.sign.refusal(sampleTerms(), state: .draft, today: today, terminationDate: nil) != nil)
        #expect(ContractAction.sign.refusal(sampleTerms(), state: .underReview, today: today, terminationDate: nil) == nil)
        var failed = sampleTerms()
        failed.qualificationChecks[0].passed = false
        #expect(ContractAction.sign.refusal(failed, state: .underReview, today: today, terminationDate: nil)?.zh.contains("物业服务企业资质") == true)
        var untold = sampleTerms()
        untold.notice = nil
        #expect(ContractAction.activate.refusal(untold, state: .signed, today: today, terminationDate: nil) != nil)
        #expect(ContractAction.terminate.refusal(sampleTerms(), state: .active, today: today, terminationDate: nil) != nil)
        #expect(ContractAction.terminate.refusal(sampleTerms(), state: .active, today: today, terminationDate: LocalDate(year: 2027, month: 3, day: 1)) == nil)
        #expect(ContractState.allCases.filter(\.claimsTerm) == [.underReview, .signed, .active])
        // Two people sign besides the steward: the steward countersigns once, then an officer who did not submit it signs.
        let drafter = UUID(), approver = UUID()
        let submitted = ContractSignatures(submittedBy: drafter, countersignedBy: nil, countersigned: false)
        #expect(submitted.refusal(.sign, by: approver)?.en.contains("countersigns before") == true)
        #expect(submitted.refusal(.countersign, by: UUID()) == nil)
        let countersigned = ContractSignatures(submittedBy: drafter, countersignedBy: UUID(), countersigned: true)
        #expect(countersigned.refusal(.countersign, by: UUID()) != nil, "once")
        #expect(countersigned.refusal(.sign, by: drafter)?.en.contains("another approver") == true)
        #expect(countersigned.refusal(.sign, by: approver) == nil && countersigned.refusal(.activate, by: drafter) == nil)
        #expect(ContractAction.countersign.from == [.underReview] && ContractAction.countersign.to == .underReview)
        // Only a draft is withdrawn (one under review is returned first); a withdrawn version goes nowhere and claims nothing.
        #expect(ContractAction.withdraw.refusal(sampleTerms(), state: .draft, today: today, terminationDate: nil) == nil)
        #expect(ContractAction.withdraw.refusal(sampleTerms(), state: .underReview, today: today, terminationDate: nil) != nil)
        #expect(ContractAction.allCases.filter { $0.from.contains(.withdrawn) }.isEmpty && ContractAction.withdraw.to == .withdrawn)
        #expect(sampleTerms().overlaps(sampleTerms(start: LocalDate(year: 2027, month: 11, day: 9), end: LocalDate(year: 2028, month: 1, day: 1))))
        #expect(!sampleTerms().overlaps(sampleTerms(start: LocalDate(year: 2027, month: 11, day: 10), end: LocalDate(year: 2028, month: 1, day: 1))))
    }

    @Test func moneyIsWholeFenNeverNegative() throws {
        #expect(Money.yuan(123_456_789) == "1,234,567.89" && Money.yuan(5) == "0.05" && Money.yuan(-100_000) == "-1,000.00" && Money.yuan(0) == "0.00")
        #expect(try Money.fen(1200, field: "x").get() == 1200)
        for bad in [12.5, -1, .nan, .infinity, 1e15] {
            if case .success = Money.fen(bad, field: "x") { Issue.record("\(bad) taken as money") }
        }
    }

    @Test func theLedgerSumsEverySourceAndRunsABalance() {
        let nov = LedgerMonth(year: 2026, month: 11), dec = nov.next
        let entries = [
            LedgerEntry(month: nov, direction: .income, category: "propertyFee", amountFen: 300_000),
            LedgerEntry(month: nov, direction: .income, category: "serviceFee", amountFen: 3_584_000, department: "LH-CGJ"),
            LedgerEntry(month: dec, direction: .income, category: "serviceFee", amountFen: 1_000_000, department: "LH-ZJJ"),
            LedgerEntry(month: dec, direction: .income, category: "parking", amountFen: 80_000),
            LedgerEntry(month: dec, direction: .cost, category: "staff", amountFen: 2_000_000),
            LedgerEntry(month: LedgerMonth(year: 2026, month: 1), direction: .income, category: "parking", amountFen: 999),   // not shown
        ]
        let s = LedgerSummary.of(entries, months: [nov, dec], opening: 10_000)
        #expect(s.months.map(\.incomeFen) == [3_884_000, 1_080_000] && s.months.map(\.costFen) == [0, 2_000_000])
        #expect(s.months.map(\.balanceFen) == [3_894_000, 2_974_000])
        #expect(s.incomeBySource == [.propertyFee: 300_000, .serviceFee: 4_584_000, .parking: 80_000])
        #expect(s.serviceFeeByDepartment == ["LH-CGJ": 3_584_000, "LH-ZJJ": 1_000_000])
        #expect(s.incomeFen == s.incomeBySource.values.reduce(0, +))
    }

    @Test func theIntroductionSubsidyGrowsYearByYear() {
        let since = LocalDate(year: 2026, month: 1, day: 1)
        let schedule = IntroductionSubsidySchedule.standard
        #expect(schedule.problems().isEmpty)
        #expect(schedule.amount(since: since, on: LocalDate(year: 2026, month: 12, day: 31))! == (1, 20_000_000))
        #expect(schedule.amount(since: since, on: LocalDate(year: 2027, month: 1, day: 1))! == (2, 25_000_000))
        #expect(schedule.amount(since: since, on: LocalDate(year: 2031, month: 1, day: 1)) == nil)
        #expect(schedule.amount(since: since, on: LocalDate(year: 2025, month: 12, day: 31)) == nil)
        #expect(Set(IntroductionSubsidySchedule(amountsFen: [3, 2, 0]).problems().map(\.field)) == ["amountsFen[1]", "amountsFen[2]"])
    }

    @Test func takeoversNameWhatTheirModeNeeds() {
        let since = LocalDate(year: 2026, month: 1, day: 1)
        #expect(VillageTakeover(mode: .consulting, since: since, formerCompany: nil, contracts: [], note: nil).problems().map(\.field) == ["formerCompany"])
        let c = TakeoverContract(counterparty: .formerCompany, kind: .cooperation, reference: "X-1", signedOn: since, from: since, to: nil)
        #expect(VillageTakeover(mode: .fullTakeover, since: since, formerCompany: nil, contracts: [c], note: nil).problems().map(\.field) == ["contracts[0].counterparty"])
        #expect(VillageTakeover(mode: .merger, since: since, formerCompany: "原物业", contracts: [c], note: nil).problems().isEmpty)
    }

    @Test func yuanTypedInFormsBecomesWholeFenOrIsRefused() {
        #expect(Money.typedYuan("12.34") == 1234 && Money.typedYuan("0.1") == 10 && Money.typedYuan("1,200.00") == 120_000)
        #expect(Money.typedYuan(" 800.5 ") == 80_050 && Money.typedYuan("") == nil && Money.typedYuan(nil) == nil)
        #expect(Money.typedYuan("abc")?.isNaN == true)
        if case .success = Money.fen(Money.typedYuan("12.345")!, field: "x") { Issue.record("a third decimal taken as money") }
        if case .success = Money.fen(Money.typedYuan("-3")!, field: "x") { Issue.record("a negative amount taken as money") }
        #expect(Money.decimal(123_456) == "1234.56" && Money.decimal(-5) == "-0.05" && Money.decimal(0) == "0.00")
        #expect(Money.yuan(123_456_789) == "1,234,567.89" && Money.yuan(-100) == "-1.00")
    }
}

@Suite("Contract terms and versions")
struct ContractVersionRulesTests {
    func terms(_ start: LocalDate, _ end: LocalDate, matters: [String] = ["M-SAN-01"], areas: [String] = ["V1"]) -> ContractTerms {
        ContractTerms(title: "t", streetOffice: "s", steward: "g", procurement: .singleSource, areas: areas,
                      lines: matters.map { ContractLine(matterCode: $0, quantity: 1, unit: "项", unitPriceFen: 3_100, benchmarkPriceFen: 3_100) },
                      start: start, end: end, rightsAndDuties: "r", breachLiability: "b", deductions: [], guaranteeText: "g", guaranteeFen: 0,
                      qualificationChecks: [], notice: nil)
    }

    func version(_ number: String, _ v: Int, _ state: ContractState, _ t: ContractTerms, terminated: LocalDate? = nil) -> ContractVersion {
        ContractVersion(id: UUID(), number: number, version: v, state: state, terms: t, terminatedOn: terminated)
    }

    @Test func oneMatterInOnePlaceHasOneStewardAtATime() {
        let jan = LocalDate(year: 2026, month: 1, day: 1), dec = LocalDate(year: 2026, month: 12, day: 31)
        let mine = version("A", 1, .underReview, terms(LocalDate(year: 2026, month: 7, day: 1), dec))
        let active = version("B", 1, .active, terms(jan, dec))
        #expect(ContractRules.overlap(of: mine, among: [active]) == active)
        #expect(ContractRules.overlapRefusal(mine, active).en.contains("overlaps contract B"))
        // Not a claim: another matter, another place, a draft, a version of the same contract, a term that ended.
        #expect(ContractRules.overlap(of: mine, among: [version("B", 1, .active, terms(jan, dec, matters: ["M-FAC-01"]))]) == nil)
        #expect(ContractRules.overlap(of: mine, among: [version("B", 1, .active, terms(jan, dec, areas: ["V2"]))]) == nil)
        #expect(ContractRules.overlap(of: mine, among: [version("B", 1, .draft, terms(jan, dec))]) == nil)
        #expect(ContractRules.overlap(of: mine, among: [version("A", 1, .active, terms(jan, dec))]) == nil)
        #expect(ContractRules.overlap(of: mine, among: [version("B", 1, .terminated, terms(jan, dec), terminated: LocalDate(year: 2026, month: 7, day: 1))]) == nil)
        #expect(ContractRules.overlap(of: mine, among: [version("B", 1, .active, terms(jan, dec), terminated: LocalDate(year: 2026, month: 7, day: 2))]) != nil)
    }

    @Test func editsAndAmendmentsFollowTheState() {
        #expect(ContractRules.editRefusal(state: .draft) == nil)
        for state in ContractState.allCases where state != .draft { #expect(ContractRules.editRefusal(state: state) != nil, "\(state)") }
        #expect(ContractRules.amendRefusal(state: .active, amendmentInProgress: false) == nil)
        #expect(ContractRules.amendRefusal(state: .signed, amendmentInProgress: false) == nil)
        #expect(ContractRules.amendRefusal(state: .active, amendmentInProgress: true)?.en.contains("in progress") == true)
        for state in ContractState.allCases where ![.active, .signed].contains(state) {
            #expect(ContractRules.amendRefusal(state: state, amendmentInProgress: false) != nil, "\(state)")
        }
    }

    @Test func eachVersionIsBilledForTheDaysItWasInForce() throws {
        // v1 all year at ¥31/month, amended from 16 July (v2, ¥62/month); July is billed half and half by day.
        let jan = LocalDate(year: 2026, month: 1, day: 1), dec = LocalDate(year: 2026, month: 12, day: 31)
        let v1 = version("A", 1, .superseded, terms(jan, dec))
        var t2 = terms(LocalDate(year: 2026, month: 7, day: 16), dec)
        t2.lines[0].unitPriceFen = 6_200
        let v2 = version("A", 2, .active, t2)
        let draft = version("A", 3, .draft, terms(jan, dec))
        let july = try #require(BillingPeriod("2026-07"))
        let bill = try #require(Billing.statement(versions: [v2, draft, v1], period: july, facts: BillingFacts()))
        // 15 of 31 days at ¥31 and 16 of 31 days at ¥62: ¥15 + ¥32.
        #expect(bill.grossFen == 1_500 + 3_200, "\(bill.lines.map(\.amountFen))")
        #expect(Billing.statement(versions: [draft], period: july, facts: BillingFacts()) == nil, "nothing in force: nothing to bill")
    }
}
