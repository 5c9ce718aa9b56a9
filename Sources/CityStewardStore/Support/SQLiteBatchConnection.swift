import CityStewardCore
import Foundation
// The SQLite that sqlite-nio bundles (its C target, not a product of its own): the one copy of SQLite in the
// process, so this connection and the driver's share SQLite's file locks. Only this file uses it.
import VaporCSQLite

/// The intake writer's own connection to the SQLite file, driven through SQLite's C API: a whole batch (BEGIN, the
/// counter, every row, COMMIT) runs as one job on the writer's thread, with statements prepared once and reused.
/// Through the driver each statement was parsed again (a 30-report batch is ~1,300 placeholders) and each was a
/// round trip between threads. Used from one thread at a time only (the writer's single-thread pool).
final class SQLiteBatchConnection: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        let code: Int32
        let message: String
        var description: String { "SQLite error \(code): \(message)" }
    }

    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    private var inserts: [String: OpaquePointer] = [:]
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Frames in the WAL after the last commit, while `watchWAL()` is on.
    private(set) var walFrames = 0

    init(path: String, synchronous: SQLiteSynchronous) throws {
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        var h: OpaquePointer?
        let rc = sqlite_nio_sqlite3_open_v2(path, &h, flags, nil)
        guard rc == SQLITE_OK, let h else {
            if let h { sqlite_nio_sqlite3_close_v2(h) }
            throw Failure(code: rc, message: "cannot open \(path)")
        }
        handle = h
        sqlite_nio_sqlite3_busy_timeout(h, 5000)
        do {
            // temp_store = MEMORY: each case insert fires the tally trigger, so SQLite keeps a statement journal of
            // every page the insert touches (the table, its indexes, the tally); past 64 KiB that journal spilled
            // to a temporary file, ~7 page writes a report through the kernel (strace of the writer's thread).
            for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = \(synchronous.rawValue)", "PRAGMA foreign_keys = ON",
                           "PRAGMA temp_store = MEMORY"] {
                try exec(pragma)
            }
        } catch {
            close()
            throw error
        }
    }

    /// Reports the WAL's length after each commit (`walFrames`) instead of checkpointing automatically: SQLite's
    /// automatic checkpoint is this same hook, so the owner now decides when and where checkpoints run.
    func watchWAL() {
        sqlite_nio_sqlite3_wal_hook(handle, { context, _, _, frames in
            if let context { Unmanaged<SQLiteBatchConnection>.fromOpaque(context).takeUnretainedValue().walFrames = Int(frames) }
            return SQLITE_OK
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// A PASSIVE checkpoint: copies what no reader still needs, never waits. Another checkpoint running at the same
    /// moment is not a failure (this one is simply skipped).
    func checkpoint() throws {
        var logFrames: Int32 = 0, copied: Int32 = 0
        let rc = sqlite_nio_sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, &logFrames, &copied)
        guard rc == SQLITE_OK || rc == SQLITE_BUSY else { throw failure(rc) }
    }

    private func failure(_ rc: Int32) -> Failure {
        Failure(code: rc, message: handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "closed")
    }

    /// Runs statements without results (PRAGMA answers are stepped over).
    func exec(_ sql: String) throws {
        let stmt = try prepare(sql, persistent: false)
        defer { sqlite_nio_sqlite3_finalize(stmt) }
        var rc = sqlite_nio_sqlite3_step(stmt)
        while rc == SQLITE_ROW { rc = sqlite_nio_sqlite3_step(stmt) }
        guard rc == SQLITE_DONE else { throw failure(rc) }
    }

    private func prepare(_ sql: String, persistent: Bool) throws -> OpaquePointer {
        var stmt: OpaquePointer?
        let rc = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw failure(rc) }
        return stmt
    }

    /// A statement prepared once for the connection's life.
    private func cached(_ sql: String) throws -> OpaquePointer {
        if let stmt = statements[sql] { return stmt }
        let stmt = try prepare(sql, persistent: true)
        statements[sql] = stmt
        return stmt
    }

    private func bind(_ stmt: OpaquePointer, _ values: [ColumnValue]) throws {
        for (i, value) in values.enumerated() {
            let index = Int32(i + 1), rc: Int32
            switch value.sqlite {
            case .text(let text):
                rc = sqlite_nio_sqlite3_bind_text64(stmt, index, text, UInt64(text.utf8.count), Self.transient, UInt8(SQLITE_UTF8))
            case .integer(let n): rc = sqlite_nio_sqlite3_bind_int64(stmt, index, Int64(n))
            case .float(let d): rc = sqlite_nio_sqlite3_bind_double(stmt, index, d)
            case .null: rc = sqlite_nio_sqlite3_bind_null(stmt, index)
            case .blob(let buffer):
                rc = buffer.withUnsafeReadableBytes { sqlite_nio_sqlite3_bind_blob64(stmt, index, $0.baseAddress, UInt64($0.count), Self.transient) }
            }
            guard rc == SQLITE_OK else { throw failure(rc) }
        }
    }

    /// Binds, steps once, resets. Returns the first column of a returned row as an integer, if any.
    @discardableResult
    private func run(_ stmt: OpaquePointer, _ values: [ColumnValue]) throws -> Int64? {
        defer {
            sqlite_nio_sqlite3_reset(stmt)
            sqlite_nio_sqlite3_clear_bindings(stmt)
        }
        try bind(stmt, values)
        let rc = sqlite_nio_sqlite3_step(stmt)
        if rc == SQLITE_ROW { return sqlite_nio_sqlite3_column_int64(stmt, 0) }
        guard rc == SQLITE_DONE else { throw failure(rc) }
        return nil
    }

    private func insert<T: DirectRow>(_ rows: [T], into table: String) throws {
        guard !rows.isEmpty else { return }
        // Keyed by table: the statement's text is built once, not per batch.
        let stmt: OpaquePointer
        if let existing = inserts[table] { stmt = existing } else {
            stmt = try cached("INSERT INTO \(table) (\(T.columns.joined(separator: ", "))) VALUES ("
                              + Array(repeating: "?", count: T.columns.count).joined(separator: ", ") + ")")
            inserts[table] = stmt
        }
        for row in rows { try run(stmt, row.columnValues) }
    }

    /// The intake batch as one transaction: numbers from the yearly counters, then every row. All or nothing.
    func insertCaseBatch(_ items: [(new: CaseStore.NewCase, year: Int)]) throws -> [CaseRow] {
        try inTransaction { try insertRows(items) }
    }

    /// The batch again with a savepoint around each report: a report that fails is rolled back alone.
    func insertEach(_ items: [(new: CaseStore.NewCase, year: Int)]) throws -> [Result<CaseRow, any Error>] {
        try inTransaction {
            try items.map { item in
                try run(cached("SAVEPOINT intake_one"), [])
                do {
                    let row = try insertRows([item])[0]
                    try run(cached("RELEASE intake_one"), [])
                    return .success(row)
                } catch {
                    try run(cached("ROLLBACK TO intake_one"), [])
                    try run(cached("RELEASE intake_one"), [])
                    return .failure(error)
                }
            }
        }
    }

    /// Check-ins in one transaction: every row, then each moved task saved only over the row it was. Returns, per
    /// check-in, whether its task change was saved (true when it had none).
    func writeCheckins(_ items: [CheckinWrite]) throws -> [Bool] {
        try inTransaction {
            try insert(items.map(\.row), into: "checkins")
            let update = try cached("""
                UPDATE work_tasks SET state = ?, started_at = ?, done_at = ?, done_by = ?, note = ?, team_id = ?, user_id = ?, updated_at = ?
                WHERE id = ? AND state = ? AND updated_at = ? RETURNING id
                """)
            return try items.map { item in
                guard let task = item.task, let was = item.was else { return true }
                let row = WorkPlanStore.saved(task, was: was, at: item.row.serverTime)
                return try run(update, [.text(row.state), .of(row.startedAt), .of(row.doneAt), .of(row.doneBy), .of(row.note), .of(row.teamId), .of(row.userId),
                                        .date(row.updatedAt), .uuid(row.id), .text(was.state), .date(was.updatedAt)]) != nil
            }
        }
    }

    private func inTransaction<T>(_ body: () throws -> T) throws -> T {
        try run(cached("BEGIN IMMEDIATE"), [])
        do {
            let value = try body()
            try run(cached("COMMIT"), [])
            return value
        } catch {
            if sqlite_nio_sqlite3_get_autocommit(handle) == 0 { try? exec("ROLLBACK") }
            throw error
        }
    }

    private func insertRows(_ items: [(new: CaseStore.NewCase, year: Int)]) throws -> [CaseRow] {
        var rows = items.map(\.new.row)
        let counter = try cached("INSERT INTO case_counters (year, last) VALUES (?, ?) ON CONFLICT (year) DO UPDATE SET last = case_counters.last + ? RETURNING last")
        for year in Set(items.map(\.year)).sorted() {
            let indices = items.indices.filter { items[$0].year == year }
            guard let last = try run(counter, [.integer(year), .integer(indices.count), .integer(indices.count)]) else {
                throw GroupCommitError.unexpectedResult
            }
            for (k, i) in indices.enumerated() {
                rows[i].number = CaseNumber.format(year: year, sequence: Int(last) - indices.count + 1 + k)
            }
        }
        try insert(rows, into: "cases")
        try insert(items.flatMap(\.new.events), into: "case_events")
        try insert(items.flatMap(\.new.photos), into: "case_photos")
        try insert(items.flatMap(\.new.notifications), into: "notifications")
        try insert(items.compactMap(\.new.resident), into: "resident_reports")
        return rows
    }

    func close() {
        if let handle { sqlite_nio_sqlite3_wal_hook(handle, nil, nil) }
        for stmt in statements.values { sqlite_nio_sqlite3_finalize(stmt) }
        statements = [:]
        inserts = [:]
        if let handle { sqlite_nio_sqlite3_close_v2(handle) }
        handle = nil
    }

    deinit { close() }
}
