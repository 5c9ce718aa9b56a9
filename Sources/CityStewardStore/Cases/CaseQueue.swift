import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// Where a page of cases starts: the last case of the page before (newest first, ties by number). The next page is
/// an index seek however deep it is (keyset pagination), not a skip over every case before it.
public struct CaseCursor: Sendable, Equatable {
    /// The report time exactly as the database holds it (SQLite: seconds since 1970 as stored; PostgreSQL: whole
    /// microseconds). Not a `Date`: the drivers round a time on the way out (SQLite to microseconds, PostgreSQL's
    /// encoder truncates), and a rounded boundary shows its case twice or skips one.
    public var key: Double
    public var number: String

    public init(key: Double, number: String) {
        self.key = key
        self.number = number
    }

    /// URL-safe text, "<key>~<number>"; the key printed so it reads back to the same Double.
    public var token: String { "\(key)~\(number)" }

    public init?(token: String) {
        let parts = token.split(separator: "~", maxSplits: 1)
        guard parts.count == 2, let key = Double(parts[0]), key.isFinite, !parts[1].isEmpty, parts[1].count <= 40 else { return nil }
        self.init(key: key, number: String(parts[1]))
    }
}

/// How many cases in a scope are in each state, and how many of them are overdue now.
public struct CaseCounts: Sendable, Equatable {
    public var byState: [CaseState: Int] = [:]
    public var overdueByState: [CaseState: Int] = [:]

    public init(byState: [CaseState: Int] = [:], overdueByState: [CaseState: Int] = [:]) {
        self.byState = byState
        self.overdueByState = overdueByState
    }

    public var overdue: Int { overdueByState.values.reduce(0, +) }

    /// The cases a list with these states (none: every state), overdue only or not, holds in all.
    public func total(states: [CaseState], overdueOnly: Bool) -> Int {
        let counts = overdueOnly ? overdueByState : byState
        return states.isEmpty ? counts.values.reduce(0, +) : Set(states).reduce(0) { $0 + (counts[$1] ?? 0) }
    }
}

/// A page of cases, newest first, and where the next one starts (nil on the last page).
public struct CasePage: Sendable {
    public var rows: [CaseRow]
    /// Where the next (older) page starts; nil on the last.
    public var next: CaseCursor?
    /// Where the page before (newer) ends; nil on the first.
    public var previous: CaseCursor?
}

/// Reading cases at scale (a district's year is a million of them). A caller's scope is a union — its areas, its
/// organisation's cases, its department's matters, its own reports — and one query over that union can be served
/// by no index in the queue's order: the database sorted every case in scope for each page (10 s at a million).
/// So each part of the union is read on its own, through an index that already holds it in the queue's order
/// (street, village, responsible party, owner, reporter, each with reported_at and number), a page at most from
/// each; the parts are merged here and the page's rows fetched by id. Counts per state come from `case_tallies`,
/// kept by triggers on `cases` with every write, instead of counting the table per request.
extension CaseStore {
    /// The deepest a page may start by offset; deeper pages go by cursor (`after`).
    public static let maxOffset = 10_000

    /// One part of a scope's union, read through its own index.
    enum Stream: Equatable, Sendable {
        case all
        case equal(column: String, id: UUID)
        /// Cases under an area kept in no column of its own (a community, grid or building): a range on the path.
        case subtree(prefix: String)
    }

    struct ScopeArea: Sendable {
        var id: UUID
        var kind: AreaKind
        var path: String
    }

    func scopeAreas(_ ids: [UUID]) async throws -> [ScopeArea] {
        guard !ids.isEmpty else { return [] }
        return try await sql.select().column("id").column("kind").column("path").from("areas").where("id", .in, ids).all().map {
            ScopeArea(id: try $0.decode(column: "id", as: UUID.self), kind: AreaKind(rawValue: try $0.decode(column: "kind", as: String.self)) ?? .grid,
                      path: try $0.decode(column: "path", as: String.self))
        }
    }

    static func stream(for area: ScopeArea) -> Stream {
        switch area.kind {
        case .district: .all
        case .street: .equal(column: "street_id", id: area.id)
        case .village: .equal(column: "village_id", id: area.id)
        case .community, .grid, .building: .subtree(prefix: area.path)
        }
    }

    /// A scope and a filter with their areas looked up (one query), for a page and its counts.
    public struct Resolved: Sendable {
        var streams: [Stream]
        var parts: CountParts
        /// The filter's area, if it names one that exists.
        var area: ScopeArea?
        /// The filter names an area that does not exist: nothing matches.
        var unknownArea: Bool
    }

