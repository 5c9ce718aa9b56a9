import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The 12345 hotline's door (`/api/v1/hotline/tickets`): its platform sends tickets with a key scoped
/// `hotline:send`, and reads back a ticket's case and what was sent of it.
struct HotlineController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped("api", "v1", "hotline")
        api.post("tickets", use: receive)
        api.get("tickets", ":ticket", use: show)
    }

    struct TicketAnswer: Content {
        var ticketNumber: String
        var caseId: UUID
        var caseNumber: String
        var state: String
        var stateLabel: String
        var pushes: [CaseResponse.Hotline.Push]
    }

    /// The ticket as sent: times as ISO 8601 text with their offset (an empty one is none).
    struct TicketBody: Content {
        var ticketNumber: String
        var nature: String?
        var category: String?
        var categoryText: String?
        var description: String
        var lat: Double?
        var long: Double?
        var crs: String?
        var placeCode: String?
        var address: String?
        var dueAt: String?
        var receivedAt: String?
        var callerName: String?
        var callerPhone: String?

        func input() throws -> HotlineTicketInput {
            func time(_ text: String?, _ field: String) throws -> Date? {
                guard let text, !text.isEmpty else { return nil }
                guard let date = Open311Projection.parseDatetime(text) else {
                    throw DomainError.invalid(field, zh: "\(field) 应为带时区的 ISO 8601 时间", en: "\(field) is an ISO 8601 time with its offset")
                }
                return date
            }
            return HotlineTicketInput(ticketNumber: ticketNumber, nature: nature, category: category, categoryText: categoryText, description: description,
                                      lat: lat, long: long, crs: crs, placeCode: placeCode, address: address,
                                      dueAt: try time(dueAt, "dueAt"), receivedAt: try time(receivedAt, "receivedAt"),
                                      callerName: callerName, callerPhone: callerPhone)
        }
    }

    /// 201 for a new ticket, 200 with the same case for one sent again.
    @Sendable func receive(req: Request) async throws -> Response {
        let input = try req.content.decode(TicketBody.self).input()
        let outcome = try await ReceiveHotlineTicket(req: req).run(input)
        let answer = try await Self.answer(outcome.ticket, state: outcome.saved.state, req: req)
        let response = try await answer.encodeResponse(status: outcome.created ? .created : .ok, for: req)
        response.headers.replaceOrAdd(name: .location, value: "/api/v1/hotline/tickets/\(outcome.ticket.ticketNumber)")
        return response
    }

    @Sendable func show(req: Request) async throws -> TicketAnswer {
        _ = try req.require(.hotlineSend)
        let number = req.parameters.get("ticket") ?? ""
        guard let ticket = try await HotlineStore(db: req.db).ticket(number: number) else {
            throw DomainError.notFound(zh: "没有工单 \(number)", en: "no ticket \(number)")
        }
        let row = try await req.cases.find(ticket.caseId, scope: nil)
        return try await Self.answer(ticket, state: row.caseState, req: req)
    }

    static func answer(_ ticket: HotlineTicketRow, state: CaseState, req: Request) async throws -> TicketAnswer {
        let view = CaseResponse.Hotline(ticket, pushes: try await HotlineStore(db: req.db).pushes(ticketID: ticket.id), language: req.language)
        return TicketAnswer(ticketNumber: ticket.ticketNumber, caseId: ticket.caseId, caseNumber: ticket.caseNumber, state: state.rawValue,
                            stateLabel: state.label.text(req.language), pushes: view.pushes)
    }
}
