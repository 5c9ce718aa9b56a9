import FluentKit

struct CreateDevices: AsyncMigration {
    let name = "0021_create_devices"
    func prepare(on db: any Database) async throws {
        try await db.schema("devices")
            .id()
            .field("code", .string, .required)
            .field("kind", .string, .required)
            .field("name", .string, .required)
            .field("vendor", .string, .required)
            .field("status", .string, .required)
            .field("area_id", .uuid, .required)
            .field("area_path", .string, .required)
            .field("street_id", .uuid)
            .field("lat", .double, .required)
            .field("long", .double, .required)
            .field("token_id", .uuid)
            .field("created_at", .datetime, .required)
            .unique(on: "code")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("devices").delete() }
}
