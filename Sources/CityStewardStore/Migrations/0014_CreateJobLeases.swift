import FluentKit

struct CreateJobLeases: AsyncMigration {
    let name = "0014_create_job_leases"
    func prepare(on db: any Database) async throws {
        // A periodic job runs in the one instance holding its lease (several app instances, no coordinator).
        try await db.schema("job_leases")
            .field("name", .string, .required)
            .field("holder", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("last_run_at", .datetime)
            .unique(on: "name")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("job_leases").delete() }
}
