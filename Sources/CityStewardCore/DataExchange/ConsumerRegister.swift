import Foundation

/// The kinds of device event a consumer may receive.
public enum FeedKind: String, Sendable, Codable, CaseIterable {
    case gate, ai

    public var label: LocalizedText {
        switch self {
        case .gate: LocalizedText(zh: "门禁通行", en: "Gate passes")
        case .ai: LocalizedText(zh: "AI 识别事件", en: "AI events")
        }
    }
}

/// What a consumer receives, as typed: its name, the villages and the event kinds.
public struct ConsumerScope: Sendable, Equatable {
    public var name: String
    /// Village codes.
    public var villages: [String]
    public var kinds: [String]

    public init(name: String, villages: [String], kinds: [String]) {
        self.name = name
        self.villages = villages
        self.kinds = kinds
    }
}

/// A new data consumer as typed: its code, the account it reads with, and its scope.
public struct ConsumerRegistration: Sendable, Equatable {
    public var code: String
    public var account: String
    public var scope: ConsumerScope

    public init(code: String, account: String, scope: ConsumerScope) {
        self.code = code
        self.account = account
        self.scope = scope
    }
}

/// A scope that may be stored.
public struct ValidConsumerScope: Sendable, Equatable {
    public var name: String
    public var villages: [Area]
    public var kinds: [FeedKind]
}

public enum ConsumerRules {
    /// Every problem of a scope at once. `villages` holds the areas the codes name (a code missing from it names none).
    public static func validate(_ input: ConsumerScope, villages: [String: Area]) -> Result<ValidConsumerScope, FieldProblems> {
        var problems: [FieldProblem] = []
        func problem(_ field: String, _ zh: String, _ en: String) { problems.append(FieldProblem(field: field, reason: LocalizedText(zh: zh, en: en))) }
        let name = input.name.trimmingCharacters(in: .whitespaces)
        if name.isEmpty || name.count > 60 { problem("name", "请填写名称（不超过 60 个字）", "give a name (at most 60 characters)") }
        let codes = Array(Set(input.villages.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })).sorted()
        var areas: [Area] = []
        if codes.isEmpty { problem("villages", "至少选择一个社区（城中村）", "choose at least one village") }
        for code in codes {
            guard let area = villages[code] else { problem("villages", "没有编码为 \(code) 的社区", "no village has the code \(code)"); continue }
            guard area.kind == .village else { problem("villages", "\(area.name) 不是社区（城中村）", "\(area.name) is not a village"); continue }
            areas.append(area)
        }
        var kinds: [FeedKind] = []
        let typed = Array(Set(input.kinds.filter { !$0.isEmpty })).sorted()
        if typed.isEmpty { problem("kinds", "至少选择一种事件类型", "choose at least one kind of event") }
        for k in typed {
            guard let kind = FeedKind(rawValue: k) else { problem("kinds", "没有事件类型 \(k)（应为 gate 或 ai）", "no event kind \(k) (gate or ai)"); continue }
            kinds.append(kind)
        }
        guard problems.isEmpty else { return .failure(FieldProblems(problems: problems)) }
        return .success(ValidConsumerScope(name: name, villages: areas, kinds: kinds))
    }

    /// A new consumer: its code (unless `codeTaken`), the account (`accountMayRead`: it exists, is active and may
    /// read feeds) and its scope, every problem at once.
    public static func validate(_ input: ConsumerRegistration, villages: [String: Area], codeTaken: Bool,
                                accountMayRead: Bool) -> Result<(code: String, scope: ValidConsumerScope), FieldProblems> {
        var problems: [FieldProblem] = []
        let code = input.code.trimmingCharacters(in: .whitespaces).lowercased()
        if code.range(of: #"^[a-z0-9][a-z0-9-]{1,39}$"#, options: .regularExpression) == nil {
            problems.append(FieldProblem(field: "code", reason: LocalizedText(zh: "编码应为 2~40 位小写字母、数字或连字符（如 district-platform）",
                                                                             en: "a code is 2–40 lower-case letters, digits or hyphens (e.g. district-platform)")))
        } else if codeTaken {
            problems.append(FieldProblem(field: "code", reason: LocalizedText(zh: "编码 \(code) 已被使用", en: "the code \(code) is taken")))
        }
        if !accountMayRead {
            problems.append(FieldProblem(field: "account", reason: LocalizedText(
                zh: "账号 \(input.account) 不存在、已停用或不是数据使用方账号（请先在“机构与账号”中以“数据使用方”角色创建）",
                en: "the account \(input.account) does not exist, is disabled or is not a data consumer's account (create one with the data consumer role first)")))
        }
        switch validate(input.scope, villages: villages) {
        case .failure(let more): return .failure(FieldProblems(problems: problems + more.problems))
        case .success(let scope):
            guard problems.isEmpty else { return .failure(FieldProblems(problems: problems)) }
            return .success((code, scope))
        }
    }
}

extension DesensitizationRules {
    /// Rules as sent (`field kind → technique`, by their codes), every problem at once (`rules.<kind>`). A kind left
    /// out is suppressed.
    public static func parse(_ map: [String: String], consumer: String, version: Int) -> Result<DesensitizationRules, FieldProblems> {
        var problems: [FieldProblem] = []
        var rules: [FieldKind: Technique] = [:]
        for (k, v) in map.sorted(by: { $0.key < $1.key }) {
            guard let kind = FieldKind(rawValue: k) else {
                problems.append(FieldProblem(field: "rules.\(k)", reason: LocalizedText(zh: "没有字段类型 \(k)", en: "no field kind \(k)")))
                continue
            }
            guard let technique = Technique(rawValue: v) else {
                problems.append(FieldProblem(field: "rules.\(k)", reason: LocalizedText(zh: "没有脱敏方法 \(v)", en: "no technique \(v)")))
                continue
            }
            rules[kind] = technique
        }
        let candidate = DesensitizationRules(consumer: consumer, version: version, rules: rules)
        problems += candidate.problems().map { FieldProblem(field: "rules." + $0.field, reason: $0.reason) }
        return problems.isEmpty ? .success(candidate) : .failure(FieldProblems(problems: problems))
    }
}
