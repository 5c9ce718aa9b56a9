@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import SQLKit
import SQLiteNIO
import Testing
import VaporTesting

let songziyuan = "440309002001V01"   // 松仔园村, 民治街道
let langkou = "440309004005V01"      // 浪口村, 大浪街道

/// The centre of the n-th grid of a village (a point surely inside it).
func gridCentre(_ app: Application, _ village: String, _ n: Int = 0) async throws -> GeoPoint {
    let store = AreaStore(db: app.db)
    let v = try #require(try await store.find(code: village))
    let grids = try await store.children(of: v.id).filter { $0.kind == .grid }.sorted { $0.code < $1.code }
    return try #require(grids[n].centre)
}

func report(_ app: Application, _ token: String, category: String, at p: GeoPoint, extra: [String: Any] = [:], headers: HTTPHeaders = [:]) async throws -> Reply {
    var body: [String: Any] = ["category": category, "lat": p.lat, "long": p.long, "description": "测试上报 \(category)"]
    for (k, v) in extra { body[k] = v }
    var h = bearer(token)
    for (k, v) in headers { h.add(name: k, value: v) }
    return try await send(app, .POST, "/api/v1/cases", headers: h, json: body)
}

func act(_ app: Application, _ token: String, _ id: String, _ action: String, _ extra: [String: Any] = [:]) async throws -> Reply {
    var body: [String: Any] = ["action": action]
    for (k, v) in extra { body[k] = v }
    return try await send(app, .POST, "/api/v1/cases/\(id)/actions", headers: bearer(token), json: body)
}

/// What a step leaves on record: handling (处置完成) carries a note of what was done and a photo after, as the
/// shipped classes ask; the other steps nothing.
func evidence(for action: String, note: String = "已处置") -> [String: Any] {
    action == "handle" ? ["note": note, "photos": [["data": TestImages.pngWithText().base64EncodedString()]]] : [:]
}

func caseCount(_ app: Application) async throws -> Int {
    // Counted on the table itself (not through the tallies the queue reads).
    try await (app.db as! any SQLDatabase).raw("SELECT COUNT(*) AS n FROM cases").first(decodingColumn: "n", as: Int.self) ?? 0
}

