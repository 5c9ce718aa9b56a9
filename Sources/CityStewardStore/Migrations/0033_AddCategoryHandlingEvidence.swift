import FluentKit
import SQLKit

/// What marking a case of a class handled must carry (a note, a photo after). Every stored version asks for both,
/// as the shipped classes do, until the district office relaxes a class.
struct AddCategoryHandlingEvidence: AsyncMigration {
    let name = "0033_add_category_handling_evidence"

    func prepare(on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        // One column a statement: SQLite adds only one at a time.
        for column in ["handling_note", "handling_after_photo"] {
            try await sql.alter(table: "categories")
                .column(column, type: .custom(SQLRaw("BOOLEAN")), .notNull, .default(SQLLiteral.boolean(true))).run()
        }
    }

    func revert(on db: any Database) async throws {
        try await db.schema("categories").deleteField("handling_after_photo").update()
        try await db.schema("categories").deleteField("handling_note").update()
    }
}
