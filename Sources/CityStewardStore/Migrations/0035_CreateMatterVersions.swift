import FluentKit

/// Every version of every catalog matter: the whole terms as JSON, who, when and why.
struct CreateMatterVersions: AsyncMigration {
    let name = "0035_create_matter_versions"

    func prepare(on db: any Database) async throws {
        try await db.schema("matter_versions")
            .field("matter_code", .string, .required)
            .field("version", .int, .required)
            .field("terms", .string, .required)
            .field("changed_by", .string, .required)
            .field("changed_at", .datetime, .required)
            .field("note", .string)
            .compositeIdentifier(over: "matter_code", "version")
            .create()
    }

    func revert(on db: any Database) async throws { try await db.schema("matter_versions").delete() }
}
