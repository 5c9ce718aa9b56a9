import Foundation

/// What the audit log records (issue 5 §5): reveals of personal data, feed reads, logins, permission and rule
/// changes, exports.
public enum AuditAction: String, Sendable, Codable, CaseIterable {
    case login, loginFailed = "login.failed", logout
    case reveal
    case feedRead = "feed.read"
    case apiKeyCreated = "apikey.created", apiKeyRevoked = "apikey.revoked"
    case userCreated = "user.created", passwordChanged = "user.password"
    case orgChanged = "org.changed", userChanged = "user.changed"
    case ruleChanged = "rule.changed"
    case consumerChanged = "consumer.changed"
    case webhookChanged = "webhook.changed"
    case contractChanged = "contract.changed"
    case financeChanged = "finance.changed"
    case export
    case keysRotated = "keys.rotated"
    case importData = "import"
    case residentChanged = "resident.changed"
    case retention
    case planChanged = "plan.changed"
    case teamChanged = "team.changed"
    case routeChanged = "route.changed"
    case assetChanged = "asset.changed"
    case inspectionSigned = "inspection.signed"
    case rosterChanged = "roster.changed"
    case assessmentPlanChanged = "assessment.plan.changed"
    case assessmentPlanPublished = "assessment.plan.published"
    case assessmentResultPublished = "assessment.result.published"
    case assessmentCommentModerated = "assessment.comment.moderated"
    case spotCheckDrawn = "spotcheck.drawn"
    case spotCheckRecorded = "spotcheck.recorded"
    case noticePublished = "notice.published"
    case noticeWithdrawn = "notice.withdrawn"
    case activityCreated = "activity.created"
    case activityCancelled = "activity.cancelled"
    case activityReported = "activity.reported"
    case villageThemeSet = "village-theme.set"
    case deliberationChanged = "deliberation.changed"
    case meetingChanged = "meeting.changed"

    public var label: LocalizedText {
        switch self {
        case .login: LocalizedText(zh: "登录", en: "Sign-in")
        case .loginFailed: LocalizedText(zh: "登录失败", en: "Failed sign-in")
        case .logout: LocalizedText(zh: "退出", en: "Sign-out")
        case .reveal: LocalizedText(zh: "查看个人信息明文", en: "Personal data revealed")
        case .feedRead: LocalizedText(zh: "数据共享读取", en: "Feed read")
        case .apiKeyCreated: LocalizedText(zh: "创建 API 密钥", en: "API key created")
        case .apiKeyRevoked: LocalizedText(zh: "吊销 API 密钥", en: "API key revoked")
        case .userCreated: LocalizedText(zh: "创建用户", en: "User created")
        case .passwordChanged: LocalizedText(zh: "修改密码", en: "Password changed")
        case .orgChanged: LocalizedText(zh: "机构变更", en: "Organisation changed")
        case .userChanged: LocalizedText(zh: "账号变更", en: "Account changed")
        case .ruleChanged: LocalizedText(zh: "规则变更", en: "Rule changed")
        case .consumerChanged: LocalizedText(zh: "数据使用方变更", en: "Data consumer changed")
        case .webhookChanged: LocalizedText(zh: "推送回调变更", en: "Webhook changed")
        case .contractChanged: LocalizedText(zh: "合同变更", en: "Contract changed")
        case .financeChanged: LocalizedText(zh: "财务变更", en: "Finance changed")
        case .export: LocalizedText(zh: "数据导出", en: "Data export")
        case .keysRotated: LocalizedText(zh: "密钥轮换", en: "Keys rotated")
        case .importData: LocalizedText(zh: "数据导入", en: "Data import")
        case .residentChanged: LocalizedText(zh: "实有人口与房屋登记", en: "Residents and houses registered")
        case .retention: LocalizedText(zh: "到期数据清理", en: "Retention")
        case .planChanged: LocalizedText(zh: "作业计划变更", en: "Work plan changed")
        case .teamChanged: LocalizedText(zh: "班组变更", en: "Team changed")
        case .routeChanged: LocalizedText(zh: "巡更路线变更", en: "Patrol route changed")
        case .assetChanged: LocalizedText(zh: "部件登记变更", en: "Asset register changed")
        case .inspectionSigned: LocalizedText(zh: "巡检签字确认", en: "Inspection signed")
        case .rosterChanged: LocalizedText(zh: "排班变更", en: "Roster changed")
        case .assessmentPlanChanged: LocalizedText(zh: "考核方案变更", en: "Assessment plan changed")
        case .assessmentPlanPublished: LocalizedText(zh: "考核方案公布", en: "Assessment plan published")
        case .assessmentResultPublished: LocalizedText(zh: "考核结果公示", en: "Assessment results published")
        case .assessmentCommentModerated: LocalizedText(zh: "公示意见处理", en: "Assessment comment moderated")
        case .spotCheckDrawn: LocalizedText(zh: "抽查抽签", en: "Spot-check round drawn")
        case .spotCheckRecorded: LocalizedText(zh: "抽查记录", en: "Spot check recorded")
        case .noticePublished: LocalizedText(zh: "发布公告", en: "Notice published")
        case .noticeWithdrawn: LocalizedText(zh: "撤回公告", en: "Notice withdrawn")
        case .activityCreated: LocalizedText(zh: "登记活动", en: "Activity entered")
        case .activityCancelled: LocalizedText(zh: "取消活动", en: "Activity cancelled")
        case .activityReported: LocalizedText(zh: "活动总结", en: "Activity reported")
        case .villageThemeSet: LocalizedText(zh: "设定村主题", en: "Village theme set")
        case .deliberationChanged: LocalizedText(zh: "议事协调", en: "Deliberation step")
        case .meetingChanged: LocalizedText(zh: "协调会与交办任务", en: "Meeting or action item")
        }
    }
}

