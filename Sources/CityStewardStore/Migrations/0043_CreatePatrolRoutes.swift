import FluentKit
import SQLKit

/// Patrol routes (巡更路线) with their checkpoints, and the check-ins made at them: device time and server time, the
/// position and its accuracy, the round (a task of the route's patrol plan) and the flags the check-in raised. A
/// check-in is never refused; `idempotency_key` makes a resent scan one row.
struct CreatePatrolRoutes: AsyncMigration {
    let name = "0043_create_patrol_routes"

    func prepare(on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        try await db.schema("patrol_routes")
            .id()
            .field("org_id", .uuid, .required)
            .field("area_id", .uuid, .required)
            .field("area_path", .string, .required)
            .field("name", .string, .required)
            .field("created_by", .uuid, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await sql.create(index: "patrol_routes_org_idx").on("patrol_routes").column("org_id").run()
        try await db.schema("checkpoints")
            .id()
            .field("route_id", .uuid, .required)
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("lat", .double, .required)
            .field("long", .double, .required)
            .field("radius", .int, .required)
            .field("seq", .int, .required)
            .field("due_within", .int)
            .field("photo_required", .bool, .required)
            .unique(on: "code")
            .create()
        try await sql.create(index: "checkpoints_route_idx").on("checkpoints").column("route_id").column("seq").run()
        try await db.schema("checkins")
            .id()
            .field("checkpoint_id", .uuid, .required)
            .field("route_id", .uuid, .required)
            .field("org_id", .uuid, .required)
            .field("area_path", .string, .required)
            .field("task_id", .uuid)
            .field("user_id", .uuid, .required)
            .field("server_time", .datetime, .required)
            .field("device_time", .datetime)
            .field("lat", .double)
            .field("long", .double)
            .field("accuracy", .double)
            .field("flags", .string, .required)
            .field("idempotency_key", .string)
            .unique(on: "idempotency_key")
            .create()
        try await sql.create(index: "checkins_task_idx").on("checkins").column("task_id").column("server_time").run()
        try await sql.create(index: "checkins_route_idx").on("checkins").column("route_id").column("server_time").run()
        try await sql.create(index: "checkins_user_idx").on("checkins").column("user_id").column("server_time").run()
        // A patrol plan's route, as its version in force says: a scan finds its round through it.
        try await db.schema("work_plans").field("route_id", .uuid).update()
        try await sql.create(index: "work_plans_route_idx").on("work_plans").column("route_id").run()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("work_plans").deleteField("route_id").update()
        for table in ["checkins", "checkpoints", "patrol_routes"] { try await db.schema(table).delete() }
    }
}
