import FluentKit
import SQLKit

struct CreateResidents: AsyncMigration {
    let name = "0020_create_residents"
    func prepare(on db: any Database) async throws {
        // 实有人口: name, ID number and phone sealed (AES-GCM), each with its masked form for lists and an HMAC blind
        // index for exact search; the birth year and sex (from the ID number) stay clear for age-band statistics.
        try await db.schema("residents")
            .id()
            .field("area_id", .uuid, .required)
            .field("area_path", .string, .required)
            .field("street_id", .uuid)
            .field("building_code", .string, .required)
            .field("unit", .string, .required)
            .field("role", .string, .required)
            .field("name_sealed", .string, .required)
            .field("name_masked", .string, .required)
            .field("id_sealed", .string, .required)
            .field("id_masked", .string, .required)
            .field("id_index", .string, .required)
            .field("phone_sealed", .string)
            .field("phone_masked", .string)
            .field("phone_index", .string)
            .field("birth_year", .int, .required)
            .field("male", .bool, .required)
            .field("move_in", .string, .required)
            .field("move_out", .string)
            .field("key_version", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "id_index")
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "residents_area_path_idx").on("residents").column("area_path").run()
            try await sql.create(index: "residents_phone_idx").on("residents").column("phone_index").run()
        }
    }
    func revert(on db: any Database) async throws { try await db.schema("residents").delete() }
}
