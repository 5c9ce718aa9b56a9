import CityStewardCore
import Foundation
import Testing

/// Spot inspections (抽查): the draw reproducible from its seed and fair, the checklist judged item by item, the
/// re-inspection, and the two indicators they feed, worked by hand.
@Suite("Spot checks")
struct SpotCheckCoreTests {
    let grids = (1...40).map { String(format: "440309002001%03d", $0) }

    @Test func theDrawIsReproducibleFromItsSeedAndFair() {
        let a = SpotCheckDraw.draw(grids.shuffled(), count: 5, seed: 0xC0FFEE)
        #expect(a == SpotCheckDraw.draw(grids, count: 5, seed: 0xC0FFEE), "the same seed and population give the same places, whatever order they came in")
        #expect(a.count == 5 && Set(a).count == 5 && Set(a).isSubset(of: Set(grids)))
        #expect(a != SpotCheckDraw.draw(grids, count: 5, seed: 0xC0FFEF))
        #expect(SpotCheckDraw.draw(grids, count: 99, seed: 1).count == 40 && SpotCheckDraw.draw([], count: 3, seed: 1).isEmpty)
        // The seed as recorded reads back.
        #expect(SpotCheckDraw.seed(SpotCheckDraw.text(0xC0FFEE)) == 0xC0FFEE && SpotCheckDraw.text(0xC0FFEE) == "0000000000c0ffee")
        #expect(SpotCheckDraw.seed("xyz") == nil)
        // Over 4,000 draws of 5 from 40 each grid comes up about 500 times (binomial sd ≈ 21): no friendly spots.
        var counts: [String: Int] = [:]
        for seed in 0..<4_000 { for g in SpotCheckDraw.draw(grids, count: 5, seed: UInt64(seed) &* 0x9E37_79B9) { counts[g, default: 0] += 1 } }
        #expect(counts.count == 40 && counts.values.allSatisfy { (400...600).contains($0) }, "\(counts.values.sorted())")
    }

    @Test func aRoundsTermsAreCheckedByField() {
        let today = LocalDate(year: 2026, month: 11, day: 18)
        guard case .failure(let p) = SpotCheckRules.validateRound(title: " ", placeType: "park", scope: nil, count: 0, day: LocalDate(year: 2026, month: 11, day: 17),
                                                                   today: today, population: 0) else { Issue.record("accepted"); return }
        #expect(Set(p.problems.map(\.field)) == ["title", "placeType", "area", "count", "day"])
        guard case .failure(let q) = SpotCheckRules.validateRound(title: "x", placeType: "toilet", scope: UUID(), count: 12, day: today, today: today, population: 10) else {
            Issue.record("accepted"); return
        }
        #expect(q.problems.map(\.field) == ["count"] && q.problems[0].reason.zh.contains("10"))
        let ok = try? SpotCheckRules.validateRound(title: " 11 月公厕抽查 ", placeType: "toilet", scope: UUID(), count: 3, day: today, today: today, population: 10).get()
        #expect(ok?.title == "11 月公厕抽查" && ok?.placeType == .toilet && ok?.count == 3)
    }

    @Test func eachItemPassesOrFailsAndAFailureNeedsItsPhoto() {
        let items = SpotCheckPlaceType.toilet.items
        #expect(items.count == 5 && items.allSatisfy { $0.category.count == 5 })
        #expect(Set(SpotCheckPlaceType.street.items.map(\.key)).count == SpotCheckPlaceType.street.items.count)
        guard case .failure(let p) = SpotCheckRules.judge(.toilet, answers: ["pass", "fail", "maybe", "pass", "pass"], photos: [false, false, false, false, false]) else {
            Issue.record("accepted"); return
        }
        #expect(p.problems.map(\.field) == ["items[1]", "items[2]"])
        guard case .failure(let short) = SpotCheckRules.judge(.toilet, answers: ["pass"], photos: []) else { Issue.record("accepted"); return }
        #expect(short.problems.map(\.field) == ["items"])
        let judged = try? SpotCheckRules.judge(.toilet, answers: ["pass", "fail", "pass", "pass", "pass"], photos: [false, true, false, false, false]).get()
        #expect(judged?.map(\.passed) == [true, false, true, true, true] && judged?[1].key == "toilet.supplies")
        #expect(SpotCheckState.of(nil) == .pending && SpotCheckState.of(judged) == .failed && SpotCheckState.of(judged.map { $0.filter(\.passed) }) == .passed)
    }

