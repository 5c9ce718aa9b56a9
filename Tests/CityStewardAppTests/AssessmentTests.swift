@testable import CityStewardApp
import CityStewardCore
@testable import CityStewardStore
import Foundation
import SQLKit
import Testing
import Vapor

/// The assessment's plans and scores over HTTP (issue 19, first part): made and published by the district office,
/// frozen once published, and every village's score computed from the records with each point explained.
@Suite("Assessment: plans and scores")
struct AssessmentTests {
    func method(topWeight: Double = 60, measure: String = "onTimeHandlingRate") -> [String: Any] {
        ["indicators": [
            ["key": "1", "name": "案件处置", "weight": topWeight, "children": [
                ["key": "1.1", "name": "按期处置率", "weight": 70, "measure": measure,
                 "bands": [["threshold": 95, "points": 100], ["threshold": 85, "points": 80], ["threshold": 60, "points": 50]]],
                ["key": "1.2", "name": "超期案件", "weight": 30, "measure": "overdueCases",
                 "bands": [["threshold": 0, "points": 100], ["threshold": 5, "points": 60]]],
            ]],
            ["key": "2", "name": "群众满意", "weight": 40, "measure": "satisfiedShare",
             "bands": [["threshold": 90, "points": 100], ["threshold": 70, "points": 70]]],
        ],
         "grades": [["grade": "A", "minimum": 90], ["grade": "B", "minimum": 75], ["grade": "C", "minimum": 60], ["grade": "D", "minimum": 0]]]
    }

    func body(_ year: Int, _ name: String, _ m: [String: Any]) -> [String: Any] {
        m.merging(["year": year, "name": name]) { a, _ in a }
    }

    @Test func theDistrictPublishesAPlanBeforeItsYearAndAChangeIsANewVersionWithItsReason() async throws {
        try await withTestApp { app in
            let admin = bearer(try await token(app, "district-admin"))
            let street = bearer(try await token(app, "street-minzhi"))
            // Every problem by its indicator: the top weights sum to 90, a measure that does not exist.
            let bad = try await send(app, .POST, "/api/v1/assessment/plans", headers: admin, json: body(2027, "2027 年度考核", method(topWeight: 50)))
            #expect(bad.status == .unprocessableEntity && bad.json["field"] as? String == "indicators", "\(bad.text)")
            let unknown = try await send(app, .POST, "/api/v1/assessment/plans", headers: admin, json: body(2027, "2027 年度考核", method(measure: "happiness")))
            #expect(unknown.status == .unprocessableEntity && unknown.json["field"] as? String == "indicators.1.1", "\(unknown.text)")
            #expect(try await send(app, .POST, "/api/v1/assessment/plans", headers: street, json: body(2027, "x", method())).status == .forbidden)

            let made = try await send(app, .POST, "/api/v1/assessment/plans", headers: admin, json: body(2027, "2027 年度城市管家考核", method()))
            #expect(made.status == .created, "\(made.text)")
            let id = try #require(made.json["id"] as? String)
            let first = try #require((made.json["versions"] as? [[String: Any]])?.first)
            let top = try #require(first["indicators"] as? [[String: Any]])
            #expect((top[0]["children"] as? [[String: Any]])?.first?["formula"] as? String == "按期处置数 ÷ 应处置数 × 100%")
            // A draft is the district's: a street office does not see it yet.
            #expect(try await send(app, .GET, "/api/v1/assessment/plans/\(id)", headers: street).status == .notFound)

            let published = try await send(app, .POST, "/api/v1/assessment/plans/\(id)/publish", headers: admin)
            #expect(published.status == .ok && published.json["published"] as? Bool == true, "\(published.text)")
            #expect(try await send(app, .POST, "/api/v1/assessment/plans/\(id)/publish", headers: admin).status == .conflict)
            let listed = try await send(app, .GET, "/api/v1/assessment/plans", headers: street)
            #expect(listed.status == .ok && listed.text.contains(id.lowercased()) || listed.text.contains(id.uppercased()), "\(listed.text)")
            let seen = try await send(app, .GET, "/api/v1/assessment/plans/\(id)", headers: street)
            #expect(seen.status == .ok && seen.json["year"] as? Int == 2027)

            // Frozen: a change is a new version, only with its reason; both stay.
            let noReason = try await send(app, .POST, "/api/v1/assessment/plans/\(id)/versions", headers: admin, json: ["name": "2027 年度考核（修订）"])
            #expect(noReason.status == .unprocessableEntity && noReason.json["field"] as? String == "reason", "\(noReason.text)")
            let changed = try await send(app, .POST, "/api/v1/assessment/plans/\(id)/versions", headers: admin,
                                         json: ["name": "2027 年度考核（修订）", "reason": "满意度档次按街道意见调整"])
            #expect(changed.status == .created && changed.json["version"] as? Int == 2, "\(changed.text)")
            #expect((changed.json["versions"] as? [[String: Any]])?.map { $0["reason"] as? String } == [nil, "满意度档次按街道意见调整"])

            // A plan for the year under way can be drafted but not published after its year began.
            let late = try await send(app, .POST, "/api/v1/assessment/plans", headers: admin, json: body(2026, "2026 年度考核", method()))
            let lateID = try #require(late.json["id"] as? String, "\(late.text)")
            #expect(try await send(app, .POST, "/api/v1/assessment/plans/\(lateID)/publish", headers: admin).status == .conflict)
            let trail = try await AuditStore(db: app.db).list(AuditStore.Filter(action: "assessment.plan.published")).rows
            #expect(trail.count == 1)
            #expect(try await send(app, .GET, "/api/v1/assessment/plans", headers: bearer(try await token(app, "resident-demo"))).status == .forbidden)
        }
    }

