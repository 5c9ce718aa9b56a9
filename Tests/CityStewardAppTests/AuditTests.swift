@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import SQLKit
import Testing
import VaporTesting

@Suite("Audit log over HTTP")
struct AuditHTTPTests {
    @Test func signInsAndRuleChangesAreAuditedAndAuditorsReadThem() async throws {
        try await withTestApp { app in
            _ = try await token(app, "steward-dispatch")
            let failed = try await send(app, .POST, "/api/v1/auth/token", json: ["username": "steward-dispatch", "password": "wrong"])
            #expect(failed.status == .unauthorized)
            let admin = try await token(app, "district-admin")
            let edit = try await send(app, .PUT, "/api/v1/categories/06010", headers: bearer(admin),
                                      json: ["limits": ["normal": ["amount": 3, "unit": "workingHours"]], "note": "街道要求加快"])
            #expect(edit.status == .ok, "\(edit.text)")
            let store = AuditStore(db: app.db)
            let all = try await store.list(AuditStore.Filter()).rows
            #expect(all.contains { $0.action == "login" && $0.subject == "user:steward-dispatch" && $0.detail.contains("client=") })
            #expect(all.contains { $0.action == "login.failed" && $0.subject == "user:steward-dispatch" && $0.actorID == nil })
            #expect(all.contains { $0.action == "rule.changed" && $0.subject == "category:06010" && $0.detail.contains("街道要求加快") })
            #expect(try await store.verify().firstBroken == nil)

            // The auditor reads and filters; others may not.
            let auditor = try await token(app, "auditor")
            let api = try await send(app, .GET, "/api/v1/audit?action=login.failed", headers: bearer(auditor))
            #expect(api.status == .ok && (api.json["total"] as? Int) == 1)
            let byActor = try await send(app, .GET, "/api/v1/audit?actor=district-admin", headers: bearer(auditor))
            #expect((byActor.json["items"] as? [[String: Any]])?.allSatisfy { $0["actor"] as? String == "区专项办管理员" } == true)
            #expect(try await send(app, .GET, "/api/v1/audit", headers: bearer(try await token(app, "steward-dispatch"))).status == .forbidden)
            #expect(try await send(app, .GET, "/api/v1/audit?action=explode", headers: bearer(auditor)).status == .badRequest)
            #expect(try await send(app, .GET, "/api/v1/audit?from=yesterday", headers: bearer(auditor)).status == .badRequest)
            let (cookie, _) = try await webLogin(app, "auditor")
            let page = try await send(app, .GET, "/audit?action=rule.changed&lang=en", headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.text.contains("Hash chain intact") && page.text.contains("category:06010"))
            #expect(!page.text.contains("user:steward-dispatch"))   // filtered to rule changes
            let (stewardCookie, _) = try await webLogin(app, "steward-dispatch")
            #expect(try await send(app, .GET, "/audit", headers: ["Cookie": stewardCookie]).status == .forbidden)
            // A broken chain shows on the page.
            let sql = app.db as! any SQLDatabase
            if sql.dialect.name == "sqlite" { try await sql.raw("DROP TRIGGER audit_log_no_update").run() } else {
                try await sql.raw("DROP TRIGGER audit_log_no_change ON audit_log").run()
            }
            try await sql.raw("UPDATE audit_log SET detail = 'edited' WHERE seq = 2").run()
            let broken = try await send(app, .GET, "/audit", headers: ["Cookie": cookie])
            #expect(broken.text.contains("哈希链在第几行断开： 2"))
        }
    }
}
