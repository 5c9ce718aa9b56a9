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

    /// The connection that writes intake batches (`SQLiteBatchConnection`), opened on the writer's thread.
    private var batchConnection: SQLiteBatchConnection?

    /// The batch as one job on the SQLite thread: one hand-over there and one back, whatever the batch holds.
    public func insertCaseBatch(_ items: [(new: CaseStore.NewCase, year: Int)]) async throws -> [CaseRow] {
        let c: SQLiteBatchConnection
        if let existing = batchConnection { c = existing } else {
            let path = self.path, synchronous = self.synchronous
            c = try await pool.runIfActive(eventLoop: loop) { try SQLiteBatchConnection(path: path, synchronous: synchronous) }.get()
            batchConnection = c
        }
        let rows = try await pool.runIfActive(eventLoop: loop) { try c.insertCaseBatch(items) }.get()
        checkpointIfDue()
        return rows
    }

    public func close() async {
        if let c = batchConnection { _ = try? await pool.runIfActive(eventLoop: loop) { c.close() }.get() }
        batchConnection = nil
        if let connection { _ = try? await connection.query("PRAGMA wal_checkpoint(TRUNCATE)") }
        try? await connection?.close()
        connection = nil
        try? await checkpointer?.close()
        checkpointer = nil
        try? await checkpointPool.shutdownGracefully()
        try? await pool.shutdownGracefully()
    }
}
