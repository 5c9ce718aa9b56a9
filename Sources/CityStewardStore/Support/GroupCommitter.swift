import FluentKit
import Foundation
import SQLKit

/// Group commit: concurrent writes share one transaction, so one durable commit (one fsync) serves many requests.
///
/// Each submitted unit of work runs inside its own SAVEPOINT of the shared transaction: a unit that fails is rolled
/// back alone and its caller gets its error, the others are unaffected. Every caller is answered only after the
/// transaction has committed, so a success is durable. No timer: while one batch commits, new work queues, and the
/// next batch takes everything that arrived (up to `maxBatch`), so batches grow exactly when load does.
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

    private func commit(_ batch: [Pending]) async {
        let works = batch.map(\.work)
        do {
            let outcomes: [Result<any Sendable, any Error>] = try await db.transaction { tx in
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
            batchesCommitted += 1
            unitsCommitted += outcomes.filter { if case .success = $0 { true } else { false } }.count
            largestBatch = max(largestBatch, batch.count)
            for (item, outcome) in zip(batch, outcomes) { item.continuation.resume(with: outcome) }
        } catch {
            // The commit itself failed: nothing of the batch is durable, so every caller gets the error.
            for item in batch { item.continuation.resume(throwing: error) }
        }
    }
}

public enum GroupCommitError: Error, Equatable {
    case notSQL
    case unexpectedResult
}
