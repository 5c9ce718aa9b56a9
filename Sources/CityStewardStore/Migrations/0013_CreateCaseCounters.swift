import FluentKit

struct CreateCaseCounters: AsyncMigration {
    let name = "0013_create_case_counters"
    func prepare(on db: any Database) async throws {
        // The yearly sequence behind case numbers; one row per year, bumped inside the intake transaction.
        try await db.schema("case_counters")
            .field("year", .int, .required)
            .field("last", .int, .required)
            .unique(on: "year")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("case_counters").delete() }
}
