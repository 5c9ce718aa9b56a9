import CityStewardCore
import Crypto
import FluentKit
import Foundation
import SQLKit

/// What a login needs to check a password, without exposing the record.
public struct LoginCredentials: Sendable {
    public var user: User
    public var passwordHash: String
    public var lockedUntil: Date?
}

/// How a bearer credential was issued: a short-lived access token from `/api/v1/auth/token`, or an API key.
public enum TokenKind: String, Sendable, Codable {
    case access
    case apiKey
}

public struct TokenInfo: Sendable, Equatable {
    public var id: UUID
    public var userID: UUID
    public var kind: TokenKind
    public var name: String
    public var prefix: String
    /// nil for access tokens (the role's permissions apply).
    public var scopes: Set<Permission>?
    public var expiresAt: Date?
    public var revokedAt: Date?
    public var lastUsedAt: Date?
    public var createdAt: Date?
}

/// Organisations, users, their areas, login bookkeeping and bearer credentials.
public struct DirectoryStore: Sendable {
    let db: any Database

    public init(db: any Database) {
        self.db = db
    }

    // MARK: Organisations

    public func org(_ id: UUID) async throws -> Org? {
        try await OrgRecord.find(id, on: db)?.toOrg()
    }

    public func org(code: String) async throws -> Org? {
        try await OrgRecord.query(on: db).filter(\.$code == code).first()?.toOrg()
    }

    public func orgs() async throws -> [Org] {
        try await OrgRecord.query(on: db).sort(\.$code).all().map { $0.toOrg() }
    }

    @discardableResult
    public func createOrg(code: String, name: String, nameEn: String?, kind: OrgKind) async throws -> Org {
        if try await org(code: code) != nil {
            throw DomainError.conflict(zh: "机构代码 \(code) 已存在", en: "organisation code \(code) already exists")
        }
        let record = OrgRecord(code: code, name: name, nameEn: nameEn, kind: kind)
        try await record.create(on: db)
        return record.toOrg()
    }

    /// Makes an org responsible for (or serving) an area; idempotent.
    public func assign(orgID: UUID, area: Area) async throws {
        let exists = try await OrgAreaRecord.query(on: db).filter(\.$orgID == orgID).filter(\.$areaID == area.id).count() > 0
        guard !exists else { return }
        try await OrgAreaRecord(orgID: orgID, areaID: area.id, streetID: area.streetID).create(on: db)
    }

    public func areaIDs(ofOrg orgID: UUID) async throws -> [UUID] {
        try await OrgAreaRecord.query(on: db).filter(\.$orgID == orgID).all().map(\.areaID)
    }

    // MARK: Users

    public func user(_ id: UUID) async throws -> User? {
        try await UserRecord.find(id, on: db)?.toUser()
    }

    public func user(username: String) async throws -> User? {
        try await UserRecord.query(on: db).filter(\.$username == username.lowercased()).first()?.toUser()
    }

    public func users() async throws -> [User] {
        try await UserRecord.query(on: db).sort(\.$username).all().map { $0.toUser() }
    }

    /// The users of these ids (nil: every user, as `users()`).
    public func users(ids: Set<UUID>?) async throws -> [User] {
        guard let ids else { return try await users() }
        guard !ids.isEmpty else { return [] }
        return try await UserRecord.query(on: db).filter(\.$id ~~ Array(ids)).all().map { $0.toUser() }
    }

    /// Creates a user after checking the username, the role and the org kind (`UserRules`); the password arrives hashed.
    @discardableResult
    public func createUser(username: String, displayName: String, passwordHash: String, role: Role, orgID: UUID?) async throws -> User {
        let org = try await orgID.asyncFlatMap { try await self.org($0) }
        let draft = UserDraft(username: username, displayName: displayName, role: role.rawValue, orgCode: org?.code ?? orgID?.uuidString)
        let valid: ValidUser
        switch UserRules.validate(draft, org: org, usernameTaken: try await user(username: username) != nil) {
        case .failure(let problems): throw problems.domainError
        case .success(let checked): valid = checked
        }
        let record = UserRecord(username: valid.username, displayName: valid.displayName, passwordHash: passwordHash, role: valid.role, orgID: valid.org?.id)
        try await record.create(on: db)
        return record.toUser()
    }

