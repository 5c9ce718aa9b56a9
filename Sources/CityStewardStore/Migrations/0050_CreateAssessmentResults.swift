import FluentKit
import SQLKit

/// Published assessment results (公示) and the public's comments on them. A result is a frozen snapshot of every
/// village's score under a plan for its year (JSON), with its comment window; a correction is a later version with its
/// reason, the earlier kept. Comments are never deleted: moderation hides one with a reason, and the district office
/// may answer it.
struct CreateAssessmentResults: AsyncMigration {
    let name = "0050_create_assessment_results"

    func prepare(on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        try await db.schema("assessment_results")
            .id()
            .field("plan_id", .uuid, .required)
            .field("year", .int, .required)
            .field("version", .int, .required)
            .field("plan_version", .int, .required)
            .field("period_from", .string, .required)
            .field("period_through", .string, .required)
            .field("scores", .string, .required)
            .field("reason", .string)
            .field("opens", .string, .required)
            .field("closes", .string, .required)
            .field("published_by", .uuid, .required)
            .field("published_at", .datetime, .required)
            .unique(on: "plan_id", "version")
            .create()
        try await sql.create(index: "assessment_results_year_idx").on("assessment_results").column("year").run()
        try await db.schema("assessment_comments")
            .id()
            .field("result_id", .uuid, .required)
            .field("plan_id", .uuid, .required)
            .field("kind", .string, .required)
            .field("village", .string)
            .field("body", .string, .required)
            .field("name", .string)
            .field("client_hash", .string, .required)
            .field("created_at", .datetime, .required)
            .field("hidden_at", .datetime)
            .field("hidden_reason", .string)
            .field("hidden_by", .uuid)
            .field("answer", .string)
            .field("answered_at", .datetime)
            .field("answered_by", .uuid)
            .create()
        try await sql.create(index: "assessment_comments_plan_idx").on("assessment_comments").column("plan_id").column("created_at").run()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("assessment_comments").delete()
        try await db.schema("assessment_results").delete()
    }
}
