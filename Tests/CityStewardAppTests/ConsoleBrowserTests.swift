@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import Testing
import VaporTesting

/// The data-protection console pages in a real headless Chromium at desktop width: the population register (masked),
/// the audit log (chain intact), devices and data sharing. Screenshots go to `.build/test-artifacts/browser/`.
// Serialized: each test starts a real server and a headless Chromium (hundreds of MB); two at once on a 2-core
// machine time out waiting for pages, and they write screenshots into one shared folder.
@Suite("Console pages in a real browser", .serialized, .enabled(if: Browser.available))
struct ConsoleBrowserTests {
    @Test func registerAuditAndDevicesRenderForTheirRoles() async throws {
        try await withTestApp { app in
            let people = try await loadDemoResidents(app)
            let key = try #require(try await DemoDevices.load(app))
            _ = try await FeedsTests().ingest(app, key, FeedsTests().batch(0, 30))
            try await Browser.with(app, width: 1280, height: 900) { b, base in
                func logIn(_ user: String) async throws {
                    try await b.open("\(base)/login")
                    try await b.fill("input[name=username]", user)
                    try await b.fill("input[name=password]", DemoDistrict.password)
                    _ = try await b.click("form button[type=submit]")
                }
                func fitsTheWindow(_ step: String) async throws {
                    let width = try await b.evaluate("document.documentElement.scrollWidth") as? Int ?? 0
                    #expect(width <= 1280, "\(step) is \(width) px wide")
                }
                // The street office's register: its residents only, every ID number and phone masked on screen.
                try await logIn("street-minzhi")
                try await b.open("\(base)/residents")
                let rows = try await b.evaluate("document.querySelectorAll('tbody tr').length") as? Int ?? 0
                #expect(rows == min(50, people.filter { $0.building.hasPrefix("440309002") }.count))
                let shown = try await b.string("document.body.innerText")
                #expect(LeakScan.leaks(shown).isEmpty, "\(LeakScan.leaks(shown))")
                #expect(try await b.evaluate("document.querySelector('a[href^=\"/residents/export.csv\"]') !== null") as? Bool == true)
                try await fitsTheWindow("the register")
                _ = try await b.screenshot("console-residents")
                try await b.open("\(base)/devices")
                #expect(try await b.evaluate("document.querySelectorAll('tbody tr').length") as? Int ?? 0 > 0)

                // The auditor's log: the chain is whole; the sign-ins just made are there.
                try await b.call("Network.clearBrowserCookies")
                try await logIn("auditor")
                try await b.open("\(base)/audit")
                #expect(try await b.evaluate("document.querySelector('.notice.ok') !== null") as? Bool == true)
                #expect(try await b.string("document.querySelector('tbody').innerText").contains("user:street-minzhi"))
                try await fitsTheWindow("the audit log")
                _ = try await b.screenshot("console-audit")

                // The district admin: devices with their activity and the consumers' feeds.
                try await b.call("Network.clearBrowserCookies")
                try await logIn("district-admin")
                try await b.open("\(base)/devices")
                let text = try await b.string("document.body.innerText")
                #expect(text.contains("GATE-01") && text.contains("district-platform") && text.contains("video-platform"))
                try await fitsTheWindow("devices")
                _ = try await b.screenshot("console-devices")
            }
        }
    }

    @Test func contractsBillsAndTheLedgerRenderInABrowser() async throws {
        try await withTestApp { app in
            try await loadDemoResidents(app)
            try await DemoFinance.load(app)
            let demo = try #require(try await ContractStore(db: app.db).list(scope: .all).first { $0.number == DemoDistrict.contractNumber(streetCode: "440309002") })
            let run = try #require(try await FinanceStore(db: app.db).runs(contractNumber: demo.number).first)
            try await Browser.with(app, width: 1280, height: 900) { b, base in
                try await b.open("\(base)/login")
                try await b.fill("input[name=username]", "street-minzhi")
                try await b.fill("input[name=password]", DemoDistrict.password)
                _ = try await b.click("form button[type=submit]")
                try await b.open("\(base)/contracts/\(demo.id)")
                #expect(try await b.evaluate("document.querySelectorAll('table tbody tr').length") as? Int ?? 0 >= 3)
                _ = try await b.screenshot("finance-contract")
                try await b.open("\(base)/billing/\(run.id)")
                #expect(try await b.string("document.querySelector('tfoot').innerText").contains(Money.yuan(run.statement.netFen)))
                _ = try await b.screenshot("finance-billing")
                try await b.open("\(base)/ledger?village=\(ContractsTests.village)")
                let bars = try await b.evaluate("document.querySelectorAll('svg.chart rect').length") as? Int ?? 0
                #expect(bars > 12, "stacked bars and the legend")
                let width = try await b.evaluate("document.documentElement.scrollWidth") as? Int ?? 0
                #expect(width <= 1280, "the ledger is \(width) px wide")
                _ = try await b.screenshot("finance-ledger")
            }
        }
    }
}

