import FluentKit

struct CreateOrgs: AsyncMigration {
    let name = "0002_create_orgs"
    func prepare(on db: any Database) async throws {
        try await db.schema("orgs")
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("name_en", .string)
            .field("kind", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "code")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("orgs").delete() }
}
