import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// Reads and writes cases, their events, photos and notifications. Every list takes the caller's `CaseScope`; a
/// single case outside it is reported as not found.
public struct CaseStore: Sendable {
    let db: any Database

    public init(db: any Database) {
        self.db = db
    }

    var sql: any SQLDatabase { db as! any SQLDatabase }

    public static let notFound = DomainError.notFound(zh: "找不到该案件", en: "case not found")

    /// For the taxonomy tables (snake_case conversion).
    static let encoder = SQLQueryEncoder(keyEncodingStrategy: .convertToSnakeCase, nilEncodingStrategy: .asNil)
    static let decoder = SQLRowDecoder(keyDecodingStrategy: .convertFromSnakeCase)
    /// For the case tables, whose rows spell their column names (CodingKeys).
    static let rowEncoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)
    static let rowDecoder = SQLRowDecoder()

    // MARK: Intake

    /// What one intake writes, all in one transaction (run through the `GroupCommitter`).
    public struct NewCase: Sendable {
        public var row: CaseRow
        public var events: [CaseEventRow]
        public var photos: [CasePhotoRow]
        public var notifications: [NotificationRow]
        /// A resident's follow-up (tracking link, phone) when the report came through the portal or Open311.
        public var resident: ResidentReportRow?

        public init(row: CaseRow, events: [CaseEventRow], photos: [CasePhotoRow], notifications: [NotificationRow],
                    resident: ResidentReportRow? = nil) {
            self.row = row
            self.events = events
            self.photos = photos
            self.notifications = notifications
            self.resident = resident
        }
    }

    /// A case already created with this idempotency key (a form posted twice).
    public func find(idempotencyKey: String) async throws -> CaseRow? {
        try await sql.select().column("*").from("cases").where("idempotency_key", .equal, idempotencyKey).first(decoding: CaseRow.self, with: Self.rowDecoder)
    }

    /// What the in-memory duplicate index needs of a recent case.
    public struct RecentCase: Sendable {
        public var id: UUID
        public var number: String
        public var categoryCode: String
        public var position: GeoPoint
        public var reportedAt: Date
    }

    /// Cases reported since a time (not rejected), for the duplicate index.
    public func recent(since: Date, limit: Int = 200_000) async throws -> [RecentCase] {
        try await recent(sql.raw("""
            SELECT id, number, category_code, lat, long, reported_at FROM cases
            WHERE reported_at >= \(bind: since) AND state <> 'rejected' ORDER BY reported_at LIMIT \(literal: limit)
            """))
    }

    /// Cases (not rejected, reported since a time) whose numbers lie in a range of one year and one width (see
    /// `CaseNumber.textRanges`): what other writers stored between numbers this instance knows of.
    public func recent(numbersFrom from: String, to: String, length: Int, since: Date) async throws -> [RecentCase] {
        try await recent(sql.raw("""
            SELECT id, number, category_code, lat, long, reported_at FROM cases
            WHERE number >= \(bind: from) AND number <= \(bind: to) AND length(number) = \(bind: length)
            AND reported_at >= \(bind: since) AND state <> 'rejected'
            """))
    }

    private func recent(_ query: SQLRawBuilder) async throws -> [RecentCase] {
        try await query.all().map { row in
            RecentCase(id: try row.decode(column: "id", as: UUID.self), number: try row.decode(column: "number", as: String.self),
                       categoryCode: try row.decode(column: "category_code", as: String.self),
                       position: GeoPoint(lat: try row.decode(column: "lat", as: Double.self), long: try row.decode(column: "long", as: Double.self)),
                       reportedAt: try row.decode(column: "reported_at", as: Date.self))
        }
    }

    /// The last case number given out per year (the yearly sequences' high-water marks).
    public func numberCounters() async throws -> [Int: Int] {
        var out: [Int: Int] = [:]
        for row in try await sql.raw("SELECT year, last FROM case_counters").all() {
            out[try row.decode(column: "year", as: Int.self)] = try row.decode(column: "last", as: Int.self)
        }
        return out
    }

    // MARK: Reading

    func scoped(_ query: SQLSelectBuilder, _ scope: CaseScope) async throws -> Bool {
        switch scope {
        case .everything:
            return true
        case .limited(let areas, let orgs, let departments, let reporter):
            var prefixes: [String] = []
            if !areas.isEmpty {
                prefixes = try await sql.select().column("path").from("areas").where("id", .in, areas)
                    .all(decodingColumn: "path", as: String.self)
            }
            guard !prefixes.isEmpty || !orgs.isEmpty || !departments.isEmpty || reporter != nil else { return false }
            query.where { group in
                for prefix in prefixes { group.orWhere { Self.subtree($0, prefix) } }
                if !orgs.isEmpty { group.orWhere("responsible_id", .in, orgs) }
                if !departments.isEmpty { group.orWhere("owner_department_id", .in, departments) }
                if let reporter { group.orWhere("reporter_id", .equal, reporter) }
                return group
            }
            return true
        }
    }

    /// Cases under the area whose path is `prefix` ("/id/…/id/"), as a range on `area_path` so the index serves it
    /// on both databases (SQLite's LIKE is case-insensitive and cannot use a plain index). Paths hold only hex
    /// digits, "-" and "/", and every id has the same length, so "/…/id/" ≤ path < "/…/id0" is exactly the subtree.
    static func subtree(_ group: SQLPredicateGroupBuilder, _ prefix: String) -> SQLPredicateGroupBuilder {
        group.where("area_path", .greaterThanOrEqual, prefix).where("area_path", .lessThan, String(prefix.dropLast()) + "0")
    }

    /// A case's step, with its case's number (the Open311 change feed).
    public struct EventWithCase: Sendable {
        public var event: CaseEventRow
        public var number: String
    }

    /// Steps taken in a time window across all cases (oldest first), for peers that sync updates.
    public func events(from start: Date, to end: Date, limit: Int) async throws -> [EventWithCase] {
        let rows = try await sql.select().column(SQLColumn(SQLLiteral.all, table: SQLIdentifier("e"))).column(SQLColumn("number", table: "c"))
            .from(SQLAlias(SQLIdentifier("case_events"), as: SQLIdentifier("e")))
            .join(SQLAlias(SQLIdentifier("cases"), as: SQLIdentifier("c")), method: SQLJoinMethod.inner,
                  on: SQLColumn("case_id", table: "e"), .equal, SQLColumn("id", table: "c"))
            .where(SQLColumn("at", table: "e"), .greaterThanOrEqual, SQLBind(start))
            .where(SQLColumn("at", table: "e"), .lessThan, SQLBind(end))
            .orderBy(SQLColumn("at", table: "e")).orderBy(SQLColumn("seq", table: "e")).limit(limit).all()
        return try rows.map {
            EventWithCase(event: try $0.decode(model: CaseEventRow.self, with: Self.rowDecoder), number: try $0.decode(column: "number", as: String.self))
        }
    }

    /// One case, if it exists and is in scope (nil scope: no check, for internal use).
    public func find(_ id: UUID, scope: CaseScope?) async throws -> CaseRow {
        let query = sql.select().column("*").from("cases").where("id", .equal, id)
        if let scope { guard try await scoped(query, scope) else { throw Self.notFound } }
        guard let row = try await query.first(decoding: CaseRow.self, with: Self.rowDecoder) else { throw Self.notFound }
        return row
    }

    public func find(number: String, scope: CaseScope?) async throws -> CaseRow {
        let query = sql.select().column("*").from("cases").where("number", .equal, number)
        if let scope { guard try await scoped(query, scope) else { throw Self.notFound } }
        guard let row = try await query.first(decoding: CaseRow.self, with: Self.rowDecoder) else { throw Self.notFound }
        return row
    }

    public func events(of caseID: UUID) async throws -> [CaseEventRow] {
        try await sql.select().column("*").from("case_events").where("case_id", .equal, caseID).orderBy("seq")
            .all(decoding: CaseEventRow.self, with: Self.rowDecoder)
    }

    /// The steps of many cases (a list's notes), by case, in order: a query per 500 cases, not one per case.
    public func events(of caseIDs: [UUID]) async throws -> [UUID: [CaseEventRow]] {
        try await rows(of: caseIDs, in: "case_events", orderedBy: ["case_id", "seq"], as: CaseEventRow.self, \.caseId)
    }

    /// The photos of many cases, by case.
    public func photos(of caseIDs: [UUID]) async throws -> [UUID: [CasePhotoRow]] {
        try await rows(of: caseIDs, in: "case_photos", orderedBy: ["event_seq", "created_at"], as: CasePhotoRow.self, \.caseId)
    }

    private func rows<Row: Decodable>(of caseIDs: [UUID], in table: String, orderedBy order: [String], as _: Row.Type,
                                      _ caseID: KeyPath<Row, UUID>) async throws -> [UUID: [Row]] {
        var out: [UUID: [Row]] = [:]
        for chunk in stride(from: 0, to: caseIDs.count, by: 500) {
            let query = sql.select().column("*").from(table).where("case_id", .in, Array(caseIDs[chunk..<min(caseIDs.count, chunk + 500)]))
            for column in order { query.orderBy(column) }
            for row in try await query.all(decoding: Row.self, with: Self.rowDecoder) { out[row[keyPath: caseID], default: []].append(row) }
        }
        return out
    }

    public func photos(of caseID: UUID) async throws -> [CasePhotoRow] {
        try await sql.select().column("*").from("case_photos").where("case_id", .equal, caseID).orderBy("event_seq").orderBy("created_at")
            .all(decoding: CasePhotoRow.self, with: Self.rowDecoder)
    }

    /// The photo stored under `hash` (original or public copy) and the case it belongs to.
    public func photo(hash: String) async throws -> CasePhotoRow? {
        try await sql.select().column("*").from("case_photos")
            .where { $0.orWhere("hash", .equal, hash).orWhere("public_hash", .equal, hash) }
            .first(decoding: CasePhotoRow.self, with: Self.rowDecoder)
    }

    /// Whether any stored photo still refers to this file (content-hash names are shared between cases).
    public func photoFileInUse(_ hash: String) async throws -> Bool {
        try await photo(hash: hash) != nil
    }

    /// Refreshes the planner's statistics after a bulk change (SQLite's ANALYZE, PostgreSQL's ANALYZE), so it
    /// knows how selective each index is.
    public func refreshStatistics() async throws {
        // The case tables only: statistics taken of other tables while they are small (a new district, the demo) would
        // steer their queries wrong once they grow (measured: a person's task list 4× slower after the demo's ANALYZE).
        if sql.dialect.name == "sqlite" {
            for table in ["cases", "case_events", "notifications"] { try await sql.raw("ANALYZE \(ident: table)").run() }
        } else {
            try await sql.raw("ANALYZE cases, case_events, notifications").run()
        }
    }

    // MARK: Transitions

    /// Writes a case's new state if nobody changed it since `expectedRevision` was read; false when someone else won.
    /// The event row, photos and notifications go in the same transaction.
    /// `also` runs last in the same transaction (a resident's rating or reopening count); throwing rolls everything back.
    public func update(_ row: CaseRow, expectedRevision: Int, event: CaseEventRow?, photos: [CasePhotoRow] = [],
                       notifications: [NotificationRow] = [],
                       also: (@Sendable (any SQLDatabase) async throws -> Void)? = nil) async throws -> Bool {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            var next = row
            next.revision = expectedRevision + 1
            let updated = try await sql.update("cases").set(model: next, with: Self.rowEncoder)
                .where("id", .equal, row.id).where("revision", .equal, expectedRevision)
                .returning("id").all()
            guard updated.count == 1 else { return false }
            if let event { try await sql.insert(into: "case_events").model(event, with: Self.rowEncoder).run() }
            if !photos.isEmpty { try await sql.insert(into: "case_photos").models(photos, with: Self.rowEncoder).run() }
            if !notifications.isEmpty { try await sql.insert(into: "notifications").models(notifications, with: Self.rowEncoder).run() }
            try await also?(sql)
            return true
        }
    }

    public func nextEventSeq(of caseID: UUID) async throws -> Int {
        let max = try await sql.select().column(SQLFunction("MAX", args: SQLColumn("seq")), as: "m").from("case_events")
            .where("case_id", .equal, caseID).first(decodingColumn: "m", as: Int?.self) ?? nil
        return (max ?? 0) + 1
    }

    /// Open cases whose current step is due before `now` and not yet escalated to `level`.
    public func overdue(now: Date, belowLevel level: Int, limit: Int = 500) async throws -> [CaseRow] {
        try await sql.select().column("*").from("cases")
            .where("state", .in, CaseState.open.filter { $0 != .suspended }.map(\.rawValue))
            .where("step_due", .lessThan, now)
            .where("escalation", .lessThan, level)
            .orderBy("step_due").limit(limit)
            .all(decoding: CaseRow.self, with: Self.rowDecoder)
    }

    // MARK: Notifications (outbox)

    /// The newest notifications for an organisation or a user: each read through its own index (organisation,
    /// time; user, time) and merged, as an OR over both would gather all of an organisation's rows to sort them.
    public func notifications(orgID: UUID?, userID: UUID?, limit: Int = 50) async throws -> [NotificationRow] {
        var rows: [NotificationRow] = []
        for (column, id) in [("org_id", orgID), ("user_id", userID)] {
            guard let id else { continue }
            rows += try await sql.select().column("*").from("notifications").where(SQLIdentifier(column), .equal, SQLBind(id))
                .orderBy("created_at", .descending).limit(limit).all(decoding: NotificationRow.self, with: Self.rowDecoder)
        }
        var seen = Set<UUID>()
        return rows.filter { seen.insert($0.id).inserted }.sorted { $0.createdAt > $1.createdAt }.prefix(limit).map { $0 }
    }

    /// Notices outside a case's own change (a case given to a team or a person).
    public func addNotifications(_ rows: [NotificationRow]) async throws {
        guard !rows.isEmpty else { return }
        try await sql.insert(into: "notifications").models(rows, with: Self.rowEncoder).run()
    }

    /// Which of `ids` the user has read.
    public func readNotifications(user: UUID, among ids: [UUID]) async throws -> Set<UUID> {
        guard !ids.isEmpty else { return [] }
        return Set(try await sql.select().column("notification_id").from("notification_reads").where("user_id", .equal, user)
            .where("notification_id", .in, ids).all().map { try $0.decode(column: "notification_id", as: UUID.self) })
    }

    /// Marks notifications read by the user (again: no change).
    public func markNotificationsRead(user: UUID, ids: [UUID], at now: Date) async throws {
        guard !ids.isEmpty else { return }
        let insert = sql.insert(into: "notification_reads").columns("notification_id", "user_id", "read_at")
        for id in Set(ids) { insert.values(SQLBind(id), SQLBind(user), SQLBind(now)) }
        try await insert.ignoringConflicts(with: ["user_id", "notification_id"]).run()
    }

    /// Outbox rows not yet handed to a notifier, oldest first, skipping those that failed `maxAttempts` times.
    public func unsentNotifications(limit: Int = 100, maxAttempts: Int = 10) async throws -> [NotificationRow] {
        try await sql.select().column("*").from("notifications").where("sent_at", .is, SQLLiteral.null)
            .where("attempts", .lessThan, maxAttempts).orderBy("created_at").limit(limit)
            .all(decoding: NotificationRow.self, with: Self.rowDecoder)
    }

    public func markSent(_ id: UUID, at: Date, channel: String) async throws {
        try await sql.update("notifications").set("sent_at", to: at).set("channel", to: channel).set(SQLIdentifier("attempts"), to: SQLRaw("attempts + 1"))
            .where("id", .equal, id).run()
    }

    public func markFailed(_ id: UUID) async throws {
        try await sql.update("notifications").set(SQLIdentifier("attempts"), to: SQLRaw("attempts + 1")).where("id", .equal, id).run()
    }
}

