@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import SQLKit
import Testing
import VaporTesting

@Suite("Device events")
struct DeviceEventsTests {
    func post(_ app: Application, _ key: String, _ body: String, ndjson: Bool = false) async throws -> Reply {
        var headers: HTTPHeaders = ["X-API-Key": key]
        headers.contentType = ndjson ? HTTPMediaType(type: "application", subType: "x-ndjson") : .json
        return try await send(app, .POST, "/api/v1/device-events", headers: headers, raw: body)
    }

    @Test func aBatchKeepsGoodLinesReportsBadOnesAndIsIdempotent() async throws {
        try await withTestApp { app in
            let key = try #require(try await DemoDevices.load(app))
            let now = ISO8601DateFormatter().string(from: app.clock.now.addingTimeInterval(-60))
            let batch = """
            [{"clientId":"g-1","device":"GATE-01","type":"gate","at":"\(now)","direction":"in","method":"face","person":"P-000123","plate":"粤B12345"},
             {"clientId":"g-2","device":"GATE-01","type":"gate","at":"\(now)","direction":"out","method":"card"},
             {"clientId":"a-1","device":"CAM-01","type":"ai","at":"\(now)","event":"890","confidence":0.93,"image":"img/a-1.jpg"},
             {"clientId":"a-2","device":"CAM-01","type":"ai","at":"\(now)","event":"890","confidence":0.41},
             {"clientId":"g-3","device":"GATE-01","type":"gate","at":"\(now)","method":"teleport"},
             {"clientId":"a-3","device":"CAM-01","type":"ai","at":"\(now)","event":"99999","confidence":0.9},
             {"clientId":"x-1","device":"GATE-99","type":"gate","at":"\(now)","direction":"in","method":"qr"}]
            """
            let first = try await post(app, key, batch)
            #expect(first.status == .ok, "\(first.text)")
            #expect(first.json["received"] as? Int == 7 && first.json["stored"] as? Int == 4 && first.json["duplicates"] as? Int == 0)
            let rejected = try #require(first.json["rejected"] as? [[String: Any]])
            #expect(Set(rejected.compactMap { r in (r["index"] as? Int).map { "\($0):\(r["field"] as? String ?? "")" } }) == ["4:direction", "4:method", "5:event", "6:device"])
            // The confident AI event became a case through the intake; the unsure one did not.
            let cases = try #require(first.json["cases"] as? [String])
            #expect(cases.count == 1)
            let row = try await CaseStore(db: app.db).find(number: cases[0], scope: nil)
            #expect(row.source == "device" && row.categoryCode == "06010")

            // A retry stores nothing twice and makes no second case.
            let retry = try await post(app, key, batch)
            #expect(retry.json["stored"] as? Int == 0 && retry.json["duplicates"] as? Int == 4 && (retry.json["cases"] as? [String])?.isEmpty == true)
            #expect(try await DeviceStore(db: app.db).count() == 4)
            #expect(try await caseCount(app) == 1)

            // Plates and person references are sealed at rest; the masked plate is kept for views.
            let stored = try await DeviceStore(db: app.db).events(limit: 10)
            let gate = try #require(stored.first { $0.clientId == "g-1" })
            #expect(gate.plateMasked == "粤B***45" && gate.plateSealed?.contains("12345") == false && gate.personSealed?.contains("P-000123") == false)
            #expect(try app.fieldCipher.open(try #require(gate.plateSealed)) == "粤B12345")
            #expect(stored.first { $0.clientId == "a-1" }?.caseId == row.id)

            // NDJSON, with a broken line in the middle.
            let ndjson = """
            {"clientId":"g-10","device":"GATE-02","type":"gate","at":"\(now)","direction":"in","method":"qr"}
            {"clientId": broken
            {"clientId":"g-11","device":"GATE-02","type":"gate","at":"2099-01-01T00:00:00Z","direction":"in","method":"qr"}
            {"clientId":"g-12","device":"GATE-02","type":"gate","at":"\(now)","direction":"out","method":"password"}
            """
            let lines = try await post(app, key, ndjson, ndjson: true)
            #expect(lines.json["stored"] as? Int == 2)
            #expect((lines.json["rejected"] as? [[String: Any]])?.compactMap { $0["index"] as? Int } == [1, 2])
        }
    }

