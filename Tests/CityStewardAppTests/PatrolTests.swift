@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import Testing
import Vapor

/// A patrol route walked on a phone (issue 18 §3): the dispatcher draws the route, a patrol plan makes today's round,
/// the patroller scans each checkpoint — one from outside its radius, flagged, not refused — and the round is done
/// with the last one; a resent scan is stored once; another company's people find nothing.
@Suite("Patrol routes and check-ins")
struct PatrolTests {
    @Test func thePatrollerWalksARoundAndTheSuspiciousScanIsFlagged() async throws {
        try await withTestApp { app in
            let dispatcher = bearer(try await token(app, "steward-dispatch"))
            let patrol = bearer(try await token(app, "steward-patrol"))
            let patrolUser = try #require(try await DirectoryStore(db: app.db).user(username: "steward-patrol"))
            let areas = try await send(app, .GET, "/api/v1/areas?kind=village", headers: dispatcher)
            let code = try #require((areas.json["items"] as? [[String: Any]])?.compactMap { $0["code"] as? String }.sorted().first)
            let village = try #require(try await AreaStore(db: app.db).find(code: code))
            let centre = try #require(village.centre ?? village.shape?.boundingBox?.centre)
            let points = [centre, centre.offset(eastMetres: 120, northMetres: 0), centre.offset(eastMetres: 120, northMetres: 120)]

            // The route: refused whole first (a point far outside the village), then made; each checkpoint has a code.
            let far = try await send(app, .POST, "/api/v1/patrol-routes", headers: dispatcher,
                                     json: ["name": "夜间巡更", "area": code, "checkpoints": [["name": "东门", "lat": 23.5, "long": 114.0]]])
            #expect(far.status == .unprocessableEntity && far.json["field"] as? String == "checkpoints[0].position", "\(far.text)")
            #expect(try await send(app, .POST, "/api/v1/patrol-routes", headers: patrol, json: ["name": "x", "area": code]).status == .forbidden)
            let made = try await send(app, .POST, "/api/v1/patrol-routes", headers: dispatcher,
                                      json: ["name": "夜间巡更", "area": code, "checkpoints": points.enumerated().map { ["name": "点\($0.offset + 1)", "lat": $0.element.lat, "long": $0.element.long, "radius": 25] }])
            #expect(made.status == .created, "\(made.text)")
            let route = try #require(made.json["route"] as? [String: Any])
            let routeID = try #require(route["id"] as? String)
            let codes = try #require((route["checkpoints"] as? [[String: Any]])?.compactMap { $0["code"] as? String })
            #expect(codes.count == 3 && Set(codes).count == 3)

            // A patrol plan on it: one round 09:00–12:00 today for the patroller.
            let plan = try await send(app, .POST, "/api/v1/work-plans", headers: dispatcher,
                                      json: ["name": "日间巡更", "kind": "patrol", "area": code, "repeats": "days", "every": 1, "holidays": "keep", "windowStart": "09:00",
                                             "windowEnd": "12:00", "starts": "2026-11-18", "assignee": "person:\(patrolUser.id.uuidString)", "route": routeID])
            #expect(plan.status == .created && (plan.json["plan"] as? [String: Any])?["route"] as? String == routeID, "\(plan.text)")
            let cleaning = try await send(app, .POST, "/api/v1/work-plans", headers: dispatcher,
                                          json: ["name": "x", "kind": "cleaning", "area": code, "repeats": "days", "every": 1, "holidays": "keep", "windowStart": "09:00",
                                                 "windowEnd": "12:00", "starts": "2026-11-18", "route": routeID])
            #expect(cleaning.status == .unprocessableEntity && cleaning.json["field"] as? String == "route")

            // 10:00: the first checkpoint, in place; the round starts.
            func scan(_ i: Int, at p: GeoPoint, key: String, after minutes: Double) async throws -> Reply {
                app.testClock.set(testStart.addingTimeInterval(minutes * 60))
                return try await send(app, .POST, "/api/v1/checkins", headers: patrol.merging(["Idempotency-Key": key]),
                                      json: ["checkpoint": codes[i], "lat": p.lat, "long": p.long, "accuracy": 6, "deviceTime": UTCTime.iso(app.clock.now)])
            }
            let first = try await scan(0, at: points[0].offset(eastMetres: 5, northMetres: 0), key: "a1", after: 0)
            #expect(first.status == .created && (first.json["checkin"] as? [String: Any])?["flags"] as? [String] == [], "\(first.text)")
            let round = try #require(first.json["round"] as? [String: Any])
            #expect((round["task"] as? [String: Any])?["state"] as? String == "started" && (round["progress"] as? [String: Any])?["visited"] as? Int == 1)
            // The same scan resent (poor signal): the stored one, 200.
            let again = try await scan(0, at: points[0], key: "a1", after: 1)
            #expect(again.status == .ok && (again.json["checkin"] as? [String: Any])?["id"] as? String == (first.json["checkin"] as? [String: Any])?["id"] as? String)
            // The second from 80 m away: outside its 25 m radius — flagged, recorded.
            let second = try await scan(1, at: points[1].offset(eastMetres: 80, northMetres: 0), key: "a2", after: 5)
            #expect(second.status == .created && (second.json["checkin"] as? [String: Any])?["flags"] as? [String] == ["outsideRadius"], "\(second.text)")
            // The third: the round is done.
            let third = try await scan(2, at: points[2], key: "a3", after: 10)
            let progress = try #require((third.json["round"] as? [String: Any])?["progress"] as? [String: Any])
            #expect(progress["complete"] as? Bool == true && progress["flagged"] as? Int == 1, "\(third.text)")
            #expect(((third.json["round"] as? [String: Any])?["task"] as? [String: Any])?["state"] as? String == "done")

            // The dispatcher reads the route: today's round complete, the flagged scan first among the latest.
            let detail = try await send(app, .GET, "/api/v1/patrol-routes/\(routeID)", headers: dispatcher)
            #expect((detail.json["rounds"] as? [[String: Any]])?.first.flatMap { ($0["progress"] as? [String: Any])?["percent"] as? Double } == 100)
            #expect((detail.json["recent"] as? [[String: Any]])?.count == 3)
            // The oversight figures: one round, complete, every checkpoint visited, one of three check-ins flagged.
            let figures = try await send(app, .GET, "/api/v1/operations/completion?from=2026-11-18&through=2026-11-18", headers: bearer(try await token(app, "district-admin")))
            let patrolRow = try #require((figures.json["patrol"] as? [[String: Any]])?.first { ($0["area"] as? [String: Any])?["code"] as? String == code }, "\(figures.text)")
            #expect(patrolRow["rounds"] as? Int == 1 && patrolRow["roundsComplete"] as? Int == 1 && patrolRow["checkpointsVisited"] as? Int == 3
                    && patrolRow["checkpointsDue"] as? Int == 3 && patrolRow["missedCheckpoints"] as? Int == 0 && patrolRow["flagged"] as? Int == 1
                    && patrolRow["checkins"] as? Int == 3, "\(patrolRow)")
            // Others: another street's officer does not find the route; a resident scans nothing.
            #expect(try await send(app, .GET, "/api/v1/patrol-routes/\(routeID)", headers: bearer(try await token(app, "street-guanlan"))).status == .notFound)
            #expect(try await send(app, .POST, "/api/v1/checkins", headers: bearer(try await token(app, "resident-demo")), json: ["checkpoint": codes[0]]).status == .forbidden)
            #expect(try await send(app, .POST, "/api/v1/checkins", headers: patrol, json: ["checkpoint": "NOPE1234"]).status == .notFound)
            #expect(try await send(app, .POST, "/api/v1/checkins", headers: patrol, json: ["checkpoint": codes[0], "lat": 95, "long": 114]).status == .badRequest)

            // On the phone: the checkpoint's page and its form; a scan without a position is recorded, flagged.
            let (cookie, _) = try await webLogin(app, "steward-patrol")
            let page = try await send(app, .GET, "/k/\(codes[1])", headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.text.contains("/js/checkin.js") && page.text.contains("action=\"/k/\(codes[1])\""), "\(page.status)")
            let key = try #require(page.text.range(of: "name=\"key\" value=\"").map { String(page.text[$0.upperBound...].prefix(36)) })
            for _ in 0..<2 {
                let sent = try await send(app, .POST, "/k/\(codes[1])", headers: ["Cookie": cookie], form: ["_csrf": try #require(page.csrfToken), "key": key])
                #expect(sent.status == .seeOther && sent.location?.hasPrefix("/k/\(codes[1])?done=") == true)
                let shown = try await send(app, .GET, try #require(sent.location), headers: ["Cookie": cookie])
                #expect(shown.text.contains("无定位"), "the page shows the flag")
            }
            let stored = try await PatrolStore(db: app.db).recent(route: try #require(UUID(uuidString: routeID)))
            #expect(stored.count == 4, "the form sent twice is one check-in")
            let sheet = try await send(app, .GET, "/patrol-routes/\(routeID)/codes", headers: ["Cookie": try await webLogin(app, "steward-dispatch").cookie])
            #expect(sheet.status == .ok && sheet.text.components(separatedBy: "<svg").count == 4 && sheet.text.contains("/k/\(codes[2])"))
        }
    }

    /// Scans of one round arriving together (six phones' worth at once, and one scan sent twice at the same moment):
    /// each is judged against the state the one before left, so the answers count 1 to 6 visited, the round is done
    /// exactly once, and the scan sent twice is stored once.
    @Test func scansArrivingTogetherAreJudgedOneAfterAnother() async throws {
        try await withTestApp { app in
            let dispatcher = bearer(try await token(app, "steward-dispatch"))
            let patrol = bearer(try await token(app, "steward-patrol"))
            let patrolUser = try #require(try await DirectoryStore(db: app.db).user(username: "steward-patrol"))
            let areas = try await send(app, .GET, "/api/v1/areas?kind=village", headers: dispatcher)
            let code = try #require((areas.json["items"] as? [[String: Any]])?.compactMap { $0["code"] as? String }.sorted().first)
            let village = try #require(try await AreaStore(db: app.db).find(code: code))
            let centre = try #require(village.centre ?? village.shape?.boundingBox?.centre)
            let points = (0..<6).map { centre.offset(eastMetres: Double($0) * 40, northMetres: 0) }
            let made = try await send(app, .POST, "/api/v1/patrol-routes", headers: dispatcher,
                                      json: ["name": "六点巡更", "area": code, "checkpoints": points.enumerated().map { ["name": "点\($0.offset + 1)", "lat": $0.element.lat, "long": $0.element.long, "radius": 25] }])
            let route = try #require(made.json["route"] as? [String: Any], "\(made.text)")
            let codes = try #require((route["checkpoints"] as? [[String: Any]])?.compactMap { $0["code"] as? String })
            let plan = try await send(app, .POST, "/api/v1/work-plans", headers: dispatcher,
                                      json: ["name": "六点巡更", "kind": "patrol", "area": code, "repeats": "days", "every": 1, "holidays": "keep", "windowStart": "09:00",
                                             "windowEnd": "12:00", "starts": "2026-11-18", "assignee": "person:\(patrolUser.id.uuidString)", "route": try #require(route["id"] as? String)])
            #expect(plan.status == .created, "\(plan.text)")
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for (i, p) in points.enumerated() {
                    group.addTask { try await send(app, .POST, "/api/v1/checkins", headers: patrol, json: ["checkpoint": codes[i], "lat": p.lat, "long": p.long, "accuracy": 5]) }
                }
                for _ in 0..<2 {
                    group.addTask {
                        try await send(app, .POST, "/api/v1/checkins", headers: patrol.merging(["Idempotency-Key": "twice"]),
                                       json: ["checkpoint": codes[0], "lat": points[0].lat, "long": points[0].long, "accuracy": 5])
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.allSatisfy { [.created, .ok].contains($0.status) }, "\(replies.map(\.text))")
            #expect(replies.filter { $0.status == .created }.count == 7 && replies.filter { $0.status == .ok }.count == 1, "\(replies.map(\.status))")
            let rounds = replies.compactMap { $0.json["round"] as? [String: Any] }
            // Judged one after another: the answers count every checkpoint from 1 to 6 (the scan sent twice adds none).
            let visited = replies.filter { $0.status == .created }.compactMap { (($0.json["round"] as? [String: Any])?["progress"] as? [String: Any])?["visited"] as? Int }
            #expect(visited.count == 7 && Set(visited) == Set(1...6), "\(visited)")
            #expect(rounds.filter { ($0["task"] as? [String: Any])?["state"] as? String == "done" && ($0["progress"] as? [String: Any])?["visited"] as? Int == 6 }.count >= 1)
            let taskID = (rounds.first?["task"] as? [String: Any])?["id"] as? String
            let task = try #require(taskID.flatMap(UUID.init(uuidString:)))
            #expect(try await WorkPlanStore(db: app.db).task(task, .all).state == "done")
            let stored = try await PatrolStore(db: app.db).checkins(task: task)
            #expect(stored.count == 7 && Set(stored.map(\.checkpointId)).count == 6, "the scan sent twice is one check-in")
            #expect(stored.filter { $0.idempotencyKey?.hasSuffix(":twice") == true }.count == 1)
        }
    }

    /// A scan's answer is written by hand (it was the largest part of a scan's own work): it must read exactly as the
    /// app's JSON encoder writes it, with every optional field present or absent, text that needs escaping, and times
    /// with fractions of a second.
    @Test func theScanAnswerWrittenByHandIsWhatTheEncoderWrites() async throws {
        try await withTestApp { _ in
            let encoder = try ContentConfiguration.global.requireEncoder(for: .json)
            func encoded(_ answer: PatrolController.ScanAnswer) throws -> NSDictionary {
                var buffer = ByteBuffer()
                var headers = HTTPHeaders()
                try encoder.encode(answer, to: &buffer, headers: &headers)
                return try #require(try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? NSDictionary)
            }
            let t = Date(timeIntervalSince1970: 1_795_000_000.75)
            let person = OperationsAPIController.PersonRef(id: UUID(), name: "张\"敏\"\n")
            let full = PatrolController.CheckinView(id: UUID(), checkpoint: "K7G3QX9D", checkpointName: "东门 \\ 岗亭", by: person, serverTime: t,
                                                    deviceTime: t.addingTimeInterval(-3.4), lat: 22.6543219, long: 114.0301, accuracy: 8, flags: ["outsideRadius", "sameSpot"],
                                                    flagLabels: ["超出点位范围", "同一地点"], round: UUID(), photo: "/checkins/x/photo")
            let task = OperationsAPIController.TaskView(id: UUID(), plan: UUID(), planVersion: 2, name: "夜间巡更", kind: "patrol", kindLabel: "巡查",
                                                        area: .init(id: UUID(), code: "440309006001", name: "松仔园村"), date: "2026-11-18", nominal: "2026-11-18",
                                                        windowStart: t, windowEnd: t.addingTimeInterval(7200), assignee: .init(kind: "person", id: person.id, name: person.name, token: "person:x"),
                                                        state: "done", stateLabel: "已完成", late: false, onTime: true, startedAt: t, doneAt: t.addingTimeInterval(600.2),
                                                        doneBy: person, note: "tab\there")
            let progress = PatrolController.ProgressView(visited: 3, total: 3, percent: 100, complete: true, flagged: 1, missing: [])
            let answers = [
                PatrolController.ScanAnswer(checkin: full, route: UUID(), round: .init(task: task, progress: progress)),
                PatrolController.ScanAnswer(checkin: .init(id: UUID(), checkpoint: "A", checkpointName: "—", by: person, serverTime: t, deviceTime: nil, lat: nil, long: nil,
                                                           accuracy: nil, flags: [], flagLabels: [], round: nil, photo: nil), route: UUID(), round: nil),
                PatrolController.ScanAnswer(checkin: full, route: UUID(), round: .init(task: .init(id: UUID(), plan: UUID(), planVersion: 1, name: "x", kind: "patrol", kindLabel: "巡查",
                                                                                                  area: task.area, date: "2026-11-18", nominal: "2026-11-17", windowStart: t, windowEnd: t,
                                                                                                  assignee: nil, state: "scheduled", stateLabel: "待执行", late: true, onTime: nil,
                                                                                                  startedAt: nil, doneAt: nil, doneBy: nil, note: nil),
                                                                                       progress: .init(visited: 1, total: 3, percent: 33.3, complete: false, flagged: 0, missing: ["点2", "点3"]))),
            ]
            for answer in answers {
                let written = try #require(try JSONSerialization.jsonObject(with: Data(answer.json())) as? NSDictionary)
                #expect(written == (try encoded(answer)), "\(String(decoding: answer.json(), as: UTF8.self))")
            }
        }
    }

    @Test func aCheckpointThatAsksForAPhotoFlagsAScanWithoutOneAndKeepsTheOneTaken() async throws {
        try await withTestApp { app in
            let dispatcher = bearer(try await token(app, "steward-dispatch"))
            let patrol = bearer(try await token(app, "steward-patrol"))
            let areas = try await send(app, .GET, "/api/v1/areas?kind=village", headers: dispatcher)
            let code = try #require((areas.json["items"] as? [[String: Any]])?.compactMap { $0["code"] as? String }.sorted().first)
            let village = try #require(try await AreaStore(db: app.db).find(code: code))
            let centre = try #require(village.centre ?? village.shape?.boundingBox?.centre)
            let made = try await send(app, .POST, "/api/v1/patrol-routes", headers: dispatcher,
                                      json: ["name": "消防通道", "area": code, "checkpoints": [["name": "通道口", "lat": centre.lat, "long": centre.long, "photoRequired": true]]])
            let point = try #require(((made.json["route"] as? [String: Any])?["checkpoints"] as? [[String: Any]])?.first?["code"] as? String, "\(made.text)")
            let without = try await send(app, .POST, "/api/v1/checkins", headers: patrol, json: ["checkpoint": point, "lat": centre.lat, "long": centre.long])
            #expect(without.status == .created && ((without.json["checkin"] as? [String: Any])?["flags"] as? [String])?.contains("noPhoto") == true, "\(without.text)")
            let photo = TestImages.jpegWithGPS().base64EncodedString()
            let with = try await send(app, .POST, "/api/v1/checkins", headers: patrol, json: ["checkpoint": point, "lat": centre.lat, "long": centre.long, "photo": photo])
            let checkin = try #require(with.json["checkin"] as? [String: Any], "\(with.text)")
            #expect(with.status == .created && (checkin["flags"] as? [String])?.contains("noPhoto") == false)
            let url = try #require(checkin["photo"] as? String)
            let (cookie, _) = try await webLogin(app, "steward-dispatch")
            let shown = try await send(app, .GET, url, headers: ["Cookie": cookie])
            #expect(shown.status == .ok && shown.headers.contentType?.subType == "jpeg")
            #expect(try await send(app, .GET, url, headers: ["Cookie": try await webLogin(app, "street-guanlan").cookie]).status == .notFound)
            let bad = try await send(app, .POST, "/api/v1/checkins", headers: patrol, json: ["checkpoint": point, "photo": "not base64!"])
            #expect(bad.status == .unprocessableEntity && bad.json["field"] as? String == "photo")
            let notImage = try await send(app, .POST, "/api/v1/checkins", headers: patrol, json: ["checkpoint": point, "photo": Data("hello".utf8).base64EncodedString()])
            #expect(notImage.status == .unsupportedMediaType, "\(notImage.text)")
        }
    }
}
