import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// A shift as stored.
public struct ShiftRow: Codable, Sendable, Equatable {
    public var id: UUID
    public var rosterId: UUID
    public var orgId: UUID
    public var teamId: UUID
    public var areaId: UUID
    public var areaPath: String
    public var date: String
    public var startsAt: Date
    public var endsAt: Date
    /// Its length (person-hours are summed from it).
    public var minutes: Int
    /// The roster's rule (`every`, `working`, `rest`, or `weekly:1,3,5`), for display.
    public var days: String
    public var note: String?
    public var createdBy: UUID
    public var createdAt: Date
    public var cancelledAt: Date?
    public var cancelledBy: UUID?

    enum CodingKeys: String, CodingKey {
        case id, date, minutes, days, note
        case rosterId = "roster_id", orgId = "org_id", teamId = "team_id", areaId = "area_id", areaPath = "area_path", startsAt = "starts_at"
        case endsAt = "ends_at", createdBy = "created_by", createdAt = "created_at", cancelledAt = "cancelled_at", cancelledBy = "cancelled_by"
    }
}

/// A shift with the people on it.
public struct StoredShift: Sendable, Equatable {
    public var row: ShiftRow
    public var members: [UUID]

    public var rostered: RosteredShift {
        RosteredShift(id: row.id, team: row.teamId, area: row.areaId, start: row.startsAt, end: row.endsAt, members: members)
    }
}

/// What a list of shifts is narrowed to.
public struct ShiftFilter: Sendable {
    /// Shifts starting from `from` (inclusive) before `until`.
    public var from: Date
    public var until: Date
    public var team: UUID?
    public var underPath: String?
    /// Only the shifts this person is on.
    public var person: UUID?
    public var includeCancelled: Bool
    /// The last shift of the page before.
    public var after: ShiftRow?
    public var limit: Int

    public init(from: Date, until: Date, team: UUID? = nil, underPath: String? = nil, person: UUID? = nil, includeCancelled: Bool = false,
                after: ShiftRow? = nil, limit: Int = 200) {
        (self.from, self.until, self.team, self.underPath, self.person, self.includeCancelled, self.after, self.limit)
            = (from, until, team, underPath, person, includeCancelled, after, limit)
    }
}

