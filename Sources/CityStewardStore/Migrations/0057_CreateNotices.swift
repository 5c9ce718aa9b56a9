import FluentKit
import SQLKit

/// Notices to residents (公告): one row each, and one row per area it is shown in (a village, a street, the
/// district), with the area's path so a village's page finds what is shown in it and above it by one index. A
/// withdrawn notice keeps its row and says why. Reads are counted on the notice.
struct CreateNotices: AsyncMigration {
    let name = "0057_create_notices"

    func prepare(on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        try await db.schema("notices")
            .id()
            .field("title", .string, .required)
            .field("body", .string, .required)
            .field("kind", .string, .required)
            .field("audience", .string, .required)
            .field("shown_from", .string, .required)
            .field("shown_until", .string)
            .field("org_id", .uuid)
            .field("created_by", .uuid)
            .field("created_at", .datetime, .required)
            .field("withdrawn_at", .datetime)
            .field("withdrawn_by", .uuid)
            .field("withdrawn_reason", .string)
            .field("contract_id", .uuid)
            .field("reads", .int, .required)
            .create()
        try await sql.create(index: "notices_org_idx").on("notices").column("org_id").column("created_at").run()
        try await sql.create(index: "notices_contract_idx").on("notices").column("contract_id").run()
        try await db.schema("notice_areas")
            .field("notice_id", .uuid, .required)
            .field("area_id", .uuid, .required)
            .field("area_path", .string, .required)
            .unique(on: "notice_id", "area_id")
            .create()
        try await sql.create(index: "notice_areas_area_idx").on("notice_areas").column("area_id").column("notice_id").run()
        try await sql.create(index: "notice_areas_path_idx").on("notice_areas").column("area_path").run()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("notice_areas").delete()
        try await db.schema("notices").delete()
    }
}
