import FluentKit
import SQLKit

/// Every migration, in order. Numbered, explicitly named (the default name includes the module), frozen once
/// landed, additive only so SQLite runs them too (reference/style.md §7.3).
public enum CityStewardMigrations {
    public static let all: [any Migration] = [
        CreateAreas(),
        CreateOrgs(),
        CreateOrgAreas(),
        CreateUsers(),
        CreateAPITokens(),
        CreateLoginThrottle(),
        CreateCategories(),
        CreateMatters(),
        CreateEntrustedMatters(),
        CreateCases(),
        CreateCaseEvents(),
        CreateCasePhotos(),
        CreateCaseCounters(),
        CreateJobLeases(),
        CreateNotifications(),
        CreateFacilities(),
        CreateResidentReports(),
        IndexCasesUpdated(),
        CreateAuditLog(),
        CreateResidents(),
        CreateDevices(),
        CreateDeviceEvents(),
        CreateDataConsumers(),
        CreateGateCounts(),
        CreateConsumerWebhooks(),
        CreateContracts(),
        CreateBilling(),
        CreateLedger(),
    ]
}

struct CreateAreas: AsyncMigration {
    let name = "0001_create_areas"
    func prepare(on db: any Database) async throws {
        try await db.schema("areas")
            .id()
            .field("kind", .string, .required)
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("name_en", .string)
            .field("parent_id", .uuid, .references("areas", "id"))
            .field("street_id", .uuid)
            .field("path", .string, .required)
            .field("geometry", .string)
            .field("min_lat", .double)
            .field("min_long", .double)
            .field("max_lat", .double)
            .field("max_long", .double)
            .field("centre_lat", .double)
            .field("centre_long", .double)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "code")
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "areas_parent_idx").on("areas").column("parent_id").run()
            try await sql.create(index: "areas_street_idx").on("areas").column("street_id").column("kind").run()
            try await sql.create(index: "areas_path_idx").on("areas").column("path").run()
        }
    }
    func revert(on db: any Database) async throws { try await db.schema("areas").delete() }
}

struct CreateOrgs: AsyncMigration {
    let name = "0002_create_orgs"
    func prepare(on db: any Database) async throws {
        try await db.schema("orgs")
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("name_en", .string)
            .field("kind", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "code")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("orgs").delete() }
}

struct CreateOrgAreas: AsyncMigration {
    let name = "0003_create_org_areas"
    func prepare(on db: any Database) async throws {
        try await db.schema("org_areas")
            .id()
            .field("org_id", .uuid, .required, .references("orgs", "id", onDelete: .cascade))
            .field("area_id", .uuid, .required, .references("areas", "id", onDelete: .cascade))
            .field("street_id", .uuid)
            .field("created_at", .datetime)
            .unique(on: "org_id", "area_id")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("org_areas").delete() }
}

struct CreateUsers: AsyncMigration {
    let name = "0004_create_users"
    func prepare(on db: any Database) async throws {
        try await db.schema("users")
            .id()
            .field("username", .string, .required)
            .field("display_name", .string, .required)
            .field("password_hash", .string, .required)
            .field("role", .string, .required)
            .field("org_id", .uuid, .references("orgs", "id"))
            .field("is_active", .bool, .required)
            .field("failed_logins", .int, .required)
            .field("locked_until", .datetime)
            .field("last_login_at", .datetime)
            .field("created_at", .datetime)
            .unique(on: "username")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("users").delete() }
}

struct CreateAPITokens: AsyncMigration {
    let name = "0005_create_api_tokens"
    func prepare(on db: any Database) async throws {
        try await db.schema("api_tokens")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("kind", .string, .required)
            .field("name", .string, .required)
            .field("token_hash", .string, .required)
            .field("prefix", .string, .required)
            .field("scopes", .string, .required)
            .field("expires_at", .datetime)
            .field("revoked_at", .datetime)
            .field("last_used_at", .datetime)
            .field("created_at", .datetime)
            .unique(on: "token_hash")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("api_tokens").delete() }
}

struct CreateLoginThrottle: AsyncMigration {
    let name = "0006_create_login_throttle"
    func prepare(on db: any Database) async throws {
        try await db.schema("login_throttle")
            .id()
            .field("client_key", .string, .required)
            .field("window_start", .datetime, .required)
            .field("attempts", .int, .required)
            .unique(on: "client_key")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("login_throttle").delete() }
}

