@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import SQLKit
import Testing
import Vapor

/// The year's results made public (公示, issue 19 §6): the demo's last year published, corrected once after an
/// objection, with its comments (one hidden with its reason, the objection answered); the district office publishes
/// a correction with a window (a reason required); a resident on the public page reads why a village lost points and
/// comments — a problem comes back by its field with what was typed, a fourth comment at once waits, a comment after
/// the window is refused; moderation hides with a reason (once), answers, is the district office's alone and audited.
@Suite("Assessment: published results and comments")
struct AssessmentResultsTests {
    @Test func theDemoPublishedLastYearCorrectedItAndAResidentComments() async throws {
        try await withTestApp { app in
            try await DemoCases.load(app)
            try await DemoCaseHistory.load(app)
            #expect(try await DemoAssessment.load(app))
            let plans = try await AssessmentStore(db: app.db).list(drafts: true)
            let last = try #require(plans.first { $0.year == 2025 }), this = try #require(plans.first { $0.year == 2026 })
            let stored = try await AssessmentResultStore(db: app.db).results(plan: last.id)
            #expect(stored.map(\.version) == [1, 2] && stored.map(\.planVersion) == [1, 2] && stored[1].reason?.contains("v2") == true)
            #expect(stored[0].scores.count == stored[1].scores.count && stored[0].scores.count >= 6)
            // The satisfaction band moved from 4.5 to 4.6 between the two: no village scores more on it in v2.
            func satisfaction(_ r: AssessmentResult) -> [String: Double] {
                Dictionary(uniqueKeysWithValues: r.scores.map { s in (s.village, s.lines.first { $0.key == "2.2" }?.points ?? -1) })
            }
            let before = satisfaction(stored[0]), after = satisfaction(stored[1])
            #expect(after.allSatisfy { $0.value <= (before[$0.key] ?? 0) })

            // The public page, no login: the final results (the window closed), why a village lost points, the versions,
            // the comments — the advertisement hidden with its reason, the objection answered.
            let page = try await send(app, .GET, "/public/assessment/2025")
            #expect(page.status == .ok, "\(page.text.prefix(300))")
            #expect(page.text.contains("公示期已满") && page.text.contains("各村得分的来历") && page.text.contains("按期处置率"))
            #expect(page.text.contains("按更正后的方案（v2：平均满意度满分线 4.6）重新计算") && page.text.contains("广告，与考核结果无关"))
            #expect(!page.text.contains("专业疏通下水道") && page.text.contains("经核查属实"))
            #expect(!page.text.contains("name=\"body\""), "no form once the window has closed")
            let english = try await send(app, .GET, "/public/assessment/2025?lang=en")
            #expect(english.text.contains("these are the final results") && english.text.contains("On-time handling rate"))
            // Evidence: a late case's number is named under the village that lost the point.
            let lateNumbers = stored[1].scores.flatMap { $0.lines.flatMap(\.evidence) }
            #expect(!lateNumbers.isEmpty && page.text.contains(lateNumbers[0]))

            // This year's results cannot be published before the year is over; a correction without its reason is refused
            // by its field; with the reason it is version 3, on display.
            let admin = bearer(try await token(app, "district-admin"))
            let early = try await send(app, .POST, "/api/v1/assessment/plans/\(this.id)/results", headers: admin, json: ["opens": "2026-11-18", "closes": "2026-11-27"])
            #expect(early.status == .unprocessableEntity && early.json["field"] as? String == "year", "\(early.text)")
            let bare = try await send(app, .POST, "/api/v1/assessment/plans/\(last.id)/results", headers: admin, json: ["opens": "2026-11-18", "closes": "2026-11-27"])
            #expect(bare.status == .unprocessableEntity && bare.json["field"] as? String == "reason", "\(bare.text)")
            let short = try await send(app, .POST, "/api/v1/assessment/plans/\(last.id)/results", headers: admin,
                                       json: ["opens": "2026-11-18", "closes": "2026-11-19", "reason": "复核"])
            #expect(short.status == .unprocessableEntity && short.json["field"] as? String == "closes")
            #expect(try await send(app, .POST, "/api/v1/assessment/plans/\(last.id)/results", headers: bearer(try await token(app, "street-minzhi")),
                                   json: ["opens": "2026-11-18", "closes": "2026-11-27", "reason": "x"]).status == .forbidden)
            let v3 = try await send(app, .POST, "/api/v1/assessment/plans/\(last.id)/results", headers: admin,
                                    json: ["opens": "2026-11-18", "closes": "2026-11-27", "reason": "复核民治街道第二次异议后再次公示"])
            #expect(v3.status == .created && v3.json["version"] as? Int == 3 && v3.json["window"] as? String == "open", "\(v3.text.prefix(300))")

