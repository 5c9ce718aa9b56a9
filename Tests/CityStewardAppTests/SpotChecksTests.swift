@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import Testing
import Vapor

/// Spot inspections (抽查, issue 19 §3): the district office draws grids of 民治 at random from a recorded seed (the
/// draw redone from the seed gives the same grids), inspects one on the spot — outside the grid, or a failure without
/// its photo, comes back by field — a failed item opens a case routed like any other, the village's spot-check
/// indicators score it with the case named, a re-inspection puts it right; who sees and records what; the console's
/// pages keep what was typed; the demo's rounds.
@Suite("Assessment: spot checks")
struct SpotChecksTests {
    func leaf(_ tree: [[String: Any]], _ key: String) -> [String: Any]? {
        for node in tree {
            if node["key"] as? String == key { return node }
            if let found = leaf(node["children"] as? [[String: Any]] ?? [], key) { return found }
        }
        return nil
    }

    @Test func theDistrictDrawsInspectsAndTheScoreMoves() async throws {
        try await withTestApp { app in
            #expect(try await DemoAssessment.load(app))
            let plan = try #require(try await AssessmentStore(db: app.db).list(drafts: true).first { $0.year == 2026 })
            let reference = try await app.caseReference.get(app.db)
            let officer = try #require(try await DirectoryStore(db: app.db).user(username: "street-minzhi"))
            let minzhi = try #require(try await DirectoryStore(db: app.db).actor(userID: officer.id, now: app.clock.now)?.orgAreas.compactMap { reference.areas[$0] }
                .first { $0.kind == .street })
            let admin = bearer(try await token(app, "district-admin"))

            // Every problem of a draw by its field.
            let bad = try await send(app, .POST, "/api/v1/assessment/spot-checks", headers: admin,
                                     json: ["title": "", "placeType": "park", "area": "nowhere", "count": 0, "day": "2026-11-17"])
            let fields = Set(((bad.json["errors"] as? [[String: Any]]) ?? []).compactMap { $0["field"] as? String })
            #expect(bad.status == .unprocessableEntity && fields == ["title", "placeType", "area", "count", "day"], "\(bad.text)")
            #expect(try await send(app, .POST, "/api/v1/assessment/spot-checks", headers: admin, json: ["day": "18/11"]).json["field"] as? String == "day")
            #expect(try await send(app, .POST, "/api/v1/assessment/spot-checks", headers: bearer(try await token(app, "steward-dispatch")),
                                   json: ["title": "x", "placeType": "street", "area": minzhi.code, "count": 2, "day": "2026-11-18"]).status == .forbidden)

            let drawn = try await send(app, .POST, "/api/v1/assessment/spot-checks", headers: admin,
                                       json: ["title": "11 月市容环境抽查", "placeType": "street", "area": minzhi.code, "count": 3, "day": "2026-11-18"])
            #expect(drawn.status == .created, "\(drawn.text)")
            let id = try #require(drawn.json["id"] as? String)
            #expect(drawn.json["code"] as? String == "CC2026-001" && drawn.json["populationSize"] as? Int ?? 0 > 3)
            // The draw redone from the recorded seed and population gives the same grids in the same order.
            let spots = try #require(drawn.json["spots"] as? [[String: Any]])
            let seed = try #require(SpotCheckDraw.seed(drawn.json["seed"] as? String ?? ""))
            let population = try #require(drawn.json["population"] as? [String])
            #expect(SpotCheckDraw.draw(population, count: 3, seed: seed) == spots.compactMap { $0["grid"] as? String })
            #expect(population.allSatisfy { reference.areasByCode[$0]?.path.contains(minzhi.id) == true })

            let first = spots[0], spotID = try #require(first["id"] as? String)
            let grid = try #require(reference.areasByCode[first["grid"] as? String ?? ""]), other = try #require(reference.areasByCode[spots[1]["grid"] as? String ?? ""])
            let village = try #require(reference.path(of: grid).first { $0.kind == .village })
            func items(failing: Int?, photo: Bool) -> [[String: Any]] {
                SpotCheckPlaceType.street.items.indices.map { i in
                    i == failing ? (photo ? ["value": "fail", "photo": TestImages.jpegWithGPS().base64EncodedString()] : ["value": "fail"]) : ["value": "pass"]
                }
            }
            let path = "/api/v1/assessment/spot-checks/\(id)/spots/\(spotID)"
            // Standing in another grid, and a failure without its photo: refused by field, nothing stored.
            let elsewhere = try await send(app, .POST, path, headers: admin, json: ["items": items(failing: nil, photo: false), "lat": other.centre!.lat, "long": other.centre!.long])
            #expect(elsewhere.status == .unprocessableEntity && elsewhere.json["field"] as? String == "lat", "\(elsewhere.text)")
            let noPhoto = try await send(app, .POST, path, headers: admin, json: ["items": items(failing: 0, photo: false), "lat": grid.centre!.lat, "long": grid.centre!.long])
            #expect(noPhoto.status == .unprocessableEntity && noPhoto.json["field"] as? String == "items[0]", "\(noPhoto.text)")
            #expect(try await send(app, .POST, path, headers: bearer(try await token(app, "street-minzhi")),
                                   json: ["items": items(failing: nil, photo: false), "lat": grid.centre!.lat, "long": grid.centre!.long]).status == .forbidden,
                    "only the drawing organisation records its spots")

            func spotCheckLeaves() async throws -> (rate: [String: Any]?, problems: [String: Any]?, total: Double?) {
                let scores = try await send(app, .GET, "/api/v1/assessment/plans/\(plan.id)/scores", headers: admin)
                let v = (scores.json["villages"] as? [[String: Any]])?.first { ($0["area"] as? [String: Any])?["code"] as? String == village.code }
                let tree = v?["indicators"] as? [[String: Any]] ?? []
                return (leaf(tree, "4.1"), leaf(tree, "4.2"), v?["total"] as? Double)
            }
            let before = try await spotCheckLeaves()
            #expect(before.rate?["points"] == nil, "no spot check yet: not scored")

            let recorded = try await send(app, .POST, path, headers: admin, json: ["items": items(failing: 0, photo: true), "lat": grid.centre!.lat, "long": grid.centre!.long])
            #expect(recorded.status == .created, "\(recorded.text)")
            let number = try #require((recorded.json["cases"] as? [String])?.first)
            #expect((recorded.json["spot"] as? [String: Any])?["state"] as? String == "failed")
            let opened = try await CaseStore(db: app.db).find(number: number, scope: nil)
            #expect(opened.categoryCode == "06010" && opened.source == CaseSource.patrol.rawValue && opened.description.contains("CC2026-001"), "\(opened.description)")
            #expect(try await send(app, .POST, path, headers: admin, json: ["items": items(failing: nil, photo: false), "lat": grid.centre!.lat, "long": grid.centre!.long])
                .status == .conflict, "inspected once")

            // The village's spot-check indicators now score: 7 of 8 items passed (87.5 % → 65), one problem (≤ 2 → 85),
            // the case named as the evidence.
            let after = try await spotCheckLeaves()
            #expect(after.rate?["numerator"] as? Double == 7 && after.rate?["denominator"] as? Double == 8 && after.rate?["points"] as? Double == 65, "\(after.rate ?? [:])")
            #expect(after.problems?["value"] as? Double == 1 && after.problems?["points"] as? Double == 85 && after.problems?["evidence"] as? [String] == [number])
            #expect(after.total != before.total)

            // Re-inspected: put right.
            let refusedRecheck = try await send(app, .POST, path + "/recheck", headers: admin, json: ["items": [["item": 0, "value": "maybe"]]])
            #expect(refusedRecheck.status == .unprocessableEntity && refusedRecheck.json["field"] as? String == "items[0]")
            let rechecked = try await send(app, .POST, path + "/recheck", headers: admin, json: ["items": [["item": 0, "value": "pass"]]])
            #expect(rechecked.status == .ok && rechecked.json["state"] as? String == "rectified", "\(rechecked.text)")
            #expect(((rechecked.json["findings"] as? [[String: Any]])?.first?["rectifiedAt"]) != nil)
            #expect(try await send(app, .POST, path + "/recheck", headers: admin, json: ["items": [["item": 0, "value": "pass"]]]).status == .unprocessableEntity)

            // Who sees it: the steward serving the villages drawn, the street it lies in, not another street; a resident nothing.
            #expect(try await send(app, .GET, "/api/v1/assessment/spot-checks/\(id)", headers: bearer(try await token(app, "steward-dispatch"))).status == .ok)
            #expect(try await send(app, .GET, "/api/v1/assessment/spot-checks/\(id)", headers: bearer(try await token(app, "street-minzhi"))).status == .ok)
            #expect(try await send(app, .GET, "/api/v1/assessment/spot-checks/\(id)", headers: bearer(try await token(app, "street-guanlan"))).status == .notFound)
            let guanlanList = try await send(app, .GET, "/api/v1/assessment/spot-checks", headers: bearer(try await token(app, "street-guanlan")))
            #expect(guanlanList.status == .ok && guanlanList.text == "[]")
            #expect(try await send(app, .GET, "/api/v1/assessment/spot-checks", headers: bearer(try await token(app, "resident-demo"))).status == .forbidden)
            #expect(try await send(app, .GET, "/api/v1/assessment/spot-checks/\(UUID())", headers: admin).status == .notFound)

            #expect(try await AuditStore(db: app.db).list(AuditStore.Filter(action: AuditAction.spotCheckDrawn.rawValue)).rows.count == 1)
            // The month's bill: the failed item is a deduction (¥50 under the demo contract), and the fee follows the
            // villages' assessment score for the month (the payment coefficient), written out with the village's score.
            let contract = try #require(try await ContractStore(db: app.db).list(scope: .all).first { $0.state == .active && $0.terms.areas.contains(village.code) })
            #expect(contract.terms.performance == .example)
            let run = try await send(app, .POST, "/api/v1/contracts/\(contract.id)/billing", headers: bearer(try await token(app, "street-minzhi")), json: ["period": "2026-11"])
            #expect(run.status == .created, "\(run.text.prefix(300))")
            #expect((run.json["failedSpotChecks"] as? [String: Int])?.values.reduce(0, +) == 1, "\(run.json["failedSpotChecks"] ?? "")")
            let lines = run.json["lines"] as? [[String: Any]] ?? []
            #expect(lines.contains { $0["kind"] as? String == "deduction" && ($0["explanation"] as? String)?.contains("1 件抽查不合格项 × 50.00 元") == true }, "\(lines)")
            let coefficient = try #require(lines.first { $0["kind"] as? String == "performance" }, "\(lines)")
            let assessed = try #require(run.json["assessment"] as? [String: Any])
            let scored = (assessed["villages"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
            #expect(scored.contains(village.code) && (coefficient["explanation"] as? String)?.contains(village.name) == true, "\(coefficient)")
            #expect(assessed["plan"] as? String == "\(plan.name) v1" && assessed["from"] as? String == "2026-11-01" && assessed["through"] as? String == "2026-11-30")
            let net = run.json["netFen"] as? Int ?? 0, gross = run.json["grossFen"] as? Int ?? 0
            #expect(net == gross + lines.filter { $0["kind"] as? String != "service" }.reduce(0) { $0 + ($1["amountFen"] as? Int ?? 0) })

            #expect(try await AuditStore(db: app.db).list(AuditStore.Filter(action: AuditAction.spotCheckRecorded.rawValue)).rows.count == 2, "the inspection and the re-inspection")
        }
    }

    @Test func theConsoleDrawsKeepsWhatWasTypedAndTheInspectorsPhoneRecords() async throws {
        try await withTestApp { app in
            let reference = try await app.caseReference.get(app.db)
            let (cookie, _) = try await webLogin(app, "street-minzhi")
            let list = try await send(app, .GET, "/spot-checks", headers: ["Cookie": cookie])
            #expect(list.status == .ok && list.text.contains("name=\"placeType\"") && list.text.contains("还没有抽查"), "\(list.status)")
            let csrf = try #require(list.csrfToken)
            let select = try #require(list.text.range(of: "name=\"area\""))
            let area = try #require(list.text[select.upperBound...].range(of: "<option value=\"").map { String(list.text[$0.upperBound...].prefix { $0 != "\"" }) })
            #expect(area == "440309002", "the street officer draws in 民治 and below")
            let refused = try await send(app, .POST, "/spot-checks", headers: ["Cookie": cookie],
                                         form: ["_csrf": csrf, "title": "公厕突击抽查", "placeType": "toilet", "area": area, "count": "999", "day": "2026-11-18"])
            #expect(refused.status == .unprocessableEntity && refused.text.contains("id=\"round-count-error\"") && refused.text.contains("value=\"公厕突击抽查\""))
            let made = try await send(app, .POST, "/spot-checks", headers: ["Cookie": cookie],
                                      form: ["_csrf": csrf, "title": "公厕突击抽查", "placeType": "toilet", "area": area, "count": "2", "day": "2026-11-18"])
            let roundPath = try #require(made.location, "\(made.status) \(made.text.prefix(400))")
            let round = try await send(app, .GET, roundPath, headers: ["Cookie": cookie])
            let stored = try #require(try await SpotCheckStore(db: app.db).rounds().first)
            #expect(round.status == .ok && round.text.contains(stored.seed) && round.text.contains("如何复核抽签"))
            let spot = try #require(try await SpotCheckStore(db: app.db).spots(round: stored.id).first)
            let spotPath = "\(roundPath)/spots/\(spot.id.uuidString.lowercased())"
            let phone = try await send(app, .GET, spotPath, headers: ["Cookie": cookie])
            #expect(phone.status == .ok && phone.text.contains("name=\"item4\"") && phone.text.contains("checkin.js"))
            // Without a position the form comes back with the choices kept.
            var form = MultipartForm()
            form.field("_csrf", try #require(phone.csrfToken))
            for i in 0..<5 { form.field("item\(i)", i == 2 ? "fail" : "pass") }
            let noPosition = try await form.send(app, spotPath, cookie: cookie)
            #expect(noPosition.status == .unprocessableEntity && noPosition.text.contains("开启定位") && noPosition.text.contains("value=\"fail\" checked"), "\(noPosition.status)")
            let centre = try #require(reference.areas[spot.gridId]?.centre)
            form.field("lat", String(centre.lat))
            form.field("long", String(centre.long))
            form.file("photo2", TestImages.jpegWithGPS(), "image/jpeg", filename: "fan.jpg")
            let sent = try await form.send(app, spotPath, cookie: cookie)
            #expect(sent.status == .seeOther && sent.location == spotPath, "\(sent.status) \(sent.text.prefix(500))")
            let done = try await send(app, .GET, spotPath, headers: ["Cookie": cookie])
            let number = try #require(try await SpotCheckStore(db: app.db).spot(spot.id).decodedFindings?.first { !$0.passed }?.caseNumber)
            #expect(done.text.contains(number) && done.text.contains("name=\"item2\"") && done.text.contains("复查"))
            let fixed = try await send(app, .POST, spotPath + "/recheck", headers: ["Cookie": cookie], form: ["_csrf": try #require(done.csrfToken), "item2": "pass"])
            #expect(fixed.status == .seeOther)
            #expect(try await SpotCheckStore(db: app.db).spot(spot.id).checkState == .rectified)
            // A resident has no spot checks.
            let (resident, _) = try await webLogin(app, "resident-demo")
            #expect(try await send(app, .GET, "/spot-checks", headers: ["Cookie": resident]).status == .forbidden)
        }
    }

    @Test func theDemoInspectedThisYearAndItCounts() async throws {
        try await withTestApp { app in
            try await DemoCaseHistory.load(app)
            #expect(try await DemoSpotChecks.load(app))
            #expect(!(try await DemoSpotChecks.load(app)), "loaded once")
            let rounds = try await SpotCheckStore(db: app.db).rounds()
            // March to November of the test clock's 2026 (18 November): five rounds, four grids each, reproducible.
            #expect(rounds.map(\.code).sorted() == (1...5).map { "CC2026-00\($0)" })
            for r in rounds {
                let spots = try await SpotCheckStore(db: app.db).spots(round: r.id)
                #expect(SpotCheckDraw.draw(r.populationCodes, count: r.drawn, seed: SpotCheckDraw.seed(r.seed) ?? 0) == spots.map(\.gridCode))
                #expect(spots.allSatisfy { $0.checkState != .pending })
            }
            let all = try await SpotCheckStore(db: app.db).spots(rounds: rounds.map(\.id))
            let findings = all.flatMap { $0.decodedFindings ?? [] }
            #expect(findings.contains { !$0.passed } && findings.filter(\.passed).count > findings.count / 2, "\(findings.filter { !$0.passed }.count) of \(findings.count) failed")
            #expect(all.contains { $0.checkState == .rectified })
            // Every failure's case exists, closed.
            for f in findings where !f.passed {
                let c = try await CaseStore(db: app.db).find(number: f.caseNumber ?? "", scope: nil)
                #expect(c.state == CaseState.closed.rawValue)
            }
        }
    }

    @Test func anObjectionIsReCheckedOnTheSpot() async throws {
        try await withTestApp { app in
            try await DemoCaseHistory.load(app)
            #expect(try await DemoAssessment.load(app))
            let last = try #require(try await AssessmentStore(db: app.db).list(drafts: true).first { $0.year == 2025 })
            let comments = try await AssessmentResultStore(db: app.db).comments(plan: last.id)
            let objection = try #require(comments.first { $0.kind == "objection" }), plain = try #require(comments.first { $0.kind == "comment" })
            let village = try #require(objection.village)
            let admin = bearer(try await token(app, "district-admin"))
            // The console offers it on the objection.
            let (cookie, _) = try await webLogin(app, "district-admin")
            let page = try await send(app, .GET, "/assessment/plans/\(last.id.uuidString.lowercased())", headers: ["Cookie": cookie])
            #expect(page.text.contains("/assessment/comments/\(objection.id.uuidString.lowercased())/recheck"))
            #expect(!page.text.contains("/assessment/comments/\(plain.id.uuidString.lowercased())/recheck"))
            #expect(try await send(app, .POST, "/api/v1/assessment/comments/\(objection.id)/recheck", headers: bearer(try await token(app, "street-minzhi")), json: [:]).status == .forbidden)
            let refused = try await send(app, .POST, "/api/v1/assessment/comments/\(plain.id)/recheck", headers: admin, json: [:])
            #expect(refused.status == .unprocessableEntity && refused.json["field"] as? String == "comment", "\(refused.text)")
            let tooMany = try await send(app, .POST, "/api/v1/assessment/comments/\(objection.id)/recheck", headers: admin, json: ["count": 999])
            #expect(tooMany.status == .unprocessableEntity && tooMany.json["field"] as? String == "count")
            #expect(try await SpotCheckStore(db: app.db).rounds().isEmpty, "nothing half written")
            let done = try await send(app, .POST, "/api/v1/assessment/comments/\(objection.id)/recheck", headers: admin, json: [:])
            #expect(done.status == .created && done.json["code"] as? String == "CC2026-001", "\(done.text)")
            let round = try #require(try await SpotCheckStore(db: app.db).rounds().first)
            let spots = try await SpotCheckStore(db: app.db).spots(round: round.id)
            let reference = try await app.caseReference.get(app.db)
            #expect(spots.count == 3 && spots.allSatisfy { reference.path(of: reference.areas[$0.gridId]!).contains { $0.code == village } })
            #expect(try await AssessmentResultStore(db: app.db).comment(objection.id).recheckRoundId == round.id)
            #expect(try await send(app, .POST, "/api/v1/assessment/comments/\(objection.id)/recheck", headers: admin, json: [:]).status == .conflict, "once")
            let results = try await send(app, .GET, "/api/v1/assessment/plans/\(last.id)/results", headers: admin)
            #expect((results.json["comments"] as? [[String: Any]])?.contains { $0["recheckRound"] as? String == round.id.uuidString } == true, "\(results.text.suffix(600))")
            #expect(try await send(app, .GET, "/public/assessment/2025").text.contains("已安排现场复查：抽查 CC2026-001"))
        }
    }
}