public struct ShiftStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    public static let notFound = DomainError.notFound(zh: "没有这个班次", en: "no such shift")
    static let encoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)

    static func daysText(_ d: ShiftDays) -> String {
        if case .weekly(let days) = d { return "weekly:" + days.map(String.init).joined(separator: ",") }
        return d.token
    }

    public static func days(_ text: String) -> ShiftDays {
        switch text {
        case "every": return .everyDay
        case "working": return .workingDays
        case "rest": return .restDays
        default:
            let list = text.hasPrefix("weekly:") ? text.dropFirst(7).split(separator: ",").compactMap { Int($0) } : []
            return .weekly(list)
        }
    }

    /// Stores a roster's shifts (one roster id for all of them) with their people.
    public func create(_ t: ShiftTerms, slots: [ShiftSlot], org: UUID, area: Area, by user: UUID, at now: Date) async throws -> [StoredShift] {
        let roster = UUID(), path = Area.encodePath(area.path), days = Self.daysText(t.days)
        let rows = slots.map {
            ShiftRow(id: UUID(), rosterId: roster, orgId: org, teamId: t.team, areaId: t.area, areaPath: path, date: $0.date.description, startsAt: $0.start,
                     endsAt: $0.end, minutes: t.length, days: days, note: t.note, createdBy: user, createdAt: now, cancelledAt: nil, cancelledBy: nil)
        }
        for chunk in stride(from: 0, to: rows.count, by: 100).map({ Array(rows[$0..<min($0 + 100, rows.count)]) }) {
            try await sql.insert(into: "shifts").models(chunk, with: Self.encoder).run()
        }
        let pairs = rows.flatMap { r in t.members.map { (r, $0) } }
        for chunk in stride(from: 0, to: pairs.count, by: 200).map({ Array(pairs[$0..<min($0 + 200, pairs.count)]) }) {
            let insert = sql.insert(into: "shift_members").columns("shift_id", "user_id", "starts_at", "ends_at")
            for (r, person) in chunk { insert.values(SQLBind(r.id), SQLBind(person), SQLBind(r.startsAt), SQLBind(r.endsAt)) }
            try await insert.run()
        }
        return rows.map { StoredShift(row: $0, members: t.members) }
    }

    /// The shifts, not cancelled, that these people hold overlapping `from`..<`until`.
    public func bookings(of people: [UUID], from: Date, until: Date) async throws -> [ShiftBooking] {
        guard !people.isEmpty else { return [] }
        let m = "m", s = "s"
        return try await sql.select().column(SQLColumn("user_id", table: m)).column(SQLColumn("starts_at", table: m)).column(SQLColumn("ends_at", table: m))
            .from(SQLAlias(SQLIdentifier("shift_members"), as: SQLIdentifier(m)))
            .join(SQLAlias(SQLIdentifier("shifts"), as: SQLIdentifier(s)), on: SQLColumn("id", table: s), .equal, SQLColumn("shift_id", table: m))
            .where(SQLColumn("user_id", table: m), .in, SQLBind.group(people))
            // Shifts last at most a day: one day back bounds the index range.
            .where(SQLColumn("starts_at", table: m), .greaterThan, SQLBind(from.addingTimeInterval(-86_400)))
            .where(SQLColumn("starts_at", table: m), .lessThan, SQLBind(until))
            .where(SQLColumn("ends_at", table: m), .greaterThan, SQLBind(from))
            .where(SQLColumn("cancelled_at", table: s), .is, SQLLiteral.null)
            .all().map {
                ShiftBooking(person: try $0.decode(column: "user_id", as: UUID.self), start: try $0.decode(column: "starts_at", as: Date.self),
                             end: try $0.decode(column: "ends_at", as: Date.self))
            }
    }

    /// Narrows a query on `shifts` to the scope (`OperationsAccess.shiftScope`: a department's holds none).
    func scoped(_ q: SQLSelectBuilder, _ scope: OperationsScope, table: String = "shifts") async throws -> Bool {
        switch scope {
        case .all: return true
        case .nothing, .department: return false
        case .steward(let org):
            q.where(SQLColumn("org_id", table: table), .equal, SQLBind(org))
            return true
        case .areas(let roots):
            return try await AreaSubtrees.narrow(q, column: SQLColumn("area_path", table: table), roots: roots, on: sql)
        }
    }

    /// Shifts in scope, by start, a page at a time, with their people.
    public func list(_ scope: OperationsScope, _ f: ShiftFilter) async throws -> [StoredShift] {
        let q = sql.select().column(SQLColumn(SQLLiteral.all, table: SQLIdentifier("shifts"))).from("shifts")
        guard try await narrowed(q, scope, f) else { return [] }
        if let a = f.after {
            q.where { g in
                g.where(SQLColumn("starts_at", table: "shifts"), .greaterThan, SQLBind(a.startsAt))
                    .orWhere { $0.where(SQLColumn("starts_at", table: "shifts"), .equal, SQLBind(a.startsAt)).where(SQLColumn("id", table: "shifts"), .greaterThan, SQLBind(a.id)) }
            }
        }
        let rows = try await q.orderBy(SQLColumn("starts_at", table: "shifts")).orderBy(SQLColumn("id", table: "shifts")).limit(f.limit).all(decoding: ShiftRow.self)
        return try await withMembers(rows)
    }

    public func count(_ scope: OperationsScope, _ f: ShiftFilter) async throws -> Int {
        let q = sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("shifts")
        guard try await narrowed(q, scope, f) else { return 0 }
        return try await q.first()?.decode(column: "n", as: Int.self) ?? 0
    }

    private func narrowed(_ q: SQLSelectBuilder, _ scope: OperationsScope, _ f: ShiftFilter) async throws -> Bool {
        guard try await scoped(q, scope) else { return false }
        q.where(SQLColumn("starts_at", table: "shifts"), .greaterThanOrEqual, SQLBind(f.from)).where(SQLColumn("starts_at", table: "shifts"), .lessThan, SQLBind(f.until))
        if !f.includeCancelled { q.where(SQLColumn("cancelled_at", table: "shifts"), .is, SQLLiteral.null) }
        if let team = f.team { q.where(SQLColumn("team_id", table: "shifts"), .equal, SQLBind(team)) }
        if let p = f.underPath {
            q.where(SQLColumn("area_path", table: "shifts"), .greaterThanOrEqual, SQLBind(p)).where(SQLColumn("area_path", table: "shifts"), .lessThan, SQLBind(p + "\u{FFFF}"))
        }
        if let person = f.person {
            q.join("shift_members", on: SQLColumn("shift_id", table: "shift_members"), .equal, SQLColumn("id", table: "shifts"))
                .where(SQLColumn("user_id", table: "shift_members"), .equal, SQLBind(person))
        }
        return true
    }

    private func withMembers(_ rows: [ShiftRow]) async throws -> [StoredShift] {
        guard !rows.isEmpty else { return [] }
        var members: [UUID: [UUID]] = [:]
        for chunk in stride(from: 0, to: rows.count, by: 500).map({ Array(rows[$0..<min($0 + 500, rows.count)]) }) {
            for r in try await sql.select().column("shift_id").column("user_id").from("shift_members").where("shift_id", .in, chunk.map(\.id)).all() {
                members[try r.decode(column: "shift_id", as: UUID.self), default: []].append(try r.decode(column: "user_id", as: UUID.self))
            }
        }
        return rows.map { StoredShift(row: $0, members: (members[$0.id] ?? []).sorted { $0.uuidString < $1.uuidString }) }
    }

    /// One shift, if in scope; anything else answers as missing.
    public func find(_ id: UUID, _ scope: OperationsScope) async throws -> StoredShift {
        let q = sql.select().column("*").from("shifts").where("id", .equal, id)
        guard try await scoped(q, scope), let row = try await q.first(decoding: ShiftRow.self) else { throw Self.notFound }
        return try await withMembers([row])[0]
    }

    /// The roster's shifts not cancelled that start at or after `from`.
    public func following(roster: UUID, from: Date) async throws -> [ShiftRow] {
        try await sql.select().column("*").from("shifts").where("roster_id", .equal, roster).where("starts_at", .greaterThanOrEqual, from)
            .where("cancelled_at", .is, SQLLiteral.null).orderBy("starts_at").all(decoding: ShiftRow.self)
    }

    /// Cancels shifts that have not started (a shift under way or past stays as it was). Returns how many.
    public func cancel(_ ids: [UUID], by user: UUID, at now: Date) async throws -> Int {
        var n = 0
        for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
            let open = try await sql.select().column("id").from("shifts").where("id", .in, chunk).where("starts_at", .greaterThan, now)
                .where("cancelled_at", .is, SQLLiteral.null).all().map { try $0.decode(column: "id", as: UUID.self) }
            guard !open.isEmpty else { continue }
            try await sql.update("shifts").set("cancelled_at", to: now).set("cancelled_by", to: user).where("id", .in, open).run()
            n += open.count
        }
        return n
    }

    // MARK: What the shift figures read

    /// Per area, the shifts starting from `from` before `until` in scope (not cancelled): how many, the distinct people
    /// on them, and person-hours.
    public func rosteredStaff(_ scope: OperationsScope, from: Date, until: Date) async throws -> [RosteredStaff] {
        let q = sql.select().column(SQLColumn("area_id", table: "shifts"))
            .column(SQLFunction("COUNT", args: SQLDistinct(SQLColumn("id", table: "shifts"))), as: "shifts")
            .column(SQLFunction("COUNT", args: SQLDistinct(SQLColumn("user_id", table: "shift_members"))), as: "people")
            // PostgreSQL sums a bigint as numeric: cast back so both databases answer an integer.
            .column(SQLRaw("CAST(SUM(\"shifts\".\"minutes\") AS BIGINT)"), as: "person_minutes")
            .from("shifts")
            .join("shift_members", on: SQLColumn("shift_id", table: "shift_members"), .equal, SQLColumn("id", table: "shifts"))
        guard try await scoped(q, scope) else { return [] }
        q.where(SQLColumn("starts_at", table: "shifts"), .greaterThanOrEqual, SQLBind(from)).where(SQLColumn("starts_at", table: "shifts"), .lessThan, SQLBind(until))
            .where(SQLColumn("cancelled_at", table: "shifts"), .is, SQLLiteral.null)
            .groupBy(SQLColumn("area_id", table: "shifts"))
        return try await q.all().map {
            let minutes = try $0.decode(column: "person_minutes", as: Int?.self) ?? 0
            return RosteredStaff(area: try $0.decode(column: "area_id", as: UUID.self), shifts: try $0.decode(column: "shifts", as: Int.self),
                                 people: try $0.decode(column: "people", as: Int.self), personHours: (Double(minutes) / 6).rounded() / 10)
        }
    }

    /// Tasks of these teams or people whose window opened, or that these people finished, from `from` before `until`.
    public func shiftTasks(teams: [UUID], people: [UUID], from: Date, until: Date) async throws -> [ShiftTask] {
        guard !teams.isEmpty || !people.isEmpty else { return [] }
        let q = sql.select().column("team_id").column("user_id").column("window_start").column("started_at").column("done_at").column("done_by").from("work_tasks")
            .where("state", .notEqual, WorkTaskState.superseded.rawValue)
            .where { g in
                g.where { w in
                    w.where("window_start", .greaterThanOrEqual, SQLBind(from)).where("window_start", .lessThan, SQLBind(until))
                        .where { who in
                            if !teams.isEmpty { who.orWhere("team_id", .in, teams) }
                            if !people.isEmpty { who.orWhere("user_id", .in, people) }
                            return who
                        }
                }
                if !people.isEmpty {
                    g.orWhere { d in
                        d.where("done_by", .in, people).where("done_at", .greaterThanOrEqual, SQLBind(from)).where("done_at", .lessThan, SQLBind(until))
                    }
                }
                return g
            }
        return try await q.all().map {
            ShiftTask(team: try $0.decode(column: "team_id", as: UUID?.self), person: try $0.decode(column: "user_id", as: UUID?.self),
                      windowStart: try $0.decode(column: "window_start", as: Date.self), startedAt: try $0.decode(column: "started_at", as: Date?.self),
                      doneAt: try $0.decode(column: "done_at", as: Date?.self), doneBy: try $0.decode(column: "done_by", as: UUID?.self))
        }
    }

    /// Cases given to these teams or people from `from` before `until` (the assignment in force).
    public func caseAssignments(teams: [UUID], people: [UUID], from: Date, until: Date) async throws -> [ShiftCaseEvent] {
        guard !teams.isEmpty || !people.isEmpty else { return [] }
        return try await sql.select().column("case_id").column("team_id").column("user_id").column("assigned_at").from("case_assignees")
            .where("assigned_at", .greaterThanOrEqual, SQLBind(from)).where("assigned_at", .lessThan, SQLBind(until))
            .where { who in
                if !teams.isEmpty { who.orWhere("team_id", .in, teams) }
                if !people.isEmpty { who.orWhere("user_id", .in, people) }
                return who
            }
            .all().map {
                ShiftCaseEvent(caseID: try $0.decode(column: "case_id", as: UUID.self), team: try $0.decode(column: "team_id", as: UUID?.self),
                               person: try $0.decode(column: "user_id", as: UUID?.self), at: try $0.decode(column: "assigned_at", as: Date.self))
            }
    }

    /// Steps these people recorded on cases from `from` before `until`.
    public func caseSteps(people: [UUID], from: Date, until: Date) async throws -> [ShiftCaseEvent] {
        guard !people.isEmpty else { return [] }
        return try await sql.select().column("case_id").column("actor_id").column("at").from("case_events")
            .where("actor_id", .in, people).where("at", .greaterThanOrEqual, SQLBind(from)).where("at", .lessThan, SQLBind(until))
            .all().map {
                ShiftCaseEvent(caseID: try $0.decode(column: "case_id", as: UUID.self), team: nil, person: try $0.decode(column: "actor_id", as: UUID?.self),
                               at: try $0.decode(column: "at", as: Date.self))
            }
    }
}
