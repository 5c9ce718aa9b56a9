import FluentKit

struct CreateGateCounts: AsyncMigration {
    let name = "0024_create_gate_counts"
    func prepare(on db: any Database) async throws {
        // What remains of raw gate passes after the retention period: counts per device, hour, direction and
        // method — nobody in them.
        try await db.schema("gate_counts")
            .field("device_id", .uuid, .required)
            .field("hour", .datetime, .required)
            .field("direction", .string, .required)
            .field("method", .string, .required)
            .field("passes", .int, .required)
            .unique(on: "device_id", "hour", "direction", "method")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("gate_counts").delete() }
}