    @Test func everyVillagesScoreIsExplainedDownToItsCases() async throws {
        try await withTestApp { app in
            try await DemoCases.load(app)
            let admin = bearer(try await token(app, "district-admin"))
            let made = try await send(app, .POST, "/api/v1/assessment/plans", headers: admin, json: body(2026, "2026 年度考核", method()))
            let id = try #require(made.json["id"] as? String, "\(made.text)")
            // Three weeks on, the demo's open cases are past their deadlines.
            app.testClock.advance(by: 21 * 86_400)
            let adminLater = bearer(try await token(app, "district-admin"))
            let scores = try await send(app, .GET, "/api/v1/assessment/plans/\(id)/scores", headers: adminLater)
            #expect(scores.status == .ok && scores.json["from"] as? String == "2026-01-01" && scores.json["through"] as? String == "2026-12-09", "\(scores.text.prefix(300))")
            let villages = try #require(scores.json["villages"] as? [[String: Any]])
            let scored = villages.filter { $0["grade"] != nil }
            #expect(!scored.isEmpty, "the demo's cases give some village a score")
            // Ranked by total; each total is the sum of its indicators' contributions.
            let totals = scored.map { $0["total"] as? Double ?? -1 }
            #expect(totals == totals.sorted(by: >))
            #expect(scored.first?["rank"] as? Int == 1)
            for v in scored {
                let parts = (v["indicators"] as? [[String: Any]] ?? []).map { $0["contribution"] as? Double ?? 0 }.reduce(0, +)
                #expect(abs(parts - (v["total"] as? Double ?? 0)) < 0.02, "\(v["area"] ?? "")")
            }
            // The evidence names real cases of that village.
            let store = CaseStore(db: app.db)
            func onTimeLeaf(_ v: [String: Any]) -> [String: Any]? {
                (((v["indicators"] as? [[String: Any]])?.first?["children"] as? [[String: Any]]) ?? []).first { $0["key"] as? String == "1.1" }
            }
            // The village with the most cases due: its on-time rate written out with its numbers.
            let first = try #require(scored.max { (onTimeLeaf($0)?["denominator"] as? Double ?? 0) < (onTimeLeaf($1)?["denominator"] as? Double ?? 0) })
            let onTime = try #require(onTimeLeaf(first))
            #expect((onTime["denominator"] as? Double ?? 0) > 0, "\(onTime)")
            #expect((onTime["explanation"] as? String)?.hasPrefix("按期处置率 = ") == true, "\(onTime)")
            for number in (onTime["evidence"] as? [String] ?? []).prefix(3) {
                let c = try await store.find(number: number, scope: nil)
                #expect(c.villageId?.uuidString == ((first["area"] as? [String: Any])?["id"] as? String), "\(number)")
            }
            // A street office sees its street's villages only; bad periods are refused by field.
            let street = try await send(app, .GET, "/api/v1/assessment/plans/\(id)/scores", headers: bearer(try await token(app, "street-minzhi")))
            _ = admin
            #expect(street.status == .notFound, "a draft is not the street's to see")
            let wrongYear = try await send(app, .GET, "/api/v1/assessment/plans/\(id)/scores?from=2025-12-01", headers: adminLater)
            #expect(wrongYear.status == .unprocessableEntity && wrongYear.json["field"] as? String == "through")
        }
    }

