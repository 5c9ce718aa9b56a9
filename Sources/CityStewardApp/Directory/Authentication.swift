import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

extension Request {
    private struct ActorKey: StorageKey { typealias Value = Actor }
    private struct TokenKey: StorageKey { typealias Value = TokenInfo }

    /// The authenticated caller, if any (set by `ActorMiddleware`).
    var actor: Actor? {
        get { storage[ActorKey.self] }
        set { storage[ActorKey.self] = newValue }
    }

    /// The bearer credential the caller used, if it used one.
    var bearerToken: TokenInfo? {
        get { storage[TokenKey.self] }
        set { storage[TokenKey.self] = newValue }
    }

    func requireActor() throws -> Actor {
        guard let actor else {
            throw DomainError.unauthenticated(LocalizedText(zh: "需要登录或有效的令牌", en: "authentication required: log in or send a valid bearer token"))
        }
        return actor
    }

    /// The actor, who must hold `permission` (an API key must also have been issued with it).
    func require(_ permission: Permission) throws -> Actor {
        let actor = try requireActor()
        try AccessPolicy.require(permission, actor)
        return actor
    }

    /// The actor, who must hold at least one of `permissions`.
    func requireAny(_ permissions: [Permission]) throws -> Actor {
        let actor = try requireActor()
        guard permissions.contains(where: actor.can) else { try AccessPolicy.require(permissions[0], actor); return actor }
        return actor
    }

    var directory: DirectoryStore { DirectoryStore(db: db) }
    var areas: AreaStore { AreaStore(db: db) }
    var config: AppConfig { application.config }
    /// Now, from the application's one clock (tests set it; nothing else reads the system's time).
    var now: Date { application.clock.now }
}

extension Application {
    private struct ConfigKey: StorageKey { typealias Value = AppConfig }
    var config: AppConfig {
        get { storage[ConfigKey.self]! }
        set { storage[ConfigKey.self] = newValue }
    }

    private struct ClockKey: StorageKey { typealias Value = WallClock }
    /// The one clock every handler, job and use case reads (`req.now` in a request): `AppConfig.clock`, kept apart
    /// so reading it does not copy the whole configuration on every request.
    var clock: WallClock {
        get { storage[ClockKey.self] ?? config.clock }
        set { storage[ClockKey.self] = newValue }
    }
}

enum SessionKeys {
    static let userID = "uid"
    static let expires = "exp"
}

/// Finds out who is calling: a bearer token or API key (`Authorization: Bearer …` or `X-API-Key`), else the web
/// session. It never rejects; routes that need a caller ask `requireActor()`.
struct ActorMiddleware: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        // Anonymous requests (health checks, the login page, static files) pass without starting a task.
        let hasCredential = request.headers.bearerAuthorization != nil || request.headers.first(name: "X-API-Key") != nil
        // The API takes bearer credentials only: a session cookie there would make every API write a CSRF target.
        // (Asked only without a credential: a credential wins anyway.)
        guard hasCredential || (!ErrorRenderer.isAPI(request) && request.hasSession && request.session.data[SessionKeys.userID] != nil) else {
            return next.respond(to: request)
        }
        // A credential verified in the last few seconds: no task, no query.
        if let presented = request.headers.bearerAuthorization?.token ?? request.headers.first(name: "X-API-Key"),
           let (token, actor) = request.application.credentialCache.get(CredentialCache.key(presented), now: request.now) {
            request.actor = actor
            request.bearerToken = token
            return next.respond(to: request)
        }
        return request.eventLoop.makeFutureWithTask {
            try await Self.authenticate(request)
        }.flatMap { next.respond(to: request) }
    }

    static func authenticate(_ request: Request) async throws {
        let presented = request.headers.bearerAuthorization?.token ?? request.headers.first(name: "X-API-Key")
        if let presented {
            let now = request.now
            let cache = request.application.credentialCache
            let key = CredentialCache.key(presented)
            // (The middleware asked the cache just before: a miss there is this request's to check.)
            // A wrong credential is an error even on public routes: the client believes it is authenticated.
            guard let token = try await request.directory.verifyToken(presented, now: now),
                  let actor = try await request.directory.actor(userID: token.userID, keyScopes: token.kind == .apiKey ? (token.scopes ?? []) : nil, now: now) else {
                cache.remove(key)
                throw DomainError.unauthenticated(LocalizedText(zh: "令牌无效、已过期或已吊销", en: "the token is invalid, expired or revoked"))
            }
            cache.put(key, token: token, actor: actor)
            request.actor = actor
            request.bearerToken = token
        } else if !ErrorRenderer.isAPI(request), request.hasSession, let text = request.session.data[SessionKeys.userID],
                  let userID = UUID(uuidString: text) {
            let expires = request.session.data[SessionKeys.expires].flatMap(Double.init).map(Date.init(timeIntervalSince1970:))
            let now = request.now
            if let expires, expires > now, let actor = try await request.directory.actor(userID: userID, now: now) {
                request.actor = actor
                // Sliding expiry: an active user stays logged in. Renewed at most every five minutes, because any
                // change to the session data is a database write.
                let lifetime = request.config.sessionLifetime
                if expires.timeIntervalSince(now) < lifetime - 300 {
                    request.session.data[SessionKeys.expires] = String(now.addingTimeInterval(lifetime).timeIntervalSince1970)
                }
            } else {
                request.session.data[SessionKeys.userID] = nil
            }
        }
    }
}

