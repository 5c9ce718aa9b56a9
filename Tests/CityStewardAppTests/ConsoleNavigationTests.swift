@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import Testing
import VaporTesting

@Suite("Console navigation and forms by role")
struct ConsoleNavigationTests {
    /// The links of the page's menu.
    static func menu(_ html: String) -> [String] {
        guard let start = html.range(of: "<nav>"), let end = html.range(of: "</nav>", range: start.upperBound..<html.endIndex) else { return [] }
        return html[start.upperBound..<end.lowerBound].components(separatedBy: "href=\"").dropFirst()
            .compactMap { $0.split(separator: "\"").first.map(String.init) }.filter { $0.hasPrefix("/") && !$0.contains("lang=") }
    }

    @Test func everyRoleSeesOnlyLinksItCanOpen() async throws {
        try await withTestApp { app in
            for user in DemoDistrict.users {
                let (cookie, _) = try await webLogin(app, user.username)
                var home = try await send(app, .GET, "/", headers: ["Cookie": cookie])
                if home.status == .seeOther, let location = home.headers.first(name: .location) {
                    #expect(user.role == .stewardStaff && location == "/tasks", "\(user.username) is sent to \(location)")
                    home = try await send(app, .GET, location, headers: ["Cookie": cookie])
                }
                #expect(home.status == .ok, "\(user.username)'s start page")
                let links = Self.menu(home.text)
                #expect(!links.isEmpty || user.role == .resident, "\(user.username) has a menu")
                for link in links {
                    let page = try await send(app, .GET, link, headers: ["Cookie": cookie])
                    #expect(page.status == .ok || page.status == .seeOther, "\(user.username) → \(link): \(page.status)")
                }
                #expect(links.contains("/patrol") == CaseAccess.mayPatrol(Actor(user: User(id: UUID(), username: user.username, displayName: "",
                                                                                           role: user.role, orgID: nil, isActive: true), org: nil, orgAreas: [])))
            }
        }
    }

    @Test func aResidentCannotUseTheStaffPatrolForm() async throws {
        try await withTestApp { app in
            let (cookie, _) = try await webLogin(app, "resident-demo")
            #expect(try await send(app, .GET, "/patrol", headers: ["Cookie": cookie]).status == .forbidden)
            let before = try await caseCount(app)
            let posted = try await send(app, .POST, "/patrol", headers: ["Cookie": cookie],
                                        form: ["category": "06010", "placeCode": "440309004005V01", "description": "x", "formKey": UUID().uuidString])
            #expect(posted.status == .forbidden)
            #expect(try await caseCount(app) == before)
        }
    }

    @Test func staffPagesAreNeverKeptByTheBrowser() async throws {
        try await withTestApp { app in
            let (cookie, _) = try await webLogin(app, "street-minzhi")
            for path in ["/", "/cases", "/residents"] {
                #expect(try await send(app, .GET, path, headers: ["Cookie": cookie]).headers.first(name: .cacheControl) == "no-store", "\(path)")
            }
            #expect(try await send(app, .GET, "/login").headers.first(name: .cacheControl) == nil)   // nobody's page
        }
    }

    @Test func theQueueFilterFormLeftOnAllIsNoFilter() async throws {
        try await withTestApp { app in
            try await DemoCases.load(app)
            let (cookie, _) = try await webLogin(app, "steward-dispatch")
            let all = try await send(app, .GET, "/cases?state=&area=&source=&category=", headers: ["Cookie": cookie])
            #expect(all.status == .ok)
            func numbers(_ html: String) -> [String] { html.components(separatedBy: "LH-2026-").dropFirst().map { String($0.prefix(6)) } }
            let plain = try await send(app, .GET, "/cases", headers: ["Cookie": cookie])
            #expect(!numbers(all.text).isEmpty && numbers(all.text) == numbers(plain.text))
            let bad = try await send(app, .GET, "/cases?area=nope", headers: ["Cookie": cookie, "Accept-Language": "en"])
            #expect(bad.status == .badRequest && bad.text.contains("area must be an area id"))
            // The API names a malformed value's field too.
            let api = try await send(app, .GET, "/api/v1/cases?overdue=perhaps", headers: bearer(try await token(app, "steward-dispatch")))
            #expect(api.status == .badRequest && api.json["field"] as? String == "overdue")
        }
    }
}

@Suite("Console pages in the reader's language")
struct ConsoleWordingTests {
    @Test func chinesePagesSayItInChineseAndInBeijingTime() async throws {
        try await withTestApp { app in
            let patrol = try await token(app, "steward-patrol")
            let photo = TestImages.jpegWithGPS().base64EncodedString()
            let reported = try await report(app, patrol, category: "06010", at: try await gridCentre(app, "440309002001V01"), extra: ["photos": [["data": photo]]])
            let id = try #require(reported.json["id"] as? String)
            let (cookie, _) = try await webLogin(app, "district-admin")
            let casePage = try await send(app, .GET, "/cases/\(id)", headers: ["Cookie": cookie])
            #expect(casePage.text.contains("<figcaption>上报照片</figcaption>") && !casePage.text.contains("<figcaption>report</figcaption>"))
            #expect(casePage.text.contains("<strong>上报</strong>"))
            let contract = try #require(try await ContractStore(db: app.db).list(scope: .all).first)
            let contractPage = try await send(app, .GET, "/contracts/\(contract.id)", headers: ["Cookie": cookie])
            #expect(contractPage.text.contains("起草") && !contractPage.text.contains("· create"), Comment(rawValue: String(contractPage.text.suffix(1500))))
            let category = try await send(app, .GET, "/taxonomy/06010", headers: ["Cookie": cookie])
            #expect(category.text.contains("<time>2026-11-18 10:00</time>") && !category.text.contains("T02:00:00Z"))
        }
    }
}
