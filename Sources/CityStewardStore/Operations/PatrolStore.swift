import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// A patrol route as stored, with its checkpoints in order.
public struct PatrolRoute: Sendable, Equatable {
    public var id: UUID
    public var orgId: UUID
    public var areaId: UUID
    public var areaPath: String
    public var name: String
    public var createdAt: Date
    public var checkpoints: [Checkpoint]
}

struct PatrolRouteRow: Codable, Sendable {
    var id: UUID
    var orgId: UUID
    var areaId: UUID
    var areaPath: String
    var name: String
    var createdBy: UUID
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name
        case orgId = "org_id", areaId = "area_id", areaPath = "area_path", createdBy = "created_by", createdAt = "created_at"
    }
}

struct CheckpointRow: Codable, Sendable {
    var id: UUID
    var routeId: UUID
    var code: String
    var name: String
    var lat: Double
    var long: Double
    var radius: Int
    var seq: Int
    var dueWithin: Int?
    var photoRequired: Bool

    enum CodingKeys: String, CodingKey {
        case id, code, name, lat, long, radius, seq
        case routeId = "route_id", dueWithin = "due_within", photoRequired = "photo_required"
    }

    var checkpoint: Checkpoint {
        Checkpoint(id: id, code: code, name: name, position: GeoPoint(lat: lat, long: long), radiusMetres: radius, order: seq, dueWithinMinutes: dueWithin, photoRequired: photoRequired)
    }
}

/// A check-in as stored.
public struct CheckinRow: Codable, Sendable, Equatable {
    public var id: UUID
    public var checkpointId: UUID
    public var routeId: UUID
    public var orgId: UUID
    public var areaPath: String
    public var taskId: UUID?
    public var userId: UUID
    public var serverTime: Date
    public var deviceTime: Date?
    public var lat: Double?
    public var long: Double?
    public var accuracy: Double?
    /// Comma-separated `CheckinFlag`s; empty when nothing looked wrong.
    public var flags: String
    public var idempotencyKey: String?
    /// The photo taken with the scan: its content hash and file extension (`<sha256>.jpg`).
    public var photo: String?

    enum CodingKeys: String, CodingKey {
        case id, lat, long, accuracy, flags, photo
        case checkpointId = "checkpoint_id", routeId = "route_id", orgId = "org_id", areaPath = "area_path", taskId = "task_id", userId = "user_id"
        case serverTime = "server_time", deviceTime = "device_time", idempotencyKey = "idempotency_key"
    }

    public var flagSet: Set<CheckinFlag> { Set(flags.split(separator: ",").compactMap { CheckinFlag(rawValue: String($0)) }) }
    public var position: GeoPoint? { lat.flatMap { la in long.map { GeoPoint(lat: la, long: $0) } } }
    public var recorded: RecordedCheckin { RecordedCheckin(checkpointID: checkpointId, position: position, serverTime: serverTime) }
}

/// A check-in to store: where and when, by whom, in which round, with its flags.
public struct NewCheckin: Sendable {
    public var checkpoint: Checkpoint
    public var route: PatrolRoute
    public var task: UUID?
    public var user: UUID
    public var report: CheckinReport
    public var flags: Set<CheckinFlag>
    public var idempotencyKey: String?
    public var photo: String?

    public init(checkpoint: Checkpoint, route: PatrolRoute, task: UUID?, user: UUID, report: CheckinReport, flags: Set<CheckinFlag>, idempotencyKey: String?,
                photo: String? = nil) {
        (self.checkpoint, self.route, self.task, self.user, self.report, self.flags, self.idempotencyKey) = (checkpoint, route, task, user, report, flags, idempotencyKey)
        self.photo = photo
    }

    /// The row it becomes, recorded at `now`.
    public func row(at now: Date) -> CheckinRow {
        CheckinRow(id: UUID(), checkpointId: checkpoint.id, routeId: route.id, orgId: route.orgId, areaPath: route.areaPath, taskId: task, userId: user,
                   serverTime: now, deviceTime: report.deviceTime, lat: report.position?.lat, long: report.position?.long, accuracy: report.accuracy,
                   flags: flags.sorted().map(\.rawValue).joined(separator: ","), idempotencyKey: idempotencyKey, photo: photo)
    }
}

