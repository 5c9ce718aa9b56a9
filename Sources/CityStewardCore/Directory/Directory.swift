import Foundation

/// The kinds of organisation in the steward model (plan §2, §4, §7, §9).
public enum OrgKind: String, Sendable, Codable, CaseIterable {
    case districtOffice
    case streetOffice
    case department
    case steward
    case shareholdingCompany
    case partyCommittee

    public var label: LocalizedText {
        switch self {
        case .districtOffice: LocalizedText(zh: "区专项工作组办公室", en: "District office")
        case .streetOffice: LocalizedText(zh: "街道办", en: "Street office")
        case .department: LocalizedText(zh: "委托部门", en: "Department")
        case .steward: LocalizedText(zh: "城市管家运营企业", en: "Steward company")
        case .shareholdingCompany: LocalizedText(zh: "股份合作公司", en: "Shareholding company")
        case .partyCommittee: LocalizedText(zh: "党组织", en: "Party committee")
        }
    }
}

/// The roles of DESIGN §2.
public enum Role: String, Sendable, Codable, CaseIterable {
    case districtAdmin
    case streetOfficer
    case departmentOfficer
    case stewardDispatcher
    case stewardStaff
    case resident
    case dataConsumer
    case auditor

    public var label: LocalizedText {
        switch self {
        case .districtAdmin: LocalizedText(zh: "区管理员", en: "District administrator")
        case .streetOfficer: LocalizedText(zh: "街道工作人员", en: "Street officer")
        case .departmentOfficer: LocalizedText(zh: "部门工作人员", en: "Department officer")
        case .stewardDispatcher: LocalizedText(zh: "管家调度员", en: "Steward dispatcher")
        case .stewardStaff: LocalizedText(zh: "管家一线人员", en: "Steward staff")
        case .resident: LocalizedText(zh: "居民", en: "Resident")
        case .dataConsumer: LocalizedText(zh: "数据使用方", en: "Data consumer")
        case .auditor: LocalizedText(zh: "审计监督", en: "Auditor")
        }
    }

    /// The org kinds a user of this role may belong to; residents belong to none.
    public var allowedOrgKinds: Set<OrgKind> {
        switch self {
        case .districtAdmin, .auditor: [.districtOffice]
        case .streetOfficer: [.streetOffice]
        case .departmentOfficer: [.department]
        case .stewardDispatcher, .stewardStaff: [.steward]
        case .resident: []
        case .dataConsumer: [.department, .districtOffice]
        }
    }
}

/// What a caller may do. Roles grant permissions; API keys narrow them to their scopes.
public enum Permission: String, Sendable, Codable, CaseIterable {
    case areasRead = "areas:read"
    case areasManage = "areas:manage"
    case usersManage = "users:manage"
    case apiKeysManage = "apikeys:manage"
    case auditRead = "audit:read"
    /// Report cases (a patroller, a resident, a device's key).
    case casesReport = "cases:report"
    /// See the cases in one's scope.
    case casesRead = "cases:read"
    /// Act on cases in the workflow (file, dispatch, handle, verify …) as one's capacity allows.
    case casesWork = "cases:work"
    /// Edit the category taxonomy and the matter catalog.
    case taxonomyManage = "taxonomy:manage"
    /// See residents (实有人口) in one's areas, masked.
    case residentsRead = "residents:read"
    /// Register and import residents in one's areas.
    case residentsManage = "residents:manage"
    /// Reveal a resident's full name, ID number or phone (each reveal is audited).
    case residentsReveal = "residents:reveal"
    /// Send device events (an access gate's or camera's key).
    case devicesSend = "devices:send"
    /// Pull a data consumer's desensitized feed (the consumer's own account).
    case feedsRead = "feeds:read"
    /// Change what a consumer's feed lets out (its desensitization rules): the district office.
    case feedsManage = "feeds:manage"
    /// See service contracts (scoped: a street's, a steward's own, or all for the district and supervisors).
    case contractsRead = "contracts:read"
    /// Draft, review, sign, activate, amend and terminate a street's contracts; set catalog prices (district).
    case contractsManage = "contracts:manage"
    /// See bills, the ledger and subsidies of one's villages.
    case financeRead = "finance:read"
    /// Run billing, close periods, enter ledger items and fee payments, request or confirm subsidies.
    case financeManage = "finance:manage"
    /// Decide policy subsidies (the district office).
    case subsidiesDecide = "subsidies:decide"
    /// Hand the steward 12345 hotline tickets (the hotline platform's key, held by the district office).
    case hotlineSend = "hotline:send"

