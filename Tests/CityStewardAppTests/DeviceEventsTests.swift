@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import SQLKit
import Testing
import VaporTesting

@Suite("Device events", .serialized)
struct DeviceEventsTests {
    func post(_ app: Application, _ key: String, _ body: String, ndjson: Bool = false) async throws -> Reply {
        var headers: HTTPHeaders = ["X-API-Key": key]
        headers.contentType = ndjson ? HTTPMediaType(type: "application", subType: "x-ndjson") : .json
        return try await send(app, .POST, "/api/v1/device-events", headers: headers, raw: body)
    }

    @Test func aBatchKeepsGoodLinesReportsBadOnesAndIsIdempotent() async throws {
        try await withTestApp { app in
            let key = try #require(try await DemoDevices.load(app))
            let now = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-60))
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
            let now = ISO8601DateFormatter().string(from: Date())
            let one = #"[{"clientId":"g-1","device":"GATE-01","type":"gate","at":"\#(now)","direction":"in","method":"card"}]"#
            // Another key with the right scope, but not the device's.
            let directory = DirectoryStore(db: app.db)
            let patroller = try #require(try await directory.user(username: "steward-patrol"))
            let (other, _) = try await directory.issueToken(userID: patroller.id, kind: .apiKey, name: "other", scopes: [.devicesSend], expiresAt: nil)
            let refused = try await post(app, other, one)
            #expect(refused.status == .badRequest && (refused.json["rejected"] as? [[String: Any]])?.first?["field"] as? String == "device")
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
        let now = Date()
        guard case .failure(let p) = DeviceEventBatch.event(["type": "ai", "confidence": 2], now: now) else {
            Issue.record("expected problems")
            return
        }
        #expect(Set(p.problems.map(\.field)) == ["clientId", "device", "at", "event", "confidence"])
        let ok = DeviceEventBatch.event(["clientId": "1", "device": "D", "type": "gate", "at": "2026-03-02T06:30:00.250Z", "direction": "in", "method": "qr"], now: now)
        #expect(ok.isSuccess)
    }
}