func photoFiles(_ app: Application) -> [String] {
    let root = app.config.photoDirectory
    return (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter { $0.contains(".") }
}

@Suite("Cases over HTTP")
struct CasesHTTPTests {
    @Test func routingFollowsEntrustmentAuthorityAndOwnership() async throws {
        try await withTestApp { app in
            let patrol = try await token(app, "steward-patrol")
            let p = try await gridCentre(app, songziyuan, 4)
            // Exposed garbage in 松仔园村: entrusted sanitation → the steward, with the contract named.
            let garbage = try await report(app, patrol, category: "06010", at: p)
            #expect(garbage.status == .created, "\(garbage.text)")
            let g = garbage.json
            #expect((g["number"] as? String)?.range(of: #"^LH-\d{4}-\d{6}$"#, options: .regularExpression) != nil)
            #expect(g["state"] as? String == "reported")
            let responsible = try #require(g["responsible"] as? [String: Any])
            #expect(responsible["kind"] as? String == "steward")
            let routing = try #require(g["routing"] as? [String: Any])
            #expect(routing["rule"] as? String == "entrusted")
            #expect(routing["contractReference"] as? String == DemoDistrict.contractNumber(streetCode: "440309002"))
            #expect((routing["explanation"] as? String)?.contains("松仔园村") == true)
            #expect(g["deadline"] as? String != nil && g["id"] as? String != nil)
            #expect(garbage.headers.first(name: .location)?.hasPrefix("/api/v1/cases/") == true)
            // Illegal construction there: beyond the steward's authority → 民治街道.
            let construction = try await report(app, patrol, category: "06001", at: p)
            #expect(construction.status == .created)
            #expect((construction.json["responsible"] as? [String: Any])?["name"] as? String == "民治街道办事处")
            #expect((construction.json["routing"] as? [String: Any])?["rule"] as? String == "beyondAuthority")
            // Construction dust: nobody took it → its owner department (区住房建设局).
            let dust = try await report(app, patrol, category: "08004", at: p)
            #expect((dust.json["responsible"] as? [String: Any])?["name"] as? String == "区住房建设局")
            #expect((dust.json["routing"] as? [String: Any])?["rule"] as? String == "ownerDepartment")
            // No owner at all → the district office.
            let relic = try await report(app, patrol, category: "05009", at: p)
            #expect((relic.json["routing"] as? [String: Any])?["rule"] as? String == "districtOffice")
            // GCJ-02 positions from Chinese map SDKs are converted.
            let gcj = ChinaCoordinates.wgs84ToGCJ02(p)
            let converted = try await report(app, patrol, category: "06012", at: gcj, extra: ["crs": "gcj02"])
            #expect(converted.status == .created)
            #expect(abs((converted.json["lat"] as? Double ?? 0) - p.lat) < 1e-5)
        }
    }

    @Test func badInputIsRefusedAndNothingIsWritten() async throws {
        try await withTestApp { app in
            let patrol = try await token(app, "steward-patrol")
            let p = try await gridCentre(app, songziyuan)
            let unknown = try await report(app, patrol, category: "99999", at: p)
            #expect(unknown.status == .unprocessableEntity && unknown.text.contains("99999"))
            let outside = try await report(app, patrol, category: "06010", at: GeoPoint(lat: 39.9, long: 116.4))
            #expect(outside.status == .unprocessableEntity && outside.text.contains("龙华区"))
            let missing = try await send(app, .POST, "/api/v1/cases", headers: bearer(patrol), json: ["urgency": "soon"])
            #expect(missing.status == .badRequest)
            let field = missing.json["field"] as? String ?? ""
            #expect(field.contains("category") && field.contains("lat") && field.contains("description") && field.contains("urgency"))
            let big = Data(repeating: 0xFF, count: 8 * 1024 * 1024 + 1)
            var tooLarge = big
            tooLarge.replaceSubrange(0..<3, with: [0xFF, 0xD8, 0xFF])
            let oversize = try await report(app, patrol, category: "06010", at: p, extra: ["photos": [["data": tooLarge.base64EncodedString()]]])
            #expect(oversize.status == .payloadTooLarge, "\(oversize.text.prefix(200))")
            let wrong = try await report(app, patrol, category: "06010", at: p,
                                         extra: ["photos": [["data": TestImages.jpegWithGPS().base64EncodedString()], ["data": Data("GIF89a...".utf8).base64EncodedString()]]])
            #expect(wrong.status == .unsupportedMediaType)
            let anonymous = try await send(app, .POST, "/api/v1/cases", json: ["category": "06010"])
            #expect(anonymous.status == .unauthorized)
            let auditor = try await token(app, "auditor")
            #expect(try await report(app, auditor, category: "06010", at: p).status == .forbidden)
            #expect(try await caseCount(app) == 0)
            #expect(photoFiles(app).isEmpty)
        }
    }

    @Test func photosAreStoredByContentAndThePublicCopyIsStripped() async throws {
        try await withTestApp { app in
            let patrol = try await token(app, "steward-patrol")
            let p = try await gridCentre(app, langkou, 2)
            let jpeg = TestImages.jpegWithGPS()
            let created = try await report(app, patrol, category: "06042", at: p, extra: ["photos": [["data": jpeg.base64EncodedString()]]])
            #expect(created.status == .created, "\(created.text)")
            let id = try #require(created.json["id"] as? String)
            let detail = try await send(app, .GET, "/api/v1/cases/\(id)", headers: bearer(patrol))
            let photos = try #require(detail.json["photos"] as? [[String: Any]])
            let publicURL = try #require(photos.first?["url"] as? String)
            let originalURL = try #require(photos.first?["originalUrl"] as? String)
            #expect(originalURL.contains(PhotoStorage.hash(jpeg)))
            let publicCopy = try await send(app, .GET, publicURL, headers: bearer(patrol))
            #expect(publicCopy.status == .ok && publicCopy.headers.contentType?.subType == "jpeg")
            #expect(!publicCopy.text.contains("GPS"))
            let original = try await send(app, .GET, originalURL, headers: bearer(patrol))
            #expect(original.text.contains("GPS"))
            #expect(photoFiles(app).count == 2)
            // Another street's officer cannot fetch it.
            let guanlan = try await token(app, "street-guanlan")
            #expect(try await send(app, .GET, publicURL, headers: bearer(guanlan)).status == .notFound)
        }
    }

    @Test func theWholeWorkflowToClosure() async throws {
        try await withTestApp { app in
            let patrol = try await token(app, "steward-patrol")
            let dispatcher = try await token(app, "steward-dispatch")
            let p = try await gridCentre(app, songziyuan, 2)
            let id = try #require(try await report(app, patrol, category: "06010", at: p).json["id"] as? String)
            // The patroller may not file; the dispatcher may not accept on the handler's behalf… but the steward's
            // dispatcher is also its staff's org, so it may. The auditor may do nothing.
            #expect(try await act(app, patrol, id, "file").status == .forbidden)
            #expect(try await act(app, dispatcher, id, "file").status == .ok)
            #expect(try await act(app, dispatcher, id, "dispatch").status == .ok)
            #expect(try await act(app, dispatcher, id, "close").status == .conflict)
            let accepted = try await act(app, patrol, id, "accept")
            #expect(accepted.status == .ok)
            #expect(accepted.json["state"] as? String == "accepted")
            let handled = try await act(app, patrol, id, "handle", ["note": "已清理", "photos": [["data": TestImages.pngWithText().base64EncodedString()]]])
            #expect(handled.status == .ok)
            // The patroller who handled it cannot verify it.
            #expect(try await act(app, patrol, id, "passVerification").status == .forbidden)
            #expect(try await act(app, dispatcher, id, "failVerification").status == .unprocessableEntity)   // needs a reason
            #expect(try await act(app, dispatcher, id, "failVerification", ["note": "仍有残留"]).json["state"] as? String == "reworked")
            #expect(try await act(app, patrol, id, "handle", evidence(for: "handle", note: "二次清理")).status == .ok)
            #expect(try await act(app, dispatcher, id, "passVerification").status == .ok)
            let closed = try await act(app, dispatcher, id, "close")
            #expect(closed.json["state"] as? String == "closed")
            let events = try #require(closed.json["events"] as? [[String: Any]])
            #expect(events.map { $0["action"] as? String ?? "" } == ["report", "file", "dispatch", "accept", "handle", "failVerification", "handle", "passVerification", "close"])
            #expect(events.allSatisfy { ($0["actor"] as? String)?.isEmpty == false && $0["at"] != nil })
            #expect((closed.json["actions"] as? [String])?.isEmpty == true)
            // The street office carries the illegal construction to closure itself.
            let street = try await token(app, "street-minzhi")
            let build = try #require(try await report(app, patrol, category: "06001", at: p).json["id"] as? String)
            for action in ["file", "dispatch", "accept", "handle", "passVerification", "close"] {
                let r = try await act(app, street, build, action, evidence(for: action))
                #expect(r.status == .ok, "\(action): \(r.text)")
            }
            // Notifications went to the outbox.
            let inbox = try await send(app, .GET, "/api/v1/notifications", headers: bearer(dispatcher))
            let notes = try #require(try JSONSerialization.jsonObject(with: Data(inbox.text.utf8)) as? [[String: Any]])
            #expect(notes.contains { ($0["kind"] as? String) == "dispatched" })
        }
    }

    @Test func concurrentActionsOneWinsTheOtherGets409() async throws {
        try await withTestApp { app in
            let patrol = try await token(app, "steward-patrol")
            let dispatcher = try await token(app, "steward-dispatch")
            let p = try await gridCentre(app, songziyuan, 1)
            let id = try #require(try await report(app, patrol, category: "06012", at: p).json["id"] as? String)
            _ = try await act(app, dispatcher, id, "file")
            _ = try await act(app, dispatcher, id, "dispatch")
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for who in [patrol, dispatcher, patrol, dispatcher] { group.addTask { try await act(app, who, id, "accept") } }
                var out: [Reply] = []
                for try await r in group { out.append(r) }
                return out
            }
            #expect(replies.filter { $0.status == .ok }.count == 1)
            let losers = replies.filter { $0.status != .ok }
            #expect(losers.count == 3 && losers.allSatisfy { $0.status == .conflict && $0.json["state"] as? String == "accepted" },
                    "\(losers.map { "\($0.status.code) \($0.text.prefix(200))" })")
            let events = try await CaseStore(db: app.db).events(of: try #require(UUID(uuidString: id)))
            #expect(events.filter { $0.action == "accept" }.count == 1)
            // A stale revision is a conflict too.
            #expect(try await act(app, patrol, id, "handle", ["revision": 1]).status == .conflict)
        }
    }

    @Test func scopesFollowPlaceAndOwnership() async throws {
        try await withTestApp { app in
            let patrol = try await token(app, "steward-patrol")
            let p = try await gridCentre(app, songziyuan)
            let garbage = try #require(try await report(app, patrol, category: "06010", at: p).json["id"] as? String)
            let dust = try #require(try await report(app, patrol, category: "08004", at: p).json["id"] as? String)
            let housing = try await token(app, "dept-housing")
            #expect(try await send(app, .GET, "/api/v1/cases/\(dust)", headers: bearer(housing)).status == .ok)
            #expect(try await send(app, .GET, "/api/v1/cases/\(garbage)", headers: bearer(housing)).status == .notFound)
            let list = try await send(app, .GET, "/api/v1/cases", headers: bearer(housing))
            #expect(list.json["total"] as? Int == 1)
            let guanlan = try await token(app, "street-guanlan")
            #expect(try await send(app, .GET, "/api/v1/cases/\(garbage)", headers: bearer(guanlan)).status == .notFound)
            #expect(try await send(app, .GET, "/api/v1/cases", headers: bearer(guanlan)).json["total"] as? Int == 0)
            #expect(try await act(app, guanlan, garbage, "file").status == .notFound)
            let minzhi = try await token(app, "street-minzhi")
            #expect(try await send(app, .GET, "/api/v1/cases?state=reported&category=06010", headers: bearer(minzhi)).json["total"] as? Int == 1)
            let bad = try await send(app, .GET, "/api/v1/cases?state=lost", headers: bearer(minzhi))
            #expect(bad.status == .badRequest)
            // The area filter takes a subtree: the village, its street, the district; not a neighbouring village.
            let admin = try await token(app, "district-admin")
            for (code, expected) in [(songziyuan, 2), ("440309002", 2), ("440309", 2), (langkou, 0), ("440309004", 0)] {
                let id = try await areaID(app, code: code)
                let r = try await send(app, .GET, "/api/v1/cases?area=\(id)", headers: bearer(admin))
                #expect(r.json["total"] as? Int == expected, "\(code)")
            }
        }
    }

    @Test func duplicatesAreFlaggedAndMerged() async throws {
        try await withTestApp { app in
            let patrol = try await token(app, "steward-patrol")
            let dispatcher = try await token(app, "steward-dispatch")
            let p = try await gridCentre(app, songziyuan, 3)
            let first = try await report(app, patrol, category: "06010", at: p)
            let firstID = try #require(first.json["id"] as? String)
            let second = try await report(app, patrol, category: "06010", at: p.offset(eastMetres: 20, northMetres: 10))
            let dup = try #require(second.json["duplicateOf"] as? [String: Any])
            #expect((dup["id"] as? String)?.lowercased() == firstID.lowercased() && dup["number"] as? String == first.json["number"] as? String)
            let other = try await report(app, patrol, category: "06012", at: p)
            #expect(other.json["duplicateOf"] == nil)
            let secondID = try #require(second.json["id"] as? String)
            #expect(try await act(app, dispatcher, secondID, "merge").status == .unprocessableEntity)   // a reason is required
            let merged = try await act(app, dispatcher, secondID, "merge", ["note": "同一处垃圾", "mergeInto": first.json["number"] as? String ?? ""])
            #expect(merged.status == .ok && merged.json["state"] as? String == "rejected")
            #expect(((merged.json["mergedInto"] as? [String: Any])?["id"] as? String)?.lowercased() == firstID.lowercased())
        }
    }

    @Test func postponeAndSuspendNeedApproval() async throws {
        try await withTestApp { app in
            let patrol = try await token(app, "steward-patrol")
            let dispatcher = try await token(app, "steward-dispatch")
            let street = try await token(app, "street-minzhi")
            let p = try await gridCentre(app, songziyuan, 5)
            let created = try await report(app, patrol, category: "06013", at: p)
            let id = try #require(created.json["id"] as? String)
            _ = try await act(app, dispatcher, id, "file")
            _ = try await act(app, dispatcher, id, "dispatch")
            _ = try await act(app, patrol, id, "accept")
            let before = try #require(created.json["deadline"] as? String)
            let asked = try await act(app, patrol, id, "requestPostpone", ["note": "等待沥青", "hours": 8])
            #expect(asked.json["pending"] as? String == "postpone")
            #expect(try await act(app, patrol, id, "approvePostpone").status == .forbidden)
            let approved = try await act(app, street, id, "approvePostpone")
            #expect(approved.status == .ok)
            let after = try #require(approved.json["deadline"] as? String)
            #expect(after > before)
            _ = try await act(app, patrol, id, "requestSuspend", ["note": "等待燃气公司迁改"])
            let suspended = try await act(app, dispatcher, id, "suspend", ["note": "同意挂账"])
            #expect(suspended.json["state"] as? String == "suspended" && suspended.json["stepDue"] == nil)
            let resumed = try await act(app, dispatcher, id, "resume")
            #expect(resumed.json["state"] as? String == "accepted")
            #expect((resumed.json["deadline"] as? String ?? "") >= after)
            // Only the district office supervises (督办).
            #expect(try await act(app, street, id, "supervise", ["note": "x"]).status == .forbidden)
            let admin = try await token(app, "district-admin")
            let supervised = try await act(app, admin, id, "supervise", ["note": "群众多次反映"])
            #expect(supervised.json["supervised"] as? Bool == true)
        }
    }

    @Test func deviceAlertsWithAReportOnlyKeyAreIdempotent() async throws {
        try await withTestApp { app in
            let directory = DirectoryStore(db: app.db)
            let patroller = try #require(try await directory.user(username: "steward-patrol"))
            let (key, _) = try await directory.issueToken(userID: patroller.id, kind: .apiKey, name: "camera-01", scopes: [.casesReport], expiresAt: nil)
            let p = try await gridCentre(app, langkou, 5)
            // Only a registered device in the caller's villages raises alerts.
            let areas = AreaStore(db: app.db)
            let village = try #require(try await areas.find(code: langkou))
            let grid = try await areas.children(of: village.id).filter { $0.kind == .grid }.sorted { $0.code < $1.code }[5]
            let street = try #require(try await areas.find(code: "440309002"))
            let devices = DeviceStore(db: app.db)
            try await devices.add(ValidDevice(code: "CAM-LK-01", kind: .camera, name: "浪口 1 号", vendor: "dahua", area: grid, position: p), tokenID: nil, at: app.clock.now)
            try await devices.add(ValidDevice(code: "CAM-MZ-09", kind: .camera, name: "民治街道 9 号", vendor: "dahua", area: street, position: p), tokenID: nil, at: app.clock.now)
            let body: [String: Any] = ["eventId": "evt-1", "device": "CAM-LK-01", "vendor": "dahua", "type": "890", "lat": p.lat, "long": p.long, "confidence": 0.93]
            let first = try await send(app, .POST, "/api/v1/device-alerts", headers: ["X-API-Key": key], json: body)
            #expect(first.status == .created, "\(first.text)")
            #expect(first.json["source"] as? String == "device" && (first.json["category"] as? [String: Any])?["code"] as? String == "06010")
            let again = try await send(app, .POST, "/api/v1/device-alerts", headers: ["X-API-Key": key], json: body)
            #expect(again.status == .ok && again.json["id"] as? String == first.json["id"] as? String)
            #expect(try await caseCount(app) == 1)
            var unknown = body
            unknown["type"] = "999"
            #expect(try await send(app, .POST, "/api/v1/device-alerts", headers: ["X-API-Key": key], json: unknown).status == .unprocessableEntity)
            for (device, why) in [("CAM-XX-99", "not registered"), ("CAM-MZ-09", "outside the steward's villages")] {
                var other = body
                other["device"] = device
                other["eventId"] = "evt-\(device)"
                let refused = try await send(app, .POST, "/api/v1/device-alerts", headers: ["X-API-Key": key], json: other)
                #expect(refused.status == .unprocessableEntity && refused.text.contains("device"), "\(why): \(refused.text)")
            }
            #expect(try await caseCount(app) == 1)
            // The key only reports: it does not work cases, list them or open the one it raised (the patroller it
            // belongs to may have reported thousands).
            let id = try #require(first.json["id"] as? String)
            #expect(try await send(app, .POST, "/api/v1/cases/\(id)/actions", headers: ["X-API-Key": key], json: ["action": "file"]).status == .forbidden)
            #expect(try await send(app, .GET, "/api/v1/cases", headers: ["X-API-Key": key]).status == .forbidden)
            #expect(try await send(app, .GET, "/api/v1/cases/\(id)", headers: ["X-API-Key": key]).status == .notFound)
            // Idempotency-Key on the case API: the same form posted twice makes one case.
            let patrol = try await token(app, "steward-patrol")
            let a = try await report(app, patrol, category: "06011", at: p, headers: ["Idempotency-Key": "form-7"])
            let b = try await report(app, patrol, category: "06011", at: p, headers: ["Idempotency-Key": "form-7"])
            #expect(a.status == .created && b.status == .ok && a.json["id"] as? String == b.json["id"] as? String)
        }
    }

    @Test func overdueCasesEscalateOnceAcrossInstances() async throws {
        try await withTestApp { app in
            let patrol = try await token(app, "steward-patrol")
            let p = try await gridCentre(app, songziyuan, 6)
            let id = try #require(try await report(app, patrol, category: "06010", at: p).json["id"] as? String)
            let later = app.clock.now.addingTimeInterval(3600)   // past the 30-minute dispatch step
            let one = OverdueSweeper(app: app, holder: "instance-a")
            let two = OverdueSweeper(app: app, holder: "instance-b")
            #expect(try await one.sweep(now: later) == 1)
            #expect(try await two.sweep(now: later) == 0)          // the lease is held by instance-a
            #expect(try await one.sweep(now: later) == 0)          // already escalated to the dispatcher
            let row = try await CaseStore(db: app.db).find(try #require(UUID(uuidString: id)), scope: nil)
            #expect(row.escalation == 1)
            // Days later the lease has expired; the other instance takes over and escalates to the street office.
            let muchLater = later.addingTimeInterval(5 * 24 * 3600)
            #expect(try await two.sweep(now: muchLater) == 1)
            let escalated = try await CaseStore(db: app.db).find(row.id, scope: nil)
            #expect(escalated.escalation == 2)
            let events = try await CaseStore(db: app.db).events(of: row.id)
            #expect(events.filter { $0.action == "escalate" }.count == 2)
            let street = try #require(try await DirectoryStore(db: app.db).org(code: "LH-ST-002"))
            #expect(try await CaseStore(db: app.db).notifications(orgID: street.id, userID: nil).contains { $0.kind == "overdue-2" })
            let minzhi = try await token(app, "street-minzhi")
            let overdue = try await send(app, .GET, "/api/v1/cases?overdue=true", headers: bearer(minzhi))
            #expect(overdue.json["total"] as? Int == 0)   // not yet overdue by the real clock
        }
    }

    @Test func handlingNeedsANoteAndAPhotoAfterUnlessTheClassSaysOtherwise() async throws {
        try await withTestApp { app in
            let patrol = try await token(app, "steward-patrol"), dispatcher = try await token(app, "steward-dispatch")
            let admin = try await token(app, "district-admin")
            let p = try await gridCentre(app, songziyuan, 2)
            let id = try #require(try await report(app, patrol, category: "06010", at: p).json["id"] as? String)
            for (who, action) in [(dispatcher, "file"), (dispatcher, "dispatch"), (patrol, "accept")] {
                #expect(try await act(app, who, id, action).status == .ok)
            }
            // Neither: one 400 naming both, and the case stays where it was.
            let bare = try await act(app, patrol, id, "handle")
            #expect(bare.status == .unprocessableEntity && bare.json["field"] as? String == "note,photo", "\(bare.text)")
            #expect((bare.json["detail"] as? String)?.contains("处置后的照片") == true)
            var inEnglish = bearer(patrol)
            inEnglish.add(name: .acceptLanguage, value: "en")
            let english = try await send(app, .POST, "/api/v1/cases/\(id)/actions", headers: inEnglish,
                                         json: ["action": "handle", "note": "cleared"])
            #expect(english.status == .unprocessableEntity && english.json["field"] as? String == "photo")
            #expect((english.json["detail"] as? String)?.contains("add a photo taken after handling") == true, "\(english.text)")
            // A photo sent as evidence of another kind is not a photo after.
            let evidencePhoto = try await act(app, patrol, id, "handle", ["note": "已清理", "photos": [["data": TestImages.pngWithText().base64EncodedString(), "role": "evidence"]]])
            #expect(evidencePhoto.status == .unprocessableEntity && evidencePhoto.json["field"] as? String == "photo")
            #expect(photoFiles(app).isEmpty, "a refused handling stores no photo")
            #expect(try await send(app, .GET, "/api/v1/cases/\(id)", headers: bearer(patrol)).json["state"] as? String == "accepted")
            let handled = try await act(app, patrol, id, "handle", evidence(for: "handle", note: "已清理并冲洗"))
            #expect(handled.status == .ok && handled.json["state"] as? String == "handled")
            #expect(try await CaseStore(db: app.db).photos(of: try #require(UUID(uuidString: id))).map(\.role) == ["after"])

            // The district office lets one class be handled with a note only; the class shows it.
            let edit = try await send(app, .PUT, "/api/v1/categories/06012", headers: bearer(admin),
                                      json: ["handlingEvidence": ["note": true, "afterPhoto": false], "note": "无须拍照"])
            #expect(edit.status == .ok, "\(edit.text)")
            let shown = try #require(edit.json["category"] as? [String: Any])
            #expect((shown["handlingEvidence"] as? [String: Bool]) == ["note": true, "afterPhoto": false])
            let other = try #require(try await report(app, patrol, category: "06012", at: p.offset(eastMetres: 60, northMetres: 0)).json["id"] as? String)
            for (who, action) in [(dispatcher, "file"), (dispatcher, "dispatch"), (patrol, "accept")] {
                #expect(try await act(app, who, other, action).status == .ok)
            }
            #expect(try await act(app, patrol, other, "handle").json["field"] as? String == "note")
            #expect(try await act(app, patrol, other, "handle", ["note": "已清理"]).status == .ok)
        }
    }

    @Test func taxonomyEditsAreVersioned() async throws {
        try await withTestApp { app in
            let patrol = try await token(app, "steward-patrol")
            let admin = try await token(app, "district-admin")
            let p = try await gridCentre(app, songziyuan)
            let old = try #require(try await report(app, patrol, category: "06010", at: p).json["id"] as? String)
            #expect(try await send(app, .PUT, "/api/v1/categories/06010", headers: bearer(patrol), json: ["name": "x"]).status == .forbidden)
            let bad = try await send(app, .PUT, "/api/v1/categories/06010", headers: bearer(admin), json: ["limits": ["normal": ["amount": -2, "unit": "workingHours"]], "ownerDepartment": "LH-NOPE"])
            #expect(bad.status == .unprocessableEntity && (bad.json["field"] as? String)?.contains("ownerDepartment") == true)
            let edited = try await send(app, .PUT, "/api/v1/categories/06010", headers: bearer(admin),
                                        json: ["limits": ["normal": ["amount": 2, "unit": "workingHours"]], "note": "合同约定 2 个工作时"])
            #expect(edited.status == .ok, "\(edited.text)")
            #expect((edited.json["category"] as? [String: Any])?["version"] as? Int == 2)
            #expect((edited.json["versions"] as? [Any])?.count == 2)
            let new = try await report(app, patrol, category: "06010", at: p.offset(eastMetres: 80, northMetres: 0))
            #expect((new.json["category"] as? [String: Any])?["version"] as? Int == 2)
            let oldCase = try await send(app, .GET, "/api/v1/cases/\(old)", headers: bearer(patrol))
            #expect((oldCase.json["category"] as? [String: Any])?["version"] as? Int == 1)
            let legacy = try await send(app, .GET, "/api/v1/categories?legacy=0102", headers: bearer(patrol))
            #expect(legacy.text.contains("06010"))
            let calendar = try await send(app, .GET, "/api/v1/calendar/2027", headers: bearer(patrol))
            #expect(calendar.json["provisional"] as? Bool == true)
            #expect(try await send(app, .GET, "/api/v1/calendar/2026", headers: bearer(patrol)).json["provisional"] as? Bool == false)
        }
    }
}

@Suite("Case console")
struct CaseConsoleTests {
    @Test func aRefusedHandlingComesBackAsTheFormWithWhatWasTyped() async throws {
        try await withTestApp { app in
            let patrol = try await token(app, "steward-patrol"), dispatcher = try await token(app, "steward-dispatch")
            let id = try #require(try await report(app, patrol, category: "06010", at: try await gridCentre(app, songziyuan, 3)).json["id"] as? String)
            for (who, action) in [(dispatcher, "file"), (dispatcher, "dispatch"), (patrol, "accept")] {
                #expect(try await act(app, who, id, action).status == .ok)
            }
            let (cookie, _) = try await webLogin(app, "steward-patrol")
            let page = try await send(app, .GET, "/cases/\(id)", headers: ["Cookie": cookie])
            // The form says what handling needs, and the browser asks for both before sending.
            #expect(page.text.contains("处置说明") && page.text.contains("处置后照片") && page.text.contains("id=\"handle-photo\" type=\"file\" name=\"photo\" accept=\"image/jpeg,image/png,image/webp\" capture=\"environment\" required"))
            let csrf = try #require(page.csrfToken), revision = try #require(page.hidden("revision"))
            // A photo but no note: the page again (400), the handling form with the message by the note, the photo to choose again.
            var noNote = MultipartForm()
            noNote.field("_csrf", csrf); noNote.field("action", "handle"); noNote.field("revision", revision); noNote.field("note", " ")
            noNote.file("photo", TestImages.decodablePNG(), "image/png")
            let refused = try await noNote.send(app, "/cases/\(id)/actions", cookie: cookie)
            #expect(refused.status == .unprocessableEntity, "\(refused.status) \(refused.text.prefix(300))")
            #expect(refused.text.contains("id=\"handle-note-error\">请填写处置说明（做了什么）</p>") && refused.text.contains("aria-invalid=\"true\" aria-describedby=\"handle-note-error\""))
            #expect(refused.text.contains("id=\"handle-photo-error\">请重新选择照片"))
            #expect(!refused.text.contains("id=\"handle-photo-error\">请上传处置后的照片"))
            // A note but no photo: the note is kept, the message is by the photo, in English when asked.
            var noPhoto = MultipartForm()
            noPhoto.field("_csrf", csrf); noPhoto.field("action", "handle"); noPhoto.field("revision", revision); noPhoto.field("note", "巷口已清理")
            let kept = try await noPhoto.send(app, "/cases/\(id)/actions?lang=en", cookie: cookie)
            #expect(kept.status == .unprocessableEntity)
            #expect(kept.text.contains("value=\"巷口已清理\"") && kept.text.contains("id=\"handle-photo-error\">add a photo taken after handling</p>"))
            #expect(try await send(app, .GET, "/api/v1/cases/\(id)", headers: bearer(patrol)).json["state"] as? String == "accepted")
            // An action the page does not offer has no form to stand by: its own 400 page says why.
            let unknown = try await send(app, .POST, "/cases/\(id)/actions", headers: ["Cookie": cookie], form: ["_csrf": csrf, "action": "teleport"])
            #expect(unknown.status == .badRequest && unknown.text.contains("未知操作"))
            // Both: handled, back to the case.
            var both = MultipartForm()
            both.field("_csrf", csrf); both.field("action", "handle"); both.field("revision", revision); both.field("note", "巷口已清理")
            both.file("photo", TestImages.decodablePNG(), "image/png")
            let done = try await both.send(app, "/cases/\(id)/actions", cookie: cookie)
            #expect(done.status == .seeOther, "\(done.status) \(done.text.prefix(300))")
            #expect(try await send(app, .GET, "/api/v1/cases/\(id)", headers: bearer(patrol)).json["state"] as? String == "handled")
        }
    }

    @Test func pagesRenderForEachRole() async throws {
        try await withTestApp { app in
            try await DemoCases.load(app)
            let (cookie, _) = try await webLogin(app, "steward-dispatch")
            let queue = try await send(app, .GET, "/cases", headers: ["Cookie": cookie])
            #expect(queue.status == .ok && queue.text.contains("LH-") && queue.text.contains("暴露垃圾"))
            let filtered = try await send(app, .GET, "/cases?state=reported&overdue=true", headers: ["Cookie": cookie])
            #expect(filtered.status == .ok)
            let first = try #require(try await CaseStore(db: app.db).page(scope: .everything, filter: CaseFilter(categoryCode: "06010")).rows.first)
            let page = try await send(app, .GET, "/cases/\(first.id.uuidString.lowercased())", headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.text.contains(DemoDistrict.contractNumber(streetCode: "440309002")) && page.text.contains("<svg") && page.text.contains("value=\"file\""))
            let english = try await send(app, .GET, "/cases/\(first.id.uuidString.lowercased())?lang=en", headers: ["Cookie": cookie])
            #expect(english.text.contains("Exposed garbage") && english.text.contains("Why this party"))
            for path in ["/tasks", "/patrol", "/cases/map", "/taxonomy", "/taxonomy/06010", "/taxonomy?major=09"] {
                let r = try await send(app, .GET, path, headers: ["Cookie": cookie])
                #expect(r.status == .ok, "\(path): \(r.status)")
            }
            let map = try await send(app, .GET, "/cases/map", headers: ["Cookie": cookie])
            #expect(map.text.contains("class=\"pin pin-"))
            // File through the form, then the page offers dispatch.
            let csrf = try #require(page.csrfToken)
            let filed = try await send(app, .POST, "/cases/\(first.id.uuidString.lowercased())/actions", headers: ["Cookie": cookie],
                                       form: ["_csrf": csrf, "action": "file", "revision": String(first.revision)])
            #expect(filed.status == .seeOther || filed.status == .found, "\(filed.status) \(filed.text.prefix(300))")
            let after = try await send(app, .GET, "/cases/\(first.id.uuidString.lowercased())", headers: ["Cookie": cookie])
            #expect(after.text.contains("value=\"dispatch\""))
            // A stale form is refused with 409.
            let stale = try await send(app, .POST, "/cases/\(first.id.uuidString.lowercased())/actions", headers: ["Cookie": cookie],
                                      form: ["_csrf": csrf, "action": "dispatch", "revision": String(first.revision)])
            #expect(stale.status == .conflict)
            // Not signed in: to the login page.
            #expect(try await send(app, .GET, "/cases").status == .seeOther)
        }
    }

    @Test func patrolReportWithOnTheSpotHandlingFromThePhoneForm() async throws {
        try await withTestApp { app in
            let (cookie, _) = try await webLogin(app, "steward-patrol")
            let form = try await send(app, .GET, "/patrol", headers: ["Cookie": cookie])
            let csrf = try #require(form.csrfToken)
            let p = try await gridCentre(app, langkou, 3)
            let boundary = "----citysteward\(UUID().uuidString.prefix(8))"
            var body = Data()
            func field(_ name: String, _ value: String) {
                body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
            }
            func file(_ name: String, _ data: Data, _ type: String) {
                body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(name).bin\"\r\nContent-Type: \(type)\r\n\r\n".utf8)
                body += data
                body += Data("\r\n".utf8)
            }
            let formKey = try #require(form.text.range(of: #"name="formKey" value="([0-9a-f-]{36})""#, options: .regularExpression)
                .map { String(form.text[$0].dropFirst(22).dropLast()) })
            field("_csrf", csrf)
            field("formKey", formKey)
            field("category", "06010")
            field("description", "巷口垃圾，已现场清理")
            field("lat", String(p.lat))
            field("long", String(p.long))
            field("urgency", "normal")
            field("selfHandled", "on")
            field("handledNote", "已清理")
            file("before", TestImages.jpegWithGPS(seed: 1), "image/jpeg")
            file("after", TestImages.jpegWithGPS(seed: 2), "image/jpeg")
            body += Data("--\(boundary)--\r\n".utf8)
            var headers: HTTPHeaders = ["Cookie": cookie]
            headers.contentType = HTTPMediaType(type: "multipart", subType: "form-data", parameters: ["boundary": boundary])
            let response = try await app.testing().sendRequest(.POST, "/patrol", headers: headers, body: ByteBuffer(data: body))
            #expect(response.status == .seeOther, "\(response.status) \(String(buffer: response.body).prefix(300))")
            // The same form posted again (a double tap) leads to the same case.
            let again = try await app.testing().sendRequest(.POST, "/patrol", headers: headers, body: ByteBuffer(data: body))
            #expect(again.headers.first(name: .location) == response.headers.first(name: .location))
            let row = try #require(try await CaseStore(db: app.db).page(scope: .everything).rows.first)
            #expect(row.state == "handled" && row.source == "patrol")
            let photos = try await CaseStore(db: app.db).photos(of: row.id)
            #expect(Set(photos.map(\.role)) == ["before", "after"])
            // Self-handling without the after photo is refused and leaves nothing behind.
            let reply = try await send(app, .POST, "/api/v1/cases", headers: bearer(try await token(app, "steward-patrol")),
                                       json: ["category": "06010", "lat": p.lat, "long": p.long, "description": "x", "selfHandled": true,
                                              "photos": [["data": TestImages.pngWithText().base64EncodedString(), "role": "before"]]])
            #expect(reply.status == .unprocessableEntity)
            #expect(try await caseCount(app) == 1)
        }
    }
}

