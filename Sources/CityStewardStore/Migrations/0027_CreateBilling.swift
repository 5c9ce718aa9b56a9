import FluentKit

struct CreateBilling: AsyncMigration {
    let name = "0027_create_billing"
    func prepare(on db: any Database) async throws {
        // A contract's bill for a month or quarter, with every line and the facts it was computed from.
        try await db.schema("billing_runs")
            .id()
            .field("contract_id", .uuid, .required)
            .field("contract_number", .string, .required)
            .field("street_id", .uuid, .required)
            .field("period", .string, .required)
            .field("gross_fen", .int64, .required)
            .field("deductions_fen", .int64, .required)
            .field("net_fen", .int64, .required)
            .field("lines", .string, .required)
            .field("facts", .string, .required)
            .field("run_by", .string, .required)
            .field("run_at", .datetime, .required)
            .unique(on: "contract_id", "period")
            .create()
        // A street's month closed for finance: no billing run or ledger entry may change it afterwards.
        try await db.schema("finance_periods")
            .field("street_id", .uuid, .required)
            .field("month", .string, .required)
            .field("closed_by", .string, .required)
            .field("closed_at", .datetime, .required)
            .unique(on: "street_id", "month")
            .create()
    }
    func revert(on db: any Database) async throws {
        try await db.schema("finance_periods").delete()
        try await db.schema("billing_runs").delete()
    }
}
