import CityStewardCore
import FluentKit
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLKit

/// Group commit specialised for case intake: the reports that arrive while a batch commits are written together
/// as one transaction (numbers for the whole batch from one counter update per year, then every row; the writer
/// decides how: through SQLite's C API on the writer's own thread, or one multi-row INSERT per table on
/// PostgreSQL). Each caller is answered only after the commit, so an acknowledged report is durable. If the batch
/// fails (one bad row), it runs again with a savepoint around each report, so only the failing report fails.
///
/// The generic `GroupCommitter` runs each unit's statements one after another; with four statements a report that
/// serialises on the single SQLite writer. Here the work per batch is one transaction whatever its size.
public final class CaseIntakeBatcher: Sendable {
    private struct Pending: Sendable {
        let new: CaseStore.NewCase
        let year: Int
        let promise: EventLoopPromise<CaseRow>
    }

    public struct Statistics: Sendable {
        public var batches = 0
        public var reports = 0
        public var largestBatch = 0
        public var fallbackBatches = 0
        /// Time spent in commits (for /metrics: divide by batches for the mean commit time).
        public var commitSeconds = 0.0
    }

    /// Reports waiting for the next batch, behind a lock: a request hands its report over without changing thread,
    /// and is answered on its own event loop.
    private struct Queue {
        var pending: [Pending] = []
        var draining = false
        var statistics = Statistics()
    }

    private let writer: any BatchWriter
    private let maxBatch: Int
    private let queue = NIOLockedValueBox(Queue())

    public var statistics: Statistics { queue.withLockedValue { $0.statistics } }

    public init(writer: any BatchWriter, maxBatch: Int = 256) {
        self.writer = writer
        self.maxBatch = max(1, maxBatch)
    }

    /// Stores the report in the next batch; the future succeeds with it, numbered, on `eventLoop` once that batch
    /// has committed.
    public func submit(_ new: CaseStore.NewCase, year: Int, on eventLoop: any EventLoop) -> EventLoopFuture<CaseRow> {
        let promise = eventLoop.makePromise(of: CaseRow.self)
        let start = queue.withLockedValue { q in
            q.pending.append(Pending(new: new, year: year, promise: promise))
            if q.draining { return false }
            q.draining = true
            return true
        }
        if start {
            if let thread = writer.batchThread {
                // The writer's own thread takes batch after batch until the queue is empty: no hand-over per batch.
                thread.run { active in self.drain(on: thread, active: active) }
            } else {
                Task { await self.drain() }
            }
        }
        return promise.futureResult
    }

    public func submit(_ new: CaseStore.NewCase, year: Int) async throws -> CaseRow {
        try await submit(new, year: year, on: MultiThreadedEventLoopGroup.singleton.any()).get()
    }

    /// The next batch, or none (and draining stops) when nothing waits.
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

    /// How a batch ended: committed whole, committed report by report after a failure, or not at all.
    private enum Outcome {
        case whole([CaseRow])
        case each([Result<CaseRow, any Error>])
        case failed(any Error, fallback: Bool)
    }

    /// Answers every report of the batch and records it for /metrics.
    private func finish(_ batch: [Pending], _ outcome: Outcome, since started: ContinuousClock.Instant) {
        let d = ContinuousClock.now - started
        queue.withLockedValue { q in
            q.statistics.commitSeconds += Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
            let committed: Int
            switch outcome {
            case .whole(let rows): committed = rows.count
            case .each(let outcomes):
                q.statistics.fallbackBatches += 1
                committed = outcomes.count { if case .success = $0 { true } else { false } }
            case .failed(_, let fallback):
                if fallback { q.statistics.fallbackBatches += 1 }
                return
            }
            q.statistics.batches += 1
            q.statistics.reports += committed
            q.statistics.largestBatch = max(q.statistics.largestBatch, committed)
        }
        switch outcome {
        case .whole(let rows): for (p, row) in zip(batch, rows) { p.promise.succeed(row) }
        case .each(let outcomes): for (p, outcome) in zip(batch, outcomes) { p.promise.completeWith(outcome) }
        case .failed(let error, _): for p in batch { p.promise.fail(error) }
        }
    }

