import FluentKit
import SQLKit

/// A notice's pictures: the public copy of each (location metadata removed, as for a case's public photos), in order.
struct CreateNoticePhotos: AsyncMigration {
    let name = "0058_create_notice_photos"

    func prepare(on db: any Database) async throws {
        try await db.schema("notice_photos")
            .field("notice_id", .uuid, .required)
            .field("position", .int, .required)
            .field("public_hash", .string, .required)
            .field("format", .string, .required)
            .unique(on: "notice_id", "position")
            .create()
        try await (db as! any SQLDatabase).create(index: "notice_photos_hash_idx").on("notice_photos").column("public_hash").run()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("notice_photos").delete()
    }
}