/// Every page of the console and the portal, opened in a real browser at phone width in both languages: each must
/// pass axe-core's WCAG A/AA rules (`Browser.open` audits it) and fit the screen.
@Suite("Every page, accessible, on a phone", .serialized, .enabled(if: Browser.available))
struct AccessibilitySweepTests {
    @Test func everyPagePassesAxeCoreInBothLanguages() async throws {
        try await withTestApp { app in
            try await DemoCases.load(app)
            try await loadDemoResidents(app, count: 30)
            try await DemoFinance.load(app)
            _ = try await DemoDevices.load(app)
            try await DemoOperations.load(app)
            try await DemoAssets.load(app)
            #expect(try await DemoShifts.load(app))
            #expect(try await DemoCaseHistory.load(app))
            #expect(try await DemoSpotChecks.load(app))
            #expect(try await DemoAssessment.load(app))
            #expect(try await DemoNotices.load(app))
            let notice = try #require(try await NoticeStore(db: app.db).list(under: nil, org: nil).first).id.uuidString.lowercased()
            #expect(try await DemoActivities.load(app))
            let activities = try await ActivityStore(db: app.db).list(under: nil, org: nil)
            let theme = try #require(activities.first { $0.kind == .villageTheme }), held = try #require(activities.first { $0.reportedAt != nil })
            // A sign-up whose receipt link the sweep opens.
            let receiptToken = ActivitiesService.newToken(), phone = try #require(PhoneNumber.parse("13912345678"))
            _ = try await ActivityStore(db: app.db).signUp(
                ActivitySignupRow(id: UUID(), activityId: theme.id, nameSealed: try app.fieldCipher.seal("林晓梅"), nameMasked: "林**", phoneSealed: try app.fieldCipher.seal(phone.sealedForm),
                                  phoneMasked: phone.masked, phoneIndex: app.fieldCipher.blindIndex(phone.e164), receiptHash: ActivitiesService.receiptHash(receiptToken),
                                  walkIn: false, signedUpAt: app.clock.now), replacing: nil, now: app.clock.now)
            let themeID = theme.id.uuidString.lowercased(), heldID = held.id.uuidString.lowercased()
            #expect(try await DemoDeliberations.load(app))
            let decidedItem = try #require(try await DeliberationStore(db: app.db).list(under: nil, org: nil, state: .decided).first).id.uuidString.lowercased()
            let raisedItem = try #require(try await DeliberationStore(db: app.db).list(under: nil, org: nil, state: .raised).first).id.uuidString.lowercased()
            #expect(try await DemoMeetings.load(app))
            let meetingIDs = try await MeetingStore(db: app.db).list().map { $0.id.uuidString.lowercased() }
            let assessment = try #require(try await AssessmentStore(db: app.db).list(drafts: false).first { $0.year == 2026 }).id.uuidString.lowercased()
            // A district round with its spots inspected, and one waiting, so the phone's inspection form is audited too.
            let admin = try #require(try await DirectoryStore(db: app.db).user(username: "district-admin"))
            let spotRound = try #require(try await SpotCheckStore(db: app.db).rounds().first { $0.createdBy == admin.id })
            let inspected = try #require(try await SpotCheckStore(db: app.db).spots(round: spotRound.id).first { $0.failed > 0 })
            let waitingID = UUID(), waitingSpot = UUID()
            _ = try await SpotCheckStore(db: app.db).create(
                SpotCheckRoundRow(id: waitingID, code: "", title: "公厕抽查", placeType: SpotCheckPlaceType.toilet.rawValue, scopeAreaId: spotRound.scopeAreaId,
                                  orgId: spotRound.orgId, day: LocalDate.beijing(app.clock.now).description, seed: spotRound.seed, population: spotRound.population,
                                  drawn: 1, createdBy: admin.id, createdAt: app.clock.now),
                spots: [SpotCheckRow(id: waitingSpot, roundId: waitingID, position: 1, gridId: inspected.gridId, gridCode: inspected.gridCode,
                                     villageId: inspected.villageId, areaPath: inspected.areaPath)])
            // Last year's results on display again (a correction with its window open), so the public comment form is audited too.
            let lastYear = try #require(try await AssessmentStore(db: app.db).list(drafts: false).first { $0.year == 2025 })
            let shown = try #require(try await AssessmentResultStore(db: app.db).results(plan: lastYear.id).last)
            let today = LocalDate.beijing(app.clock.now)
            _ = try await AssessmentResultStore(db: app.db).publish(plan: lastYear, planVersion: shown.planVersion, from: shown.from, through: shown.through, scores: shown.scores,
                                                                    terms: ResultTerms(opens: today, closes: today.adding(days: 9), reason: "复核后再次公示"),
                                                                    by: try #require(try await DirectoryStore(db: app.db).user(username: "district-admin")).id, at: app.clock.now)
            let asset = try #require(try await AssetStore(db: app.db).list(.all, AssetFilter(condition: "damaged")).first)
            let plan = try #require(try await WorkPlanStore(db: app.db).plans(.all).first)
            let team = try #require(try await TeamStore(db: app.db).list(orgs: nil).first)
            let route = try #require(try await PatrolStore(db: app.db).routes(.all).first)
            let someCase = try #require(try await CaseStore(db: app.db).queue(scope: .everything, filter: .init(), limit: 1, offset: 0, now: app.clock.now).page.rows.first)
            let contract = try #require(try await ContractStore(db: app.db).list(scope: .all).first)
            let run = try #require(try await FinanceStore(db: app.db).runs(contractNumber: contract.number).first)
            let resident = try #require(try await ResidentStore(db: app.db).list(scope: .everything, limit: 1).rows.first)
            let building = try #require(try await AreaStore(db: app.db).find(code: resident.buildingCode))
            let house = try await HouseStore(db: app.db).create(HouseTerms(building: building.code, unit: resident.unit, addressCode: nil, use: .rental, rooms: 2,
                                                                           floorArea: 48), in: building, at: app.clock.now)
            let village = try await areaID(app, code: "440309002001V01")
            let tracking = app.fieldCipher.derivedToken("tracking", DemoCases.residentFormKeys[0])
            let publicPages = ["/login", "/report", "/report/new", "/find?phone=\(DemoCases.residentPhone)", "/t/\(tracking)",
                               "/c/\(someCase.number)", "/q/\(DemoDistrict.villageCodes[2])", "/q/\(DemoDistrict.villageCodes[2])/sheet",
                               "/public/assessment/2025", "/v/440309002001V01", "/n/\(notice)", "/report?place=440309002001V01",
                               "/a/\(themeID)", "/a/\(heldID)", "/a/s/\(receiptToken)", "/ac/\(theme.checkinCode)",
                               "/d/\(decidedItem)", "/v/440309002001V01/raise"]
            let consolePages = ["/", "/cases", "/cases/map", "/cases/\(someCase.id.uuidString.lowercased())", "/tasks", "/patrol", "/taxonomy",
                                "/taxonomy/06010", "/areas/\(village)", "/residents", "/residents/\(resident.id.uuidString.lowercased())",
                                "/residents/import", "/devices", "/contracts", "/contracts/new", "/contracts/\(contract.id)", "/billing/\(run.id)",
                                "/catalog", "/ledger", "/fees", "/subsidies", "/audit", "/directory/orgs", "/directory/users", "/consumers",
                                "/consumers/district-platform", "/catalog/matters/M-SAN-01", "/catalog/streets/440309002", "/me/keys",
                                "/houses?building=\(resident.buildingCode)", "/houses/\(house.id.uuidString.lowercased())",
                                "/operations", "/work-plans/\(plan.id.uuidString.lowercased())", "/teams", "/teams/\(team.row.id.uuidString.lowercased())",
                                "/patrol-routes", "/patrol-routes/\(route.id.uuidString.lowercased())", "/patrol-routes/\(route.id.uuidString.lowercased())/codes",
                                "/k/\(route.checkpoints[0].code)", "/notifications", "/assets?area=\(DemoDistrict.villageCodes[0])",
                                "/assets/\(asset.id.uuidString.lowercased())", "/assets/\(asset.id.uuidString.lowercased())/inspect", "/checklists", "/shifts", "/notices",
                                "/activities", "/activities/\(themeID)", "/activities/\(heldID)", "/activities/\(themeID)/poster",
                                "/deliberations", "/deliberations/\(decidedItem)", "/deliberations/\(raisedItem)",
                                "/meetings", "/meetings/\(meetingIDs[0])", "/meetings/\(meetingIDs[1])", "/action-items", "/action-items?all=1",
                                "/assessment", "/assessment/plans/\(assessment)", "/assessment/plans/\(assessment)/villages/\(DemoDistrict.villageCodes[0])",
                                "/assessment/plans/\(lastYear.id.uuidString.lowercased())", "/spot-checks", "/spot-checks/\(spotRound.id.uuidString.lowercased())", "/dashboard",
                                "/spot-checks/\(spotRound.id.uuidString.lowercased())/spots/\(inspected.id.uuidString.lowercased())",
                                "/spot-checks/\(waitingID.uuidString.lowercased())/spots/\(waitingSpot.uuidString.lowercased())"]
            try await Browser.with(app, width: 390, height: 844) { b, base in
                for language in ["zh-Hans", "en"] {
                    try await b.call("Network.clearBrowserCookies")
                    for path in publicPages { try await b.open(base + path + (path.contains("?") ? "&" : "?") + "lang=\(language)") }
                    try await b.open("\(base)/login?lang=\(language)")
                    try await b.fill("input[name=username]", "district-admin")
                    try await b.fill("input[name=password]", DemoDistrict.password)
                    _ = try await b.click("form button[type=submit]")
                    for path in consolePages {
                        try await b.open(base + path + (path.contains("?") ? "&" : "?") + "lang=\(language)")
                        let status = try await b.evaluate("performance.getEntriesByType('navigation')[0].responseStatus") as? Int
                        #expect(status == 200, "\(path) answered \(status.map(String.init) ?? "?")")
                        let width = try await b.evaluate("document.documentElement.scrollWidth") as? Int ?? 0
                        #expect(width <= 420, "\(path) in \(language) is \(width) px wide on a 390 px phone")
                    }
                }
                _ = try await b.screenshot("phone-directory-users")
            }
        }
    }
}
