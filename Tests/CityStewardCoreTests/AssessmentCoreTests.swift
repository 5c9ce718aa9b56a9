import CityStewardCore
import Foundation
import Testing

@Suite("Assessment method and scores")
struct AssessmentCoreTests {
    let method = AssessmentMethod(indicators: [
        Indicator(key: "1", name: "案件处置", weight: 60, children: [
            Indicator(key: "1.1", name: "按期处置率", weight: 50, measure: .onTimeHandlingRate,
                      bands: [ScoreBand(threshold: 95, points: 100), ScoreBand(threshold: 90, points: 90), ScoreBand(threshold: 80, points: 75), ScoreBand(threshold: 60, points: 50)]),
            Indicator(key: "1.2", name: "返工率", weight: 30, measure: .reworkRate,
                      bands: [ScoreBand(threshold: 2, points: 100), ScoreBand(threshold: 5, points: 80), ScoreBand(threshold: 10, points: 60)]),
            Indicator(key: "1.3", name: "超期案件", weight: 20, measure: .overdueCases,
                      bands: [ScoreBand(threshold: 0, points: 100), ScoreBand(threshold: 3, points: 70), ScoreBand(threshold: 10, points: 40)]),
        ]),
        Indicator(key: "2", name: "群众满意", weight: 40, children: [
            Indicator(key: "2.1", name: "满意率", weight: 100, measure: .satisfiedShare,
                      bands: [ScoreBand(threshold: 90, points: 100), ScoreBand(threshold: 80, points: 85), ScoreBand(threshold: 70, points: 70)]),
        ]),
    ], grades: [GradeBand(grade: "A", minimum: 90), GradeBand(grade: "B", minimum: 75), GradeBand(grade: "C", minimum: 60), GradeBand(grade: "D", minimum: 0)])

    @Test func aWellFormedMethodPasses() {
        #expect((try? AssessmentRules.validate(method).get()) == method)
        #expect((try? AssessmentRules.validate(AssessmentMethod.standard).get()) == AssessmentMethod.standard, "the district's standard method is well formed")
    }

    /// The hand-worked score: 45 of 50 on time (90 % → 90), 3 reworked of 45 handled (6.7 % → 60), 2 overdue (→ 70),
    /// 17 of 20 satisfied (85 % → 85). Case handling = (90×50 + 60×30 + 70×20) ÷ 100 = 77; satisfaction 85;
    /// total = 77 × 0.6 + 85 × 0.4 = 80.2, grade B.
    @Test func theHandWorkedScoreOfOneVillage() throws {
        let card = AssessmentScoring.score(method, [
            .onTimeHandlingRate: .rate(45, of: 50, evidence: ["LH-2026-000101"]),
            .reworkRate: .rate(3, of: 45),
            .overdueCases: .count(2, evidence: ["LH-2026-000107", "LH-2026-000111"]),
            .satisfiedShare: .rate(17, of: 20),
        ])
        #expect(card.total == 80.2 && card.grade == "B")
        #expect(card.indicators.map(\.points) == [77, 85])
        #expect(card.leaves.map(\.contribution) == [27, 10.8, 8.4, 34])
        #expect(card.leaves.map(\.share) == [30, 18, 12, 40])
        let onTime = try #require(card.leaves.first)
        #expect(onTime.explanation.zh == "按期处置率 = 45 ÷ 50 = 90%；≥ 90% → 90 分；占总分 30% → 27 分", "\(onTime.explanation.zh)")
        #expect(onTime.measured?.evidence == ["LH-2026-000101"])
        #expect(card.leaves[2].explanation.en == "Overdue cases = 2; ≤ 3 → 70 points; 12% of the total → 8.4")
    }

    @Test func anIndicatorWithoutRecordsGivesItsWeightToItsSiblings() {
        // No rating at all: satisfaction is not scored; case handling carries the whole total.
        let card = AssessmentScoring.score(method, [.onTimeHandlingRate: .rate(45, of: 50), .reworkRate: .rate(3, of: 45), .overdueCases: .count(2),
                                                    .satisfiedShare: .rate(0, of: 0)])
        #expect(card.total == 77 && card.grade == "B")
        #expect(card.indicators[1].points == nil && card.indicators[1].contribution == 0 && card.indicators[0].share == 100)
        // Below every band: 0 points; nothing measured at all: no total grade.
        let poor = AssessmentScoring.score(method, [.onTimeHandlingRate: .rate(10, of: 50), .reworkRate: .rate(30, of: 45), .overdueCases: .count(40),
                                                    .satisfiedShare: .rate(1, of: 20)])
        #expect(poor.total == 0 && poor.grade == "D" && poor.leaves.allSatisfy { $0.points == 0 })
        #expect(AssessmentScoring.score(method, [:]).grade == nil)
    }

