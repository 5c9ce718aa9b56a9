import FluentKit

struct CreateDataConsumers: AsyncMigration {
    let name = "0023_create_data_consumers"
    func prepare(on db: any Database) async throws {
        // Who may pull which events, desensitized by which rules (the current version here, every version in
        // consumer_rules).
        try await db.schema("data_consumers")
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("user_id", .uuid, .required)
            .field("area_ids", .string, .required)
            .field("kinds", .string, .required)
            .field("rules", .string, .required)
            .field("rules_version", .int, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "code")
            .create()
        try await db.schema("consumer_rules")
            .field("consumer_id", .uuid, .required)
            .field("version", .int, .required)
            .field("rules", .string, .required)
            .field("changed_by", .string, .required)
            .field("changed_at", .datetime, .required)
            .unique(on: "consumer_id", "version")
            .create()
    }
    func revert(on db: any Database) async throws {
        try await db.schema("consumer_rules").delete()
        try await db.schema("data_consumers").delete()
    }
}
