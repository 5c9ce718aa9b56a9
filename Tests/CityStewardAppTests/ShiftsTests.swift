@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import Testing
import Vapor

/// Shifts (排班, issue 18 §5) over HTTP: a roster on the working calendar, nobody on two shifts at once, each shift's
/// tasks and cases, the roster beside the work per village, cancelling what has not begun, scoped like the rest of operations.
@Suite("Operations: shifts")
struct ShiftsTests {
    func items(_ r: Reply) -> [[String: Any]] { r.json["items"] as? [[String: Any]] ?? [] }

    func demoTeams(_ app: Application) async throws -> (cleaning: String, repair: String) {
        let teams = try await TeamStore(db: app.db).list(orgs: nil)
        let cleaning = try #require(teams.first { $0.row.name == "保洁一组" }).row.id.uuidString.lowercased()
        let repair = try #require(teams.first { $0.row.name == "维修一组" }).row.id.uuidString.lowercased()
        return (cleaning, repair)
    }

    @Test func theDispatcherRostersTheWeekNobodyIsOnTwoShiftsAndEachShiftCountsItsWork() async throws {
        try await withTestApp { app in
            #expect(try await DemoOperations.load(app))
            let dispatcher = bearer(try await token(app, "steward-dispatch"))
            let patrol = bearer(try await token(app, "steward-patrol"))
            let patroller = try #require(try await DirectoryStore(db: app.db).user(username: "steward-patrol"))
            let (village, _) = try await OperationsTests().stewardVillage(app, dispatcher)
            let (cleaning, repair) = try await demoTeams(app)

            // Every problem of the form at once, by field; nothing stored.
            let bad = try await send(app, .POST, "/api/v1/shifts", headers: dispatcher,
                                     json: ["team": UUID().uuidString, "area": village, "from": "2026-11-17", "through": "2026-11-20", "start": "08:00",
                                            "end": "17:00", "days": "weekly", "weekdays": [Int]()])
            #expect(bad.status == .unprocessableEntity && bad.json["field"] as? String == "team,from,weekdays", "\(bad.text)")

            // Working days from Thursday 19 to Wednesday 25 November, 06:00–14:00: the weekend left out.
            let week = try await send(app, .POST, "/api/v1/shifts", headers: dispatcher,
                                      json: ["team": cleaning, "area": village, "from": "2026-11-19", "through": "2026-11-25", "start": "06:00", "end": "14:00",
                                             "days": "working", "note": "早班"])
            #expect(week.status == .created && week.json["count"] as? Int == 5, "\(week.text)")
            #expect(items(week).map { $0["date"] as? String } == ["2026-11-19", "2026-11-20", "2026-11-23", "2026-11-24", "2026-11-25"])
            #expect((items(week).first?["people"] as? [[String: Any]])?.map { $0["name"] as? String } == [patroller.displayName], "the whole team")

            // The same person on an overlapping shift is refused, named; a shift already begun today too.
            let twice = try await send(app, .POST, "/api/v1/shifts", headers: dispatcher,
                                       json: ["team": cleaning, "area": village, "from": "2026-11-20", "through": "2026-11-20", "start": "12:00", "end": "20:00"])
            #expect(twice.status == .unprocessableEntity && twice.json["field"] as? String == "members", "\(twice.text)")
            #expect(twice.text.contains(patroller.displayName) && twice.text.contains("2026-11-20 06:00"))
            let begun = try await send(app, .POST, "/api/v1/shifts", headers: dispatcher,
                                       json: ["team": repair, "area": village, "from": "2026-11-18", "through": "2026-11-18", "start": "08:00", "end": "12:00"])
            #expect(begun.status == .unprocessableEntity && begun.json["field"] as? String == "start", "\(begun.text)")
            // A night shift tonight and tomorrow for the repair team: it ends the next morning.
            let nights = try await send(app, .POST, "/api/v1/shifts", headers: dispatcher,
                                        json: ["team": repair, "area": village, "from": "2026-11-18", "through": "2026-11-19", "start": "20:00", "end": "08:00"])
            #expect(nights.status == .created && nights.json["count"] as? Int == 2, "\(nights.text)")
            let night = try #require(items(nights).first)
            #expect(night["start"] as? String == "20:00" && night["end"] as? String == "08:00" && night["endsAt"] as? String == "2026-11-19T00:00:00Z")
            let nightID = try #require(night["id"] as? String)

            // The patroller's morning: the cleaning round given to its team, done during the shift.
            app.testClock.advance(by: 22 * 3600)   // Thursday 19 November, 08:00
            let patrolNow = bearer(try await token(app, "steward-patrol"))
            let dispatcherNow = bearer(try await token(app, "steward-dispatch"))
            let today = try await send(app, .GET, "/api/v1/tasks", headers: patrolNow)
            let round = try #require(items(today).first { ($0["window"] as? [String: Any])?["start"] as? String == "06:30" || $0["name"] as? String == "主街巷道清扫保洁" })
            let roundID = try #require(round["id"] as? String)
            #expect(try await send(app, .POST, "/api/v1/tasks/\(roundID)/actions", headers: patrolNow, json: ["action": "start"]).status == .ok)
            app.testClock.advance(by: 40 * 60)
            #expect(try await send(app, .POST, "/api/v1/tasks/\(roundID)/actions", headers: patrolNow, json: ["action": "complete"]).status == .ok)
            let thursday = try await send(app, .GET, "/api/v1/shifts?from=2026-11-19&through=2026-11-19&team=\(cleaning)", headers: dispatcherNow)
            let figures = try #require(items(thursday).first?["figures"] as? [String: Any], "\(thursday.text)")
            #expect(thursday.json["total"] as? Int == 1)
            #expect(figures["tasksDone"] as? Int == 1 && figures["minutesSpent"] as? Int == 40 && figures["personHours"] as? Double == 8, "\(figures)")
            #expect(figures["tasksDue"] as? Int == 1, "the round opening at 06:30; the evening round is not in the shift")

            // Per village, the roster beside the work: 5 shifts of one person, 8 hours each, and the two nights of one.
            let load = try await send(app, .GET, "/api/v1/operations/workload?from=2026-11-18&through=2026-11-25", headers: dispatcherNow)
            let staffing = try #require((load.json["villages"] as? [[String: Any]])?.first { ($0["area"] as? [String: Any])?["code"] as? String == village }, "\(load.text)")
            #expect(staffing["rosteredShifts"] as? Int == 7 && staffing["rosteredPeople"] as? Int == 2 && staffing["rosteredHours"] as? Double == 64, "\(staffing)")

            // Line staff see their own shifts and roster nothing; another's shift answers as missing.
            let own = try await send(app, .GET, "/api/v1/shifts?from=2026-11-19&through=2026-11-25", headers: patrolNow)
            #expect(own.json["total"] as? Int == 5 && items(own).allSatisfy { (($0["team"] as? [String: Any])?["id"] as? String)?.lowercased() == cleaning })
            #expect(try await send(app, .GET, "/api/v1/shifts/\(nightID)", headers: patrolNow).status == .notFound)
            #expect(try await send(app, .POST, "/api/v1/shifts", headers: patrolNow, json: ["team": cleaning]).status == .forbidden)
            // Scope: another street and a department see none; the auditor sees all.
            #expect(try await send(app, .GET, "/api/v1/shifts?from=2026-11-19&through=2026-11-25", headers: bearer(try await token(app, "street-guanlan"))).json["total"] as? Int == 0)
            #expect(try await send(app, .GET, "/api/v1/shifts/\(nightID)", headers: bearer(try await token(app, "dept-housing"))).status == .notFound)
            #expect(try await send(app, .GET, "/api/v1/shifts?from=2026-11-18&through=2026-11-25", headers: bearer(try await token(app, "auditor"))).json["total"] as? Int == 7)
            #expect(try await send(app, .GET, "/api/v1/shifts", headers: bearer(try await token(app, "resident-demo"))).status == .forbidden)
            _ = patrol

            // Bad filters: a clear 4xx by field.
            let long = try await send(app, .GET, "/api/v1/shifts?from=2026-11-01&through=2026-12-15", headers: dispatcherNow)
            #expect(long.status == .unprocessableEntity && long.json["field"] as? String == "through")
            #expect(try await send(app, .GET, "/api/v1/shifts?team=x", headers: dispatcherNow).status == .badRequest)
            #expect(try await send(app, .GET, "/api/v1/shifts?limit=0", headers: dispatcherNow).status == .badRequest)

            // Cancelling: from Monday on, the rest of the roster; a shift begun (tonight's already ended) stays.
            let monday = try #require(items(week).first { $0["date"] as? String == "2026-11-23" }?["id"] as? String)
            let cancelled = try await send(app, .POST, "/api/v1/shifts/\(monday)/cancel", headers: dispatcherNow, json: ["following": true])
            #expect(cancelled.status == .ok && cancelled.json["cancelled"] as? Int == 3, "\(cancelled.text)")
            #expect(try await send(app, .POST, "/api/v1/shifts/\(monday)/cancel", headers: dispatcherNow).status == .conflict)
            #expect(try await send(app, .POST, "/api/v1/shifts/\(nightID)/cancel", headers: dispatcherNow).status == .conflict)
            #expect(try await send(app, .POST, "/api/v1/shifts/\(UUID())/cancel", headers: dispatcherNow).status == .notFound)
            let left = try await send(app, .GET, "/api/v1/shifts?from=2026-11-19&through=2026-11-25&team=\(cleaning)", headers: dispatcherNow)
            #expect(items(left).map { $0["date"] as? String } == ["2026-11-19", "2026-11-20"])
            let withCancelled = try await send(app, .GET, "/api/v1/shifts?from=2026-11-19&through=2026-11-25&team=\(cleaning)&cancelled=true", headers: dispatcherNow)
            #expect(withCancelled.json["total"] as? Int == 5 && items(withCancelled).filter { $0["cancelled"] as? Bool == true }.count == 3)
            // The cancelled days are free again.
            let again = try await send(app, .POST, "/api/v1/shifts", headers: dispatcherNow,
                                       json: ["team": cleaning, "area": village, "from": "2026-11-23", "through": "2026-11-23", "start": "07:00", "end": "15:00"])
            #expect(again.status == .created, "\(again.text)")
            let trail = try await AuditStore(db: app.db).list(AuditStore.Filter(action: "roster.changed")).rows.map(\.detail)
            #expect(trail.count == 4 && trail.contains { $0.hasPrefix("cancelled 3 shifts from 2026-11-23") })
        }
    }

