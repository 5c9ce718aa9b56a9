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
