import FluentKit

struct CreateConsumerWebhooks: AsyncMigration {
    let name = "0025_create_consumer_webhooks"
    func prepare(on db: any Database) async throws {
        // A consumer's push delivery: where to, the signing secret (sealed like personal data), and how far it has
        // got. The cursor moves only when the receiver answered 2xx.
        try await db.schema("consumer_webhooks")
            .field("consumer_id", .uuid, .identifier(auto: false))
            .field("url", .string, .required)
            .field("secret_sealed", .string, .required)
            .field("cursor", .int64, .required)
            .field("failures", .int, .required)
            .field("next_attempt_at", .datetime, .required)
            .field("last_attempt_at", .datetime)
            .field("last_status", .int)
            .field("last_error", .string)
            .field("delivered_at", .datetime)
            .field("delivered_events", .int64, .required)
            .field("changed_by", .string, .required)
            .field("changed_at", .datetime, .required)
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("consumer_webhooks").delete() }
}