    public func resolve(_ scope: CaseScope, _ filter: CaseFilter) async throws -> Resolved {
        var ids: [UUID] = []
        if case .limited(let areas, _, _, _) = scope { ids = areas }
        if let areaID = filter.areaID { ids.append(areaID) }
        let found = Dictionary(try await scopeAreas(ids).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let area = filter.areaID.flatMap { found[$0] }
        switch scope {
        case .everything:
            return Resolved(streams: [.all], parts: CountParts(everything: true), area: area, unknownArea: filter.areaID != nil && area == nil)
        case .limited(let areas, let orgs, let departments, let reporter):
            let mine = areas.compactMap { found[$0] }
            let unknown = filter.areaID != nil && area == nil
            if mine.contains(where: { $0.kind == .district }) {
                return Resolved(streams: [.all], parts: CountParts(everything: true), area: area, unknownArea: unknown)
            }
            var out = mine.map(Self.stream)
            out += orgs.map { .equal(column: "responsible_id", id: $0) }
            out += departments.map { .equal(column: "owner_department_id", id: $0) }
            if let reporter { out.append(.equal(column: "reporter_id", id: reporter)) }
            var seen: [Stream] = []
            for s in out where !seen.contains(s) { seen.append(s) }
            return Resolved(streams: seen, parts: CountParts(prefixes: mine.map(\.path), orgs: orgs, departments: departments, reporter: reporter),
                            area: area, unknownArea: unknown)
        }
    }

    /// A page and the counts of the same scope and filter, the areas looked up once; `known` counts (still fresh from
    /// an earlier page) are not counted again.
    public func queue(scope: CaseScope, filter: CaseFilter, limit: Int = 50, offset: Int = 0, after: CaseCursor? = nil,
                      before: CaseCursor? = nil, now: Date, known: CaseCounts? = nil) async throws -> (page: CasePage, counts: CaseCounts) {
        let resolved = try await resolve(scope, filter)
        let page = try await page(resolved, filter, limit: limit, offset: offset, after: after, before: before)
        if let known { return (page, known) }
        return (page, try await counts(resolved, filter, now: now))
    }

    func restrict(_ query: SQLSelectBuilder, to stream: Stream) {
        switch stream {
        case .all: break
        case .equal(let column, let id): query.where(SQLIdentifier(column), .equal, SQLBind(id))
        case .subtree(let prefix): query.where { Self.subtree($0, prefix) }
        }
    }

    /// A page of the cases in scope matching the filter, newest first: from `offset` (at most `maxOffset`) or after
    /// a cursor. Every part of the scope is read through its index, at most `offset + limit + 1` keys of it.
    /// `before` reads the page that ends just before a cursor (going back), still newest first; `previous` then
    /// says where the page before it starts.
    public func page(scope: CaseScope, filter: CaseFilter = CaseFilter(), limit: Int = 50, offset: Int = 0, after: CaseCursor? = nil,
                     before: CaseCursor? = nil) async throws -> CasePage {
        try await page(try await resolve(scope, filter), filter, limit: limit, offset: offset, after: after, before: before)
    }

    func page(_ resolved: Resolved, _ filter: CaseFilter, limit: Int, offset: Int, after: CaseCursor?, before: CaseCursor?) async throws -> CasePage {
        let limit = max(1, limit), offset = min(max(0, offset), Self.maxOffset)
        let streams = resolved.streams
        guard !streams.isEmpty, !resolved.unknownArea else { return CasePage(rows: [], next: nil, previous: nil) }
        let narrowing = resolved.area.map(Self.stream)
        let want = offset + limit + 1
        let sqlite = sql.dialect.name == "sqlite"
        // The time key read and bound in the database's own terms (see `CaseCursor.key`).
        let keyColumn: any SQLExpression = sqlite ? SQLIdentifier("reported_at") : SQLRaw("(EXTRACT(EPOCH FROM reported_at) * 1000000)::bigint")
        func bound(_ c: CaseCursor) -> any SQLExpression {
            sqlite ? SQLBind(c.key) : SQLGroupExpression(SQLBinaryExpression(SQLRaw("TIMESTAMPTZ 'epoch'"), .add,
                                                                           SQLBinaryExpression(SQLBind(Int64(c.key)), .multiply, SQLRaw("INTERVAL '1 microsecond'"))))
        }
        // Keys only (time and number: both in every queue index, so no row is read for a key); the page's rows are
        // fetched by number at the end.
        var keys: [(at: Double, number: String)] = []
        var seen = Set<String>()
        // Only open cases asked for (open states, or overdue): read from the open cases' own index. SQLite's planner
        // cannot tell a rare state from a common one, so it is told (INDEXED BY); PostgreSQL's statistics can.
        let openOnly = filter.overdueAt != nil || (!filter.states.isEmpty && filter.states.allSatisfy { !$0.isFinal })
        for stream in streams {
            let query = sql.select().column(SQLAlias(keyColumn, as: SQLIdentifier("time_key"))).column("number").from(Self.table(for: stream, filter, openOnly: openOnly, sqlite: sqlite))
            if openOnly { query.where(SQLRaw(IndexCaseQueues.openCondition)) }
            restrict(query, to: stream)
            if let narrowing { restrict(query, to: narrowing) }
            filtered(query, filter)
            let key = SQLGroupExpression([SQLIdentifier("reported_at"), SQLIdentifier("number")])
            if let after { query.where(SQLBinaryExpression(key, .lessThan, SQLGroupExpression([bound(after), SQLBind(after.number)]))) }
            if let before { query.where(SQLBinaryExpression(key, .greaterThan, SQLGroupExpression([bound(before), SQLBind(before.number)]))) }
            let order: SQLDirection = before == nil ? .descending : .ascending
            let rows = try await query.orderBy("reported_at", order).orderBy("number", order).limit(want).all()
            for row in rows {
                let number = try row.decode(column: "number", as: String.self)
                guard seen.insert(number).inserted else { continue }
                let at = sqlite ? try row.decode(column: "time_key", as: Double.self) : Double(try row.decode(column: "time_key", as: Int64.self))
                keys.append((at, number))
            }
        }
        keys.sort { $0.at != $1.at ? ($0.at > $1.at) == (before == nil) : ($0.number > $1.number) == (before == nil) }
        var slice = Array(keys.dropFirst(offset).prefix(limit))
        let more = keys.count > offset + limit
        if before != nil { slice.reverse() }
        guard !slice.isEmpty else { return CasePage(rows: [], next: nil, previous: nil) }
        let byNumber = try await sql.select().column("*").from("cases").where("number", .in, slice.map(\.number))
            .all(decoding: CaseRow.self, with: Self.rowDecoder).reduce(into: [String: CaseRow]()) { $0[$1.number] = $1 }
        let rows = slice.compactMap { byNumber[$0.number] }
        let first = CaseCursor(key: slice[0].at, number: slice[0].number), last = CaseCursor(key: slice[slice.count - 1].at, number: slice[slice.count - 1].number)
        if before != nil {
            // Going back: there is always a page after this one (the one we came from).
            return CasePage(rows: rows, next: last, previous: more ? first : nil)
        }
        return CasePage(rows: rows, next: more ? last : nil, previous: after != nil || offset > 0 ? first : nil)
    }

    /// Where SQLite reads a part of a scope: its statistics know how many cases a column's value has on average,
    /// not that this reporter has none (or a million), so it is told which index holds the part — the supervised
    /// cases' or the open cases' own (few) when the filter asks only for them, else the part's queue index.
    /// PostgreSQL keeps per-value statistics and chooses for itself.
    static func table(for stream: Stream, _ filter: CaseFilter, openOnly: Bool, sqlite: Bool) -> any SQLExpression {
        guard sqlite else { return SQLIdentifier("cases") }
        if filter.supervisedOnly { return SQLRaw("cases INDEXED BY cases_supervised_idx") }
        if openOnly { return SQLRaw("cases INDEXED BY \(IndexCaseQueues.openQueue)") }
        if case .equal(let column, _) = stream, let index = IndexCaseQueues.queues.first(where: { $0.column == column }) {
            return SQLRaw("cases INDEXED BY \(index.name)")
        }
        return SQLIdentifier("cases")
    }

    /// The filter's conditions other than the area (see `narrowing`).
    func filtered(_ query: SQLSelectBuilder, _ filter: CaseFilter) {
        if !filter.states.isEmpty { query.where("state", .in, filter.states.map(\.rawValue)) }
        if let now = filter.overdueAt { query.where("step_due", .lessThan, now) }
        if let code = filter.categoryCode { query.where("category_code", .equal, code) }
        if let source = filter.source { query.where("source", .equal, source.rawValue) }
        if let responsible = filter.responsibleID { query.where("responsible_id", .equal, responsible) }
        // Written as the partial index's own condition, so both databases use it.
        if filter.supervisedOnly { query.where(SQLIdentifier("supervised")) }
        if !filter.numbers.isEmpty { query.where("number", .in, filter.numbers) }
        if let words = filter.words {
            // The pattern's own wildcards escaped: what was typed is looked for as it is.
            let escaped = words.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
            query.where(SQLQueryString("description LIKE \(bind: "%" + escaped + "%") ESCAPE '\\'"))
        }
        if !filter.categoryCodes.isEmpty { query.where("category_code", .in, filter.categoryCodes) }
        if let t = filter.reportedFrom { query.where("reported_at", .greaterThanOrEqual, t) }
        if let t = filter.reportedBefore { query.where("reported_at", .lessThanOrEqual, t) }
        if let t = filter.updatedAfter { query.where("updated_at", .greaterThan, t) }
        if let t = filter.updatedBefore { query.where("updated_at", .lessThan, t) }
    }

    /// Whether any case exists at all (the demo loads its cases into an empty table only).
    public func isEmpty() async throws -> Bool {
        try await sql.select().column("id").from("cases").limit(1).all().isEmpty
    }

    // MARK: Counts

    /// Counts per state of the cases in scope matching the filter (states ignored), and how many are overdue now.
    /// From the tallies when the filter is one they keep (place, class, source, responsible party); otherwise, and
    /// for overdue (a matter of the clock, not of a write), counted on `cases` through an index.
    public func counts(scope: CaseScope, filter: CaseFilter = CaseFilter(), now: Date) async throws -> CaseCounts {
        try await counts(try await resolve(scope, filter), filter, now: now)
    }

    func counts(_ resolved: Resolved, _ filter: CaseFilter, now: Date) async throws -> CaseCounts {
        var f = filter
        f.states = []
        f.overdueAt = nil
        let parts = resolved.parts
        guard parts.any, !resolved.unknownArea else { return CaseCounts() }
        let narrowing = resolved.area?.path
        var byState: [CaseState: Int] = [:]
        let tallied = !f.supervisedOnly && f.numbers.isEmpty && f.words == nil && f.reportedFrom == nil && f.reportedBefore == nil && f.updatedAfter == nil && f.updatedBefore == nil
        // A reporter's cases by reporter and place (SQLite is told: see `table(for:)`).
        let reporterIndex: any SQLExpression = sql.dialect.name == "sqlite" ? SQLRaw("cases INDEXED BY cases_reporter_place_idx") : SQLIdentifier("cases")
        if tallied {
            // SUM of a bigint is a numeric on PostgreSQL: cast back to a whole number.
            let query = sql.select().column("state").column(SQLRaw("CAST(SUM(n) AS BIGINT)"), as: "n").from("case_tallies")
            parts.restrictTally(query, ownerColumn: "owner_key")
            if let narrowing { query.where { Self.subtree($0, narrowing) } }
            if let code = f.categoryCode { query.where("category_code", .equal, code) }
            if !f.categoryCodes.isEmpty { query.where("category_code", .in, f.categoryCodes) }
            if let source = f.source { query.where("source", .equal, source.rawValue) }
            if let responsible = f.responsibleID { query.where("responsible_id", .equal, responsible) }
            try await add(query.groupBy("state"), to: &byState)
            // A caller's own reports outside its other parts: read by reporter and place, skipping the places
            // already counted (a patroller may have reported every case of its village).
            if let reporter = parts.reporter, parts.hasOthers {
                for gap in parts.pathGaps {
                    let extra = sql.select().column("state").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(reporterIndex)
                        .where("reporter_id", .equal, reporter)
                    if let from = gap.from { extra.where("area_path", .greaterThanOrEqual, from) }
                    if let to = gap.to { extra.where("area_path", .lessThan, to) }
                    parts.excludeOthers(extra)
                    if let narrowing { extra.where { Self.subtree($0, narrowing) } }
                    filtered(extra, f)
                    try await add(extra.groupBy("state"), to: &byState)
                }
            } else if let reporter = parts.reporter {
                let own = sql.select().column("state").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(reporterIndex)
                    .where("reporter_id", .equal, reporter)
                if let narrowing { own.where { Self.subtree($0, narrowing) } }
                filtered(own, f)
                try await add(own.groupBy("state"), to: &byState)
            }
        } else {
            // Not kept by the tallies: the supervised cases (few, through their own index; SQLite is told, as its
            // planner would rather take a scope's index over a million rows), or a time window.
            let sqlite = sql.dialect.name == "sqlite"
            let table: any SQLExpression = f.supervisedOnly && sqlite ? SQLRaw("cases INDEXED BY cases_supervised_idx") : SQLIdentifier("cases")
            let query = sql.select().column("state").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(table)
            parts.restrictCases(query)
            if let narrowing { query.where { Self.subtree($0, narrowing) } }
            filtered(query, f)
            try await add(query.groupBy("state"), to: &byState)
        }
        // Overdue is a matter of the clock: counted on the cases whose step is due before now (open ones only
        // carry a step due, through their own small index).
        f.overdueAt = now
        // Through the open cases' step-due index, which holds every column tested here: SQLite is told, as it would
        // otherwise take a place's or a class's index and read a million rows.
        let dueIndex: any SQLExpression = sql.dialect.name == "sqlite" ? SQLRaw("cases INDEXED BY cases_step_due_idx") : SQLIdentifier("cases")
        let overdue = sql.select().column("state").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(dueIndex)
        parts.restrictCases(overdue)
        if let narrowing { overdue.where { Self.subtree($0, narrowing) } }
        filtered(overdue, f)
        var overdueByState: [CaseState: Int] = [:]
        try await add(overdue.groupBy("state"), to: &overdueByState)
        return CaseCounts(byState: byState, overdueByState: overdueByState)
    }

    private func add(_ query: SQLSelectBuilder, to out: inout [CaseState: Int]) async throws {
        for row in try await query.all() {
            guard let s = CaseState(rawValue: try row.decode(column: "state", as: String.self)) else { continue }
            out[s, default: 0] += try row.decode(column: "n", as: Int?.self) ?? 0
        }
    }

    /// A scope as conditions on the columns the tallies and `cases` share.
    struct CountParts: Sendable {
        var everything = false
        var prefixes: [String] = []
        var orgs: [UUID] = []
        var departments: [UUID] = []
        var reporter: UUID?

        var any: Bool { everything || !prefixes.isEmpty || !orgs.isEmpty || !departments.isEmpty || reporter != nil }
        var hasOthers: Bool { !prefixes.isEmpty || !orgs.isEmpty || !departments.isEmpty }

        /// The ranges of `area_path` outside every prefix's subtree (nil bound: open-ended).
        var pathGaps: [(from: String?, to: String?)] {
            let ranges = prefixes.map { ($0, String($0.dropLast()) + "0") }.sorted { $0.0 < $1.0 }
            var gaps: [(from: String?, to: String?)] = []
            var from: String?
            for (lo, hi) in ranges {
                if let f = from, f >= lo { from = max(f, hi); continue }
                gaps.append((from, lo))
                from = hi
            }
            gaps.append((from, nil))
            return gaps
        }

        func restrictTally(_ query: SQLSelectBuilder, ownerColumn: String) {
            guard !everything else { return }
            query.where { group in
                for prefix in prefixes { group.orWhere { CaseStore.subtree($0, prefix) } }
                if !orgs.isEmpty { group.orWhere("responsible_id", .in, orgs) }
                if !departments.isEmpty { group.orWhere(SQLIdentifier(ownerColumn), .in, SQLGroupExpression(departments.map { SQLBind($0) })) }
                if !hasOthers { group.orWhere(SQLLiteral.boolean(false)) }
                return group
            }
        }

        func restrictCases(_ query: SQLSelectBuilder) {
            guard !everything else { return }
            query.where { group in
                for prefix in prefixes { group.orWhere { CaseStore.subtree($0, prefix) } }
                if !orgs.isEmpty { group.orWhere("responsible_id", .in, orgs) }
                if !departments.isEmpty { group.orWhere("owner_department_id", .in, departments) }
                if let reporter { group.orWhere("reporter_id", .equal, reporter) }
                return group
            }
        }

        /// Not in the organisations' or departments' parts (the places are left out by the gaps).
        func excludeOthers(_ query: SQLSelectBuilder) {
            if !orgs.isEmpty { query.where("responsible_id", .notIn, orgs) }
            if !departments.isEmpty {
                query.where { $0.where("owner_department_id", .is, SQLLiteral.null).orWhere("owner_department_id", .notIn, departments) }
            }
        }
    }

}
