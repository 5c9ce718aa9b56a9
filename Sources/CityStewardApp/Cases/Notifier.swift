import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// How a notification reaches staff beyond the console. Notifications are first written to the outbox
/// (`notifications`) in the same transaction as the case change that caused them; a relay then hands each unsent
/// row to the notifier. An SMS gateway or a messaging app plugs in here; the default delivers to the console
/// inbox only (`GET /api/v1/notifications`), which needs nothing sent.
protocol StaffNotifier: Sendable {
    /// The channel's name, recorded on the row.
    var channel: String { get }
    func deliver(_ notification: NotificationRow) async throws
}

/// The default: the console inbox is the channel, so delivery is marking the row sent.
struct InboxNotifier: StaffNotifier {
    let channel = "inbox"
    func deliver(_ notification: NotificationRow) async throws {}
}

/// Hands unsent outbox rows to the notifier; a failure leaves the row unsent (attempts counted) for the next pass.
struct OutboxRelay {
    let store: CaseStore
    let notifier: any StaffNotifier
    /// After this many failed attempts a row is no longer retried.
    var maxAttempts = 10

    @discardableResult
    func run(now: Date, limit: Int = 200) async throws -> (sent: Int, failed: Int) {
        var sent = 0, failed = 0
        for row in try await store.unsentNotifications(limit: limit, maxAttempts: maxAttempts) {
            do {
                try await notifier.deliver(row)
                try await store.markSent(row.id, at: now, channel: notifier.channel)
                sent += 1
            } catch {
                try await store.markFailed(row.id)
                failed += 1
            }
        }
        return (sent, failed)
    }
}

extension Application {
    private struct NotifierKey: StorageKey { typealias Value = any StaffNotifier }
    var staffNotifier: any StaffNotifier {
        get { storage[NotifierKey.self] ?? InboxNotifier() }
        set { storage[NotifierKey.self] = newValue }
    }
}