extension CheckinRow: DirectRow {
    /// In the order its Codable form binds them (`CodingKeys`).
    public static let columns = ["id", "lat", "long", "accuracy", "flags", "photo", "checkpoint_id", "route_id", "org_id", "area_path", "task_id", "user_id",
                                 "server_time", "device_time", "idempotency_key"]

    public var columnValues: [ColumnValue] {
        [.uuid(id), .of(lat), .of(long), .of(accuracy), .text(flags), .of(photo), .uuid(checkpointId), .uuid(routeId), .uuid(orgId), .text(areaPath),
         .of(taskId), .uuid(userId), .date(serverTime), .of(deviceTime), .of(idempotencyKey)]
    }
}

/// A check-in to write in a batch, with its round's task when the scan moved it (saved only over the row it was).
public struct CheckinWrite: Sendable {
    public var row: CheckinRow
    public var task: WorkTask?
    public var was: WorkTaskRow?

    public init(row: CheckinRow, task: WorkTask?, was: WorkTaskRow?) {
        (self.row, self.task, self.was) = (row, task, was)
    }
}

public struct PatrolStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    public static let routeNotFound = DomainError.notFound(zh: "没有这条巡更路线", en: "no such patrol route")
    public static let checkpointNotFound = DomainError.notFound(zh: "没有这个巡更点", en: "no such checkpoint")
    static let encoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)

    public func create(_ t: PatrolRouteTerms, org: UUID, area: Area, by user: UUID, at now: Date) async throws -> PatrolRoute {
        let row = PatrolRouteRow(id: UUID(), orgId: org, areaId: area.id, areaPath: Area.encodePath(area.path), name: t.name, createdBy: user, createdAt: now)
        try await sql.insert(into: "patrol_routes").model(row, with: Self.encoder).run()
        let points = t.checkpoints.map {
            CheckpointRow(id: $0.id, routeId: row.id, code: $0.code, name: $0.name, lat: $0.position.lat, long: $0.position.long, radius: $0.radiusMetres,
                          seq: $0.order, dueWithin: $0.dueWithinMinutes, photoRequired: $0.photoRequired)
        }
        for chunk in stride(from: 0, to: points.count, by: 100).map({ Array(points[$0..<min($0 + 100, points.count)]) }) {
            try await sql.insert(into: "checkpoints").models(chunk, with: Self.encoder).run()
        }
        return PatrolRoute(id: row.id, orgId: org, areaId: area.id, areaPath: row.areaPath, name: t.name, createdAt: now, checkpoints: t.checkpoints)
    }

    private func withCheckpoints(_ rows: [PatrolRouteRow]) async throws -> [PatrolRoute] {
        guard !rows.isEmpty else { return [] }
        var points: [UUID: [Checkpoint]] = [:]
        for chunk in stride(from: 0, to: rows.count, by: 500).map({ Array(rows[$0..<min($0 + 500, rows.count)]) }) {
            for p in try await sql.select().column("*").from("checkpoints").where("route_id", .in, chunk.map(\.id)).orderBy("seq").all(decoding: CheckpointRow.self) {
                points[p.routeId, default: []].append(p.checkpoint)
            }
        }
        return rows.map { PatrolRoute(id: $0.id, orgId: $0.orgId, areaId: $0.areaId, areaPath: $0.areaPath, name: $0.name, createdAt: $0.createdAt, checkpoints: points[$0.id] ?? []) }
    }

    /// The routes in scope, by village and name.
    public func routes(_ scope: OperationsScope) async throws -> [PatrolRoute] {
        let q = sql.select().column("*").from("patrol_routes")
        switch scope {
        case .all: break
        case .nothing, .department: return []   // routes are the steward's own work, done under no matter
        case .steward(let org): q.where("org_id", .equal, org)
        case .areas:
            guard try await WorkPlanStore(db: db).scoped(q, scope) else { return [] }
        }
        return try await withCheckpoints(q.orderBy("area_path").orderBy("name").limit(5_000).all(decoding: PatrolRouteRow.self))
    }

    public func route(_ id: UUID, _ scope: OperationsScope) async throws -> PatrolRoute {
        guard let found = try await routes(scope).first(where: { $0.id == id }) else { throw Self.routeNotFound }
        return found
    }

    /// The route a checkpoint's code belongs to, and the checkpoint.
    public func checkpoint(code: String) async throws -> (PatrolRoute, Checkpoint)? {
        guard let point = try await sql.select().column("*").from("checkpoints").where("code", .equal, code).first(decoding: CheckpointRow.self),
              let row = try await sql.select().column("*").from("patrol_routes").where("id", .equal, point.routeId).first(decoding: PatrolRouteRow.self),
              let route = try await withCheckpoints([row]).first else { return nil }
        return (route, point.checkpoint)
    }

    public func checkin(_ id: UUID) async throws -> CheckinRow? {
        try await sql.select().column("*").from("checkins").where("id", .equal, id).first(decoding: CheckinRow.self)
    }

    public func checkin(idempotencyKey: String) async throws -> CheckinRow? {
        try await sql.select().column("*").from("checkins").where("idempotency_key", .equal, idempotencyKey).first(decoding: CheckinRow.self)
    }

    /// A round's check-ins in the order made.
    public func checkins(task: UUID) async throws -> [CheckinRow] {
        try await sql.select().column("*").from("checkins").where("task_id", .equal, task).orderBy("server_time").orderBy("id").all(decoding: CheckinRow.self)
    }

    /// What judging the next scan of a round needs: its last check-in, the checkpoints it visited and how many of its
    /// check-ins were flagged — one read of the round's few columns through its index.
    public func roundState(task: UUID) async throws -> RoundState {
        var state = RoundState()
        for row in try await sql.raw("SELECT checkpoint_id, server_time, lat, long, flags FROM checkins WHERE task_id = \(bind: task) ORDER BY server_time, id").all() {
            let point = try row.decode(column: "checkpoint_id", as: UUID.self)
            let (lat, long) = (try row.decode(column: "lat", as: Double?.self), try row.decode(column: "long", as: Double?.self))
            state.last = RecordedCheckin(checkpointID: point, position: lat.flatMap { la in long.map { GeoPoint(lat: la, long: $0) } },
                                         serverTime: try row.decode(column: "server_time", as: Date.self))
            state.visited.insert(point)
            if try row.decode(column: "flags", as: String.self) != "" { state.flagged += 1 }
        }
        return state
    }

    /// Check-ins of many rounds, by round.
    public func checkins(tasks: [UUID]) async throws -> [UUID: [CheckinRow]] {
        var out: [UUID: [CheckinRow]] = [:]
        for chunk in stride(from: 0, to: tasks.count, by: 500).map({ Array(tasks[$0..<min($0 + 500, tasks.count)]) }) where !chunk.isEmpty {
            for row in try await sql.select().column("*").from("checkins").where("task_id", .in, chunk).orderBy("server_time").all(decoding: CheckinRow.self) {
                out[row.taskId!, default: []].append(row)
            }
        }
        return out
    }

    /// The latest check-ins at a route (newest first), flagged only if asked.
    public func recent(route: UUID, flaggedOnly: Bool = false, limit: Int = 50) async throws -> [CheckinRow] {
        let q = sql.select().column("*").from("checkins").where("route_id", .equal, route)
        if flaggedOnly { q.where("flags", .notEqual, "") }
        return try await q.orderBy("server_time", .descending).limit(limit).all(decoding: CheckinRow.self)
    }

    public func insert(_ c: NewCheckin, at now: Date) async throws -> CheckinRow {
        let row = c.row(at: now)
        try await sql.insert(into: "checkins").model(row, with: Self.encoder).run()
        return row
    }

    /// Flagged check-ins and all check-ins in scope from `from`, by village: for the oversight figures.
    public func checkinTallies(_ scope: OperationsScope, since: Date) async throws -> [(areaPath: String, total: Int, flagged: Int)] {
        let q = sql.select().column("area_path").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .column(SQLFunction("SUM", args: SQLRaw("CASE WHEN flags <> '' THEN 1 ELSE 0 END")), as: "flagged").from("checkins")
        switch scope {
        case .all: break
        case .nothing, .department: return []
        case .steward(let org): q.where("org_id", .equal, org)
        case .areas: guard try await WorkPlanStore(db: db).scoped(q, scope) else { return [] }
        }
        return try await q.where("server_time", .greaterThanOrEqual, since).groupBy("area_path").all().map {
            (try $0.decode(column: "area_path", as: String.self), try $0.decode(column: "n", as: Int.self), try $0.decode(column: "flagged", as: Int?.self) ?? 0)
        }
    }

    /// Per round: the distinct checkpoints scanned, the check-ins and the flagged ones.
    public func roundTallies(tasks: [UUID]) async throws -> [UUID: (visited: Int, checkins: Int, flagged: Int)] {
        var out: [UUID: (visited: Int, checkins: Int, flagged: Int)] = [:]
        for chunk in stride(from: 0, to: tasks.count, by: 500).map({ Array(tasks[$0..<min($0 + 500, tasks.count)]) }) where !chunk.isEmpty {
            let rows = try await sql.select().column("task_id")
                .column(SQLFunction("COUNT", args: SQLDistinct(SQLIdentifier("checkpoint_id"))), as: "visited")
                .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                .column(SQLFunction("SUM", args: SQLRaw("CASE WHEN flags <> '' THEN 1 ELSE 0 END")), as: "flagged")
                .from("checkins").where("task_id", .in, chunk).groupBy("task_id").all()
            for row in rows {
                out[try row.decode(column: "task_id", as: UUID.self)] = (try row.decode(column: "visited", as: Int.self), try row.decode(column: "n", as: Int.self),
                                                                         try row.decode(column: "flagged", as: Int?.self) ?? 0)
            }
        }
        return out
    }

    /// How many checkpoints each route has.
    public func checkpointCounts(routes: [UUID]) async throws -> [UUID: Int] {
        guard !routes.isEmpty else { return [:] }
        var out: [UUID: Int] = [:]
        for row in try await sql.select().column("route_id").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("checkpoints")
            .where("route_id", .in, routes).groupBy("route_id").all() {
            out[try row.decode(column: "route_id", as: UUID.self)] = try row.decode(column: "n", as: Int.self)
        }
        return out
    }
}

