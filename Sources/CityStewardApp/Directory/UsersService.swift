import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import Vapor

/// The district office's account administration and everyone's own API keys: one use case per verb, called by the
/// JSON API and the command line. Each checks through `DirectoryAccess`/`UserRules`, writes in one transaction with
/// its audit row, and clears this instance's credential cache when an account changes (other instances follow
/// within the cache's 10 s).
struct UsersService {
    let app: Application
    /// The caller; nil for the command line (the operator of the machine).
    let actor: Actor?
    let actorName: String

    init(app: Application, actor: Actor?) throws {
        self.app = app
        self.actor = actor
        if let actor { try DirectoryAccess.require(actor, .manageDirectory) }
        actorName = actor?.user.displayName ?? "command line (\(ProcessInfo.processInfo.environment["USER"] ?? "operator"))"
    }

    struct Created {
        var user: User
        /// Set when the password was generated: shown once.
        var generatedPassword: String?
    }

    static func randomPassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<16).map { _ in alphabet.randomElement(using: &generator)! })
    }

    func create(_ draft: UserDraft, password: String?) async throws -> Created {
        let directory = DirectoryStore(db: app.db)
        var org: Org?
        if let code = draft.orgCode?.trimmingCharacters(in: .whitespaces).uppercased(), !code.isEmpty { org = try await directory.org(code: code) }
        var problems: [FieldProblem] = []
        var valid: ValidUser?
        switch UserRules.validate(draft, org: org, usernameTaken: try await directory.user(username: draft.username) != nil) {
        case .failure(let found): problems = found.problems
        case .success(let checked): valid = checked
        }
        if let password, let problem = CredentialRules.validatePassword(password) { problems.append(FieldProblem(field: "password", reason: problem)) }
        guard problems.isEmpty, let valid else { throw FieldProblems(problems) }
        let plain = password ?? Self.randomPassword()
        let hash = try await app.password.async.hash(plain)
        let now = app.clock.now, actorID = actor?.user.id, actorName = actorName
        let user = try await app.db.writeTransaction { tx in
            let user = try await DirectoryStore(db: tx).createUser(username: valid.username, displayName: valid.displayName, passwordHash: hash,
                                                                  role: valid.role, orgID: valid.org?.id)
            try await AuditStore(db: tx).append(action: AuditAction.userCreated.rawValue, subject: "user:\(user.username)",
                                                detail: "role=\(user.role.rawValue); org=\(valid.org?.code ?? "-")", actorID: actorID, actorName: actorName, at: now)
            return user
        }
        return Created(user: user, generatedPassword: password == nil ? plain : nil)
    }

    struct Change: Sendable {
        var displayName: String?
        var role: String?
        /// An empty string takes the organisation away (a resident).
        var orgCode: String?
        var isActive: Bool?
    }

    func update(username: String, _ change: Change) async throws -> User {
        let directory = DirectoryStore(db: app.db)
        guard let user = try await directory.user(username: username) else { throw Self.noSuchUser }
        var currentOrg: Org?
        if let id = user.orgID { currentOrg = try await directory.org(id) }
        let orgCode = change.orgCode.map { $0.trimmingCharacters(in: .whitespaces).uppercased() } ?? currentOrg?.code
        var org: Org?
        if let orgCode, !orgCode.isEmpty { org = try await directory.org(code: orgCode) }
        let draft = UserDraft(username: user.username, displayName: change.displayName ?? user.displayName, role: change.role ?? user.role.rawValue,
                              orgCode: orgCode?.isEmpty == true ? nil : orgCode)
        let valid: ValidUser
        switch UserRules.validate(draft, org: org, usernameTaken: false, checkUsername: false) {
        case .failure(let problems): throw problems
        case .success(let checked): valid = checked
        }
        if let actor, let refusal = DirectoryAccess.selfChangeRefusal(actor: actor, target: user, newRole: valid.role, active: change.isActive) {
            throw DomainError.conflict(refusal)
        }
        let active = change.isActive ?? user.isActive
        let now = app.clock.now, actorID = actor?.user.id, actorName = actorName
        let updated = try await app.db.writeTransaction { tx in
            let updated = try await DirectoryStore(db: tx).updateUser(user.id, displayName: valid.displayName, role: valid.role, orgID: valid.org?.id, isActive: active)
            let what = UserRules.changes(from: user, to: updated, orgCode: valid.org?.code)
            if !what.isEmpty {
                try await AuditStore(db: tx).append(action: AuditAction.userChanged.rawValue, subject: "user:\(user.username)",
                                                    detail: what.joined(separator: "; "), actorID: actorID, actorName: actorName, at: now)
            }
            return updated
        }
        app.credentialCache.invalidateAll()
        return updated
    }

    /// A new random password, returned once; the account's bearer tokens and API keys stay (revoke them apart).
    func resetPassword(username: String) async throws -> String {
        let directory = DirectoryStore(db: app.db)
        guard let user = try await directory.user(username: username) else { throw Self.noSuchUser }
        let password = Self.randomPassword()
        let hash = try await app.password.async.hash(password)
        let now = app.clock.now, actorID = actor?.user.id, actorName = actorName
        try await app.db.writeTransaction { tx in
            try await DirectoryStore(db: tx).setPassword(userID: user.id, passwordHash: hash)
            try await AuditStore(db: tx).append(action: AuditAction.passwordChanged.rawValue, subject: "user:\(user.username)",
                                                detail: "reset", actorID: actorID, actorName: actorName, at: now)
        }
        return password
    }

    static let noSuchUser = DomainError.notFound(LocalizedText(zh: "找不到该用户", en: "no such user"))
}

