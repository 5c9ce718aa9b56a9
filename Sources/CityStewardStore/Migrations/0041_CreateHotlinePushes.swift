import FluentKit

/// What goes back to the hotline: one row per ticket and step, delivered in `seq` order, retried with backoff until
/// the hotline answers 2xx. The body is kept as sent, so a retry is the same bytes.
struct CreateHotlinePushes: AsyncMigration {
    let name = "0041_create_hotline_pushes"

    func prepare(on db: any Database) async throws {
        try await db.schema("hotline_pushes")
            .id()
            .field("ticket_id", .uuid, .required)
            .field("case_id", .uuid, .required)
            .field("seq", .int, .required)
            .field("step", .string, .required)
            .field("body", .string, .required)
            .field("created_at", .datetime, .required)
            .field("attempts", .int, .required)
            .field("next_attempt_at", .datetime, .required)
            .field("delivered_at", .datetime)
            .field("last_status", .int)
            .field("last_error", .string)
            .unique(on: "ticket_id", "step")
            .unique(on: "ticket_id", "seq")
            .create()
    }

    func revert(on db: any Database) async throws { try await db.schema("hotline_pushes").delete() }
}
