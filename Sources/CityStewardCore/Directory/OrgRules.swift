import Foundation

/// An organisation as typed into a form or a command, before it is checked.
public struct OrgDraft: Sendable, Equatable {
    public var code: String
    public var name: String
    public var nameEn: String?
    public var kind: String
    /// Codes of the areas it is responsible for or serves.
    public var areaCodes: [String]

    public init(code: String, name: String, nameEn: String?, kind: String, areaCodes: [String]) {
        self.code = code
        self.name = name
        self.nameEn = nameEn
        self.kind = kind
        self.areaCodes = areaCodes
    }
}

/// A checked organisation, ready to store.
public struct ValidOrg: Sendable, Equatable {
    public var code: String
    public var name: String
    public var nameEn: String?
    public var kind: OrgKind
    public var areas: [Area]

    public init(code: String, name: String, nameEn: String?, kind: OrgKind, areas: [Area]) {
        self.code = code
        self.name = name
        self.nameEn = nameEn
        self.kind = kind
        self.areas = areas
    }
}

extension OrgKind {
    /// A steward's villages follow its contracts (plan §4, §7): what a contract in force entrusts to it is in its
    /// scope from the contract's start to its end, termination or supersession, with nobody assigning it by hand.
    public var servesEntrustedAreas: Bool { self == .steward }

    /// The kinds of area an organisation of this kind answers for (plan §2–§4): the district office for the
    /// district, a street office for its street, a department district-wide or for a street, a steward, a
    /// shareholding company or a community's party committee for villages and communities.
    public var servedAreaKinds: [AreaKind] {
        switch self {
        case .districtOffice: [.district]
        case .streetOffice: [.street]
        case .department: [.district, .street]
        case .steward, .shareholdingCompany: [.community, .village]
        case .partyCommittee: [.street, .community, .village]
        }
    }
}

public enum OrgRules {
    /// Every problem of the draft at once. `areas` are the stored areas found for the draft's codes, `codeTaken`
    /// whether another organisation has the code already.
    public static func validate(_ draft: OrgDraft, areas: [String: Area], codeTaken: Bool) -> Result<ValidOrg, FieldProblems> {
        var problems: [FieldProblem] = []
        func problem(_ field: String, _ zh: String, _ en: String) { problems.append(FieldProblem(field: field, reason: LocalizedText(zh: zh, en: en))) }
        let code = draft.code.trimmingCharacters(in: .whitespaces).uppercased()
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
        if !(2...40).contains(code.count) || !code.unicodeScalars.allSatisfy(allowed.contains) || code.first == "-" {
            problem("code", "机构代码应为 2~40 位大写字母、数字或 -（如 LH-ST-002）", "an organisation code is 2–40 capital letters, digits or - (e.g. LH-ST-002)")
        } else if codeTaken {
            problem("code", "机构代码 \(code) 已存在", "organisation code \(code) already exists")
        }
        let name = draft.name.trimmingCharacters(in: .whitespaces)
        if name.isEmpty || name.count > 100 { problem("name", "名称应为 1~100 字", "the name is 1–100 characters") }
        let nameEn = draft.nameEn?.trimmingCharacters(in: .whitespaces)
        if let nameEn, nameEn.count > 200 { problem("nameEn", "英文名称最多 200 字符", "the English name is at most 200 characters") }
        let kind = OrgKind(rawValue: draft.kind)
        if kind == nil {
            problem("kind", "请选择机构类型：\(OrgKind.allCases.map(\.label.zh).joined(separator: "、"))",
                    "choose a kind: \(OrgKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var found: [Area] = []
        for code in draft.areaCodes {
            guard let area = areas[code] else { problem("areas", "找不到区域 \(code)", "no area with code \(code)"); continue }
            if let kind, !kind.servedAreaKinds.contains(area.kind) {
                problem("areas", "\(kind.label.zh)不能负责\(area.kind.label.zh)“\(area.name)”", "a \(kind.rawValue) cannot serve the \(area.kind.rawValue) \(area.name)")
                continue
            }
            if !found.contains(area) { found.append(area) }
        }
        guard problems.isEmpty, let kind else { return .failure(FieldProblems(problems)) }
        return .success(ValidOrg(code: code, name: name, nameEn: nameEn?.isEmpty == true ? nil : nameEn, kind: kind, areas: found))
    }

    /// Areas added to an organisation that exists (every code must be one it may serve).
    public static func validateAreas(_ codes: [String], for org: Org, areas: [String: Area]) -> Result<[Area], FieldProblems> {
        let draft = OrgDraft(code: org.code, name: org.name, nameEn: org.nameEn, kind: org.kind.rawValue, areaCodes: codes)
        return validate(draft, areas: areas, codeTaken: false).map(\.areas)
    }
}
