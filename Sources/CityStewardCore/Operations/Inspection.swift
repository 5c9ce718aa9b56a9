import Foundation

/// What an inspection item asks (巡检项): passed or failed, a reading within limits, or a remark.
public enum ChecklistItemKind: String, Sendable, Codable, CaseIterable {
    case passFail, number, text
}

/// One item of a checklist.
public struct ChecklistItem: Sendable, Codable, Equatable {
    public var label: String
    public var kind: ChecklistItemKind
    /// A reading outside these limits fails the item (number items).
    public var min: Double?
    public var max: Double?
    public var unit: String?
    /// The inspector must attach a photo of what was checked.
    public var photoRequired: Bool

    public init(label: String, kind: ChecklistItemKind, min: Double? = nil, max: Double? = nil, unit: String? = nil, photoRequired: Bool = false) {
        (self.label, self.kind, self.min, self.max, self.unit, self.photoRequired) = (label, kind, min, max, unit, photoRequired)
    }
}

/// A checklist for one component class (消防设施 → the monthly fire-equipment check).
public struct ChecklistTerms: Sendable, Equatable {
    public var name: String
    public var component: String
    public var items: [ChecklistItem]

    public init(name: String, component: String, items: [ChecklistItem]) {
        (self.name, self.component, self.items) = (name, component, items)
    }
}

public enum ChecklistRules {
    public static let maxItems = 50

    /// Every problem at once; `components` are the component classes that can file cases (a failed item opens one).
    public static func validate(name: String, component: String, items: [ChecklistItem], components: Set<String>) -> Result<ChecklistTerms, FieldProblems> {
        var problems: [FieldProblem] = []
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed.count > 60 {
            problems.append(FieldProblem(field: "name", reason: LocalizedText(zh: "请填写检查表名称（不超过 60 个字）", en: "give the checklist a name (at most 60 characters)")))
        }
        if !components.contains(component) {
            problems.append(FieldProblem(field: "component", reason: LocalizedText(zh: "没有可立案的部件类别 \(component)", en: "no component class \(component) that cases can be filed under")))
        }
        if items.isEmpty || items.count > maxItems {
            problems.append(FieldProblem(field: "items", reason: LocalizedText(zh: "检查项为 1~\(maxItems) 项", en: "a checklist has 1 to \(maxItems) items")))
        }
        for (i, item) in items.enumerated() {
            if item.label.trimmingCharacters(in: .whitespaces).isEmpty || item.label.count > 80 {
                problems.append(FieldProblem(field: "items[\(i)].label", reason: LocalizedText(zh: "第 \(i + 1) 项须有说明（不超过 80 个字）", en: "item \(i + 1) needs a label (at most 80 characters)")))
            }
            if item.kind == .number, let lo = item.min, let hi = item.max, lo > hi {
                problems.append(FieldProblem(field: "items[\(i)].min", reason: LocalizedText(zh: "第 \(i + 1) 项下限大于上限", en: "item \(i + 1)'s minimum is above its maximum")))
            }
            if item.kind != .number, item.min != nil || item.max != nil {
                problems.append(FieldProblem(field: "items[\(i)].kind", reason: LocalizedText(zh: "只有数值项有上下限", en: "only number items have limits")))
            }
        }
        guard problems.isEmpty else { return .failure(FieldProblems(problems)) }
        return .success(ChecklistTerms(name: trimmed, component: component, items: items.map {
            var item = $0
            item.label = item.label.trimmingCharacters(in: .whitespaces)
            return item
        }))
    }
}

/// An item's answer as the inspector gave it (text from a form, or typed JSON).
public struct InspectionAnswer: Sendable, Equatable {
    /// `pass` or `fail` for a pass/fail item; the reading for a number item; the remark for a text item.
    public var value: String
    public var hasPhoto: Bool

    public init(value: String, hasPhoto: Bool = false) {
        (self.value, self.hasPhoto) = (value, hasPhoto)
    }
}

/// An item as judged.
public struct InspectionResult: Sendable, Codable, Equatable {
    public var item: Int
    public var label: String
    /// As recorded: `pass`/`fail`, the reading, or the remark.
    public var value: String
    public var passed: Bool

