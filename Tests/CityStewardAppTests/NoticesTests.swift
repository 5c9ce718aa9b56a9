@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import Testing
import VaporTesting

/// Notices to residents (issue 20 §1) over HTTP: published within the publisher's scope, shown on the village's page
/// and where a code is scanned, read (and counted) on their own page, withdrawn with a reason; the contract's notice
/// goes up with the contract and ends with it.
@Suite("Notices to residents")
struct NoticesTests {
    let songziyuan = "440309002001V01", langkou = "440309004005V01"

    @Test func aStreetOfficePublishesResidentsReadItAndItIsWithdrawn() async throws {
        try await withTestApp { app in
            let minzhi = bearer(try await token(app, "street-minzhi")), guanlan = bearer(try await token(app, "street-guanlan"))
            let picture = TestImages.jpegWithGPS()
            let body: [String: Any] = ["title": "松仔园村周二停水", "body": "周二上午 9 点至 12 点停水检修。\n请提前储水。", "kind": "works",
                                       "audience": "residents", "areas": [songziyuan], "shownUntil": "2026-11-25",
                                       "photos": [["data": picture.base64EncodedString()]]]
            // A picture that is not one, or not base64: refused before anything is written.
            var broken = body
            broken["photos"] = [["data": Data("not a picture".utf8).base64EncodedString()]]
            #expect(try await send(app, .POST, "/api/v1/notices", headers: minzhi, json: broken).status == .unsupportedMediaType)
            broken["photos"] = [["data": "%%%"]]
            #expect(try await send(app, .POST, "/api/v1/notices", headers: minzhi, json: broken).status == .badRequest)
            broken["photos"] = [["data": Data(count: 9 * 1024 * 1024).base64EncodedString()]]
            #expect(try await send(app, .POST, "/api/v1/notices", headers: minzhi, json: broken).status == .payloadTooLarge, "a picture over 8 MB")
            #expect((try await send(app, .GET, "/api/v1/notices", headers: minzhi).json["items"] as? [Any])?.count == 0, "nothing half written")
            #expect(try await send(app, .GET, "/api/v1/notices").status == .unauthorized)
            #expect(try await send(app, .POST, "/api/v1/notices", json: body).status == .unauthorized)
            let made = try await send(app, .POST, "/api/v1/notices", headers: minzhi, json: body)
            #expect(made.status == .created, "\(made.text)")
            let id = try #require(made.json["id"] as? String)
            #expect(made.json["status"] as? String == "shown" && made.json["shownFrom"] as? String == "2026-11-18" && made.json["reads"] as? Int == 0)
            #expect((made.json["publisher"] as? String)?.contains("民治") == true)

            // Refused by field, nothing written: another street's village, every problem at once, a bad kind; a resident not at all.
            var far = body
            far["areas"] = [langkou]
            let outside = try await send(app, .POST, "/api/v1/notices", headers: minzhi, json: far)
            #expect(outside.status == .unprocessableEntity && outside.json["field"] as? String == "areas", "\(outside.text)")
            let empty = try await send(app, .POST, "/api/v1/notices", headers: minzhi, json: ["kind": "contract", "shownFrom": "2026-11-01"])
            #expect(empty.status == .unprocessableEntity, "\(empty.text)")
            #expect(Set((empty.json["field"] as? String ?? "").split(separator: ",").map(String.init)) == ["title", "body", "kind", "areas", "shownFrom"])
            let unreadable = try await send(app, .POST, "/api/v1/notices", headers: minzhi, json: ["kind": "nope"])
            #expect(unreadable.status == .badRequest && unreadable.json["field"] as? String == "kind", "a kind outside the document's list")
            #expect(try await send(app, .POST, "/api/v1/notices", headers: bearer(try await token(app, "resident-demo")), json: body).status == .forbidden)
            #expect((try await send(app, .GET, "/api/v1/notices", headers: guanlan).json["items"] as? [Any])?.count == 0, "another street's office sees none")

            // Residents: the village's page, the code scanned there, the notice's own page (each visit a read).
            let page = try await send(app, .GET, "/v/\(songziyuan)")
            #expect(page.status == .ok && page.text.contains("松仔园村周二停水") && page.text.contains("href=\"/n/\(id)\""))
            #expect(!(try await send(app, .GET, "/v/\(langkou)")).text.contains("松仔园村周二停水"), "not shown in another street")
            let scanned = try await send(app, .GET, "/report?place=\(songziyuan)")
            #expect(scanned.text.contains("href=\"/n/\(id)\"") && scanned.text.contains("href=\"/v/\(songziyuan)\""))
            let read = try await send(app, .GET, "/n/\(id)?lang=en")
            #expect(read.status == .ok && read.text.contains("<p>请提前储水。</p>") && read.text.contains("Works and interruptions"))
            _ = try await send(app, .GET, "/n/\(id)")
            // Its picture: the public copy, without the phone's position.
            let photoURL = try #require((made.json["photos"] as? [String])?.first)
            #expect(read.text.contains("<img src=\"\(photoURL)\""))
            let served = try await app.testing().sendRequest(.GET, photoURL)
            #expect(served.status == .ok && served.headers.contentType == .jpeg)
            #expect(String(decoding: picture, as: UTF8.self).contains("GPS") && !String(buffer: served.body).contains("GPS"))
            let counted = try await send(app, .GET, "/api/v1/notices/\(id)", headers: minzhi)
            #expect(counted.json["reads"] as? Int == 2)
            // Outside a scope a notice is missing.
            #expect(try await send(app, .GET, "/api/v1/notices/\(id)", headers: guanlan).status == .notFound)
            #expect(try await send(app, .POST, "/api/v1/notices/\(id)/withdraw", headers: guanlan, json: ["reason": "x"]).status == .notFound)

            // Withdrawn: by its own office (the steward may not), with a reason; gone from the portal, kept in the list.
            let steward = bearer(try await token(app, "steward-dispatch"))
            #expect(try await send(app, .POST, "/api/v1/notices/\(id)/withdraw", headers: steward, json: ["reason": "已恢复"]).status == .forbidden)
            let noReason = try await send(app, .POST, "/api/v1/notices/\(id)/withdraw", headers: minzhi)
            #expect(noReason.status == .unprocessableEntity && noReason.json["field"] as? String == "reason")
            let withdrawn = try await send(app, .POST, "/api/v1/notices/\(id)/withdraw", headers: minzhi, json: ["reason": "检修取消"])
            #expect(withdrawn.status == .ok && withdrawn.json["status"] as? String == "withdrawn" && withdrawn.json["withdrawnReason"] as? String == "检修取消")
            #expect(try await send(app, .POST, "/api/v1/notices/\(id)/withdraw", headers: minzhi, json: ["reason": "再次"]).status == .conflict)
            #expect(try await send(app, .GET, "/n/\(id)").status == .notFound)
            #expect(try await app.testing().sendRequest(.GET, photoURL).status == .notFound, "a withdrawn notice's picture goes with it")
            #expect(!(try await send(app, .GET, "/v/\(songziyuan)")).text.contains("松仔园村周二停水"))
            let listed = try await send(app, .GET, "/api/v1/notices", headers: minzhi)
            #expect((listed.json["items"] as? [[String: Any]])?.first { $0["id"] as? String == id }?["status"] as? String == "withdrawn")
            let trail = try await AuditStore(db: app.db).list(AuditStore.Filter(subject: "notice:\(id)")).rows.map(\.action)
            #expect(Set(trail) == ["notice.published", "notice.withdrawn"], "\(trail)")

            // Scheduled for tomorrow: shown from then.
            var later = body
            later["title"] = "明日起垃圾分类新时间"
            later["shownFrom"] = "2026-11-19"
            later["shownUntil"] = nil
            #expect(try await send(app, .POST, "/api/v1/notices", headers: minzhi, json: later).status == .created)
            #expect(!(try await send(app, .GET, "/v/\(songziyuan)")).text.contains("明日起垃圾分类新时间"))
            app.testClock.advance(by: 86_400)
            #expect(try await send(app, .GET, "/v/\(songziyuan)").text.contains("明日起垃圾分类新时间"))
        }
    }

