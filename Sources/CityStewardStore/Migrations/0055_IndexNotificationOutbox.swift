import FluentKit
import SQLKit

/// The outbox relay reads the oldest notices not yet handed over. On an index of `sent_at` alone it gathered every
/// unsent row to sort it: with a backlog of three million (a year of history, or a gateway down for long) that was a
/// second on the connection the requests of its event loop wait for. A partial index on the creation time of the
/// unsent rows gives the oldest 200 directly, however large the backlog.
struct IndexNotificationOutbox: AsyncMigration {
    let name = "0055_index_notification_outbox"

    func prepare(on db: any Database) async throws {
        try await (db as! any SQLDatabase).raw("CREATE INDEX notifications_outbox_idx ON notifications (created_at) WHERE sent_at IS NULL").run()
    }

    func revert(on db: any Database) async throws {
        try await (db as! any SQLDatabase).raw("DROP INDEX notifications_outbox_idx").run()
    }
}
