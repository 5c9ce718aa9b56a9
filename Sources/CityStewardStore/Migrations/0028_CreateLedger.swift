import FluentKit
import SQLKit

struct CreateLedger: AsyncMigration {
    let name = "0028_create_ledger"
    func prepare(on db: any Database) async throws {
        // Every income and cost of a village by month; `reference` ties generated entries to their origin (a
        // billing run, a fee payment, a subsidy decision) so they are replaced, never doubled.
        try await db.schema("ledger_entries")
            .id()
            .field("village_id", .uuid, .required)
            .field("street_id", .uuid, .required)
            .field("month", .string, .required)
            .field("direction", .string, .required)
            .field("category", .string, .required)
            .field("amount_fen", .int64, .required)
            .field("department", .string)
            .field("reference", .string)
            .field("memo", .string, .required)
            .field("entered_by", .string, .required)
            .field("entered_at", .datetime, .required)
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "ledger_entries_village_month_idx").on("ledger_entries").column("village_id").column("month").run()
            try await sql.create(index: "ledger_entries_reference_idx").on("ledger_entries").column("reference").run()
        }
        // Property fees: a schedule per village, a bill per household and month, payments against bills.
        try await db.schema("fee_schedules")
            .field("village_id", .uuid, .required)
            .field("from_month", .string, .required)
            .field("fen_per_household", .int64, .required)
            .field("changed_by", .string, .required)
            .field("changed_at", .datetime, .required)
            .unique(on: "village_id", "from_month")
            .create()
        try await db.schema("fee_bills")
            .id()
            .field("village_id", .uuid, .required)
            .field("street_id", .uuid, .required)
            .field("building_code", .string, .required)
            .field("unit", .string, .required)
            .field("month", .string, .required)
            .field("amount_fen", .int64, .required)
            .field("paid_fen", .int64, .required)
            .field("issued_at", .datetime, .required)
            .unique(on: "building_code", "unit", "month")
            .create()
        try await db.schema("fee_payments")
            .id()
            .field("bill_id", .uuid, .required)
            .field("amount_fen", .int64, .required)
            .field("paid_on", .string, .required)
            .field("method", .string, .required)
            .field("recorded_by", .string, .required)
            .field("recorded_at", .datetime, .required)
            .create()
        // Subsidy requests and decisions.
        try await db.schema("subsidies")
            .id()
            .field("kind", .string, .required)
            .field("village_id", .uuid, .required)
            .field("street_id", .uuid, .required)
            .field("title", .string, .required)
            .field("reason", .string, .required)
            .field("amount_fen", .int64, .required)
            .field("service_year", .int)
            .field("state", .string, .required)
            .field("requested_by", .string, .required)
            .field("requested_at", .datetime, .required)
            .field("decided_by", .string)
            .field("decided_at", .datetime)
            .field("decision_note", .string)
            .field("approved_fen", .int64)
            .create()
    }
    func revert(on db: any Database) async throws {
        for t in ["subsidies", "fee_payments", "fee_bills", "fee_schedules", "ledger_entries"] { try await db.schema(t).delete() }
    }
}
