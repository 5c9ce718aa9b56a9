@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import Foundation
import Testing
import Vapor

/// The steward's teams, work plans and their tasks over HTTP (issue 18 §2, §5, §9): made by the dispatcher, done by
/// the people they are given to, changed from a date without losing a task, missed when nobody does them, scoped.
@Suite("Operations: teams, plans and tasks")
struct OperationsTests {
    /// A village the demo steward serves (through its contracts) and the street it lies in.
    func stewardVillage(_ app: Application, _ dispatcher: HTTPHeaders) async throws -> (code: String, street: UUID?) {
        let areas = try await send(app, .GET, "/api/v1/areas?kind=village", headers: dispatcher)
        let list = try #require(areas.json["items"] as? [[String: Any]])
        let first = try #require(list.compactMap { $0["code"] as? String }.sorted().first, "the steward serves a village")
        let village = try #require(try await app.caseReference.get(app.db).areasByCode[first])
        return (first, village.streetID)
    }

    func tasks(_ reply: Reply) -> [[String: Any]] { reply.json["items"] as? [[String: Any]] ?? [] }

    @Test func theDispatcherPlansTheTeamDoesTheWorkAndAChangeLosesNothing() async throws {
        try await withTestApp { app in
            let dispatcher = bearer(try await token(app, "steward-dispatch"))
            let patrol = bearer(try await token(app, "steward-patrol"))
            let patrolUser = try #require(try await DirectoryStore(db: app.db).user(username: "steward-patrol"))
            let (village, _) = try await stewardVillage(app, dispatcher)

            // A team of the company's own staff; a stranger or an unknown kind is refused by its field.
            let badTeam = try await send(app, .POST, "/api/v1/teams", headers: dispatcher, json: ["name": "保洁一组", "kind": "dancing", "members": [UUID().uuidString]])
            #expect(badTeam.status == .unprocessableEntity && badTeam.json["field"] as? String == "kind,members", "\(badTeam.text)")
            let team = try await send(app, .POST, "/api/v1/teams", headers: dispatcher,
                                      json: ["name": "保洁一组", "kind": "cleaning", "members": [patrolUser.id.uuidString], "lead": patrolUser.id.uuidString])
            #expect(team.status == .created, "\(team.text)")
            let teamID = try #require(team.json["id"] as? String)
            #expect((team.json["members"] as? [[String: Any]])?.first?["name"] as? String == patrolUser.displayName)
            #expect(try await send(app, .POST, "/api/v1/teams", headers: patrol, json: ["name": "二组", "kind": "repair"]).status == .forbidden)

            // A daily round 07:00–09:00 from today (Wednesday 18 November 2026): today's and the next two days' tasks are made at once.
            let refused = try await send(app, .POST, "/api/v1/work-plans", headers: dispatcher,
                                         json: ["name": "主街清扫", "kind": "cleaning", "area": village, "repeats": "days", "every": 1, "holidays": "keep",
                                                "windowStart": "09:00", "windowEnd": "07:00", "starts": "2026-11-17", "assignee": "team:\(teamID)"])
            #expect(refused.status == .unprocessableEntity && refused.json["field"] as? String == "windowEnd,starts", "\(refused.text)")
            let made = try await send(app, .POST, "/api/v1/work-plans", headers: dispatcher,
                                      json: ["name": "主街清扫", "kind": "cleaning", "area": village, "repeats": "days", "every": 1, "holidays": "keep",
                                             "windowStart": "07:00", "windowEnd": "18:00", "starts": "2026-11-18", "assignee": "team:\(teamID)"])
            #expect(made.status == .created, "\(made.text)")
            let plan = try #require(made.json["plan"] as? [String: Any])
            let planID = try #require(plan["id"] as? String)
            #expect(plan["generatedThrough"] as? String == "2026-11-20" && plan["schedule"] as? String == "每天")
            #expect((made.json["upcoming"] as? [String])?.prefix(3) == ["2026-11-18", "2026-11-19", "2026-11-20"])
            let all = try await send(app, .GET, "/api/v1/tasks?from=2026-11-18&through=2026-11-30&plan=\(planID)", headers: dispatcher)
            #expect(all.json["total"] as? Int == 3 && tasks(all).map { $0["date"] as? String } == ["2026-11-18", "2026-11-19", "2026-11-20"], "\(all.text)")

            // The patroller's day: today's task, given to its team; started and completed in its window, on time.
            let mine = try await send(app, .GET, "/api/v1/tasks", headers: patrol)
            let today = try #require(tasks(mine).first)
            let taskID = try #require(today["id"] as? String)
            #expect(tasks(mine).count == 1 && (today["assignee"] as? [String: Any])?["kind"] as? String == "team")
            #expect(try await send(app, .POST, "/api/v1/tasks/\(taskID)/actions", headers: patrol, json: ["action": "start"]).json["state"] as? String == "started")
            let done = try await send(app, .POST, "/api/v1/tasks/\(taskID)/actions", headers: patrol, json: ["action": "complete", "note": "主街已清扫"])
            #expect(done.status == .ok && done.json["state"] as? String == "done" && done.json["onTime"] as? Bool == true, "\(done.text)")
            // Sent again (a retry on a poor signal): the same answer, stored once.
            let again = try await send(app, .POST, "/api/v1/tasks/\(taskID)/actions", headers: patrol, json: ["action": "complete", "note": "主街已清扫"])
            #expect(again.status == .ok && again.json["doneAt"] as? String == done.json["doneAt"] as? String)
            // Tomorrow's task cannot be started today.
            let tomorrowID = try #require(tasks(all)[1]["id"] as? String)
            #expect(try await send(app, .POST, "/api/v1/tasks/\(tomorrowID)/actions", headers: patrol, json: ["action": "start"]).status == .unprocessableEntity)

            // Scope: another street's officer and a department with no matter in it find nothing; the street sees the plan.
            let guanlan = bearer(try await token(app, "street-guanlan"))
            #expect(try await send(app, .GET, "/api/v1/work-plans/\(planID)", headers: guanlan).status == .notFound)
            #expect(try await send(app, .GET, "/api/v1/tasks/\(taskID)", headers: guanlan).status == .notFound)
            #expect(try await send(app, .GET, "/api/v1/work-plans/\(planID)", headers: bearer(try await token(app, "dept-housing"))).status == .notFound)
            #expect(try await send(app, .GET, "/api/v1/work-plans/\(planID)", headers: bearer(try await token(app, "auditor"))).status == .ok)
            #expect(try await send(app, .GET, "/api/v1/tasks", headers: bearer(try await token(app, "resident-demo"))).status == .forbidden)

            // A change from tomorrow: weekdays only, to the patroller alone. Tomorrow's and the next day's tasks (nobody began
            // them) are superseded, kept; the new version's are made; today's done task stays as it was.
            let past = try await send(app, .POST, "/api/v1/work-plans/\(planID)/versions", headers: dispatcher, json: ["effectiveFrom": "2026-11-17", "reason": ""])
            #expect(past.status == .unprocessableEntity && past.json["field"] as? String == "effectiveFrom,reason", "\(past.text)")
            let changed = try await send(app, .POST, "/api/v1/work-plans/\(planID)/versions", headers: dispatcher,
                                         json: ["effectiveFrom": "2026-11-19", "reason": "改为工作日由专人负责", "repeats": "weekly", "weekdays": [1, 2, 3, 4, 5],
                                                "assignee": "person:\(patrolUser.id.uuidString)"])
            #expect(changed.status == .created && changed.json["superseded"] as? Int == 2, "\(changed.text)")
            #expect((changed.json["versions"] as? [[String: Any]])?.map { $0["number"] as? Int } == [1, 2])
            let after = try await send(app, .GET, "/api/v1/tasks?from=2026-11-18&through=2026-11-30&plan=\(planID)", headers: dispatcher)
            #expect(tasks(after).map { "\($0["date"] as? String ?? "")/\($0["state"] as? String ?? "")/v\($0["planVersion"] as? Int ?? 0)" }.sorted()
                    == ["2026-11-18/done/v1", "2026-11-19/scheduled/v2", "2026-11-19/superseded/v1", "2026-11-20/scheduled/v2", "2026-11-20/superseded/v1"])
            let trail = try await AuditStore(db: app.db).list(AuditStore.Filter(action: "plan.changed")).rows.map(\.detail)
            #expect(trail.first?.contains("v2 from 2026-11-19") == true && trail.count == 2)

            // Three days later the job makes the next working days' tasks and marks missed the ones nobody did.
            app.testClock.advance(by: 3 * 86_400)   // Saturday 21 November, 10:00
            let round = try await TaskScheduling.round(app, holder: "test", leaseSeconds: 60)
            let dispatcherNow = bearer(try await token(app, "steward-dispatch"))   // a token lasts a working day
            #expect(round.missed == 1, "Thursday's task was not done by Friday's window end")
            let later = try await send(app, .GET, "/api/v1/tasks?from=2026-11-18&through=2026-11-30&plan=\(planID)&state=scheduled", headers: dispatcherNow)
            #expect(tasks(later).map { $0["date"] as? String } == ["2026-11-20", "2026-11-23"], "Friday still open (late), Monday made; the weekend skipped")
            #expect(tasks(later).first?["late"] as? Bool == true)
            #expect(try await TaskScheduling.round(app, holder: "test", leaseSeconds: 60).made == 0, "a second round makes nothing twice")

            // The figures: per village and kind, superseded tasks not counted.
            let figures = try await send(app, .GET, "/api/v1/operations/completion?from=2026-11-18&through=2026-11-20", headers: bearer(try await token(app, "district-admin")))
            let row = try #require((figures.json["rows"] as? [[String: Any]])?.first { ($0["area"] as? [String: Any])?["code"] as? String == village })
            #expect(row["due"] as? Int == 3 && row["done"] as? Int == 1 && row["missed"] as? Int == 1 && row["open"] as? Int == 1, "\(figures.text)")
            #expect(row["completionRate"] as? Double == 33.3 && row["onTimeRate"] as? Double == 33.3)

            // Workload and staffing over the same days: the one task done, by one person; the period is bounded.
            let load = try await send(app, .GET, "/api/v1/operations/workload?from=2026-11-18&through=2026-11-20", headers: bearer(try await token(app, "district-admin")))
            let staffing = try #require((load.json["villages"] as? [[String: Any]])?.first { ($0["area"] as? [String: Any])?["code"] as? String == village }, "\(load.text)")
            #expect(staffing["tasksDue"] as? Int == 3 && staffing["tasksDone"] as? Int == 1 && staffing["people"] as? Int == 1 && staffing["tasksPerPerson"] as? Double == 1)
            #expect((load.json["people"] as? [[String: Any]])?.first?["tasksDone"] as? Int == 1)
            let tooLong = try await send(app, .GET, "/api/v1/operations/workload?from=2026-01-01&through=2026-11-20", headers: bearer(try await token(app, "district-admin")))
            #expect(tooLong.status == .unprocessableEntity && tooLong.json["field"] as? String == "through")
            #expect(try await send(app, .GET, "/api/v1/operations/workload", headers: bearer(try await token(app, "resident-demo"))).status == .forbidden)
        }
    }

    @Test func aPageOfTasksFollowsOnWithoutRepeatsAndBadFiltersAreRefused() async throws {
        try await withTestApp { app in
            let dispatcher = bearer(try await token(app, "steward-dispatch"))
            let (village, _) = try await stewardVillage(app, dispatcher)
            for name in ["早班清扫", "午班清扫", "晚班清扫"] {
                let made = try await send(app, .POST, "/api/v1/work-plans", headers: dispatcher,
                                          json: ["name": name, "kind": "cleaning", "area": village, "repeats": "days", "every": 1, "holidays": "keep",
                                                 "windowStart": "07:00", "windowEnd": "09:00", "starts": "2026-11-18"])
                #expect(made.status == .created, "\(made.text)")
            }
            var seen: [String] = []
            var after = ""
            repeat {
                let page = try await send(app, .GET, "/api/v1/tasks?from=2026-11-18&through=2026-11-20&limit=4&after=\(after)", headers: dispatcher)
                #expect(page.status == .ok && page.json["total"] as? Int == 9, "\(page.text)")
                seen += tasks(page).compactMap { $0["id"] as? String }
                after = page.json["next"] as? String ?? ""
            } while !after.isEmpty
            #expect(seen.count == 9 && Set(seen).count == 9)
            for bad in ["from=2026-1-5", "state=finished", "limit=0", "mine=maybe", "from=2026-11-01&through=2027-03-01"] {
                let reply = try await send(app, .GET, "/api/v1/tasks?\(bad)", headers: dispatcher)
                #expect(reply.status == .badRequest || reply.status == .unprocessableEntity, "\(bad): \(reply.status)")
            }
            #expect(try await send(app, .GET, "/api/v1/tasks?after=\(UUID().uuidString)", headers: dispatcher).status == .unprocessableEntity)
            // The district office plans in a steward's village too; the plan belongs to that steward.
            let admin = bearer(try await token(app, "district-admin"))
            let byAdmin = try await send(app, .POST, "/api/v1/work-plans", headers: admin,
                                         json: ["name": "消防器材月检", "kind": "fireCheck", "area": village, "repeats": "monthly", "monthDay": 1, "holidays": "nextWorkingDay",
                                                "windowStart": "09:00", "windowEnd": "17:00", "starts": "2026-11-18"])
            #expect(byAdmin.status == .created && (byAdmin.json["plan"] as? [String: Any])?["steward"] as? String == DemoDistrict.stewardCode, "\(byAdmin.text)")
            #expect((byAdmin.json["upcoming"] as? [String])?.first == "2026-12-01", "\(byAdmin.json["upcoming"] ?? "")")
            #expect(try await send(app, .POST, "/api/v1/work-plans", headers: bearer(try await token(app, "street-minzhi")),
                                   json: ["name": "x", "kind": "cleaning", "area": village]).status == .forbidden)
        }
    }

    @Test func theConsoleShowsCompletionKeepsWhatWasTypedAndTheStaffDoTheirDayOnTheTaskList() async throws {
        try await withTestApp { app in
            #expect(try await DemoOperations.load(app))
            #expect(!(try await DemoOperations.load(app)), "loaded once")
            let (cookie, _) = try await webLogin(app, "steward-dispatch")
            let overview = try await send(app, .GET, "/operations", headers: ["Cookie": cookie])
            #expect(overview.status == .ok && overview.text.contains("主街巷道清扫保洁") && overview.text.contains("id=\"completion\""), "\(overview.status)")
            #expect(overview.text.contains("href=\"/operations\""), "the navigation links it")
            let csrf = try #require(overview.csrfToken)
            let (village, _) = try await stewardVillage(app, bearer(try await token(app, "steward-dispatch")))
            var form = ["_csrf": csrf, "name": "公厕消杀", "kind": "disinfection", "area": village, "repeats": "weekly", "holidays": "keep",
                        "windowStart": "14:00", "windowEnd": "13:00", "starts": "2026-11-18", "assignee": ""]
            let refused = try await send(app, .POST, "/work-plans", headers: ["Cookie": cookie], form: form)
            #expect(refused.status == .unprocessableEntity && refused.text.contains("id=\"plan-weekdays-error\"") && refused.text.contains("id=\"plan-window-end-error\""))
            #expect(refused.text.contains("value=\"公厕消杀\"") && refused.text.contains("<option value=\"disinfection\" selected>"), "what was typed is kept")
            form["windowEnd"] = "16:00"
            form["weekdays[]"] = "2"
            let made = try await send(app, .POST, "/work-plans", headers: ["Cookie": cookie], form: form)
            let path = try #require(made.location, "\(made.status) \(made.text.prefix(300))")
            let page = try await send(app, .GET, path, headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.text.contains("公厕消杀") && page.text.contains("2026-11-24"), "Tuesdays: the next is 24 November")
            let change = try await send(app, .POST, path + "/versions", headers: ["Cookie": cookie],
                                        form: ["_csrf": csrf, "name": "公厕消杀", "kind": "disinfection", "repeats": "weekly", "weekdays[]": "4", "holidays": "keep",
                                               "windowStart": "14:00", "windowEnd": "16:00", "starts": "2026-11-18", "effectiveFrom": "2026-11-19", "reason": "x"])
            #expect(change.status == .unprocessableEntity && change.text.contains("id=\"plan-reason-error\"") && change.text.contains("<input type=\"checkbox\" name=\"weekdays[]\" value=\"4\" checked>"))

            // The team page and a team made from the form.
            let teams = try await send(app, .GET, "/teams", headers: ["Cookie": cookie])
            #expect(teams.status == .ok && teams.text.contains("保洁一组"))
            let patrolUser = try #require(try await DirectoryStore(db: app.db).user(username: "steward-patrol"))
            let team = try await send(app, .POST, "/teams", headers: ["Cookie": cookie],
                                      form: ["_csrf": csrf, "name": "维修班", "kind": "repair", "members[]": patrolUser.id.uuidString, "lead": patrolUser.id.uuidString])
            #expect(team.location?.hasPrefix("/teams/") == true, "\(team.status)")

            // The patroller's day: today's cleaning round on the task list, completed from there; a second send changes nothing.
            let (patrolCookie, _) = try await webLogin(app, "steward-patrol")
            let day = try await send(app, .GET, "/tasks", headers: ["Cookie": patrolCookie])
            #expect(day.status == .ok && day.text.contains("主街巷道清扫保洁") && day.text.contains("action=\"/work-tasks/"))
            let todays = try await WorkPlanStore(db: app.db).tasks(.all, TaskFilter(from: LocalDate("2026-11-18")!, through: LocalDate("2026-11-18")!, state: .scheduled))
            let cleaning = try #require(todays.first { $0.name == "主街巷道清扫保洁" })
            let patrolCSRF = try #require(day.csrfToken)
            for _ in 0..<2 {
                let done = try await send(app, .POST, "/work-tasks/\(cleaning.id.uuidString.lowercased())/actions", headers: ["Cookie": patrolCookie],
                                          form: ["_csrf": patrolCSRF, "action": "complete", "note": "已完成"])
                #expect(done.status == .seeOther && done.location == "/tasks#task-\(cleaning.id.uuidString.lowercased())", "\(done.status)")
            }
            let stored = try await WorkPlanStore(db: app.db).task(cleaning.id, .all)
            #expect(stored.state == "done" && stored.note == "已完成")
        }
    }
}
