import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// The assessment's columns on each case (`CaseMilestones`): its first response and first handling with their working
/// hours, its reworks, reopenings and rating, kept by every step from now on and filled here from the history for the
/// cases already stored; and one index holding them, so a year's scores of every village read the index, not the
/// cases (issue 19 §9: a year's assessment of a million cases in under 2 s).
struct AddCaseMilestones: AsyncMigration {
    let name = "0053_add_case_milestones"
    /// The working calendar the hours of the cases already stored are counted on (the one their deadlines were).
    let calendar: WorkingCalendar

    static let index = "cases_assessment_idx"
    /// What the scores read of a case, after the village and the deadline they select by.
    static let covered = "state, first_handled_at, closed_at, responded_at, response_hours, handling_hours, reworks, reopens, supervised, rating, source, number"
    /// Merged cases never count (the index leaves them out; a query states the same condition to use it).
    static let condition = "merged_into IS NULL"

    func prepare(on db: any Database) async throws {
        // One column a statement: SQLite adds only one at a time.
        try await db.schema("cases").field("responded_at", .datetime).update()
        try await db.schema("cases").field("first_handled_at", .datetime).update()
        try await db.schema("cases").field("response_hours", .double).update()
        try await db.schema("cases").field("handling_hours", .double).update()
        try await db.schema("cases").field("reworks", .int, .required, .sql(.default(0))).update()
        try await db.schema("cases").field("reopens", .int, .required, .sql(.default(0))).update()
        try await db.schema("cases").field("rating", .int).update()
        guard let sql = db as? any SQLDatabase else { return }
        try await Self.fill(db, calendar: calendar)
        try await sql.raw("""
            CREATE INDEX \(unsafeRaw: Self.index) ON cases (village_id, deadline, \(unsafeRaw: Self.covered)) WHERE \(unsafeRaw: Self.condition)
            """).run()
    }

    /// The milestones of the cases stored, from their history and their residents' ratings.
    static func fill(_ db: any Database, calendar: WorkingCalendar) async throws {
        let sql = db as! any SQLDatabase
        try await sql.raw("""
            UPDATE cases SET
                responded_at = (SELECT MIN(e.at) FROM case_events e WHERE e.case_id = cases.id AND e.to_state IN ('accepted', 'handled')),
                first_handled_at = (SELECT MIN(e.at) FROM case_events e WHERE e.case_id = cases.id AND e.to_state = 'handled'),
                reworks = (SELECT COUNT(*) FROM case_events e WHERE e.case_id = cases.id AND e.to_state = 'reworked'),
                reopens = (SELECT COUNT(*) FROM case_events e WHERE e.case_id = cases.id AND e.action = 'reopen'),
                rating = (SELECT r.rating FROM resident_reports r WHERE r.case_id = cases.id)
            """).run()
        // The hours need the calendar: counted here, a thousand cases a round.
        var after: UUID?
        while true {
            let q = sql.select().column("id").column("reported_at").column("responded_at").column("first_handled_at").from("cases")
                .where(SQLRaw("responded_at IS NOT NULL")).orderBy("id").limit(1_000)
            if let after { q.where("id", .greaterThan, after) }
            let rows = try await q.all()
            guard !rows.isEmpty else { break }
            try await db.transaction { tx in
                let sql = tx as! any SQLDatabase
                for row in rows {
                    let reported = try row.decode(column: "reported_at", as: Date.self)
                    func hours(_ column: String) throws -> Double? {
                        try row.decode(column: column, as: Date?.self).map { calendar.workingSeconds(from: reported, to: $0) / 3600 }
                    }
                    try await sql.update("cases").set("response_hours", to: try hours("responded_at")).set("handling_hours", to: try hours("first_handled_at"))
                        .where("id", .equal, try row.decode(column: "id", as: UUID.self)).run()
                }
            }
            after = try rows.last!.decode(column: "id", as: UUID.self)
        }
    }

    func revert(on db: any Database) async throws {
        if let sql = db as? any SQLDatabase { try await sql.drop(index: SQLIdentifier(Self.index)).ifExists().run() }
        for column in ["responded_at", "first_handled_at", "response_hours", "handling_hours", "reworks", "reopens", "rating"] {
            try await db.schema("cases").deleteField(FieldKey(stringLiteral: column)).update()
        }
    }
}
