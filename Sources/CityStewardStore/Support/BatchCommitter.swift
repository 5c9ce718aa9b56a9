import Foundation
import NIOConcurrencyHelpers
import SQLKit

/// Group commit for one kind of write: the items that arrive while a batch commits are written together, in one
/// transaction of the writer (the SQLite file's own writer connection, or the pool on PostgreSQL), by `write`, which
/// gets the whole batch and so can use multi-row statements. Each caller is answered after the commit, so what is
/// acknowledged is durable. If the batch fails, each item runs again in a transaction of its own, so only a failing
/// item fails.
public final class BatchCommitter<Item: Sendable, Output: Sendable>: Sendable {
    public typealias Write = @Sendable ([Item], any SQLDatabase) async throws -> [Output]

    private struct Pending: Sendable {
        let item: Item
        let continuation: CheckedContinuation<Output, any Error>
    }

    private struct Queue {
        var pending: [Pending] = []
        var draining = false
        var batches = 0
        var items = 0
        var largestBatch = 0
    }

    public typealias ThreadWrite = @Sendable (any IntakeBatchThread, [Item]) throws -> [Output]

    private let writer: any BatchWriter
    private let write: Write
    private let threadWrite: ThreadWrite?
    private let maxBatch: Int
    private let queue = NIOLockedValueBox(Queue())

    /// `threadWrite`, when the writer has a thread of its own (the SQLite file's), writes the batch there through
    /// SQLite's C API: the whole drain then runs on that thread, with no hand-over per statement or per batch.
    public init(writer: any BatchWriter, maxBatch: Int = 256, write: @escaping Write, threadWrite: ThreadWrite? = nil) {
        self.writer = writer
        self.write = write
        self.threadWrite = threadWrite
        self.maxBatch = max(1, maxBatch)
    }

    /// (batches, items, largest batch) committed so far.
    public var statistics: (batches: Int, items: Int, largestBatch: Int) {
        queue.withLockedValue { ($0.batches, $0.items, $0.largestBatch) }
    }

    /// Writes `item` in the next batch; returns what `write` made of it once that batch has committed.
    public func submit(_ item: Item) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            let start = queue.withLockedValue { q in
                q.pending.append(Pending(item: item, continuation: continuation))
                if q.draining { return false }
                q.draining = true
                return true
            }
            guard start else { return }
            if let thread = writer.batchThread, let threadWrite {
                thread.run { active in self.drain(on: thread, active: active, threadWrite) }
            } else {
                Task { await self.drain() }
            }
        }
    }

    private func nextBatch() -> [Pending] {
        queue.withLockedValue { q in
            guard !q.pending.isEmpty else {
                q.draining = false
                return []
            }
            let batch = Array(q.pending.prefix(maxBatch))
            q.pending.removeFirst(batch.count)
            return batch
        }
    }

    private func drain() async {
        while true {
            let batch = nextBatch()
            if batch.isEmpty { return }
            let items = batch.map(\.item)
            let write = self.write
            do {
                let outputs = try await writer.transaction { sql in try await write(items, sql) }
                guard outputs.count == batch.count else { throw GroupCommitError.unexpectedResult }
                record(batch.count)
                for (p, output) in zip(batch, outputs) { p.continuation.resume(returning: output) }
            } catch where batch.count > 1 {
                for p in batch {
                    do {
                        let output = try await writer.transaction { sql in try await write([p.item], sql) }
                        guard let first = output.first else { throw GroupCommitError.unexpectedResult }
                        record(1)
                        p.continuation.resume(returning: first)
                    } catch {
                        p.continuation.resume(throwing: error)
                    }
                }
            } catch {
                for p in batch { p.continuation.resume(throwing: error) }
            }
        }
    }

    /// On the writer's thread: every call blocks that thread, which is its only work.
    private func drain(on thread: any IntakeBatchThread, active: Bool, _ threadWrite: ThreadWrite) {
        while true {
            let batch = nextBatch()
            if batch.isEmpty { return }
            guard active else {
                for p in batch { p.continuation.resume(throwing: GroupCommitError.writerClosed) }
                continue
            }
            do {
                let outputs = try threadWrite(thread, batch.map(\.item))
                guard outputs.count == batch.count else { throw GroupCommitError.unexpectedResult }
                record(batch.count)
                for (p, output) in zip(batch, outputs) { p.continuation.resume(returning: output) }
            } catch where batch.count > 1 {
                for p in batch {
                    do {
                        guard let output = try threadWrite(thread, [p.item]).first else { throw GroupCommitError.unexpectedResult }
                        record(1)
                        p.continuation.resume(returning: output)
                    } catch {
                        p.continuation.resume(throwing: error)
                    }
                }
            } catch {
                for p in batch { p.continuation.resume(throwing: error) }
            }
            thread.batchCommitted()
        }
    }

    private func record(_ n: Int) {
        queue.withLockedValue { q in
            q.batches += 1
            q.items += n
            q.largestBatch = max(q.largestBatch, n)
        }
    }
}
