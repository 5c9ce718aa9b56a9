@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import Testing
import Vapor

/// Inspection checklists (issue 18 §4) and cases given to a team or a person (§5): the patroller's monthly fire-equipment
/// check on a box whose pressure is low opens a case — routed like any other, linked to the box — that reaches the repair
/// team's member; the signature closes the round; a resent form is stored once.
@Suite("Inspections and cases given to a team or a person")
struct InspectionTests {
    @Test func aFailedFireEquipmentCheckReachesTheRepairTeamsMember() async throws {
        try await withTestApp { app in
            try await DemoOperations.load(app)
            try await DemoAssets.load(app)
            let patrol = bearer(try await token(app, "steward-patrol"))
            let repair = bearer(try await token(app, "steward-repair"))
            let dispatcher = bearer(try await token(app, "steward-dispatch"))
            let list = try await send(app, .GET, "/api/v1/checklists?component=01013", headers: patrol)
            let checklist = try #require((try JSONSerialization.jsonObject(with: Data(list.text.utf8)) as? [[String: Any]])?.first?["id"] as? String, "\(list.text)")
            let box = try #require(try await AssetStore(db: app.db).list(.all, AssetFilter(component: "01013", condition: "good")).first)
            let body: [String: Any] = ["asset": box.id.uuidString, "checklist": checklist, "lat": box.lat, "long": box.long,
                                       "items": [["value": "pass"], ["value": "0.6"], ["value": "pass"], ["value": "箱内有杂物"]]]

            // Unsigned, or an item unanswered: refused by field, nothing stored.
            let unsigned = try await send(app, .POST, "/api/v1/inspections", headers: patrol, json: body.merging(["signature": "someone"]) { $1 })
            #expect(unsigned.status == .unprocessableEntity && unsigned.json["field"] as? String == "signature", "\(unsigned.text)")
            let partial = try await send(app, .POST, "/api/v1/inspections", headers: patrol,
                                         json: body.merging(["signature": "管家巡查员", "items": [["value": "maybe"]]]) { $1 })
            #expect(partial.status == .unprocessableEntity, "\(partial.text)")
            #expect(try await InspectionStore(db: app.db).inspections(asset: box.id).isEmpty)

            // Signed: the pressure item fails and opens one case, given to the repair team.
            let signed = try await send(app, .POST, "/api/v1/inspections", headers: patrol.merging(["Idempotency-Key": "xf-1"]),
                                        json: body.merging(["signature": "管家巡查员"]) { $1 })
            #expect(signed.status == .created && signed.json["failed"] as? Int == 1, "\(signed.text)")
            let number = try #require((signed.json["cases"] as? [String])?.first)
            let again = try await send(app, .POST, "/api/v1/inspections", headers: patrol.merging(["Idempotency-Key": "xf-1"]),
                                       json: body.merging(["signature": "管家巡查员"]) { $1 })
            #expect(again.status == .ok && again.json["id"] as? String == signed.json["id"] as? String && (again.json["cases"] as? [String]) == [number])
            let stored = try await CaseStore(db: app.db).find(number: number, scope: nil)
            #expect(stored.categoryCode == "01013" && stored.source == "patrol" && stored.description.contains("灭火器压力"), "\(stored.description)")
            // Routed like any case: in the demo, fire equipment is the steward's facility upkeep (matter M-FAC-01).
            #expect(stored.routingRule == "entrusted" && stored.responsibleName.contains("城市管家"), "\(stored.responsibleName)")

            // It reaches the repair team's member: their list and a notification; not the patroller's list.
            let given = try await send(app, .GET, "/api/v1/me/cases", headers: repair)
            #expect(given.text.contains(number), "\(given.text)")
            #expect(!(try await send(app, .GET, "/api/v1/me/cases", headers: patrol)).text.contains(number))
            let notices = try await send(app, .GET, "/api/v1/notifications", headers: repair)
            #expect(notices.text.contains(number), "\(notices.text.prefix(300))")
            let (repairCookie, _) = try await webLogin(app, "steward-repair")
            #expect(try await send(app, .GET, "/tasks", headers: ["Cookie": repairCookie]).text.contains(number))

            // The box: damaged, the case in its history, the inspection listed.
            let detail = try await send(app, .GET, "/api/v1/assets/\(box.id.uuidString)", headers: dispatcher)
            #expect((detail.json["asset"] as? [String: Any])?["condition"] as? String == "damaged")
            #expect((detail.json["cases"] as? [[String: Any]])?.contains { $0["number"] as? String == number } == true)

            // The dispatcher gives it to the patroller instead; only the dispatcher may; a team of another company is refused.
            let caseID = stored.id.uuidString
            let patrolUser = try #require(try await DirectoryStore(db: app.db).user(username: "steward-patrol"))
            #expect(try await send(app, .PUT, "/api/v1/cases/\(caseID)/assignee", headers: patrol, json: ["assignee": "person:\(patrolUser.id.uuidString)"]).status == .forbidden)
            #expect(try await send(app, .PUT, "/api/v1/cases/\(caseID)/assignee", headers: dispatcher, json: ["assignee": "team:\(UUID().uuidString)"]).status == .unprocessableEntity)
            #expect(try await send(app, .PUT, "/api/v1/cases/\(caseID)/assignee", headers: dispatcher, json: ["assignee": "nobody"]).status == .unprocessableEntity)
            let moved = try await send(app, .PUT, "/api/v1/cases/\(caseID)/assignee", headers: dispatcher, json: ["assignee": "person:\(patrolUser.id.uuidString)"])
            #expect(moved.status == .ok && moved.json["assignee"] as? String == "person:\(patrolUser.id.uuidString.lowercased())", "\(moved.text)")
            #expect(try await send(app, .GET, "/api/v1/me/cases", headers: patrol).text.contains(number))
            #expect(!(try await send(app, .GET, "/api/v1/me/cases", headers: repair)).text.contains(number))
            #expect(try await send(app, .GET, "/api/v1/cases/\(caseID)/assignee", headers: dispatcher).status == .methodNotAllowed)

            // Another street's officer cannot inspect or see the box.
            let guanlan = bearer(try await token(app, "street-guanlan"))
            #expect(try await send(app, .POST, "/api/v1/inspections", headers: guanlan, json: body.merging(["signature": "观澜街道工作人员"]) { $1 }).status == .notFound)
        }
    }

