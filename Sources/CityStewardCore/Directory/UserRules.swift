import Foundation

/// A user account as typed into a form or a request, before it is checked.
public struct UserDraft: Sendable, Equatable {
    public var username: String
    public var displayName: String
    public var role: String
    /// The organisation's code; none for a resident.
    public var orgCode: String?

    public init(username: String, displayName: String, role: String, orgCode: String?) {
        self.username = username
        self.displayName = displayName
        self.role = role
        self.orgCode = orgCode
    }
}

public struct ValidUser: Sendable, Equatable {
    public var username: String
    public var displayName: String
    public var role: Role
    public var org: Org?

    public init(username: String, displayName: String, role: Role, org: Org?) {
        self.username = username
        self.displayName = displayName
        self.role = role
        self.org = org
    }
}

public enum UserRules {
    /// Every problem at once. `org` is the organisation found for the draft's code (nil when there is none or no
    /// code); `usernameTaken` whether another account has the name. `checkUsername` is false for an edit.
    public static func validate(_ draft: UserDraft, org: Org?, usernameTaken: Bool, checkUsername: Bool = true) -> Result<ValidUser, FieldProblems> {
        var problems: [FieldProblem] = []
        let username = draft.username.trimmingCharacters(in: .whitespaces).lowercased()
        if checkUsername {
            if let problem = CredentialRules.validateUsername(username) {
                problems.append(FieldProblem(field: "username", reason: problem))
            } else if usernameTaken {
                problems.append(FieldProblem(field: "username", reason: LocalizedText(zh: "用户名 \(username) 已存在", en: "username \(username) already exists")))
            }
        }
        let displayName = draft.displayName.trimmingCharacters(in: .whitespaces)
        if displayName.isEmpty || displayName.count > 100 {
            problems.append(FieldProblem(field: "displayName", reason: LocalizedText(zh: "显示名称应为 1~100 字", en: "the display name is 1–100 characters")))
        }
        let role = Role(rawValue: draft.role)
        if let role {
            problems += orgProblems(role: role, orgCode: draft.orgCode?.trimmingCharacters(in: .whitespaces).nilIfBlank, org: org)
        } else {
            problems.append(FieldProblem(field: "role", reason: LocalizedText(
                zh: "请选择角色：\(Role.allCases.map(\.label.zh).joined(separator: "、"))",
                en: "choose a role: \(Role.allCases.map(\.rawValue).joined(separator: ", "))")))
        }
        guard problems.isEmpty, let role else { return .failure(FieldProblems(problems)) }
        return .success(ValidUser(username: username, displayName: displayName, role: role, org: role.allowedOrgKinds.isEmpty ? nil : org))
    }

    /// What an edit changed, for the audit row (nothing: no row).
    public static func changes(from old: User, to new: User, orgCode: String?) -> [String] {
        var what: [String] = []
        if new.displayName != old.displayName { what.append("displayName") }
        if new.role != old.role { what.append("role=\(new.role.rawValue)") }
        if new.orgID != old.orgID { what.append("org=\(orgCode ?? "-")") }
        if new.isActive != old.isActive { what.append(new.isActive ? "enabled" : "disabled") }
        return what
    }

    static func orgProblems(role: Role, orgCode: String?, org: Org?) -> [FieldProblem] {
        if role.allowedOrgKinds.isEmpty {
            return orgCode == nil ? [] : [FieldProblem(field: "org", reason: LocalizedText(zh: "居民账号不属于任何机构", en: "a resident account belongs to no organisation"))]
        }
        guard let orgCode else {
            return [FieldProblem(field: "org", reason: LocalizedText(zh: "该角色必须属于一个机构", en: "this role needs an organisation"))]
        }
        guard let org else {
            return [FieldProblem(field: "org", reason: LocalizedText(zh: "找不到机构 \(orgCode)", en: "no organisation with code \(orgCode)"))]
        }
        guard role.allowedOrgKinds.contains(org.kind) else {
            return [FieldProblem(field: "role", reason: LocalizedText(zh: "角色“\(role.label.zh)”不能属于“\(org.kind.label.zh)”类机构",
                                                                      en: "role \(role.rawValue) cannot belong to a \(org.kind.rawValue)"))]
        }
        return []
    }
}

/// Who may administer organisations and accounts, and who may mint API keys for themselves.
public enum DirectoryAccess {
    public enum Action: Sendable, CaseIterable {
        /// List, create and edit organisations and user accounts, disable them, reset passwords.
        case manageDirectory
        /// List, create and revoke one's own API keys.
        case manageOwnKeys
    }

    public static func may(_ actor: Actor, _ action: Action) -> Bool {
        switch action {
        case .manageDirectory:
            actor.can(.usersManage)
        case .manageOwnKeys:
            // A key never mints keys (a leaked camera key must not outlive its revocation); a login or bearer token
            // of any active account may, each key narrowed to what the role grants.
            actor.keyScopes == nil
        }
    }

    public static func require(_ actor: Actor, _ action: Action) throws(DomainError) {
        guard may(actor, action) else {
            let reason: LocalizedText = switch action {
            case .manageDirectory: LocalizedText(zh: "只有区专项办可以管理机构和账号", en: "only the district office manages organisations and accounts")
            case .manageOwnKeys: LocalizedText(zh: "API 密钥不能用来创建或吊销密钥，请登录后操作", en: "an API key cannot create or revoke keys: sign in instead")
            }
            throw .forbidden(reason)
        }
    }

    /// An admin may not disable their own account or take their own administration away (the district would be
    /// left without one).
    public static func selfChangeRefusal(actor: Actor, target: User, newRole: Role?, active: Bool?) -> LocalizedText? {
        guard actor.user.id == target.id else { return nil }
        if active == false { return LocalizedText(zh: "不能停用自己的账号", en: "you cannot disable your own account") }
        if let newRole, newRole != target.role, target.role == .districtAdmin {
            return LocalizedText(zh: "不能取消自己的管理员角色", en: "you cannot take away your own administrator role")
        }
        return nil
    }
}

extension String {
    var nilIfBlank: String? { isEmpty ? nil : self }
}
