@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import Foundation
import Testing
import NIOConcurrencyHelpers
import VaporTesting

@Suite("Login, tokens and API keys")
struct AuthTests {
    @Test func webLoginSetsAnHttpOnlySessionAndShowsHome() async throws {
        try await withTestApp { app in
            let (cookie, reply) = try await webLogin(app, "district-admin")
            #expect(reply.status == .seeOther)
            #expect(reply.headers.first(name: .location) == "/")
            let setCookie = try #require(reply.headers[.setCookie].first { $0.hasPrefix("citysteward_session=") })
            #expect(setCookie.contains("HttpOnly"))
            #expect(setCookie.contains("SameSite=Lax"))
            let home = try await send(app, .GET, "/", headers: ["Cookie": cookie])
            #expect(home.status == .ok)
            #expect(home.text.contains("区专项办管理员"))
        }
    }

    @Test func demoLoginsAreListedOnlyInTheDemo() async throws {
        try await withTestApp { app in
            let page = try await send(app, .GET, "/login")
            #expect(!page.text.contains("steward-dispatch"))
        }
        try await withTestApp({ $0.isDemo = true }) { app in
            let page = try await send(app, .GET, "/login?lang=en")
            #expect(page.text.contains("steward-dispatch"))
            #expect(page.text.contains("Demo logins"))
        }
    }