            // A resident on the page: an objection without its village comes back by the field with the text kept; a
            // comment is taken and shown; the fourth at once is told to wait.
            let open = try await send(app, .GET, "/public/assessment/2025")
            #expect(open.text.contains("name=\"body\"") && open.text.contains("公示中"))
            let cookie = try #require(open.sessionCookie), csrf = try #require(open.csrfToken)
            let text = "章阁新村返工率偏高，请说明返工案件的具体情况。"
            let noVillage = try await send(app, .POST, "/public/assessment/2025/comments", headers: ["Cookie": cookie],
                                           form: ["_csrf": csrf, "kind": "objection", "village": "", "body": text, "name": "居民"])
            #expect(noVillage.status == .unprocessableEntity && noVillage.text.contains("id=\"comment-village-error\"") && noVillage.text.contains(text))
            let village = try #require(stored[1].scores.first?.village)
            let sent = try await send(app, .POST, "/public/assessment/2025/comments", headers: ["Cookie": cookie],
                                      form: ["_csrf": csrf, "kind": "objection", "village": village, "body": text, "name": "居民 李女士"])
            #expect(sent.status == .seeOther && sent.location?.contains("sent=1") == true, "\(sent.status)")
            #expect(try await send(app, .GET, try #require(sent.location), headers: ["Cookie": cookie]).text.contains(text))
            for i in 0..<2 {
                let more = try await send(app, .POST, "/public/assessment/2025/comments", headers: ["Cookie": cookie],
                                          form: ["_csrf": csrf, "kind": "comment", "body": "第 \(i + 2) 条意见：请公开整改情况。"])
                #expect(more.status == .seeOther)
            }
            let fourth = try await send(app, .POST, "/public/assessment/2025/comments", headers: ["Cookie": cookie],
                                        form: ["_csrf": csrf, "kind": "comment", "body": "第四条意见：太频繁了吗？"])
            #expect(fourth.status == .tooManyRequests)

            // Moderation: the street office may not; the district office hides with a reason (shown in its place), once;
            // answers in the console; both audited.
            let results = try await send(app, .GET, "/api/v1/assessment/plans/\(last.id)/results", headers: admin)
            let comments = try #require(results.json["comments"] as? [[String: Any]])
            let mine = try #require(comments.first { $0["body"] as? String == text }?["id"] as? String)
            #expect(try await send(app, .POST, "/api/v1/assessment/comments/\(mine)/hide", headers: bearer(try await token(app, "street-minzhi")),
                                   json: ["reason": "x"]).status == .forbidden)
            let noReason = try await send(app, .POST, "/api/v1/assessment/comments/\(mine)/hide", headers: admin, json: ["reason": ""])
            #expect(noReason.status == .unprocessableEntity && noReason.json["field"] as? String == "reason")
            let hidden = try await send(app, .POST, "/api/v1/assessment/comments/\(mine)/hide", headers: admin, json: ["reason": "含个人信息，已联系本人"])
            #expect(hidden.status == .ok && hidden.json["hiddenReason"] as? String == "含个人信息，已联系本人")
            #expect(try await send(app, .POST, "/api/v1/assessment/comments/\(mine)/hide", headers: admin, json: ["reason": "again"]).status == .conflict)
            let shown = try await send(app, .GET, "/public/assessment/2025")
            #expect(!shown.text.contains(text) && shown.text.contains("含个人信息，已联系本人"))
            let street = try await send(app, .GET, "/api/v1/assessment/plans/\(last.id)/results", headers: bearer(try await token(app, "street-minzhi")))
            #expect((street.json["comments"] as? [[String: Any]])?.first { $0["id"] as? String == mine }?["body"] as? String == "", "a hidden comment's words are the moderators'")
            let (console, _) = try await webLogin(app, "district-admin")
            let planPage = try await send(app, .GET, "/assessment/plans/\(last.id.uuidString.lowercased())", headers: ["Cookie": console])
            #expect(planPage.status == .ok && planPage.text.contains("更正结果（新版本）") && planPage.text.contains("v3"))
            let other = try #require(comments.first { $0["body"] as? String != text && $0["hiddenAt"] == nil }?["id"] as? String)
            let empty = try await send(app, .POST, "/assessment/comments/\(other.lowercased())/answer", headers: ["Cookie": console],
                                       form: ["_csrf": try #require(planPage.csrfToken), "answer": ""])
            #expect(empty.status == .unprocessableEntity && empty.text.contains("id=\"answer-\(other.lowercased())-error\""))
            let answered = try await send(app, .POST, "/assessment/comments/\(other.lowercased())/answer", headers: ["Cookie": console],
                                          form: ["_csrf": try #require(planPage.csrfToken), "answer": "已转各村，整改情况将于下月公示。"])
            #expect(answered.status == .seeOther)
            #expect(try await send(app, .GET, "/public/assessment/2025").text.contains("已转各村，整改情况将于下月公示。"))
            let sql = try #require(app.db as? any SQLDatabase)
            let audit = try await sql.raw("SELECT action, COUNT(*) AS n FROM audit_log WHERE action LIKE 'assessment.%' GROUP BY action").all()
                .map { (try $0.decode(column: "action", as: String.self), try $0.decode(column: "n", as: Int.self)) }
            #expect(audit.contains { $0.0 == "assessment.result.published" && $0.1 >= 1 } && audit.contains { $0.0 == "assessment.comment.moderated" && $0.1 >= 2 }, "\(audit)")

            // After the window: the results stand as final; a comment is refused by its field.
            app.testClock.set(LocalDate(year: 2026, month: 11, day: 28).beijingMidnight.addingTimeInterval(3600))
            let late = try await send(app, .POST, "/public/assessment/2025/comments", headers: ["Cookie": cookie],
                                      form: ["_csrf": csrf, "kind": "comment", "body": "公示期过了还能提意见吗？"])
            #expect(late.status == .unprocessableEntity && late.text.contains("不在公示期内"))
        }
    }
}
