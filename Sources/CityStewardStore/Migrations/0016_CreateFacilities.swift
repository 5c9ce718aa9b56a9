import FluentKit
import SQLKit

struct CreateFacilities: AsyncMigration {
    let name = "0016_create_facilities"
    func prepare(on db: any Database) async throws {
        try await db.schema("facilities")
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("name_en", .string)
            .field("component_code", .string, .required)
            .field("area_id", .uuid, .required)
            .field("area_path", .string, .required)
            .field("street_id", .uuid)
            .field("lat", .double, .required)
            .field("long", .double, .required)
            .unique(on: "code")
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "facilities_area_path_idx").on("facilities").column("area_path").run()
        }
    }
    func revert(on db: any Database) async throws { try await db.schema("facilities").delete() }
}