struct CreateCategories: AsyncMigration {
    let name = "0007_create_categories"
    func prepare(on db: any Database) async throws {
        // One row per version of a category; a case keeps the version it was filed under.
        try await db.schema("categories")
            .id()
            .field("code", .string, .required)
            .field("kind", .string, .required)
            .field("version", .int, .required)
            .field("is_current", .bool, .required)
            .field("name", .string, .required)
            .field("name_en", .string, .required)
            .field("major_code", .string, .required)
            .field("major_name", .string, .required)
            .field("major_name_en", .string, .required)
            .field("group_code", .string, .required)
            .field("matter_code", .string)
            .field("owner_department", .string)
            .field("beyond_authority", .bool, .required)
            .field("limits", .string, .required)
            .field("legacy_codes", .string, .required)
            .field("edited_by", .uuid)
            .field("note", .string)
            .field("created_at", .datetime, .required)
            .unique(on: "kind", "code", "version")
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "categories_current_idx").on("categories").column("is_current").column("kind").run()
        }
    }
    func revert(on db: any Database) async throws { try await db.schema("categories").delete() }
}

struct CreateMatters: AsyncMigration {
    let name = "0008_create_matters"
    func prepare(on db: any Database) async throws {
        try await db.schema("matters")
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("name_en", .string, .required)
            .field("domain", .string, .required)
            .field("owner_department", .string)
            .field("created_at", .datetime, .required)
            .unique(on: "code")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("matters").delete() }
}

struct CreateEntrustedMatters: AsyncMigration {
    let name = "0009_create_entrusted_matters"
    func prepare(on db: any Database) async throws {
        try await db.schema("entrusted_matters")
            .id()
            .field("matter_code", .string, .required)
            .field("area_id", .uuid, .required, .references("areas", "id"))
            .field("steward_id", .uuid, .required, .references("orgs", "id"))
            .field("valid_from", .datetime, .required)
            .field("valid_to", .datetime)
            .field("contract_reference", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "entrusted_matters_matter_idx").on("entrusted_matters").column("matter_code").run()
        }
    }
    func revert(on db: any Database) async throws { try await db.schema("entrusted_matters").delete() }
}

struct CreateCases: AsyncMigration {
    let name = "0010_create_cases"
    func prepare(on db: any Database) async throws {
        try await db.schema("cases")
            .id()
            .field("number", .string, .required)
            .field("category_code", .string, .required)
            .field("category_version", .int, .required)
            .field("category_name", .string, .required)
            .field("category_name_en", .string, .required)
            .field("urgency", .string, .required)
            .field("source", .string, .required)
            .field("description", .string, .required)
            .field("state", .string, .required)
            .field("revision", .int, .required)
            .field("lat", .double, .required)
            .field("long", .double, .required)
            .field("area_id", .uuid, .required)
            .field("area_path", .string, .required)
            .field("area_name", .string, .required)
            .field("village_id", .uuid)
            .field("street_id", .uuid)
            .field("place_code", .string)
            .field("responsible_id", .uuid, .required)
            .field("responsible_name", .string, .required)
            .field("responsible_kind", .string, .required)
            .field("routing_rule", .string, .required)
            .field("routing_explanation_zh", .string, .required)
            .field("routing_explanation_en", .string, .required)
            .field("contract_reference", .string)
            .field("owner_department_id", .uuid)
            .field("reporter_id", .uuid)
            .field("reporter_name", .string)
            .field("reported_at", .datetime, .required)
            .field("deadline", .datetime, .required)
            .field("step_due", .datetime)
            .field("pending", .string)
            .field("pending_hours", .double)
            .field("suspended_at", .datetime)
            .field("resume_state", .string)
            .field("handled_by", .uuid)
            .field("supervised", .bool, .required)
            .field("escalation", .int, .required)
            .field("duplicate_of", .uuid)
            .field("merged_into", .uuid)
            .field("closed_at", .datetime)
            .field("updated_at", .datetime, .required)
            .field("idempotency_key", .string)
            .unique(on: "number")
            .unique(on: "idempotency_key")
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "cases_state_due_idx").on("cases").column("state").column("step_due").run()
            try await sql.create(index: "cases_category_time_idx").on("cases").column("category_code").column("reported_at").run()
            try await sql.create(index: "cases_responsible_idx").on("cases").column("responsible_id").column("state").run()
            try await sql.create(index: "cases_path_idx").on("cases").column("area_path").run()
            try await sql.create(index: "cases_owner_idx").on("cases").column("owner_department_id").run()
            try await sql.create(index: "cases_reporter_idx").on("cases").column("reporter_id").run()
            try await sql.create(index: "cases_reported_idx").on("cases").column("reported_at").run()
        }
    }
    func revert(on db: any Database) async throws { try await db.schema("cases").delete() }
}

