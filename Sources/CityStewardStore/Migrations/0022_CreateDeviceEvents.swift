import FluentKit
import SQLKit

struct CreateDeviceEvents: AsyncMigration {
    let name = "0022_create_device_events"
    func prepare(on db: any Database) async throws {
        // Raw events: a person reference and a plate are sealed like residents' data; (device, client id) is unique,
        // so a retried batch stores nothing twice.
        try await db.schema("device_events")
            .id()
            // The feed cursor: assigned in commit order (writers take a lock), so a reader never skips one.
            .field("seq", .int64, .required)
            .field("device_id", .uuid, .required)
            .field("client_id", .string, .required)
            .field("kind", .string, .required)
            .field("at", .datetime, .required)
            .field("received_at", .datetime, .required)
            .field("area_path", .string, .required)
            .field("street_id", .uuid)
            .field("direction", .string)
            .field("method", .string)
            .field("person_sealed", .string)
            .field("plate_sealed", .string)
            .field("plate_masked", .string)
            .field("event_type", .string)
            .field("category_code", .string)
            .field("confidence", .double)
            .field("image_ref", .string)
            .field("case_id", .uuid)
            .unique(on: "device_id", "client_id")
            .unique(on: "seq")
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "device_events_at_idx").on("device_events").column("area_path").column("at").run()
        }
    }
    func revert(on db: any Database) async throws { try await db.schema("device_events").delete() }
}
