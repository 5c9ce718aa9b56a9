@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import Testing
import VaporTesting

/// The access rules over HTTP, one test per row an attacker found open (issue 14 §3); the rules themselves are
/// tabled in `AccessTableTests`.
@Suite("Access over HTTP")
struct AccessTests {
    @Test func theDeviceRegisterIsForStaffInTheirAreas() async throws {
        try await withTestApp { app in
            _ = try #require(try await DemoDevices.load(app))
            // A resident and a data consumer read areas, but not where the cameras are.
            for user in ["resident-demo", "data-platform"] {
                let reply = try await send(app, .GET, "/api/v1/devices", headers: bearer(try await token(app, user)))
                #expect(reply.status == .forbidden, "\(user): \(reply.text.prefix(200))")
            }
            // A map key of the district office (areas:read only) neither.
            let admin = try #require(try await DirectoryStore(db: app.db).user(username: "district-admin"))
            let (mapKey, _) = try await DirectoryStore(db: app.db).issueToken(userID: admin.id, kind: .apiKey, name: "map", scopes: [.areasRead], expiresAt: nil)
            #expect(try await send(app, .GET, "/api/v1/devices", headers: ["X-API-Key": mapKey]).status == .forbidden)
            // Staff: the register of their own areas.
            let all = try await send(app, .GET, "/api/v1/devices", headers: bearer(try await token(app, "district-admin")))
            let minzhi = try await send(app, .GET, "/api/v1/devices", headers: bearer(try await token(app, "street-minzhi")))
            let everyDevice = try JSONDecoder().decode([DevicesController.DeviceView].self, from: Data(all.text.utf8))
            let streets = try JSONDecoder().decode([DevicesController.DeviceView].self, from: Data(minzhi.text.utf8))
            #expect(all.status == .ok && minzhi.status == .ok)
            #expect(!streets.isEmpty && streets.count < everyDevice.count && streets.allSatisfy { $0.area.contains("松仔园") })
            // The console page answers the consumer with its own feed, without the register.
            let (cookie, _) = try await webLogin(app, "data-platform")
            let page = try await send(app, .GET, "/devices", headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.text.contains("district-platform") && !everyDevice.contains { page.text.contains($0.code) })
        }
    }

    @Test func aResidentCannotClaimAPatrolFind() async throws {
        try await withTestApp { app in
            let resident = try await token(app, "resident-demo")
            let p = try await gridCentre(app, songziyuan, 1)
            let claimed = try await report(app, resident, category: "06010", at: p, extra: ["source": "patrol"])
            #expect(claimed.status == .unprocessableEntity && claimed.text.contains("source"), "\(claimed.text)")
            #expect(try await report(app, resident, category: "06010", at: p, extra: ["source": "device"]).status == .badRequest)
            // Without a source the report is the resident's; staff may say a report came from the 12345 hotline.
            let own = try await report(app, resident, category: "06010", at: p)
            #expect(own.status == .created && own.json["source"] as? String == "resident")
            let hotline = try await report(app, try await token(app, "steward-dispatch"), category: "06011", at: p, extra: ["source": "hotline"])
            #expect(hotline.status == .created && hotline.json["source"] as? String == "hotline")
            #expect(try await caseCount(app) == 2, "nothing was stored for the refused reports")
        }
    }

