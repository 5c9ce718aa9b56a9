import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// A 12345 ticket in: checked whole, classed (its code, or its class text matched by name), made a case through the
/// one intake (source `hotline`, the caller's number sealed like a resident's), recorded with its ticket number, and
/// its first step (received) queued for the hotline. Sent twice, it is the same case: the intake's idempotency key
/// is the ticket number, and the ticket row is written once, so a retry after a crash between the two completes it.
struct ReceiveHotlineTicket {
    let req: Request

    struct Outcome: Sendable {
        var ticket: HotlineTicketRow
        var saved: Case
        var created: Bool
    }

    func run(_ input: HotlineTicketInput) async throws -> Outcome {
        let actor = try req.require(.hotlineSend)
        let problems = HotlineBridge.problems(input)
        guard problems.isEmpty else { throw FieldProblems(problems).domainError }
        let store = HotlineStore(db: req.db)
        let reference = try await req.caseReference()
        // The class: the platform's code, else its class text by name (either language), else refused with both named.
        let text = input.categoryText?.trimmedWhitespace ?? ""
        let code = input.category.flatMap { reference.taxonomy.eventCategory($0)?.code }
            ?? reference.taxonomy.categories.first { $0.kind == .event && !text.isEmpty && ($0.name == text || $0.nameEn.lowercased() == text.lowercased()) }?.code
        guard let code else {
            throw DomainError.refused("category", zh: "无法归类：类别代码 \(input.category ?? "—")、类别名称 \(text.isEmpty ? "—" : text) 都不在事项分类中",
                                      en: "cannot class the ticket: neither the code \(input.category ?? "—") nor the name \(text.isEmpty ? "—" : text) is a class")
        }
        var position: GeoPoint?
        if let lat = input.lat, let long = input.long {
            position = try CasesAPIController.position(lat: lat, long: long, crs: input.crs)
        }
        let report = CaseReport(category: code, position: position, placeCode: input.placeCode, description: input.description.trimmedWhitespace,
                                urgency: nil)
        let intake = ReportCase.Input(report: report, source: .hotline, idempotencyKey: "hotline:\(input.ticketNumber)",
                                      reporterName: "12345 \(input.ticketNumber)",
                                      resident: .init(phone: ContactNumber.read(input.callerPhone), language: .zhHans, formKey: "hotline:\(input.ticketNumber)"))
        let outcome = try await ReportCase(request: req).run(intake, actor: actor, now: req.now)
        let row = HotlineTicketRow(id: UUID(), ticketNumber: input.ticketNumber, caseId: outcome.saved.id, caseNumber: outcome.saved.number,
                                   nature: input.nature, categoryText: text.isEmpty ? nil : text, address: input.address,
                                   dueAt: input.dueAt, receivedAt: input.receivedAt ?? req.now, createdAt: req.now)
        let ticket = try await store.record(row)
        try await store.enqueue(HotlineMessage(ticketNumber: ticket.ticketNumber, step: .received, at: req.now, caseNumber: outcome.saved.number,
                                               caseState: outcome.saved.state.rawValue, text: nil), ticket: ticket, at: req.now)
        return Outcome(ticket: ticket, saved: outcome.saved, created: outcome.created)
    }
}
