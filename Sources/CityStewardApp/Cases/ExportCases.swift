import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The case queue as a spreadsheet (issue 19 §7): the same filters and the same scope as the queue, every matching
/// case (read in pages through the queue's keyset), one row each with its times in Beijing time. Up to `limit` rows:
/// more is refused with the count, so an export is never silently cut. Audited. One use case for the console and the API.
struct ExportCases {
    let req: Request

    static let limit = 50_000
    static let pageSize = 1_000

    func workbook(_ q: CasesAPIController.ListQuery) async throws -> (Workbook, Int) {
        let actor = try req.requireActor()
        guard CaseAccess.mayList(actor) else {
            throw DomainError.forbidden(LocalizedText(zh: "该凭据只能上报案件", en: "this credential may report cases, not read them"))
        }
        let now = req.now
        let filter = try CasesAPIController.filter(q, now: now)
        let scope = CaseAccess.scope(for: actor)
        let language = req.language, en = language == .en
        let reference = try await req.caseReference()
        var rows: [[Workbook.Cell]] = [[
            en ? "number" : "案件编号", en ? "reported (Beijing)" : "上报时间", en ? "category" : "类别代码", en ? "category name" : "类别名称",
            en ? "source" : "来源", en ? "state" : "状态", en ? "urgency" : "紧急程度", en ? "street" : "街道", en ? "village" : "城中村",
            en ? "place" : "位置", en ? "responsible" : "责任单位", en ? "deadline (Beijing)" : "处置时限", en ? "overdue" : "超期",
            en ? "supervised" : "督办", en ? "closed (Beijing)" : "结案时间", en ? "description" : "描述",
        ].map { .text($0) }]
        var after: CaseCursor?
        var first = true
        repeat {
            let (page, counts) = try await req.caseQueue(scope: scope, filter: filter, limit: Self.pageSize, after: after)
            if first {
                let total = counts.total(states: filter.states, overdueOnly: filter.overdueAt != nil)
                guard total <= Self.limit else {
                    throw DomainError.refused("state", zh: "符合条件的案件有 \(total) 件，超过单次导出上限 \(Self.limit) 件，请缩小筛选范围（状态、区域、类别等）",
                                              en: "\(total) cases match, more than the \(Self.limit) one export holds: narrow the filters (state, area, category …)")
                }
                first = false
            }
            for r in page.rows {
                let c = r.case
                let name = { (id: UUID?) in id.flatMap { reference.areas[$0]?.displayName(language) } ?? "" }
                rows.append([
                    .text(c.number), .text(BeijingTime.minute(c.workflow.reportedAt)), .text(c.category.code), .text(en ? c.category.nameEn : c.category.name),
                    .text(c.source.label.text(language)), .text(c.state.label.text(language)), .text(c.urgency.label.text(language)),
                    .text(name(c.place.streetID)), .text(name(c.place.villageID)), .text(c.place.areaName),
                    .text(reference.orgs[c.responsible.id]?.displayName(language) ?? c.responsible.name), .text(BeijingTime.minute(c.workflow.deadline)),
                    .text(c.isOverdue(at: now) ? (en ? "yes" : "是") : ""), .text(c.workflow.supervised ? (en ? "yes" : "是") : ""),
                    .text(c.closedAt.map(BeijingTime.minute) ?? ""), .text(c.description),
                ])
            }
            after = page.next
        } while after != nil
        return (Workbook(sheets: [Workbook.Sheet(name: en ? "Cases" : "案件", rows: rows)]), rows.count - 1)
    }

    func csv(_ q: CasesAPIController.ListQuery) async throws -> Response {
        let (book, count) = try await workbook(q)
        try await req.audit(.export, subject: "cases", detail: "csv: \(count) cases")
        return CSVResponse.make(book.csv(), filename: "cases-\(LocalDate.beijing(req.now)).csv")
    }

    func xlsx(_ q: CasesAPIController.ListQuery) async throws -> Response {
        let (book, count) = try await workbook(q)
        try await req.audit(.export, subject: "cases", detail: "xlsx: \(count) cases")
        return try XLSX.response(book, filename: "cases-\(LocalDate.beijing(req.now)).xlsx")
    }
}
