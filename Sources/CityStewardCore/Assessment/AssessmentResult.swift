import Foundation

/// One indicator of a village's published score, as published: its points, its part of the total and its working
/// (the formula with the numbers written out), with the records that cost points.
public struct PublishedLine: Codable, Sendable, Equatable {
    public var key: String
    public var name: String
    public var points: Double?
    public var contribution: Double
    public var working: LocalizedText
    /// Case numbers behind a lost point (the first few).
    public var evidence: [String]

    public init(_ s: IndicatorScore) {
        (key, name, points, contribution, working) = (s.key, s.name, s.points, s.contribution, s.explanation)
        evidence = Array((s.measured?.evidence ?? []).prefix(10))
    }
}

/// A village's line of a published result (公示): frozen when published, whatever the records do afterwards.
public struct PublishedScore: Codable, Sendable, Equatable {
    public var village: String
    public var villageName: String
    public var steward: String?
    public var total: Double
    public var grade: String?
    public var rank: Int?
    public var cases: Int
    public var lines: [PublishedLine]

    public init(village: String, villageName: String, steward: String?, card: ScoreCard, rank: Int?, cases: Int) {
        (self.village, self.villageName, self.steward, total, grade, self.rank, self.cases) = (village, villageName, steward, card.total, card.grade, rank, cases)
        lines = card.leaves.map(PublishedLine.init)
    }
}

/// What publishing a year's results takes: the comment window (公示期) and, for a correction, its reason.
public struct ResultTerms: Sendable, Equatable {
    /// The window, Beijing days: comments from the first day's start to the last day's end.
    public var opens: LocalDate
    public var closes: LocalDate
    public var reason: String?

    public init(opens: LocalDate, closes: LocalDate, reason: String?) {
        (self.opens, self.closes, self.reason) = (opens, closes, reason)
    }

    public var window: (start: Date, end: Date) { (opens.beijingMidnight, closes.adding(days: 1).beijingMidnight) }
}

public enum CommentKind: String, Codable, Sendable, CaseIterable {
    /// 意见: a view on the result.
    case comment
    /// 异议: an objection to a village's score, which the district office answers.
    case objection

    public var label: LocalizedText {
        switch self {
        case .comment: LocalizedText(zh: "意见", en: "Comment")
        case .objection: LocalizedText(zh: "异议", en: "Objection")
        }
    }
}

/// A comment as given on the public page.
public struct CommentTerms: Sendable, Equatable {
    public var kind: CommentKind
    /// The village the comment is about (its code), or none: the result as a whole.
    public var village: String?
    public var body: String
    /// How the author signs (optional; shown as given).
    public var name: String?

    public init(kind: CommentKind, village: String?, body: String, name: String?) {
        (self.kind, self.village, self.body, self.name) = (kind, village, body, name)
    }
}

public enum AssessmentResultRules {
    public static let maxWindowDays = 30
    public static let maxComment = 1_000

    /// A year's results are published once the year is over, with a comment window of 5 to 30 days that starts
    /// today or later; a correction (a later version) gives its reason.
    public static func validate(year: Int, opens: String, closes: String, reason: String, isCorrection: Bool, today: LocalDate) -> Result<ResultTerms, FieldProblems> {
        var problems: [FieldProblem] = []
        func problem(_ field: String, _ zh: String, _ en: String) { problems.append(FieldProblem(field: field, reason: LocalizedText(zh: zh, en: en))) }
        if today <= LocalDate(year: year, month: 12, day: 31) {
            problem("year", "考核年度结束后才能公示结果", "results are published once the year is over")
        }
        let start = LocalDate(opens.trimmingCharacters(in: .whitespaces)), end = LocalDate(closes.trimmingCharacters(in: .whitespaces))
        if start == nil { problem("opens", "公示开始日应为 YYYY-MM-DD", "the window's first day is a YYYY-MM-DD") }
        else if start! < today { problem("opens", "公示开始日不早于今天", "the window starts today or later") }
        if end == nil { problem("closes", "公示截止日应为 YYYY-MM-DD", "the window's last day is a YYYY-MM-DD") }
        if let start, let end, start >= today {
            let days = end.dayNumber - start.dayNumber + 1
            if days < 5 || days > maxWindowDays { problem("closes", "公示期为 5～\(maxWindowDays) 天", "the window is 5 to \(maxWindowDays) days") }
        }
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        if isCorrection, why.isEmpty { problem("reason", "更正已公示的结果须写明原因", "a correction of published results gives its reason") }
        if why.count > 500 { problem("reason", "原因不超过 500 字", "the reason is at most 500 characters") }
        guard problems.isEmpty, let start, let end else { return .failure(FieldProblems(problems)) }
        return .success(ResultTerms(opens: start, closes: end, reason: why.isEmpty ? nil : why))
    }

    /// A comment: within the window, of a kind, about a village of the result (or none), 5 to 1,000 characters; an
    /// objection names its village.
    public static func validate(kind: String, village: String, body: String, name: String, villages: Set<String>, window: (start: Date, end: Date),
                                now: Date) -> Result<CommentTerms, FieldProblems> {
        var problems: [FieldProblem] = []
        func problem(_ field: String, _ zh: String, _ en: String) { problems.append(FieldProblem(field: field, reason: LocalizedText(zh: zh, en: en))) }
        if now < window.start || now >= window.end {
            problem("body", "不在公示期内：公示期内才能提意见", "outside the comment window: comments are taken while the results are on display")
        }
        let k = CommentKind(rawValue: kind.trimmingCharacters(in: .whitespaces))
        if k == nil { problem("kind", "请选择意见或异议", "choose a comment or an objection") }
        let v = village.trimmingCharacters(in: .whitespaces)
        if !v.isEmpty, !villages.contains(v) { problem("village", "请选择公示结果中的村（社区）", "choose a village of the published results") }
        if k == .objection, v.isEmpty { problem("village", "异议须指明对哪个村的得分", "an objection names the village whose score it disputes") }
        let text = body.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.count < 5 { problem("body", "意见至少 5 个字", "write at least 5 characters") }
        if text.count > maxComment { problem("body", "意见不超过 \(maxComment) 字", "at most \(maxComment) characters") }
        let signed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if signed.count > 40 { problem("name", "署名不超过 40 字", "the name is at most 40 characters") }
        guard problems.isEmpty, let k else { return .failure(FieldProblems(problems)) }
        return .success(CommentTerms(kind: k, village: v.isEmpty ? nil : v, body: text, name: signed.isEmpty ? nil : signed))
    }

    /// Hiding a comment (moderation) needs a reason, shown in its place; nothing is deleted.
    public static func validateHiding(reason: String) -> FieldProblem? {
        let r = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        if r.count < 2 { return FieldProblem(field: "reason", reason: LocalizedText(zh: "请写明隐藏原因（会公开显示）", en: "give the reason for hiding (it is shown publicly)")) }
        if r.count > 200 { return FieldProblem(field: "reason", reason: LocalizedText(zh: "原因不超过 200 字", en: "the reason is at most 200 characters")) }
        return nil
    }

    /// An answer to a comment (the district office's reply, shown with it).
    public static func validateAnswer(_ text: String) -> FieldProblem? {
        let r = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if r.count < 2 { return FieldProblem(field: "answer", reason: LocalizedText(zh: "请写回复内容", en: "write the answer")) }
        if r.count > maxComment { return FieldProblem(field: "answer", reason: LocalizedText(zh: "回复不超过 \(maxComment) 字", en: "at most \(maxComment) characters")) }
        return nil
    }
}