    public init(item: Int, label: String, value: String, passed: Bool) {
        (self.item, self.label, self.value, self.passed) = (item, label, value, passed)
    }

    /// What the case a failed item opens says.
    public func describe(_ checklist: String, unit: String?) -> String {
        value == "fail" ? "巡检不合格：\(checklist)·\(label)" : "巡检不合格：\(checklist)·\(label)（\(value)\(unit ?? "")）"
    }
}

public enum InspectionRules {
    public static let maxRemark = 500

    /// Judges every answer against its item, and checks the signature: the inspector confirms by typing their own
    /// name. Every problem at once, by `items[i]` or `signature`.
    public static func judge(_ terms: ChecklistTerms, answers: [InspectionAnswer], signature: String, inspector: String) -> Result<[InspectionResult], FieldProblems> {
        var problems: [FieldProblem] = []
        var results: [InspectionResult] = []
        func problem(_ i: Int, _ zh: String, _ en: String) { problems.append(FieldProblem(field: "items[\(i)]", reason: LocalizedText(zh: "第 \(i + 1) 项：" + zh, en: "item \(i + 1): " + en))) }
        if answers.count != terms.items.count {
            problems.append(FieldProblem(field: "items", reason: LocalizedText(zh: "应回答全部 \(terms.items.count) 项", en: "answer all \(terms.items.count) items")))
        }
        for (i, item) in terms.items.enumerated() where i < answers.count {
            let answer = answers[i]
            let value = answer.value.trimmingCharacters(in: .whitespaces)
            if item.photoRequired && !answer.hasPhoto { problem(i, "须附照片", "a photo is required") }
            switch item.kind {
            case .passFail:
                guard value == "pass" || value == "fail" else { problem(i, "请选择合格或不合格", "choose pass or fail"); continue }
                results.append(InspectionResult(item: i, label: item.label, value: value, passed: value == "pass"))
            case .number:
                guard let reading = Double(value), reading.isFinite else { problem(i, "请填写读数", "give the reading"); continue }
                let passed = (item.min.map { reading >= $0 } ?? true) && (item.max.map { reading <= $0 } ?? true)
                results.append(InspectionResult(item: i, label: item.label, value: value, passed: passed))
            case .text:
                guard value.count <= maxRemark else { problem(i, "备注不超过 \(maxRemark) 个字", "at most \(maxRemark) characters"); continue }
                results.append(InspectionResult(item: i, label: item.label, value: value, passed: true))
            }
        }
        let signed = signature.trimmingCharacters(in: .whitespaces)
        if signed.isEmpty || signed != inspector.trimmingCharacters(in: .whitespaces) {
            problems.append(FieldProblem(field: "signature", reason: LocalizedText(zh: "请签上您的姓名（\(inspector)）以确认", en: "sign with your name (\(inspector)) to confirm")))
        }
        guard problems.isEmpty else { return .failure(FieldProblems(problems)) }
        return .success(results)
    }
}

/// Who a case is given to within the organisation responsible for it: one of its teams or one of its people.
public enum CaseAssignee: Sendable, Equatable, Hashable {
    case team(UUID)
    case person(UUID)

    /// `team:UUID` or `person:UUID`, as forms and the API write it.
    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let id = UUID(uuidString: parts[1]) else { return nil }
        switch parts[0] {
        case "team": self = .team(id)
        case "person": self = .person(id)
        default: return nil
        }
    }

    public var text: String {
        switch self {
        case .team(let id): "team:\(id.uuidString.lowercased())"
        case .person(let id): "person:\(id.uuidString.lowercased())"
        }
    }

    /// Whether the case is this person's work: given to them, or to a team they are in.
    public func includes(user: UUID, teams: Set<UUID>) -> Bool {
        switch self {
        case .team(let id): teams.contains(id)
        case .person(let id): id == user
        }
    }
}

/// Which team a case a failed inspection opens goes to: the steward's repair team (its first by name), else none
/// (the dispatcher gives it out).
public enum InspectionRouting {
    public static func repairTeam(_ teams: [(id: UUID, name: String, kind: TeamKind)]) -> UUID? {
        teams.filter { $0.kind == .repair }.min { $0.name < $1.name }?.id
    }
}
