import FluentKit
import SQLKit

/// Deliberation items (议事协调, issue 20 §4): raised by a resident on the portal (name and phone sealed, masked beside)
/// or by staff, met on by the parties, decided (who carries it out, by when, the case it became) and closed with an
/// outcome shown to residents; each step a row of its history. Parties and opinions are JSON text.
struct CreateDeliberations: AsyncMigration {
    let name = "0060_create_deliberations"

    func prepare(on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        try await db.schema("deliberation_items")
            .id()
            .field("number", .string, .required)
            .field("title", .string, .required)
            .field("description", .string, .required)
            .field("area_id", .uuid, .required)
            .field("area_path", .string, .required)
            .field("source", .string, .required)
            .field("state", .string, .required)
            .field("micro_project", .bool, .required)
            .field("budget_fen", .int64)
            .field("spent_fen", .int64)
            .field("raised_by", .uuid)
            .field("resident_name_sealed", .string)
            .field("resident_name_masked", .string)
            .field("resident_phone_sealed", .string)
            .field("resident_phone_masked", .string)
            .field("receipt_hash", .string)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("meeting_at", .datetime)
            .field("meeting_place", .string)
            .field("parties", .string, .required)
            .field("opinions", .string, .required)
            .field("decision", .string)
            .field("carried_out_by", .uuid)
            .field("due_date", .string)
            .field("case_id", .uuid)
            .field("case_number", .string)
            .field("outcome", .string)
            .field("decline_reason", .string)
            .unique(on: "number")
            .create()
        try await sql.create(index: "deliberation_items_path_idx").on("deliberation_items").column("area_path").column("created_at").run()
        try await sql.create(index: "deliberation_items_area_idx").on("deliberation_items").column("area_id").column("state").run()
        try await sql.create(index: "deliberation_items_receipt_idx").on("deliberation_items").column("receipt_hash").run()
        try await db.schema("deliberation_events")
            .field("item_id", .uuid, .required)
            .field("seq", .int, .required)
            .field("action", .string, .required)
            .field("from_state", .string)
            .field("to_state", .string, .required)
            .field("actor_id", .uuid)
            .field("actor_name", .string, .required)
            .field("at", .datetime, .required)
            .field("detail", .string, .required)
            .unique(on: "item_id", "seq")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("deliberation_events").delete()
        try await db.schema("deliberation_items").delete()
    }
}