@Suite("Timestamps")
struct TimestampTests {
    @Test func isoMatchesFoundation() {
        let f = ISO8601DateFormatter()
        for t in [0.0, 1_767_196_800, 1_767_196_799.9, 2_000_000_000.5, -86_401, 951_782_400] {
            let d = Date(timeIntervalSince1970: t)
            #expect(Timestamp.iso(d) == f.string(from: d), "\(t)")
        }
    }
}

@Suite("Intake on a SQLite file")
struct IntakeFileTests {
    /// With a SQLite file the intake writes through a connection of its own (the driver keeps one per event loop);
    /// reports committed in concurrent batches all arrive, numbered without gaps or repeats.
    @Test(.enabled(if: TestDatabase.postgresURL == nil)) func concurrentReportsOnAFile() async throws {
        let folder = (NSTemporaryDirectory() as NSString).appendingPathComponent("citysteward-file-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await withTestApp({ $0.database = .sqliteFile(path: folder + "/cs.sqlite"); $0.dataDirectory = folder }) { app in
            let patrol = try await token(app, "steward-patrol")
            let p = try await gridCentre(app, songziyuan, 8)
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for i in 0..<40 {
                    group.addTask { try await report(app, patrol, category: i % 2 == 0 ? "06010" : "06012", at: p.offset(eastMetres: Double(i), northMetres: 0)) }
                }
                var out: [Reply] = []
                for try await r in group { out.append(r) }
                return out
            }
            #expect(replies.allSatisfy { $0.status == .created })
            let numbers = Set(replies.compactMap { $0.json["number"] as? String })
            #expect(numbers.count == 40)
            let sequences = numbers.compactMap { Int($0.suffix(6)) }.sorted()
            #expect(sequences == Array(1...40))
            #expect(try await caseCount(app) == 40)
            // Reads on the shared pool see the writer's commits.
            let listed = try await send(app, .GET, "/api/v1/cases?limit=200", headers: bearer(patrol))
            #expect(listed.json["total"] as? Int == 40)
            let events = try await (app.db as! any SQLDatabase).raw("SELECT COUNT(*) AS n FROM case_events").first()?.decode(column: "n", as: Int.self)
            #expect(events == 40)
        }
    }
}

