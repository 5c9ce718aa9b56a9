import FluentKit
import SQLKit

/// Houses (房屋) as entities: a door in a building, with its standard address code, use, rooms and floor area. The
/// people in it are the residents registered at that building and door.
struct CreateHouses: AsyncMigration {
    let name = "0038_create_houses"

    func prepare(on db: any Database) async throws {
        try await db.schema("houses")
            .id()
            .field("building_id", .uuid, .required)
            .field("building_code", .string, .required)
            .field("street_id", .uuid)
            .field("area_path", .string, .required)
            .field("unit", .string, .required)
            .field("address_code", .string)
            .field("use", .string, .required)
            .field("rooms", .int)
            .field("floor_area", .double)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "building_code", "unit")
            .create()
        try await (db as! any SQLDatabase).create(index: "houses_area_path_idx").on("houses").column("area_path").run()
    }

    func revert(on db: any Database) async throws { try await db.schema("houses").delete() }
}
