import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// Cases reported in one month, with how many of them are closed and closed by their deadline.
public struct CaseMonthFigures: Sendable, Equatable {
    public var start: Date
    public var reported: Int
    public var closed: Int
    public var closedOnTime: Int
}

/// Residents' ratings over a window.
public struct RatingFigures: Sendable, Equatable {
    public var ratings: Int
    public var sum: Int
    /// Ratings of 4 or 5.
    public var satisfied: Int
}

/// The caller's cases now, from the tallies the database keeps: per place (its area path), class and state.
public struct CaseTally: Sendable, Equatable {
    public var areaPath: String
    public var categoryCode: String
    public var state: CaseState
    public var count: Int
}

/// The dashboards' figures, each over the caller's scope (the same conditions as the queue's counts).
extension CaseStore {
    /// For each window [bounds[i], bounds[i+1]): the cases reported in it and how many of them are closed, and
    /// closed by their deadline.
    public func months(scope: CaseScope, bounds: [Date]) async throws -> [CaseMonthFigures] {
        let parts = try await resolve(scope, CaseFilter()).parts
        var out: [CaseMonthFigures] = []
        for (start, end) in zip(bounds, bounds.dropFirst()) {
            guard parts.any else { out.append(CaseMonthFigures(start: start, reported: 0, closed: 0, closedOnTime: 0)); continue }
            // SUM of integers is a numeric on PostgreSQL: cast back to a whole number.
            let query = sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "reported")
                .column(SQLRaw("CAST(COALESCE(SUM(CASE WHEN closed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT)"), as: "closed")
                .column(SQLRaw("CAST(COALESCE(SUM(CASE WHEN closed_at IS NOT NULL AND closed_at <= deadline THEN 1 ELSE 0 END), 0) AS BIGINT)"), as: "on_time")
                .from("cases").where("reported_at", .greaterThanOrEqual, start).where("reported_at", .lessThan, end)
            parts.restrictCases(query)
            let row = try await query.first()
            out.append(CaseMonthFigures(start: start, reported: try row?.decode(column: "reported", as: Int.self) ?? 0,
                                        closed: try row?.decode(column: "closed", as: Int.self) ?? 0,
                                        closedOnTime: try row?.decode(column: "on_time", as: Int.self) ?? 0))
        }
        return out
    }

    /// Ratings given in [from, until) on the scope's cases.
    public func ratings(scope: CaseScope, from: Date, until: Date) async throws -> RatingFigures {
        let parts = try await resolve(scope, CaseFilter()).parts
        guard parts.any else { return RatingFigures(ratings: 0, sum: 0, satisfied: 0) }
        let query = sql.select().column(SQLFunction("COUNT", args: SQLColumn("rating", table: "r")), as: "n")
            .column(SQLRaw("CAST(COALESCE(SUM(r.rating), 0) AS BIGINT)"), as: "total")
            .column(SQLRaw("CAST(COALESCE(SUM(CASE WHEN r.rating >= 4 THEN 1 ELSE 0 END), 0) AS BIGINT)"), as: "satisfied")
            .from(SQLAlias(SQLIdentifier("resident_reports"), as: SQLIdentifier("r")))
            .join(SQLIdentifier("cases"), method: SQLJoinMethod.inner, on: SQLColumn("case_id", table: "r"), .equal, SQLColumn("id", table: "cases"))
            .where(SQLColumn("rated_at", table: "r"), .greaterThanOrEqual, SQLBind(from)).where(SQLColumn("rated_at", table: "r"), .lessThan, SQLBind(until))
            .where(SQLColumn("rating", table: "r"), .isNot, SQLLiteral.null)
        parts.restrictCases(query)
        let row = try await query.first()
        return RatingFigures(ratings: try row?.decode(column: "n", as: Int.self) ?? 0, sum: try row?.decode(column: "total", as: Int.self) ?? 0,
                             satisfied: try row?.decode(column: "satisfied", as: Int.self) ?? 0)
    }

    /// The tallies of the scope's cases: a few hundred rows however many cases there are.
    public func tallies(scope: CaseScope) async throws -> [CaseTally] {
        let parts = try await resolve(scope, CaseFilter()).parts
        guard parts.any else { return [] }
        let query = sql.select().column("area_path").column("category_code").column("state").column(SQLRaw("CAST(SUM(n) AS BIGINT)"), as: "n")
            .from("case_tallies").where("n", .greaterThan, 0)
        parts.restrictTally(query, ownerColumn: "owner_key")
        return try await query.groupBy("area_path").groupBy("category_code").groupBy("state").all().compactMap { row in
            guard let state = CaseState(rawValue: try row.decode(column: "state", as: String.self)) else { return nil }
            return CaseTally(areaPath: try row.decode(column: "area_path", as: String.self), categoryCode: try row.decode(column: "category_code", as: String.self),
                             state: state, count: try row.decode(column: "n", as: Int.self))
        }
    }
}