    @Test func everyProblemOfAMethodIsNamedByItsIndicator() {
        var bad = method
        bad.indicators[0].weight = 50                               // top weights sum to 90
        bad.indicators[0].children[1].measure = nil                 // a leaf without a measure
        bad.indicators[0].children[2].bands = [ScoreBand(threshold: 3, points: 70), ScoreBand(threshold: 0, points: 100)]   // worse first
        bad.indicators[1].children[0].key = "1.1"                   // a key twice
        bad.grades.append(GradeBand(grade: "A", minimum: 95))
        guard case .failure(let p) = AssessmentRules.validate(bad) else { Issue.record("accepted"); return }
        #expect(p.problems.map(\.field) == ["indicators", "indicators.1.2", "indicators.1.3", "indicators.1.1", "grades"], "\(p.problems.map(\.field))")
        #expect(p.problems[0].reason.zh.contains("现为 90"))
        var flat = method
        flat.indicators[0].children[0].children = [Indicator(key: "1.1.1", name: "x", weight: 100, measure: .closureRate, bands: [ScoreBand(threshold: 0, points: 100)])]
        guard case .failure(let q) = AssessmentRules.validate(flat) else { Issue.record("a scored group accepted"); return }
        #expect(q.problems.map(\.field) == ["indicators.1.1"])
    }

    /// Publishing results: only once the year is over, a window of 5 to 30 days from today on, a correction with its
    /// reason; a comment: inside the window, of a kind, about a village of the result (an objection names one), 5 to
    /// 1,000 characters; hiding needs a reason.
    @Test func resultsAndCommentsFollowTheirRules() {
        let today = LocalDate(year: 2026, month: 1, day: 10)
        func fields(_ r: Result<ResultTerms, FieldProblems>) -> [String] { if case .failure(let p) = r { p.problems.map(\.field) } else { [] } }
        #expect(fields(AssessmentResultRules.validate(year: 2026, opens: "2026-01-10", closes: "2026-01-19", reason: "", isCorrection: false, today: today)) == ["year"])
        #expect(fields(AssessmentResultRules.validate(year: 2025, opens: "2026-01-09", closes: "2026-01-19", reason: "", isCorrection: false, today: today)) == ["opens"])
        #expect(fields(AssessmentResultRules.validate(year: 2025, opens: "2026-01-10", closes: "2026-01-13", reason: "", isCorrection: false, today: today)) == ["closes"])
        #expect(fields(AssessmentResultRules.validate(year: 2025, opens: "2026-01-10", closes: "2026-02-10", reason: "", isCorrection: false, today: today)) == ["closes"])
        #expect(fields(AssessmentResultRules.validate(year: 2025, opens: "10 Jan", closes: "", reason: " ", isCorrection: true, today: today)) == ["opens", "closes", "reason"])
        guard case .success(let terms) = AssessmentResultRules.validate(year: 2025, opens: "2026-01-10", closes: "2026-01-14", reason: " 复核 ", isCorrection: true, today: today) else {
            Issue.record("a five-day window refused"); return
        }
        #expect(terms.reason == "复核" && terms.window.end.timeIntervalSince(terms.window.start) == 5 * 86_400)
        let inside = terms.window.start.addingTimeInterval(3600), after = terms.window.end
        func commentFields(_ kind: String, _ village: String, _ body: String, at now: Date) -> [String] {
            if case .failure(let p) = AssessmentResultRules.validate(kind: kind, village: village, body: body, name: "", villages: ["V1"], window: terms.window, now: now) {
                return p.problems.map(\.field)
            }
            return []
        }
        #expect(commentFields("comment", "", "结果公平，支持。", at: inside).isEmpty)
        #expect(commentFields("objection", "", "对得分有异议，请核查。", at: inside) == ["village"])
        #expect(commentFields("comment", "V9", "对得分有异议，请核查。", at: inside) == ["village"])
        #expect(commentFields("praise", "V1", "好", at: inside) == ["kind", "body"])
        #expect(commentFields("comment", "", "结果公平，支持。", at: after) == ["body"])
        #expect(AssessmentResultRules.validateHiding(reason: " ") != nil && AssessmentResultRules.validateHiding(reason: "广告") == nil)
    }

