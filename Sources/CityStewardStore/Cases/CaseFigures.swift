import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// Cases reported in one month, with how many of them are closed and closed by their deadline.
public struct CaseMonthFigures: Sendable, Equatable {
    public var reported: Int
    public var closed: Int
    public var closedOnTime: Int

    public init(reported: Int, closed: Int, closedOnTime: Int) {
        (self.reported, self.closed, self.closedOnTime) = (reported, closed, closedOnTime)
    }
}

/// Residents' ratings of the cases reported in a window.
public struct RatingFigures: Sendable, Equatable {
    public var ratings: Int
    public var sum: Int
    /// Ratings of 4 or 5.
    public var satisfied: Int

    public init(ratings: Int, sum: Int, satisfied: Int) {
        (self.ratings, self.sum, self.satisfied) = (ratings, sum, satisfied)
    }
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
    /// For each month ("2026-11", Beijing): the cases reported in it, how many of them are closed and closed by their
    /// deadline, and their residents' ratings — from the monthly tallies the database keeps (`case_months`).
    public func months(scope: CaseScope, months: [String]) async throws -> [String: (CaseMonthFigures, RatingFigures)] {
        let parts = try await resolve(scope, CaseFilter()).parts
        guard parts.any, let first = months.min(), let last = months.max() else { return [:] }
        // SUM of integers is a numeric on PostgreSQL: cast back to a whole number.
        let query = sql.select().column("month")
        for f in CreateCaseMonths.figures { query.column(SQLRaw("CAST(SUM(\(f)) AS BIGINT)"), as: f) }
        query.from("case_months").where("month", .greaterThanOrEqual, first).where("month", .lessThanOrEqual, last)
        parts.restrictTally(query, ownerColumn: "owner_key")
        var out: [String: (CaseMonthFigures, RatingFigures)] = [:]
        for row in try await query.groupBy("month").all() {
            func n(_ column: String) throws -> Int { try row.decode(column: column, as: Int?.self) ?? 0 }
            out[try row.decode(column: "month", as: String.self)] = (
                CaseMonthFigures(reported: try n("reported"), closed: try n("closed"), closedOnTime: try n("closed_on_time")),
                RatingFigures(ratings: try n("rated"), sum: try n("rating_sum"), satisfied: try n("satisfied")))
        }
        return out
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
