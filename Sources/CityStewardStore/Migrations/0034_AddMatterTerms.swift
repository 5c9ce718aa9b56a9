import FluentKit
import SQLKit

/// The catalog's own terms of a matter beyond its price: a default handling limit, the beyond-authority flag, and the
/// version in force (the versions themselves are in `matter_versions`).
struct AddMatterTerms: AsyncMigration {
    let name = "0034_add_matter_terms"

    func prepare(on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        // One column a statement: SQLite adds only one at a time.
        try await sql.alter(table: "matters").column("time_limit_hours", type: .int).run()
        try await sql.alter(table: "matters").column("beyond_authority", type: .custom(SQLRaw("BOOLEAN")), .notNull, .default(SQLLiteral.boolean(false))).run()
        try await sql.alter(table: "matters").column("version", type: .int, .notNull, .default(SQLLiteral.numeric("1"))).run()
    }

    func revert(on db: any Database) async throws {
        for column in ["version", "beyond_authority", "time_limit_hours"] { try await db.schema("matters").deleteField(.string(column)).update() }
    }
}
