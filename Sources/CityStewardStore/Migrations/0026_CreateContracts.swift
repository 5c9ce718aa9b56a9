import FluentKit

struct CreateContracts: AsyncMigration {
    let name = "0026_create_contracts"
    func prepare(on db: any Database) async throws {
        // The industry benchmark price of each catalog matter (per unit and month).
        try await db.schema("matter_prices")
            .field("matter_code", .string, .identifier(auto: false))
            .field("unit", .string, .required)
            .field("benchmark_fen", .int64, .required)
            .field("changed_by", .string, .required)
            .field("changed_at", .datetime, .required)
            .create()
        // One row per version of a contract; `terms` is the whole ContractTerms as JSON (what was agreed is kept
        // exactly), the columns beside it are what lists and checks query.
        try await db.schema("contracts")
            .id()
            .field("number", .string, .required)
            .field("version", .int, .required)
            .field("state", .string, .required)
            .field("street_id", .uuid, .required)
            .field("steward_id", .uuid, .required)
            .field("title", .string, .required)
            .field("start_day", .string, .required)
            .field("end_day", .string, .required)
            .field("monthly_fen", .int64, .required)
            .field("terms", .string, .required)
            .field("terminated_on", .string)
            .field("created_by", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "number", "version")
            .create()
        try await db.schema("contract_events")
            .field("contract_id", .uuid, .required)
            .field("seq", .int, .required)
            .field("action", .string, .required)
            .field("from_state", .string)
            .field("to_state", .string, .required)
            .field("actor_name", .string, .required)
            .field("at", .datetime, .required)
            .field("note", .string)
            .unique(on: "contract_id", "seq")
            .create()
        // How each village's property services came to the steward (plan §7(1)).
        try await db.schema("village_takeovers")
            .field("village_id", .uuid, .identifier(auto: false))
            .field("mode", .string, .required)
            .field("since", .string, .required)
            .field("former_company", .string)
            .field("contracts", .string, .required)
            .field("note", .string)
            .field("changed_by", .string, .required)
            .field("changed_at", .datetime, .required)
            .create()
    }
    func revert(on db: any Database) async throws {
        for t in ["village_takeovers", "contract_events", "contracts", "matter_prices"] { try await db.schema(t).delete() }
    }
}