    /// On the writer's thread: every call blocks that thread, which is its only work.
    private func drain(on thread: any IntakeBatchThread, active: Bool) {
        while true {
            let batch = nextBatch()
            if batch.isEmpty { return }
            guard active else {
                for p in batch { p.promise.fail(GroupCommitError.writerClosed) }
                continue
            }
            let items = batch.map { ($0.new, $0.year) }
            let started = ContinuousClock.now
            let outcome: Outcome
            do {
                outcome = .whole(try thread.insertCaseBatch(items))
            } catch where batch.count > 1 {
                do { outcome = .each(try thread.insertEach(items)) } catch { outcome = .failed(error, fallback: true) }
            } catch {
                outcome = .failed(error, fallback: false)
            }
            finish(batch, outcome, since: started)
            thread.batchCommitted()
        }
    }

    private func drain() async {
        while true {
            let batch = nextBatch()
            if batch.isEmpty { return }
            let items = batch.map { ($0.new, $0.year) }
            let started = ContinuousClock.now
            let outcome: Outcome
            do {
                outcome = .whole(try await writer.insertCaseBatch(items))
            } catch where batch.count > 1 {
                do { outcome = .each(try await writer.insertEach(items)) } catch { outcome = .failed(error, fallback: true) }
            } catch {
                outcome = .failed(error, fallback: false)
            }
            finish(batch, outcome, since: started)
        }
    }
}

extension CaseStore {
    /// Inserts several new cases with a constant number of statements: one counter update per year for the whole
    /// batch, then one multi-row INSERT per table. Only touches the database (it may run again in the fallback).
    static func insertBatch(_ items: [(new: NewCase, year: Int)], on sql: any SQLDatabase) async throws -> [CaseRow] {
        var rows = items.map(\.new.row)
        for year in Set(items.map(\.year)).sorted() {
            let indices = items.indices.filter { items[$0].year == year }
            guard let last = try await sql.raw("""
                INSERT INTO case_counters (year, last) VALUES (\(bind: year), \(bind: indices.count))
                ON CONFLICT (year) DO UPDATE SET last = case_counters.last + \(bind: indices.count) RETURNING last
                """).first()?.decode(column: "last", as: Int.self) else {
                throw GroupCommitError.unexpectedResult
            }
            for (k, i) in indices.enumerated() {
                rows[i].number = CaseNumber.format(year: year, sequence: last - indices.count + 1 + k)
            }
        }
        // Keep each statement's bind count well inside SQLite's and PostgreSQL's limits.
        for chunk in stride(from: 0, to: rows.count, by: 200) {
            try await FastSQL.insert(rows[chunk..<min(rows.count, chunk + 200)], on: sql, into: "cases")
        }
        let events = items.flatMap(\.new.events)
        for chunk in stride(from: 0, to: events.count, by: 500) {
            try await FastSQL.insert(events[chunk..<min(events.count, chunk + 500)], on: sql, into: "case_events")
        }
        let photos = items.flatMap(\.new.photos)
        for chunk in stride(from: 0, to: photos.count, by: 500) {
            try await FastSQL.insert(photos[chunk..<min(photos.count, chunk + 500)], on: sql, into: "case_photos")
        }
        let residents = items.compactMap(\.new.resident)
        for chunk in stride(from: 0, to: residents.count, by: 500) {
            try await FastSQL.insert(residents[chunk..<min(residents.count, chunk + 500)], on: sql, into: "resident_reports")
        }
        let notes = items.flatMap(\.new.notifications)
        for chunk in stride(from: 0, to: notes.count, by: 500) {
            try await FastSQL.insert(notes[chunk..<min(notes.count, chunk + 500)], on: sql, into: "notifications")
        }
        return rows
    }
}