struct CreateCaseEvents: AsyncMigration {
    let name = "0011_create_case_events"
    func prepare(on db: any Database) async throws {
        try await db.schema("case_events")
            .id()
            .field("case_id", .uuid, .required, .references("cases", "id", onDelete: .cascade))
            .field("seq", .int, .required)
            .field("action", .string, .required)
            .field("from_state", .string)
            .field("to_state", .string, .required)
            .field("actor_id", .uuid)
            .field("actor_name", .string, .required)
            .field("at", .datetime, .required)
            .field("note", .string)
            .field("lat", .double)
            .field("long", .double)
            .field("detail", .string)
            .unique(on: "case_id", "seq")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("case_events").delete() }
}

struct CreateCasePhotos: AsyncMigration {
    let name = "0012_create_case_photos"
    func prepare(on db: any Database) async throws {
        try await db.schema("case_photos")
            .id()
            .field("case_id", .uuid, .required, .references("cases", "id", onDelete: .cascade))
            .field("event_seq", .int, .required)
            .field("role", .string, .required)
            .field("hash", .string, .required)
            .field("public_hash", .string, .required)
            .field("format", .string, .required)
            .field("bytes", .int, .required)
            .field("created_at", .datetime, .required)
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "case_photos_case_idx").on("case_photos").column("case_id").run()
            try await sql.create(index: "case_photos_hash_idx").on("case_photos").column("hash").run()
            try await sql.create(index: "case_photos_public_idx").on("case_photos").column("public_hash").run()
        }
    }
    func revert(on db: any Database) async throws { try await db.schema("case_photos").delete() }
}

struct CreateCaseCounters: AsyncMigration {
    let name = "0013_create_case_counters"
    func prepare(on db: any Database) async throws {
        // The yearly sequence behind case numbers; one row per year, bumped inside the intake transaction.
        try await db.schema("case_counters")
            .field("year", .int, .required)
            .field("last", .int, .required)
            .unique(on: "year")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("case_counters").delete() }
}

struct CreateJobLeases: AsyncMigration {
    let name = "0014_create_job_leases"
    func prepare(on db: any Database) async throws {
        // A periodic job runs in the one instance holding its lease (several app instances, no coordinator).
        try await db.schema("job_leases")
            .field("name", .string, .required)
            .field("holder", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("last_run_at", .datetime)
            .unique(on: "name")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("job_leases").delete() }
}

struct CreateNotifications: AsyncMigration {
    let name = "0015_create_notifications"
    func prepare(on db: any Database) async throws {
        // The outbox: notifications to staff are rows first; a sender (SMS gateway …) delivers them later.
        try await db.schema("notifications")
            .id()
            .field("channel", .string, .required)
            .field("org_id", .uuid)
            .field("user_id", .uuid)
            .field("case_id", .uuid)
            .field("kind", .string, .required)
            .field("text_zh", .string, .required)
            .field("text_en", .string, .required)
            .field("created_at", .datetime, .required)
            .field("sent_at", .datetime)
            .field("attempts", .int, .required)
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "notifications_org_idx").on("notifications").column("org_id").column("created_at").run()
            try await sql.create(index: "notifications_unsent_idx").on("notifications").column("sent_at").run()
        }
    }
    func revert(on db: any Database) async throws { try await db.schema("notifications").delete() }
}

struct CreateFacilities: AsyncMigration {
    let name = "0016_create_facilities"
    func prepare(on db: any Database) async throws {
        try await db.schema("facilities")
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("name_en", .string)
            .field("component_code", .string, .required)
            .field("area_id", .uuid, .required)
            .field("area_path", .string, .required)
            .field("street_id", .uuid)
            .field("lat", .double, .required)
            .field("long", .double, .required)
            .unique(on: "code")
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "facilities_area_path_idx").on("facilities").column("area_path").run()
        }
    }
    func revert(on db: any Database) async throws { try await db.schema("facilities").delete() }
}

