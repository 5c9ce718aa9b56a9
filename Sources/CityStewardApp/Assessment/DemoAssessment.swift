import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The demo's assessment (once, when there is no plan): last year's plan, published before that year began, and this
/// year's, both on the district's standard method, so this year's scores move with the demo's cases. When the demo's
/// case history is there and January has come, last year's results were published for comment (公示) on 10 January;
/// a street office objected to the satisfaction band, the plan was corrected (its v2, with the reason) and the
/// results published again on 25 January with the reason; the comments stay, one hidden with its reason, the
/// objection answered. Synthetic.
enum DemoAssessment {
    @discardableResult
    static func load(_ app: Application) async throws -> Bool {
        let store = AssessmentStore(db: app.db)
        guard try await store.list(drafts: true).isEmpty,
              let admin = try await DirectoryStore(db: app.db).user(username: "district-admin") else { return false }
        let year = LocalDate.beijing(app.clock.now).year
        func at(_ y: Int, _ m: Int, _ d: Int) -> Date { LocalDate(year: y, month: m, day: d).beijingMidnight.addingTimeInterval(10 * 3600) }
        let last = try await store.create(AssessmentPlanTerms(year: year - 1, name: "\(year - 1) 年度城市管家考核", method: .standard), by: admin.id, at: at(year - 2, 12, 1))
        let published = try await store.publish(last, by: admin.id, at: at(year - 2, 12, 20))
        let this = try await store.create(AssessmentPlanTerms(year: year, name: "\(year) 年度城市管家考核", method: .standard), by: admin.id, at: at(year - 1, 12, 1))
        _ = try await store.publish(this, by: admin.id, at: at(year - 1, 12, 20))
        var corrected = AssessmentMethod.standard
        corrected.indicators[1].children[1].bands[0].threshold = 4.6
        let reason = "平均满意度满分线按街道意见由 4.5 调为 4.6"
        let now = app.clock.now
        let hasHistory = try await CaseStore(db: app.db).find(idempotencyKey: "demo-history:0") != nil
        guard hasHistory, at(year, 1, 25) <= now, let actor = try await DirectoryStore(db: app.db).actor(userID: admin.id, now: now) else {
            _ = try await store.change(published, to: AssessmentPlanTerms(year: year - 1, name: published.name, method: corrected), reason: reason, by: admin.id,
                                       at: min(now, at(year - 1, 3, 1)))
            return true
        }
        let req = Request(application: app, on: app.eventLoopGroup.any())
        req.actor = actor
        let results = AssessmentResultService(req: req), resultStore = AssessmentResultStore(db: app.db)
        let id = last.id.uuidString
        // v1 of the results, under the method as first published.
        let first = try await results.lines(id, year: year - 1, version: 1)
        let v1 = try await resultStore.publish(plan: published, planVersion: first.version, from: first.from, through: first.through, scores: first.lines,
                                               terms: ResultTerms(opens: LocalDate(year: year, month: 1, day: 10), closes: LocalDate(year: year, month: 1, day: 19), reason: nil),
                                               by: admin.id, at: at(year, 1, 10))
        let ranked = first.lines.filter { $0.rank != nil }.sorted { ($0.rank ?? 0) < ($1.rank ?? 0) }
        let lowest = ranked.last?.village, best = ranked.first?.village
        func comment(_ kind: CommentKind, _ village: String?, _ body: String, _ name: String?, day: Int, hour: Double) async throws -> AssessmentComment {
            try await resultStore.add(CommentTerms(kind: kind, village: village, body: body, name: name), to: v1,
                                      clientHash: app.fieldCipher.derivedToken("comment-client", "demo-\(day)-\(hour)"), at: at(year, 1, day).addingTimeInterval(hour * 3600))
        }
        _ = try await comment(.comment, best, "村里路面和公厕明显比以前干净，巡查员每天都能看到。", "居民 陈先生", day: 11, hour: 1)
        let objection = try await comment(.objection, lowest, "满意度满分线 4.5 与街道年初征求意见时商定的 4.6 不一致，请核查后更正。", "民治街道办事处", day: 12, hour: 5)
        let ad = try await comment(.comment, nil, "专业疏通下水道，价格优惠，电话 139xxxx0000", nil, day: 13, hour: 2)
        _ = try await comment(.comment, nil, "建议把各村的整改情况也一并公示。", nil, day: 16, hour: 3)
        _ = try await resultStore.hide(ad, reason: "广告，与考核结果无关", by: admin.id, at: at(year, 1, 13).addingTimeInterval(4 * 3600))
        _ = try await resultStore.answer(objection, text: "经核查属实：方案已按街道意见更正为 4.6（方案 v2），结果已于 1 月 25 日更正公示。", by: admin.id, at: at(year, 1, 24))
        _ = try await store.change(published, to: AssessmentPlanTerms(year: year - 1, name: published.name, method: corrected), reason: reason, by: admin.id, at: at(year, 1, 22))
        // v2: the same records under the corrected method.
        let second = try await results.lines(id, year: year - 1)
        _ = try await resultStore.publish(plan: published, planVersion: second.version, from: second.from, through: second.through, scores: second.lines,
                                          terms: ResultTerms(opens: LocalDate(year: year, month: 1, day: 25), closes: LocalDate(year: year, month: 2, day: 3),
                                                             reason: "按更正后的方案（v2：平均满意度满分线 4.6）重新计算，回应民治街道办事处的异议"),
                                          by: admin.id, at: at(year, 1, 25))
        return true
    }
}
