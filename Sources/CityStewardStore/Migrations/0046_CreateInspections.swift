import FluentKit
import SQLKit

/// Inspection checklists per component class (巡检表), the inspections signed against them (each item's result, the
/// position, the cases failed items opened; `idempotency_key` makes a resent form one row), and who within the
/// responsible organisation a case is given to (a team or a person).
struct CreateInspections: AsyncMigration {
    let name = "0046_create_inspections"

    func prepare(on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        try await db.schema("checklists")
            .id()
            .field("name", .string, .required)
            .field("component_code", .string, .required)
            .field("items", .string, .required)
            .field("created_by", .uuid)
            .field("created_at", .datetime, .required)
            .create()
        try await sql.create(index: "checklists_component_idx").on("checklists").column("component_code").run()
        try await db.schema("inspections")
            .id()
            .field("checklist_id", .uuid, .required)
            .field("asset_id", .uuid, .required)
            .field("task_id", .uuid)
            .field("org_id", .uuid, .required)
            .field("area_path", .string, .required)
            .field("user_id", .uuid, .required)
            .field("signature", .string, .required)
            .field("signed_at", .datetime, .required)
            .field("lat", .double)
            .field("long", .double)
            .field("results", .string, .required)
            .field("failed", .int, .required)
            .field("case_numbers", .string, .required)
            .field("idempotency_key", .string)
            .unique(on: "idempotency_key")
            .create()
        try await sql.create(index: "inspections_asset_idx").on("inspections").column("asset_id").column("signed_at").run()
        try await sql.create(index: "inspections_org_idx").on("inspections").column("org_id").column("signed_at").run()
        try await db.schema("case_assignees")
            .field("case_id", .uuid, .required)
            .field("team_id", .uuid)
            .field("user_id", .uuid)
            .field("assigned_by", .uuid)
            .field("assigned_at", .datetime, .required)
            .unique(on: "case_id")
            .create()
        try await sql.create(index: "case_assignees_team_idx").on("case_assignees").column("team_id").run()
        try await sql.create(index: "case_assignees_user_idx").on("case_assignees").column("user_id").run()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("case_assignees").delete()
        try await db.schema("inspections").delete()
        try await db.schema("checklists").delete()
    }
}