/// A lease on a named periodic job, so one app instance among several runs it at a time.
public struct JobLeases: Sendable {
    let db: any Database

    public init(db: any Database) {
        self.db = db
    }

    /// Takes or renews the lease for `ttl` if it is free, expired, or already ours. True when we hold it.
    public func acquire(_ name: String, holder: String, ttl: TimeInterval, now: Date) async throws -> Bool {
        let sql = db as! any SQLDatabase
        let expires = now.addingTimeInterval(ttl)
        // Insert if absent; otherwise take it over only when expired or ours. One statement, so two instances
        // racing cannot both win.
        let rows = try await LockContention.retrying {
            try await sql.raw("""
                INSERT INTO job_leases (name, holder, expires_at) VALUES (\(bind: name), \(bind: holder), \(bind: expires))
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                WHERE job_leases.expires_at < \(bind: now) OR job_leases.holder = excluded.holder
                RETURNING holder
                """).all()
        }
        return rows.count == 1
    }

    public func release(_ name: String, holder: String) async throws {
        let sql = db as! any SQLDatabase
        try await sql.delete(from: "job_leases").where("name", .equal, name).where("holder", .equal, holder).run()
    }

    public func recordRun(_ name: String, at: Date) async throws {
        let sql = db as! any SQLDatabase
        try await sql.update("job_leases").set("last_run_at", to: at).where("name", .equal, name).run()
    }
}
