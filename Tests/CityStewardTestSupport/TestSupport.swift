import CityStewardCore
import CityStewardStore
import FluentKit
import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit
import Synchronization

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

/// A migrated database for store tests, without Vapor (the fresh test location unless one is given).
public func withTestDatabase<T: Sendable>(at given: DatabaseLocation? = nil, _ body: (any Database) async throws -> T) async throws -> T {
    let location = given ?? TestDatabase.freshLocation()
    let databases = Databases(threadPool: NIOThreadPool.singleton, on: MultiThreadedEventLoopGroup.singleton)
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    try DatabaseSetup.register(location, on: databases, postgresPoolSize: 2, poolTimeoutSeconds: 60)   // parallel suites on busy cores
    let db = databases.database(logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())!
    do {
        try await TestDatabase.prepare(location, on: db)
        let migrations = Migrations()
        for m in CityStewardMigrations.all(calendar: WorkingCalendar(years: [])) { migrations.add(m) }
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

/// Small, structurally valid image files for photo tests, each carrying metadata that must not reach the public copy.
public enum TestImages {
    /// A JPEG with an EXIF (APP1) block holding a GPS marker and a comment, then a table and a scan.
    public static func jpegWithGPS(seed: UInt8 = 1) -> Data {
        var b: [UInt8] = [0xFF, 0xD8]
        let exif = Array("Exif\0\0GPS 22.6220N 114.0300E".utf8)
        b += [0xFF, 0xE1, UInt8((exif.count + 2) >> 8), UInt8((exif.count + 2) & 0xFF)] + exif
        let comment = Array("camera serial 123".utf8)
        b += [0xFF, 0xFE, UInt8((comment.count + 2) >> 8), UInt8((comment.count + 2) & 0xFF)] + comment
        b += [0xFF, 0xDB, 0x00, 0x05, 0x00, seed, 0x01]
        b += [0xFF, 0xDA, 0x00, 0x04, 0x01, 0x00, 0x12, 0x34, seed, 0x56, 0xFF, 0xD9]
        return Data(b)
    }

    /// A PNG with a tEXt chunk holding a position.
    public static func pngWithText() -> Data {
        var b: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func chunk(_ type: String, _ data: [UInt8]) {
            let n = UInt32(data.count)
            b += [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + Array(type.utf8) + data + [0, 0, 0, 0]
        }
        chunk("IHDR", [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0])
        chunk("tEXt", Array("GPS\0 22.6220N 114.0300E".utf8))
        chunk("IDAT", [0x78, 0x9C, 0x63, 0x60, 0x00, 0x00])
        chunk("IEND", [])
        return Data(b)
    }

    /// A real, decodable PNG (a browser draws it), with a tEXt chunk holding a position that the public copy must drop.
    public static func decodablePNG(width: Int = 160, height: Int = 120) -> Data {
        DemoPhoto.png(width: width, height: height, text: "GPS\0 22.6220N 114.0300E")
    }

    /// A WebP (extended format) with an EXIF chunk.
    public static func webpWithExif() -> Data {
        var chunks: [UInt8] = []
        func chunk(_ type: String, _ data: [UInt8]) {
            let n = UInt32(data.count)
            chunks += Array(type.utf8) + [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)] + data
            if data.count % 2 == 1 { chunks.append(0) }
        }
        chunk("VP8X", [0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        chunk("VP8L", [0x2F, 0, 0, 0, 0x10])
        chunk("EXIF", Array("GPS 22.6220N 114.0300E".utf8))
        let total = UInt32(chunks.count + 4)
        return Data(Array("RIFF".utf8) + [UInt8(total & 0xFF), UInt8(total >> 8 & 0xFF), UInt8(total >> 16 & 0xFF), UInt8(total >> 24)]
                    + Array("WEBP".utf8) + chunks)
    }
}

/// Reads QR symbols back with real tools: the SVG is rendered to PNG by librsvg (`rsvg-convert`) and decoded by
/// zbar (`zbarimg`), both Debian packages that `.ci/run` installs. Without them the decode tests are not run
/// locally, and fail under CI (`CI` set) so a missing tool never passes silently.
public enum QRReader {
    public static func tool(_ name: String) -> String? {
        ["/usr/bin/\(name)", "/usr/local/bin/\(name)"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public static var available: Bool {
        (tool("zbarimg") != nil && tool("rsvg-convert") != nil) || ProcessInfo.processInfo.environment["CI"] != nil
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The decoded text of the single QR symbol in `svg`.
    public static func decode(svg: String) throws -> String {
        guard let rsvg = tool("rsvg-convert"), let zbar = tool("zbarimg") else {
            throw Failure(description: "rsvg-convert and zbarimg are needed: apt-get install librsvg2-bin zbar-tools")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let svgFile = dir.appendingPathComponent("code.svg"), pngFile = dir.appendingPathComponent("code.png")
        try Data(svg.utf8).write(to: svgFile)
        _ = try run(rsvg, ["--width", "600", "--height", "600", "-o", pngFile.path, svgFile.path])
        let out = try run(zbar, ["--quiet", "--raw", "-Sbinary", pngFile.path])
        return String(decoding: out, as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    public static func run(_ tool: String, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe(), errors = Pipe()
        process.standardOutput = pipe
        process.standardError = errors
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(tool) exited \(process.terminationStatus): \(String(decoding: err, as: UTF8.self))")
        }
        return data
    }
}

/// What a leak scan looks for in anything that leaves the steward's zone: an 18-character ID number, a mainland
/// mobile number, a plate.
public enum LeakScan {
    public static let patterns = [#"[1-9]\d{5}(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[\dXx]"#, #"(?<!\d)1[3-9]\d{9}(?!\d)"#,
                                  #"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z][A-Z0-9]{5,6}"#]

    public static func leaks(_ text: String) -> [String] {
        patterns.compactMap { p in text.range(of: p, options: .regularExpression).map { String(text[$0]) } }
    }
}

/// Opens an .xlsx in a real reader, Python's openpyxl (Debian's python3-openpyxl), and returns every sheet's cell
/// values: numbers as `Double`, text as `String`, empty cells as `nil`.
public enum SpreadsheetReader {
    public static var python: String? {
        ["/usr/bin/python3", "/usr/local/bin/python3"].first { path in
            guard FileManager.default.isExecutableFile(atPath: path) else { return false }
            return (try? QRReader.run(path, ["-c", "import openpyxl"])) != nil
        }
    }

    public static var available: Bool { python != nil || ProcessInfo.processInfo.environment["CI"] != nil }

    public static func read(_ xlsx: Data) throws -> [String: [[Any?]]] {
        guard let python else { throw QRReader.Failure(description: "openpyxl is needed: apt-get install python3-openpyxl") }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("book-\(UUID().uuidString).xlsx")
        try xlsx.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = """
            import json, sys, openpyxl
            wb = openpyxl.load_workbook(sys.argv[1])
            print(json.dumps({ws.title: [[c for c in row] for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}, ensure_ascii=False))
            """
        let out = try QRReader.run(python, ["-c", script, file.path])
        guard let json = try JSONSerialization.jsonObject(with: out) as? [String: [[Any]]] else {
            throw QRReader.Failure(description: "openpyxl gave no sheets")
        }
        return json.mapValues { rows in rows.map { row in row.map { $0 is NSNull ? nil : $0 } } }
    }
}

/// The instant tests run at, whatever the date: Wednesday 18 November 2026, 10:00 in Beijing (a working day inside
/// the demo contracts' term). Tests that need time to pass move a `TestClock` from here, never the rows.
public let testStart = Date(timeIntervalSince1970: 1_794_967_200)

/// A clock a test sets and moves; hand `wallClock` to the app (`AppConfig.clock`).
public final class TestClock: Sendable {
    private let instant: Mutex<Date>

    public init(_ start: Date = testStart) {
        instant = Mutex(start)
    }

    public var now: Date { instant.withLock { $0 } }

    public func set(_ date: Date) { instant.withLock { $0 = date } }

    public func advance(by seconds: TimeInterval) { instant.withLock { $0 = $0.addingTimeInterval(seconds) } }

    public var wallClock: WallClock { WallClock { [self] in now } }
}