extension PatrolStore {
    /// Writes a batch of check-ins: one multi-row INSERT, then each moved task saved only over the row it was (state
    /// and time of change unchanged since). Returns, per check-in, whether its task change was saved (true when it
    /// had none): false means someone else changed the task first.
    public static func write(_ items: [CheckinWrite], on sql: any SQLDatabase) async throws -> [Bool] {
        // 15 columns: 500 rows a statement stays well inside both databases' limits on bound values.
        for chunk in stride(from: 0, to: items.count, by: 500) {
            try await FastSQL.insert(items[chunk..<min(items.count, chunk + 500)].map(\.row), on: sql, into: "checkins")
        }
        var saved: [Bool] = []
        for item in items {
            guard let task = item.task, let was = item.was else {
                saved.append(true)
                continue
            }
            let row = WorkPlanStore.saved(task, was: was, at: item.row.serverTime)
            let done = try await sql.raw("""
                UPDATE work_tasks SET state = \(bind: row.state), started_at = \(bind: row.startedAt), done_at = \(bind: row.doneAt), done_by = \(bind: row.doneBy),
                note = \(bind: row.note), team_id = \(bind: row.teamId), user_id = \(bind: row.userId), updated_at = \(bind: row.updatedAt)
                WHERE id = \(bind: row.id) AND state = \(bind: was.state) AND updated_at = \(bind: was.updatedAt) RETURNING id
                """).first()
            saved.append(done != nil)
        }
        return saved
    }
}
