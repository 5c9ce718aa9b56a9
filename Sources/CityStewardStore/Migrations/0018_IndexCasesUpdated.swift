import FluentKit
import SQLKit

struct IndexCasesUpdated: AsyncMigration {
    let name = "0018_index_cases_updated"
    func prepare(on db: any Database) async throws {
        // Open311 change feeds (updated_after / updated_before) read cases by their last change.
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "cases_updated_idx").on("cases").column("updated_at").run()
        }
    }
    func revert(on db: any Database) async throws {
        if let sql = db as? any SQLDatabase { try await sql.drop(index: "cases_updated_idx").run() }
    }
}
