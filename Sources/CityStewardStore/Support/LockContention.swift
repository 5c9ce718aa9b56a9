import FluentKit
import Foundation

/// Writes that meet another writer's lock and are refused instead of waiting: SQLite's shared-cache memory
/// databases never wait, and a deferred transaction that read before writing is refused at once when waiting could
/// deadlock. The refused statement or transaction changed nothing (it rolled back), so it is tried again.
public enum LockContention {
    public static func isContention(_ error: any Error) -> Bool {
        let text = String(describing: error).lowercased()
        return text.contains("locked") || text.contains("busy")
    }

    /// Runs `body`, again after a short pause each time it is refused for a lock (up to 50 times, ~2.8 s of pauses),
    /// but not once `budget` has passed: a refusal that came after the connection's own busy wait (5 s) means the lock
    /// is held for long, and fifty such waits would hold the request for minutes. The last refusal is thrown (a 503).
    public static func retrying<T: Sendable>(budget: Duration = .seconds(6), _ body: () async throws -> T) async throws -> T {
        let clock = ContinuousClock(), start = clock.now
        var attempt = 0
        while true {
            do {
                return try await body()
            } catch where attempt < 50 && isContention(error) && clock.now - start < budget {
                attempt += 1
                try await Task.sleep(for: .milliseconds(5 + attempt * 2))
            }
        }
    }
}

extension Database {
    /// A transaction run again when SQLite refuses it for a lock: one that began by reading cannot write once another
    /// connection (the batch writer, a job's lease) has committed since (SQLITE_BUSY_SNAPSHOT), and waiting does not
    /// clear that; the whole transaction is retried instead. PostgreSQL's errors say neither word, so it runs once.
    public func writeTransaction<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await LockContention.retrying { try await self.transaction(body) }
    }
}
