import CityStewardCore
import FluentKit
import Foundation

final class OrgRecord: Model, @unchecked Sendable {
    static let schema = "orgs"

    @ID(key: .id) var id: UUID?
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @OptionalField(key: "name_en") var nameEn: String?
    @Field(key: "kind") var kind: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(id: UUID = UUID(), code: String, name: String, nameEn: String?, kind: OrgKind) {
        self.id = id
        self.code = code
        self.name = name
        self.nameEn = nameEn
        self.kind = kind.rawValue
    }

    func toOrg() -> Org {
        Org(id: id!, code: code, name: name, nameEn: nameEn, kind: OrgKind(rawValue: kind) ?? .department)
    }
}

final class OrgAreaRecord: Model, @unchecked Sendable {
    static let schema = "org_areas"

    @ID(key: .id) var id: UUID?
    @Field(key: "org_id") var orgID: UUID
    @Field(key: "area_id") var areaID: UUID
    @OptionalField(key: "street_id") var streetID: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(orgID: UUID, areaID: UUID, streetID: UUID?) {
        self.id = UUID()
        self.orgID = orgID
        self.areaID = areaID
        self.streetID = streetID
    }
}

/// A user row. The App layer adds the Vapor authentication conformances.
public final class UserRecord: Model, @unchecked Sendable {
    public static let schema = "users"

    @ID(key: .id) public var id: UUID?
    @Field(key: "username") var username: String
    @Field(key: "display_name") var displayName: String
    @Field(key: "password_hash") var passwordHash: String
    @Field(key: "role") var role: String
    @OptionalField(key: "org_id") var orgID: UUID?
    @Field(key: "is_active") var isActive: Bool
    @Field(key: "failed_logins") var failedLogins: Int
    @OptionalField(key: "locked_until") var lockedUntil: Date?
    @OptionalField(key: "last_login_at") var lastLoginAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    public init() {}

    init(username: String, displayName: String, passwordHash: String, role: Role, orgID: UUID?) {
        self.id = UUID()
        self.username = username
        self.displayName = displayName
        self.passwordHash = passwordHash
        self.role = role.rawValue
        self.orgID = orgID
        self.isActive = true
        self.failedLogins = 0
    }

    func toUser() -> User {
        User(id: id!, username: username, displayName: displayName, role: Role(rawValue: role) ?? .resident,
             orgID: orgID, isActive: isActive)
    }
}

final class APITokenRecord: Model, @unchecked Sendable {
    static let schema = "api_tokens"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "kind") var kind: String
    @Field(key: "name") var name: String
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "prefix") var prefix: String
    @Field(key: "scopes") var scopes: String
    @OptionalField(key: "expires_at") var expiresAt: Date?
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    @OptionalField(key: "last_used_at") var lastUsedAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}
}

final class LoginThrottleRecord: Model, @unchecked Sendable {
    static let schema = "login_throttle"

    @ID(key: .id) var id: UUID?
    @Field(key: "client_key") var clientKey: String
    @Field(key: "window_start") var windowStart: Date
    @Field(key: "attempts") var attempts: Int

    init() {}
}
