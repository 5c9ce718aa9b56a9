import CityStewardCore
import Foundation
import NIOPosix
// The SQLite that sqlite-nio bundles, as SQLiteBatchConnection uses it: the one copy in the process.
import VaporCSQLite

/// A year of a village's cases read straight from the SQLite file for the scores: one read-only connection walks the
/// assessment's index (`cases_assessment_idx`, which holds every column read here) and streams each row into
/// `CasesSummaryBuilder`, the definition itself. Measured on a million cases: SQLite's own aggregates with FILTER
/// clauses and two sorts for the medians took 3.2 s; this walk and Swift's arithmetic take a fraction of it
/// (docs/benchmarks.md). A reader in WAL mode never blocks the writer.
enum SQLiteCaseScan {
    struct Failure: Error, CustomStringConvertible {
        let message: String
        var description: String { "SQLite scan: \(message)" }
    }

    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    static func summaries(path: String, villages: [UUID], from: Date, until: Date, end: Date) async throws -> [UUID: CasesSummary] {
        try await NIOThreadPool.singleton.runIfActive { try scan(path: path, villages: villages, from: from, until: until, end: end) }
    }

    private static func scan(path: String, villages: [UUID], from: Date, until: Date, end: Date) throws -> [UUID: CasesSummary] {
        var h: OpaquePointer?
        let rc = sqlite_nio_sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
        defer { if let h { sqlite_nio_sqlite3_close_v2(h) } }
        guard rc == SQLITE_OK, let h else { throw Failure(message: "cannot open \(path) (\(rc))") }
        sqlite_nio_sqlite3_busy_timeout(h, 5000)
        let placeholders = Array(repeating: "?", count: villages.count).joined(separator: ", ")
        let query = """
            SELECT village_id, deadline, first_handled_at, closed_at, responded_at, response_hours, handling_hours, reworks, reopens, supervised,
                rating, source, number
            FROM cases INDEXED BY cases_assessment_idx
            WHERE village_id IN (\(placeholders)) AND deadline >= ? AND deadline < ? AND merged_into IS NULL AND state <> 'rejected'
            """
        var stmt: OpaquePointer?
        guard sqlite_nio_sqlite3_prepare_v2(h, query, -1, &stmt, nil) == SQLITE_OK, let stmt else {
            throw Failure(message: String(cString: sqlite_nio_sqlite3_errmsg(h)))
        }
        defer { sqlite_nio_sqlite3_finalize(stmt) }
        // UUIDs are stored as their text, as the driver writes them.
        var byText: [String: UUID] = [:]
        for (i, v) in villages.enumerated() {
            byText[v.uuidString] = v
            sqlite_nio_sqlite3_bind_text(stmt, Int32(i + 1), v.uuidString, -1, transient)
        }
        sqlite_nio_sqlite3_bind_double(stmt, Int32(villages.count + 1), from.timeIntervalSince1970)
        sqlite_nio_sqlite3_bind_double(stmt, Int32(villages.count + 2), until.timeIntervalSince1970)
        func text(_ i: Int32) -> String? {
            guard let p = sqlite_nio_sqlite3_column_text(stmt, i) else { return nil }
            return String(cString: p)
        }
        func date(_ i: Int32) -> Date? {
            sqlite_nio_sqlite3_column_type(stmt, i) == SQLITE_NULL ? nil : Date(timeIntervalSince1970: sqlite_nio_sqlite3_column_double(stmt, i))
        }
        func double(_ i: Int32) -> Double? {
            sqlite_nio_sqlite3_column_type(stmt, i) == SQLITE_NULL ? nil : sqlite_nio_sqlite3_column_double(stmt, i)
        }
        var builders: [UUID: CasesSummaryBuilder] = [:]
        var lastText = "", last: UUID?
        while true {
            let step = sqlite_nio_sqlite3_step(stmt)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw Failure(message: String(cString: sqlite_nio_sqlite3_errmsg(h))) }
            // The index walks one village after another: its text is looked up once per village.
            let villageText = text(0) ?? ""
            if villageText != lastText || last == nil {
                lastText = villageText
                last = byText[villageText] ?? byText[villageText.uppercased()]
            }
            guard let village = last else { continue }
            let source = text(11)
            let c = AssessedCase(
                number: text(12) ?? "", village: village, deadline: Date(timeIntervalSince1970: sqlite_nio_sqlite3_column_double(stmt, 1)),
                handledAt: date(2), reworks: Int(sqlite_nio_sqlite3_column_int64(stmt, 7)), closedAt: date(3),
                supervised: sqlite_nio_sqlite3_column_int64(stmt, 9) != 0,
                rating: sqlite_nio_sqlite3_column_type(stmt, 10) == SQLITE_NULL ? nil : Int(sqlite_nio_sqlite3_column_int64(stmt, 10)),
                respondedAt: date(4), reopens: Int(sqlite_nio_sqlite3_column_int64(stmt, 8)), fromResident: source == CaseSource.resident.rawValue,
                responseHours: double(5), handlingHours: double(6), fromHotline: source == CaseSource.hotline.rawValue)
            builders[village, default: CasesSummaryBuilder(end: end)].add(c)
        }
        // Each builder taken out of the dictionary first, so its hours are sorted in place rather than copied.
        var out: [UUID: CasesSummary] = [:]
        while let (village, taken) = builders.popFirst() {
            var builder = taken
            out[village] = builder.build()
        }
        return out
    }
}
