import FluentKit

/// Each street office's list of the catalog matters it entrusts (辖区管理服务事项委托清单), one row per version.
struct CreateStreetMatterLists: AsyncMigration {
    let name = "0036_create_street_matter_lists"

    func prepare(on db: any Database) async throws {
        try await db.schema("street_matter_lists")
            .field("street_id", .uuid, .required)
            .field("version", .int, .required)
            .field("matters", .string, .required)
            .field("changed_by", .string, .required)
            .field("changed_at", .datetime, .required)
            .field("note", .string)
            .compositeIdentifier(over: "street_id", "version")
            .create()
    }

    func revert(on db: any Database) async throws { try await db.schema("street_matter_lists").delete() }
}
