import Foundation

/// The steward's teams (班组): who cleans, repairs, patrols, keeps order, or stands in the volunteer fire brigade.
public enum TeamKind: String, Sendable, Codable, CaseIterable {
    case cleaning, repair, patrol, security, volunteerFire

    public var label: LocalizedText {
        switch self {
        case .cleaning: LocalizedText(zh: "保洁班组", en: "Cleaning")
        case .repair: LocalizedText(zh: "维修班组", en: "Repair")
        case .patrol: LocalizedText(zh: "巡查班组", en: "Patrol")
        case .security: LocalizedText(zh: "安保班组", en: "Security")
        case .volunteerFire: LocalizedText(zh: "志愿消防队", en: "Volunteer fire brigade")
        }
    }
}

/// A team as typed.
public struct TeamInput: Sendable, Equatable {
    public var name: String
    public var kind: String
    /// User ids of the members, and which of them leads.
    public var members: [String]
    public var lead: String

    public init(name: String, kind: String, members: [String], lead: String) {
        (self.name, self.kind, self.members, self.lead) = (name, kind, members, lead)
    }
}

/// A team as checked.
public struct TeamTerms: Sendable, Equatable {
    public var name: String
    public var kind: TeamKind
    public var members: [UUID]
    public var lead: UUID?

    public init(name: String, kind: TeamKind, members: [UUID], lead: UUID?) {
        (self.name, self.kind, self.members, self.lead) = (name, kind, members, lead)
    }
}

public enum TeamRules {
    public static let maxName = 40
    public static let maxMembers = 200

    /// Every problem at once. `staff` are the active accounts of the steward (a team holds only its own people);
    /// `nameTaken` whether another team of the steward has the name.
    public static func validate(_ input: TeamInput, staff: Set<UUID>, nameTaken: Bool) -> Result<TeamTerms, FieldProblems> {
        var problems: [FieldProblem] = []
        func problem(_ field: String, _ zh: String, _ en: String) { problems.append(FieldProblem(field: field, reason: LocalizedText(zh: zh, en: en))) }
        let name = input.name.trimmingCharacters(in: .whitespaces)
        if name.isEmpty || name.count > maxName { problem("name", "请填写班组名称（不超过 \(maxName) 个字）", "give the team a name (at most \(maxName) characters)") }
        else if nameTaken { problem("name", "已有同名班组", "another team has this name") }
        let kind = TeamKind(rawValue: input.kind)
        if kind == nil { problem("kind", "请选择班组类别", "choose the kind of team") }
        let ids = input.members.map { UUID(uuidString: $0.trimmingCharacters(in: .whitespaces)) }
        var members: [UUID] = []
        if ids.count > maxMembers {
            problem("members", "一个班组最多 \(maxMembers) 人", "a team has at most \(maxMembers) members")
        } else if ids.contains(nil) || ids.compactMap({ $0 }).contains(where: { !staff.contains($0) }) {
            problem("members", "成员只能是本单位在职人员", "members are active staff of your company")
        } else {
            for id in ids.compactMap({ $0 }) where !members.contains(id) { members.append(id) }
        }
        var lead: UUID?
        let leadText = input.lead.trimmingCharacters(in: .whitespaces)
        if !leadText.isEmpty {
            if let id = UUID(uuidString: leadText), members.contains(id) { lead = id } else { problem("lead", "组长须是班组成员", "the lead must be a member of the team") }
        }
        guard problems.isEmpty, let kind else { return .failure(FieldProblems(problems)) }
        return .success(TeamTerms(name: name, kind: kind, members: members, lead: lead))
    }
}
