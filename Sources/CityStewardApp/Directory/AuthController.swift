import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Web login/logout (session cookie) and the API's bearer tokens.
struct AuthController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("login", use: loginPage)
        routes.post("login", use: login)
        routes.post("logout", use: logout)
        let api = routes.grouped("api", "v1")
        api.post("auth", "token", use: issueToken)
        api.delete("auth", "token", use: revokeToken)
        api.get("me", use: me)
    }

    // MARK: Web

    struct LoginPage: Encodable {
        var page: PageChrome
        var csrf: String
        var username: String
        var next: String
        var error: String?
        /// The demo's logins, shown on the login page only under `citysteward demo`.
        var demoLogins: [DemoLogin]?
        var demoPassword: String?
    }

    struct DemoLogin: Encodable {
        var username: String
        var role: String
    }

    struct LoginForm: Content {
        var username: String?
        var password: String?
        var next: String?
    }

    @Sendable func loginPage(req: Request) async throws -> Response {
        let next = Self.safeNext(try? req.query.get(String.self, at: "next"))
        if req.actor != nil { return req.redirect(to: next) }
        return try await renderLogin(req, username: "", next: next, error: nil, status: .ok)
    }

    @Sendable func login(req: Request) async throws -> Response {
        let form = try req.content.decode(LoginForm.self)
        let next = Self.safeNext(form.next)
        do {
            let user = try await req.logIn()(username: form.username ?? "", password: form.password ?? "",
                                              client: req.clientAddress, now: req.now)
            // A fresh session id on login (no session fixation), keeping the CSRF token for the next form.
            let csrf = req.session.data[CSRFMiddleware.sessionKey]
            req.session.id = nil
            req.session.data = SessionData()
            req.session.data[CSRFMiddleware.sessionKey] = csrf
            req.session.data[SessionKeys.userID] = user.id.uuidString
            req.session.data[SessionKeys.expires] = String(req.now.addingTimeInterval(req.config.sessionLifetime).timeIntervalSince1970)
            return req.redirect(to: next)
        } catch let error as DomainError {
            let response = try await renderLogin(req, username: form.username ?? "", next: next,
                                                 error: error.message(req.language), status: error.status)
            for (name, value) in error.headers where name != "WWW-Authenticate" { response.headers.replaceOrAdd(name: name, value: value) }
            return response
        }
    }

    @Sendable func logout(req: Request) async throws -> Response {
        if req.hasSession { req.session.destroy() }
        return req.redirect(to: "/login")
    }

    func renderLogin(_ req: Request, username: String, next: String, error: String?, status: HTTPResponseStatus) async throws -> Response {
        let language = req.language
        let demo = req.config.isDemo
        let page = LoginPage(page: PageChrome(request: req, title: req.t("login.title")), csrf: CSRFMiddleware.token(for: req),
                             username: username, next: next, error: error,
                             demoLogins: demo ? DemoDistrict.users.map { DemoLogin(username: $0.username, role: $0.role.label.text(language)) } : nil,
                             demoPassword: demo ? DemoDistrict.password : nil)
        return try await req.page("login", page, status: status)
    }

    /// Only local paths, so a crafted link cannot send a user elsewhere after login.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), next.count < 500 else { return "/" }
        return next
    }

    // MARK: API

    struct TokenRequest: Content {
        var username: String?
        var password: String?
    }

    struct TokenResponse: Content {
        var token: String
        var tokenType: String
        var expiresAt: Date
        var expiresIn: Int
        var user: UserResponse
    }

    @Sendable func issueToken(req: Request) async throws -> Response {
        let body = try req.content.decode(TokenRequest.self)
        let user = try await req.logIn()(username: body.username ?? "", password: body.password ?? "", client: req.clientAddress, now: req.now)
        let lifetime = req.config.accessTokenLifetime
        let expires = req.now.addingTimeInterval(lifetime)
        let (secret, _) = try await req.directory.issueToken(userID: user.id, kind: .access, name: "auth/token", scopes: nil, expiresAt: expires)
        guard let actor = try await req.directory.actor(userID: user.id, now: req.now) else { throw LoginThrottle.badCredentials }
        let response = TokenResponse(token: secret, tokenType: "Bearer", expiresAt: expires, expiresIn: Int(lifetime),
                                     user: UserResponse(actor, language: req.language))
        let encoded = try await response.encodeResponse(status: .ok, for: req)
        encoded.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return encoded
    }

    @Sendable func revokeToken(req: Request) async throws -> HTTPStatus {
        _ = try req.requireActor()
        guard let presented = req.headers.bearerAuthorization?.token ?? req.headers.first(name: "X-API-Key") else {
            throw DomainError.invalid("Authorization", zh: "请在 Authorization 头中提供要吊销的令牌", en: "send the token to revoke in the Authorization header")
        }
        _ = try await req.directory.revokeToken(secret: presented, now: req.now)
        req.application.credentialCache.invalidateAll()
        return .noContent
    }

    @Sendable func me(req: Request) async throws -> UserResponse {
        UserResponse(try req.requireActor(), language: req.language)
    }
}

/// The caller as the API shows it.
struct UserResponse: Content {
    var id: UUID
    var username: String
    var displayName: String
    var role: String
    var roleLabel: String
    var org: OrgResponse?
    var permissions: [String]
    var areaScope: String
    var areaIds: [UUID]

    struct OrgResponse: Content {
        var id: UUID
        var code: String
        var name: String
        var kind: String
    }

    init(_ actor: Actor, language: Language) {
        id = actor.user.id
        username = actor.user.username
        displayName = actor.user.displayName
        role = actor.role.rawValue
        roleLabel = actor.role.label.text(language)
        org = actor.org.map { OrgResponse(id: $0.id, code: $0.code, name: $0.displayName(language), kind: $0.kind.rawValue) }
        permissions = actor.permissions.map(\.rawValue).sorted()
        switch AccessPolicy.areaScope(for: actor) {
        case .everything: areaScope = "all"; areaIds = []
        case .subtrees(let ids): areaScope = "subtrees"; areaIds = ids
        }
    }
}