extension IntakeFileTests {
    /// A write that cannot have SQLite's write lock (another process holds it past every retry) is a moment of
    /// overload, not a fault: 503 with Retry-After, the case as it was; once the lock is free the same action goes through.
    @Test(.enabled(if: TestDatabase.postgresURL == nil)) func aWriteLockHeldElsewhereIs503AndNothingChanges() async throws {
        let folder = (NSTemporaryDirectory() as NSString).appendingPathComponent("citysteward-lock-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await withTestApp({ $0.database = .sqliteFile(path: folder + "/cs.sqlite"); $0.dataDirectory = folder }) { app in
            let patrol = try await token(app, "steward-patrol"), dispatcher = try await token(app, "steward-dispatch")
            let id = try #require(try await report(app, patrol, category: "06010", at: try await gridCentre(app, songziyuan, 2)).json["id"] as? String)
            let before = try await send(app, .GET, "/api/v1/cases/\(id)", headers: bearer(dispatcher)).json
            // Another process (a backup tool, a second server on the same file) takes the write lock and keeps it.
            let holder = try await SQLiteConnection.open(storage: .file(path: folder + "/cs.sqlite"))
            _ = try await holder.query("BEGIN IMMEDIATE")
            let refused = try await act(app, dispatcher, id, "file")
            _ = try await holder.query("ROLLBACK")
            try await holder.close()
            #expect(refused.status == .serviceUnavailable, "\(refused.status) \(refused.text)")
            #expect(refused.headers.first(name: "Retry-After") == "2")
            #expect(refused.text.contains("busy") || refused.text.contains("繁忙"), "\(refused.text)")
            let after = try await send(app, .GET, "/api/v1/cases/\(id)", headers: bearer(dispatcher)).json
            #expect(after["state"] as? String == before["state"] as? String && after["revision"] as? Int == before["revision"] as? Int)
            #expect(try await act(app, dispatcher, id, "file").status == .ok)
        }
    }
}