    @Test func aDuplicateIsNamedOnlyToWhoMayOpenIt() async throws {
        try await withTestApp { app in
            let p = try await gridCentre(app, songziyuan, 6)
            let patrol = try await token(app, "steward-patrol")
            let first = try await report(app, patrol, category: "06010", at: p)
            let firstID = try #require(first.json["id"] as? String)
            // A resident reporting the same heap a few metres away is not told the patrol's case.
            let residentReport = try await report(app, try await token(app, "resident-demo"), category: "06010", at: p.offset(eastMetres: 5, northMetres: 0))
            #expect(residentReport.status == .created && residentReport.json["duplicateOf"] == nil, "\(residentReport.text)")
            let residentCase = try #require(residentReport.json["id"] as? String)
            let residentView = try await send(app, .GET, "/api/v1/cases/\(residentCase)", headers: bearer(try await token(app, "resident-demo")))
            #expect(residentView.status == .ok && residentView.json["duplicateOf"] == nil && !residentView.text.contains(firstID))
            // Staff who may open the first case see the link, with its number.
            let staffView = try await send(app, .GET, "/api/v1/cases/\(residentCase)", headers: bearer(try await token(app, "steward-dispatch")))
            let link = try #require(staffView.json["duplicateOf"] as? [String: Any])
            #expect((link["id"] as? String)?.lowercased() == firstID.lowercased() && link["number"] as? String == first.json["number"] as? String)
            // Another patrol report there is told at once.
            let again = try await report(app, patrol, category: "06010", at: p.offset(eastMetres: 0, northMetres: 5))
            #expect(((again.json["duplicateOf"] as? [String: Any])?["id"] as? String)?.lowercased() == firstID.lowercased())
        }
    }

    @Test func whoMayDecideNoSubsidyLearnsNothingAboutThem() async throws {
        try await withTestApp { app in
            let steward = try await token(app, "steward-dispatch")
            let asked = try await send(app, .POST, "/api/v1/subsidies", headers: bearer(steward), json: [
                "kind": "policy", "village": ContractsTests.village, "title": "台风后紧急清障", "reason": "台风过境后清理倒伏树木和垃圾，合同委托事项外的突发任务", "amountFen": 500_000])
            let id = try #require(asked.json["id"] as? String)
            // The same answer for an existing subsidy and a missing one.
            for caller in ["steward-dispatch", "steward-patrol", "auditor", "resident-demo"] {
                let t = try await token(app, caller)
                let existing = try await send(app, .POST, "/api/v1/subsidies/\(id)/decision", headers: bearer(t), json: ["approve": true])
                let missing = try await send(app, .POST, "/api/v1/subsidies/\(UUID())/decision", headers: bearer(t), json: ["approve": true])
                #expect(existing.status == .forbidden && missing.status == .forbidden, "\(caller): \(existing.status) / \(missing.status)")
            }
            // A street office (it confirms introduction subsidies) finds a missing one missing, and may not decide a policy one.
            let minzhi = try await token(app, "street-minzhi")
            #expect(try await send(app, .POST, "/api/v1/subsidies/\(UUID())/decision", headers: bearer(minzhi), json: ["approve": true]).status == .notFound)
            #expect(try await send(app, .POST, "/api/v1/subsidies/\(id)/decision", headers: bearer(minzhi), json: ["approve": true]).status == .forbidden)
            let decided = try await send(app, .POST, "/api/v1/subsidies/\(id)/decision", headers: bearer(try await token(app, "district-admin")), json: ["approve": true])
            #expect(decided.status == .ok, "\(decided.text)")
        }
    }

    @Test func onlyTheDistrictOfficeChangesWhatAFeedLetsOut() async throws {
        try await withTestApp { app in
            _ = try #require(try await DemoDevices.load(app))
            let change: [String: Any] = ["rules": ["plate": "suppress"]]
            let consumer = try await send(app, .PUT, "/api/v1/feeds/district-platform/rules", headers: bearer(try await token(app, "data-platform")), json: change)
            #expect(consumer.status == .forbidden)
            // A district key narrowed to reading feeds neither.
            let admin = try #require(try await DirectoryStore(db: app.db).user(username: "district-admin"))
            let (readKey, _) = try await DirectoryStore(db: app.db).issueToken(userID: admin.id, kind: .apiKey, name: "feeds", scopes: [.feedsRead], expiresAt: nil)
            #expect(try await send(app, .PUT, "/api/v1/feeds/district-platform/rules", headers: ["X-API-Key": readKey], json: change).status == .forbidden)
            let changed = try await send(app, .PUT, "/api/v1/feeds/district-platform/rules", headers: bearer(try await token(app, "district-admin")), json: change)
            #expect(changed.status == .ok && (changed.json["rules"] as? [String: String])?["plate"] == "suppress", "\(changed.text)")
        }
    }
}
