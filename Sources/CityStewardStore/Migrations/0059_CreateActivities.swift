import FluentKit
import SQLKit

/// Activities for residents (issue 20 §2): the activity, who signed up (name and phone sealed, masked beside, the
/// phone's blind index to find a sign-up again at check-in), the pictures of its report, and each village's theme
/// per year (一村一色). Counts of sign-ups and check-ins are kept on the activity and changed in the same statement
/// that checks the capacity, so two sign-ups at once cannot overfill it.
struct CreateActivities: AsyncMigration {
    let name = "0059_create_activities"

    func prepare(on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        try await db.schema("activities")
            .id()
            .field("kind", .string, .required)
            .field("title", .string, .required)
            .field("description", .string, .required)
            .field("area_id", .uuid, .required)
            .field("area_path", .string, .required)
            .field("place", .string, .required)
            .field("lat", .double, .required)
            .field("long", .double, .required)
            .field("radius_metres", .int, .required)
            .field("starts_at", .datetime, .required)
            .field("ends_at", .datetime, .required)
            .field("organiser", .string, .required)
            .field("org_id", .uuid)
            .field("capacity", .int)
            .field("checkin_code", .string, .required)
            .field("created_by", .uuid)
            .field("created_at", .datetime, .required)
            .field("cancelled_at", .datetime)
            .field("cancelled_by", .uuid)
            .field("cancel_reason", .string)
            .field("outcome", .string)
            .field("reported_at", .datetime)
            .field("reported_by", .uuid)
            .field("signed_up", .int, .required)
            .field("checked_in", .int, .required)
            .unique(on: "checkin_code")
            .create()
        try await sql.create(index: "activities_area_idx").on("activities").column("area_id").column("starts_at").run()
        try await sql.create(index: "activities_path_idx").on("activities").column("area_path").column("starts_at").run()
        try await sql.create(index: "activities_org_idx").on("activities").column("org_id").column("starts_at").run()
        try await db.schema("activity_signups")
            .id()
            .field("activity_id", .uuid, .required)
            .field("name_sealed", .string, .required)
            .field("name_masked", .string, .required)
            .field("phone_sealed", .string, .required)
            .field("phone_masked", .string, .required)
            .field("phone_index", .string, .required)
            .field("receipt_hash", .string, .required)
            .field("walk_in", .bool, .required)
            .field("signed_up_at", .datetime, .required)
            .field("cancelled_at", .datetime)
            .field("checked_in_at", .datetime)
            .field("checkin_lat", .double)
            .field("checkin_long", .double)
            .field("checkin_accuracy", .double)
            .field("checkin_device_time", .datetime)
            .field("checkin_flags", .string)
            .unique(on: "activity_id", "phone_index")
            .unique(on: "receipt_hash")
            .create()
        try await sql.create(index: "activity_signups_activity_idx").on("activity_signups").column("activity_id").column("signed_up_at").run()
        try await db.schema("activity_photos")
            .field("activity_id", .uuid, .required)
            .field("position", .int, .required)
            .field("public_hash", .string, .required)
            .field("format", .string, .required)
            .unique(on: "activity_id", "position")
            .create()
        try await sql.create(index: "activity_photos_hash_idx").on("activity_photos").column("public_hash").run()
        try await db.schema("village_themes")
            .field("area_id", .uuid, .required)
            .field("year", .int, .required)
            .field("name", .string, .required)
            .field("summary", .string, .required)
            .field("set_by", .uuid)
            .field("set_at", .datetime, .required)
            .unique(on: "area_id", "year")
            .create()
    }

    func revert(on db: any Database) async throws {
        for table in ["village_themes", "activity_photos", "activity_signups", "activities"] { try await db.schema(table).delete() }
    }
}