@Suite("Event detail JSON")
struct EventDetailTests {
    @Test func handWrittenJSONParsesBack() throws {
        let values = ["note": "引号\" 反斜杠\\ 换行\n制表\t\u{01}", "a": "1", "rule": "entrusted"]
        let text = try #require(ReportCase.detail(values))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String])
        #expect(parsed == values)
        #expect(text.hasPrefix("{\"a\":\"1\""))
    }
}

/// Stands in for an SMS gateway (an outside party): records what it is handed, fails on demand.
final class RecordingNotifier: StaffNotifier, @unchecked Sendable {
    let channel = "sms-test"
    private let lock = NSLock()
    private var delivered: [NotificationRow] = []
    var failing = false

    func deliver(_ notification: NotificationRow) async throws {
        try lock.withLock {
            if failing { throw Abort(.serviceUnavailable) }
            delivered.append(notification)
        }
    }

    var count: Int { lock.withLock { delivered.count } }
    var kinds: [String] { lock.withLock { delivered.map(\.kind) } }
}

@Suite("Notifications")
struct NotificationTests {
    @Test func theOutboxIsRelayedOnceAndRetriedAfterAFailure() async throws {
        try await withTestApp { app in
            let notifier = RecordingNotifier()
            app.staffNotifier = notifier
            let patrol = try await token(app, "steward-patrol")
            let dispatcher = try await token(app, "steward-dispatch")
            let p = try await gridCentre(app, songziyuan, 9)
            let id = try #require(try await report(app, patrol, category: "06010", at: p).json["id"] as? String)
            _ = try await act(app, dispatcher, id, "file")
            _ = try await act(app, dispatcher, id, "dispatch")
            let store = CaseStore(db: app.db)
            let relay = OutboxRelay(store: store, notifier: notifier)
            notifier.failing = true
            let failed = try await relay.run(now: app.clock.now)
            #expect(failed.sent == 0 && failed.failed == 2)
            #expect(try await store.unsentNotifications().allSatisfy { $0.attempts == 1 })
            notifier.failing = false
            let sent = try await relay.run(now: app.clock.now)
            #expect(sent.sent == 2 && notifier.kinds.sorted() == ["dispatched", "reported"])
            #expect(try await relay.run(now: app.clock.now).sent == 0)   // nothing is sent twice
            let rows = try await store.notifications(orgID: try #require(try await DirectoryStore(db: app.db).org(code: "LH-STEWARD-01")).id, userID: nil)
            #expect(rows.allSatisfy { $0.sentAt != nil && $0.channel == "sms-test" })
        }
    }
}

@Suite("Double posts")
struct DoublePostTests {
    /// The same form posted several times at once (a double tap, a retrying client): one case, every answer names it.
    /// Concurrent posts land in one intake batch; the unique key fails that batch, the batcher retries each report
    /// alone, and the losers find the winner by its key.
    static func postTogether(_ app: Application, key: String) async throws -> [Reply] {
        let patrol = try await token(app, "steward-patrol")
        let p = try await gridCentre(app, langkou, 7)
        return try await withThrowingTaskGroup(of: Reply.self) { group in
            for _ in 0..<6 {
                group.addTask { try await report(app, patrol, category: "06012", at: p, headers: ["Idempotency-Key": key]) }
            }
            var out: [Reply] = []
            for try await r in group { out.append(r) }
            return out
        }
    }

