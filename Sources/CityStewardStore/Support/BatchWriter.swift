import CityStewardCore
import FluentKit
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO

/// Where a batching writer (the intake batcher) runs its transactions.
public protocol BatchWriter: Sendable {
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// One intake batch in one transaction.
    func insertCaseBatch(_ items: [(new: CaseStore.NewCase, year: Int)]) async throws -> [CaseRow]
    /// A thread of the writer's own on which the batcher may run its whole drain loop synchronously; nil when the
    /// writer is asynchronous (PostgreSQL).
    var batchThread: (any IntakeBatchThread)? { get }
}

/// The writer's own thread, for the batcher: it takes batch after batch there without a hand-over per batch.
public protocol IntakeBatchThread: Sendable {
    /// Runs `work` on the thread; `active` is false when the writer has shut down (the work must then fail its batches).
    func run(_ work: @escaping @Sendable (_ active: Bool) -> Void)
    /// On the thread: one batch in one transaction, all or nothing.
    func insertCaseBatch(_ items: [(new: CaseStore.NewCase, year: Int)]) throws -> [CaseRow]
    /// On the thread: the batch again in one transaction with a savepoint around each report, so only a failing
    /// report fails.
    func insertEach(_ items: [(new: CaseStore.NewCase, year: Int)]) throws -> [Result<CaseRow, any Error>]
    /// On the thread, after each batch (housekeeping such as checkpoints).
    func batchCommitted()
    /// On the thread: check-ins and the tasks they moved, in one transaction (`PatrolStore.write`'s answer).
    func writeCheckins(_ items: [CheckinWrite]) throws -> [Bool]
}

extension BatchWriter {
    public var batchThread: (any IntakeBatchThread)? { nil }

    public func insertCaseBatch(_ items: [(new: CaseStore.NewCase, year: Int)]) async throws -> [CaseRow] {
        try await transaction { sql in try await CaseStore.insertBatch(items, on: sql) }
    }

    /// The batch again in one transaction with a savepoint around each report, so only a failing report fails.
    public func insertEach(_ items: [(new: CaseStore.NewCase, year: Int)]) async throws -> [Result<CaseRow, any Error>] {
        try await transaction { sql in
            var outcomes: [Result<CaseRow, any Error>] = []
            for item in items {
                try await sql.raw("SAVEPOINT intake_one").run()
                do {
                    let row = try await CaseStore.insertBatch([item], on: sql)[0]
                    try await sql.raw("RELEASE SAVEPOINT intake_one").run()
                    outcomes.append(.success(row))
                } catch {
                    try await sql.raw("ROLLBACK TO SAVEPOINT intake_one").run()
                    try await sql.raw("RELEASE SAVEPOINT intake_one").run()
                    outcomes.append(.failure(error))
                }
            }
            return outcomes
        }
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
    /// The writer's async API (`transaction`) resumes on this loop, instead of queueing behind HTTP work.
    private let loop: any EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }
    private let thread: SQLiteWriterThread
    public nonisolated var batchThread: (any IntakeBatchThread)? { thread }

    /// `checkpointEvery` and `restartAt` (WAL frames) are `SQLiteWriterThread`'s checkpoint policy.
    public init(path: String, synchronous: SQLiteSynchronous, logger: Logger, loop: any EventLoop,
                checkpointEvery: Int = SQLiteWriterThread.checkpointEvery, restartAt: Int = SQLiteWriterThread.restartAt) {
        self.loop = loop
        self.path = path
        self.synchronous = synchronous
        self.logger = logger
        thread = SQLiteWriterThread(path: path, synchronous: synchronous, logger: logger, checkpointEvery: checkpointEvery, restartAt: restartAt)
    }

