import FluentKit
import SQLKit

/// A resident's relation to the head of the household and how they live here (registered, temporary, floating).
struct AddResidentHouseholdFields: AsyncMigration {
    let name = "0039_add_resident_household_fields"

    func prepare(on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        // One column a statement: SQLite adds only one at a time.
        try await sql.alter(table: "residents").column("relation", type: .text).run()
        try await sql.alter(table: "residents").column("residence", type: .text).run()
    }

    func revert(on db: any Database) async throws {
        for column in ["residence", "relation"] { try await db.schema("residents").deleteField(.string(column)).update() }
    }
}
