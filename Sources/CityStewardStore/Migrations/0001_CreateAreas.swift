import FluentKit
import SQLKit

struct CreateAreas: AsyncMigration {
    let name = "0001_create_areas"
    func prepare(on db: any Database) async throws {
        try await db.schema("areas")
            .id()
            .field("kind", .string, .required)
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("name_en", .string)
            .field("parent_id", .uuid, .references("areas", "id"))
            .field("street_id", .uuid)
            .field("path", .string, .required)
            .field("geometry", .string)
            .field("min_lat", .double)
            .field("min_long", .double)
            .field("max_lat", .double)
            .field("max_long", .double)
            .field("centre_lat", .double)
            .field("centre_long", .double)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "code")
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "areas_parent_idx").on("areas").column("parent_id").run()
            try await sql.create(index: "areas_street_idx").on("areas").column("street_id").column("kind").run()
            try await sql.create(index: "areas_path_idx").on("areas").column("path").run()
        }
    }
    func revert(on db: any Database) async throws { try await db.schema("areas").delete() }
}