    /// `granted(to:)` for every role, made once.
    static let grantedByRole = Dictionary(uniqueKeysWithValues: Role.allCases.map { ($0, granted(to: $0)) })

    public static func granted(to role: Role) -> Set<Permission> {
        switch role {
        case .districtAdmin: Set(Permission.allCases)
        case .auditor: [.areasRead, .auditRead, .casesRead, .residentsRead, .contractsRead, .financeRead]
        // The street office keeps the population register (实有人口) and may reveal; the steward's dispatcher
        // registers residents of its villages but sees them masked; line staff see them masked.
        case .streetOfficer: [.areasRead, .casesReport, .casesRead, .casesWork, .residentsRead, .residentsManage, .residentsReveal,
                              .contractsRead, .contractsManage, .financeRead, .financeManage]
        case .stewardDispatcher: [.areasRead, .casesReport, .casesRead, .casesWork, .residentsRead, .residentsManage, .devicesSend,
                                  .contractsRead, .financeRead, .financeManage]
        case .stewardStaff: [.areasRead, .casesReport, .casesRead, .casesWork, .residentsRead, .devicesSend]
        case .departmentOfficer: [.areasRead, .casesReport, .casesRead, .casesWork, .contractsRead, .financeRead]
        case .resident: [.areasRead, .casesReport]
        case .dataConsumer: [.areasRead, .feedsRead]
        }
    }
}

/// An organisation.
public struct Org: Sendable, Hashable, Codable, Identifiable {
    public var id: UUID
    public var code: String
    public var name: String
    public var nameEn: String?
    public var kind: OrgKind

    public init(id: UUID, code: String, name: String, nameEn: String?, kind: OrgKind) {
        self.id = id
        self.code = code
        self.name = name
        self.nameEn = nameEn
        self.kind = kind
    }

    public func displayName(_ language: Language) -> String { language == .en ? (nameEn ?? name) : name }
}

/// A user account as the domain sees it (no password hash).
public struct User: Sendable, Hashable, Codable, Identifiable {
    public var id: UUID
    public var username: String
    public var displayName: String
    public var role: Role
    public var orgID: UUID?
    public var isActive: Bool

    public init(id: UUID, username: String, displayName: String, role: Role, orgID: UUID?, isActive: Bool) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.role = role
        self.orgID = orgID
        self.isActive = isActive
    }
}

/// Who is asking: the user, its org, and, for an API key, the scopes the key was issued with.
public struct Actor: Sendable, Equatable {
    public var user: User
    public var org: Org?
    /// The areas the org is assigned (a street office's street, a steward's villages, …).
    public var orgAreas: [UUID]
    /// nil for a login session or bearer token (the role's permissions); a set for an API key.
    public var keyScopes: Set<Permission>?

    public init(user: User, org: Org?, orgAreas: [UUID], keyScopes: Set<Permission>? = nil) {
        self.user = user
        self.org = org
        self.orgAreas = orgAreas
        self.keyScopes = keyScopes
    }

    public var role: Role { user.role }

    public var permissions: Set<Permission> {
        let granted = Permission.grantedByRole[user.role] ?? []
        return keyScopes.map { granted.intersection($0) } ?? granted
    }

