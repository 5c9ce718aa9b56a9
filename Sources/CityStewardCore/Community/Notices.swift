import Foundation

/// What a notice to residents is about (公告): the portal groups and marks them by it.
public enum NoticeKind: String, Sendable, Codable, CaseIterable {
    /// A general announcement.
    case general
    /// The residents' notice of a service contract (§7(2)4: who the steward is, what it was entrusted, how to reach it).
    case contract
    /// Safety and law publicity (fire, flood, fraud …).
    case safety
    /// Works and interruptions: water, power, roads closed.
    case works
    /// An activity coming up.
    case activity

    public var label: LocalizedText {
        switch self {
        case .general: LocalizedText(zh: "公告", en: "Announcement")
        case .contract: LocalizedText(zh: "服务告知", en: "Service notice")
        case .safety: LocalizedText(zh: "安全提示", en: "Safety")
        case .works: LocalizedText(zh: "施工与停水停电", en: "Works and interruptions")
        case .activity: LocalizedText(zh: "活动预告", en: "Activity")
        }
    }
}

/// Whom a notice is written for.
public enum NoticeAudience: String, Sendable, Codable, CaseIterable {
    case everyone, residents, tenants, businesses

    public var label: LocalizedText {
        switch self {
        case .everyone: LocalizedText(zh: "全体", en: "Everyone")
        case .residents: LocalizedText(zh: "居民", en: "Residents")
        case .tenants: LocalizedText(zh: "租户", en: "Tenants")
        case .businesses: LocalizedText(zh: "商户", en: "Businesses")
        }
    }
}

/// A notice as it is published: shown on the portal for its areas (a village, or a street and all its villages) from
/// its first day to its last (Beijing days; none: until withdrawn).
public struct Notice: Sendable, Equatable {
    public var id: UUID
    public var title: String
    public var body: String
    public var kind: NoticeKind
    public var audience: NoticeAudience
    public var areas: [UUID]
    public var shownFrom: LocalDate
    public var shownUntil: LocalDate?
    /// The organisation that published it (the steward, a street office, a department, the district office).
    public var orgID: UUID?
    public var createdBy: UUID?
    public var createdAt: Date
    public var withdrawnAt: Date?
    public var withdrawnReason: String?
    /// The contract whose residents' notice this is.
    public var contractID: UUID?
    public var reads: Int

    public init(id: UUID, title: String, body: String, kind: NoticeKind, audience: NoticeAudience, areas: [UUID], shownFrom: LocalDate,
                shownUntil: LocalDate?, orgID: UUID?, createdBy: UUID?, createdAt: Date, withdrawnAt: Date? = nil, withdrawnReason: String? = nil,
                contractID: UUID? = nil, reads: Int = 0) {
        (self.id, self.title, self.body, self.kind, self.audience, self.areas) = (id, title, body, kind, audience, areas)
        (self.shownFrom, self.shownUntil, self.orgID, self.createdBy, self.createdAt) = (shownFrom, shownUntil, orgID, createdBy, createdAt)
        (self.withdrawnAt, self.withdrawnReason, self.contractID, self.reads) = (withdrawnAt, withdrawnReason, contractID, reads)
    }

    /// Shown to residents on this Beijing day.
    public func isShown(on day: LocalDate) -> Bool {
        withdrawnAt == nil && shownFrom <= day && (shownUntil.map { day <= $0 } ?? true)
    }

    public enum Status: String, Sendable { case scheduled, shown, ended, withdrawn }

    public func status(on day: LocalDate) -> Status {
        if withdrawnAt != nil { return .withdrawn }
        if day < shownFrom { return .scheduled }
        if let last = shownUntil, last < day { return .ended }
        return .shown
    }
}

/// What a publisher writes.
public struct NoticeDraft: Sendable, Equatable {
    public var title: String
    public var body: String
    public var kind: NoticeKind
    public var audience: NoticeAudience
    public var areas: [UUID]
    public var shownFrom: LocalDate
    public var shownUntil: LocalDate?

    public init(title: String, body: String, kind: NoticeKind, audience: NoticeAudience, areas: [UUID], shownFrom: LocalDate, shownUntil: LocalDate?) {
        (self.title, self.body, self.kind, self.audience, self.areas, self.shownFrom, self.shownUntil) = (title, body, kind, audience, areas, shownFrom, shownUntil)
    }
}

public enum NoticeRules {
    public static let titleLimit = 60, bodyLimit = 2_000, areaLimit = 50
    /// How far ahead a notice may be scheduled, and the longest it may be shown.
    public static let maxLeadDays = 366, maxShownDays = 731

