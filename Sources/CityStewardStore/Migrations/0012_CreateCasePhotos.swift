import FluentKit
import SQLKit

struct CreateCasePhotos: AsyncMigration {
    let name = "0012_create_case_photos"
    func prepare(on db: any Database) async throws {
        try await db.schema("case_photos")
            .id()
            .field("case_id", .uuid, .required, .references("cases", "id", onDelete: .cascade))
            .field("event_seq", .int, .required)
            .field("role", .string, .required)
            .field("hash", .string, .required)
            .field("public_hash", .string, .required)
            .field("format", .string, .required)
            .field("bytes", .int, .required)
            .field("created_at", .datetime, .required)
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "case_photos_case_idx").on("case_photos").column("case_id").run()
            try await sql.create(index: "case_photos_hash_idx").on("case_photos").column("hash").run()
            try await sql.create(index: "case_photos_public_idx").on("case_photos").column("public_hash").run()
        }
    }
    func revert(on db: any Database) async throws { try await db.schema("case_photos").delete() }
}
