import FluentKit
import SQLKit

struct CreateAuditLog: AsyncMigration {
    let name = "0019_create_audit_log"
    func prepare(on db: any Database) async throws {
        // Append-only, hash-chained (DataExchange/AuditStore): `seq` is the chain position and the primary key, so
        // two writers cannot both extend the chain from the same row.
        try await db.schema("audit_log")
            .field("seq", .int64, .identifier(auto: false))
            .field("at_ms", .int64, .required)
            .field("actor_id", .uuid)
            .field("actor_name", .string, .required)
            .field("action", .string, .required)
            .field("subject", .string, .required)
            .field("detail", .string, .required)
            .field("previous_hash", .string, .required)
            .field("hash", .string, .required)
            .create()
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.create(index: "audit_log_action_idx").on("audit_log").column("action").column("at_ms").run()
        try await sql.create(index: "audit_log_actor_idx").on("audit_log").column("actor_id").column("at_ms").run()
        // The database itself refuses changes and deletions (an attacker must drop the trigger first, which the
        // hash chain then still exposes).
        if sql.dialect.name == "sqlite" {
            try await sql.raw("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END").run()
            try await sql.raw("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END").run()
        } else {
            try await sql.raw("CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$ LANGUAGE plpgsql").run()
            try await sql.raw("CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()").run()
        }
    }
    func revert(on db: any Database) async throws {
        if let sql = db as? any SQLDatabase, sql.dialect.name != "sqlite" {
            try await sql.raw("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log").run()
            try await sql.raw("DROP FUNCTION IF EXISTS audit_log_append_only()").run()
        }
        try await db.schema("audit_log").delete()
    }
}
