import FluentKit
import Foundation
import SQLKit

/// Rows under any of some areas' subtrees, by their stored `area_path`: one range on the path index per root. The
/// scopes of work plans, tasks and assets narrow by it.
enum AreaSubtrees {
    /// Narrows `q` to `column` under the roots' paths; false when the roots name no area (the scope holds nothing).
    static func narrow(_ q: SQLSelectBuilder, column: any SQLExpression = SQLIdentifier("area_path"), roots: [UUID], on sql: any SQLDatabase) async throws -> Bool {
        guard !roots.isEmpty else { return false }
        let paths = try await sql.select().column("path").from("areas").where("id", .in, roots).all().map { try $0.decode(column: "path", as: String.self) }
        guard !paths.isEmpty else { return false }
        q.where { group in
            for p in paths { group.orWhere { $0.where(column, .greaterThanOrEqual, SQLBind(p)).where(column, .lessThan, SQLBind(p + "\u{FFFF}")) } }
            return group
        }
        return true
    }
}
