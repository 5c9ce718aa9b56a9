import FluentKit
import SQLKit

/// Assessment plans (考核方案) per year and their versions: each version's method (the indicator tree and grades, JSON)
/// is kept as made; the plan records when it was published, after which a change is a new version with its reason.
struct CreateAssessmentPlans: AsyncMigration {
    let name = "0049_create_assessment_plans"

    func prepare(on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        try await db.schema("assessment_plans")
            .id()
            .field("year", .int, .required)
            .field("name", .string, .required)
            .field("version", .int, .required)
            .field("published_at", .datetime)
            .field("published_by", .uuid)
            .field("created_by", .uuid, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        try await sql.create(index: "assessment_plans_year_idx").on("assessment_plans").column("year").run()
        try await db.schema("assessment_plan_versions")
            .id()
            .field("plan_id", .uuid, .required)
            .field("number", .int, .required)
            .field("name", .string, .required)
            .field("method", .string, .required)
            .field("reason", .string)
            .field("created_by", .uuid, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "plan_id", "number")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("assessment_plan_versions").delete()
        try await db.schema("assessment_plans").delete()
    }
}
