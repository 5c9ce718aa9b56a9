@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import Testing
import VaporTesting

/// Deliberation (issue 20 §4) over HTTP: a resident raises an item on the village's page; the street office sets the
/// meeting, records the parties' opinions and the decision, which becomes a case for the steward; the outcome is
/// published on the village's page. Outside its street an office sees nothing; bad steps are refused by field.
@Suite("Deliberation")
struct DeliberationsTests {
    let songziyuan = "440309002001V01", langkou = "440309004005V01"

    @Test func aResidentsItemIsDecidedBecomesACaseAndItsOutcomeIsPublished() async throws {
        try await withTestApp { app in
            // The resident's form: refused by field with what was typed kept; then received, with a private link.
            let form = try await send(app, .GET, "/v/\(songziyuan)/raise", headers: ["X-Forwarded-For": "198.51.100.7"])
            #expect(form.status == .ok)
            let cookie = try #require(form.sessionCookie), csrf = try #require(form.csrfToken)
            let headers: HTTPHeaders = ["Cookie": cookie, "X-Forwarded-For": "198.51.100.7"]
            let bad = try await send(app, .POST, "/v/\(songziyuan)/raise", headers: headers, form: ["_csrf": csrf, "title": "停车", "description": "乱", "phone": "123"])
            #expect(bad.status == .unprocessableEntity && bad.text.contains("item-title-error") && bad.text.contains("item-phone-error") && bad.text.contains("value=\"停车\""))
            let raised = try await send(app, .POST, "/v/\(songziyuan)/raise", headers: headers,
                                        form: ["_csrf": csrf, "title": "村口傍晚车辆乱停", "description": "每天傍晚村口车辆乱停，消防通道被堵，老人小孩出行不便。", "name": "陈阿姨", "phone": "13800138555"])
            #expect(raised.status == .seeOther)
            let receipt = try #require(raised.headers.first(name: .location))
            #expect(receipt.hasPrefix("/d/r/"))
            let own = try await send(app, .GET, receipt)
            #expect(own.status == .ok && own.text.contains("已收到您的议题") && own.text.contains("YS-2026-0001") && !own.text.contains("138****8555"))

            let minzhi = bearer(try await token(app, "street-minzhi")), guanlan = bearer(try await token(app, "street-guanlan"))
            let listed = try await send(app, .GET, "/api/v1/deliberations", headers: minzhi)
            let item = try #require((listed.json["items"] as? [[String: Any]])?.first)
            let id = try #require(item["id"] as? String)
            #expect(item["source"] as? String == "resident" && item["state"] as? String == "raised" && item["residentPhone"] as? String == "138****8555")
            #expect(try await send(app, .GET, "/api/v1/deliberations/\(id)", headers: guanlan).status == .notFound, "another street's office: missing")
            #expect(try await send(app, .GET, "/d/\(id)").status == .notFound, "not public until taken up")
            #expect(!(try await send(app, .GET, "/v/\(songziyuan)")).text.contains("村口傍晚车辆乱停"))

            // The steward sees it but does not run it; the street office sets the meeting.
            let steward = bearer(try await token(app, "steward-dispatch"))
            let schedule: [String: Any] = ["action": "schedule", "meetingAt": "2026-11-19 15:00", "meetingPlace": "松仔园社区党群服务中心",
                                           "parties": ["松仔园社区党支部", "民治街道城管办", "龙华城市管家", "居民代表"]]
            #expect(try await send(app, .POST, "/api/v1/deliberations/\(id)/actions", headers: steward, json: schedule).status == .forbidden)
            let unknown = try await send(app, .POST, "/api/v1/deliberations/\(id)/actions", headers: minzhi, json: ["action": "approve"])
            #expect(unknown.status == .badRequest && unknown.json["field"] as? String == "action")
            let set = try await send(app, .POST, "/api/v1/deliberations/\(id)/actions", headers: minzhi, json: schedule)
            #expect(set.status == .ok && (set.json["item"] as? [String: Any])?["state"] as? String == "scheduled", "\(set.text)")
            #expect(try await send(app, .GET, "/d/\(id)").status == .ok, "public once taken up")

            // The decision, after the meeting: every problem by field first, nothing written; then with a case for the steward.
            app.testClock.set(BeijingTime.parse("2026-11-19 17:00")!)
            let later = bearer(try await token(app, "street-minzhi"))
            let stewardOrg = try #require(try await DirectoryStore(db: app.db).orgs().first { $0.code == "LH-STEWARD-01" })
            let wrong = try await send(app, .POST, "/api/v1/deliberations/\(id)/actions", headers: later,
                                       json: ["action": "decide", "opinions": [["party": "社区党支部"]], "decision": "划", "dueDate": "2026-11-01", "caseCategory": "99999"])
            #expect(wrong.status == .unprocessableEntity)
            #expect(Set((wrong.json["field"] as? String ?? "").split(separator: ",").map(String.init)) == ["opinions", "decision", "carriedOutBy", "dueDate", "caseCategory"], "\(wrong.text)")
            let decided = try await send(app, .POST, "/api/v1/deliberations/\(id)/actions", headers: later, json: [
                "action": "decide", "opinions": [["party": "松仔园社区党支部", "text": "同意在村口划定临时停车位"], ["party": "居民代表", "text": "希望晚上有人管"]],
                "decision": "村口划定临时停车位，消防通道两侧划禁停线；城市管家每晚 18–21 时巡查劝导。",
                "carriedOutBy": stewardOrg.id.uuidString, "dueDate": "2026-11-30", "caseCategory": "06028"])
            #expect(decided.status == .ok, "\(decided.text)")
            let after = try #require(decided.json["item"] as? [String: Any])
            #expect(after["state"] as? String == "decided" && (after["carriedOutBy"] as? String)?.isEmpty == false)
            let caseNumber = try #require(after["caseNumber"] as? String)
            let made = try await CaseStore(db: app.db).find(number: caseNumber, scope: nil)
            #expect(made.source == "deliberation" && made.categoryCode == "06028" && made.description.contains("YS-2026-0001"))
            // Decided once: a second decision is refused by step.
            #expect(try await send(app, .POST, "/api/v1/deliberations/\(id)/actions", headers: later, json: ["action": "decide"]).status == .unprocessableEntity)

            // Closed with its outcome: on the village's page and the item's public page; the history has every step.
            let closed = try await send(app, .POST, "/api/v1/deliberations/\(id)/actions", headers: later,
                                        json: ["action": "close", "outcome": "已划定 12 个临时车位和禁停线，傍晚消防通道保持畅通。"])
            #expect(closed.status == .ok)
            #expect((closed.json["history"] as? [[String: Any]])?.compactMap { $0["action"] as? String } == ["raise", "schedule", "decide", "close"])
            let village = try await send(app, .GET, "/v/\(songziyuan)")
            #expect(village.text.contains("村口傍晚车辆乱停") && village.text.contains("已划定 12 个临时车位"))
            let shown = try await send(app, .GET, "/d/\(id)?lang=en")
            #expect(shown.text.contains(caseNumber) && !shown.text.contains("138****8555"), "the resident's contact is never public")
            let trail = try await AuditStore(db: app.db).list(AuditStore.Filter(subject: "deliberation:\(id)")).rows.map(\.action)
            #expect(trail.count == 4 && Set(trail) == ["deliberation.changed"])
        }
    }

