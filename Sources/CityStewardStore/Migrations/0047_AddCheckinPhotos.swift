import FluentKit

/// The photo a checkpoint may ask for, kept with its check-in (content hash and extension; the file is in the photo store).
struct AddCheckinPhotos: AsyncMigration {
    let name = "0047_add_checkin_photos"

    func prepare(on db: any Database) async throws {
        try await db.schema("checkins").field("photo", .string).update()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("checkins").deleteField("photo").update()
    }
}