struct CreateResidentReports: AsyncMigration {
    let name = "0017_create_resident_reports"
    func prepare(on db: any Database) async throws {
        // A resident's follow-up of one case: the tracking link (stored as its SHA-256), the phone left for
        // follow-up (AES-GCM sealed, an HMAC blind index for lookup, the masked form for display), rating, reopening.
        try await db.schema("resident_reports")
            .field("case_id", .uuid, .identifier(auto: false))
            .field("tracking_hash", .string, .required)
            .field("phone_sealed", .string)
            .field("phone_index", .string)
            .field("phone_masked", .string)
            .field("language", .string, .required)
            .field("rating", .int)
            .field("rating_comment", .string)
            .field("rated_at", .datetime)
            .field("reopen_count", .int, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "tracking_hash")
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "resident_reports_phone_idx").on("resident_reports").column("phone_index").run()
        }
    }
    func revert(on db: any Database) async throws { try await db.schema("resident_reports").delete() }
}

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

struct CreateResidents: AsyncMigration {
    let name = "0020_create_residents"
    func prepare(on db: any Database) async throws {
        // 实有人口: name, ID number and phone sealed (AES-GCM), each with its masked form for lists and an HMAC blind
        // index for exact search; the birth year and sex (from the ID number) stay clear for age-band statistics.
        try await db.schema("residents")
            .id()
            .field("area_id", .uuid, .required)
            .field("area_path", .string, .required)
            .field("street_id", .uuid)
            .field("building_code", .string, .required)
            .field("unit", .string, .required)
            .field("role", .string, .required)
            .field("name_sealed", .string, .required)
            .field("name_masked", .string, .required)
            .field("id_sealed", .string, .required)
            .field("id_masked", .string, .required)
            .field("id_index", .string, .required)
            .field("phone_sealed", .string)
            .field("phone_masked", .string)
            .field("phone_index", .string)
            .field("birth_year", .int, .required)
            .field("male", .bool, .required)
            .field("move_in", .string, .required)
            .field("move_out", .string)
            .field("key_version", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "id_index")
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "residents_area_path_idx").on("residents").column("area_path").run()
            try await sql.create(index: "residents_phone_idx").on("residents").column("phone_index").run()
        }
    }
    func revert(on db: any Database) async throws { try await db.schema("residents").delete() }
}

struct CreateDevices: AsyncMigration {
    let name = "0021_create_devices"
    func prepare(on db: any Database) async throws {
        try await db.schema("devices")
            .id()
            .field("code", .string, .required)
            .field("kind", .string, .required)
            .field("name", .string, .required)
            .field("vendor", .string, .required)
            .field("status", .string, .required)
            .field("area_id", .uuid, .required)
            .field("area_path", .string, .required)
            .field("street_id", .uuid)
            .field("lat", .double, .required)
            .field("long", .double, .required)
            .field("token_id", .uuid)
            .field("created_at", .datetime, .required)
            .unique(on: "code")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("devices").delete() }
}

struct CreateDeviceEvents: AsyncMigration {
    let name = "0022_create_device_events"
    func prepare(on db: any Database) async throws {
        // Raw events: a person reference and a plate are sealed like residents' data; (device, client id) is unique,
        // so a retried batch stores nothing twice.
        try await db.schema("device_events")
            .id()
            // The feed cursor: assigned in commit order (writers take a lock), so a reader never skips one.
            .field("seq", .int64, .required)
            .field("device_id", .uuid, .required)
            .field("client_id", .string, .required)
            .field("kind", .string, .required)
            .field("at", .datetime, .required)
            .field("received_at", .datetime, .required)
            .field("area_path", .string, .required)
            .field("street_id", .uuid)
            .field("direction", .string)
            .field("method", .string)
            .field("person_sealed", .string)
            .field("plate_sealed", .string)
            .field("plate_masked", .string)
            .field("event_type", .string)
            .field("category_code", .string)
            .field("confidence", .double)
            .field("image_ref", .string)
            .field("case_id", .uuid)
            .unique(on: "device_id", "client_id")
            .unique(on: "seq")
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "device_events_at_idx").on("device_events").column("area_path").column("at").run()
        }
    }
    func revert(on db: any Database) async throws { try await db.schema("device_events").delete() }
}

