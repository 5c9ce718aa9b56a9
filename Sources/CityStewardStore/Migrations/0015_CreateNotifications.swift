import FluentKit
import SQLKit

struct CreateNotifications: AsyncMigration {
    let name = "0015_create_notifications"
    func prepare(on db: any Database) async throws {
        // The outbox: notifications to staff are rows first; a sender (SMS gateway …) delivers them later.
        try await db.schema("notifications")
            .id()
            .field("channel", .string, .required)
            .field("org_id", .uuid)
            .field("user_id", .uuid)
            .field("case_id", .uuid)
            .field("kind", .string, .required)
            .field("text_zh", .string, .required)
            .field("text_en", .string, .required)
            .field("created_at", .datetime, .required)
            .field("sent_at", .datetime)
            .field("attempts", .int, .required)
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "notifications_org_idx").on("notifications").column("org_id").column("created_at").run()
            try await sql.create(index: "notifications_unsent_idx").on("notifications").column("sent_at").run()
        }
    }
    func revert(on db: any Database) async throws { try await db.schema("notifications").delete() }
}
