import FluentKit
import SQLKit

/// Spot inspections (抽查): a round records who drew, where, what kind of place, the seed and the population it drew
/// from (so the draw can be reproduced); each drawn grid is a spot with the inspector's findings (JSON: each item
/// passed or failed, the case a failure opened with its deadline, and what a re-inspection found).
struct CreateSpotChecks: AsyncMigration {
    let name = "0051_create_spot_checks"

    func prepare(on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        try await db.schema("spot_check_rounds")
            .id()
            .field("code", .string, .required)
            .field("title", .string, .required)
            .field("place_type", .string, .required)
            .field("scope_area_id", .uuid, .required)
            .field("org_id", .uuid, .required)
            .field("day", .string, .required)
            .field("seed", .string, .required)
            .field("population", .string, .required)
            .field("drawn", .int, .required)
            .field("created_by", .uuid, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "code")
            .create()
        try await sql.create(index: "spot_check_rounds_day_idx").on("spot_check_rounds").column("day").run()
        try await db.schema("spot_checks")
            .id()
            .field("round_id", .uuid, .required)
            .field("position", .int, .required)
            .field("grid_id", .uuid, .required)
            .field("grid_code", .string, .required)
            .field("village_id", .uuid)
            .field("area_path", .string, .required)
            .field("state", .string, .required)
            .field("findings", .string)
            .field("failed", .int, .required)
            .field("inspected_by", .uuid)
            .field("inspected_at", .datetime)
            .field("lat", .double)
            .field("long", .double)
            .field("rechecked_at", .datetime)
            .unique(on: "round_id", "position")
            .create()
        try await sql.create(index: "spot_checks_village_idx").on("spot_checks").column("village_id").column("inspected_at").run()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("spot_checks").delete()
        try await db.schema("spot_check_rounds").delete()
    }
}
