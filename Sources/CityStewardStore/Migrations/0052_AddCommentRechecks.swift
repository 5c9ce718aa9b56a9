import FluentKit
import SQLKit

/// An objection to a village's score may be re-checked on the spot: the spot-check round drawn for it is kept with the
/// comment (shown with it, publicly).
struct AddCommentRechecks: AsyncMigration {
    let name = "0052_add_comment_rechecks"

    func prepare(on db: any Database) async throws {
        try await db.schema("assessment_comments").field("recheck_round_id", .uuid).update()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("assessment_comments").deleteField("recheck_round_id").update()
    }
}
