import FluentKit

struct CreateCaseEvents: AsyncMigration {
    let name = "0011_create_case_events"
    func prepare(on db: any Database) async throws {
        try await db.schema("case_events")
            .id()
            .field("case_id", .uuid, .required, .references("cases", "id", onDelete: .cascade))
            .field("seq", .int, .required)
            .field("action", .string, .required)
            .field("from_state", .string)
            .field("to_state", .string, .required)
            .field("actor_id", .uuid)
            .field("actor_name", .string, .required)
            .field("at", .datetime, .required)
            .field("note", .string)
            .field("lat", .double)
            .field("long", .double)
            .field("detail", .string)
            .unique(on: "case_id", "seq")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("case_events").delete() }
}