    @Test func onlyTheDevicesOwnKeySendsAndBadBatchesAreRefused() async throws {
        try await withTestApp { app in
            let key = try #require(try await DemoDevices.load(app))
            let now = ISO8601DateFormatter().string(from: app.clock.now)
            let one = #"[{"clientId":"g-1","device":"GATE-01","type":"gate","at":"\#(now)","direction":"in","method":"card"}]"#
            // Another key with the right scope, but not the device's.
            let directory = DirectoryStore(db: app.db)
            let patroller = try #require(try await directory.user(username: "steward-patrol"))
            let (other, _) = try await directory.issueToken(userID: patroller.id, kind: .apiKey, name: "other", scopes: [.devicesSend], expiresAt: nil)
            let refused = try await post(app, other, one)
            #expect(refused.status == .unprocessableEntity && (refused.json["rejected"] as? [[String: Any]])?.first?["field"] as? String == "device")
            // A caller without the permission; not JSON; empty; too many.
            #expect(try await post(app, try await token(app, "street-minzhi"), one).status == .forbidden)
            #expect(try await post(app, key, "hello").status == .badRequest)
            #expect(try await post(app, key, "[]").status == .badRequest)
            let many = "[" + Array(repeating: #"{"clientId":"x"}"#, count: 10_001).joined(separator: ",") + "]"
            #expect(try await post(app, key, many).status == .payloadTooLarge)
            #expect(try await DeviceStore(db: app.db).count() == 0)
            // The register, scoped: a street officer sees its street's devices only.
            let devices = try await send(app, .GET, "/api/v1/devices", headers: bearer(try await token(app, "street-minzhi")))
            let codes = (try JSONSerialization.jsonObject(with: Data(devices.text.utf8)) as? [[String: Any]])?.compactMap { $0["code"] as? String }
            #expect(codes?.count == 2)
        }
    }

    @Test func batchParsingReportsEveryProblemOfALine() {
        let now = testStart
        guard case .failure(let p) = DeviceEventBatch.event(["type": "ai", "confidence": 2], now: now) else {
            Issue.record("expected problems")
            return
        }
        #expect(Set(p.problems.map(\.field)) == ["clientId", "device", "at", "event", "confidence"])
        let ok = DeviceEventBatch.event(["clientId": "1", "device": "D", "type": "gate", "at": "2026-03-02T06:30:00.250Z", "direction": "in", "method": "qr"], now: now)
        #expect(ok.isSuccess)
    }
}

@Suite("Gate retention")
struct GateRetentionTests {
    @Test func oldPassesBecomeHourlyCountsAndOnlyOneInstanceRuns() async throws {
        try await withTestApp({ $0.gateRetentionDays = 30 }) { app in
            _ = try #require(try await DemoDevices.load(app))
            let device = try #require(try await DeviceStore(db: app.db).find(codes: ["GATE-01"])["GATE-01"])
            let camera = try #require(try await DeviceStore(db: app.db).find(codes: ["CAM-01"])["CAM-01"])
            let old = app.clock.now.addingTimeInterval(-40 * 86_400), recent = app.clock.now.addingTimeInterval(-86_400)
            var rows: [DeviceEventRow] = []
            for i in 0..<30 {
                rows.append(DeviceEventRow(deviceId: device.id, clientId: "old-\(i)", kind: "gate", at: old.addingTimeInterval(Double(i % 3) * 3600), receivedAt: old,
                                           areaPath: device.areaPath, streetId: device.streetId, direction: i % 2 == 0 ? "in" : "out", method: "card",
                                           plateSealed: try app.fieldCipher.seal("粤B0000\(i % 10)")))
            }
            for i in 0..<5 {
                rows.append(DeviceEventRow(deviceId: device.id, clientId: "new-\(i)", kind: "gate", at: recent, receivedAt: recent, areaPath: device.areaPath,
                                           streetId: device.streetId, direction: "in", method: "face"))
            }
            rows.append(DeviceEventRow(deviceId: camera.id, clientId: "ai-old", kind: "ai", at: old, receivedAt: old, areaPath: camera.areaPath,
                                       streetId: camera.streetId, eventType: "890", categoryCode: "06010", confidence: 0.5))
            #expect(try await DeviceStore(db: app.db).insert(rows).count == 36)
            // Two instances at once: one holds the lease and compacts, the other does nothing.
            async let a = GateRetentionJob(app: app, holder: "instance-a").run(now: app.clock.now)
            async let b = GateRetentionJob(app: app, holder: "instance-b").run(now: app.clock.now)
            let (ra, rb) = try await (a, b)
            #expect(ra + rb == 30 && (ra == 0 || rb == 0))
            // The raw old passes are gone; recent ones and AI events stay; the counts add up, by hour and direction.
            let left = try await DeviceStore(db: app.db).events(limit: 100)
            #expect(left.count == 6 && left.allSatisfy { $0.clientId.hasPrefix("new-") || $0.kind == "ai" })
            #expect(try await GateRetention.totalPasses(app.db) == 30)
            let sql = app.db as! any SQLDatabase
            let groups = try await sql.raw("SELECT COUNT(*) AS n FROM gate_counts").first()?.decode(column: "n", as: Int.self)
            #expect(groups == 6)   // 3 hours × 2 directions
            #expect(try await AuditStore(db: app.db).list(AuditStore.Filter(action: "retention")).rows.first?.detail.contains("removed=30") == true)
            // Nothing left to do the next time.
            #expect(try await GateRetentionJob(app: app, holder: "instance-a").run(now: app.clock.now) == 0)
        }
    }
}

@Suite("Device register: register, new key, retire")
struct DeviceRegisterHTTPTests {
    func post(_ app: Application, _ key: String, device: String, _ id: String) async throws -> Reply {
        let at = ISO8601DateFormatter().string(from: app.clock.now.addingTimeInterval(-60))
        var headers: HTTPHeaders = ["X-API-Key": key]
        headers.contentType = .json
        return try await send(app, .POST, "/api/v1/device-events", headers: headers,
                              raw: #"[{"clientId":"\#(id)","device":"\#(device)","type":"ai","at":"\#(at)","event":"890","confidence":0.4}]"#)
    }

    func gridCode(_ app: Application, _ village: String) async throws -> String {
        let store = AreaStore(db: app.db)
        let v = try #require(try await store.find(code: village))
        return try #require(try await store.children(of: v.id).filter { $0.kind == .grid }.map(\.code).sorted().first)
    }

    @Test func devicesAreRegisteredRekeyedAndRetiredByThoseWhoWorkThere() async throws {
        try await withTestApp { app in
            let dispatcher = try await token(app, "steward-dispatch")
            let grid = try await gridCode(app, songziyuan)
            // Everything wrong at once: one 400, every field named, nothing stored.
            let bad = try await send(app, .POST, "/api/v1/devices", headers: bearer(dispatcher),
                                     json: ["code": "", "kind": "drone", "area": "X", "keyHolder": "nobody"])
            #expect(bad.status == .unprocessableEntity)
            let named = Set((bad.json["field"] as? String ?? "").split(separator: ",").map(String.init))
            #expect(named == ["code", "kind", "area", "keyHolder"], "\(bad.text)")
            #expect(try await DeviceStore(db: app.db).all().isEmpty)
            // Registered: 201 with the key, shown once; the key sends.
            let made = try await send(app, .POST, "/api/v1/devices", headers: bearer(dispatcher),
                                      json: ["code": "cam-t-01", "kind": "camera", "vendor": "dahua", "area": grid, "keyHolder": "steward-patrol"])
            #expect(made.status == .created, "\(made.text)")
            let key = try #require(made.json["key"] as? String)
            #expect((made.json["device"] as? [String: Any])?["code"] as? String == "CAM-T-01")
            #expect(try await post(app, key, device: "CAM-T-01", "e-1").json["stored"] as? Int == 1)
            #expect(try await send(app, .POST, "/api/v1/devices", headers: bearer(dispatcher),
                                   json: ["code": "CAM-T-01", "kind": "camera", "area": grid, "keyHolder": "steward-patrol"]).status == .unprocessableEntity)
            // Staff do not register; another street's officer does not see the device.
            #expect(try await send(app, .POST, "/api/v1/devices", headers: bearer(try await token(app, "steward-patrol")),
                                   json: ["code": "CAM-T-02", "kind": "camera", "area": grid, "keyHolder": "steward-patrol"]).status == .forbidden)
            let guanlan = try await token(app, "street-guanlan")
            #expect(try await send(app, .POST, "/api/v1/devices/CAM-T-01/retire", headers: bearer(guanlan)).status == .notFound)
            #expect(try await send(app, .POST, "/api/v1/devices", headers: bearer(guanlan),
                                   json: ["code": "CAM-T-03", "kind": "camera", "area": grid, "keyHolder": "steward-patrol"]).json["field"] as? String == "area",
                    "a grid outside the officer's street is answered like a missing one")
            // A new key: the old one stops at once.
            let rekeyed = try await send(app, .POST, "/api/v1/devices/CAM-T-01/key", headers: bearer(dispatcher))
            let newKey = try #require(rekeyed.json["key"] as? String)
            #expect(newKey != key)
            #expect(try await post(app, key, device: "CAM-T-01", "e-2").status == .unauthorized)
            #expect(try await post(app, newKey, device: "CAM-T-01", "e-3").json["stored"] as? Int == 1)
            // Retired: the key stops, what it sent stays, and it cannot be retired twice.
            let retired = try await send(app, .POST, "/api/v1/devices/CAM-T-01/retire", headers: bearer(dispatcher))
            #expect(retired.status == .ok && retired.json["status"] as? String == "retired")
            #expect(try await post(app, newKey, device: "CAM-T-01", "e-4").status == .unauthorized)
            #expect(try await send(app, .POST, "/api/v1/devices/CAM-T-01/retire", headers: bearer(dispatcher)).status == .conflict)
            #expect(try await send(app, .POST, "/api/v1/devices/CAM-T-01/key", headers: bearer(dispatcher)).status == .conflict)
            #expect(try await send(app, .POST, "/api/v1/devices/CAM-T-01/key", headers: bearer(guanlan)).status == .notFound)
            #expect(try await send(app, .POST, "/api/v1/devices/NOPE/key", headers: bearer(dispatcher)).status == .notFound)
            #expect(try await send(app, .POST, "/api/v1/devices/CAM-T-01/key").status == .unauthorized)
            #expect(try await DeviceStore(db: app.db).events(limit: 10).count == 2)
            let audit = try await AuditStore(db: app.db).list(AuditStore.Filter(), limit: 50).rows.map(\.detail)
            #expect(audit.contains { $0.contains("device=CAM-T-01 registered") } && audit.contains { $0.contains("retired") })
        }
    }

    @Test func theConsoleRegistersWithTheFormKeptAndShowsTheKeyOnce() async throws {
        try await withTestApp { app in
            let grid = try await gridCode(app, songziyuan)
            let (cookie, _) = try await webLogin(app, "steward-dispatch")
            let page = try await send(app, .GET, "/devices", headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.text.contains("登记设备"))
            let csrf = try #require(page.csrfToken)
            let refused = try await send(app, .POST, "/devices", headers: ["Cookie": cookie],
                                         form: ["_csrf": csrf, "code": "GATE-T-01", "kind": "gate", "area": "440309002001V01G999", "keyHolder": "steward-patrol", "name": "东门"])
            #expect(refused.status == .badRequest)
            #expect(refused.text.contains("value=\"GATE-T-01\"") && refused.text.contains("value=\"东门\"") && refused.text.contains("id=\"device-area-error\""))
            let made = try await send(app, .POST, "/devices", headers: ["Cookie": cookie],
                                      form: ["_csrf": csrf, "code": "GATE-T-01", "kind": "gate", "area": grid, "keyHolder": "steward-patrol", "name": "东门"])
            #expect(made.status == .created && made.text.contains("class=\"secret\">csk_"), "\(made.text.prefix(300))")
            #expect(made.headers.first(name: .cacheControl)?.contains("no-store") == true)
            let listed = try await send(app, .GET, "/devices", headers: ["Cookie": cookie])
            #expect(listed.text.contains("GATE-T-01") && !listed.text.contains("class=\"secret\""), "the key is not shown again")
            let retired = try await send(app, .POST, "/devices/GATE-T-01/retire", headers: ["Cookie": cookie], form: ["_csrf": csrf])
            #expect(retired.status == .seeOther)
            #expect(try await DeviceStore(db: app.db).find(code: "GATE-T-01")?.status == "retired")
        }
    }
}