    @Test func theRosterPageKeepsWhatWasTypedAndTheStaffSeeTheirShiftsOnTheirDay() async throws {
        try await withTestApp { app in
            #expect(try await DemoOperations.load(app))
            let (village, _) = try await OperationsTests().stewardVillage(app, bearer(try await token(app, "steward-dispatch")))
            let (cleaning, _) = try await demoTeams(app)
            let (cookie, _) = try await webLogin(app, "steward-dispatch")
            let page = try await send(app, .GET, "/shifts", headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.text.contains("id=\"new-roster\"") && page.text.contains("2026-11-18 周三"), "\(page.status)")
            let csrf = try #require(page.csrfToken)
            var form = ["_csrf": csrf, "team": cleaning, "area": village, "from": "2026-11-19", "through": "2026-11-18", "start": "07:00", "end": "15:00",
                        "days": "weekly", "note": "周末保洁"]
            let refused = try await send(app, .POST, "/shifts", headers: ["Cookie": cookie], form: form)
            #expect(refused.status == .unprocessableEntity && refused.text.contains("id=\"roster-through-error\"") && refused.text.contains("id=\"roster-weekdays-error\""))
            #expect(refused.text.contains("value=\"周末保洁\"") && refused.text.contains("<input type=\"radio\" name=\"days\" value=\"weekly\" checked>"), "what was typed is kept")
            form["through"] = "2026-11-29"
            form["weekdays[]"] = "6"
            let made = try await send(app, .POST, "/shifts", headers: ["Cookie": cookie], form: form)
            let path = try #require(made.location, "\(made.status) \(made.text.prefix(300))")
            #expect(path.hasPrefix("/shifts?from=2026-11-21"))
            let week = try await send(app, .GET, path, headers: ["Cookie": cookie])
            #expect(week.status == .ok && week.text.contains("07:00–15:00") && week.text.contains("周末保洁"))
            // The patroller's day lists its shifts.
            let (patrolCookie, _) = try await webLogin(app, "steward-patrol")
            let day = try await send(app, .GET, "/tasks", headers: ["Cookie": patrolCookie])
            #expect(day.status == .ok && day.text.contains("id=\"my-shifts\"") && day.text.contains("2026-11-21 07:00–15:00"))
            // Cancelling from the page.
            let shift = try #require(try await ShiftStore(db: app.db).list(.all, ShiftFilter(from: testStart, until: testStart.addingTimeInterval(30 * 86_400))).first)
            let cancel = try await send(app, .POST, "/shifts/\(shift.row.id.uuidString.lowercased())/cancel", headers: ["Cookie": cookie],
                                        form: ["_csrf": csrf, "following": "on", "from": "2026-11-21"])
            #expect(cancel.status == .seeOther && cancel.location == "/shifts?from=2026-11-21")
            #expect(try await ShiftStore(db: app.db).list(.all, ShiftFilter(from: testStart, until: testStart.addingTimeInterval(30 * 86_400))).isEmpty)
        }
    }
}
