@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import Testing
import VaporTesting

/// The residents' journey in a real headless Chromium at phone width (390 × 844), in Chinese and in English: open a
/// QR poster, follow its code to the form, pick a problem, add a photo and a phone number, send, keep the tracking
/// link; staff close the case; the resident rates it. Screenshots of every step go to `.build/test-artifacts/browser/`.
// Serialized: each test starts a real server and a headless Chromium (hundreds of MB); two at once on a 2-core
// machine time out waiting for pages, and they write screenshots into one shared folder.
@Suite("Portal in a real browser", .serialized, .enabled(if: Browser.available))
struct PortalBrowserTests {
    @Test(arguments: [("zh-Hans", "zh-CN,zh;q=0.9"), ("en", "en-GB,en;q=0.9")])
    func aResidentReportsAndRatesOnAPhone(language: String, acceptLanguage: String) async throws {
        try await withTestApp { app in
            try await Browser.with(app, width: 390, height: 844) { b, base in
                try await journey(app, b, base: base, language: language, acceptLanguage: acceptLanguage)
            }
        }
    }

    func journey(_ app: Application, _ browser: Browser, base: String, language: String, acceptLanguage: String) async throws {
        let en = language == "en"
        try await browser.call("Emulation.setUserAgentOverride", ["userAgent": "Mozilla/5.0 (Linux; Android 14) Mobile CitySteward-test",
                                                                  "acceptLanguage": acceptLanguage])
        func fitsThePhone(_ step: String) async throws {
            let width = try await browser.evaluate("document.documentElement.scrollWidth") as? Int ?? 0
            #expect(width <= 390, "\(step) is \(width) px wide: no sideways scrolling on a phone")
        }
        // The poster at the garbage room: its code's text is the form's address.
        try await browser.open("\(base)/q/\(garbageRoom.code)")
        #expect(try await browser.string("document.documentElement.lang") == language)
        #expect(try await browser.evaluate("document.querySelector('.qr svg') !== null") as? Bool == true)
        let link = try await browser.string("document.querySelector('.url').textContent.trim()")
        #expect(link == "\(base)/report?place=\(garbageRoom.code)")
        _ = try await browser.screenshot("1-qr-poster-\(language)")

        // Scanning opens the picker, already located, emergency numbers on top.
        try await browser.open(link)
        #expect(try await browser.string("document.querySelector('.place b').textContent") == (en ? garbageRoom.nameEn : garbageRoom.name))
        #expect(try await browser.evaluate("document.querySelector('.sos a[href=\"tel:119\"]') !== null") as? Bool == true)
        try await fitsThePhone("the picker")
        _ = try await browser.screenshot("2-picker-\(language)")

        // Pick "bins overflowing": the form, with nothing to type but what the resident wants to add.
        _ = try await browser.click("a.topic[href*='topic=bins']")
        #expect(try await browser.string("document.querySelector('h1').textContent") == (en ? "Bins overflowing" : "垃圾桶满了"))
        try await browser.fill("textarea[name=description]", en ? "Bins by the gate are full" : "门口垃圾桶满了")
        try await browser.fill("input[name=phone]", "13700001234")
        let photo = FileManager.default.temporaryDirectory.appendingPathComponent("bins-\(UUID().uuidString.prefix(6)).png")
        try TestImages.decodablePNG().write(to: photo)
        defer { try? FileManager.default.removeItem(at: photo) }
        try await browser.setFiles("input[type=file]", [photo.path])
        #expect(try await browser.evaluate("document.querySelector('input[type=file]').files.length") as? Int == 1)
        try await fitsThePhone("the form")
        _ = try await browser.screenshot("3-form-\(language)")

        // Send: the receipt with the short number and the tracking link.
        let receiptURL = try await browser.click("#report-form button[type=submit]")
        #expect(receiptURL.contains("/t/") && receiptURL.hasSuffix("?new=1"))
        let number = try await browser.string("document.querySelector('.receipt .number').textContent")
        let tracking = try await browser.string("document.querySelector('.receipt a.code').href")
        #expect(number.hasPrefix("LH-") && tracking.hasPrefix("\(base)/t/"))
        #expect(try await browser.string("document.body.innerText").contains("137****1234"))
        // The public copy of the photo (text chunks with the position dropped) really draws.
        #expect(try await browser.evaluate("(async () => { const i = document.querySelector('.photos img'); await i.decode(); return i.naturalWidth })()") as? Int == 160)
        try await fitsThePhone("the receipt")
        _ = try await browser.screenshot("4-receipt-\(language)")
        let row = try await CaseStore(db: app.db).find(number: number, scope: nil)
        #expect(row.source == "resident" && row.placeCode == garbageRoom.code)
        #expect(try await CaseStore(db: app.db).photos(of: row.id).count == 1)

        // Staff close it.
        try await workToClosure(app, row.id)

        // The resident follows the link: done, in plain words; rates it four stars.
        try await browser.open(tracking)
        let text = try await browser.string("document.body.innerText")
        #expect(text.contains(en ? "Done; please rate the result" : "已办结，欢迎评价"))
        _ = try await browser.screenshot("5-closed-\(language)")
        _ = try await browser.evaluate("document.querySelector('#rate input[name=rating][value=\"4\"]').click()")
        try await browser.fill("#rate textarea[name=comment]", en ? "Quick, thanks" : "很及时，谢谢")
        _ = try await browser.click("#rate button[type=submit]")
        #expect(try await browser.string("document.querySelector('.rated').textContent").contains("4 / 5"))
        try await fitsThePhone("the rated case")
        _ = try await browser.screenshot("6-rated-\(language)")
        #expect(try await ResidentReportStore(db: app.db).find(caseID: row.id)?.rating == 4)
    }