    private func open() async throws -> any SQLDatabase {
        if let connection { return connection.sql() }
        let c = try await SQLiteConnection.open(storage: .file(path: path), threadPool: thread.pool, logger: logger, on: loop)
        let sql = c.sql()
        try await sql.raw("PRAGMA journal_mode = WAL").run()
        try await sql.raw("PRAGMA synchronous = \(unsafeRaw: synchronous.rawValue)").run()
        try await sql.raw("PRAGMA busy_timeout = 5000").run()
        try await sql.raw("PRAGMA foreign_keys = ON").run()
        connection = c
        return sql
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

    public func close() async {
        if let connection { _ = try? await connection.query("PRAGMA wal_checkpoint(TRUNCATE)") }
        try? await connection?.close()
        connection = nil
        await thread.close()
    }
}

/// The SQLite writer's thread and its connection through the C API (`SQLiteBatchConnection`), plus a second thread
/// and connection that copies the WAL into the database file beside the writer.
public final class SQLiteWriterThread: IntakeBatchThread, @unchecked Sendable {
    /// Checkpoints copy the WAL into the database file and sync both. Run on the committing connection (SQLite's
    /// automatic checkpoint) they stall every report of that batch, so the copying runs on a second connection and
    /// thread whenever the WAL has grown by `checkpointEvery` frames, beside the writer. A checkpoint can only let
    /// the WAL start over when it has copied every frame at a moment no commit is adding more, which rarely happens
    /// under steady load; so once the WAL reaches `restartAt` frames the writer checkpoints itself, between two
    /// batches: by then nearly everything has been copied and synced, and the WAL starts over at the next commit.
    public static let checkpointEvery = 1024
    public static let restartAt = 8192
    private let checkpointEvery: Int
    private let restartAt: Int

    private let path: String
    private let synchronous: SQLiteSynchronous
    private let logger: Logger
    /// The writer's one thread: every SQLite call of the writer runs here, so nothing else waits behind it.
    let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()
    private let checkpointPool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()
    /// Touched on `pool`'s thread only.
    private var connection: SQLiteBatchConnection?
    private var framesAtLastCheckpoint = 0
    /// Touched on `checkpointPool`'s thread only.
    private var checkpointer: SQLiteBatchConnection?
    private let checkpointRunning = NIOLockedValueBox(false)

    init(path: String, synchronous: SQLiteSynchronous, logger: Logger, checkpointEvery: Int, restartAt: Int) {
        self.checkpointEvery = checkpointEvery
        self.restartAt = restartAt
        self.path = path
        self.synchronous = synchronous
        self.logger = logger
    }

    public func run(_ work: @escaping @Sendable (Bool) -> Void) {
        pool.submit { state in work(state == .active) }
    }

    private func open() throws -> SQLiteBatchConnection {
        if let connection { return connection }
        let c = try SQLiteBatchConnection(path: path, synchronous: synchronous)
        c.watchWAL()
        connection = c
        return c
    }

    public func insertCaseBatch(_ items: [(new: CaseStore.NewCase, year: Int)]) throws -> [CaseRow] {
        try open().insertCaseBatch(items)
    }

    public func insertEach(_ items: [(new: CaseStore.NewCase, year: Int)]) throws -> [Result<CaseRow, any Error>] {
        try open().insertEach(items)
    }

    public func writeCheckins(_ items: [CheckinWrite]) throws -> [Bool] {
        try open().writeCheckins(items)
    }

    public func batchCommitted() {
        guard let connection else { return }
        let frames = connection.walFrames
        if frames >= restartAt {
            do { try connection.checkpoint() } catch {
                logger.warning("WAL checkpoint failed: \(String(describing: error))")
            }
            framesAtLastCheckpoint = 0
        } else if frames < framesAtLastCheckpoint || frames - framesAtLastCheckpoint >= checkpointEvery {
            framesAtLastCheckpoint = frames
            checkpointBeside()
        }
    }

    /// A PASSIVE checkpoint on the second connection and thread: it copies what no reader still needs and never
    /// blocks the writer or the readers. One at a time; a request while one runs is dropped (the next will come).
    private func checkpointBeside() {
        guard checkpointRunning.withLockedValue({ running in
            if running { return false }
            running = true
            return true
        }) else { return }
        checkpointPool.submit { [self] state in
            defer { checkpointRunning.withLockedValue { $0 = false } }
            guard state == .active else { return }
            do {
                if checkpointer == nil { checkpointer = try SQLiteBatchConnection(path: path, synchronous: synchronous) }
                try checkpointer?.checkpoint()
            } catch {
                logger.warning("WAL checkpoint failed: \(String(describing: error))")
            }
        }
    }

    func close() async {
        _ = try? await pool.runIfActive { self.connection?.close(); self.connection = nil }
        _ = try? await checkpointPool.runIfActive { self.checkpointer?.close(); self.checkpointer = nil }
        try? await checkpointPool.shutdownGracefully()
        try? await pool.shutdownGracefully()
    }
}
