import FluentKit
import SQLKit

/// Cases per month reported (Beijing) and per place, party, owner, class and source, with how many are closed, closed
/// by their deadline and rated (count, sum, 4 or 5), kept by the database with every write to `cases` like
/// `case_tallies`: the dashboards' twelve months add up a few thousand rows instead of reading a year of cases.
struct CreateCaseMonths: AsyncMigration {
    let name = "0054_create_case_months"

    static let key = ["month", "area_path", "responsible_id", "owner_key", "category_code", "source"]
    static let figures = ["reported", "closed", "closed_on_time", "rated", "rating_sum", "satisfied"]
    /// What changes a case's key or figures.
    static let watched = ["area_path", "responsible_id", "owner_department_id", "category_code", "source", "closed_at", "deadline", "rating"]

    /// A case row's key and figures, as SQL over `row` (NEW or OLD, or the table itself).
    static func values(_ row: String, postgres: Bool) -> [String] {
        let nilUUID = CreateCaseTallies.nilUUID
        let month = postgres ? "to_char((\(row).reported_at AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM')"
            : "strftime('%Y-%m', \(row).reported_at + 28800, 'unixepoch')"
        let flag = { (condition: String) in "(CASE WHEN \(condition) THEN 1 ELSE 0 END)" }
        return [month, "\(row).area_path", "\(row).responsible_id", "COALESCE(\(row).owner_department_id, '\(nilUUID)'\(postgres ? "::uuid" : ""))",
                "\(row).category_code", "\(row).source", "1", flag("\(row).closed_at IS NOT NULL"), flag("\(row).closed_at <= \(row).deadline"),
                flag("\(row).rating IS NOT NULL"), "COALESCE(\(row).rating, 0)", flag("\(row).rating >= 4")]
    }

    func prepare(on db: any Database) async throws {
        try await db.schema("case_months")
            .field("month", .string, .required)
            .field("area_path", .string, .required)
            .field("responsible_id", .uuid, .required)
            .field("owner_key", .uuid, .required)
            .field("category_code", .string, .required)
            .field("source", .string, .required)
            .field("reported", .int, .required).field("closed", .int, .required).field("closed_on_time", .int, .required)
            .field("rated", .int, .required).field("rating_sum", .int, .required).field("satisfied", .int, .required)
            .unique(on: "month", "area_path", "responsible_id", "owner_key", "category_code", "source")
            .create()
        guard let sql = db as? any SQLDatabase else { return }
        let postgres = sql.dialect.name != "sqlite"
        let columns = (Self.key + Self.figures).joined(separator: ", "), keyList = Self.key.joined(separator: ", ")
        func add(_ row: String) -> String {
            "INSERT INTO case_months (\(columns)) VALUES (\(Self.values(row, postgres: postgres).joined(separator: ", "))) ON CONFLICT (\(keyList)) DO UPDATE SET "
                + Self.figures.map { "\($0) = case_months.\($0) + excluded.\($0)" }.joined(separator: ", ") + ";"
        }
        func remove(_ row: String) -> String {
            let v = Self.values(row, postgres: postgres)
            return "UPDATE case_months SET " + Self.figures.enumerated().map { "\($1) = \($1) - \(v[Self.key.count + $0])" }.joined(separator: ", ")
                + " WHERE " + Self.key.enumerated().map { "\($1) = \(v[$0])" }.joined(separator: " AND ") + ";"
        }
        if !postgres {
            try await sql.raw("CREATE TRIGGER case_months_insert AFTER INSERT ON cases BEGIN \(unsafeRaw: add("NEW")) END").run()
            try await sql.raw("""
                CREATE TRIGGER case_months_update AFTER UPDATE OF \(unsafeRaw: Self.watched.joined(separator: ", ")) ON cases
                WHEN \(unsafeRaw: Self.watched.map { "OLD.\($0) IS NOT NEW.\($0)" }.joined(separator: " OR "))
                BEGIN \(unsafeRaw: remove("OLD")) \(unsafeRaw: add("NEW")) END
                """).run()
            try await sql.raw("CREATE TRIGGER case_months_delete AFTER DELETE ON cases BEGIN \(unsafeRaw: remove("OLD")) END").run()
        } else {
            // The old row is taken out before the new one is put in; most changes (a closure, a rating) touch one row.
            try await sql.raw("""
                CREATE FUNCTION case_months_apply() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' AND ROW(\(unsafeRaw: Self.watched.map { "OLD.\($0)" }.joined(separator: ", ")))
                        IS NOT DISTINCT FROM ROW(\(unsafeRaw: Self.watched.map { "NEW.\($0)" }.joined(separator: ", "))) THEN
                        RETURN NULL;
                    END IF;
                    IF TG_OP <> 'INSERT' THEN \(unsafeRaw: remove("OLD")) END IF;
                    IF TG_OP <> 'DELETE' THEN \(unsafeRaw: add("NEW")) END IF;
                    RETURN NULL;
                END $$
                """).run()
            try await sql.raw("CREATE TRIGGER case_months_keep AFTER INSERT OR UPDATE OR DELETE ON cases FOR EACH ROW EXECUTE FUNCTION case_months_apply()").run()
        }
        let v = Self.values("cases", postgres: postgres)
        try await sql.raw("""
            INSERT INTO case_months (\(unsafeRaw: columns))
            SELECT \(unsafeRaw: v[..<Self.key.count].joined(separator: ", ")), \(unsafeRaw: v[Self.key.count...].map { "SUM(\($0))" }.joined(separator: ", "))
            FROM cases GROUP BY \(unsafeRaw: v[..<Self.key.count].joined(separator: ", "))
            """).run()
    }

    func revert(on db: any Database) async throws {
        if let sql = db as? any SQLDatabase {
            if sql.dialect.name == "sqlite" {
                for t in ["insert", "update", "delete"] { try await sql.raw("DROP TRIGGER IF EXISTS case_months_\(unsafeRaw: t)").run() }
            } else {
                try await sql.raw("DROP TRIGGER IF EXISTS case_months_keep ON cases").run()
                try await sql.raw("DROP FUNCTION IF EXISTS case_months_apply()").run()
            }
        }
        try await db.schema("case_months").delete()
    }
}