    @Test func theContractsNoticeGoesUpWithTheContractAndEndsWithIt() async throws {
        try await withTestApp { app in
            #expect(try await DemoNotices.load(app))
            let minzhi = bearer(try await token(app, "street-minzhi"))
            let contract = try #require(try await ContractStore(db: app.db).list(scope: .all).first { $0.number == DemoDistrict.contractNumber(streetCode: "440309002") })
            let notice = try #require(try await NoticeStore(db: app.db).notice(ofContract: contract.id))
            #expect(notice.kind == .contract && notice.shownUntil == contract.terms.end && notice.body.contains("受托承担"))
            #expect(try await send(app, .GET, "/v/\(songziyuan)").text.contains(notice.title))
            let admin = bearer(try await token(app, "district-admin"))
            let refused = try await send(app, .POST, "/api/v1/notices/\(notice.id.uuidString.lowercased())/withdraw", headers: admin, json: ["reason": "试试"])
            #expect(refused.status == .forbidden, "a contract's notice goes with the contract")
            #expect(try await DemoNotices.load(app) == false, "loaded once")
            let ended = try await send(app, .POST, "/api/v1/contracts/\(contract.id)/actions/terminate", headers: minzhi, json: ["date": "2026-11-30", "note": "合同解除"])
            #expect(ended.status == .ok, "\(ended.text)")
            #expect(try await NoticeStore(db: app.db).find(notice.id)?.shownUntil == LocalDate(year: 2026, month: 11, day: 30))
            #expect(try await send(app, .GET, "/v/\(songziyuan)").text.contains(notice.title), "until its last day")
            app.testClock.set(LocalDate(year: 2026, month: 12, day: 1).beijingMidnight.addingTimeInterval(3600))
            #expect(!(try await send(app, .GET, "/v/\(songziyuan)")).text.contains(notice.title))
        }
    }

