import FluentKit
import SQLKit

/// Steward operations (plan §6(1)–(3)): teams and their members, work plans with their versions (a change is a new
/// version from a date, never an edit), and the task instances the plans make. Dates of the working calendar are
/// `YYYY-MM-DD` text (they sort as dates); a task is unique per plan version and nominal day, so a generation run
/// twice makes nothing twice.
struct CreateOperations: AsyncMigration {
    let name = "0042_create_operations"

    func prepare(on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        try await db.schema("teams")
            .id()
            .field("org_id", .uuid, .required)
            .field("name", .string, .required)
            .field("kind", .string, .required)
            .field("lead_id", .uuid)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "org_id", "name")
            .create()
        try await db.schema("team_members")
            .field("team_id", .uuid, .required)
            .field("user_id", .uuid, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "team_id", "user_id")
            .create()
        try await sql.create(index: "team_members_user_idx").on("team_members").column("user_id").run()

        try await db.schema("work_plans")
            .id()
            .field("org_id", .uuid, .required)
            .field("area_id", .uuid, .required)
            .field("area_path", .string, .required)
            .field("name", .string, .required)
            .field("kind", .string, .required)
            .field("matter_code", .string)
            .field("version", .int, .required)
            .field("generated_through", .string)
            .field("created_by", .uuid, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        try await sql.create(index: "work_plans_org_idx").on("work_plans").column("org_id").run()
        try await sql.create(index: "work_plans_path_idx").on("work_plans").column("area_path").run()

        try await db.schema("work_plan_versions")
            .id()
            .field("plan_id", .uuid, .required)
            .field("number", .int, .required)
            .field("effective_from", .string, .required)
            .field("terms", .string, .required)
            .field("reason", .string)
            .field("created_by", .uuid, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "plan_id", "number")
            .create()

        try await db.schema("work_tasks")
            .id()
            .field("plan_id", .uuid, .required)
            .field("plan_version", .int, .required)
            .field("org_id", .uuid, .required)
            .field("area_id", .uuid, .required)
            .field("area_path", .string, .required)
            .field("kind", .string, .required)
            .field("name", .string, .required)
            .field("nominal", .string, .required)
            .field("date", .string, .required)
            .field("window_start", .datetime, .required)
            .field("window_end", .datetime, .required)
            .field("team_id", .uuid)
            .field("user_id", .uuid)
            .field("state", .string, .required)
            .field("started_at", .datetime)
            .field("done_at", .datetime)
            .field("done_by", .uuid)
            .field("note", .string)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "plan_id", "plan_version", "nominal")
            .create()
        // A person's day, a team's day, the company's day, a street's day; the sweeper's open tasks by window end.
        try await sql.create(index: "work_tasks_user_idx").on("work_tasks").column("user_id").column("date").run()
        try await sql.create(index: "work_tasks_team_idx").on("work_tasks").column("team_id").column("date").run()
        try await sql.create(index: "work_tasks_org_idx").on("work_tasks").column("org_id").column("date").run()
        try await sql.create(index: "work_tasks_path_idx").on("work_tasks").column("area_path").column("date").run()
        try await sql.create(index: "work_tasks_plan_idx").on("work_tasks").column("plan_id").column("nominal").run()
        try await sql.create(index: "work_tasks_open_idx").on("work_tasks").column("state").column("window_end").run()
    }

    func revert(on db: any Database) async throws {
        for table in ["work_tasks", "work_plan_versions", "work_plans", "team_members", "teams"] { try await db.schema(table).delete() }
    }
}