    @Test func checklistsAreCheckedWholeAndThePhoneFormKeepsWhatWasTyped() async throws {
        try await withTestApp { app in
            try await DemoOperations.load(app)
            try await DemoAssets.load(app)
            let dispatcher = bearer(try await token(app, "steward-dispatch"))
            let bad = try await send(app, .POST, "/api/v1/checklists", headers: dispatcher,
                                     json: ["name": "", "component": "99999", "items": [["label": "读数", "kind": "number", "min": 5, "max": 1, "photoRequired": false]]])
            #expect(bad.status == .unprocessableEntity, "\(bad.text)")
            let fields = Set(((bad.json["errors"] as? [[String: Any]]) ?? []).compactMap { $0["field"] as? String })
            #expect(fields == ["name", "component", "items[0].min"], "\(bad.text)")
            #expect(try await send(app, .POST, "/api/v1/checklists", headers: bearer(try await token(app, "steward-patrol")),
                                   json: ["name": "x", "component": "01037", "items": [["label": "亮", "kind": "passFail", "photoRequired": false]]]).status == .forbidden)
            let made = try await send(app, .POST, "/api/v1/checklists", headers: dispatcher,
                                      json: ["name": "路灯夜查", "component": "01037", "items": [["label": "灯亮", "kind": "passFail", "photoRequired": true]]])
            #expect(made.status == .created, "\(made.text)")
            let checklist = try #require(made.json["id"] as? String)

            // On the phone: a street light; the photo is required; without a signature the form comes back as typed.
            let light = try #require(try await AssetStore(db: app.db).list(.all, AssetFilter(component: "01037")).first)
            let (cookie, _) = try await webLogin(app, "steward-patrol")
            let page = try await send(app, .GET, "/assets/\(light.id.uuidString.lowercased())/inspect?checklist=\(checklist)", headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.text.contains("灯亮"), "\(page.text.prefix(300))")
            var form = MultipartForm()
            form.field("_csrf", try #require(page.csrfToken))
            form.field("checklist", checklist)
            form.field("key", "k-1")
            form.field("item0", "fail")
            let refused = try await form.send(app, "/assets/\(light.id.uuidString.lowercased())/inspect", cookie: cookie)
            #expect(refused.status == .unprocessableEntity && refused.text.contains("signature-error") && refused.text.contains("value=\"fail\" checked"), "\(refused.text.prefix(200))")
            var signed = MultipartForm()
            signed.field("_csrf", try #require(page.csrfToken))
            signed.field("checklist", checklist)
            signed.field("key", "k-2")
            signed.field("item0", "fail")
            signed.field("signature", "管家巡查员")
            signed.file("photo0", TestImages.jpegWithGPS(), "image/jpeg", filename: "lamp.jpg")
            let sent = try await signed.send(app, "/assets/\(light.id.uuidString.lowercased())/inspect", cookie: cookie)
            #expect(sent.status == .seeOther, "\(sent.text.prefix(300))")
            let shown = try await send(app, .GET, try #require(sent.location), headers: ["Cookie": cookie])
            #expect(shown.status == .ok && shown.text.contains("role=\"status\"") && shown.text.contains("灯亮"))
            // Sent again (poor signal): one inspection, one case.
            #expect(try await signed.send(app, "/assets/\(light.id.uuidString.lowercased())/inspect", cookie: cookie).status == .seeOther)
            let inspections = try await InspectionStore(db: app.db).inspections(asset: light.id)
            #expect(inspections.count == 1 && inspections[0].cases.count == 1)
            let photos = try await CaseStore(db: app.db).find(number: inspections[0].cases[0], scope: nil)
            #expect(photos.categoryCode == "01037")
        }
    }
}