    @Test func sessionIdChangesAtLogin() async throws {
        try await withTestApp { app in
            let form = try await send(app, .GET, "/login")
            let before = try #require(form.sessionCookie)
            let reply = try await send(app, .POST, "/login", headers: ["Cookie": before],
                                       form: ["_csrf": try #require(form.csrfToken), "username": "auditor", "password": "demo1234"])
            let after = try #require(reply.sessionCookie)
            #expect(before != after)
        }
    }

    @Test func wrongPasswordShowsTheFormAgain() async throws {
        try await withTestApp { app in
            let (_, reply) = try await webLogin(app, "district-admin", password: "wrong-password")
            #expect(reply.status == .unauthorized)
            #expect(reply.text.contains("用户名或密码错误"))
            #expect(reply.text.contains("value=\"district-admin\""))
        }
    }

    @Test func formsWithoutCSRFTokenAreRefused() async throws {
        try await withTestApp { app in
            let form = try await send(app, .GET, "/login")
            let cookie = try #require(form.sessionCookie)
            let noToken = try await send(app, .POST, "/login", headers: ["Cookie": cookie], form: ["username": "district-admin", "password": "demo1234"])
            #expect(noToken.status == .forbidden)
            #expect(noToken.text.contains("CSRF"))
            let wrongToken = try await send(app, .POST, "/login", headers: ["Cookie": cookie],
                                            form: ["_csrf": "forged", "username": "district-admin", "password": "demo1234"])
            #expect(wrongToken.status == .forbidden)
            let noSession = try await send(app, .POST, "/logout")
            #expect(noSession.status == .forbidden)
        }
    }

    @Test func logoutEndsTheSession() async throws {
        try await withTestApp { app in
            let (cookie, _) = try await webLogin(app, "street-minzhi")
            let home = try await send(app, .GET, "/", headers: ["Cookie": cookie])
            let csrf = try #require(home.csrfToken)
            let out = try await send(app, .POST, "/logout", headers: ["Cookie": cookie], form: ["_csrf": csrf])
            #expect(out.status == .seeOther)
            let after = try await send(app, .GET, "/", headers: ["Cookie": cookie])
            #expect(after.status == .seeOther)
            #expect(after.headers.first(name: .location)?.hasPrefix("/login") == true)
        }
    }

    @Test func theAPIIgnoresSessionCookies() async throws {
        try await withTestApp { app in
            let (cookie, _) = try await webLogin(app, "district-admin")
            #expect(try await send(app, .GET, "/", headers: ["Cookie": cookie]).status == .ok)
            #expect(try await send(app, .GET, "/api/v1/me", headers: ["Cookie": cookie]).status == .unauthorized)
            #expect(try await send(app, .GET, "/api/v1/areas", headers: ["Cookie": cookie]).status == .unauthorized)
        }
    }

    @Test func loginRedirectsOnlyToLocalPaths() {
        #expect(AuthController.safeNext("/areas/x") == "/areas/x")
        #expect(AuthController.safeNext("https://evil.example") == "/")
        #expect(AuthController.safeNext("//evil.example") == "/")
        #expect(AuthController.safeNext(nil) == "/")
    }

    @Test func repeatedFailuresLockTheAccount() async throws {
        try await withTestApp { app in
            for _ in 0..<4 {
                let r = try await send(app, .POST, "/api/v1/auth/token", json: ["username": "auditor", "password": "nope-nope"])
                #expect(r.status == .unauthorized)
            }
            let fifth = try await send(app, .POST, "/api/v1/auth/token", json: ["username": "auditor", "password": "nope-nope"])
            #expect(fifth.status == .tooManyRequests)
            #expect(fifth.headers.first(name: "Retry-After").flatMap(Int.init).map { $0 > 800 } == true)
            // Even the right password is refused while locked.
            let right = try await send(app, .POST, "/api/v1/auth/token", json: ["username": "auditor", "password": "demo1234"])
            #expect(right.status == .tooManyRequests)
            #expect((right.json["detail"] as? String)?.contains("锁定") == true)
            // Other accounts are unaffected.
            #expect(try await send(app, .POST, "/api/v1/auth/token", json: ["username": "district-admin", "password": "demo1234"]).status == .ok)
        }
    }

    @Test func aClientIsRateLimited() async throws {
        try await withTestApp({ $0.loginThrottle = LoginThrottle(maxFailuresPerAccount: 100, maxAttemptsPerClient: 3, clientWindow: 60) }) { app in
            for _ in 0..<3 {
                #expect(try await send(app, .POST, "/api/v1/auth/token", json: ["username": "ghost", "password": "whatever1"]).status == .unauthorized)
            }
            let limited = try await send(app, .POST, "/api/v1/auth/token", json: ["username": "district-admin", "password": "demo1234"])
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers.first(name: "Retry-After") != nil)
        }
    }

    @Test func tokenEndpointIssuesAndRevokes() async throws {
        try await withTestApp { app in
            let reply = try await send(app, .POST, "/api/v1/auth/token", json: ["username": "street-guanlan", "password": "demo1234"])
            #expect(reply.status == .ok)
            #expect(reply.headers.first(name: .cacheControl) == "no-store")
            #expect(reply.json["tokenType"] as? String == "Bearer")
            #expect((reply.json["expiresIn"] as? Int) == 12 * 3600)
            let secret = try #require(reply.json["token"] as? String)
            let me = try await send(app, .GET, "/api/v1/me", headers: bearer(secret))
            #expect(me.status == .ok)
            #expect(me.json["username"] as? String == "street-guanlan")
            #expect(me.json["role"] as? String == "streetOfficer")
            #expect(try await send(app, .DELETE, "/api/v1/auth/token", headers: bearer(secret)).status == .noContent)
            let after = try await send(app, .GET, "/api/v1/me", headers: bearer(secret))
            #expect(after.status == .unauthorized)
            #expect(after.headers.first(name: "WWW-Authenticate")?.hasPrefix("Bearer") == true)
        }
    }

    @Test func tokenEndpointFailures() async throws {
        try await withTestApp { app in
            let missing = try await send(app, .POST, "/api/v1/auth/token", json: ["username": "district-admin"])
            #expect(missing.status == .badRequest)
            #expect(missing.headers.contentType?.subType == "problem+json")
            #expect(missing.json["detail"] as? String == "请输入密码")
            let english = try await send(app, .POST, "/api/v1/auth/token", headers: ["Accept-Language": "en"], json: ["username": "district-admin"])
            #expect(english.json["detail"] as? String == "password is required")
            let unknown = try await send(app, .POST, "/api/v1/auth/token", json: ["username": "nobody", "password": "demo1234"])
            #expect(unknown.status == .unauthorized)
            let garbage = try await send(app, .POST, "/api/v1/auth/token", raw: "{not json")
            #expect(garbage.status == .badRequest)
            let wrongType = try await send(app, .POST, "/api/v1/auth/token", json: ["username": 42, "password": "x"])
            #expect(wrongType.status == .badRequest)
            let badBearer = try await send(app, .GET, "/api/v1/me", headers: bearer("cst_forged"))
            #expect(badBearer.status == .unauthorized)
            #expect(try await send(app, .GET, "/api/v1/me").status == .unauthorized)
        }
    }

    @Test func apiKeysAreScopedAndRevocable() async throws {
        try await withTestApp { app in
            let directory = DirectoryStore(db: app.db)
            let admin = try #require(try await directory.user(username: "district-admin"))
            let (areasKey, areasInfo) = try await directory.issueToken(userID: admin.id, kind: .apiKey, name: "map sync", scopes: [.areasRead], expiresAt: nil)
            let (auditKey, _) = try await directory.issueToken(userID: admin.id, kind: .apiKey, name: "audit", scopes: [.auditRead], expiresAt: nil)
            #expect(try await send(app, .GET, "/api/v1/areas", headers: bearer(areasKey)).status == .ok)
            #expect(try await send(app, .GET, "/api/v1/areas", headers: ["X-API-Key": areasKey]).status == .ok)
            let wrongScope = try await send(app, .GET, "/api/v1/areas", headers: bearer(auditKey))
            #expect(wrongScope.status == .forbidden)
            #expect((wrongScope.json["detail"] as? String)?.contains("areas:read") == true)
            let me = try await send(app, .GET, "/api/v1/me", headers: bearer(areasKey))
            #expect(me.json["permissions"] as? [String] == ["areas:read"])
            // Revoked from outside this process (the CLI): effective once the server's credential cache entry
            // lapses (at most 10 s; dropped here to stand for that).
            _ = try await directory.revokeToken(id: areasInfo.id, now: app.clock.now)
            app.credentialCache.invalidateAll()
            #expect(try await send(app, .GET, "/api/v1/areas", headers: bearer(areasKey)).status == .unauthorized)

            // An old entry is checked again by one request; the others keep using it meanwhile (within the grace).
            let cache = CredentialCache(ttl: .zero, grace: .seconds(60))
            app.credentialCache = cache
            let (k1, i1) = try await directory.issueToken(userID: admin.id, kind: .apiKey, name: "k1", scopes: [.areasRead], expiresAt: nil)
            let (k2, i2) = try await directory.issueToken(userID: admin.id, kind: .apiKey, name: "k2", scopes: [.areasRead], expiresAt: nil)
            #expect(try await send(app, .GET, "/api/v1/areas", headers: bearer(k1)).status == .ok)
            #expect(try await send(app, .GET, "/api/v1/areas", headers: bearer(k2)).status == .ok)
            _ = try await directory.revokeToken(id: i1.id, now: app.clock.now)
            _ = try await directory.revokeToken(id: i2.id, now: app.clock.now)
            // k2: the request that finds its entry old checks it, finds it revoked, and everyone is refused.
            #expect(try await send(app, .GET, "/api/v1/areas", headers: bearer(k2)).status == .unauthorized)
            #expect(try await send(app, .GET, "/api/v1/areas", headers: bearer(k2)).status == .unauthorized)
            // k1: while another request's check is under way (claimed here), requests are served from the entry…
            #expect(cache.get(CredentialCache.key(k1), now: app.clock.now) == nil)
            #expect(cache.get(CredentialCache.key(k1), now: app.clock.now) != nil)
            #expect(try await send(app, .GET, "/api/v1/areas", headers: bearer(k1)).status == .ok)
            // …until that check removes it.
            cache.remove(CredentialCache.key(k1))
            #expect(try await send(app, .GET, "/api/v1/areas", headers: bearer(k1)).status == .unauthorized)
            // Past the grace an old entry is never used.
            let strict = CredentialCache(ttl: .zero, grace: .zero)
            app.credentialCache = strict
            let (k3, i3) = try await directory.issueToken(userID: admin.id, kind: .apiKey, name: "k3", scopes: [.areasRead], expiresAt: nil)
            #expect(try await send(app, .GET, "/api/v1/areas", headers: bearer(k3)).status == .ok)
            #expect(strict.get(CredentialCache.key(k3), now: app.clock.now) == nil)
            #expect(strict.get(CredentialCache.key(k3), now: app.clock.now) == nil)
            _ = try await directory.revokeToken(id: i3.id, now: app.clock.now)
            #expect(try await send(app, .GET, "/api/v1/areas", headers: bearer(k3)).status == .unauthorized)
        }
    }

    /// A session is written back only when a request changed it: a page view that reads it writes nothing (Vapor's
    /// middleware asks for a write after every response; on SQLite each waited for the write lock).
    @Test func aSessionIsWrittenOnlyWhenItChanged() async throws {
        /// The memory driver, counting the writes that reach it.
        struct Counting: SessionDriver {
            let base = MemorySessions(storage: .init())
            let updates = NIOLockedValueBox(0)
            func createSession(_ data: SessionData, for request: Request) -> EventLoopFuture<SessionID> { base.createSession(data, for: request) }
            func readSession(_ id: SessionID, for request: Request) -> EventLoopFuture<SessionData?> { base.readSession(id, for: request) }
            func updateSession(_ id: SessionID, to data: SessionData, for request: Request) -> EventLoopFuture<SessionID> {
                updates.withLockedValue { $0 += 1 }
                return base.updateSession(id, to: data, for: request)
            }
            func deleteSession(_ id: SessionID, for request: Request) -> EventLoopFuture<Void> { base.deleteSession(id, for: request) }
        }
        try await withTestApp { app in
            let counting = Counting()
            let driver = ChangedOnlySessions(base: counting)
            func request() -> Request { Request(application: app, on: app.eventLoopGroup.next()) }
            let id = try await driver.createSession(["user": "a", "expires": "1"], for: request()).get()
            let viewing = request()
            let read = try #require(try await driver.readSession(id, for: viewing).get())
            #expect(try await driver.updateSession(id, to: read, for: viewing).get() == id)
            #expect(counting.updates.withLockedValue { $0 } == 0, "read and unchanged: nothing written")
            let renewing = request()
            var renewed = try #require(try await driver.readSession(id, for: renewing).get())
            renewed["expires"] = "2"
            _ = try await driver.updateSession(id, to: renewed, for: renewing).get()
            #expect(counting.updates.withLockedValue { $0 } == 1)
            #expect(try await driver.readSession(id, for: request()).get()?["expires"] == "2")
            // A session never read by this request (nothing to compare with) is written as asked.
            _ = try await driver.updateSession(id, to: renewed, for: request()).get()
            #expect(counting.updates.withLockedValue { $0 } == 2)
            // The app's sessions go through it.
            #expect(app.sessions.driver is ChangedOnlySessions)
        }
    }
}
