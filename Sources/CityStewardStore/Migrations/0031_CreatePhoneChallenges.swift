import FluentKit

/// One-time codes that prove a resident holds a phone before `/find` lists the reports made with it.
struct CreatePhoneChallenges: AsyncMigration {
    let name = "0031_create_phone_challenges"

    func prepare(on db: any Database) async throws {
        // Keyed by the phone's blind index: the number itself is never stored here.
        try await db.schema("phone_challenges")
            .field("phone_index", .string, .identifier(auto: false))
            .field("code_hash", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("attempts", .int, .required)
            .field("window_start", .datetime, .required)
            .field("sends", .int, .required)
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("phone_challenges").delete()
    }
}
