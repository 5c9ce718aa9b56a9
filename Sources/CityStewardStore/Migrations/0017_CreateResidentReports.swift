import FluentKit
import SQLKit

struct CreateResidentReports: AsyncMigration {
    let name = "0017_create_resident_reports"
    func prepare(on db: any Database) async throws {
        // A resident's follow-up of one case: the tracking link (stored as its SHA-256), the phone left for
        // follow-up (AES-GCM sealed, an HMAC blind index for lookup, the masked form for display), rating, reopening.
        try await db.schema("resident_reports")
            .field("case_id", .uuid, .identifier(auto: false))
            .field("tracking_hash", .string, .required)
            .field("phone_sealed", .string)
            .field("phone_index", .string)
            .field("phone_masked", .string)
            .field("language", .string, .required)
            .field("rating", .int)
            .field("rating_comment", .string)
            .field("rated_at", .datetime)
            .field("reopen_count", .int, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "tracking_hash")
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "resident_reports_phone_idx").on("resident_reports").column("phone_index").run()
        }
    }
    func revert(on db: any Database) async throws { try await db.schema("resident_reports").delete() }
}
