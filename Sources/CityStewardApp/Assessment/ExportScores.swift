import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// A plan's scores as a spreadsheet (issue 19 §7), for the console and the API alike: over the same period and scope
/// as the scores, audited.
struct ExportScores {
    let req: Request

    /// The scores as a workbook: every village's total, grade and rank with each leaf's points (first sheet), then
    /// every indicator of every village with its value, numbers, points, share, contribution, working and evidence.
    /// The CSV is the second, long table: one row per village and indicator, the village's total repeated.
    static func scoresWorkbook(_ r: (plan: AssessmentPlanRow, version: AssessmentPlanVersion, from: LocalDate, through: LocalDate, department: Org?, scores: [AssessmentService.VillageScore]),
                               reference: CaseReference, language: Language) -> (summary: Workbook.Sheet, indicators: Workbook.Sheet) {
        let en = language == .en
        let leaves = r.version.method.indicators.flatMap(\.leaves)
        var summary: [[Workbook.Cell]] = [[en ? "rank" : "排名", en ? "village" : "村代码", en ? "village name" : "城中村", en ? "steward" : "城市管家",
                                           en ? "total" : "总分", en ? "grade" : "等级", en ? "cases due" : "应处置案件"].map { .text($0) }
                                          + leaves.map { .text("\($0.key) \($0.name)") }]
        var long: [[Workbook.Cell]] = [[en ? "village" : "村代码", en ? "village name" : "城中村", en ? "total" : "总分", en ? "grade" : "等级", en ? "rank" : "排名",
                                        en ? "indicator" : "指标", en ? "name" : "名称", en ? "weight %" : "权重%", en ? "share of total %" : "占总分%",
                                        en ? "value" : "数值", en ? "numerator" : "分子", en ? "denominator" : "分母", en ? "points" : "得分",
                                        en ? "contribution" : "计入总分", en ? "working" : "计算过程", en ? "evidence" : "依据（案件编号）"].map { .text($0) }]
        let fmt = AssessmentScoring.fmt
        func walk(_ list: [IndicatorScore]) -> [IndicatorScore] { list.flatMap { [$0] + walk($0.children) } }
        for s in r.scores {
            let steward = s.steward.flatMap { reference.orgs[$0]?.code } ?? ""
            let byKey = Dictionary(walk(s.card.indicators).map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
            summary.append([s.rank.map { .integer($0) } ?? .empty, .text(s.village.code), .text(s.village.displayName(language)), .text(steward),
                            .text(fmt(s.card.total)), .text(s.card.grade ?? ""), .integer(s.cases)]
                           + leaves.map { l in byKey[l.key]?.points.map { .text(fmt($0)) } ?? .empty })
            for i in walk(s.card.indicators) {
                let m = i.measured
                long.append([.text(s.village.code), .text(s.village.displayName(language)), .text(fmt(s.card.total)), .text(s.card.grade ?? ""),
                             s.rank.map { .integer($0) } ?? .empty, .text(i.key), .text(i.name), .text(fmt(i.weight)), .text(fmt(i.share)),
                             m?.value.map { .text(fmt($0)) } ?? .empty, m?.numerator.map { .text(fmt($0)) } ?? .empty, m?.denominator.map { .text(fmt($0)) } ?? .empty,
                             i.points.map { .text(fmt($0)) } ?? .empty, .text(fmt(i.contribution)), .text(i.explanation.text(language)),
                             .text((m?.evidence ?? []).joined(separator: " "))])
            }
        }
        return (Workbook.Sheet(name: en ? "Scores" : "得分", rows: summary), Workbook.Sheet(name: en ? "Indicators" : "指标与依据", rows: long))
    }

    func exported(_ id: String) async throws -> (summary: Workbook.Sheet, indicators: Workbook.Sheet, name: String) {
        let service = AssessmentService(req: req)
        _ = try await service.plan(id)
        let r = try await service.scores(id, from: try OperationsAPIController.date(req, "from"), through: try OperationsAPIController.date(req, "through"),
                                         period: try AssessmentController.period(req), department: try await AssessmentController.department(req))
        let sheets = Self.scoresWorkbook(r, reference: try await req.caseReference(), language: req.language)
        try await req.audit(.export, subject: "assessment-plan:\(r.plan.id.uuidString.lowercased())", detail: "scores \(r.from)~\(r.through)\(r.department.map { " of " + $0.code } ?? ""): \(r.scores.count) villages")
        return (sheets.summary, sheets.indicators, "assessment-\(r.plan.year)-\(r.from)-\(r.through)" + (r.department.map { "-" + $0.code } ?? ""))
    }

    func csv(_ id: String) async throws -> Response {
        let e = try await exported(id)
        return CSVResponse.make(Workbook(sheets: [e.indicators]).csv(), filename: e.name + ".csv")
    }

    func xlsx(_ id: String) async throws -> Response {
        let e = try await exported(id)
        return try XLSX.response(Workbook(sheets: [e.summary, e.indicators]), filename: e.name + ".xlsx")
    }
}
