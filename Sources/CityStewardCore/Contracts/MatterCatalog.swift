import Foundation

/// One matter of the district's entrustable-matter catalog (可委托事项清单, plan §7(2), §9(1)) as it stands in one
/// version: who owns it, how it is priced, how fast its cases are handled, and whether the steward may take it on.
public struct MatterTerms: Sendable, Codable, Equatable {
    public var code: String
    public var name: String
    public var nameEn: String
    public var domain: ServiceDomain
    /// Org code of the department that entrusts it and then supervises it (谁委托谁监管).
    public var ownerDepartment: String?
    /// The unit its price is per (m², 项, 月 …).
    public var unit: String
    /// The industry benchmark price per unit and month (行业管养单价标准), in fen.
    public var benchmarkFen: Int
    /// The handling limit in working hours a contract takes for it unless it agrees its own (nil: each category's own).
    public var timeLimitHours: Int?
    /// Beyond the steward's authority: the steward finds and reports, the street office investigates (查处). Such a
    /// matter is on no street's list and in no contract, and its cases go to the street office.
    public var beyondAuthority: Bool

    public init(code: String, name: String, nameEn: String, domain: ServiceDomain, ownerDepartment: String?, unit: String, benchmarkFen: Int,
                timeLimitHours: Int?, beyondAuthority: Bool) {
        (self.code, self.name, self.nameEn, self.domain, self.ownerDepartment) = (code, name, nameEn, domain, ownerDepartment)
        (self.unit, self.benchmarkFen, self.timeLimitHours, self.beyondAuthority) = (unit, benchmarkFen, timeLimitHours, beyondAuthority)
    }

    public var price: CatalogPrice { CatalogPrice(matterCode: code, unit: unit, benchmarkFen: benchmarkFen) }

    public func displayName(_ language: Language) -> String { language == .en ? nameEn : name }
}

/// A matter as typed, on a form or in a request; every field as text so that each problem can be named.
public struct MatterInput: Sendable, Equatable {
    public var code: String
    public var name: String
    public var nameEn: String
    public var domain: String
    public var ownerDepartment: String
    public var unit: String
    /// In fen (the API) or converted from yuan (the console); nil: not given.
    public var benchmarkFen: Double?
    public var timeLimitHours: String
    public var beyondAuthority: Bool
    /// Why it changed (required for an edit: the catalog's history says why each version exists).
    public var note: String

    public init(code: String, name: String, nameEn: String, domain: String, ownerDepartment: String, unit: String, benchmarkFen: Double?,
                timeLimitHours: String, beyondAuthority: Bool, note: String) {
        (self.code, self.name, self.nameEn, self.domain, self.ownerDepartment, self.unit) = (code, name, nameEn, domain, ownerDepartment, unit)
        (self.benchmarkFen, self.timeLimitHours, self.beyondAuthority, self.note) = (benchmarkFen, timeLimitHours, beyondAuthority, note)
    }
}

/// One version of a matter, with who made it, when and why.
public struct MatterVersion: Sendable, Equatable {
    public var terms: MatterTerms
    public var version: Int
    public var changedBy: String
    public var changedAt: Date
    public var note: String?

    public init(terms: MatterTerms, version: Int, changedBy: String, changedAt: Date, note: String?) {
        (self.terms, self.version, self.changedBy, self.changedAt, self.note) = (terms, version, changedBy, changedAt, note)
    }
}

/// One version of a street office's own list (辖区管理服务事项委托清单): the catalog matters it entrusts to a steward.
public struct StreetMatterList: Sendable, Equatable {
    public var streetID: UUID
    public var matters: [String]
    public var version: Int
    public var changedBy: String
    public var changedAt: Date
    public var note: String?

    public init(streetID: UUID, matters: [String], version: Int, changedBy: String, changedAt: Date, note: String?) {
        (self.streetID, self.matters, self.version, self.changedBy, self.changedAt, self.note) = (streetID, matters, version, changedBy, changedAt, note)
    }
}

public enum MatterRules {
    public static let maxHours = 24 * 30

