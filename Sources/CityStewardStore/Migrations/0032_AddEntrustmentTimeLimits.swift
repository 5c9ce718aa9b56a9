import FluentKit

/// The handling time limit a contract agreed for each matter, carried on its entrusted rows so routing can set a
/// case's deadline by the contract instead of the category's default.
struct AddEntrustmentTimeLimits: AsyncMigration {
    let name = "0032_add_entrustment_time_limits"

    func prepare(on db: any Database) async throws {
        try await db.schema("entrusted_matters").field("time_limit_hours", .int).update()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("entrusted_matters").deleteField("time_limit_hours").update()
    }
}
