import FluentKit

struct CreateOrgAreas: AsyncMigration {
    let name = "0003_create_org_areas"
    func prepare(on db: any Database) async throws {
        try await db.schema("org_areas")
            .id()
            .field("org_id", .uuid, .required, .references("orgs", "id", onDelete: .cascade))
            .field("area_id", .uuid, .required, .references("areas", "id", onDelete: .cascade))
            .field("street_id", .uuid)
            .field("created_at", .datetime)
            .unique(on: "org_id", "area_id")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("org_areas").delete() }
}