    /// Stores a checked edit of an account (display name, role, organisation, whether it may sign in).
    public func updateUser(_ id: UUID, displayName: String, role: Role, orgID: UUID?, isActive: Bool) async throws -> User {
        guard let record = try await UserRecord.find(id, on: db) else {
            throw DomainError.notFound(LocalizedText(zh: "找不到该用户", en: "no such user"))
        }
        record.displayName = displayName
        record.role = role.rawValue
        record.orgID = orgID
        record.isActive = isActive
        try await record.save(on: db)
        return record.toUser()
    }

    public func credentials(username: String) async throws -> LoginCredentials? {
        guard let record = try await UserRecord.query(on: db).filter(\.$username == username.lowercased()).first() else { return nil }
        return LoginCredentials(user: record.toUser(), passwordHash: record.passwordHash, lockedUntil: record.lockedUntil)
    }

    /// Counts a failed password; locks the account when the limit is reached. Returns the lock end, if locked.
    public func recordFailedLogin(userID: UUID, now: Date, throttle: LoginThrottle) async throws -> Date? {
        try await db.writeTransaction { tx in
            guard let record = try await UserRecord.find(userID, on: tx) else { return nil }
            record.failedLogins += 1
            if record.failedLogins >= throttle.maxFailuresPerAccount {
                record.lockedUntil = now.addingTimeInterval(throttle.lockout)
                record.failedLogins = 0
            }
            try await record.save(on: tx)
            return record.lockedUntil.flatMap { $0 > now ? $0 : nil }
        }
    }

    public func recordSuccessfulLogin(userID: UUID, now: Date) async throws {
        guard let record = try await UserRecord.find(userID, on: db) else { return }
        record.failedLogins = 0
        record.lockedUntil = nil
        record.lastLoginAt = now
        try await record.save(on: db)
    }

    public func setPassword(userID: UUID, passwordHash: String) async throws {
        guard let record = try await UserRecord.find(userID, on: db) else {
            throw DomainError.notFound(zh: "找不到该用户", en: "user not found")
        }
        record.passwordHash = passwordHash
        try await record.save(on: db)
    }

    /// The actor for a user at `now`: its org and the areas that org serves — those assigned to it and, for a
    /// steward, those its contracts entrust to it at that moment.
    public func actor(userID: UUID, keyScopes: Set<Permission>? = nil, now: Date) async throws -> Actor? {
        guard let user = try await user(userID), user.isActive else { return nil }
        let org = try await user.orgID.asyncFlatMap { try await self.org($0) }
        let areas = try await org.asyncFlatMap { try await areasServed(by: $0, at: now) } ?? []
        return Actor(user: user, org: org, orgAreas: areas, keyScopes: keyScopes)
    }

    /// The areas an organisation serves at `now`: those assigned to it and, for a steward, those its contracts entrust
    /// to it then (what its people's scope covers).
    public func areasServed(by org: Org, at now: Date) async throws -> [UUID] {
        var areas = try await areaIDs(ofOrg: org.id)
        if org.kind.servesEntrustedAreas {
            for id in try await entrustedAreaIDs(stewardID: org.id, at: now) where !areas.contains(id) { areas.append(id) }
        }
        return areas
    }

    /// The areas entrusted to a steward by contracts in force at `instant` (activation writes them, termination,
    /// supersession and the end of the term end them).
    public func entrustedAreaIDs(stewardID: UUID, at instant: Date) async throws -> [UUID] {
        guard let sql = db as? any SQLDatabase else { return [] }
        return try await sql.select().distinct().column("area_id").from("entrusted_matters")
            .where("steward_id", .equal, stewardID).where("valid_from", .lessThanOrEqual, instant)
            .where { $0.where("valid_to", .is, SQLLiteral.null).orWhere("valid_to", .greaterThan, instant) }
            .orderBy("area_id")
            .all().map { try $0.decode(column: "area_id", as: UUID.self) }
    }

    // MARK: Bearer credentials

