import FluentKit
import SQLKit

/// The assessment names each village's slowest cases to respond and to handle as the evidence of its median times.
/// Without an index on the hours that took a sort of the village's whole year (0.42 s alone at a million cases on
/// PostgreSQL, 1.2 s beside the year's aggregate); walked backwards on these it is a few milliseconds. Partial: a case
/// enters only once it has the milestone, so reporting a case writes nothing more.
struct IndexSlowestCases: AsyncMigration {
    let name = "0056_index_slowest_cases"

    func prepare(on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        for column in ["response_hours", "handling_hours"] {
            try await sql.raw("""
                CREATE INDEX \(unsafeRaw: "cases_slowest_" + column + "_idx") ON cases (village_id, \(unsafeRaw: column), number)
                WHERE merged_into IS NULL AND \(unsafeRaw: column) IS NOT NULL
                """).run()
        }
    }

    func revert(on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        for column in ["response_hours", "handling_hours"] { try await sql.raw("DROP INDEX \(unsafeRaw: "cases_slowest_" + column + "_idx")").run() }
    }
}