    /// By hand, on office hours (09–12, 14–18) with no holidays, Monday 2026-03-02 Beijing. A: reported 09:00, accepted
    /// 10:00 (1 h), handled 15:00 (4 h), closed, rated; B: reported 09:00, accepted the next day 09:00 (7 h), handled
    /// 11:00 (9 h), sent back once, then closed and reopened by its resident, not rated; C: reported 16:00, handled on the
    /// spot 17:00 (1 h both), closed. Response hours 1, 1, 7 → median 1; handling 1, 4, 9 → 4. Verification concluded for
    /// all three, B not the first time → 2 ÷ 3 = 66.7 %; reopened 1 of 3 closed → 33.3 %; residents' closed cases A and B,
    /// one rated → 50 %.
    @Test func responseHandlingReopenAndAnswerRatesByHand() {
        let calendar = WorkingCalendar(years: [HolidayYear(year: 2026, holidays: [], workdays: [])])
        let day = LocalDate(year: 2026, month: 3, day: 2).beijingMidnight
        func at(_ hours: Double, _ days: Double = 0) -> Date { day.addingTimeInterval(days * 86_400 + hours * 3600) }
        let v = UUID()
        let cases = [
            AssessedCase(number: "A", village: v, deadline: at(18, 1), handledAt: at(15), reworks: 0, closedAt: at(17), supervised: false, rating: 5,
                         reportedAt: at(9), respondedAt: at(10), reopens: 0, fromResident: true),
            AssessedCase(number: "B", village: v, deadline: at(18, 1), handledAt: at(11, 1), reworks: 1, closedAt: at(17, 1), supervised: false, rating: nil,
                         reportedAt: at(9), respondedAt: at(9, 1), reopens: 1, fromResident: true),
            AssessedCase(number: "C", village: v, deadline: at(18, 1), handledAt: at(17), reworks: 0, closedAt: at(17.5), supervised: false, rating: nil,
                         reportedAt: at(16), respondedAt: at(17), reopens: 0, fromResident: false),
        ]
        let m = CaseMeasures.of(cases, operations: nil, end: at(12, 3), calendar: calendar)
        #expect(m[.medianResponseHours]?.value == 1 && m[.medianResponseHours]?.evidence.first == "B")
        #expect(m[.medianHandlingHours]?.value == 4)
        #expect(m[.firstPassRate]?.numerator == 2 && m[.firstPassRate]?.denominator == 3 && m[.firstPassRate]?.value == 66.7)
        #expect(m[.reopenRate]?.value == 33.3 && m[.reopenRate]?.evidence == ["B"])
        #expect(m[.ratingAnswerRate]?.value == 50 && m[.ratingAnswerRate]?.evidence == ["B"])
        #expect(CaseMeasures.of(cases, operations: nil, end: at(12, 3))[.medianResponseHours]?.value == nil, "no calendar, no working hours")
        // Hours stored with a case are taken as they are.
        var stored = cases
        for i in stored.indices { (stored[i].responseHours, stored[i].handlingHours) = (Double(i + 1), Double(10 * (i + 1))) }
        let s = CaseMeasures.of(stored, operations: nil, end: at(12, 3))
        #expect(s[.medianResponseHours]?.value == 2 && s[.medianHandlingHours]?.value == 20 && s[.medianHandlingHours]?.evidence == ["C", "B", "A"])
    }

    /// Residents' reports and 12345 transfers per 1,000 households lived in: 3 of 4 cases (the patrol's is not one) in a
    /// village of 150 households = 3 ÷ 150 × 1000 = 20‰, within the first band.
    @Test func complaintsPerThousandHouseholdsByHand() throws {
        let v = UUID(), due = LocalDate(year: 2026, month: 3, day: 9).beijingMidnight
        func c(_ n: String, resident: Bool = false, hotline: Bool = false) -> AssessedCase {
            AssessedCase(number: n, village: v, deadline: due, handledAt: nil, reworks: 0, closedAt: nil, supervised: false, rating: nil,
                         fromResident: resident, fromHotline: hotline)
        }
        let cases = [c("D", hotline: true), c("A", resident: true), c("C"), c("B", resident: true)]
        let summary = CasesSummary.of(cases, end: due)
        #expect(summary.complaints == 3 && summary.evidence[.complaint] == ["A", "B", "D"])
        let m = CaseMeasures.of(summary, operations: nil, households: 150)[.complaintsPerThousandHouseholds]
        #expect(m?.value == 20 && m?.numerator == 3 && m?.denominator == 150)
        #expect(CaseMeasures.of(summary, operations: nil, households: nil)[.complaintsPerThousandHouseholds] == nil, "no house registered: nothing to measure")
        #expect(CaseMeasures.of(summary, operations: nil, households: 0)[.complaintsPerThousandHouseholds] == nil)
        let method = AssessmentMethod(indicators: [
            Indicator(key: "1", name: "诉求", weight: 100, measure: .complaintsPerThousandHouseholds,
                      bands: [ScoreBand(threshold: 20, points: 100), ScoreBand(threshold: 40, points: 60)]),
        ], grades: [GradeBand(grade: "A", minimum: 90), GradeBand(grade: "D", minimum: 0)])
        #expect((try? AssessmentRules.validate(method).get()) == method)
        let card = AssessmentScoring.score(method, [.complaintsPerThousandHouseholds: try #require(m)])
        #expect(card.total == 100 && card.grade == "A")
        #expect(card.leaves[0].explanation.zh == "千户诉求率 = 3 ÷ 150 = 20‰；≤ 20‰ → 100 分；占总分 100% → 100 分", "\(card.leaves[0].explanation.zh)")
        let worse = AssessmentScoring.score(method, [.complaintsPerThousandHouseholds: CaseMeasures.of(summary, operations: nil, households: 100)[.complaintsPerThousandHouseholds]!])
        #expect(worse.total == 60 && worse.leaves[0].explanation.en.hasPrefix("Complaints per 1,000 households = 3 ÷ 100 = 30‰; ≤ 40‰ → 60 points"))
    }
}
