@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import Testing
import VaporTesting

/// Activities for residents (issue 20 §2) over HTTP: organised within the organiser's villages, shown on the village's
/// page, signed up for on the portal (phone sealed, capacity kept, the same phone once), checked in by the code at the
/// place (position flagged, walk-ins marked), cancelled or reported afterwards with pictures; the village's theme.
@Suite("Activities for residents")
struct ActivitiesTests {
    let songziyuan = "440309002001V01", langkou = "440309004005V01"

    func body(_ at: GeoPoint, capacity: Int? = 2, title: String = "客家麒麟舞体验") -> [String: Any] {
        var b: [String: Any] = ["kind": "villageTheme", "title": title, "description": "学舞麒麟，听客家山歌。\n老少皆宜。", "area": songziyuan,
                                "place": "松仔园村委会广场", "lat": at.lat, "long": at.long, "radius": 80,
                                "startsAt": "2026-11-20 19:00", "endsAt": "2026-11-20T21:00:00+08:00", "organiser": "松仔园社区党支部"]
        if let capacity { b["capacity"] = capacity }
        return b
    }

    /// A resident's form on the portal: the page for its CSRF token and session, then the POST from another address.
    func portalPost(_ app: Application, page: String, to path: String, from address: String, form: [String: String]) async throws -> Reply {
        let get = try await send(app, .GET, page, headers: ["X-Forwarded-For": address])
        let cookie = try #require(get.sessionCookie), csrf = try #require(get.csrfToken)
        var fields = form
        fields["_csrf"] = csrf
        return try await send(app, .POST, path, headers: ["Cookie": cookie, "X-Forwarded-For": address], form: fields)
    }

