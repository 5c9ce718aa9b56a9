@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import Testing
import VaporTesting

/// The resident's community journey in a real headless Chromium at phone width (390 × 844), in Chinese and in English,
/// on the demo's data: open the village's page, read the contract's notice, sign up for the theme activity, then at the
/// place scan its code and check in with the phone's position. Every page passes axe-core; screenshots go to
/// `.build/test-artifacts/browser/`.
@Suite("Community pages in a real browser", .serialized, .enabled(if: Browser.available))
struct CommunityBrowserTests {
    @Test(arguments: [("zh-Hans", "zh-CN,zh;q=0.9"), ("en", "en-GB,en;q=0.9")])
    func aResidentReadsSignsUpAndChecksIn(language: String, acceptLanguage: String) async throws {
        try await withTestApp { app in
            // The page sends the phone's own clock with a check-in (a skew is flagged); Chromium's clock is the real one,
            // so the server's is set to it here. Every time below is relative to it.
            app.testClock.set(Date())
            #expect(try await DemoNotices.load(app))
            #expect(try await DemoActivities.load(app))
            #expect(try await DemoActivities.load(app) == false, "loaded once")
            try await Browser.with(app, width: 390, height: 844) { b, base in
                try await journey(app, b, base: base, language: language, acceptLanguage: acceptLanguage)
            }
        }
    }

    func journey(_ app: Application, _ b: Browser, base: String, language: String, acceptLanguage: String) async throws {
        let en = language == "en"
        try await b.call("Emulation.setUserAgentOverride", ["userAgent": "Mozilla/5.0 (Linux; Android 14) Mobile CitySteward-test", "acceptLanguage": acceptLanguage])
        func fitsThePhone(_ step: String) async throws {
            let width = try await b.evaluate("document.documentElement.scrollWidth") as? Int ?? 0
            #expect(width <= 390, "\(step) is \(width) px wide: no sideways scrolling on a phone")
        }
        let village = DemoActivities.village
        // The village's page: the contract's notice, the theme, the activities.
        try await b.open("\(base)/v/\(village)")
        #expect(try await b.string("document.documentElement.lang") == language)
        let text = try await b.string("document.body.innerText")
        #expect(text.contains("城市管家服务告知") && text.contains("客家文化") && text.contains("客家麒麟舞体验夜") && text.contains("电动自行车安全充电讲座"))
        try await fitsThePhone("the village's page")
        _ = try await b.screenshot("community-1-village-\(language)")

        // The contract's notice: who serves the village and what it was entrusted.
        _ = try await b.click(".notice-contract a")
        #expect(try await b.string("document.body.innerText").contains("受托承担"))
        try await fitsThePhone("the contract's notice")
        _ = try await b.screenshot("community-2-contract-notice-\(language)")

        // The theme activity: sign up with a name and a phone number.
        try await b.open("\(base)/v/\(village)")
        let activityURL = try await b.click("li.activity-villageTheme a")
        #expect(activityURL.contains("/a/"))
        #expect(try await b.string("document.querySelector('h1').textContent") == "客家麒麟舞体验夜")
        try await b.fill("#signup-name", en ? "Mei" : "林晓梅")
        try await b.fill("#signup-phone", "139 2345 6789")
        try await fitsThePhone("the activity's page")
        _ = try await b.screenshot("community-3-activity-\(language)")
        let receipt = try await b.click("#signup-form button[type=submit]")
        #expect(receipt.contains("/a/s/") && receipt.hasSuffix("?new=1"))
        let receiptText = try await b.string("document.body.innerText")
        #expect(receiptText.contains(en ? "You are signed up" : "报名成功") && receiptText.contains("139****6789"))
        try await fitsThePhone("the receipt")
        _ = try await b.screenshot("community-4-signed-up-\(language)")

        // At the place: the code put up there opens the check-in page; the phone's position comes with it.
        let activity = try #require(try await ActivityStore(db: app.db).list(under: nil, org: nil, kind: .villageTheme).first { $0.title == "客家麒麟舞体验夜" })
        try await b.call("Browser.grantPermissions", ["origin": base, "permissions": ["geolocation"]])
        try await b.call("Emulation.setGeolocationOverride", ["latitude": activity.position.lat, "longitude": activity.position.long + 0.0002, "accuracy": 15])
        try await b.open("\(base)/ac/\(activity.checkinCode)")
        var located = ""
        for _ in 0..<50 where located.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            located = try await b.string("document.querySelector('#checkin-form input[name=lat]').value")
        }
        #expect(!located.isEmpty, "the page read the phone's position")
        try await b.fill("#checkin-phone", "13923456789")
        try await fitsThePhone("the check-in page")
        _ = try await b.screenshot("community-5-check-in-\(language)")
        _ = try await b.click("#checkin-form button[type=submit]")
        let done = try await b.string("document.body.innerText")
        #expect(done.contains(en ? "You are checked in" : "签到成功"))
        #expect(try await b.evaluate("document.querySelectorAll('#checkin-done .badge.warn').length") as? Int == 0, "at the place, on time: nothing flagged")
        #expect(try await b.accessibilityViolations().isEmpty)
        try await fitsThePhone("the check-in")
        _ = try await b.screenshot("community-6-checked-in-\(language)")
        let signup = try #require(try await ActivityStore(db: app.db).signups(of: activity.id).first { $0.phoneMasked == "139****6789" })
        #expect(signup.checkedInAt != nil && signup.flags.isEmpty && !signup.walkIn && signup.checkinLat != nil)
        #expect(try await ActivityStore(db: app.db).find(activity.id)?.checkedIn == 1)
    }
}