    /// A matter as typed, every problem at once. `existing` is the matter being edited (nil: a new one, whose code must
    /// be free: `codeTaken`); `departments` the org codes of departments.
    public static func validate(_ input: MatterInput, existing: MatterTerms?, codeTaken: Bool, departments: Set<String>) -> Result<MatterTerms, FieldProblems> {
        var problems: [FieldProblem] = []
        func problem(_ field: String, _ zh: String, _ en: String) { problems.append(FieldProblem(field: field, reason: LocalizedText(zh: zh, en: en))) }
        let code = existing?.code ?? input.code.trimmingCharacters(in: .whitespaces).uppercased()
        if existing == nil {
            if code.range(of: #"^M-[A-Z]{2,5}-[0-9]{2,3}$"#, options: .regularExpression) == nil {
                problem("code", "事项编码形如 M-SAN-02（M-、2~5 个字母、-、2~3 位数字）", "a matter code looks like M-SAN-02 (M-, 2–5 letters, -, 2–3 digits)")
            } else if codeTaken {
                problem("code", "事项编码 \(code) 已在清单中", "the catalog already has \(code)")
            }
        }
        let name = input.name.trimmingCharacters(in: .whitespaces)
        if name.isEmpty || name.count > 40 { problem("name", "请填写事项名称（不超过 40 个字）", "give the matter's name (at most 40 characters)") }
        let nameEn = input.nameEn.trimmingCharacters(in: .whitespaces)
        if nameEn.count > 100 { problem("nameEn", "英文名称不超过 100 个字符", "the English name is at most 100 characters") }
        let domain = ServiceDomain(rawValue: input.domain)
        if domain == nil {
            problem("domain", "请选择服务领域", "choose the service domain (\(ServiceDomain.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let owner = input.ownerDepartment.trimmingCharacters(in: .whitespaces)
        // The shipped catalog names departments a district may not have made yet: only a new owner must exist.
        if !owner.isEmpty, owner != existing?.ownerDepartment, !departments.contains(owner) {
            problem("ownerDepartment", "没有编码为 \(owner) 的委托部门", "no department has the code \(owner)")
        }
        let unit = input.unit.trimmingCharacters(in: .whitespaces)
        if unit.isEmpty || unit.count > 10 { problem("unit", "计价单位应为 1~10 个字（如 m²、项、月）", "the unit is 1 to 10 characters (m², item, month)") }
        var fen = 0
        if let typed = input.benchmarkFen {
            switch Money.fen(typed, field: "benchmarkFen") {
            case .success(let f): fen = f
            case .failure(let p): problems += p.problems
            }
        } else {
            problem("benchmarkFen", "请填写行业管养单价", "give the benchmark price")
        }
        var hours: Int?
        let hoursText = input.timeLimitHours.trimmingCharacters(in: .whitespaces)
        if !hoursText.isEmpty {
            if let h = Int(hoursText), (1...maxHours).contains(h) { hours = h } else {
                problem("timeLimitHours", "处置时限为 1~\(maxHours) 个工作小时的整数，不填则按各类问题自身时限",
                        "the time limit is a whole number of working hours from 1 to \(maxHours); leave it empty for each category's own")
            }
        }
        let note = input.note.trimmingCharacters(in: .whitespaces)
        if existing != nil, note.isEmpty { problem("note", "请说明修改原因（记入版本历史）", "say why it changes (kept in the history)") }
        if note.count > 500 { problem("note", "说明不超过 500 字", "the note is at most 500 characters") }
        guard problems.isEmpty, let domain else { return .failure(FieldProblems(problems)) }
        let terms = MatterTerms(code: code, name: name, nameEn: nameEn.isEmpty ? name : nameEn, domain: domain, ownerDepartment: owner.isEmpty ? nil : owner,
                                unit: unit, benchmarkFen: fen, timeLimitHours: hours, beyondAuthority: input.beyondAuthority)
        return .success(terms)
    }

    /// A street office's list as chosen, every problem at once: each matter in the catalog and within the steward's
    /// authority. Returns the codes sorted, each once.
    public static func validateList(_ codes: [String], note: String, catalog: [String: MatterTerms]) -> Result<[String], FieldProblems> {
        var problems: [FieldProblem] = []
        let chosen = Array(Set(codes.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })).sorted()
        for code in chosen {
            guard let m = catalog[code] else {
                problems.append(FieldProblem(field: "matters", reason: LocalizedText(zh: "可委托事项清单中没有 \(code)", en: "the catalog has no matter \(code)")))
                continue
            }
            if m.beyondAuthority {
                problems.append(FieldProblem(field: "matters", reason: LocalizedText(zh: "“\(m.name)”超出城市管家职权范围，不能委托",
                                                                                     en: "\(m.nameEn) is beyond the steward's authority and cannot be entrusted")))
            }
        }
        if note.count > 500 { problems.append(FieldProblem(field: "note", reason: LocalizedText(zh: "说明不超过 500 字", en: "the note is at most 500 characters"))) }
        return problems.isEmpty ? .success(chosen) : .failure(FieldProblems(problems))
    }

    /// Why a contract of a street may not entrust a matter: not on the street's own list (or the street has none yet),
    /// or beyond the steward's authority. Nil: it may.
    public static func entrustRefusal(_ code: String, streetList: StreetMatterList?, catalog: [String: MatterTerms]) -> LocalizedText? {
        if let m = catalog[code], m.beyondAuthority {
            return LocalizedText(zh: "“\(m.name)”超出城市管家职权范围，不能委托", en: "\(m.nameEn) is beyond the steward's authority and cannot be entrusted")
        }
        guard let list = streetList else {
            return LocalizedText(zh: "该街道尚未制定委托事项清单，请先在“可委托事项”中制定", en: "the street has no list of entrusted matters yet: draw it up from the catalog first")
        }
        guard list.matters.contains(code) else {
            return LocalizedText(zh: "事项 \(code) 不在该街道的委托事项清单中", en: "matter \(code) is not on the street's list of entrusted matters")
        }
        return nil
    }
}
