import FluentKit
import SQLKit

struct CreateEntrustedMatters: AsyncMigration {
    let name = "0009_create_entrusted_matters"
    func prepare(on db: any Database) async throws {
        try await db.schema("entrusted_matters")
            .id()
            .field("matter_code", .string, .required)
            .field("area_id", .uuid, .required, .references("areas", "id"))
            .field("steward_id", .uuid, .required, .references("orgs", "id"))
            .field("valid_from", .datetime, .required)
            .field("valid_to", .datetime)
            .field("contract_reference", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "entrusted_matters_matter_idx").on("entrusted_matters").column("matter_code").run()
        }
    }
    func revert(on db: any Database) async throws { try await db.schema("entrusted_matters").delete() }
}