    @Test func organisedSignedUpCheckedInAndReported() async throws {
        try await withTestApp { app in
            let minzhi = bearer(try await token(app, "street-minzhi")), guanlan = bearer(try await token(app, "street-guanlan"))
            let here = try await gridCentre(app, songziyuan, 2)
            // Refused by field, nothing written; another street's village is not the caller's; a bad kind cannot be read.
            var far = body(here)
            far["area"] = langkou
            let outside = try await send(app, .POST, "/api/v1/activities", headers: minzhi, json: far)
            #expect(outside.status == .unprocessableEntity && (outside.json["field"] as? String ?? "").contains("area"), "\(outside.text)")
            let empty = try await send(app, .POST, "/api/v1/activities", headers: minzhi, json: ["kind": "culture", "startsAt": "2026-11-01 10:00"])
            #expect(empty.status == .unprocessableEntity)
            #expect(Set((empty.json["field"] as? String ?? "").split(separator: ",").map(String.init))
                    == ["title", "description", "area", "place", "organiser", "position", "startsAt", "endsAt"], "\(empty.text)")
            #expect(try await send(app, .POST, "/api/v1/activities", headers: minzhi, json: ["kind": "party"]).status == .badRequest)
            #expect(try await send(app, .POST, "/api/v1/activities", headers: bearer(try await token(app, "resident-demo")), json: body(here)).status == .forbidden)
            #expect((try await send(app, .GET, "/api/v1/activities", headers: minzhi).json["items"] as? [Any])?.count == 0, "nothing half written")

            let made = try await send(app, .POST, "/api/v1/activities", headers: minzhi, json: body(here))
            #expect(made.status == .created, "\(made.text)")
            let activity = try #require(made.json["activity"] as? [String: Any])
            let id = try #require(activity["id"] as? String)
            let checkinURL = try #require(activity["checkinURL"] as? String)
            let code = String(try #require(checkinURL.split(separator: "/").last))
            #expect(activity["status"] as? String == "upcoming" && activity["capacity"] as? Int == 2 && activity["when"] as? String == "2026-11-20 19:00 – 21:00")
            #expect(try await send(app, .GET, "/api/v1/activities/\(id)", headers: guanlan).status == .notFound, "outside a scope: missing")
            #expect((try await send(app, .GET, "/api/v1/activities", headers: guanlan).json["items"] as? [Any])?.count == 0)

            // On the village's page; its own page has the sign-up form.
            let village = try await send(app, .GET, "/v/\(songziyuan)")
            #expect(village.text.contains("客家麒麟舞体验") && village.text.contains("href=\"/a/\(id)\""))
            let page = try await send(app, .GET, "/a/\(id)?lang=en")
            #expect(page.status == .ok && page.text.contains("<p>老少皆宜。</p>") && page.text.contains("id=\"signup-form\""))

            // Sign-ups: bad input by field; then two residents fill it; a third finds it full; the first again is the same one.
            let bad = try await portalPost(app, page: "/a/\(id)", to: "/a/\(id)/signup", from: "198.51.100.1", form: ["name": "", "phone": "12345"])
            #expect(bad.status == .unprocessableEntity && bad.text.contains("aria-invalid=\"true\" aria-describedby=\"signup-name-error\"") && bad.text.contains("value=\"12345\""))
            let first = try await portalPost(app, page: "/a/\(id)", to: "/a/\(id)/signup", from: "198.51.100.1", form: ["name": "张小红", "phone": "138 0013 8001"])
            #expect(first.status == .seeOther, "\(first.text)")
            let receipt = try #require(first.headers.first(name: .location))
            #expect(receipt.hasPrefix("/a/s/") && receipt.hasSuffix("?new=1"))
            let shown = try await send(app, .GET, receipt)
            #expect(shown.status == .ok && shown.text.contains("138****8001") && shown.text.contains("张**") && !shown.text.contains("张小红"))
            #expect(shown.text.contains("<meta name=\"referrer\" content=\"no-referrer\">"), "the link is never sent on")
            let again = try await portalPost(app, page: "/a/\(id)", to: "/a/\(id)/signup", from: "198.51.100.1", form: ["name": "张小红", "phone": "+86 138 0013 8001"])
            #expect(again.status == .ok && again.text.contains("已经报名"), "the same phone: told, not signed up twice")
            let second = try await portalPost(app, page: "/a/\(id)", to: "/a/\(id)/signup", from: "198.51.100.2", form: ["name": "李四", "phone": "13800138002"])
            #expect(second.status == .seeOther)
            let full = try await send(app, .GET, "/a/\(id)")
            #expect(full.text.contains("名额已满") && !full.text.contains("id=\"signup-form\""), "full: said, no form")
            // Sealed at rest: no number or name in the row's text.
            let rows = try await ActivityStore(db: app.db).signups(of: try #require(UUID(uuidString: id)))
            #expect(rows.count == 2 && !rows.contains { $0.phoneSealed.contains("138") || $0.nameSealed.contains("张") })
            // The second cancels by its link: the place is free again and the third gets it.
            let secondReceipt = try #require(second.headers.first(name: .location)).replacingOccurrences(of: "?new=1", with: "")
            let cancelled = try await portalPost(app, page: secondReceipt, to: secondReceipt + "/cancel", from: "198.51.100.2", form: [:])
            #expect(cancelled.status == .seeOther)
            #expect(try await send(app, .GET, secondReceipt).text.contains("已取消报名"))
            let third = try await portalPost(app, page: "/a/\(id)", to: "/a/\(id)/signup", from: "198.51.100.3", form: ["name": "王五", "phone": "13800138003"])
            #expect(third.status == .seeOther)
            #expect(try await send(app, .GET, "/a/s/not-a-real-token-at-all").status == .notFound)

            // Check-in at the place: not yet open; then at the time, by the phone signed up with; a walk-in needs a name.
            let checkin = "/ac/\(code)"
            let early = try await portalPost(app, page: checkin, to: checkin, from: "198.51.100.1",
                                             form: ["phone": "13800138001", "lat": "\(here.lat)", "long": "\(here.long)", "accuracy": "10"])
            #expect(early.status == .unprocessableEntity && early.text.contains("签到从 2026-11-20 18:30 开始"), "\(early.text.prefix(300))")
            app.testClock.set(BeijingTime.parse("2026-11-20 19:05")!)
            let ok = try await portalPost(app, page: checkin, to: checkin, from: "198.51.100.1",
                                          form: ["phone": "13800138001", "lat": "\(here.lat)", "long": "\(here.long)", "accuracy": "10"])
            #expect(ok.status == .seeOther, "\(ok.text.prefix(300))")
            let recorded = try await send(app, .GET, try #require(ok.headers.first(name: .location)))
            #expect(recorded.text.contains("id=\"checkin-done\"") && recorded.text.contains("签到成功") && !recorded.text.contains("badge warn"))
            let twice = try await portalPost(app, page: checkin, to: checkin, from: "198.51.100.1", form: ["phone": "13800138001"])
            #expect(try await send(app, .GET, try #require(twice.headers.first(name: .location))).text.contains("已经签到过了"))
            let nameless = try await portalPost(app, page: checkin, to: checkin, from: "198.51.100.4", form: ["phone": "13900139000"])
            #expect(nameless.status == .unprocessableEntity && nameless.text.contains("checkin-name-error"))
            let walkIn = try await portalPost(app, page: checkin, to: checkin, from: "198.51.100.4", form: ["phone": "13900139000", "name": "赵六"])
            let walkInPage = try await send(app, .GET, try #require(walkIn.headers.first(name: .location)))
            #expect(walkInPage.text.contains("现场参加") && walkInPage.text.contains("无定位"), "no position: flagged, recorded")
            #expect(try await send(app, .GET, "/ac/NOSUCHCD").status == .notFound)

            let minzhiLater = bearer(try await token(app, "street-minzhi"))   // two days on: a new session
            let detail = try await send(app, .GET, "/api/v1/activities/\(id)", headers: minzhiLater)
            let counts = try #require(detail.json["activity"] as? [String: Any])
            #expect(counts["signedUp"] as? Int == 2 && counts["checkedIn"] as? Int == 2 && counts["status"] as? String == "ongoing")
            let signups = try #require(detail.json["signups"] as? [[String: Any]])
            #expect(signups.count == 4 && Set(signups.compactMap { $0["phone"] as? String }) == ["138****8001", "138****8002", "138****8003", "139****9000"])
            #expect(signups.first { $0["phone"] as? String == "139****9000" }?["walkIn"] as? Bool == true)
            #expect(signups.first { $0["phone"] as? String == "139****9000" }?["flags"] as? [String] == ["noPosition"])

            // The report: only by its organiser, with a picture (public copy); attendance is the check-ins.
            app.testClock.set(BeijingTime.parse("2026-11-20 21:30")!)
            let steward = bearer(try await token(app, "steward-dispatch"))
            #expect(try await send(app, .POST, "/api/v1/activities/\(id)/report", headers: steward, json: ["outcome": "麒麟舞体验很受欢迎，下次再办。"]).status == .forbidden)
            let short = try await send(app, .POST, "/api/v1/activities/\(id)/report", headers: minzhiLater, json: ["outcome": "好"])
            #expect(short.status == .unprocessableEntity && short.json["field"] as? String == "outcome")
            let reported = try await send(app, .POST, "/api/v1/activities/\(id)/report", headers: minzhiLater,
                                          json: ["outcome": "麒麟舞体验很受欢迎，下次再办。", "photos": [["data": TestImages.jpegWithGPS().base64EncodedString()]]])
            #expect(reported.status == .ok, "\(reported.text)")
            let after = try #require(reported.json["activity"] as? [String: Any])
            #expect(after["status"] as? String == "reported")
            let photo = try #require((after["photos"] as? [String])?.first)
            let served = try await app.testing().sendRequest(.GET, photo)
            #expect(served.status == .ok && !String(buffer: served.body).contains("GPS"))
            #expect(try await send(app, .POST, "/api/v1/activities/\(id)/report", headers: minzhiLater, json: ["outcome": "麒麟舞体验很受欢迎，下次再办。"]).status == .conflict)
            #expect(try await send(app, .POST, "/api/v1/activities/\(id)/cancel", headers: minzhiLater, json: ["reason": "下雨"]).status == .conflict)
            let publicAfter = try await send(app, .GET, "/a/\(id)")
            #expect(publicAfter.text.contains("麒麟舞体验很受欢迎") && publicAfter.text.contains("<img src=\"\(photo)\""))
            #expect(try await send(app, .GET, "/v/\(songziyuan)").text.contains("href=\"/a/\(id)\""), "past activities on the village's page")
            let trail = try await AuditStore(db: app.db).list(AuditStore.Filter(subject: "activity:\(id)")).rows.map(\.action)
            #expect(Set(trail) == ["activity.created", "activity.reported"], "\(trail)")
        }
    }

    @Test func cancelledWithAReasonAndThemesSetInTheConsole() async throws {
        try await withTestApp { app in
            let here = try await gridCentre(app, songziyuan, 1)
            let minzhi = bearer(try await token(app, "street-minzhi"))
            let made = try await send(app, .POST, "/api/v1/activities", headers: minzhi, json: body(here, capacity: nil, title: "消防安全知识讲座"))
            let id = try #require((made.json["activity"] as? [String: Any])?["id"] as? String)
            let (cookie, _) = try await webLogin(app, "street-minzhi")
            let page = try await send(app, .GET, "/activities/\(id)", headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.text.contains("<svg") && page.text.contains("/activities/\(id)/poster"))
            let csrf = try #require(page.csrfToken)
            // A cancellation without a reason: said next to the field; then with one.
            let refused = try await send(app, .POST, "/activities/\(id)/cancel", headers: ["Cookie": cookie], form: ["_csrf": csrf, "reason": " "])
            #expect(refused.status == .unprocessableEntity && refused.text.contains("id=\"cancel-reason-error\""))
            let done = try await send(app, .POST, "/activities/\(id)/cancel", headers: ["Cookie": cookie], form: ["_csrf": csrf, "reason": "台风预警，改期举行"])
            #expect(done.status == .seeOther)
            let publicPage = try await send(app, .GET, "/a/\(id)")
            #expect(publicPage.text.contains("台风预警，改期举行") && !publicPage.text.contains("id=\"signup-form\""))
            #expect(!(try await send(app, .GET, "/v/\(songziyuan)")).text.contains("消防安全知识讲座"), "a cancelled one leaves the village's page")

            // The console's form: what was typed is kept next to each problem; then an activity is entered from it.
            let list = try await send(app, .GET, "/activities", headers: ["Cookie": cookie])
            #expect(list.status == .ok && list.text.contains("消防安全知识讲座"))
            let typed = ["_csrf": csrf, "kind": "safety", "title": "防诈骗宣传", "description": "", "area": songziyuan, "place": "村口", "lat": "\(here.lat)",
                         "long": "\(here.long)", "startsAt": "2026-11-25T09:00", "endsAt": "2026-11-25T08:00", "organiser": "民治街道办"]
            let wrong = try await send(app, .POST, "/activities", headers: ["Cookie": cookie], form: typed)
            #expect(wrong.status == .unprocessableEntity && wrong.text.contains("activity-description-error") && wrong.text.contains("activity-ends-error"))
            #expect(wrong.text.contains("value=\"防诈骗宣传\""))
            var fixed = typed
            fixed["description"] = "识别电信诈骗的常见手法。"
            fixed["endsAt"] = "2026-11-25T10:00"
            let entered = try await send(app, .POST, "/activities", headers: ["Cookie": cookie], form: fixed)
            #expect(entered.status == .seeOther && (entered.headers.first(name: .location) ?? "").hasPrefix("/activities/"))

            // The theme: set, shown on the village's page and in the API; one outside the caller's villages refused.
            let theme = try await send(app, .POST, "/activities/themes", headers: ["Cookie": cookie],
                                       form: ["_csrf": csrf, "area": songziyuan, "year": "2026", "name": "客家文化", "summary": "麒麟舞、山歌、客家菜"])
            #expect(theme.status == .seeOther)
            #expect(try await send(app, .GET, "/v/\(songziyuan)").text.contains("客家文化"))
            let themes = try await send(app, .GET, "/api/v1/village-themes?year=2026", headers: minzhi)
            #expect((themes.json["items"] as? [[String: Any]])?.first?["name"] as? String == "客家文化")
            let elsewhere = try await send(app, .POST, "/api/v1/village-themes", headers: minzhi, json: ["area": langkou, "year": 2026, "name": "观澜版画"])
            #expect(elsewhere.status == .unprocessableEntity && elsewhere.json["field"] as? String == "area")
        }
    }
}