    /// The draft checked: every problem by its field. `areaKinds`: the kinds of the areas named (nil: no such area).
    /// A contract's notice is written by the system from the contract and not checked here.
    public static func validate(_ d: NoticeDraft, areaKinds: [UUID: AreaKind], today: LocalDate) -> Result<NoticeDraft, FieldProblems> {
        var problems: [FieldProblem] = []
        func add(_ field: String, _ zh: String, _ en: String) { problems.append(FieldProblem(field: field, reason: LocalizedText(zh: zh, en: en))) }
        var out = d
        out.title = d.title.trimmingCharacters(in: .whitespacesAndNewlines)
        out.body = d.body.trimmingCharacters(in: .whitespacesAndNewlines)
        if out.title.count < 2 || out.title.count > titleLimit { add("title", "请填写标题（2~\(titleLimit) 字）", "give a title of 2–\(titleLimit) characters") }
        if out.body.isEmpty || out.body.count > bodyLimit { add("body", "请填写正文（不超过 \(bodyLimit) 字）", "write the text (at most \(bodyLimit) characters)") }
        if d.kind == .contract { add("kind", "服务告知由合同生效时自动发布", "a contract's notice is published when the contract is activated") }
        var seen = Set<UUID>()
        out.areas = d.areas.filter { seen.insert($0).inserted }
        if out.areas.isEmpty || out.areas.count > areaLimit {
            add("areas", "请选择发布范围（街道或城中村，最多 \(areaLimit) 个）", "choose where it is shown (streets or villages, at most \(areaLimit))")
        } else if out.areas.contains(where: { areaKinds[$0] == nil }) {
            add("areas", "发布范围中有不存在的区域", "an area named does not exist")
        } else if out.areas.contains(where: { ![.district, .street, .village].contains(areaKinds[$0]!) }) {
            add("areas", "发布范围须为全区、街道或城中村", "a notice is shown in the district, a street or a village")
        }
        if d.shownFrom < today { add("shownFrom", "开始展示日期不能早于今天", "it cannot start before today") }
        if d.shownFrom > today.adding(days: maxLeadDays) { add("shownFrom", "最多提前一年安排", "it can be scheduled at most a year ahead") }
        if let last = d.shownUntil {
            if last < d.shownFrom { add("shownUntil", "结束日期不能早于开始日期", "it cannot end before it starts") }
            else if last > d.shownFrom.adding(days: maxShownDays) { add("shownUntil", "展示期最长两年", "it is shown for two years at most") }
        }
        return problems.isEmpty ? .success(out) : .failure(FieldProblems(problems))
    }

    public static func validateWithdrawal(reason: String) -> FieldProblem? {
        let r = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        return r.count < 2 || r.count > 200 ? FieldProblem(field: "reason", reason: LocalizedText(zh: "请写明撤回原因（2~200 字）", en: "give the reason for withdrawing it (2–200 characters)")) : nil
    }

    /// A contract's residents' notice (§7(2)4), published when the contract is activated: who serves the villages, what
    /// they were entrusted, from when, and how residents were told.
    public static func contractNotice(title: String, steward: String, matters: [String], start: LocalDate, end: LocalDate,
                                      told: PublicNotice?) -> (title: String, body: String) {
        var body = "自 \(start) 起至 \(end)，\(steward) 为本村城市管家，受托承担：\(matters.joined(separator: "、"))。遇到问题可扫描村内二维码或在本平台“反映问题”。"
        if let told { body += "\n\n\(told.text)" }
        return ("城市管家服务告知：\(title)".prefix(titleLimit).description, String(body.prefix(bodyLimit)))
    }
}

/// Where a caller may act for residents (publish notices, organise activities), and what it sees in the console.
public enum CommunityScope: Sendable, Equatable {
    case nothing
    case everywhere
    /// Under these areas (a street office's street, a steward's villages), and its own organisation's notices.
    case areas([UUID])
}

public enum NoticeAccess {
    /// Publishing and withdrawing: the district office anywhere; a department anywhere (its entrusted matters are
    /// everywhere, §7(2)4); a street office in its street; a steward's dispatcher in the villages it serves.
    public static func publishScope(for actor: Actor) -> CommunityScope {
        guard actor.can(.casesWork) else { return .nothing }
        switch actor.role {
        case .districtAdmin, .departmentOfficer: return .everywhere
        case .streetOfficer, .stewardDispatcher: return actor.orgAreas.isEmpty ? .nothing : .areas(actor.orgAreas)
        case .stewardStaff, .resident, .dataConsumer, .auditor: return .nothing
        }
    }

    /// Reading the console's list (with read counts and withdrawn ones): publishers over their scope, auditors everywhere.
    public static func readScope(for actor: Actor) -> CommunityScope {
        if actor.role == .auditor, actor.can(.areasRead) { return .everywhere }
        return publishScope(for: actor)
    }

    /// Whether an area (by its path, root first, itself last) lies in a scope.
    public static func covers(_ scope: CommunityScope, path: [UUID]) -> Bool {
        switch scope {
        case .nothing: false
        case .everywhere: true
        case .areas(let roots): path.contains { roots.contains($0) }
        }
    }

    /// Publishing over these areas (each by its path): every one must lie in the caller's scope.
    public static func mayPublish(_ actor: Actor, over paths: [[UUID]]) -> Bool {
        let scope = publishScope(for: actor)
        return !paths.isEmpty && paths.allSatisfy { covers(scope, path: $0) }
    }

    /// Withdrawing: the district office any; others a notice of their own organisation within their scope. A contract's
    /// notice goes with the contract (terminated: withdrawn by the system), never by hand.
    public static func mayWithdraw(_ actor: Actor, _ notice: Notice, paths: [[UUID]]) -> Bool {
        guard notice.kind != .contract, case let scope = publishScope(for: actor), scope != .nothing else { return false }
        if actor.role == .districtAdmin { return true }
        return notice.orgID != nil && notice.orgID == actor.org?.id && paths.allSatisfy { covers(scope, path: $0) }
    }

    /// Seeing a notice in the console: published by its own organisation, or over an area in its read scope.
    public static func maySee(_ actor: Actor, _ notice: Notice, paths: [[UUID]]) -> Bool {
        let scope = readScope(for: actor)
        if scope == .nothing { return false }
        if notice.orgID != nil && notice.orgID == actor.org?.id { return true }
        return paths.contains { covers(scope, path: $0) }
    }
}
