import FluentKit

struct CreateLoginThrottle: AsyncMigration {
    let name = "0006_create_login_throttle"
    func prepare(on db: any Database) async throws {
        try await db.schema("login_throttle")
            .id()
            .field("client_key", .string, .required)
            .field("window_start", .datetime, .required)
            .field("attempts", .int, .required)
            .unique(on: "client_key")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("login_throttle").delete() }
}
