import FluentKit

/// Who has read which notification: an organisation's notices are read by each of its people on their own.
struct CreateNotificationReads: AsyncMigration {
    let name = "0044_create_notification_reads"

    func prepare(on db: any Database) async throws {
        try await db.schema("notification_reads")
            .field("notification_id", .uuid, .required)
            .field("user_id", .uuid, .required)
            .field("read_at", .datetime, .required)
            .unique(on: "user_id", "notification_id")
            .create()
    }

    func revert(on db: any Database) async throws { try await db.schema("notification_reads").delete() }
}
