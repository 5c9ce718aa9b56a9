import FluentKit
import SQLKit

struct CreateCaseTallies: AsyncMigration {
    let name = "0029_create_case_tallies"

    /// What a tally groups by: the columns a scope and the queue's filters test. `owner_key` is the owner department
    /// or the nil UUID (a unique key treats NULLs as distinct, so an upsert could not find the row).
    static let key = ["area_path", "responsible_id", "owner_key", "category_code", "source", "state"]
    static let nilUUID = "00000000-0000-0000-0000-000000000000"

    func prepare(on db: any Database) async throws {
        // Cases per place, party, owner, class, source and state, kept by the database with every write to `cases`
        // (triggers, so no writer can forget): the queue's counts sum a few hundred rows instead of counting a
        // million cases per request.
        try await db.schema("case_tallies")
            .field("area_path", .string, .required)
            .field("responsible_id", .uuid, .required)
            .field("owner_key", .uuid, .required)
            .field("category_code", .string, .required)
            .field("source", .string, .required)
            .field("state", .string, .required)
            .field("n", .int, .required)
            .unique(on: "area_path", "responsible_id", "owner_key", "category_code", "source", "state")
            .create()
        guard let sql = db as? any SQLDatabase else { return }
        let columns = Self.key.joined(separator: ", ")
        if sql.dialect.name == "sqlite" {
            func values(_ row: String) -> String {
                "\(row).area_path, \(row).responsible_id, COALESCE(\(row).owner_department_id, '\(Self.nilUUID)'), \(row).category_code, \(row).source, \(row).state"
            }
            func match(_ row: String) -> String {
                "area_path = \(row).area_path AND responsible_id = \(row).responsible_id AND owner_key = COALESCE(\(row).owner_department_id, '\(Self.nilUUID)') AND category_code = \(row).category_code AND source = \(row).source AND state = \(row).state"
            }
            let add = "INSERT INTO case_tallies (\(columns), n) VALUES (\(values("NEW")), 1) ON CONFLICT (\(columns)) DO UPDATE SET n = n + 1;"
            let remove = "UPDATE case_tallies SET n = n - 1 WHERE \(match("OLD"));"
            let changed = ["state", "area_path", "responsible_id", "owner_department_id", "category_code", "source"]
            try await sql.raw("CREATE TRIGGER case_tallies_insert AFTER INSERT ON cases BEGIN \(unsafeRaw: add) END").run()
            try await sql.raw("""
                CREATE TRIGGER case_tallies_update AFTER UPDATE OF \(unsafeRaw: changed.joined(separator: ", ")) ON cases
                WHEN \(unsafeRaw: changed.map { "OLD.\($0) IS NOT NEW.\($0)" }.joined(separator: " OR "))
                BEGIN \(unsafeRaw: remove) \(unsafeRaw: add) END
                """).run()
            try await sql.raw("CREATE TRIGGER case_tallies_delete AFTER DELETE ON cases BEGIN \(unsafeRaw: remove) END").run()
            try await sql.raw("""
                INSERT INTO case_tallies (\(unsafeRaw: columns), n)
                SELECT area_path, responsible_id, COALESCE(owner_department_id, '\(unsafeRaw: Self.nilUUID)'), category_code, source, state, COUNT(*)
                FROM cases GROUP BY area_path, responsible_id, COALESCE(owner_department_id, '\(unsafeRaw: Self.nilUUID)'), category_code, source, state
                """).run()
        } else {
            // Two transactions moving cases in opposite directions take the two tally rows in the same order (the
            // smaller key first), so they wait for each other instead of deadlocking.
            try await sql.raw("""
                CREATE FUNCTION case_tallies_apply() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE
                    old_owner uuid;
                    new_owner uuid;
                BEGIN
                    IF TG_OP <> 'INSERT' THEN old_owner := COALESCE(OLD.owner_department_id, '\(unsafeRaw: Self.nilUUID)'::uuid); END IF;
                    IF TG_OP <> 'DELETE' THEN new_owner := COALESCE(NEW.owner_department_id, '\(unsafeRaw: Self.nilUUID)'::uuid); END IF;
                    IF TG_OP = 'UPDATE' AND ROW(OLD.area_path, OLD.responsible_id, old_owner, OLD.category_code, OLD.source, OLD.state)
                        IS NOT DISTINCT FROM ROW(NEW.area_path, NEW.responsible_id, new_owner, NEW.category_code, NEW.source, NEW.state) THEN
                        RETURN NULL;
                    END IF;
                    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND ROW(OLD.area_path, OLD.responsible_id::text, old_owner::text, OLD.category_code, OLD.source, OLD.state)
                        < ROW(NEW.area_path, NEW.responsible_id::text, new_owner::text, NEW.category_code, NEW.source, NEW.state)) THEN
                        UPDATE case_tallies SET n = n - 1 WHERE area_path = OLD.area_path AND responsible_id = OLD.responsible_id AND owner_key = old_owner
                            AND category_code = OLD.category_code AND source = OLD.source AND state = OLD.state;
                        IF TG_OP = 'DELETE' THEN RETURN NULL; END IF;
                        INSERT INTO case_tallies (\(unsafeRaw: columns), n) VALUES (NEW.area_path, NEW.responsible_id, new_owner, NEW.category_code, NEW.source, NEW.state, 1)
                            ON CONFLICT (\(unsafeRaw: columns)) DO UPDATE SET n = case_tallies.n + 1;
                        RETURN NULL;
                    END IF;
                    INSERT INTO case_tallies (\(unsafeRaw: columns), n) VALUES (NEW.area_path, NEW.responsible_id, new_owner, NEW.category_code, NEW.source, NEW.state, 1)
                        ON CONFLICT (\(unsafeRaw: columns)) DO UPDATE SET n = case_tallies.n + 1;
                    IF TG_OP = 'UPDATE' THEN
                        UPDATE case_tallies SET n = n - 1 WHERE area_path = OLD.area_path AND responsible_id = OLD.responsible_id AND owner_key = old_owner
                            AND category_code = OLD.category_code AND source = OLD.source AND state = OLD.state;
                    END IF;
                    RETURN NULL;
                END $$
                """).run()
            try await sql.raw("CREATE TRIGGER case_tallies_keep AFTER INSERT OR UPDATE OR DELETE ON cases FOR EACH ROW EXECUTE FUNCTION case_tallies_apply()").run()
            try await sql.raw("""
                INSERT INTO case_tallies (\(unsafeRaw: columns), n)
                SELECT area_path, responsible_id, COALESCE(owner_department_id, '\(unsafeRaw: Self.nilUUID)'::uuid), category_code, source, state, COUNT(*)
                FROM cases GROUP BY 1, 2, 3, 4, 5, 6
                """).run()
        }
    }

    func revert(on db: any Database) async throws {
        if let sql = db as? any SQLDatabase {
            if sql.dialect.name == "sqlite" {
                for t in ["insert", "update", "delete"] { try await sql.raw("DROP TRIGGER IF EXISTS case_tallies_\(unsafeRaw: t)").run() }
            } else {
                try await sql.raw("DROP TRIGGER IF EXISTS case_tallies_keep ON cases").run()
                try await sql.raw("DROP FUNCTION IF EXISTS case_tallies_apply()").run()
            }
        }
        try await db.schema("case_tallies").delete()
    }
}
