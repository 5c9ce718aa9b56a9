import FluentKit
import SQLKit

/// The asset register (部件普查): public components with their national class, position (and a line or outline as
/// GeoJSON), condition, owner department, maintainer, install date and QR place; and the cases filed about each, so
/// a component's history, time between failures and time to repair can be read.
struct CreateAssets: AsyncMigration {
    let name = "0045_create_assets"

    func prepare(on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        try await db.schema("assets")
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("component_code", .string, .required)
            .field("area_id", .uuid, .required)
            .field("area_path", .string, .required)
            .field("lat", .double, .required)
            .field("long", .double, .required)
            .field("outline", .string)
            .field("condition", .string, .required)
            .field("owner_department", .string)
            .field("maintainer", .string)
            .field("installed_on", .string)
            .field("place_code", .string)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("updated_by", .uuid)
            .unique(on: "code")
            .create()
        try await sql.create(index: "assets_path_idx").on("assets").column("area_path").column("code").run()
        try await sql.create(index: "assets_owner_idx").on("assets").column("owner_department").run()
        try await sql.create(index: "assets_place_idx").on("assets").column("place_code").run()
        try await db.schema("asset_cases")
            .field("asset_id", .uuid, .required)
            .field("case_id", .uuid, .required)
            .field("linked_at", .datetime, .required)
            .field("linked_by", .uuid)
            .unique(on: "case_id")
            .create()
        try await sql.create(index: "asset_cases_asset_idx").on("asset_cases").column("asset_id").column("linked_at").run()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("asset_cases").delete()
        try await db.schema("assets").delete()
    }
}
