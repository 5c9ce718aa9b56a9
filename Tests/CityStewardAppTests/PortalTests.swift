@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import SQLKit
import Testing
import VaporTesting

/// 松仔园村's garbage room: a public facility with its own QR code (sanitation is entrusted to the steward there).
let garbageRoom = DemoDistrict.facilities.first { $0.code.hasPrefix("440309002001") && $0.componentCode == "03004" }!

/// Opens the portal form for a topic at a place and returns the session cookie, CSRF token and form key.
func portalForm(_ app: Application, topic: String, place: String?, lang: String? = nil) async throws -> (cookie: String, csrf: String, formKey: String, page: Reply) {
    var path = "/report/new?topic=\(topic)"
    if let place { path += "&place=\(place)" }
    if let lang { path += "&lang=\(lang)" }
    let page = try await send(app, .GET, path)
    #expect(page.status == .ok, "\(page.text.prefix(300))")
    return (try #require(page.sessionCookie), try #require(page.csrfToken), try #require(page.hidden("formKey")), page)
}

func portalReport(_ app: Application, topic: String = "bins", place: String? = garbageRoom.code, phone: String? = "138 0013 8000",
                  description: String = "垃圾桶满了，溢到路上", photo: Data? = TestImages.jpegWithGPS(seed: 7),
                  extra: [String: String] = [:]) async throws -> (reply: Reply, formKey: String, cookie: String, form: MultipartForm) {
    let (cookie, csrf, formKey, _) = try await portalForm(app, topic: topic, place: place)
    var form = MultipartForm()
    form.field("_csrf", csrf)
    form.field("formKey", formKey)
    form.field("topic", topic)
    if let place { form.field("placeCode", place) }
    if let phone { form.field("phone", phone) }
    form.field("description", description)
    for (k, v) in extra { form.field(k, v) }
    if let photo { form.file("photos[]", photo, "image/jpeg") }
    return (try await form.send(app, "/report", cookie: cookie), formKey, cookie, form)
}

/// The steward files, dispatches, does, checks and closes a case (through the API).
func workToClosure(_ app: Application, _ caseID: UUID) async throws {
    let dispatcher = try await token(app, "steward-dispatch"), patrol = try await token(app, "steward-patrol")
    let id = caseID.uuidString.lowercased()
    for (who, action) in [(dispatcher, "file"), (dispatcher, "dispatch"), (patrol, "accept"), (patrol, "handle"),
                          (dispatcher, "passVerification"), (dispatcher, "close")] {
        #expect(try await act(app, who, id, action, evidence(for: action)).status == .ok, "\(action)")
    }
}

func trackingToken(_ location: String?) -> String? {
    guard let location, let range = location.range(of: "/t/") else { return nil }
    return String(location[range.upperBound...].prefix { $0 != "?" })
}

@Suite("Residents' portal")
struct PortalTests {
    @Test func aResidentReportsFromAQRCodeFollowsTheCaseToClosureAndRatesIt() async throws {
        try await withTestApp { app in
            // The QR poster of the garbage room and the picker it opens.
            let poster = try await send(app, .GET, "/q/\(garbageRoom.code)")
            #expect(poster.status == .ok && poster.text.contains("<svg") && poster.text.contains(garbageRoom.name))
            let picker = try await send(app, .GET, "/report?place=\(garbageRoom.code)")
            #expect(picker.status == .ok)
            #expect(picker.text.contains("垃圾桶满了") && picker.text.contains("tel:119") && picker.text.contains("松仔园村"))
            // The facility's own problem is offered first.
            #expect(picker.text.contains("category=03004&amp;place=\(garbageRoom.code)"))

            // Report with a photo and a phone number; the same form posted twice (a double tap) makes one case.
            let (reply, _, cookie, form) = try await portalReport(app)
            #expect(reply.status == .seeOther, "\(reply.text.prefix(400))")
            let again = try await form.send(app, "/report", cookie: cookie)
            #expect(again.location == reply.location)
            #expect(try await caseCount(app) == 1)
            let link = try #require(trackingToken(reply.location))
            let row = try #require(try await CaseStore(db: app.db).page(scope: .everything).rows.first)
            #expect(row.source == "resident" && row.categoryCode == "06042" && row.placeCode == garbageRoom.code)
            #expect(row.responsibleName == "龙华城市管家运营有限公司（演示）")
            #expect(row.lat == garbageRoom.position.lat && row.long == garbageRoom.position.long)

            // The receipt: short number, the tracking link, plain-word status, masked phone, deadline.
            let receipt = try await send(app, .GET, try #require(reply.location))
            #expect(receipt.status == .ok)
            #expect(receipt.text.contains(row.number) && receipt.text.contains("/t/\(link)") && receipt.text.contains("已收到，等待受理"))
            #expect(receipt.text.contains("138****8000") && !receipt.text.contains("13800138000"))
            #expect(receipt.text.contains(Timestamp.beijing(row.deadline)) && receipt.text.contains(garbageRoom.name))
            #expect(receipt.headers.first(name: .cacheControl)?.contains("no-store") == true)

            // The phone is sealed at rest; the blind index finds it; only the masked form is in clear.
            let stored = try #require(try await ResidentReportStore(db: app.db).find(caseID: row.id))
            #expect(stored.phoneMasked == "138****8000" && stored.phoneSealed?.contains("13800138000") == false)
            #expect(try app.fieldCipher.open(try #require(stored.phoneSealed)) == "+8613800138000")   // E.164
            #expect(stored.trackingHash != link && stored.trackingHash == ResidentReportRow.hash(token: link))

            // The public copy of the photo has no location metadata; the original is not public.
            let photo = try #require(try await CaseStore(db: app.db).photos(of: row.id).first)
            let publicCopy = try await send(app, .GET, "/public/photos/\(photo.publicHash).jpg")
            #expect(publicCopy.status == .ok && !publicCopy.text.contains("GPS"))
            #expect(try await send(app, .GET, "/public/photos/\(photo.hash).jpg").status == .notFound)

            // Rating before closure is refused; there is no rating form yet.
            let csrf = try #require(try await send(app, .GET, "/report/new?topic=bins", headers: ["Cookie": cookie]).csrfToken)
            #expect(!receipt.text.contains("/t/\(link)/rate"))
            #expect(try await send(app, .POST, "/t/\(link)/rate", headers: ["Cookie": cookie], form: ["_csrf": csrf, "rating": "5"]).status == .conflict)

            // Staff work the case to closure; the resident's timeline follows in plain words.
            try await workToClosure(app, row.id)
            let closed = try await send(app, .GET, "/t/\(link)", headers: ["Cookie": cookie])
            for step in ["已收到您的反映", "已受理，正在安排处理", "已交给龙华城市管家运营有限公司（演示）处理", "已处理，等待核查", "已办结，欢迎评价"] {
                #expect(closed.text.contains(step), "\(step)")
            }
            #expect(closed.text.contains("/t/\(link)/rate") && closed.text.contains("/t/\(link)/reopen"))

            // Rate once: 1–5 only; a second rating is refused.
            #expect(try await send(app, .POST, "/t/\(link)/rate", headers: ["Cookie": cookie], form: ["_csrf": csrf, "rating": "6"]).status == .badRequest)
            let rated = try await send(app, .POST, "/t/\(link)/rate", headers: ["Cookie": cookie], form: ["_csrf": csrf, "rating": "4", "comment": "清理及时"])
            #expect(rated.status == .seeOther)
            #expect(try await send(app, .POST, "/t/\(link)/rate", headers: ["Cookie": cookie], form: ["_csrf": csrf, "rating": "5"]).status == .conflict)
            let afterRating = try #require(try await ResidentReportStore(db: app.db).find(caseID: row.id))
            #expect(afterRating.rating == 4 && afterRating.ratingComment == "清理及时")
            #expect(try await CaseStore(db: app.db).events(of: row.id).last?.action == "rate")

            // Reopen once, with a reason: back to the same steward with a fresh deadline.
            #expect(try await send(app, .POST, "/t/\(link)/reopen", headers: ["Cookie": cookie], form: ["_csrf": csrf, "reason": ""]).status == .unprocessableEntity)
            let reopened = try await send(app, .POST, "/t/\(link)/reopen", headers: ["Cookie": cookie], form: ["_csrf": csrf, "reason": "又满了"])
            #expect(reopened.status == .seeOther, "\(reopened.text.prefix(300))")
            let afterReopen = try await CaseStore(db: app.db).find(row.id, scope: nil)
            #expect(afterReopen.caseState == .dispatched && afterReopen.closedAt == nil && afterReopen.responsibleId == row.responsibleId)
            #expect(afterReopen.deadline >= row.deadline && afterReopen.stepDue == afterReopen.deadline)
            #expect(try await ResidentReportStore(db: app.db).find(caseID: row.id)?.reopenCount == 1)
            let notes = try await CaseStore(db: app.db).notifications(orgID: row.responsibleId, userID: nil)
            #expect(notes.contains { $0.kind == "reopened" })
            // Worked and closed again, it cannot be reopened a second time.
            let dispatcher = try await token(app, "steward-dispatch"), patrol = try await token(app, "steward-patrol")
            let id = row.id.uuidString.lowercased()
            for (who, action) in [(patrol, "accept"), (patrol, "handle"), (dispatcher, "passVerification"), (dispatcher, "close")] {
                #expect(try await act(app, who, id, action, evidence(for: action)).status == .ok, "\(action)")
            }
            #expect(try await send(app, .POST, "/t/\(link)/reopen", headers: ["Cookie": cookie], form: ["_csrf": csrf, "reason": "还是满"]).status == .conflict)

            // Found again by short number or phone number (masked), in both languages.
            let shortNumber = "\(row.number.dropFirst(3).prefix(4))-\(Int(row.number.suffix(6))!)"
            let byNumber = try await send(app, .GET, "/find?number=\(shortNumber)")
            #expect(byNumber.text.contains(row.number) && byNumber.text.contains("138****8000"))
            let byPhone = try await verifiedFind(app, phone: "13800138000")
            #expect(byPhone.text.contains(row.number) && byPhone.text.contains("已办结") && byPhone.text.contains("138****8000"))
            #expect(!(try await send(app, .GET, "/find?phone=13800138000").text.contains(row.number)))   // not without the code
            #expect(try await verifiedFind(app, phone: "13900000000").text.contains("没有找到案件"))
            // The public page has no rating or reopening forms.
            let publicPage = try await send(app, .GET, "/c/\(row.number)")
            #expect(publicPage.status == .ok && !publicPage.text.contains("/reopen") && !publicPage.text.contains("138****8000"))
        }
    }

    @Test func reopeningIsRefusedAfterSevenDays() async throws {
        try await withTestApp { app in
            let (reply, _, cookie, _) = try await portalReport(app, photo: nil)
            let link = try #require(trackingToken(reply.location))
            let row = try #require(try await CaseStore(db: app.db).page(scope: .everything).rows.first)
            try await workToClosure(app, row.id)
            app.testClock.advance(by: 8 * 24 * 3600)
            let page = try await send(app, .GET, "/t/\(link)", headers: ["Cookie": cookie])
            #expect(!page.text.contains("/reopen"))
            let refused = try await send(app, .POST, "/t/\(link)/reopen", headers: ["Cookie": cookie], form: ["_csrf": try #require(page.csrfToken), "reason": "又脏了"])
            #expect(refused.status == .conflict && refused.text.contains("7 天"))
        }
    }

    @Test func badInputIsRefusedWithAReasonAndNothingIsStored() async throws {
        try await withTestApp { app in
            // Unknown topic or category: 400 with the reason.
            #expect(try await send(app, .GET, "/report/new?topic=ufo").status == .badRequest)
            let (cookie, csrf, formKey, _) = try await portalForm(app, topic: "bins", place: garbageRoom.code)
            func post(_ fields: [String: String], photo: (Data, String)? = nil) async throws -> Reply {
                var form = MultipartForm()
                form.field("_csrf", csrf)
                for (k, v) in fields { form.field(k, v) }
                if let photo { form.file("photos[]", photo.0, photo.1) }
                return try await form.send(app, "/report", cookie: cookie)
            }
            let unknown = try await post(["category": "99999", "placeCode": garbageRoom.code, "formKey": formKey])
            #expect(unknown.status == .badRequest && unknown.text.contains("99999"))
            // A position outside the district.
            let outside = try await post(["topic": "bins", "lat": "39.9", "long": "116.4", "formKey": UUID().uuidString])
            #expect(outside.status == .unprocessableEntity && outside.text.contains("龙华区"))
            // A description too long (a contact number is never a reason to refuse: see the test of unreadable numbers).
            let long = String(repeating: "垃圾桶满了，", count: 700)
            let phone = try await post(["topic": "bins", "placeCode": garbageRoom.code, "phone": "0755-2345 6789 转 12", "description": long, "formKey": UUID().uuidString],
                                       photo: (TestImages.jpegWithGPS(), "image/jpeg"))
            #expect(phone.status == .badRequest && phone.text.contains("4000"))
            // The form comes back: what was typed kept, the message by its field, a word about the photo.
            #expect(phone.text.contains("id=\"report-form\"") && phone.text.contains("id=\"description-error\"") && phone.text.contains("aria-invalid=\"true\""))
            #expect(phone.text.contains(long + "</textarea>") && phone.text.contains("value=\"0755-2345 6789 转 12\""))
            #expect(phone.text.contains("id=\"photos-again\"") && phone.text.contains("name=\"placeCode\" value=\"\(garbageRoom.code)\""))
            #expect(!phone.text.contains("/login"))   // the residents' page, not the staff's
            // A photo that is too large, or not an image: refused before anything is stored.
            let big = Data([0xFF, 0xD8, 0xFF, 0xE0]) + Data(repeating: 0x41, count: 8 * 1024 * 1024 + 10)
            #expect(try await post(["topic": "bins", "placeCode": garbageRoom.code, "formKey": UUID().uuidString], photo: (big, "image/jpeg")).status == .payloadTooLarge)
            let text = try await post(["topic": "bins", "placeCode": garbageRoom.code, "description": "不是照片", "formKey": UUID().uuidString], photo: (Data("hello".utf8), "image/jpeg"))
            #expect(text.status == .unsupportedMediaType && text.text.contains("id=\"photos-error\"") && text.text.contains("不是照片</textarea>"))
            // An unknown place from a QR code.
            #expect(try await send(app, .GET, "/report?place=440309999999V09").status == .notFound)
            // No CSRF token: refused.
            var noToken = MultipartForm()
            noToken.field("topic", "bins")
            noToken.field("placeCode", garbageRoom.code)
            #expect(try await noToken.send(app, "/report", cookie: cookie).status == .forbidden)
            #expect(try await caseCount(app) == 0)
            #expect(photoFiles(app).isEmpty)
            // A tracking link that does not exist.
            let missing = try await send(app, .GET, "/t/AAAAAAAAAAAAAAAAAAAAAA")
            #expect(missing.status == .notFound && missing.text.contains("href=\"/report\"") && !missing.text.contains("/login"))
        }
    }

    @Test func urgentDangersShowTheEmergencyNumbersFirst() async throws {
        try await withTestApp { app in
            for (topic, first) in [("fire", "tel:119"), ("gas", "tel:119"), ("people", "tel:120")] {
                let page = try await send(app, .GET, "/report/new?topic=\(topic)&place=\(garbageRoom.code)")
                #expect(page.status == .ok)
                #expect(!page.text.contains("report-form"), "\(topic): no form before the numbers")
                let firstTel = page.text.range(of: "class=\"tel big\" href=\"").map { String(page.text[$0.upperBound...].prefix(7)) }
                #expect(firstTel == first, "\(topic)")
            }
            let english = try await send(app, .GET, "/report/new?topic=gas&lang=en")
            #expect(english.text.contains("Do not switch anything on or off"))
            // The emergency topics cannot be filed as cases themselves.
            let (cookie, csrf, formKey, _) = try await portalForm(app, topic: "bins", place: garbageRoom.code)
            var form = MultipartForm()
            form.field("_csrf", csrf)
            form.field("formKey", formKey)
            form.field("topic", "fire")
            form.field("placeCode", garbageRoom.code)
            #expect(try await form.send(app, "/report", cookie: cookie).status == .badRequest)
        }
    }

    @Test func likelyDuplicatesAreShownBeforeSubmitting() async throws {
        try await withTestApp { app in
            let (first, _, _, _) = try await portalReport(app, photo: nil)
            #expect(first.status == .seeOther)
            let number = try #require(try await CaseStore(db: app.db).page(scope: .everything).rows.first?.number)
            // At the same QR place, the form lists it right away.
            let (_, _, _, page) = try await portalForm(app, topic: "bins", place: garbageRoom.code)
            #expect(page.text.contains("附近已有人反映过") && page.text.contains(number) && page.text.contains("/c/\(number)"))
            // The page script asks by position; another category or a point 200 m away finds nothing.
            let p = garbageRoom.position
            let near = try await send(app, .GET, "/report/nearby?category=06042&lat=\(p.lat)&long=\(p.long + 0.0001)")
            let items = try #require(try JSONSerialization.jsonObject(with: Data(near.text.utf8)) as? [[String: Any]])
            #expect(items.count == 1 && items[0]["number"] as? String == number && (items[0]["metres"] as? Int ?? 99) < 20)
            #expect(try await send(app, .GET, "/report/nearby?category=06010&lat=\(p.lat)&long=\(p.long)").text == "[]")
            #expect(try await send(app, .GET, "/report/nearby?category=06042&lat=\(p.lat)&long=\(p.long + 0.002)").text == "[]")
            #expect(try await send(app, .GET, "/report/nearby?category=nope&lat=1&long=2").status == .badRequest)
        }
    }

    @Test func aReportByVillageAndMapPositionWorksWithoutAQRCode() async throws {
        try await withTestApp { app in
            let page = try await send(app, .GET, "/report/new?topic=noise&lang=en")
            #expect(page.text.contains("tapmap") && page.text.contains("data-x0=") && page.text.contains("Kind of problem") == false)
            #expect(page.text.contains("Noise") && page.text.contains("Village"))
            let p = try await gridCentre(app, songziyuan, 1)
            let (reply, _, _, _) = try await portalReport(app, topic: "noise", place: nil, phone: nil, description: "",
                                                           photo: nil, extra: ["lat": String(p.lat), "long": String(p.long), "village": songziyuan])
            #expect(reply.status == .seeOther)
            let row = try #require(try await CaseStore(db: app.db).page(scope: .everything).rows.first)
            #expect(row.description == "噪音扰民" && row.lat == p.lat && row.villageId != nil)
            // The village alone (no script, no tap) places it at the village.
            let (byVillage, _, _, _) = try await portalReport(app, topic: "noise", place: nil, phone: nil, photo: nil, extra: ["village": songziyuan])
            #expect(byVillage.status == .seeOther)
            // The "something else" form offers every class.
            let other = try await send(app, .GET, "/report/new")
            #expect(other.text.contains("<option value=\"06010\">暴露垃圾</option>"))
        }
    }

    @Test func theDemoHasResidentsReportsToFollow() async throws {
        try await withTestApp { app in
            try await DemoCases.load(app)
            let link = app.fieldCipher.derivedToken("tracking", DemoCases.residentFormKeys[0])
            let page = try await send(app, .GET, "/t/\(link)")
            #expect(page.status == .ok && page.text.contains("已办结") && page.text.contains("/t/\(link)/rate") && page.text.contains("公共厕所"))
            // A phone typed in is not enough: its reports show only after the code sent to it.
            let asked = try await send(app, .GET, "/find?phone=\(DemoCases.residentPhone)")
            #expect(asked.text.components(separatedBy: "class=\"card\"><a href=\"/c/").count - 1 == 0)
            #expect(asked.text.contains("value=\"\(DemoCases.residentPhone)\""))
            let found = try await verifiedFind(app, phone: DemoCases.residentPhone)
            #expect(found.text.components(separatedBy: "class=\"card\"><a href=\"/c/").count - 1 == 2)
            // Loading again adds nothing.
            let before = try await caseCount(app)
            try await DemoCases.load(app)
            #expect(try await caseCount(app) == before)
        }
    }

    @Test func theTapMapsProjectionMatchesTheDrawing() throws {
        // The script inverts the map linearly between `frame` corners: a vertex of the village outline must land on
        // its own position.
        let seeds = DemoDistrict.areas.filter { $0.kind == .village }
        let village = try #require(seeds.first)
        let area = Area(id: UUID(), kind: .village, code: village.code, name: village.name, parentID: nil, streetID: nil, path: [],
                        shape: village.shape, centre: village.centre)
        let map = try #require(AreaMap.draw([AreaMap.Item(area: area, href: nil)], width: 360, language: .zhHans))
        let vertex = try #require(village.shape?.polygons.first?.outer.first)
        let d = map.shapes[0].path.split(separator: " ")
        let x = try #require(Double(d[0].dropFirst())), y = try #require(Double(d[1]))
        let fx = (x - map.frame[0]) / (map.frame[2] - map.frame[0]), fy = (y - map.frame[1]) / (map.frame[3] - map.frame[1])
        let lat = map.bounds[2] - fy * (map.bounds[2] - map.bounds[0]), long = map.bounds[1] + fx * (map.bounds[3] - map.bounds[1])
        #expect(GeoPoint(lat: lat, long: long).distance(to: vertex) < 1.0)
    }
}

@Suite("QR codes for places")
struct QRPlacesTests {
    @Test func everyPlaceHasAPosterWhoseCodeDecodesToItsReportLink() async throws {
        try await withTestApp({ $0.publicURL = "https://steward.longhua.example" }) { app in
            let building = try #require(DemoDistrict.areas.first { $0.kind == .building })
            for code in [songziyuan, building.code, garbageRoom.code] {
                let poster = try await send(app, .GET, "/q/\(code)")
                #expect(poster.status == .ok, "\(code)")
                let url = "https://steward.longhua.example/report?place=\(code)"
                #expect(poster.text.contains(url))
                let svg = try await send(app, .GET, "/q/\(code)/qr.svg")
                #expect(svg.headers.contentType?.subType == "svg+xml")
                if QRReader.available {
                    #expect(try QRReader.decode(svg: svg.text) == url, "\(code)")
                }
            }
            #expect(try await send(app, .GET, "/q/440309999999V09").status == .notFound)
            #expect(try await send(app, .GET, "/q/440309002").status == .notFound)   // a street: no poster
        }
    }

    @Test func aSheetPrintsEveryPlaceOfAnArea() async throws {
        try await withTestApp { app in
            let sheet = try await send(app, .GET, "/q/\(songziyuan)/sheet")
            #expect(sheet.status == .ok)
            let buildings = DemoDistrict.areas.filter { $0.kind == .building && $0.code.hasPrefix("440309002001") }
            let facilities = DemoDistrict.facilities.filter { $0.code.hasPrefix("440309002001") }
            #expect(sheet.text.components(separatedBy: "class=\"qrcard\"").count - 1 == 1 + buildings.count + facilities.count)
            for f in facilities { #expect(sheet.text.contains(f.name)) }
            // Each card's symbol decodes to its place's link.
            if QRReader.available {
                let svgs = sheet.text.components(separatedBy: "<svg").dropFirst().map { "<svg" + $0.components(separatedBy: "</svg>")[0] + "</svg>" }
                #expect(svgs.count == 1 + buildings.count + facilities.count)
                let decoded = try svgs.prefix(3).map { try QRReader.decode(svg: $0) }
                #expect(decoded.allSatisfy { $0.hasPrefix("http://127.0.0.1:8080/report?place=440309002001") })
            }
            // A street's sheet holds its villages' places.
            #expect(try await send(app, .GET, "/q/440309002/sheet").text.contains(garbageRoom.name))
            #expect(try await send(app, .GET, "/q/nope/sheet").status == .notFound)
        }
    }
}


/// Proves a phone on `/find` as a resident does (the code from the recorded text message) and returns the list.
func verifiedFind(_ app: Application, phone: String) async throws -> Reply {
    let page = try await send(app, .GET, "/find")
    let cookie = try #require(page.sessionCookie), csrf = try #require(page.csrfToken)
    let gateway = try #require(app.smsGateway as? RecordingSMSGateway)
    let sent = try await send(app, .POST, "/find/code", headers: ["Cookie": cookie], form: ["_csrf": csrf, "phone": phone])
    #expect(sent.status == .ok && sent.text.contains("name=\"code\""))
    let message = try #require(gateway.messages.last)
    let code = String(try #require(message.text.split(separator: " ").first { $0.count == 6 && $0.allSatisfy(\.isNumber) }))
    let verified = try await send(app, .POST, "/find/verify", headers: ["Cookie": cookie], form: ["_csrf": csrf, "phone": phone, "code": code])
    #expect(verified.status == .seeOther)
    return try await send(app, .GET, "/find", headers: ["Cookie": cookie])
}

@Suite("Finding one's reports by phone")
struct PhoneVerificationTests {
    @Test func onlyTheHolderOfThePhoneSeesItsReports() async throws {
        try await withTestApp { app in
            try await DemoCases.load(app)
            let gateway = try #require(app.smsGateway as? RecordingSMSGateway)
            let page = try await send(app, .GET, "/find")
            let cookie = try #require(page.sessionCookie), csrf = try #require(page.csrfToken)
            func post(_ path: String, _ fields: [String: String]) async throws -> Reply {
                try await send(app, .POST, path, headers: ["Cookie": cookie], form: ["_csrf": csrf].merging(fields) { $1 })
            }
            let phone = DemoCases.residentPhone
            #expect(try await post("/find/code", ["phone": "12345"]).status == .badRequest)
            #expect(try await post("/find/code", ["phone": "+86 138-0013-8000"]).status == .ok)   // as people write it
            #expect(gateway.messages.map(\.phone) == [phone])
            // Sent again at once: wait a minute. The code itself is never stored.
            let again = try await post("/find/code", ["phone": phone])
            #expect(again.status == .tooManyRequests && again.headers.first(name: "Retry-After") != nil)
            let code = String(try #require(gateway.messages[0].text.split(separator: " ").first { $0.count == 6 && $0.allSatisfy(\.isNumber) }))
            let parsed = try #require(PhoneNumber.parse(phone))
            let stored = try #require(try await PhoneChallengeStore(db: app.db).find(app.fieldCipher.blindIndex(parsed.e164)))
            #expect(!stored.codeHash.contains(code) && stored.sends == 1)
            // Wrong codes: the message by the field; after five, the code is dead even when right.
            let wrongCode = code == "000000" ? "111111" : "000000"
            let wrong = try await post("/find/verify", ["phone": phone, "code": wrongCode])
            #expect(wrong.status == .badRequest && wrong.text.contains("id=\"code-error\""))
            #expect(try await post("/find/verify", ["phone": phone, "code": "12"]).status == .badRequest)
            for _ in 0..<4 { _ = try await post("/find/verify", ["phone": phone, "code": wrongCode]) }
            #expect(try await post("/find/verify", ["phone": phone, "code": code]).status == .badRequest)
            // A new code a minute later works, once.
            app.testClock.advance(by: 61)
            #expect(try await post("/find/code", ["phone": phone]).status == .ok)
            let fresh = String(try #require(gateway.messages.last?.text.split(separator: " ").first { $0.count == 6 && $0.allSatisfy(\.isNumber) }))
            #expect(try await post("/find/verify", ["phone": phone, "code": fresh]).status == .seeOther)
            let list = try await send(app, .GET, "/find", headers: ["Cookie": cookie])
            #expect(list.text.components(separatedBy: "class=\"card\"><a href=\"/c/").count - 1 == 2 && list.headers.first(name: .cacheControl) == "no-store")
            #expect(try await post("/find/verify", ["phone": phone, "code": fresh]).status == .badRequest)   // spent
            // Another browser sees nothing; the list closes after half an hour.
            #expect(try await send(app, .GET, "/find").text.components(separatedBy: "href=\"/c/").count == 1)
            app.testClock.advance(by: PhoneVerification.verifiedFor + 1)
            #expect(try await send(app, .GET, "/find", headers: ["Cookie": cookie]).text.components(separatedBy: "href=\"/c/").count == 1)
            // Five codes an hour at most.
            for _ in 0..<4 {
                app.testClock.advance(by: 61)
                _ = try await post("/find/code", ["phone": phone])
            }
            app.testClock.advance(by: 61)
            #expect(try await post("/find/code", ["phone": phone]).status == .tooManyRequests)
        }
    }

    @Test func withoutAGatewayTheSearchByPhoneSaysSo() async throws {
        try await withTestApp { app in
            app.smsGateway = nil
            let page = try await send(app, .GET, "/find")
            #expect(page.text.contains("disabled"))
            let refused = try await send(app, .POST, "/find/code", headers: ["Cookie": try #require(page.sessionCookie)],
                                         form: ["_csrf": try #require(page.csrfToken), "phone": DemoCases.residentPhone])
            #expect(refused.status == .serviceUnavailable && refused.text.contains("案件编号"))
        }
    }
}