struct CreateDataConsumers: AsyncMigration {
    let name = "0023_create_data_consumers"
    func prepare(on db: any Database) async throws {
        // Who may pull which events, desensitized by which rules (the current version here, every version in
        // consumer_rules).
        try await db.schema("data_consumers")
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("user_id", .uuid, .required)
            .field("area_ids", .string, .required)
            .field("kinds", .string, .required)
            .field("rules", .string, .required)
            .field("rules_version", .int, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "code")
            .create()
        try await db.schema("consumer_rules")
            .field("consumer_id", .uuid, .required)
            .field("version", .int, .required)
            .field("rules", .string, .required)
            .field("changed_by", .string, .required)
            .field("changed_at", .datetime, .required)
            .unique(on: "consumer_id", "version")
            .create()
    }
    func revert(on db: any Database) async throws {
        try await db.schema("consumer_rules").delete()
        try await db.schema("data_consumers").delete()
    }
}

struct CreateGateCounts: AsyncMigration {
    let name = "0024_create_gate_counts"
    func prepare(on db: any Database) async throws {
        // What remains of raw gate passes after the retention period: counts per device, hour, direction and
        // method — nobody in them.
        try await db.schema("gate_counts")
            .field("device_id", .uuid, .required)
            .field("hour", .datetime, .required)
            .field("direction", .string, .required)
            .field("method", .string, .required)
            .field("passes", .int, .required)
            .unique(on: "device_id", "hour", "direction", "method")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("gate_counts").delete() }
}

struct CreateConsumerWebhooks: AsyncMigration {
    let name = "0025_create_consumer_webhooks"
    func prepare(on db: any Database) async throws {
        // A consumer's push delivery: where to, the signing secret (sealed like personal data), and how far it has
        // got. The cursor moves only when the receiver answered 2xx.
        try await db.schema("consumer_webhooks")
            .field("consumer_id", .uuid, .identifier(auto: false))
            .field("url", .string, .required)
            .field("secret_sealed", .string, .required)
            .field("cursor", .int64, .required)
            .field("failures", .int, .required)
            .field("next_attempt_at", .datetime, .required)
            .field("last_attempt_at", .datetime)
            .field("last_status", .int)
            .field("last_error", .string)
            .field("delivered_at", .datetime)
            .field("delivered_events", .int64, .required)
            .field("changed_by", .string, .required)
            .field("changed_at", .datetime, .required)
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("consumer_webhooks").delete() }
}

struct CreateContracts: AsyncMigration {
    let name = "0026_create_contracts"
    func prepare(on db: any Database) async throws {
        // The industry benchmark price of each catalog matter (per unit and month).
        try await db.schema("matter_prices")
            .field("matter_code", .string, .identifier(auto: false))
            .field("unit", .string, .required)
            .field("benchmark_fen", .int64, .required)
            .field("changed_by", .string, .required)
            .field("changed_at", .datetime, .required)
            .create()
        // One row per version of a contract; `terms` is the whole ContractTerms as JSON (what was agreed is kept
        // exactly), the columns beside it are what lists and checks query.
        try await db.schema("contracts")
            .id()
            .field("number", .string, .required)
            .field("version", .int, .required)
            .field("state", .string, .required)
            .field("street_id", .uuid, .required)
            .field("steward_id", .uuid, .required)
            .field("title", .string, .required)
            .field("start_day", .string, .required)
            .field("end_day", .string, .required)
            .field("monthly_fen", .int64, .required)
            .field("terms", .string, .required)
            .field("terminated_on", .string)
            .field("created_by", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "number", "version")
            .create()
        try await db.schema("contract_events")
            .field("contract_id", .uuid, .required)
            .field("seq", .int, .required)
            .field("action", .string, .required)
            .field("from_state", .string)
            .field("to_state", .string, .required)
            .field("actor_name", .string, .required)
            .field("at", .datetime, .required)
            .field("note", .string)
            .unique(on: "contract_id", "seq")
            .create()
        // How each village's property services came to the steward (plan §7(1)).
        try await db.schema("village_takeovers")
            .field("village_id", .uuid, .identifier(auto: false))
            .field("mode", .string, .required)
            .field("since", .string, .required)
            .field("former_company", .string)
            .field("contracts", .string, .required)
            .field("note", .string)
            .field("changed_by", .string, .required)
            .field("changed_at", .datetime, .required)
            .create()
    }
    func revert(on db: any Database) async throws {
        for t in ["village_takeovers", "contract_events", "contracts", "matter_prices"] { try await db.schema(t).delete() }
    }
}

