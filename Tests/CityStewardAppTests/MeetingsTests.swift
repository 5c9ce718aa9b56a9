@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import Testing
import VaporTesting

/// Coordination meetings (issue 20 §5) over HTTP: the district office plans its monthly meeting with an agenda linked to
/// a case and a village, records the minutes with an action item for the steward; the sweep reminds the steward the
/// working day before and supervises it once overdue (the convener told); the next meeting carries it forward until the
/// steward marks it done. Only those invited see the meeting.
@Suite("Coordination meetings")
struct MeetingsTests {
    let songziyuan = "440309002001V01"

    @Test func anOverdueActionIsSupervisedAndCarriedForwardUntilDone() async throws {
        try await withTestApp { app in
            let admin = bearer(try await token(app, "district-admin"))
            let reference = try await app.caseReference.get(app.db)
            let steward = try #require(reference.orgs.values.first { $0.code == "LH-STEWARD-01" })
            let minzhi = try #require(reference.areasByCode["440309002"])
            let minzhiOffice = try #require(reference.streetOffices[minzhi.id])
            let reported = try await report(app, try await token(app, "steward-patrol"), category: "06010", at: try await gridCentre(app, songziyuan, 1))
            let someCase = try await CaseStore(db: app.db).find(number: try #require(reported.json["number"] as? String), scope: nil)
            let plan: [String: Any] = ["kind": "districtMonthly", "title": "十一月城市管家协调会", "heldAt": "2026-11-18 09:00", "place": "区城管局三楼会议室",
                                       "invited": [steward.code, reference.orgs[minzhiOffice.id]?.code ?? ""],
                                       "agenda": [["title": "松仔园村口停车", "links": [songziyuan, someCase.number]], ["title": "本月考核进展", "links": [] as [String]]]]
            let bad = try await send(app, .POST, "/api/v1/meetings", headers: admin, json: ["kind": "districtMonthly", "agenda": [["title": "x", "links": ["LH-2099-999999"]]]])
            #expect(bad.status == .unprocessableEntity)
            #expect(try await send(app, .POST, "/api/v1/meetings", headers: bearer(try await token(app, "steward-dispatch")), json: plan).status == .forbidden)
            let made = try await send(app, .POST, "/api/v1/meetings", headers: admin, json: plan)
            #expect(made.status == .created, "\(made.text)")
            let meeting = try #require(made.json["meeting"] as? [String: Any])
            let id = try #require(meeting["id"] as? String)
            let links = ((meeting["agenda"] as? [[String: Any]])?.first?["links"] as? [[String: Any]]) ?? []
            #expect(links.compactMap { $0["href"] as? String }.contains("/cases/\(someCase.id.uuidString.lowercased())"))
            // Those invited see it; a street not invited does not.
            let stewardToken = bearer(try await token(app, "steward-dispatch"))
            #expect(try await send(app, .GET, "/api/v1/meetings/\(id)", headers: stewardToken).status == .ok)
            #expect(try await send(app, .GET, "/api/v1/meetings/\(id)", headers: bearer(try await token(app, "street-guanlan"))).status == .notFound)

            // Minutes: a Saturday is no due date; then the steward's action due Friday the 20th.
            let weekend = try await send(app, .POST, "/api/v1/meetings/\(id)/minutes", headers: admin, json: [
                "attended": [steward.code], "minutes": "会议听取了松仔园村口停车问题的汇报。", "actions": [["title": "村口划定临时停车位", "owner": steward.code, "dueDate": "2026-11-21"]]])
            #expect(weekend.status == .unprocessableEntity && weekend.json["field"] as? String == "actions[0].dueDate", "\(weekend.text)")
            let minuted = try await send(app, .POST, "/api/v1/meetings/\(id)/minutes", headers: admin, json: [
                "attended": [steward.code], "decisions": ["村口划定临时停车位"], "minutes": "会议听取了松仔园村口停车问题的汇报，议定划线。",
                "actions": [["title": "村口划定临时停车位", "owner": steward.code, "dueDate": "2026-11-20"]]])
            #expect(minuted.status == .ok, "\(minuted.text)")
            let action = try #require((minuted.json["actions"] as? [[String: Any]])?.first)
            let actionID = try #require(action["id"] as? String)
            #expect(action["number"] as? String == "DB-2026-0001" && action["escalation"] as? String == "none")
            #expect(try await send(app, .POST, "/api/v1/meetings/\(id)/minutes", headers: admin, json: ["attended": [steward.code], "minutes": "再来一次纪要内容。"]).status == .unprocessableEntity)

            // Thursday: reminded. Monday: overdue, supervised; the steward and the convener are told.
            app.testClock.set(BeijingTime.parse("2026-11-19 10:00")!)
            #expect(try await ActionItemSweeper.sweep(app, now: app.clock.now) == 1)
            #expect(try await ActionItemSweeper.sweep(app, now: app.clock.now) == 0, "once")
            app.testClock.set(BeijingTime.parse("2026-11-23 10:00")!)
            #expect(try await ActionItemSweeper.sweep(app, now: app.clock.now) == 1)
            let actionUUID = try #require(UUID(uuidString: actionID))
            let item = try #require(try await MeetingStore(db: app.db).item(actionUUID))
            #expect(item.escalation == .supervised)
            let toSteward = try await CaseStore(db: app.db).notifications(orgID: steward.id, userID: nil).filter { $0.caseId == nil }.map(\.kind)
            #expect(Set(toSteward) == ["action-item", "action-item.reminded", "action-item.supervised"], "\(toSteward)")
            let adminUser = try await DirectoryStore(db: app.db).user(username: "district-admin")
            let adminOrg = try #require(adminUser?.orgID)
            #expect(try await CaseStore(db: app.db).notifications(orgID: adminOrg, userID: nil).contains { $0.kind == "action-item.supervised" })

            // December's meeting carries it forward; the steward marks it done; January's does not carry it.
            let admin2 = bearer(try await token(app, "district-admin"))
            var december = plan
            (december["title"], december["heldAt"], december["agenda"]) = ("十二月城市管家协调会", "2026-12-16 09:00", [] as [Any])
            let next = try await send(app, .POST, "/api/v1/meetings", headers: admin2, json: december)
            #expect(((next.json["carried"] as? [[String: Any]])?.compactMap { $0["number"] as? String }) == ["DB-2026-0001"], "\(next.text)")
            #expect((next.json["carried"] as? [[String: Any]])?.first?["overdue"] as? Bool == true)
            let steward2 = bearer(try await token(app, "steward-dispatch"))
            let listed = try await send(app, .GET, "/api/v1/action-items?open=true", headers: steward2)
            #expect((listed.json["items"] as? [[String: Any]])?.first?["carried"] as? Int == 1)
            let noNote = try await send(app, .POST, "/api/v1/action-items/\(actionID)/done", headers: steward2)
            #expect(noNote.status == .unprocessableEntity && noNote.json["field"] as? String == "note")
            let done = try await send(app, .POST, "/api/v1/action-items/\(actionID)/done", headers: steward2, json: ["note": "已划定 12 个临时车位和禁停线"])
            #expect(done.status == .ok && done.json["done"] as? Bool == true)
            var january = plan
            (january["title"], january["heldAt"], january["agenda"]) = ("一月城市管家协调会", "2027-01-13 09:00", [] as [Any])
            let later = try await send(app, .POST, "/api/v1/meetings", headers: admin2, json: january)
            #expect((later.json["carried"] as? [[String: Any]])?.isEmpty == true)
        }
    }

    @Test func theConsoleMinutesKeepWhatWasTyped() async throws {
        try await withTestApp { app in
            let (cookie, _) = try await webLogin(app, "district-admin")
            let page = try await send(app, .GET, "/meetings", headers: ["Cookie": cookie])
            #expect(page.status == .ok)
            let csrf = try #require(page.csrfToken)
            let planned = try await send(app, .POST, "/meetings", headers: ["Cookie": cookie], form: [
                "_csrf": csrf, "kind": "districtMonthly", "area": "440309", "title": "十一月城市管家协调会", "heldAt": "2026-11-18T09:00", "place": "区城管局会议室",
                "invited[]": "LH-STEWARD-01", "agenda": "松仔园村口停车 | \(songziyuan)"])
            #expect(planned.status == .seeOther, "\(planned.text.prefix(400))")
            let url = try #require(planned.headers.first(name: .location))
            let wrong = try await send(app, .POST, url + "/minutes", headers: ["Cookie": cookie], form: [
                "_csrf": csrf, "attended[]": "LH-STEWARD-01", "minutes": "会议纪要内容在这里。", "actionTitle[]": "村口划线", "actionOwner[]": "LH-STEWARD-01", "actionDue[]": "2026-11-21"])
            #expect(wrong.status == .unprocessableEntity && wrong.text.contains("action-0-error") && wrong.text.contains("value=\"村口划线\""))
            let ok = try await send(app, .POST, url + "/minutes", headers: ["Cookie": cookie], form: [
                "_csrf": csrf, "attended[]": "LH-STEWARD-01", "minutes": "会议纪要内容在这里。", "actionTitle[]": "村口划线", "actionOwner[]": "LH-STEWARD-01", "actionDue[]": "2026-11-20"])
            #expect(ok.status == .seeOther)
            let items = try await send(app, .GET, "/action-items", headers: ["Cookie": cookie])
            #expect(items.text.contains("DB-2026-0001") && items.text.contains("村口划线"))
        }
    }

    @Test func theDemosOverdueActionIsSupervisedAndCarriedForward() async throws {
        try await withTestApp { app in
            #expect(try await DemoMeetings.load(app))
            #expect(try await DemoMeetings.load(app) == false, "loaded once")
            let meetings = try await MeetingStore(db: app.db).list()
            #expect(meetings.count == 2 && Set(meetings.map(\.state)) == [.planned, .minuted])
            let next = try #require(meetings.first { $0.state == .planned })
            let carried = try await MeetingStore(db: app.db).items(of: next.id).carried
            #expect(carried.count == 1 && carried[0].escalation == .supervised && carried[0].isOverdue(today: LocalDate.beijing(app.clock.now)))
            let (cookie, _) = try await webLogin(app, "district-admin")
            let page = try await send(app, .GET, "/meetings/\(next.id.uuidString.lowercased())", headers: ["Cookie": cookie])
            #expect(page.text.contains(carried[0].number) && page.text.contains("督办"))
        }
    }
}