    @Test func concurrentDuplicatesMakeOneCase() async throws {
        try await withTestApp { app in
            let replies = try await Self.postTogether(app, key: "tap-1")
            #expect(replies.allSatisfy { $0.status == .created || $0.status == .ok }, "\(replies.map(\.status))")
            #expect(replies.filter { $0.status == .created }.count == 1)
            #expect(Set(replies.compactMap { $0.json["id"] as? String }).count == 1)
            #expect(try await caseCount(app) == 1)
        }
    }

    @Test(.enabled(if: TestDatabase.postgresURL == nil)) func concurrentDuplicatesOnAFile() async throws {
        let folder = (NSTemporaryDirectory() as NSString).appendingPathComponent("citysteward-dup-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await withTestApp({ $0.database = .sqliteFile(path: folder + "/cs.sqlite"); $0.dataDirectory = folder }) { app in
            let replies = try await Self.postTogether(app, key: "tap-2")
            #expect(replies.filter { $0.status == .created }.count == 1)
            #expect(Set(replies.compactMap { $0.json["id"] as? String }).count == 1)
            #expect(try await caseCount(app) == 1)
        }
    }
}

@Suite("Intake answer")
struct IntakeAnswerTests {
    /// The hand-written intake answer is the document JSONEncoder writes for the same case.
    @Test func handWrittenJSONMatchesTheEncoder() async throws {
        try await withTestApp { app in
            let patrol = try await token(app, "steward-patrol")
            let p = try await gridCentre(app, songziyuan, 10)
            _ = try await report(app, patrol, category: "06010", at: p)
            let second = try await report(app, patrol, category: "06010", at: p, extra: ["description": "引号\"与\\换行\n第二行\t\u{1}尾\n"])
            let idText = try #require(second.json["id"] as? String)
            let id = try #require(UUID(uuidString: idText))
            let row = try await CaseStore(db: app.db).find(id, scope: nil)
            for language in [Language.zhHans, .en] {
                var answer = CaseResponse(row.case, language: language, now: app.clock.now)
                answer.duplicateOf = .init(id: UUID(), number: "LH-2026-000001")
                answer.pendingHours = 8.5
                let encoded = try JSONEncoder().encode(answer)
                let expected = try #require(try JSONSerialization.jsonObject(with: encoded) as? NSDictionary)
                let written = try #require(try JSONSerialization.jsonObject(with: Data(answer.intakeJSON())) as? NSDictionary)
                #expect(written == expected)
            }
            #expect(second.json["description"] as? String == "引号\"与\\换行\n第二行\t\u{1}尾")   // trimmed, escaped and read back
        }
    }
}

@Suite("Duplicate index")
struct RecentCasesTests {
    /// Another instance's index learns of reports from the database: all of the last 48 h on first use, then what
    /// was stored since.
    @Test func anotherInstanceSeesReportsThroughTheDatabase() async throws {
        try await withTestApp { app in
            let patrol = try await token(app, "steward-patrol")
            let p = try await gridCentre(app, songziyuan, 11)
            let first = try #require(try await report(app, patrol, category: "06010", at: p).json["id"] as? String)
            let other = RecentCases(refresh: .zero)
            let hit = try await other.nearest(category: "06010", at: p.offset(eastMetres: 30, northMetres: 0), now: app.clock.now, db: app.db)
            #expect(hit?.id.uuidString == first)
            #expect(try await other.nearest(category: "06012", at: p, now: app.clock.now, db: app.db) == nil)
            #expect(try await other.nearest(category: "06010", at: p.offset(eastMetres: 80, northMetres: 0), now: app.clock.now, db: app.db) == nil)
            let q = p.offset(eastMetres: 0, northMetres: 150)
            let second = try #require(try await report(app, patrol, category: "06010", at: q).json["id"] as? String)
            #expect(try await other.nearest(category: "06010", at: q, now: app.clock.now, db: app.db)?.id.uuidString == second)
            // It reads rows only for numbers it has not seen: none when nothing new was stored, and none for reports
            // it added itself (as the instance that committed them does).
            let loads = other.rowLoads
            #expect(try await other.nearest(category: "06010", at: q, now: app.clock.now, db: app.db) != nil)
            #expect(other.rowLoads == loads)
            let own = try await report(app, patrol, category: "06012", at: p).json
            let ownID = try #require((own["id"] as? String).flatMap(UUID.init(uuidString:)))
            other.insert([("06012", RecentCases.Entry(id: ownID, number: try #require(own["number"] as? String), position: p, reportedAt: app.clock.now))])
            #expect(try await other.nearest(category: "06012", at: p, now: app.clock.now, db: app.db)?.id == ownID)
            #expect(other.rowLoads == loads)
            // A report stored by someone else is read, and only it.
            let foreign = try #require(try await report(app, patrol, category: "06013", at: p).json["id"] as? String)
            #expect(try await other.nearest(category: "06013", at: p, now: app.clock.now, db: app.db)?.id.uuidString == foreign)
            #expect(other.rowLoads == loads + 1)
            // Out of the 48-hour window: not a duplicate.
            #expect(try await other.nearest(category: "06010", at: q, now: app.clock.now.addingTimeInterval(49 * 3600), db: app.db) == nil)
        }
    }

    @Test func unknownNumbersAreTheGapsBetweenKnownOnes() {
        #expect(RecentCases.unknown(through: 10, last: 10, above: []).isEmpty)
        #expect(RecentCases.unknown(through: 10, last: 15, above: [12, 13]) == [11...11, 14...15])
        #expect(RecentCases.unknown(through: 0, last: 3, above: [1, 2, 3]).isEmpty)
        let scattered = Set(stride(from: 2, through: 100, by: 2))
        #expect(RecentCases.unknown(through: 0, last: 100, above: scattered) == [1...100])   // too many gaps: one range
        // Ranges of stored numbers by text: one per width of digits.
        let t = CaseNumber.textRanges(year: 2026, 999_998...1_000_001)
        #expect(t.map(\.from) == ["LH-2026-999998", "LH-2026-1000000"])
        #expect(t.map(\.to) == ["LH-2026-999999", "LH-2026-1000001"])
        #expect(t.map(\.length) == [14, 15])
        #expect(CaseNumber.parse("LH-2026-000123")! == (2026, 123))
        #expect(CaseNumber.parse("LH-2026-1000000")! == (2026, 1_000_000))
        #expect(CaseNumber.parse("LH-26-000123") == nil && CaseNumber.parse("XX-2026-000123") == nil)
    }
}

@Suite("Case endpoints: the rest")
struct CaseEndpointTests {
    @Test func readsErrorsAndScopes() async throws {
        try await withTestApp { app in
            let patrol = try await token(app, "steward-patrol")
            let guanlan = try await token(app, "street-guanlan")
            let dispatcher = try await token(app, "steward-dispatch")
            // Catalogs.
            let matters = try await send(app, .GET, "/api/v1/matters", headers: bearer(patrol))
            #expect(matters.status == .ok && matters.text.contains("M-SAN-01"))
            let all = try await send(app, .GET, "/api/v1/entrusted-matters", headers: bearer(patrol))
            let mine = try #require(try JSONSerialization.jsonObject(with: Data(all.text.utf8)) as? [[String: Any]])
            #expect(mine.count == 18 && mine.allSatisfy { $0["active"] as? Bool == true })
            let street = try await send(app, .GET, "/api/v1/entrusted-matters", headers: bearer(guanlan))
            let theirs = try #require(try JSONSerialization.jsonObject(with: Data(street.text.utf8)) as? [[String: Any]])
            #expect(theirs.count == 3 && theirs.allSatisfy { ($0["area"] as? [String: Any])?["name"] as? String == "陂老村" })
            let categories = try await send(app, .GET, "/api/v1/categories?group=garbage&q=垃圾", headers: bearer(patrol))
            #expect(categories.status == .ok && categories.text.contains("06010") && !categories.text.contains("09009"))
            #expect(try await send(app, .GET, "/api/v1/categories/06010", headers: bearer(patrol)).status == .ok)
            #expect(try await send(app, .GET, "/api/v1/categories/99999", headers: bearer(patrol)).status == .notFound)
            // Components by kind; a kind that does not exist is the client's mistake, not a quiet list of events.
            let components = try await send(app, .GET, "/api/v1/categories?kind=component", headers: bearer(patrol))
            let listed = jsonArray(components)
            #expect(components.status == .ok && !listed.isEmpty && listed.allSatisfy { $0["kind"] as? String == "component" })
            let unknownKind = try await send(app, .GET, "/api/v1/categories?kind=AAA", headers: bearer(patrol))
            #expect(unknownKind.status == .badRequest && unknownKind.json["field"] as? String == "kind")
            #expect(try await send(app, .GET, "/api/v1/categories?kind=x&legacy=", headers: bearer(patrol)).status == .badRequest)
            let bad = try await send(app, .PUT, "/api/v1/categories/06010", headers: bearer(try await token(app, "district-admin")),
                                     json: ["limits": ["normal": ["amount": 2, "unit": "fortnights"]]])
            #expect(bad.status == .badRequest)
            // Calendar.
            #expect(try await send(app, .GET, "/api/v1/calendar/1800", headers: bearer(patrol)).status == .badRequest)
            #expect(try await send(app, .GET, "/api/v1/calendar/2026").status == .ok)
            // Cases: credentials, ids, actions.
            #expect(try await send(app, .GET, "/api/v1/cases").status == .unauthorized)
            #expect(try await send(app, .GET, "/api/v1/cases/not-a-uuid", headers: bearer(patrol)).status == .notFound)
            #expect(try await send(app, .GET, "/api/v1/cases/\(UUID())", headers: bearer(patrol)).status == .notFound)
            let p = try await gridCentre(app, songziyuan, 12)
            let id = try #require(try await report(app, patrol, category: "06010", at: p).json["id"] as? String)
            #expect(try await send(app, .POST, "/api/v1/cases/\(id)/actions", headers: bearer(dispatcher), json: [:]).status == .badRequest)
            #expect(try await act(app, dispatcher, id, "teleport").status == .badRequest)
            #expect(try await act(app, dispatcher, id, "file", ["category": "99999"]).status == .unprocessableEntity)
            #expect(try await send(app, .POST, "/api/v1/cases/\(id)/actions", headers: bearer(dispatcher), raw: "{not json").status == .badRequest)
            #expect(try await send(app, .POST, "/api/v1/cases", headers: bearer(patrol), raw: "{not json").status == .badRequest)
            #expect(try await report(app, patrol, category: "06010", at: p, extra: ["crs": "bd09"]).status == .badRequest)
            #expect(try await send(app, .POST, "/api/v1/cases", headers: bearer(patrol),
                                   json: ["category": "06010", "placeCode": "NOPE", "description": "x"]).status == .unprocessableEntity)
            let placed = try await send(app, .POST, "/api/v1/cases", headers: bearer(patrol),
                                        json: ["category": "06010", "placeCode": songziyuan, "description": "村口"])
            #expect(placed.status == .created && (placed.json["area"] as? [String: Any])?["placeCode"] as? String == songziyuan)
            // Filing with a corrected category re-routes: 06001 goes to the street office.
            let refiled = try await act(app, dispatcher, id, "file", ["category": "06001"])
            #expect((refiled.json["responsible"] as? [String: Any])?["name"] as? String == "民治街道办事处")
            // Device alerts: missing fields named; photos by bad name 404.
            let alert = try await send(app, .POST, "/api/v1/device-alerts", headers: bearer(patrol), json: ["type": "890"])
            #expect(alert.status == .badRequest && (alert.json["field"] as? String)?.contains("eventId") == true)
            #expect(try await send(app, .GET, "/api/v1/photos/../../etc/passwd", headers: bearer(patrol)).status == .notFound)
            #expect(try await send(app, .GET, "/api/v1/photos/\(String(repeating: "a", count: 64)).jpg", headers: bearer(patrol)).status == .notFound)
            // Notifications are the caller's org's only.
            let notes = try await send(app, .GET, "/api/v1/notifications", headers: bearer(guanlan))
            #expect(notes.status == .ok && notes.text == "[]")
            // Console pages of another street's case: 404.
            let (cookie, _) = try await webLogin(app, "street-guanlan")
            #expect(try await send(app, .GET, "/cases/\(id)", headers: ["Cookie": cookie]).status == .notFound)
            #expect(try await send(app, .GET, "/taxonomy/99999", headers: ["Cookie": cookie]).status == .notFound)
        }
    }
}
