import FluentKit

struct CreateMatters: AsyncMigration {
    let name = "0008_create_matters"
    func prepare(on db: any Database) async throws {
        try await db.schema("matters")
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("name_en", .string, .required)
            .field("domain", .string, .required)
            .field("owner_department", .string)
            .field("created_at", .datetime, .required)
            .unique(on: "code")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("matters").delete() }
}
