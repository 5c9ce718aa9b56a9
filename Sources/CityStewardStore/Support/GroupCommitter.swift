import FluentKit
import Foundation
import SQLKit

/// Group commit: concurrent writes share one transaction, so one durable commit (one fsync) serves many requests.
///
/// A batch first runs optimistically, all units in one transaction with no extra statements. If a unit throws, that
/// transaction is rolled back and the batch runs again with a SAVEPOINT around each unit, so the failing unit is
/// undone alone and its caller gets its error while the others commit. Units may therefore run twice: they must
/// only touch the database. Every caller is answered only after the transaction has committed, so a success is
/// durable. No timer: while one batch commits, new work queues, and the next batch takes everything that arrived
/// (up to `maxBatch`), so batches grow exactly when load does.
public actor GroupCommitter {
    private struct Pending: Sendable {
        let work: @Sendable (any Database) async throws -> any Sendable
        let continuation: CheckedContinuation<any Sendable, any Error>
    }

    private let db: any Database
    private let maxBatch: Int
    private var pending: [Pending] = []
    private var draining = false

    /// Committed transactions and the units of work they carried (for tests and metrics).
    public private(set) var batchesCommitted = 0
    public private(set) var unitsCommitted = 0
    public private(set) var largestBatch = 0
    /// Batches that had a failing unit and were run again with savepoints.
    public private(set) var fallbackBatches = 0

    public init(db: any Database, maxBatch: Int = 128) {
        self.db = db
        self.maxBatch = max(1, maxBatch)
    }

    /// Runs `work` in the next batch's transaction and returns its result once that transaction has committed.
    public func submit<T: Sendable>(_ work: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        let value = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<any Sendable, any Error>) in
            pending.append(Pending(work: { try await work($0) }, continuation: continuation))
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
        guard let typed = value as? T else { throw GroupCommitError.unexpectedResult }
        return typed
    }

    private func drain() async {
        while !pending.isEmpty {
            let batch = Array(pending.prefix(maxBatch))
            pending.removeFirst(batch.count)
            await commit(batch)
        }
        draining = false
    }

    private struct UnitFailed: Error {}

    private func commit(_ batch: [Pending]) async {
        let works = batch.map(\.work)
        do {
            let outcomes: [Result<any Sendable, any Error>]
            do {
                // Fast path: one statement per unit.
                let values: [any Sendable] = try await db.transaction { tx in
                    var values: [any Sendable] = []
                    values.reserveCapacity(works.count)
                    for work in works {
                        do { values.append(try await work(tx)) } catch { throw UnitFailed() }
                    }
                    return values
                }
                outcomes = values.map { .success($0) }
            } catch is UnitFailed {
                fallbackBatches += 1
                outcomes = try await commitIsolated(works)
            }
            batchesCommitted += 1
            unitsCommitted += outcomes.filter { if case .success = $0 { true } else { false } }.count
            largestBatch = max(largestBatch, batch.count)
            for (item, outcome) in zip(batch, outcomes) { item.continuation.resume(with: outcome) }
        } catch {
            // The commit itself failed: nothing of the batch is durable, so every caller gets the error.
            for item in batch { item.continuation.resume(throwing: error) }
        }
    }

    /// The slow path: a savepoint around each unit, so a failure undoes only its own unit.
    private func commitIsolated(_ works: [@Sendable (any Database) async throws -> any Sendable]) async throws -> [Result<any Sendable, any Error>] {
        try await db.transaction { tx in
            guard let sql = tx as? any SQLDatabase else { throw GroupCommitError.notSQL }
            var results: [Result<any Sendable, any Error>] = []
            results.reserveCapacity(works.count)
            for (index, work) in works.enumerated() {
                let savepoint = "gc_\(index)"
                try await sql.raw("SAVEPOINT \(unsafeRaw: savepoint)").run()
                do {
                    let value = try await work(tx)
                    try await sql.raw("RELEASE SAVEPOINT \(unsafeRaw: savepoint)").run()
                    results.append(.success(value))
                } catch {
                    try await sql.raw("ROLLBACK TO SAVEPOINT \(unsafeRaw: savepoint)").run()
                    try await sql.raw("RELEASE SAVEPOINT \(unsafeRaw: savepoint)").run()
                    results.append(.failure(error))
                }
            }
            return results
        }
    }
}

public enum GroupCommitError: Error, Equatable {
    case notSQL
    case unexpectedResult
    /// The writer was shut down before the batch could run.
    case writerClosed
}
