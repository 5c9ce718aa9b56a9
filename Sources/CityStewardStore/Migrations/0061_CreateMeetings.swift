import FluentKit
import SQLKit

/// Coordination meetings (issue 20 §5): the district office's monthly meeting and streets' meetings with their agenda,
/// invited and attending organisations, decisions and minutes (lists as JSON text); their action items with an owner,
/// a due working day and how far they were escalated; and which later meetings an open item was carried to.
struct CreateMeetings: AsyncMigration {
    let name = "0061_create_meetings"

    func prepare(on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        try await db.schema("meetings")
            .id()
            .field("kind", .string, .required)
            .field("title", .string, .required)
            .field("area_id", .uuid, .required)
            .field("convened_by", .uuid)
            .field("held_at", .datetime, .required)
            .field("place", .string, .required)
            .field("invited", .string, .required)
            .field("agenda", .string, .required)
            .field("state", .string, .required)
            .field("attended", .string, .required)
            .field("decisions", .string, .required)
            .field("minutes", .string)
            .field("minuted_at", .datetime)
            .field("created_by", .uuid)
            .field("created_at", .datetime, .required)
            .create()
        try await sql.create(index: "meetings_area_idx").on("meetings").column("area_id").column("held_at").run()
        try await db.schema("action_items")
            .id()
            .field("number", .string, .required)
            .field("meeting_id", .uuid, .required)
            .field("title", .string, .required)
            .field("owner_org", .uuid, .required)
            .field("due_date", .string, .required)
            .field("escalation", .int, .required)
            .field("done_at", .datetime)
            .field("done_by", .uuid)
            .field("done_note", .string)
            .field("created_at", .datetime, .required)
            .unique(on: "number")
            .create()
        try await sql.create(index: "action_items_meeting_idx").on("action_items").column("meeting_id").run()
        try await sql.create(index: "action_items_owner_idx").on("action_items").column("owner_org").column("due_date").run()
        try await db.schema("meeting_carried_items")
            .field("meeting_id", .uuid, .required)
            .field("action_item_id", .uuid, .required)
            .unique(on: "meeting_id", "action_item_id")
            .create()
        try await sql.create(index: "meeting_carried_items_item_idx").on("meeting_carried_items").column("action_item_id").run()
    }

    func revert(on db: any Database) async throws {
        for table in ["meeting_carried_items", "action_items", "meetings"] { try await db.schema(table).delete() }
    }
}