/// Everyone's own API keys (an integration of one's own, a script), each narrowed to what the role grants.
struct OwnAPIKeys {
    let app: Application
    let actor: Actor

    init(app: Application, actor: Actor) throws {
        try DirectoryAccess.require(actor, .manageOwnKeys)
        self.app = app
        self.actor = actor
    }

    func list() async throws -> [TokenInfo] {
        try await DirectoryStore(db: app.db).apiKeys(userID: actor.user.id)
    }

    func create(name: String, scopes: [String], expiresDays: Int?) async throws -> (secret: String, info: TokenInfo) {
        var problems: [FieldProblem] = []
        let name = name.trimmingCharacters(in: .whitespaces)
        if name.isEmpty || name.count > 100 {
            problems.append(FieldProblem(field: "name", reason: LocalizedText(zh: "名称应为 1~100 字，写明用途", en: "the name is 1–100 characters: say what the key is for")))
        }
        var granted = Set<Permission>()
        for text in scopes {
            guard let permission = Permission(rawValue: text) else {
                problems.append(FieldProblem(field: "scopes", reason: LocalizedText(zh: "未知的权限范围 \(text)", en: "unknown scope \(text)"))); continue
            }
            guard actor.can(permission) else {
                problems.append(FieldProblem(field: "scopes", reason: LocalizedText(zh: "您的角色没有 \(text)", en: "your role does not grant \(text)"))); continue
            }
            granted.insert(permission)
        }
        if scopes.isEmpty { problems.append(FieldProblem(field: "scopes", reason: LocalizedText(zh: "请至少选择一个权限范围", en: "choose at least one scope"))) }
        if let days = expiresDays, !(1...3650).contains(days) {
            problems.append(FieldProblem(field: "expiresDays", reason: LocalizedText(zh: "有效天数应为 1~3650", en: "expiresDays is 1–3650")))
        }
        guard problems.isEmpty else { throw FieldProblems(problems) }
        let now = app.clock.now
        let issued = try await DirectoryStore(db: app.db).issueToken(userID: actor.user.id, kind: .apiKey, name: name, scopes: granted,
                                                                     expiresAt: expiresDays.map { now.addingTimeInterval(Double($0) * 86_400) })
        try await AuditStore(db: app.db).append(action: AuditAction.apiKeyCreated.rawValue, subject: "apikey:\(issued.info.id.uuidString.lowercased())",
                                                detail: "user=\(actor.user.username); scopes=\(granted.map(\.rawValue).sorted().joined(separator: ","))",
                                                actorID: actor.user.id, actorName: actor.user.displayName, at: now)
        return issued
    }

    func revoke(_ id: UUID) async throws {
        let directory = DirectoryStore(db: app.db)
        // Someone else's key answers like a missing one.
        guard try await directory.apiKeys(userID: actor.user.id).contains(where: { $0.id == id && $0.revokedAt == nil }),
              try await directory.revokeToken(id: id, now: app.clock.now) else {
            throw DomainError.notFound(LocalizedText(zh: "找不到该密钥", en: "no such key"))
        }
        try await AuditStore(db: app.db).append(action: AuditAction.apiKeyRevoked.rawValue, subject: "apikey:\(id.uuidString.lowercased())",
                                                detail: "user=\(actor.user.username)", actorID: actor.user.id, actorName: actor.user.displayName, at: app.clock.now)
        app.credentialCache.invalidateAll()
    }
}