/// Login with lockout and rate limiting: one use case for the web form and the token endpoint.
struct LogIn {
    let directory: DirectoryStore
    let throttle: LoginThrottle
    let passwords: AsyncPasswordHasher
    let dummyHash: String
    let audit: AuditStore

    /// Every sign-in, and every refused one, is an audit row (issue 5 §5).
    func callAsFunction(username: String, password: String, client: String, now: Date) async throws -> User {
        do {
            let user = try await check(username: username, password: password, client: client, now: now)
            try await audit.append(action: AuditAction.login.rawValue, subject: "user:\(user.username)", detail: "client=\(client)",
                                   actorID: user.id, actorName: user.displayName, at: now)
            return user
        } catch let error as DomainError {
            if case .invalid = error { throw error }   // an empty form is not an attempt
            try await audit.append(action: AuditAction.loginFailed.rawValue, subject: "user:\(username.trimmingCharacters(in: .whitespaces).lowercased())",
                                   detail: "client=\(client); \(error.message.en)", actorID: nil, actorName: "—", at: now)
            throw error
        }
    }

    private func check(username: String, password: String, client: String, now: Date) async throws -> User {
        let username = username.trimmingCharacters(in: .whitespaces).lowercased()
        guard !username.isEmpty else { throw DomainError.invalid("username", zh: "请输入用户名", en: "username is required") }
        guard !password.isEmpty else { throw DomainError.invalid("password", zh: "请输入密码", en: "password is required") }
        if let wait = try await directory.hitClient("login:\(client)", now: now, throttle: throttle) {
            throw LoginThrottle.tooManyAttempts(seconds: wait)
        }
        guard let credentials = try await directory.credentials(username: username) else {
            // Spend the same time as a real check, so response times do not reveal which usernames exist.
            _ = try? await passwords.verify(password, created: dummyHash)
            throw LoginThrottle.badCredentials
        }
        if let locked = credentials.lockedUntil, locked > now {
            throw LoginThrottle.lockedMessage(seconds: Int(locked.timeIntervalSince(now).rounded(.up)))
        }
        let valid = (try? await passwords.verify(password, created: credentials.passwordHash)) ?? false
        guard valid else {
            if let locked = try await directory.recordFailedLogin(userID: credentials.user.id, now: now, throttle: throttle) {
                throw LoginThrottle.lockedMessage(seconds: Int(locked.timeIntervalSince(now).rounded(.up)))
            }
            throw LoginThrottle.badCredentials
        }
        guard credentials.user.isActive else {
            throw DomainError.unauthenticated(LocalizedText(zh: "该账号已停用", en: "this account is disabled"))
        }
        try await directory.recordSuccessfulLogin(userID: credentials.user.id, now: now)
        return credentials.user
    }
}

extension Request {
    var clientAddress: String {
        remoteAddress?.ipAddress ?? "local"
    }

    func logIn() -> LogIn {
        LogIn(directory: directory, throttle: config.loginThrottle, passwords: password.async,
              dummyHash: application.dummyPasswordHash, audit: AuditStore(db: db))
    }
}

extension Application {
    private struct DummyHashKey: StorageKey { typealias Value = String }
    var dummyPasswordHash: String {
        get { storage[DummyHashKey.self] ?? "" }
        set { storage[DummyHashKey.self] = newValue }
    }
}
