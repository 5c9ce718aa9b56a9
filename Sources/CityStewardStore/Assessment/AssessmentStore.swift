import CityStewardCore
import FluentKit
import Foundation
import SQLKit

public struct AssessmentPlanRow: Codable, Sendable, Equatable {
    public var id: UUID
    public var year: Int
    public var name: String
    public var version: Int
    public var publishedAt: Date?
    public var publishedBy: UUID?
    public var createdBy: UUID
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, year, name, version
        case publishedAt = "published_at", publishedBy = "published_by", createdBy = "created_by", createdAt = "created_at", updatedAt = "updated_at"
    }
}

/// One version of a plan's method, as made.
public struct AssessmentPlanVersion: Sendable, Equatable {
    public var number: Int
    public var name: String
    public var method: AssessmentMethod
    public var reason: String?
    public var createdBy: UUID
    public var createdAt: Date
}

struct AssessmentPlanVersionRow: Codable, Sendable {
    var id: UUID
    var planId: UUID
    var number: Int
    var name: String
    var method: String
    var reason: String?
    var createdBy: UUID
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, number, name, method, reason
        case planId = "plan_id", createdBy = "created_by", createdAt = "created_at"
    }
}

public struct AssessmentStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }
    /// The SQLite file, when the database is one: the scores then walk it directly (`SQLiteCaseScan`).
    let sqliteFile: String?

    public init(db: any Database, location: DatabaseLocation? = nil) {
        self.db = db
        if case .sqliteFile(let path) = location { sqliteFile = path } else { sqliteFile = nil }
    }

    public static let notFound = DomainError.notFound(zh: "没有这个考核方案", en: "no such assessment plan")
    static let encoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)
    static let methodEncoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return e
    }()

    public func create(_ t: AssessmentPlanTerms, by user: UUID, at now: Date) async throws -> AssessmentPlanRow {
        let row = AssessmentPlanRow(id: UUID(), year: t.year, name: t.name, version: 1, publishedAt: nil, publishedBy: nil, createdBy: user, createdAt: now, updatedAt: now)
        try await sql.insert(into: "assessment_plans").model(row, with: Self.encoder).run()
        try await insertVersion(row.id, number: 1, t, reason: nil, by: user, at: now)
        return row
    }

    private func insertVersion(_ plan: UUID, number: Int, _ t: AssessmentPlanTerms, reason: String?, by user: UUID, at now: Date) async throws {
        let method = String(decoding: try Self.methodEncoder.encode(t.method), as: UTF8.self)
        let row = AssessmentPlanVersionRow(id: UUID(), planId: plan, number: number, name: t.name, method: method, reason: reason, createdBy: user, createdAt: now)
        try await sql.insert(into: "assessment_plan_versions").model(row, with: Self.encoder).run()
    }

    /// A new version of the plan's name and method; the year stays.
    public func change(_ plan: AssessmentPlanRow, to t: AssessmentPlanTerms, reason: String?, by user: UUID, at now: Date) async throws -> AssessmentPlanRow {
        let number = plan.version + 1
        try await insertVersion(plan.id, number: number, t, reason: reason, by: user, at: now)
        try await sql.update("assessment_plans").set("version", to: number).set("name", to: t.name).set("updated_at", to: now).where("id", .equal, plan.id).run()
        var row = plan
        (row.version, row.name, row.updatedAt) = (number, t.name, now)
        return row
    }

    public func publish(_ plan: AssessmentPlanRow, by user: UUID, at now: Date) async throws -> AssessmentPlanRow {
        try await sql.update("assessment_plans").set("published_at", to: now).set("published_by", to: user).set("updated_at", to: now)
            .where("id", .equal, plan.id).run()
        var row = plan
        (row.publishedAt, row.publishedBy, row.updatedAt) = (now, user, now)
        return row
    }

    /// Plans by year (newest first); drafts only when asked for.
    public func list(drafts: Bool) async throws -> [AssessmentPlanRow] {
        let q = sql.select().column("*").from("assessment_plans")
        if !drafts { q.where("published_at", .isNot, SQLLiteral.null) }
        return try await q.orderBy("year", .descending).orderBy("created_at", .descending).all(decoding: AssessmentPlanRow.self)
    }

    public func find(_ id: UUID, drafts: Bool) async throws -> AssessmentPlanRow {
        let q = sql.select().column("*").from("assessment_plans").where("id", .equal, id)
        if !drafts { q.where("published_at", .isNot, SQLLiteral.null) }
        guard let row = try await q.first(decoding: AssessmentPlanRow.self) else { throw Self.notFound }
        return row
    }

    public func versions(_ plan: UUID) async throws -> [AssessmentPlanVersion] {
        try await sql.select().column("*").from("assessment_plan_versions").where("plan_id", .equal, plan).orderBy("number")
            .all(decoding: AssessmentPlanVersionRow.self).map {
                AssessmentPlanVersion(number: $0.number, name: $0.name, method: try JSONDecoder().decode(AssessmentMethod.self, from: Data($0.method.utf8)),
                                      reason: $0.reason, createdBy: $0.createdBy, createdAt: $0.createdAt)
            }
    }

    // MARK: What the scores read

    /// The cases whose deadline falls from `from` before `until` in these villages, as the scores count them:
    /// neither rejected nor merged.
    /// With `department`: only the cases of the matters it entrusted.
    private func counted(_ villages: [UUID], from: Date, until: Date, department: UUID? = nil) -> SQLQueryString {
        let own: SQLQueryString = department.map { " AND owner_department_id = \(bind: $0)" } ?? ""
        return "village_id IN (\(binds: villages)) AND deadline >= \(bind: from) AND deadline < \(bind: until) AND merged_into IS NULL AND state <> 'rejected'" + own
    }

    /// Each village's tally of its cases due from `from` before `until`, as of `end` (`CasesSummary.of` is the
    /// definition): one pass over the assessment's index adds up every count and gathers the evidence's references,
    /// then the medians (PostgreSQL's `percentile_cont` in the same pass; on SQLite the middle row of each village's
    /// sorted hours) and the slowest cases. On a SQLite file the index is walked directly instead (`SQLiteCaseScan`).
    /// With `department`: its matters' cases only (read through SQL: the walked index does not hold the department).
    public func casesSummaries(villages: [UUID], from: Date, until: Date, end: Date, department: UUID? = nil) async throws -> [UUID: CasesSummary] {
        guard !villages.isEmpty else { return [:] }
        if let sqliteFile, department == nil { return try await SQLiteCaseScan.summaries(path: sqliteFile, villages: villages, from: from, until: until, end: end) }
        let postgres = sql.dialect.name != "sqlite"
        let handled: SQLQueryString = "first_handled_at <= \(bind: end)"
        let closed: SQLQueryString = "closed_at <= \(bind: end)"
        let due: SQLQueryString = "deadline < \(bind: end)"
        // The kinds of lost points are counted and their case numbers gathered, under one condition each.
        let late: SQLQueryString = "(first_handled_at > deadline OR (first_handled_at IS NULL AND \(due)))"
        let closedLate: SQLQueryString = "(closed_at > deadline OR (closed_at IS NULL AND \(due)))"
        let reworked: SQLQueryString = "\(handled) AND reworks > 0"
        let overdue: SQLQueryString = "\(due) AND (first_handled_at IS NULL OR first_handled_at > \(bind: end))"
        let supervised: SQLQueryString = "supervised = \(bind: true)"
        let unsatisfied: SQLQueryString = "rating < 4"
        let reopened: SQLQueryString = "\(closed) AND reopens > 0"
        let complaint: SQLQueryString = "source IN ('resident', 'hotline')"
        let counts: [(String, SQLQueryString)] = [
            ("due_by_end", "\(due) OR first_handled_at IS NOT NULL"), ("late", late),
            ("closable", "\(due) OR closed_at IS NOT NULL"), ("closed", closed), ("closed_late", closedLate),
            ("handled", handled), ("reworked", reworked), ("verified", "\(handled) AND (reworks > 0 OR \(closed))"),
            ("overdue", overdue), ("supervised", supervised), ("rated", "rating IS NOT NULL"), ("unsatisfied", unsatisfied), ("reopened", reopened),
            ("resident_closed", "\(closed) AND source = 'resident'"), ("resident_answered", "\(closed) AND source = 'resident' AND rating IS NOT NULL"),
            ("complaints", complaint),
            ("responded", "responded_at <= \(bind: end) AND response_hours IS NOT NULL"), ("handled_hours", "\(handled) AND handling_hours IS NOT NULL"),
        ]
        let evidence: [(CasesSummary.Evidence, SQLQueryString)] = [
            (.late, late), (.unclosed, "(\(due) OR closed_at IS NOT NULL) AND (closed_at IS NULL OR closed_at > \(bind: end))"),
            (.closedLate, closedLate), (.reworked, reworked), (.overdue, overdue), (.supervised, supervised), (.unsatisfied, unsatisfied),
            (.reopened, reopened), (.unanswered, "\(closed) AND source = 'resident' AND rating IS NULL"), (.complaint, complaint),
        ]
        var select: SQLQueryString = "SELECT village_id, COUNT(*) AS cases, CAST(SUM(rating) AS BIGINT) AS rating_sum"
        for (name, condition) in counts { select = select + ", COUNT(*) FILTER (WHERE \(condition)) AS \(ident: name)" }
        for (kind, condition) in evidence {
            select = select + (postgres ? ", string_agg(number, ',') FILTER (WHERE \(condition)) AS \(ident: "e_" + kind.rawValue)"
                                        : ", group_concat(number, ',') FILTER (WHERE \(condition)) AS \(ident: "e_" + kind.rawValue)")
        }
        if postgres {
            select = select + ", percentile_cont(0.5) WITHIN GROUP (ORDER BY response_hours) FILTER (WHERE responded_at <= \(bind: end)) AS median_response"
            select = select + ", percentile_cont(0.5) WITHIN GROUP (ORDER BY handling_hours) FILTER (WHERE \(handled)) AS median_handling"
        }
        let query: SQLQueryString = select + " FROM cases WHERE \(counted(villages, from: from, until: until, department: department)) GROUP BY village_id"
        var out: [UUID: CasesSummary] = [:]
        var hours: [(village: UUID, responded: Int, handled: Int)] = []
        // On PostgreSQL each village's slowest cases are read on other connections while the aggregate runs (through
        // their own indexes, migration 0056: milliseconds).
        let slow = postgres ? Task { [self] in try await slowest(villages, from: from, until: until, end: end, department: department) } : nil
        let rows: [any SQLRow]
        do { rows = try await sql.raw(query).all() } catch { slow?.cancel(); throw error }
        for row in rows {
            func n(_ column: String) throws -> Int { try row.decode(column: column, as: Int?.self) ?? 0 }
            var t = CasesSummary()
            let village = try row.decode(column: "village_id", as: UUID.self)
            t.cases = try n("cases")
            (t.dueByEnd, t.late, t.closable, t.closed, t.closedLate) = (try n("due_by_end"), try n("late"), try n("closable"), try n("closed"), try n("closed_late"))
            (t.handled, t.reworked, t.verified, t.overdue, t.supervised) = (try n("handled"), try n("reworked"), try n("verified"), try n("overdue"), try n("supervised"))
            (t.rated, t.ratingSum, t.unsatisfied, t.reopened) = (try n("rated"), try n("rating_sum"), try n("unsatisfied"), try n("reopened"))
            (t.residentClosed, t.residentAnswered, t.complaints) = (try n("resident_closed"), try n("resident_answered"), try n("complaints"))
            for (kind, _) in evidence {
                if let list = try row.decode(column: "e_" + kind.rawValue, as: String?.self), !list.isEmpty {
                    // Split as bytes: a year's list is megabytes, and splitting Characters weighs each grapheme.
                    t.evidence[kind] = CasesSummary.first(list.utf8.split(separator: UInt8(ascii: ",")).lazy.map { Substring($0) })
                }
            }
            if postgres {
                t.medianResponseHours = try row.decode(column: "median_response", as: Double?.self).map { ($0 * 10).rounded() / 10 }
                t.medianHandlingHours = try row.decode(column: "median_handling", as: Double?.self).map { ($0 * 10).rounded() / 10 }
            }
            out[village] = t
            hours.append((village, try n("responded"), try n("handled_hours")))
        }
        if let slow {
            for (village, kind, numbers) in try await slow.value where !numbers.isEmpty { out[village]?.evidence[kind] = numbers }
            return out
        }
        for (village, responded, handledCount) in hours {
            for (kind, column, time, count) in [(CasesSummary.Evidence.slowResponse, "response_hours", "responded_at", responded),
                                                (.slowHandling, "handling_hours", "first_handled_at", handledCount)] where count > 0 {
                let reached: SQLQueryString = "\(counted([village], from: from, until: until, department: department)) AND \(ident: time) <= \(bind: end) AND \(ident: column) IS NOT NULL"
                if !postgres {
                    // The middle one or two of the village's hours in order.
                    let middle = try await sql.raw("SELECT \(ident: column) AS h FROM cases WHERE \(reached) ORDER BY \(ident: column) LIMIT \(unsafeRaw: String(2 - count % 2)) OFFSET \(unsafeRaw: String((count - 1) / 2))")
                        .all().map { try $0.decode(column: "h", as: Double.self) }
                    if kind == .slowResponse { out[village]?.medianResponseHours = CasesSummary.median(middle) } else { out[village]?.medianHandlingHours = CasesSummary.median(middle) }
                }
                out[village]?.evidence[kind] = try await sql.raw("""
                    SELECT number FROM cases WHERE \(reached) ORDER BY \(ident: column) DESC, number DESC LIMIT \(unsafeRaw: String(CaseMeasures.evidenceLimit))
                    """).all().map { try $0.decode(column: "number", as: String.self) }
            }
        }
        return out
    }

    /// Each village's slowest cases to respond and to handle by `end`, slowest first, at most the evidence's limit.
    private func slowest(_ villages: [UUID], from: Date, until: Date, end: Date, department: UUID?) async throws
        -> [(UUID, CasesSummary.Evidence, [String])] {
        try await withThrowingTaskGroup(of: (UUID, CasesSummary.Evidence, [String]).self) { group in
            for village in villages {
                for (kind, column, time) in [(CasesSummary.Evidence.slowResponse, "response_hours", "responded_at"), (.slowHandling, "handling_hours", "first_handled_at")] {
                    group.addTask { [self] in
                        let reached: SQLQueryString = "\(counted([village], from: from, until: until, department: department)) AND \(ident: time) <= \(bind: end) AND \(ident: column) IS NOT NULL"
                        let numbers = try await sql.raw("SELECT number FROM cases WHERE \(reached) ORDER BY \(ident: column) DESC, number DESC LIMIT \(unsafeRaw: String(CaseMeasures.evidenceLimit))")
                            .all().map { try $0.decode(column: "number", as: String.self) }
                        return (village, kind, numbers)
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    /// The cases one by one, with what their tally reads (the tally's definition adds these up the same way; tests
    /// hold the two together).
    public func assessedCases(villages: [UUID], from: Date, until: Date, department: UUID? = nil) async throws -> [AssessedCase] {
        guard !villages.isEmpty else { return [] }
        return try await sql.raw("SELECT * FROM cases WHERE \(counted(villages, from: from, until: until, department: department))").all(decoding: CaseRow.self, with: CaseStore.rowDecoder).map {
            AssessedCase(number: $0.number, village: $0.villageId!, deadline: $0.deadline, handledAt: $0.firstHandledAt, reworks: $0.reworks,
                         closedAt: $0.closedAt, supervised: $0.supervised, rating: $0.rating, reportedAt: $0.reportedAt, respondedAt: $0.respondedAt,
                         reopens: $0.reopens, fromResident: $0.source == CaseSource.resident.rawValue,
                         responseHours: $0.responseHours, handlingHours: $0.handlingHours, fromHotline: $0.source == CaseSource.hotline.rawValue)
        }
    }

    /// Households lived in per village: the houses on its register (under its buildings) used as owner-occupied, rented
    /// out or mixed. A village with none registered is absent.
    public func households(villages: [Area]) async throws -> [UUID: Int] {
        var out: [UUID: Int] = [:]
        let lived = [HouseUse.residential, .rental, .mixed].map(\.rawValue)
        for v in villages {
            let prefix = Area.encodePath(v.path)
            let n = try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("houses")
                .where("area_path", .greaterThanOrEqual, prefix).where("area_path", .lessThan, prefix + "\u{FFFF}")
                .where("use", .in, lived).first(decodingColumn: "n", as: Int.self) ?? 0
            if n > 0 { out[v.id] = n }
        }
        return out
    }
}