    /// Without a QR code: the phone's position (granted and emulated), the duplicate shown by the page script, and a
    /// tap on the village map that places the report.
    @Test func positionFromThePhoneAndFromATapOnTheMap() async throws {
        try await withTestApp { app in
            try await Browser.with(app, width: 390, height: 844) { b, base in
                // Someone already reported noise here.
                let here = try await gridCentre(app, songziyuan, 4)
                let earlier = try await report(app, try await token(app, "steward-patrol"), category: "06028", at: here)
                let number = try #require(earlier.json["number"] as? String)

                try await b.call("Browser.grantPermissions", ["origin": base, "permissions": ["geolocation"]])
                try await b.call("Emulation.setGeolocationOverride", ["latitude": here.lat, "longitude": here.long + 0.0001, "accuracy": 10])
                try await b.open("\(base)/report/new?topic=noise&lang=en")
                #expect(try await b.evaluate("document.getElementById('locate').hidden") as? Bool == false)
                _ = try await b.evaluate("document.getElementById('locate').click()")
                var lat = ""
                for _ in 0..<50 where lat.isEmpty {
                    try await Task.sleep(for: .milliseconds(100))
                    lat = try await b.string("document.getElementById('lat').value")
                }
                #expect(abs((Double(lat) ?? 0) - here.lat) < 1e-5)
                // The page script found the earlier report within 50 m and shows it before sending.
                var shown = false
                for _ in 0..<50 where !shown {
                    try await Task.sleep(for: .milliseconds(100))
                    shown = try await b.evaluate("!document.getElementById('nearby').hidden && document.getElementById('nearby-list').textContent.includes(\(Browser.js(number)))") as? Bool == true
                }
                #expect(shown, "the duplicate \(number) is listed")
                _ = try await b.screenshot("7-nearby-en")

                // Choose the village and tap its map: the tap becomes the position.
                _ = try await b.evaluate("(() => { const v = document.getElementById('village'); v.value = \(Browser.js(songziyuan)); v.dispatchEvent(new Event('change')); })()")
                let box = try #require(try await b.evaluate("(() => { const m = document.querySelector('.tapmap:not([hidden]) svg path.shape'); const r = m.getBoundingClientRect(); m.scrollIntoView({block: 'center'}); const s = m.getBoundingClientRect(); return [s.x + s.width * 0.3, s.y + s.height * 0.7]; })()") as? [Double])
                for type in ["mousePressed", "mouseReleased"] {
                    try await b.call("Input.dispatchMouseEvent", ["type": type, "x": box[0], "y": box[1], "button": "left", "clickCount": 1])
                }
                let tapped = try await b.string("document.getElementById('lat').value + ',' + document.getElementById('long').value")
                let parts = tapped.split(separator: ",").compactMap { Double($0) }
                #expect(parts.count == 2)
                let village = try #require(try await AreaStore(db: app.db).find(code: songziyuan))
                if parts.count == 2 {
                    #expect(village.shape?.locate(GeoPoint(lat: parts[0], long: parts[1])) == .inside, "the tap at \(tapped) lies in the village")
                }
                #expect(try await b.evaluate("document.querySelector('.pin-new') !== null") as? Bool == true)
                _ = try await b.screenshot("8-map-tap-en")
                _ = try await b.click("#report-form button[type=submit]")
                let number2 = try await b.string("document.querySelector('.receipt .number').textContent")
                let row = try await CaseStore(db: app.db).find(number: number2, scope: nil)
                #expect(parts.count == 2 && abs(row.lat - parts[0]) < 1e-6 && abs(row.long - parts[1]) < 1e-6)
                #expect(row.villageId == village.id && row.description == "噪音扰民")
            }
        }
    }
}
