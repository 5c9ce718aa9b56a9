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

    /// 201 for a new ticket, 200 with the same case for one sent again.
    @Sendable func receive(req: Request) async throws -> Response {
        let input = try req.content.decode(HotlineTicketInput.self, using: Self.decoder)
        let outcome = try await ReceiveHotlineTicket(req: req).run(input)
        let answer = try await Self.answer(outcome.ticket, state: outcome.saved.state, req: req)
        var headers = HTTPHeaders()
        headers.add(name: .location, value: "/api/v1/hotline/tickets/\(outcome.ticket.ticketNumber)")
        let response = try await answer.encodeResponse(status: outcome.created ? .created : .ok, for: req)
        response.headers.add(contentsOf: headers)
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

    /// Times as ISO 8601 (with or without fractions), as the hotline writes them.
    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            if let date = Open311Projection.parseDatetime(text) { return date }
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(text) is not an ISO 8601 time with its offset"))
        }
        return d
    }()
}
