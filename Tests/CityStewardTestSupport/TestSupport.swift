import CityStewardCore
import CityStewardStore
import FluentKit
import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit

/// Shared fixtures for the test targets. Tests run on in-memory SQLite by default and, when
/// `TEST_DATABASE_URL` is set, on PostgreSQL, each test in a schema of its own so they can run in parallel.
public enum TestDatabase {
    public static var postgresURL: String? {
        guard let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"], !url.isEmpty else { return nil }
        return url
    }

    /// A fresh location for one test: a new in-memory SQLite database, or a new PostgreSQL schema.
    public static func freshLocation() -> DatabaseLocation {
        if let url = postgresURL {
            return .postgres(url: url, searchPath: "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20))
        }
        return .sqliteMemory
    }

    /// Creates the schema a PostgreSQL location names (no-op for SQLite).
    public static func prepare(_ location: DatabaseLocation, on db: any Database) async throws {
        guard case .postgres(_, let schema?) = location, let sql = db as? any SQLDatabase else { return }
        try await sql.raw("CREATE SCHEMA IF NOT EXISTS \(ident: schema)").run()
    }

    /// Drops the schema a PostgreSQL location names (no-op for SQLite).
    public static func cleanUp(_ location: DatabaseLocation, on db: any Database) async throws {
        guard case .postgres(_, let schema?) = location, let sql = db as? any SQLDatabase else { return }
        try await sql.raw("DROP SCHEMA IF EXISTS \(ident: schema) CASCADE").run()
    }

    public static var kindDescription: String { postgresURL == nil ? "SQLite" : "PostgreSQL" }
}

/// A migrated database for store tests, without Vapor.
public func withTestDatabase<T: Sendable>(_ body: (any Database) async throws -> T) async throws -> T {
    let location = TestDatabase.freshLocation()
    let databases = Databases(threadPool: NIOThreadPool.singleton, on: MultiThreadedEventLoopGroup.singleton)
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    try DatabaseSetup.register(location, on: databases, postgresPoolSize: 2)
    let db = databases.database(logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())!
    do {
        try await TestDatabase.prepare(location, on: db)
        let migrations = Migrations()
        for m in CityStewardMigrations.all { migrations.add(m) }
        let migrator = Migrator(databases: databases, migrations: migrations, logger: logger, on: db.eventLoop, migrationLogLevel: .debug)
        try await migrator.setupIfNeeded().get()
        try await migrator.prepareBatch().get()
        let result = try await body(db)
        try await TestDatabase.cleanUp(location, on: db)
        await databases.shutdownAsync()
        return result
    } catch {
        try? await TestDatabase.cleanUp(location, on: db)
        await databases.shutdownAsync()
        throw error
    }
}

/// A stand-in for Bcrypt in store tests (the App tests use real Bcrypt): a hash that is not the password.
public let testHash: @Sendable (String) async throws -> String = { password in "test-hash:" + String(password.reversed()) }

/// Builders for areas with square shapes.
public enum AreaBuilder {
    public static func square(minLat: Double, minLong: Double, size: Double) -> AreaShape {
        AreaShape(polygons: [Polygon.rectangle(GeoBox(minLat: minLat, minLong: minLong, maxLat: minLat + size, maxLong: minLong + size))])
    }
}
