import FluentKit

/// 12345 hotline tickets (民意速办): the ticket number (one case per ticket, however often it is sent), the case it
/// became, and what the hotline said of it (nature, class text, address, its own time limit).
struct CreateHotlineTickets: AsyncMigration {
    let name = "0040_create_hotline_tickets"

    func prepare(on db: any Database) async throws {
        try await db.schema("hotline_tickets")
            .id()
            .field("ticket_number", .string, .required)
            .field("case_id", .uuid, .required)
            .field("case_number", .string, .required)
            .field("nature", .string)
            .field("category_text", .string)
            .field("address", .string)
            .field("due_at", .datetime)
            .field("received_at", .datetime, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "ticket_number")
            .unique(on: "case_id")
            .create()
    }

    func revert(on db: any Database) async throws { try await db.schema("hotline_tickets").delete() }
}
