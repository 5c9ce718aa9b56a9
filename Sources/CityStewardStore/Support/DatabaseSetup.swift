import AsyncKit
import FluentKit
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import Logging
import NIOCore
import SQLKit

/// Where the data lives: the embedded SQLite file (default), an in-memory SQLite database (tests), or PostgreSQL.
public enum DatabaseLocation: Sendable, Equatable {
    case sqliteFile(path: String)
    case sqliteMemory
    case postgres(url: String, searchPath: String? = nil)

    public var isSQLite: Bool {
        if case .postgres = self { return false }
        return true
    }

    public var description: String {
        switch self {
        case .sqliteFile(let path): "SQLite \(path)"
        case .sqliteMemory: "SQLite (memory)"
        case .postgres(let url, _): "PostgreSQL \(DatabaseSetup.redact(url))"
        }
    }
}

/// SQLite durability settings (reference/perf-baseline.md §2): WAL with synchronous=NORMAL survives a killed
/// process; FULL also survives power loss at roughly a third of the write rate.
public enum SQLiteSynchronous: String, Sendable {
    case normal = "NORMAL"
    case full = "FULL"
}

public enum DatabaseSetup {
    /// Registers the database with Fluent as the default.
    /// `statementTimeoutMilliseconds` (PostgreSQL; 0: none): the server cancels a statement that runs longer, so
    /// one request cannot hold the database. SQLite has no such setting; its reads are bounded by their queries.
    /// `poolTimeoutSeconds`: how long a request waits for a pooled connection before it fails.
    public static func register(_ location: DatabaseLocation, on databases: Databases, postgresPoolSize: Int = 4,
                                statementTimeoutMilliseconds: Int = 0, poolTimeoutSeconds: Int64 = 10) throws {
        switch location {
        // SQLite too: its one connection per event loop is a queue, and under load (the parallel test run on 2 cores)
        // a request waited past the driver's default 10 s for it.
        case .sqliteFile(let path):
            databases.use(.sqlite(.file(path), connectionPoolTimeout: .seconds(poolTimeoutSeconds), sqlLogLevel: .debug), as: .sqlite)
        case .sqliteMemory:
            databases.use(.sqlite(.memory, connectionPoolTimeout: .seconds(poolTimeoutSeconds), sqlLogLevel: .debug), as: .sqlite)
        case .postgres(let url, let searchPath):
            var configuration = try SQLPostgresConfiguration(url: url)
            if let searchPath { configuration.searchPath = [searchPath] }
            // A connection that takes longer to open than a request will wait for one is of no use to it; on busy
            // cores (the parallel test run) opening one can take more than the driver's default 10 s.
            configuration.coreConfiguration.options.connectTimeout = .seconds(max(poolTimeoutSeconds, 10))
            if statementTimeoutMilliseconds > 0 {
                configuration.coreConfiguration.options.additionalStartupParameters.append(("statement_timeout", "\(statementTimeoutMilliseconds)"))
            }
            databases.use(.postgres(configuration: configuration, maxConnectionsPerEventLoop: postgresPoolSize,
                                    connectionPoolTimeout: .seconds(poolTimeoutSeconds), sqlLogLevel: .debug), as: .psql)
        }
    }

    /// fluent-sqlite-driver opens its connections in rollback-journal mode with synchronous=FULL and a busy handler
    /// that spins; it keeps exactly one connection per event loop. Set WAL (persistent in the file) and, on each
    /// loop's connection, synchronous and a sleeping busy_timeout.
    public static func prepareSQLite(_ databases: Databases, eventLoopGroup: any EventLoopGroup, logger: Logger,
                                     synchronous: SQLiteSynchronous = .normal, inMemory: Bool) async throws {
        var first = true
        for loop in eventLoopGroup.makeIterator() {
            guard let db = databases.database(logger: logger, on: loop) as? any SQLDatabase else { continue }
            if first, !inMemory {
                try await db.raw("PRAGMA journal_mode = WAL").run()
                first = false
            }
            try await db.raw("PRAGMA synchronous = \(unsafeRaw: synchronous.rawValue)").run()
            try await db.raw("PRAGMA busy_timeout = 5000").run()
        }
    }

    /// Whether the database cancelled a statement for running past the statement timeout.
    public static func isStatementTimeout(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "57014"
    }

    /// The database had no connection (or SQLite no write lock) free for the request within the pool's wait: the
    /// server is overloaded for the moment, not broken, and the request may be sent again.
    public static func isOverloaded(_ error: any Error) -> Bool {
        if error is ConnectionPoolTimeoutError { return true }
        if let sqlite = error as? SQLiteError { return sqlite.reason == .busy || sqlite.reason == .busyTimeout }
        return false
    }

    /// Hides a password in a database URL for logs and messages.
    public static func redact(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "(invalid URL)" }
        if components.password != nil { components.password = "***" }
        return components.string ?? "(invalid URL)"
    }

    /// The current journal mode, for the start-up log and tests.
    public static func journalMode(_ db: any Database) async throws -> String? {
        guard let sql = db as? any SQLDatabase else { return nil }
        let row = try await sql.raw("PRAGMA journal_mode").first()
        return try row?.decode(column: "journal_mode", as: String.self)
    }

    /// Answers when the database does (for /readyz).
    public static func ping(_ db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        _ = try await sql.raw("SELECT 1 AS ok").first()
    }
}
