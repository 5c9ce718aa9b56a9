import CityStewardCore
import FluentKit
import Foundation
import Logging
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO

/// Where a batching writer (the intake batcher) runs its transactions.
public protocol BatchWriter: Sendable {
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// One intake batch in one transaction.
    func insertCaseBatch(_ items: [(new: CaseStore.NewCase, year: Int)]) async throws -> [CaseRow]
}

extension BatchWriter {
    public func insertCaseBatch(_ items: [(new: CaseStore.NewCase, year: Int)]) async throws -> [CaseRow] {
        try await transaction { sql in try await CaseStore.insertBatch(items, on: sql) }
    }
}

/// Transactions on the shared Fluent pool (PostgreSQL, and in-memory SQLite, which has one database per connection).
public struct PooledBatchWriter: BatchWriter {
    let db: any Database

    public init(db: any Database) {
        self.db = db
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await db.transaction { tx in
            guard let sql = tx as? any SQLDatabase else { throw GroupCommitError.notSQL }
            return try await body(sql)
        }
    }
}

/// A connection of its own for the one writer of a SQLite file. fluent-sqlite-driver keeps exactly one connection
/// per event loop; a batch transaction holding one of them would make every read on that loop wait for the commit.
/// With this connection the pool stays free for reads (WAL lets them run during the write).
public actor DedicatedSQLiteWriter: BatchWriter {
    private let path: String
    private let synchronous: SQLiteSynchronous
    private let logger: Logger
    private var connection: SQLiteConnection?
    /// The writer runs on a loop of its own (shared with the intake batcher): its statements complete and its code
    /// resumes on that one thread, instead of queueing behind HTTP work on the server's loops and executor.
    private let loop: any EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }
    /// A thread of its own for the blocking SQLite calls, so statements do not wait behind reads in the shared pool.
    private let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()

    public init(path: String, synchronous: SQLiteSynchronous, logger: Logger, loop: any EventLoop) {
        self.loop = loop
        self.path = path
        self.synchronous = synchronous
        self.logger = logger
    }

    private func open() async throws -> any SQLDatabase {
        if let connection { return connection.sql() }
        let c = try await SQLiteConnection.open(storage: .file(path: path), threadPool: pool, logger: logger, on: loop)
        let sql = c.sql()
        try await sql.raw("PRAGMA journal_mode = WAL").run()
        try await sql.raw("PRAGMA synchronous = \(unsafeRaw: synchronous.rawValue)").run()
        try await sql.raw("PRAGMA busy_timeout = 5000").run()
        try await sql.raw("PRAGMA foreign_keys = ON").run()
        // Checkpoints mostly run beside the writer (`checkpointIfDue`): an automatic checkpoint copies the WAL into
        // the database file and syncs it on the committing connection, stalling every report of that batch (p99
        // grew with the database before this). The writer's own, rarer checkpoint stays as the step that lets the
        // WAL start over, so the file does not grow without end.
        try await sql.raw("PRAGMA wal_autocheckpoint = 4000").run()
        connection = c
        return sql
    }

    private var checkpointer: SQLiteConnection?
    private var checkpointRunning = false
    private var lastCheckpoint = ContinuousClock.now
    private let checkpointPool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()

    /// At most once a second, a PASSIVE checkpoint on a second connection and thread: it copies what no reader
    /// still needs and never blocks the writer or the readers.
    private func checkpointIfDue() {
        guard !checkpointRunning, ContinuousClock.now - lastCheckpoint > .seconds(1) else { return }
        checkpointRunning = true
        Task {
            do {
                let c: SQLiteConnection
                if let existing = self.checkpointer { c = existing } else {
                    c = try await SQLiteConnection.open(storage: .file(path: self.path), threadPool: self.checkpointPool,
                                                        logger: self.logger, on: self.loop)
                    _ = try await c.query("PRAGMA busy_timeout = 1000")
                    self.checkpointer = c
                }
                _ = try await c.query("PRAGMA wal_checkpoint(PASSIVE)")
            } catch {
                self.logger.warning("WAL checkpoint failed: \(String(describing: error))")
            }
            self.checkpointRunning = false
            self.lastCheckpoint = .now
        }
    }



    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let sql = try await open()
        // IMMEDIATE takes the write lock up front, so the batch never fails half way on a lock upgrade.
        try await sql.raw("BEGIN IMMEDIATE").run()
        do {
            let value = try await body(sql)
            try await sql.raw("COMMIT").run()
            return value
        } catch {
            try? await sql.raw("ROLLBACK").run()
            throw error
        }
    }

    /// The batch in three trips to the SQLite thread, whatever its size: BEGIN and the counter update per year, then
    /// every INSERT, then COMMIT. Statements of one trip are queued together on the connection's single thread,
    /// which runs them back to back; only the trip's results come back to this loop. (A trip per statement put the
    /// writer behind the busy server threads once per statement.) COMMIT waits for the INSERTs' results, so a
    /// failed INSERT is rolled back, never committed without its neighbours.
    public func insertCaseBatch(_ items: [(new: CaseStore.NewCase, year: Int)]) async throws -> [CaseRow] {
        _ = try await open()
        guard let c = connection else { throw GroupCommitError.notSQL }
        let years = Set(items.map(\.year)).sorted()
        let counts = years.map { year in items.filter { $0.year == year }.count }
        let loop = c.eventLoop
        func q(_ text: String, _ binds: [SQLiteData] = []) -> EventLoopFuture<[SQLiteRow]> { c.query(text, binds) }
        let begin = q("BEGIN IMMEDIATE")
        let counters = zip(years, counts).map { year, count in
            q("INSERT INTO case_counters (year, last) VALUES (?, ?) ON CONFLICT (year) DO UPDATE SET last = case_counters.last + ? RETURNING last",
              [.integer(year), .integer(count), .integer(count)])
        }
        do {
            _ = try await begin.get()
            var lasts: [Int] = []
            for f in counters {
                guard let last = try await f.get().first?.column("last")?.integer else { throw GroupCommitError.unexpectedResult }
                lasts.append(last)
            }
            var rows = items.map(\.new.row)
            for (y, year) in years.enumerated() {
                var sequence = lasts[y] - counts[y]
                for i in items.indices where items[i].year == year {
                    sequence += 1
                    rows[i].number = CaseNumber.format(year: year, sequence: sequence)
                }
            }
            var inserts: [EventLoopFuture<[SQLiteRow]>] = []
            func add<T: DirectRow>(_ models: [T], _ table: String, chunk: Int) {
                for start in stride(from: 0, to: models.count, by: chunk) {
                    let (text, binds) = FastSQL.sqliteInsert(models[start..<min(models.count, start + chunk)], into: table)
                    inserts.append(q(text, binds))
                }
            }
            // SQLite allows 32,766 binds a statement: 200 cases of 44 columns, 500 rows of the others.
            add(rows, "cases", chunk: 200)
            add(items.flatMap(\.new.events), "case_events", chunk: 500)
            add(items.flatMap(\.new.photos), "case_photos", chunk: 500)
            add(items.flatMap(\.new.notifications), "notifications", chunk: 500)
            add(items.compactMap(\.new.resident), "resident_reports", chunk: 500)
            try await EventLoopFuture.andAllSucceed(inserts.map { $0.map { _ in } }, on: loop).get()
            _ = try await q("COMMIT").get()
            checkpointIfDue()
            return rows
        } catch {
            // The connection's one thread runs statements in the order queued: the ROLLBACK comes after all of them.
            _ = try? await q("ROLLBACK").get()
            throw error
        }
    }

    public func close() async {
        if let connection { _ = try? await connection.query("PRAGMA wal_checkpoint(TRUNCATE)") }
        try? await connection?.close()
        connection = nil
        try? await checkpointer?.close()
        checkpointer = nil
        try? await checkpointPool.shutdownGracefully()
        try? await pool.shutdownGracefully()
    }
}