    /// Asked many times a request: a look-up in the role's set made once, no set built.
    public func can(_ permission: Permission) -> Bool {
        (Permission.grantedByRole[user.role]?.contains(permission) ?? false) && (keyScopes?.contains(permission) ?? true)
    }
}

/// Access decisions for the directory and the area tree, in one place.
public enum AccessPolicy {
    /// Which areas the actor may see. The district office, auditors, departments (they supervise their matters in
    /// every street: 谁委托谁监管) and data consumers see the whole tree; a street office sees its street; a
    /// steward, shareholding company or party committee sees the areas assigned to its org; residents see the public
    /// geography (the whole tree).
    public static func areaScope(for actor: Actor) -> AreaScope {
        guard actor.can(.areasRead) else { return .nothing }
        switch actor.role {
        case .districtAdmin, .auditor, .departmentOfficer, .dataConsumer, .resident:
            return .everything
        case .streetOfficer, .stewardDispatcher, .stewardStaff:
            return .subtrees(actor.orgAreas)
        }
    }

    public static func require(_ permission: Permission, _ actor: Actor) throws(DomainError) {
        guard actor.can(permission) else {
            throw .forbidden(LocalizedText(zh: "没有权限：\(permission.rawValue)", en: "permission required: \(permission.rawValue)"))
        }
    }
}

/// Rules for credentials, checked before anything is stored.
public enum CredentialRules {
    public static let minimumPasswordLength = 8

    public static func validateUsername(_ username: String) -> LocalizedText? {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789-_.")
        guard (3...40).contains(username.count), username.unicodeScalars.allSatisfy(allowed.contains),
              username.first?.isLetter == true else {
            return LocalizedText(zh: "用户名应为 3~40 位小写字母、数字、- _ .，以字母开头",
                                 en: "a username is 3–40 lowercase letters, digits, - _ or ., starting with a letter")
        }
        return nil
    }

    public static func validatePassword(_ password: String) -> LocalizedText? {
        guard password.count >= minimumPasswordLength, password.count <= 72 else {
            return LocalizedText(zh: "密码长度应为 \(minimumPasswordLength)~72 位", en: "a password is \(minimumPasswordLength)–72 characters")
        }
        return nil
    }
}

/// Failed-login lockout and per-client rate limiting. Pure arithmetic over recorded counts; the store keeps them.
public struct LoginThrottle: Sendable {
    /// Failed attempts for one account before it is locked.
    public var maxFailuresPerAccount: Int
    public var lockout: TimeInterval
    /// Attempts (failed or not) from one client address per window.
    public var maxAttemptsPerClient: Int
    public var clientWindow: TimeInterval

    public init(maxFailuresPerAccount: Int = 5, lockout: TimeInterval = 15 * 60,
                maxAttemptsPerClient: Int = 30, clientWindow: TimeInterval = 60) {
        self.maxFailuresPerAccount = maxFailuresPerAccount
        self.lockout = lockout
        self.maxAttemptsPerClient = maxAttemptsPerClient
        self.clientWindow = clientWindow
    }

    public static let standard = LoginThrottle()

    public static func lockedMessage(seconds: Int) -> DomainError {
        .rateLimited(retryAfterSeconds: seconds, LocalizedText(
            zh: "登录失败次数过多，账号已临时锁定，请 \(max(1, seconds / 60)) 分钟后再试",
            en: "too many failed logins: the account is locked, try again in \(max(1, seconds / 60)) minutes"))
    }

    public static func tooManyAttempts(seconds: Int) -> DomainError {
        .rateLimited(retryAfterSeconds: seconds, LocalizedText(
            zh: "请求过于频繁，请 \(seconds) 秒后再试", en: "too many attempts, try again in \(seconds) seconds"))
    }

    public static let badCredentials = DomainError.unauthenticated(LocalizedText(zh: "用户名或密码错误", en: "wrong username or password"))
}
