import FluentKit
import SQLKit

/// The steward's shifts (排班): one row per team per shift, with the people on it (their instants copied, so who is on
/// two shifts at once is one range on an index). A cancelled shift keeps its row. Steps on cases are read by who took
/// them for the shift figures, hence the index on the actor.
struct CreateShifts: AsyncMigration {
    let name = "0048_create_shifts"

    func prepare(on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        try await db.schema("shifts")
            .id()
            .field("roster_id", .uuid, .required)
            .field("org_id", .uuid, .required)
            .field("team_id", .uuid, .required)
            .field("area_id", .uuid, .required)
            .field("area_path", .string, .required)
            .field("date", .string, .required)
            .field("starts_at", .datetime, .required)
            .field("ends_at", .datetime, .required)
            .field("minutes", .int, .required)
            .field("days", .string, .required)
            .field("note", .string)
            .field("created_by", .uuid, .required)
            .field("created_at", .datetime, .required)
            .field("cancelled_at", .datetime)
            .field("cancelled_by", .uuid)
            .create()
        try await sql.create(index: "shifts_org_idx").on("shifts").column("org_id").column("starts_at").run()
        try await sql.create(index: "shifts_path_idx").on("shifts").column("area_path").column("starts_at").run()
        try await sql.create(index: "shifts_roster_idx").on("shifts").column("roster_id").column("starts_at").run()
        try await db.schema("shift_members")
            .field("shift_id", .uuid, .required)
            .field("user_id", .uuid, .required)
            .field("starts_at", .datetime, .required)
            .field("ends_at", .datetime, .required)
            .unique(on: "shift_id", "user_id")
            .create()
        try await sql.create(index: "shift_members_user_idx").on("shift_members").column("user_id").column("starts_at").run()
        try await sql.create(index: "case_events_actor_idx").on("case_events").column("actor_id").column("at").run()
    }

    func revert(on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        try await sql.drop(index: "case_events_actor_idx").run()
        try await db.schema("shift_members").delete()
        try await db.schema("shifts").delete()
    }
}
