@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import Foundation
import Testing
import Vapor

/// The notifications inbox (issue 18 §6): read and unread per person, on a page and in the API.
@Suite("Notifications inbox")
struct NotificationsInboxTests {
    @Test func eachPersonReadsTheirOwnAndOpeningOneGoesToItsCase() async throws {
        try await withTestApp { app in
            try await DemoCases.load(app)
            let dispatcher = bearer(try await token(app, "steward-dispatch"))
            let list = try await send(app, .GET, "/api/v1/notifications", headers: dispatcher)
            let items = try #require((try JSONSerialization.jsonObject(with: Data(list.text.utf8))) as? [[String: Any]])
            #expect(items.count >= 2 && items.allSatisfy { $0["read"] as? Bool == false }, "\(list.text.prefix(300))")
            let first = try #require(items[0]["id"] as? String)
            // Marked read by the API; an id the caller cannot see is ignored, as if missing.
            #expect(try await send(app, .POST, "/api/v1/notifications/read", headers: dispatcher, json: ["ids": [first, UUID().uuidString]]).status == .noContent)
            let after = try #require((try JSONSerialization.jsonObject(with: Data(try await send(app, .GET, "/api/v1/notifications", headers: dispatcher).text.utf8))) as? [[String: Any]])
            #expect(after.filter { $0["read"] as? Bool == true }.compactMap { $0["id"] as? String } == [first])
            // The patroller of the same company has read nothing yet (an organisation's notice is read per person).
            let (cookie, _) = try await webLogin(app, "steward-patrol")
            let page = try await send(app, .GET, "/notifications", headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.text.contains("class=\"card unread\"") && page.text.contains("href=\"/notifications\""))
            // Opening one reads it and goes to its case; "all read" reads the rest.
            let second = try #require(items.first { $0["caseId"] != nil }?["id"] as? String)
            let opened = try await send(app, .GET, "/notifications/\(second)", headers: ["Cookie": cookie])
            #expect(opened.status == .seeOther && opened.location?.hasPrefix("/cases/") == true)
            let all = try await send(app, .POST, "/notifications/read", headers: ["Cookie": cookie], form: ["_csrf": try #require(page.csrfToken), "all": "1"])
            #expect(all.status == .seeOther)
            let read = try await send(app, .GET, "/notifications", headers: ["Cookie": cookie])
            #expect(!read.text.contains("class=\"card unread\""))
            #expect(try await send(app, .GET, "/notifications/\(UUID().uuidString)", headers: ["Cookie": cookie]).status == .notFound)
        }
    }
}
