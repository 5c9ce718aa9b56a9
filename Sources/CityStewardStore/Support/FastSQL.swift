import Foundation
import SQLKit

/// Statements for the hot path written as plain text with bound parameters. SQLKit's builders escape every
/// identifier on every call (a measurable share of the CPU per request on this machine); our column names are our
/// own snake_case words, so they are written as they are.
public enum FastSQL {
    public struct Insert: SQLExpression {
        let table: String
        let columns: [String]
        let rows: [[any SQLExpression]]
        /// `ON CONFLICT DO NOTHING` (SQLite ≥ 3.24 and PostgreSQL): a row that would break a unique constraint is skipped.
        var onConflictDoNothing = false

        public init(table: String, columns: [String], rows: [[any SQLExpression]], onConflictDoNothing: Bool = false) {
            self.table = table
            self.columns = columns
            self.rows = rows
            self.onConflictDoNothing = onConflictDoNothing
        }

        public func serialize(to serializer: inout SQLSerializer) {
            serializer.write("INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES ")
            for (i, row) in rows.enumerated() {
                serializer.write(i == 0 ? "(" : ", (")
                for (j, value) in row.enumerated() {
                    if j > 0 { serializer.write(", ") }
                    value.serialize(to: &serializer)
                }
                serializer.write(")")
            }
            if onConflictDoNothing { serializer.write(" ON CONFLICT DO NOTHING") }
        }
    }

    /// Inserts rows of one Encodable type (all with the same columns) in one statement.
    static func insert<T: Encodable>(_ models: [T], into table: String, encoder: SQLQueryEncoder, on sql: any SQLDatabase) async throws {
        guard !models.isEmpty else { return }
        let encoded = try models.map { try encoder.encode($0) }
        let columns = encoded[0].map(\.0)
        try await sql.execute(sql: Insert(table: table, columns: columns, rows: encoded.map { $0.map(\.1) })) { _ in }
    }
}