    @Test func staffRaiseInTheConsoleAndAnItemIsDeclined() async throws {
        try await withTestApp { app in
            let (cookie, _) = try await webLogin(app, "street-minzhi")
            let page = try await send(app, .GET, "/deliberations", headers: ["Cookie": cookie])
            #expect(page.status == .ok)
            let csrf = try #require(page.csrfToken)
            let wrong = try await send(app, .POST, "/deliberations", headers: ["Cookie": cookie],
                                       form: ["_csrf": csrf, "area": langkou, "source": "partyCommittee", "title": "楼道照明", "description": "短", "budget": "abc"])
            #expect(wrong.status == .unprocessableEntity && wrong.text.contains("raise-area-error") && wrong.text.contains("raise-description-error") && wrong.text.contains("raise-budget-error"))
            let made = try await send(app, .POST, "/deliberations", headers: ["Cookie": cookie],
                                      form: ["_csrf": csrf, "area": songziyuan, "source": "partyCommittee", "title": "东区楼道加装照明", "description": "东区 1~12 栋楼道夜间无照明，老人上下楼不便。",
                                             "microProject": "on", "budget": "48000"])
            #expect(made.status == .seeOther)
            let itemURL = try #require(made.headers.first(name: .location))
            let item = try await send(app, .GET, itemURL, headers: ["Cookie": cookie])
            #expect(item.text.contains("48000.00") && item.text.contains("民生微实事") && item.text.contains("schedule-title"))
            // Declined without a reason: said by the field; with one: public with its reason.
            let refused = try await send(app, .POST, itemURL + "/actions", headers: ["Cookie": cookie], form: ["_csrf": csrf, "action": "decline", "reason": ""])
            #expect(refused.status == .unprocessableEntity && refused.text.contains("decline-reason-error"))
            let declined = try await send(app, .POST, itemURL + "/actions", headers: ["Cookie": cookie], form: ["_csrf": csrf, "action": "decline", "reason": "已纳入明年社区改造计划统一实施"])
            #expect(declined.status == .seeOther)
            let id = String(itemURL.split(separator: "/").last!)
            #expect(try await send(app, .GET, "/d/\(id)").text.contains("已纳入明年社区改造计划统一实施"))
            #expect(try await send(app, .GET, "/deliberations/\(id)", headers: ["Cookie": try await webLogin(app, "street-guanlan").cookie]).status == .notFound)
        }
    }

    @Test func theDemosItemFromThePortalWasDecidedIntoACase() async throws {
        try await withTestApp { app in
            #expect(try await DemoDeliberations.load(app))
            #expect(try await DemoDeliberations.load(app) == false, "loaded once")
            let items = try await DeliberationStore(db: app.db).list(under: nil, org: nil)
            #expect(Set(items.map(\.state)) == [.decided, .raised, .closed])
            let decided = try #require(items.first { $0.state == .decided })
            #expect(decided.source == .resident && decided.residentPhone == "138****8301" && decided.opinions.count == 3)
            let made = try await CaseStore(db: app.db).find(number: try #require(decided.caseNumber), scope: nil)
            #expect(made.source == "deliberation" && made.id == decided.caseID)
            let micro = try #require(items.first { $0.state == .closed })
            #expect(micro.microProject && micro.budgetFen == 4_800_000 && micro.spentFen == 4_560_000)
            let page = try await send(app, .GET, "/v/\(songziyuan)")
            #expect(page.text.contains(decided.title) && page.text.contains("已加装声控灯 36 盏") && !page.text.contains("儿童游乐设施"), "taken-up items only")
        }
    }
}
