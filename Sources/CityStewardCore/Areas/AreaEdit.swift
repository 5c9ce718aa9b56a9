import Foundation

/// One area as typed on its page: a new child (code, kind, name) or a new name for an area. Outlines come by import.
public struct AreaDraft: Sendable, Equatable {
    public var code: String
    public var kind: String
    public var name: String
    public var nameEn: String

    public init(code: String = "", kind: String = "", name: String, nameEn: String) {
        (self.code, self.kind, self.name, self.nameEn) = (code, kind, name, nameEn)
    }
}

public enum AreaRules {
    /// A name and an English name, every problem at once.
    static func names(_ d: AreaDraft, _ problems: inout [FieldProblem]) -> (name: String, nameEn: String?) {
        let name = d.name.trimmingCharacters(in: .whitespaces), nameEn = d.nameEn.trimmingCharacters(in: .whitespaces)
        if name.isEmpty || name.count > 100 {
            problems.append(FieldProblem(field: "name", reason: LocalizedText(zh: "请填写名称（不超过 100 字）", en: "give a name (at most 100 characters)")))
        }
        if nameEn.count > 200 {
            problems.append(FieldProblem(field: "nameEn", reason: LocalizedText(zh: "英文名称不超过 200 个字符", en: "the English name is at most 200 characters")))
        }
        return (name, nameEn.isEmpty ? nil : nameEn)
    }

    /// A new child of `parent` without an outline (a building known by its code, a community before its survey); the
    /// code follows the national structure under the parent's (`AreaCode`), and must be free.
    public static func validateChild(_ d: AreaDraft, parent: Area, codeTaken: Bool) -> Result<(code: String, kind: AreaKind, name: String, nameEn: String?), FieldProblems> {
        var problems: [FieldProblem] = []
        let kind = AreaKind(rawValue: d.kind)
        if kind == nil || !parent.kind.allowedChildren.contains(kind!) {
            problems.append(FieldProblem(field: "kind", reason: LocalizedText(
                zh: "\(parent.kind.label.zh)之下可新增：\(parent.kind.allowedChildren.map(\.label.zh).joined(separator: "、"))",
                en: "under a \(parent.kind.label.en.lowercased()): \(parent.kind.allowedChildren.map { $0.label.en.lowercased() }.joined(separator: ", "))")))
        }
        let code = d.code.trimmingCharacters(in: .whitespaces).uppercased()
        if let kind, let problem = AreaCode.validate(code, kind: kind, parentCode: parent.code) {
            problems.append(FieldProblem(field: "code", reason: problem))
        } else if codeTaken {
            problems.append(FieldProblem(field: "code", reason: LocalizedText(zh: "代码 \(code) 已存在", en: "code \(code) already exists")))
        }
        let (name, nameEn) = names(d, &problems)
        guard problems.isEmpty, let kind else { return .failure(FieldProblems(problems)) }
        return .success((code, kind, name, nameEn))
    }

    /// A new name for an area (its code and place in the tree stay).
    public static func validateRename(_ d: AreaDraft) -> Result<(name: String, nameEn: String?), FieldProblems> {
        var problems: [FieldProblem] = []
        let names = names(d, &problems)
        return problems.isEmpty ? .success(names) : .failure(FieldProblems(problems))
    }
}