    /// Issues a random secret and stores only its SHA-256. The plaintext is returned once.
    public func issueToken(userID: UUID, kind: TokenKind, name: String, scopes: Set<Permission>?, expiresAt: Date?) async throws -> (secret: String, info: TokenInfo) {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: .min ... .max, using: &generator) }
        let body = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let secret = (kind == .apiKey ? "csk_" : "cst_") + body
        let record = APITokenRecord()
        record.id = UUID()
        record.userID = userID
        record.kind = kind.rawValue
        record.name = name
        record.tokenHash = Self.hash(secret)
        record.prefix = String(secret.prefix(12))
        record.scopes = scopes.map { $0.map(\.rawValue).sorted().joined(separator: " ") } ?? ""
        record.expiresAt = expiresAt
        try await record.create(on: db)
        return (secret, Self.info(record))
    }

    /// The credential for a presented secret, if it exists, is not revoked and has not expired.
    public func verifyToken(_ secret: String, now: Date) async throws -> TokenInfo? {
        guard secret.hasPrefix("cst_") || secret.hasPrefix("csk_"), secret.count < 200 else { return nil }
        guard let record = try await APITokenRecord.query(on: db).filter(\.$tokenHash == Self.hash(secret)).first() else { return nil }
        if record.revokedAt != nil { return nil }
        if let expires = record.expiresAt, expires <= now { return nil }
        // Record use at most once a minute per key, so a busy integration does not write on every request.
        if record.lastUsedAt.map({ now.timeIntervalSince($0) > 60 }) ?? true {
            record.lastUsedAt = now
            try await record.save(on: db)
        }
        return Self.info(record)
    }

    /// The account a credential acts as.
    public func tokenOwner(_ id: UUID) async throws -> UUID? {
        try await APITokenRecord.find(id, on: db)?.userID
    }

    public func revokeToken(id: UUID, now: Date) async throws -> Bool {
        guard let record = try await APITokenRecord.find(id, on: db), record.revokedAt == nil else { return false }
        record.revokedAt = now
        try await record.save(on: db)
        return true
    }

    public func revokeToken(secret: String, now: Date) async throws -> Bool {
        guard let record = try await APITokenRecord.query(on: db).filter(\.$tokenHash == Self.hash(secret)).first(),
              record.revokedAt == nil else { return false }
        record.revokedAt = now
        try await record.save(on: db)
        return true
    }

    public func apiKeys(userID: UUID? = nil) async throws -> [TokenInfo] {
        let query = APITokenRecord.query(on: db).filter(\.$kind == TokenKind.apiKey.rawValue)
        if let userID { query.filter(\.$userID == userID) }
        return try await query.sort(\.$createdAt).all().map(Self.info)
    }

    static func hash(_ secret: String) -> String {
        Hex.encode(SHA256.hash(data: Data(secret.utf8)))
    }

    static func info(_ r: APITokenRecord) -> TokenInfo {
        let scopes: Set<Permission>? = r.kind == TokenKind.apiKey.rawValue
            ? Set(r.scopes.split(separator: " ").compactMap { Permission(rawValue: String($0)) }) : nil
        return TokenInfo(id: r.id!, userID: r.userID, kind: TokenKind(rawValue: r.kind) ?? .access, name: r.name, prefix: r.prefix,
                         scopes: scopes, expiresAt: r.expiresAt, revokedAt: r.revokedAt, lastUsedAt: r.lastUsedAt, createdAt: r.createdAt)
    }

    // MARK: Client rate limit

    /// Counts an attempt from a client (an IP address); returns seconds to wait when the client is over the limit.
    public func hitClient(_ key: String, now: Date, throttle: LoginThrottle) async throws -> Int? {
        for attempt in 0..<2 {
            do {
                return try await db.writeTransaction { tx -> Int? in
                    if let record = try await LoginThrottleRecord.query(on: tx).filter(\.$clientKey == key).first() {
                        let elapsed = now.timeIntervalSince(record.windowStart)
                        // A small negative elapsed time is rounding of the stored time, not a clock going back.
                        if elapsed >= throttle.clientWindow || elapsed < -1 {
                            record.windowStart = now
                            record.attempts = 1
                        } else {
                            record.attempts += 1
                        }
                        try await record.save(on: tx)
                        if record.attempts > throttle.maxAttemptsPerClient {
                            return max(1, Int((throttle.clientWindow - elapsed).rounded(.up)))
                        }
                        return nil
                    }
                    let record = LoginThrottleRecord()
                    record.id = UUID()
                    record.clientKey = key
                    record.windowStart = now
                    record.attempts = 1
                    try await record.create(on: tx)
                    return nil
                }
            } catch {
                // Two first attempts from one client raced on the unique key: count again against the winner's row.
                if attempt == 1 { throw error }
            }
        }
        return nil
    }
}

extension Optional {
    func asyncFlatMap<U>(_ transform: (Wrapped) async throws -> U?) async rethrows -> U? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
