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

    public init(path: String, synchronous: SQLiteSynchronous, logger: Logger) {
        self.path = path
        self.synchronous = synchronous
        self.logger = logger
    }

    private func open() async throws -> any SQLDatabase {
        if let connection { return connection.sql() }
        let c = try await SQLiteConnection.open(storage: .file(path: path), threadPool: .singleton, logger: logger,
                                                on: MultiThreadedEventLoopGroup.singleton.any())
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
        try? await connection?.close()
        connection = nil
    }
}