    @Test func theConsoleFormKeepsWhatWasTypedAndListsWithReads() async throws {
        try await withTestApp { app in
            let (cookie, _) = try await webLogin(app, "steward-dispatch")
            let page = try await send(app, .GET, "/notices", headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.text.contains("id=\"new-notice\"") && page.text.contains("value=\"\(songziyuan)\""))
            #expect(!page.text.contains("value=\"440309002\""), "a steward publishes in its villages, not over a street")
            let csrf = try #require(page.csrfToken)
            var form = ["_csrf": csrf, "title": "楼道清理", "body": "", "kind": "general", "audience": "tenants", "areas[]": songziyuan, "shownFrom": "2026-11-18"]
            let refused = try await send(app, .POST, "/notices", headers: ["Cookie": cookie], form: form)
            #expect(refused.status == .unprocessableEntity && refused.text.contains("id=\"notice-body-error\"") && refused.text.contains("value=\"楼道清理\""))
            #expect(refused.text.contains("<option value=\"tenants\" selected>"), "what was typed is kept")
            form["body"] = "本周六上午清理楼道杂物，请配合。"
            let made = try await send(app, .POST, "/notices", headers: ["Cookie": cookie], form: form)
            #expect(made.status == .seeOther && (made.location ?? "").hasPrefix("/notices#notice-"), "\(made.status) \(made.text.prefix(300))")
            let list = try await send(app, .GET, "/notices", headers: ["Cookie": cookie])
            #expect(list.text.contains("楼道清理") && list.text.contains("租户") && list.text.contains("展示中"))
            // Withdrawing without a reason: refused next to that notice's reason field; with one, withdrawn.
            let id = String((made.location ?? "").dropFirst("/notices#notice-".count))
            let noReason = try await send(app, .POST, "/notices/\(id)/withdraw", headers: ["Cookie": cookie], form: ["_csrf": csrf, "reason": " "])
            #expect(noReason.status == .unprocessableEntity && noReason.text.contains("id=\"withdraw-\(id)-error\""), "\(noReason.status)")
            let withdrawn = try await send(app, .POST, "/notices/\(id)/withdraw", headers: ["Cookie": cookie], form: ["_csrf": csrf, "reason": "已清理完毕"])
            #expect(withdrawn.status == .seeOther)
            #expect(try await send(app, .GET, "/notices", headers: ["Cookie": cookie]).text.contains("已清理完毕"))
            // A page nobody but publishers and auditors opens.
            let (patrol, _) = try await webLogin(app, "steward-patrol")
            #expect(try await send(app, .GET, "/notices", headers: ["Cookie": patrol]).status == .forbidden)
        }
    }
}
