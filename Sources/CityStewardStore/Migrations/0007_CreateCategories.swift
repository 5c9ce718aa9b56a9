import FluentKit
import SQLKit

struct CreateCategories: AsyncMigration {
    let name = "0007_create_categories"
    func prepare(on db: any Database) async throws {
        // One row per version of a category; a case keeps the version it was filed under.
        try await db.schema("categories")
            .id()
            .field("code", .string, .required)
            .field("kind", .string, .required)
            .field("version", .int, .required)
            .field("is_current", .bool, .required)
            .field("name", .string, .required)
            .field("name_en", .string, .required)
            .field("major_code", .string, .required)
            .field("major_name", .string, .required)
            .field("major_name_en", .string, .required)
            .field("group_code", .string, .required)
            .field("matter_code", .string)
            .field("owner_department", .string)
            .field("beyond_authority", .bool, .required)
            .field("limits", .string, .required)
            .field("legacy_codes", .string, .required)
            .field("edited_by", .uuid)
            .field("note", .string)
            .field("created_at", .datetime, .required)
            .unique(on: "kind", "code", "version")
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "categories_current_idx").on("categories").column("is_current").column("kind").run()
        }
    }
    func revert(on db: any Database) async throws { try await db.schema("categories").delete() }
}