    /// The demo's case history gives last year's assessment something to rank: every pilot village has cases due and a
    /// score, the village run best ranks above the one run worst, every history case is closed or rejected (the queue
    /// stays the demo's own), residents rated most of theirs, and loading again adds nothing.
    /// The scores add up a year of cases in the database (one pass over the assessment's index); what they add up is
    /// what `CasesSummary.of` makes of the same cases one by one, for a finished year, the running one and a month
    /// cut off in its middle. The milestones each step kept are what the history says (the migration's fill).
    @Test func theDatabasesSummaryOfEachVillageIsTheDefinitionsAndTheMilestonesAreTheHistorys() async throws {
        try await withTestApp { app in
            try await DemoCases.load(app)
            #expect(try await DemoCaseHistory.load(app))
            let store = AssessmentStore(db: app.db)
            let reference = try await app.caseReference.get(app.db)
            let villages = reference.areas.values.filter { $0.kind == .village }.map(\.id)
            func day(_ y: Int, _ m: Int, _ d: Int) -> Date { LocalDate(year: y, month: m, day: d).beijingMidnight }
            let windows = [(day(2025, 1, 1), day(2026, 1, 1), day(2026, 1, 1)), (day(2026, 1, 1), day(2027, 1, 1), app.clock.now),
                           (day(2025, 6, 1), day(2025, 7, 1), day(2025, 6, 16))]
            let sql = try #require(app.db as? any SQLDatabase)
            // On SQLite the server walks the file itself: a copy of this database as a file is walked here too.
            var stores = [store]
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("scan-\(UUID().uuidString).sqlite").path
            defer { try? FileManager.default.removeItem(atPath: file) }
            if sql.dialect.name == "sqlite" {
                try await sql.raw("VACUUM INTO \(bind: file)").run()
                stores.append(AssessmentStore(db: app.db, location: .sqliteFile(path: file)))
            }
            var kinds: Set<CasesSummary.Evidence> = []
            for (from, until, end) in windows {
                let cases = Dictionary(grouping: try await store.assessedCases(villages: villages, from: from, until: until), by: \.village)
                for reader in stores {
                    let summaries = try await reader.casesSummaries(villages: villages, from: from, until: until, end: end)
                    #expect(!cases.isEmpty && Set(summaries.keys) == Set(cases.keys))
                    for (v, list) in cases {
                        let expected = CasesSummary.of(list, end: end)
                        #expect(summaries[v] == expected, "\(reader.sqliteFile ?? "SQL") \(from)…\(until) at \(end): \(String(describing: summaries[v])) against \(expected)")
                        kinds.formUnion(expected.evidence.keys)
                    }
                }
            }
            #expect(stores.count == (sql.dialect.name == "sqlite" ? 2 : 1))
            #expect(kinds.isSuperset(of: [.late, .closedLate, .reworked, .unsatisfied, .unanswered, .complaint, .slowResponse, .slowHandling]), "\(kinds)")
            func milestones() async throws -> [UUID: CaseMilestones] {
                Dictionary(uniqueKeysWithValues: try await sql.raw("SELECT * FROM cases").all(decoding: CaseRow.self).map { ($0.id, $0.milestones) })
            }
            let kept = try await milestones()
            #expect(kept.values.contains { $0.rating != nil } && kept.values.contains { $0.reworks > 0 } && kept.values.contains { $0.handlingHours != nil })
            try await sql.raw("""
                UPDATE cases SET responded_at = NULL, first_handled_at = NULL, response_hours = NULL, handling_hours = NULL, reworks = 0, reopens = 0, rating = NULL
                """).run()
            try await AddCaseMilestones.fill(app.db, calendar: reference.calendar)
            let filled = try await milestones()
            func near(_ a: Double?, _ b: Double?) -> Bool { a == nil ? b == nil : b.map { abs($0 - a!) < 1e-6 } ?? false }
            func near(_ a: Date?, _ b: Date?) -> Bool { near(a?.timeIntervalSince1970, b?.timeIntervalSince1970) }
            for (id, k) in kept {
                let f = try #require(filled[id])
                #expect(near(k.respondedAt, f.respondedAt) && near(k.handledAt, f.handledAt) && near(k.responseHours, f.responseHours)
                        && near(k.handlingHours, f.handlingHours) && (k.reworks, k.reopens, k.rating) == (f.reworks, f.reopens, f.rating), "\(k) against \(f)")
            }
        }
    }

    @Test func theDemoHistoryGivesLastYearsAssessmentARanking() async throws {
        try await withTestApp { app in
            try await DemoCases.load(app)
            let sql = try #require(app.db as? any SQLDatabase)
            func open() async throws -> Int {
                try await sql.raw("SELECT COUNT(*) AS n FROM cases WHERE state NOT IN ('closed', 'rejected')").first()?.decode(column: "n", as: Int.self) ?? -1
            }
            let openBefore = try await open()
            #expect(try await DemoCaseHistory.load(app))
            #expect(!(try await DemoCaseHistory.load(app)), "loaded once")
            #expect(try await DemoAssessment.load(app))
            let history = try await sql.raw("SELECT state, COUNT(*) AS n FROM cases WHERE idempotency_key LIKE 'demo-history:%' GROUP BY state").all()
                .map { (try $0.decode(column: "state", as: String.self), try $0.decode(column: "n", as: Int.self)) }
            #expect(Set(history.map(\.0)).isSubset(of: ["closed", "rejected"]) && history.reduce(0) { $0 + $1.1 } > 1_000, "\(history)")
            #expect(try await open() == openBefore, "no open case added")
            let rated = try await sql.raw("SELECT COUNT(*) AS n FROM resident_reports WHERE rating IS NOT NULL").first()?.decode(column: "n", as: Int.self) ?? 0
            #expect(rated > 200)
            let plans = try await AssessmentStore(db: app.db).list(drafts: true)
            let last = try #require(plans.first { $0.year == 2025 }).id.uuidString.lowercased()
            let scores = try await send(app, .GET, "/api/v1/assessment/plans/\(last)/scores", headers: bearer(try await token(app, "district-admin")))
            let villages = try #require(scores.json["villages"] as? [[String: Any]], "\(scores.text.prefix(500))")
            let pilots = villages.filter { DemoDistrict.villageCodes.contains((($0["area"] as? [String: Any])?["code"] as? String) ?? "") }
            #expect(pilots.count >= 6 && pilots.allSatisfy { ($0["cases"] as? Int ?? 0) > 50 && $0["rank"] as? Int != nil && $0["grade"] as? String != nil }, "\(pilots)")
            func rank(ofQuality q: Double) -> Int? {
                let codes = DemoDistrict.villageCodes.sorted()
                guard let i = DemoCaseHistory.quality.firstIndex(of: q), i < codes.count else { return nil }
                return pilots.first { (($0["area"] as? [String: Any])?["code"] as? String) == codes[i] }?["rank"] as? Int
            }
            let best = try #require(rank(ofQuality: DemoCaseHistory.quality.max()!)), worst = try #require(rank(ofQuality: DemoCaseHistory.quality.min()!))
            #expect(best < worst, "best \(best), worst \(worst)")
        }
    }

    @Test func theConsoleMakesAPlanFromTheStandardMethodKeepsWhatWasTypedAndExplainsAVillagesPoints() async throws {
        try await withTestApp { app in
            try await DemoCases.load(app)
            #expect(try await DemoAssessment.load(app))
            #expect(!(try await DemoAssessment.load(app)), "loaded once")
            let demo = try await AssessmentStore(db: app.db).list(drafts: true)
            #expect(demo.map(\.year) == [2026, 2025] && demo.allSatisfy { $0.publishedAt != nil })
            #expect(try await AssessmentStore(db: app.db).versions(demo[1].id).map(\.reason) == [nil, "平均满意度满分线按街道意见由 4.5 调为 4.6"])

            let (cookie, _) = try await webLogin(app, "district-admin")
            let list = try await send(app, .GET, "/assessment", headers: ["Cookie": cookie])
            #expect(list.status == .ok && list.text.contains("2026 年度城市管家考核") && list.text.contains("href=\"/assessment\""))
            let csrf = try #require(list.csrfToken)
            let refused = try await send(app, .POST, "/assessment/plans", headers: ["Cookie": cookie], form: ["_csrf": csrf, "year": "2030", "name": "远期考核"])
            #expect(refused.status == .unprocessableEntity && refused.text.contains("id=\"plan-year-error\"") && refused.text.contains("value=\"远期考核\""))
            let made = try await send(app, .POST, "/assessment/plans", headers: ["Cookie": cookie], form: ["_csrf": csrf, "year": "2027", "name": "2027 年度考核"])
            let path = try #require(made.location, "\(made.status)")
            let page = try await send(app, .GET, path, headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.text.contains("按期处置数 ÷ 应处置数 × 100%") && page.text.contains("A+ ≥ 93"), "\(page.status) \(page.text.prefix(1500))")
            // A method that is not JSON, or whose weights do not sum, comes back by the method's field with the text kept.
            let bad = try await send(app, .POST, path + "/versions", headers: ["Cookie": cookie], form: ["_csrf": csrf, "name": "2027 年度考核", "method": "{not json", "reason": ""])
            #expect(bad.status == .unprocessableEntity && bad.text.contains("id=\"change-method-error\"") && bad.text.contains("{not json"))
            let sums = try await send(app, .POST, path + "/versions", headers: ["Cookie": cookie],
                                      form: ["_csrf": csrf, "method": "{\"indicators\":[{\"key\":\"1\",\"name\":\"结案\",\"weight\":80,\"measure\":\"closureRate\",\"bands\":[{\"threshold\":90,\"points\":100}]}]}"])
            #expect(sums.status == .unprocessableEntity && sums.text.contains("现为 80"), "\(sums.status)")
            let published = try await send(app, .POST, path + "/publish", headers: ["Cookie": cookie], form: ["_csrf": csrf])
            #expect(published.status == .seeOther && published.location == path)
            #expect(try await send(app, .GET, path, headers: ["Cookie": cookie]).text.contains("已公布"))

            // This year's plan: a village's points, each with its working.
            let current = try #require(demo.first).id.uuidString.lowercased()
            let village = try await send(app, .GET, "/assessment/plans/\(current)/villages/\(DemoDistrict.villageCodes[0])", headers: ["Cookie": cookie])
            #expect(village.status == .ok && village.text.contains("占总分") && village.text.contains("按期处置率"), "\(village.status)")
            #expect(try await send(app, .GET, "/assessment/plans/\(current)/villages/nowhere", headers: ["Cookie": cookie]).status == .notFound)
            // The method is public: no login, in either language; a year without a published plan is not there.
            let open = try await send(app, .GET, "/public/assessment/2025?lang=en")
            #expect(open.status == .ok && open.text.contains("On-time handling rate") && open.text.contains("平均满意度满分线按街道意见由 4.5 调为 4.6"), "\(open.status)")
            #expect(open.text.contains("v2"))
            #expect(try await send(app, .GET, "/public/assessment/2026").text.contains("按期处置数 ÷ 应处置数 × 100%"))
            #expect(try await send(app, .GET, "/public/assessment/2027").status == .ok, "published above")
            #expect(try await send(app, .GET, "/public/assessment/2024").status == .notFound)
            #expect(try await send(app, .GET, "/public/assessment/next").status == .notFound)
            // Scope of the scores on the published plan: a street office gets its street's villages only, a steward
            // the villages it serves (the demo's serves them all, so each is checked for it); another street's village page answers as missing.
            let minzhi = try await send(app, .GET, "/api/v1/assessment/plans/\(current)/scores", headers: bearer(try await token(app, "street-minzhi")))
            let codes = (minzhi.json["villages"] as? [[String: Any]] ?? []).compactMap { ($0["area"] as? [String: Any])?["code"] as? String }
            #expect(minzhi.status == .ok && !codes.isEmpty && codes.allSatisfy { $0.hasPrefix("440309002") }, "\(codes)")
            let all = try await send(app, .GET, "/api/v1/assessment/plans/\(current)/scores", headers: bearer(try await token(app, "district-admin")))
            #expect((all.json["villages"] as? [[String: Any]] ?? []).count > codes.count)
            let steward = try await send(app, .GET, "/api/v1/assessment/plans/\(current)/scores", headers: bearer(try await token(app, "steward-dispatch")))
            let served = steward.json["villages"] as? [[String: Any]] ?? []
            #expect(steward.status == .ok && !served.isEmpty && served.allSatisfy { $0["steward"] as? String == DemoDistrict.stewardCode })
            let (minzhiCookie, _) = try await webLogin(app, "street-minzhi")
            #expect(try await send(app, .GET, "/assessment/plans/\(current)/villages/\(langkou)", headers: ["Cookie": minzhiCookie]).status == .notFound)
            // A resident's session has no assessment.
            let (resident, _) = try await webLogin(app, "resident-demo")
            #expect(try await send(app, .GET, "/assessment", headers: ["Cookie": resident]).status == .forbidden)
        }
    }

    /// The score moves with the records: a case handled in time keeps the village's case handling at full marks; one
    /// left past its deadline costs points in the on-time rate and the overdue count, and is named as their evidence.
    @Test func aCaseLeftPastItsDeadlineCostsTheVillagePointsAndIsNamed() async throws {
        try await withTestApp { app in
            let admin = try await token(app, "district-admin")
            let made = try await send(app, .POST, "/api/v1/assessment/plans", headers: bearer(admin), json: body(2026, "2026 年度考核", method()))
            let id = try #require(made.json["id"] as? String, "\(made.text)")
            let patrol = try await token(app, "steward-patrol"), dispatcher = try await token(app, "steward-dispatch")
            let p = try await gridCentre(app, songziyuan, 2)
            func village(_ token: String) async throws -> [String: Any] {
                let scores = try await send(app, .GET, "/api/v1/assessment/plans/\(id)/scores", headers: bearer(token))
                return try #require((scores.json["villages"] as? [[String: Any]])?.first { ($0["area"] as? [String: Any])?["code"] as? String == songziyuan }, "\(scores.text.prefix(300))")
            }
            func leaf(_ v: [String: Any], _ key: String) -> [String: Any]? {
                (((v["indicators"] as? [[String: Any]])?.first?["children"] as? [[String: Any]]) ?? []).first { $0["key"] as? String == key }
            }
            // One case handled, verified and closed at once: on time.
            let a = try #require(try await report(app, patrol, category: "06010", at: p).json["id"] as? String)
            for (who, step) in [(dispatcher, "file"), (dispatcher, "dispatch"), (patrol, "accept"), (patrol, "handle"), (dispatcher, "passVerification"), (dispatcher, "close")] {
                #expect(try await act(app, who, a, step, evidence(for: step)).status == .ok, "\(step)")
            }
            // Another dispatched and left.
            let reported = try await report(app, patrol, category: "06010", at: p)
            let b = try #require(reported.json["id"] as? String), number = try #require(reported.json["number"] as? String)
            for step in ["file", "dispatch"] { #expect(try await act(app, dispatcher, b, step).status == .ok) }

            // A month on, both deadlines have passed: one on time of two, one overdue.
            app.testClock.advance(by: 30 * 86_400)
            let later = try await village(try await token(app, "district-admin"))
            let onTime = try #require(leaf(later, "1.1")), overdue = try #require(leaf(later, "1.2"))
            #expect(onTime["numerator"] as? Double == 1 && onTime["denominator"] as? Double == 2 && onTime["points"] as? Double == 0, "\(onTime)")
            #expect(overdue["value"] as? Double == 1 && overdue["points"] as? Double == 60, "\(overdue)")
            #expect((onTime["evidence"] as? [String]) == [number] && (overdue["evidence"] as? [String]) == [number])
            // Case handling = (0 × 70 + 60 × 30) ÷ 100 = 18; no rating yet, so it carries the whole total.
            #expect(later["total"] as? Double == 18 && later["grade"] as? String == "D", "\(later["total"] ?? "")")
            // Through the day they were reported, no case was yet due: nothing to score, no grade, no rank.
            let earlier = try await send(app, .GET, "/api/v1/assessment/plans/\(id)/scores?through=2026-11-18", headers: bearer(try await token(app, "district-admin")))
            let before = try #require((earlier.json["villages"] as? [[String: Any]])?.first { ($0["area"] as? [String: Any])?["code"] as? String == songziyuan })
            #expect(before["cases"] as? Int == 0 && before["grade"] == nil && before["rank"] == nil && before["total"] as? Double == 0, "\(before)")
        }
    }

    /// Complaints per 1,000 households reads the village's house register: three homes lived in (a shop is not one)
    /// under 松仔园; its residents' reports and 12345 transfers of the year ÷ 3 × 1000. A village with no house on
    /// its register has nothing to measure.
    @Test func complaintsPerThousandHouseholdsCountTheHousesLivedIn() async throws {
        try await withTestApp { app in
            try await DemoCases.load(app)
            #expect(try await DemoCaseHistory.load(app))
            let reference = try await app.caseReference.get(app.db)
            let village = try #require(reference.areasByCode[songziyuan])
            let building = try #require(reference.areas.values.filter { $0.kind == .building && $0.path.contains(village.id) }.min { $0.code < $1.code })
            let houses = HouseStore(db: app.db)
            for (unit, use) in [("101", HouseUse.residential), ("102", .rental), ("201", .mixed), ("301", .commercial)] {
                _ = try await houses.create(HouseTerms(building: building.code, unit: unit, addressCode: nil, use: use, rooms: nil, floorArea: nil), in: building, at: app.clock.now)
            }
            #expect(try await AssessmentStore(db: app.db).households(villages: [village]) == [village.id: 3])
            let admin = try await token(app, "district-admin")
            let m: [String: Any] = ["indicators": [["key": "1", "name": "千户诉求率", "weight": 100, "measure": "complaintsPerThousandHouseholds",
                                                   "bands": [["threshold": 100, "points": 100], ["threshold": 100_000, "points": 50]]]],
                                    "grades": [["grade": "A", "minimum": 90], ["grade": "D", "minimum": 0]]]
            let made = try await send(app, .POST, "/api/v1/assessment/plans", headers: bearer(admin), json: body(2026, "诉求", m))
            let id = try #require(made.json["id"] as? String, "\(made.text)")
            let scores = try await send(app, .GET, "/api/v1/assessment/plans/\(id)/scores", headers: bearer(admin))
            let villages = try #require(scores.json["villages"] as? [[String: Any]], "\(scores.text.prefix(300))")
            func leaf(_ code: String) -> [String: Any]? {
                (villages.first { ($0["area"] as? [String: Any])?["code"] as? String == code }?["indicators"] as? [[String: Any]])?.first
            }
            let year = (LocalDate(year: 2026, month: 1, day: 1).beijingMidnight, LocalDate(year: 2027, month: 1, day: 1).beijingMidnight)
            let complaints = try await AssessmentStore(db: app.db).assessedCases(villages: [village.id], from: year.0, until: year.1)
                .filter { $0.fromResident || $0.fromHotline }
            #expect(!complaints.isEmpty)
            let figure = try #require(leaf(songziyuan))
            #expect(figure["numerator"] as? Double == Double(complaints.count) && figure["denominator"] as? Double == 3, "\(figure)")
            #expect(figure["value"] as? Double == (Double(complaints.count) * 100_000 / 3).rounded() / 100)
            #expect((figure["evidence"] as? [String]) == Array(complaints.map(\.number).sorted().prefix(CaseMeasures.evidenceLimit)))
            #expect((figure["working"] as? String ?? figure["explanation"] as? String ?? "").contains("‰"), "\(figure)")
            let other = try #require(reference.areas.values.first { $0.kind == .village && $0.id != village.id })
            let none = try #require(leaf(other.code))
            #expect(none["points"] == nil && none["value"] == nil, "no house registered: \(none)")
        }
    }

    /// Each department assesses its own matters (谁委托谁监管): asked for one department, the scores count only the
    /// cases of the matters it entrusted; a department officer's scores are always its own department's; an unknown
    /// department is refused by its field; the console offers the choice and the exports follow it.
    @Test func aDepartmentsScoresCountOnlyItsMatters() async throws {
        try await withTestApp { app in
            try await DemoCases.load(app)
            #expect(try await DemoCaseHistory.load(app))
            let reference = try await app.caseReference.get(app.db)
            let housing = try #require(reference.orgs.values.first { $0.code == "LH-ZJJ" })
            let villages = reference.areas.values.filter { $0.kind == .village }.map(\.id)
            let admin = bearer(try await token(app, "district-admin"))
            // The demo's plan for this year, published (a department reads published plans only).
            #expect(try await DemoAssessment.load(app))
            let id = try #require(try await AssessmentStore(db: app.db).list(drafts: false).first { $0.year == 2026 }?.id.uuidString)
            func cases(_ answer: Reply) -> Int { (answer.json["villages"] as? [[String: Any]] ?? []).reduce(0) { $0 + ($1["cases"] as? Int ?? 0) } }
            let all = try await send(app, .GET, "/api/v1/assessment/plans/\(id)/scores", headers: admin)
            let own = try await send(app, .GET, "/api/v1/assessment/plans/\(id)/scores?department=LH-ZJJ", headers: admin)
            #expect(all.status == .ok && own.status == .ok && all.json["department"] == nil, "\(own.text.prefix(300))")
            #expect((own.json["department"] as? [String: Any])?["code"] as? String == "LH-ZJJ")
            // The year so far: the cases due by the end of today.
            let year = (LocalDate(year: 2026, month: 1, day: 1).beijingMidnight, LocalDate.beijing(app.clock.now).adding(days: 1).beijingMidnight)
            let store = AssessmentStore(db: app.db)
            let expected = try await store.assessedCases(villages: villages, from: year.0, until: year.1, department: housing.id).count
            let everything = try await store.assessedCases(villages: villages, from: year.0, until: year.1).count
            #expect(expected > 0 && cases(own) == expected && cases(all) == everything)
            #expect(cases(own) < cases(all))
            // By id too; the officer of the department gets its own matters, asked or not.
            let byID = try await send(app, .GET, "/api/v1/assessment/plans/\(id)/scores?department=\(housing.id.uuidString)", headers: admin)
            #expect(cases(byID) == expected)
            let officer = bearer(try await token(app, "dept-housing"))
            for query in ["", "?department=LH-ZJJ"] {
                let mine = try await send(app, .GET, "/api/v1/assessment/plans/\(id)/scores\(query)", headers: officer)
                #expect((mine.json["department"] as? [String: Any])?["code"] as? String == "LH-ZJJ" && cases(mine) == expected, "\(query): \(mine.text.prefix(200))")
            }
            let unknown = try await send(app, .GET, "/api/v1/assessment/plans/\(id)/scores?department=LH-NOPE", headers: admin)
            #expect(unknown.status == .unprocessableEntity && unknown.text.contains("department"), "\(unknown.status) \(unknown.text.prefix(200))")
            // Another department, asked by an officer: outside its scope, answered exactly as one that does not exist.
            let another = try await send(app, .GET, "/api/v1/assessment/plans/\(id)/scores?department=LH-CGJ", headers: officer)
            let missing = try await send(app, .GET, "/api/v1/assessment/plans/\(id)/scores?department=LH-NOPE", headers: officer)
            #expect(another.status == .unprocessableEntity && another.json["detail"] as? String == missing.json["detail"] as? String, "\(another.text.prefix(200))")
            let street = try await send(app, .GET, "/api/v1/assessment/plans/\(id)/scores?department=\(try #require(reference.orgs.values.first { $0.kind == .streetOffice }).code)", headers: admin)
            #expect(street.status == .unprocessableEntity, "a street office is no department")
            let csv = try await send(app, .GET, "/api/v1/assessment/plans/\(id)/scores/export.csv?department=LH-ZJJ", headers: admin)
            #expect(csv.status == .ok && (csv.headers.first(name: .contentDisposition) ?? "").contains("LH-ZJJ"))

            let (cookie, _) = try await webLogin(app, "district-admin")
            let page = try await send(app, .GET, "/assessment/plans/\(id)?department=LH-ZJJ", headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.text.contains("<option value=\"LH-ZJJ\" selected>") && page.text.contains("仅计该部门委托事项的案件")
                    && page.text.contains("export.csv?period=2026&amp;department=LH-ZJJ"), "\(page.status)")
            let (officerCookie, _) = try await webLogin(app, "dept-housing")
            let theirs = try await send(app, .GET, "/assessment/plans/\(id)", headers: ["Cookie": officerCookie])
            #expect(theirs.status == .ok && !theirs.text.contains("id=\"score-department\"") && theirs.text.contains("仅计该部门委托事项的案件"))
        }
    }
}