/// One row of the append-only log. `hash` = SHA-256(`previousHash` ‖ `canonical`), so changing, removing or
/// reordering any row breaks every hash after it.
public struct AuditEntry: Sendable, Equatable {
    public var seq: Int
    /// Milliseconds since 1970 (UTC): an integer survives every database unchanged, so the hash does too.
    public var atMillis: Int64
    public var actorID: UUID?
    public var actorName: String
    public var action: String
    public var subject: String
    public var detail: String
    public var previousHash: String
    public var hash: String

    public init(seq: Int, atMillis: Int64, actorID: UUID?, actorName: String, action: String, subject: String, detail: String,
                previousHash: String, hash: String) {
        self.seq = seq
        self.atMillis = atMillis
        self.actorID = actorID
        self.actorName = actorName
        self.action = action
        self.subject = subject
        self.detail = detail
        self.previousHash = previousHash
        self.hash = hash
    }

    public var at: Date { Date(timeIntervalSince1970: Double(atMillis) / 1000) }

    /// The bytes that are hashed: every field length-prefixed, so no choice of text can make two rows collide.
    public var canonical: String {
        [String(seq), String(atMillis), actorID?.uuidString.lowercased() ?? "", actorName, action, subject, detail]
            .map { "\($0.utf8.count):\($0)" }.joined()
    }
}

public enum AuditTrail {
    /// The hash before the first row.
    public static let genesis = String(repeating: "0", count: 64)

    /// The first row whose link or content does not check out, with why; nil when the chain is whole.
    /// `sha256` is given by the caller (Core has no cryptography library); rows must come in `seq` order.
    public static func firstBroken(_ entries: [AuditEntry], after previous: (seq: Int, hash: String)? = nil,
                                   sha256: (String) -> String) -> (seq: Int, reason: LocalizedText)? {
        var expectedPrevious = previous?.hash ?? genesis
        var expectedSeq = (previous?.seq ?? 0) + 1
        for e in entries {
            if e.seq != expectedSeq {
                return (e.seq, LocalizedText(zh: "序号应为 \(expectedSeq)，实为 \(e.seq)（有行被删除或插入）",
                                             en: "expected row \(expectedSeq), found \(e.seq) (a row was removed or inserted)"))
            }
            if e.previousHash != expectedPrevious {
                return (e.seq, LocalizedText(zh: "与上一行的哈希不衔接", en: "does not link to the previous row's hash"))
            }
            if sha256(e.previousHash + e.canonical) != e.hash {
                return (e.seq, LocalizedText(zh: "内容与哈希不符（该行被修改）", en: "content does not match its hash (the row was changed)"))
            }
            expectedPrevious = e.hash
            expectedSeq += 1
        }
        return nil
    }
}
