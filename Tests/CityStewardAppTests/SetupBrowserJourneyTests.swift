@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import Testing
import VaporTesting

/// The setup of a real district done the way its staff do it, in a real browser (issue 16 §9): after `init`, the
/// district office creates the organisations and accounts, imports the surveyed areas from files with a preview, and
/// prices the matter; the street office draws up its list and the contract; the steward countersigns, the street's
/// approver signs, the street office activates — and then the steward's staff see the village and a resident's report
/// there reaches the steward's queue. Every page opened is audited with axe-core.
@Suite("Setting up a district in a real browser", .serialized, .enabled(if: Browser.available))
struct SetupBrowserJourneyTests {
    static let password = SetupJourneyTests.password

    @Test func fromInitToAReportInTheStewardsQueueThroughTheConsole() async throws {
        try await withTestApp(demo: false) { app in
            let setUp = try await InitDistrict(app: app)(.init(reference: DistrictSetup.longhua, adminUsername: "wang", adminName: "王主任",
                                                                password: Self.password, by: "test"))
            #expect((try? setUp.get()) != nil)
            let areas = AreaStore(db: app.db)
            let street = try #require(try await areas.find(code: "440309002"))
            let sw = GeoPoint(lat: 22.6200, long: 114.0280)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("citysteward-setup-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            func file(_ name: String, _ features: [String]) throws -> String {
                let url = folder.appendingPathComponent(name)
                try SetupJourneyTests.collection(features).write(to: url)
                return url.path
            }
            let communityFile = try file("community.geojson", [SetupJourneyTests.square("440309002001", "民治社区", kind: "community", sw: sw, metres: 600)])
            let villageFile = try file("village.geojson", [SetupJourneyTests.square("440309002001V01", "松仔园村", kind: "village", sw: sw, metres: 400)])
            let gridsFile = try file("grids.geojson", [
                SetupJourneyTests.square("440309002001001", "松仔园村网格 001", kind: "grid", sw: sw, metres: 200),
                SetupJourneyTests.square("440309002001002", "松仔园村网格 002", kind: "grid", sw: sw.offset(eastMetres: 200, northMetres: 0), metres: 200)])

            try await Browser.with(app, width: 1280, height: 900) { b, base in
                func logIn(_ user: String) async throws {
                    try await b.call("Network.clearBrowserCookies")
                    try await b.open("\(base)/login")
                    try await b.fill("input[name=username]", user)
                    try await b.fill("input[name=password]", Self.password)
                    _ = try await b.click("form button[type=submit]")
                }
                func text() async throws -> String { try await b.string("document.body.innerText") }
                /// Submits a form whose answer may come back at the same address (a page rendered for the POST): waits
                /// for a new document rather than a new URL.
                func submit(_ selector: String) async throws {
                    _ = try await b.evaluate("window.__before = 1")
                    let found = try await b.evaluate("(() => { const e = document.querySelector(\(Browser.js(selector))); if (!e) return false; e.click(); return true })()") as? Bool
                    #expect(found == true, "nothing matches \(selector)")
                    for _ in 0..<450 {   // up to 45 s, as `waitForPage`
                        try await Task.sleep(for: .milliseconds(100))
                        if (try? await b.string("(typeof window.__before === 'undefined' ? 'new ' : 'old ') + document.readyState")) == "new complete" { return }
                    }
                    Issue.record("no page after \(selector)")
                }
                func tick(_ selector: String) async throws {
                    let ok = try await b.evaluate("(() => { const e = document.querySelector(\(Browser.js(selector))); if (!e) return false; e.checked = true; return true })()") as? Bool
                    #expect(ok == true, "no checkbox \(selector)")
                }

                // 1. The district office: organisations and accounts.
                try await logIn("wang")
                for (code, name, kind, areas) in [("LH-ST-002", "民治街道办事处", "streetOffice", "440309002"), ("LH-STEWARD-09", "示范城市管家有限公司", "steward", "")] {
                    try await b.open("\(base)/directory/orgs")
                    try await b.fill("#org-code", code)
                    try await b.fill("#org-name", name)
                    try await b.fill("#org-kind", kind)
                    try await b.fill("#org-areas", areas)
                    try await submit("form[action='/directory/orgs'] button[type=submit]")
                    #expect(try await text().contains(code))
                }
                for (username, name, role, org) in [("li-wei", "李伟", "streetOfficer", "LH-ST-002"), ("zhou-lead", "周主任", "streetOfficer", "LH-ST-002"),
                                                    ("zhao-dispatch", "赵调度", "stewardDispatcher", "LH-STEWARD-09"),
                                                    ("qian-patrol", "钱巡查", "stewardStaff", "LH-STEWARD-09"), ("sun-resident", "孙女士", "resident", "")] {
                    try await b.open("\(base)/directory/users")
                    try await b.fill("#user-username", username)
                    try await b.fill("#user-display", name)
                    try await b.fill("#user-role", role)
                    try await b.fill("#user-org", org)
                    try await b.fill("#user-password", Self.password)
                    try await submit("form[action='/directory/users'] button[type=submit]")
                    #expect(try await text().contains(username), "account \(username)")
                }

                // 2. The surveyed areas, each file previewed, then imported.
                var parentID = street.id
                for (path, code) in [(communityFile, "440309002001"), (villageFile, "440309002001V01"), (gridsFile, "440309002001002")] {
                    try await b.open("\(base)/areas/\(parentID.uuidString.lowercased())")
                    try await b.setFiles("#import-file", [path])
                    try await submit("form[action$='/import'] button[type=submit]")
                    #expect(try await text().contains(code), "the preview lists \(code)")
                    #expect(try await areas.find(code: code) == nil, "nothing written by the preview")
                    try await submit("form[action$='/import'] button[type=submit]")
                    let made = try #require(try await areas.find(code: code))
                    parentID = made.kind == .grid ? parentID : made.id
                }
                // 3. The matter's benchmark price.
                try await b.open("\(base)/catalog")
                try await b.fill("#price-M-SAN-01", "0.85")
                try await b.fill("#unit-M-SAN-01", "m²")
                try await submit("form[action='/catalog/M-SAN-01'] button[type=submit]")

                // 4. The street office: its list, then the contract, submitted.
                try await logIn("li-wei")
                try await b.open("\(base)/catalog/streets/440309002")
                try await tick("input[name='matters[]'][value='M-SAN-01']")
                try await submit("form[action='/catalog/streets/440309002'] button[type=submit]")
                try await b.open("\(base)/contracts/new")
                for (selector, value) in [("input[name=title]", "松仔园村环境卫生委托合同"), ("select[name=steward]", "LH-STEWARD-09"),
                                          ("input[name=start]", "2026-11-01"), ("input[name=end]", "2027-10-31"),
                                          ("select[name='matter[]']", "M-SAN-01"), ("input[name='quantity[]']", "40000"),
                                          ("textarea[name=rightsAndDuties]", "按月结算。"), ("textarea[name=breachLiability]", "超期按件扣款。"),
                                          ("input[name=guaranteeText]", "兜底完成。"), ("input[name=guaranteeYuan]", "5000"),
                                          ("input[name='checkItem[]']", "保洁作业资质"), ("input[name='checker[]']", "民治街道办"), ("input[name='checkDate[]']", "2026-10-20"),
                                          ("input[name=noticeDate]", "2026-10-25"), ("input[name=noticeChannel]", "村务公开栏"),
                                          ("textarea[name=noticeText]", "松仔园村环境卫生由城市管家承担。")] {
                    try await b.fill(selector, value)
                }
                try await tick("input[name='areas[]'][value='440309002001V01']")
                try await submit("form[action='/contracts/new'] button[type=submit]")
                let contractURL = try await b.string("location.href")
                #expect(contractURL.contains("/contracts/") && !contractURL.hasSuffix("/new"), "\(contractURL)")
                try await submit("#act-submit button[type=submit]")
                // 5. The steward countersigns; the street's approver signs; the street office activates.
                try await logIn("zhao-dispatch")
                try await b.open(contractURL)
                try await submit("#act-countersign button[type=submit]")
                try await logIn("zhou-lead")
                try await b.open(contractURL)
                try await submit("#act-sign button[type=submit]")
                try await logIn("li-wei")
                try await b.open(contractURL)
                try await submit("#act-activate button[type=submit]")
                let activated = try await text()
                #expect(activated.contains("履行中") || activated.contains("Active"), "\(activated.prefix(400))")
                _ = try await b.screenshot("setup-contract-active")

                // 6. The steward's staff see the village now.
                try await logIn("qian-patrol")
                try await b.open("\(base)/cases/map")
                try await b.open("\(base)/")
                let home = try await text(), where_ = try await b.string("location.pathname")
                #expect(home.contains("松仔园村") || where_ == "/tasks", "\(where_)")
            }
            let patrolAreas = try await send(app, .GET, "/api/v1/areas?kind=village", headers: try await SetupJourneyTests().signIn(app, "qian-patrol", Self.password))
            #expect(patrolAreas.text.contains("440309002001V01"))
            // 7. A resident's report there reaches the steward's queue.
            let taxonomy = try await TaxonomyStore(db: app.db).current(deviceEvents: [])
            let sanitation = try #require(taxonomy.categories.first { $0.kind == .event && $0.matter == "M-SAN-01" })
            let inGrid = sw.offset(eastMetres: 50, northMetres: 50)
            let reported = try await send(app, .POST, "/api/v1/cases", headers: try await SetupJourneyTests().signIn(app, "sun-resident", Self.password),
                                          json: ["category": sanitation.code, "lat": inGrid.lat, "long": inGrid.long, "description": "公厕无人清扫"])
            #expect((reported.json["routing"] as? [String: Any])?["rule"] as? String == "entrusted", Comment(rawValue: reported.text))
            let number = try #require(reported.json["number"] as? String)
            try await Browser.with(app, width: 1280, height: 900) { b, base in
                try await b.open("\(base)/login")
                try await b.fill("input[name=username]", "zhao-dispatch")
                try await b.fill("input[name=password]", Self.password)
                _ = try await b.click("form button[type=submit]")
                try await b.open("\(base)/cases")
                #expect(try await b.string("document.body.innerText").contains(number), "the report in the steward's queue")
            }
        }
    }
}