struct CreateBilling: AsyncMigration {
    let name = "0027_create_billing"
    func prepare(on db: any Database) async throws {
        // A contract's bill for a month or quarter, with every line and the facts it was computed from.
        try await db.schema("billing_runs")
            .id()
            .field("contract_id", .uuid, .required)
            .field("contract_number", .string, .required)
            .field("street_id", .uuid, .required)
            .field("period", .string, .required)
            .field("gross_fen", .int64, .required)
            .field("deductions_fen", .int64, .required)
            .field("net_fen", .int64, .required)
            .field("lines", .string, .required)
            .field("facts", .string, .required)
            .field("run_by", .string, .required)
            .field("run_at", .datetime, .required)
            .unique(on: "contract_id", "period")
            .create()
        // A street's month closed for finance: no billing run or ledger entry may change it afterwards.
        try await db.schema("finance_periods")
            .field("street_id", .uuid, .required)
            .field("month", .string, .required)
            .field("closed_by", .string, .required)
            .field("closed_at", .datetime, .required)
            .unique(on: "street_id", "month")
            .create()
    }
    func revert(on db: any Database) async throws {
        try await db.schema("finance_periods").delete()
        try await db.schema("billing_runs").delete()
    }
}

struct CreateLedger: AsyncMigration {
    let name = "0028_create_ledger"
    func prepare(on db: any Database) async throws {
        // Every income and cost of a village by month; `reference` ties generated entries to their origin (a
        // billing run, a fee payment, a subsidy decision) so they are replaced, never doubled.
        try await db.schema("ledger_entries")
            .id()
            .field("village_id", .uuid, .required)
            .field("street_id", .uuid, .required)
            .field("month", .string, .required)
            .field("direction", .string, .required)
            .field("category", .string, .required)
            .field("amount_fen", .int64, .required)
            .field("department", .string)
            .field("reference", .string)
            .field("memo", .string, .required)
            .field("entered_by", .string, .required)
            .field("entered_at", .datetime, .required)
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "ledger_entries_village_month_idx").on("ledger_entries").column("village_id").column("month").run()
            try await sql.create(index: "ledger_entries_reference_idx").on("ledger_entries").column("reference").run()
        }
        // Property fees: a schedule per village, a bill per household and month, payments against bills.
        try await db.schema("fee_schedules")
            .field("village_id", .uuid, .required)
            .field("from_month", .string, .required)
            .field("fen_per_household", .int64, .required)
            .field("changed_by", .string, .required)
            .field("changed_at", .datetime, .required)
            .unique(on: "village_id", "from_month")
            .create()
        try await db.schema("fee_bills")
            .id()
            .field("village_id", .uuid, .required)
            .field("street_id", .uuid, .required)
            .field("building_code", .string, .required)
            .field("unit", .string, .required)
            .field("month", .string, .required)
            .field("amount_fen", .int64, .required)
            .field("paid_fen", .int64, .required)
            .field("issued_at", .datetime, .required)
            .unique(on: "building_code", "unit", "month")
            .create()
        try await db.schema("fee_payments")
            .id()
            .field("bill_id", .uuid, .required)
            .field("amount_fen", .int64, .required)
            .field("paid_on", .string, .required)
            .field("method", .string, .required)
            .field("recorded_by", .string, .required)
            .field("recorded_at", .datetime, .required)
            .create()
        // Subsidy requests and decisions.
        try await db.schema("subsidies")
            .id()
            .field("kind", .string, .required)
            .field("village_id", .uuid, .required)
            .field("street_id", .uuid, .required)
            .field("title", .string, .required)
            .field("reason", .string, .required)
            .field("amount_fen", .int64, .required)
            .field("service_year", .int)
            .field("state", .string, .required)
            .field("requested_by", .string, .required)
            .field("requested_at", .datetime, .required)
            .field("decided_by", .string)
            .field("decided_at", .datetime)
            .field("decision_note", .string)
            .field("approved_fen", .int64)
            .create()
    }
    func revert(on db: any Database) async throws {
        for t in ["subsidies", "fee_payments", "fee_bills", "fee_schedules", "ledger_entries"] { try await db.schema(t).delete() }
    }
}