    @Test func aReInspectionClosesWhatWasPutRight() {
        let at = Date(timeIntervalSince1970: 1_790_000_000)
        let findings = [SpotCheckFinding(item: 0, key: "a", passed: true), SpotCheckFinding(item: 1, key: "b", passed: false, caseNumber: "N1"),
                        SpotCheckFinding(item: 2, key: "c", passed: false, caseNumber: "N2")]
        guard case .failure(let p) = SpotCheckRules.recheck(findings, answers: [1: "pass"], now: at) else { Issue.record("accepted"); return }
        #expect(p.problems.map(\.field) == ["items[2]"], "every open item is answered")
        let once = try? SpotCheckRules.recheck(findings, answers: [1: "pass", 2: "fail", 0: "fail"], now: at).get()
        #expect(once?[0] == findings[0], "a passed item is left as it was")
        #expect(once?[1].rectifiedAt == at && once?[2].failedAgainAt == at && once?[2].open == true && SpotCheckState.of(once) == .failed)
        let twice = try? SpotCheckRules.recheck(once ?? [], answers: [2: "pass"], now: at.addingTimeInterval(86_400)).get()
        #expect(SpotCheckState.of(twice) == .rectified && twice?[2].failedAgainAt == at)
        guard case .failure(let none) = SpotCheckRules.recheck(twice ?? [], answers: [:], now: at) else { Issue.record("accepted"); return }
        #expect(none.problems.map(\.field) == ["items"])
    }

    /// By hand: grid G was inspected twice, grid H once; 8 + 8 + 5 = 21 items, 4 failed → pass rate 17 ÷ 21 = 81.0 %.
    /// Problems: G's first check failed `clean.litter` (put right in time: 1) and `tidy.ads` (still failing at the
    /// re-inspection: 1 + 1); G's second check failed `clean.litter` again (a repeat: 1 + 1, still open but its deadline
    /// not yet come); H failed `toilet.clean`, open past its deadline (1 + 1). Total 1 + 2 + 2 + 2 = 7.
    @Test func theHandWorkedSpotCheckMeasures() {
        let village = UUID()
        let t0 = Date(timeIntervalSince1970: 1_780_000_000), day = 86_400.0
        let end = t0.addingTimeInterval(40 * day)
        func items(_ type: SpotCheckPlaceType, failing: [String: SpotCheckFinding]) -> [SpotCheckFinding] {
            type.items.enumerated().map { i, item in failing[item.key].map { var f = $0; f.item = i; return f } ?? SpotCheckFinding(item: i, key: item.key, passed: true) }
        }
        let first = AssessedSpotCheck(village: village, grid: "G", inspectedAt: t0, findings: items(.street, failing: [
            "clean.litter": SpotCheckFinding(item: 0, key: "clean.litter", passed: false, caseNumber: "LH-2026-000003", deadline: t0.addingTimeInterval(day),
                                             rectifiedAt: t0.addingTimeInterval(0.5 * day)),
            "tidy.ads": SpotCheckFinding(item: 0, key: "tidy.ads", passed: false, caseNumber: "LH-2026-000004", deadline: t0.addingTimeInterval(day),
                                         rectifiedAt: t0.addingTimeInterval(5 * day), failedAgainAt: t0.addingTimeInterval(2 * day)),
        ]))
        let second = AssessedSpotCheck(village: village, grid: "G", inspectedAt: t0.addingTimeInterval(39 * day), findings: items(.street, failing: [
            "clean.litter": SpotCheckFinding(item: 0, key: "clean.litter", passed: false, caseNumber: "LH-2026-000009", deadline: t0.addingTimeInterval(41 * day)),
        ]))
        let toilet = AssessedSpotCheck(village: village, grid: "H", inspectedAt: t0.addingTimeInterval(10 * day), findings: items(.toilet, failing: [
            "toilet.clean": SpotCheckFinding(item: 0, key: "toilet.clean", passed: false, caseNumber: "LH-2026-000007", deadline: t0.addingTimeInterval(12 * day)),
        ]))
        let m = SpotCheckMeasures.of([second, toilet, first], end: end)
        #expect(m[.spotCheckPassRate]?.numerator == 17 && m[.spotCheckPassRate]?.denominator == 21 && m[.spotCheckPassRate]?.value == 81)
        #expect(m[.spotCheckProblems]?.value == 7)
        #expect(m[.spotCheckProblems]?.evidence == ["LH-2026-000003", "LH-2026-000004", "LH-2026-000007", "LH-2026-000009"])
        #expect(SpotCheckMeasures.of([], end: end).isEmpty, "no spot check: nothing to measure, the siblings share the weight")
        // Scored on the standard method's bands: 81 % → 65 points; 7 problems (≤ 8) → 35 points; the group 65×0.6 + 35×0.4 = 53.
        let card = AssessmentScoring.score(.standard, m)
        let group = card.indicators.first { $0.key == "4" }
        #expect(group?.points == 53 && group?.share == 100, "the only group with records carries the whole total")
        #expect(card.total == 53)
        #expect(card.leaves.first { $0.key == "4.2" }?.explanation.zh.hasPrefix("抽查问题扣分 = 7；≤ 8 → 35 分") == true)
    }
}
