import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// An activity as stored.
struct ActivityRow: Codable, Sendable {
    var id: UUID
    var kind: String
    var title: String
    var description: String
    var areaId: UUID
    var areaPath: String
    var place: String
    var lat: Double
    var long: Double
    var radiusMetres: Int
    var startsAt: Date
    var endsAt: Date
    var organiser: String
    var orgId: UUID?
    var capacity: Int?
    var checkinCode: String
    var createdBy: UUID?
    var createdAt: Date
    var cancelledAt: Date?
    var cancelledBy: UUID?
    var cancelReason: String?
    var outcome: String?
    var reportedAt: Date?
    var reportedBy: UUID?
    var signedUp: Int
    var checkedIn: Int

    enum CodingKeys: String, CodingKey {
        case id, kind, title, description, place, lat, long, organiser, capacity, outcome
        case areaId = "area_id", areaPath = "area_path", radiusMetres = "radius_metres", startsAt = "starts_at", endsAt = "ends_at"
        case orgId = "org_id", checkinCode = "checkin_code", createdBy = "created_by", createdAt = "created_at", cancelledAt = "cancelled_at"
        case cancelledBy = "cancelled_by", cancelReason = "cancel_reason", reportedAt = "reported_at", reportedBy = "reported_by"
        case signedUp = "signed_up", checkedIn = "checked_in"
    }

    init(_ a: Activity, path: [UUID]) {
        (id, kind, title, description, areaId, areaPath) = (a.id, a.kind.rawValue, a.title, a.description, a.areaID, Area.encodePath(path))
        (place, lat, long, radiusMetres, startsAt, endsAt) = (a.place, a.position.lat, a.position.long, a.radiusMetres, a.startsAt, a.endsAt)
        (organiser, orgId, capacity, checkinCode, createdBy, createdAt) = (a.organiser, a.orgID, a.capacity, a.checkinCode, a.createdBy, a.createdAt)
        (cancelledAt, cancelledBy, cancelReason, outcome, reportedAt, reportedBy) = (a.cancelledAt, nil, a.cancelReason, a.outcome, a.reportedAt, nil)
        (signedUp, checkedIn) = (a.signedUp, a.checkedIn)
    }

    var activity: Activity? {
        guard let kind = ActivityKind(rawValue: kind) else { return nil }
        return Activity(id: id, kind: kind, title: title, description: description, areaID: areaId, place: place, position: GeoPoint(lat: lat, long: long),
                        radiusMetres: radiusMetres, startsAt: startsAt, endsAt: endsAt, organiser: organiser, orgID: orgId, capacity: capacity,
                        checkinCode: checkinCode, createdBy: createdBy, createdAt: createdAt, cancelledAt: cancelledAt, cancelReason: cancelReason,
                        outcome: outcome, reportedAt: reportedAt, signedUp: signedUp, checkedIn: checkedIn)
    }
}

/// A resident's sign-up as stored: name and phone sealed (masked beside for lists), the phone's blind index, the hash
/// of the receipt link's token (the token itself only the resident has), and the check-in's evidence.
public struct ActivitySignupRow: Codable, Sendable, Equatable {
    public var id: UUID
    public var activityId: UUID
    public var nameSealed: String
    public var nameMasked: String
    public var phoneSealed: String
    public var phoneMasked: String
    public var phoneIndex: String
    public var receiptHash: String
    public var walkIn: Bool
    public var signedUpAt: Date
    public var cancelledAt: Date?
    public var checkedInAt: Date?
    public var checkinLat: Double?
    public var checkinLong: Double?
    public var checkinAccuracy: Double?
    public var checkinDeviceTime: Date?
    /// Comma-separated `CheckinFlag`s.
    public var checkinFlags: String?

    enum CodingKeys: String, CodingKey {
        case id
        case activityId = "activity_id", nameSealed = "name_sealed", nameMasked = "name_masked", phoneSealed = "phone_sealed"
        case phoneMasked = "phone_masked", phoneIndex = "phone_index", receiptHash = "receipt_hash", walkIn = "walk_in"
        case signedUpAt = "signed_up_at", cancelledAt = "cancelled_at", checkedInAt = "checked_in_at", checkinLat = "checkin_lat"
        case checkinLong = "checkin_long", checkinAccuracy = "checkin_accuracy", checkinDeviceTime = "checkin_device_time", checkinFlags = "checkin_flags"
    }

    public init(id: UUID, activityId: UUID, nameSealed: String, nameMasked: String, phoneSealed: String, phoneMasked: String, phoneIndex: String,
                receiptHash: String, walkIn: Bool, signedUpAt: Date) {
        (self.id, self.activityId, self.nameSealed, self.nameMasked, self.phoneSealed, self.phoneMasked) = (id, activityId, nameSealed, nameMasked, phoneSealed, phoneMasked)
        (self.phoneIndex, self.receiptHash, self.walkIn, self.signedUpAt) = (phoneIndex, receiptHash, walkIn, signedUpAt)
    }

    public var flags: [CheckinFlag] {
        (checkinFlags ?? "").split(separator: ",").compactMap { CheckinFlag(rawValue: String($0)) }.sorted()
    }

    public var isActive: Bool { cancelledAt == nil }
}

/// Activities, their sign-ups and check-ins, the pictures of their reports, and the villages' themes.
public struct ActivityStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    public static let notFound = DomainError.notFound(zh: "没有这项活动", en: "no such activity")
    static let encoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)
    static let decoder = SQLRowDecoder()

    public func create(_ a: Activity, path: [UUID], also: (@Sendable (any Database) async throws -> Void)? = nil) async throws {
        try await db.writeTransaction { tx in
            try await (tx as! any SQLDatabase).insert(into: "activities").model(ActivityRow(a, path: path), with: Self.encoder).run()
            try await also?(tx)
        }
    }

    private func activities(_ query: SQLSelectBuilder) async throws -> [Activity] {
        try await query.all(decoding: ActivityRow.self, with: Self.decoder).compactMap(\.activity)
    }

    public func find(_ id: UUID) async throws -> Activity? {
        try await activities(sql.select().column("*").from("activities").where("id", .equal, id)).first
    }

    public func find(checkinCode code: String) async throws -> Activity? {
        try await activities(sql.select().column("*").from("activities").where("checkin_code", .equal, code)).first
    }

    /// The console's list: activities in a village under one of `prefixes` (encoded paths; nil: everywhere) or
    /// organised by `org`, from `from` on (by start), soonest first.
    public func list(under prefixes: [String]?, org: UUID?, village: UUID? = nil, kind: ActivityKind? = nil, from: Date? = nil, to: Date? = nil,
                     limit: Int = 200) async throws -> [Activity] {
        let query = sql.select().column("*").from("activities")
        if let prefixes {
            query.where { group in
                for p in prefixes { group.orWhere { CaseStore.subtree($0, p) } }
                if let org { group.orWhere("org_id", .equal, org) }
                group.orWhere(SQLLiteral.boolean(false))
                return group
            }
        }
        if let village { query.where("area_id", .equal, village) }
        if let kind { query.where("kind", .equal, kind.rawValue) }
        if let from { query.where("starts_at", .greaterThanOrEqual, from) }
        if let to { query.where("starts_at", .lessThan, to) }
        return try await activities(query.orderBy("starts_at").limit(limit))
    }

    /// What a village's page shows: its activities not cancelled that end after `after`, soonest first.
    public func shown(village: UUID, after: Date, limit: Int = 20) async throws -> [Activity] {
        try await activities(sql.select().column("*").from("activities").where("area_id", .equal, village)
            .where("cancelled_at", .is, SQLLiteral.null).where("ends_at", .greaterThan, after).orderBy("starts_at").limit(limit))
    }

    /// The village's reported activities, latest first (what came of them, on its page).
    public func reported(village: UUID, limit: Int = 10) async throws -> [Activity] {
        try await activities(sql.select().column("*").from("activities").where("area_id", .equal, village)
            .where("reported_at", .isNot, SQLLiteral.null).orderBy("starts_at", .descending).limit(limit))
    }

    public func cancel(_ id: UUID, by user: UUID?, at: Date, reason: String, also: (@Sendable (any Database) async throws -> Void)? = nil) async throws -> Bool {
        try await db.writeTransaction { tx in
            let done = try await (tx as! any SQLDatabase).update("activities").set("cancelled_at", to: at).set("cancelled_by", to: user).set("cancel_reason", to: reason)
                .where("id", .equal, id).where("cancelled_at", .is, SQLLiteral.null).where("reported_at", .is, SQLLiteral.null).returning("id").all()
            guard !done.isEmpty else { return false }
            try await also?(tx)
            return true
        }
    }

    /// The report afterwards with its pictures (public copies); false when it was reported (or cancelled) already.
    public func report(_ id: UUID, outcome: String, photos: [NoticeStore.Photo], by user: UUID?, at: Date,
                       also: (@Sendable (any Database) async throws -> Void)? = nil) async throws -> Bool {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            let done = try await sql.update("activities").set("outcome", to: outcome).set("reported_at", to: at).set("reported_by", to: user)
                .where("id", .equal, id).where("cancelled_at", .is, SQLLiteral.null).where("reported_at", .is, SQLLiteral.null).returning("id").all()
            guard !done.isEmpty else { return false }
            for (i, p) in photos.enumerated() {
                try await sql.insert(into: "activity_photos").columns("activity_id", "position", "public_hash", "format")
                    .values(SQLBind(id), SQLBind(i), SQLBind(p.publicHash), SQLBind(p.format)).run()
            }
            try await also?(tx)
            return true
        }
    }

    public func photos(of id: UUID) async throws -> [NoticeStore.Photo] {
        try await sql.select().column("public_hash").column("format").from("activity_photos").where("activity_id", .equal, id).orderBy("position").all().map {
            NoticeStore.Photo(publicHash: try $0.decode(column: "public_hash", as: String.self), format: try $0.decode(column: "format", as: String.self))
        }
    }

    // MARK: Sign-ups

    public func signups(of activity: UUID) async throws -> [ActivitySignupRow] {
        try await sql.select().column("*").from("activity_signups").where("activity_id", .equal, activity).orderBy("signed_up_at")
            .all(decoding: ActivitySignupRow.self, with: Self.decoder)
    }

    /// The activity's sign-up by a phone's blind indexes (any key version's), cancelled or not.
    public func signup(of activity: UUID, phoneIndexes: [String]) async throws -> ActivitySignupRow? {
        try await sql.select().column("*").from("activity_signups").where("activity_id", .equal, activity).where("phone_index", .in, phoneIndexes)
            .limit(1).all(decoding: ActivitySignupRow.self, with: Self.decoder).first
    }

    public func signup(_ id: UUID) async throws -> ActivitySignupRow? {
        try await sql.select().column("*").from("activity_signups").where("id", .equal, id)
            .limit(1).all(decoding: ActivitySignupRow.self, with: Self.decoder).first
    }

    public func signup(receiptHash: String) async throws -> ActivitySignupRow? {
        try await sql.select().column("*").from("activity_signups").where("receipt_hash", .equal, receiptHash)
            .limit(1).all(decoding: ActivitySignupRow.self, with: Self.decoder).first
    }

    public enum SignupOutcome: Sendable, Equatable {
        case signedUp(ActivitySignupRow)
        /// No place was left when it came to taking one.
        case full
        /// The activity was cancelled, or started, in the meantime.
        case closed
    }

    /// Takes a place and writes the sign-up (or brings back a cancelled one of the same phone with its new receipt),
    /// in one transaction; the place is taken by one statement that checks the capacity.
    public func signUp(_ row: ActivitySignupRow, replacing cancelled: UUID?, now: Date) async throws -> SignupOutcome {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            let taken = try await sql.update("activities").set(SQLIdentifier("signed_up"), to: SQLRaw("signed_up + 1"))
                .where("id", .equal, row.activityId).where("cancelled_at", .is, SQLLiteral.null).where("starts_at", .greaterThan, now)
                .where { $0.where("capacity", .is, SQLLiteral.null).orWhere(SQLIdentifier("signed_up"), .lessThan, SQLIdentifier("capacity")) }
                .returning("id").all()
            guard !taken.isEmpty else {
                let open = try await sql.select().column("id").from("activities").where("id", .equal, row.activityId)
                    .where("cancelled_at", .is, SQLLiteral.null).where("starts_at", .greaterThan, now).all()
                return open.isEmpty ? .closed : .full
            }
            if let cancelled {
                try await sql.update("activity_signups").set("name_sealed", to: row.nameSealed).set("name_masked", to: row.nameMasked)
                    .set("phone_sealed", to: row.phoneSealed).set("phone_masked", to: row.phoneMasked).set("phone_index", to: row.phoneIndex)
                    .set("receipt_hash", to: row.receiptHash).set("signed_up_at", to: row.signedUpAt).set(SQLIdentifier("cancelled_at"), to: SQLLiteral.null)
                    .where("id", .equal, cancelled).run()
                var back = row
                back.id = cancelled
                return .signedUp(back)
            }
            try await sql.insert(into: "activity_signups").model(row, with: Self.encoder).run()
            return .signedUp(row)
        }
    }

    /// The resident cancels before the activity starts: the place is given back. False when nothing was to cancel.
    public func cancelSignup(_ id: UUID, activity: UUID, at: Date) async throws -> Bool {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            let done = try await sql.update("activity_signups").set("cancelled_at", to: at).where("id", .equal, id)
                .where("cancelled_at", .is, SQLLiteral.null).where("checked_in_at", .is, SQLLiteral.null).returning("id").all()
            guard !done.isEmpty else { return false }
            try await sql.update("activities").set(SQLIdentifier("signed_up"), to: SQLRaw("signed_up - 1")).where("id", .equal, activity).run()
            return true
        }
    }

    public struct CheckinEvidence: Sendable {
        public var report: CheckinReport
        public var flags: Set<CheckinFlag>

        public init(report: CheckinReport, flags: Set<CheckinFlag>) {
            (self.report, self.flags) = (report, flags)
        }
    }

    /// Records a check-in on the sign-up (or a walk-in's new row), counted on the activity; false when that sign-up
    /// was checked in already (two scans at once: one counts).
    public func checkIn(signup: ActivitySignupRow, isNew: Bool, evidence: CheckinEvidence, at: Date) async throws -> Bool {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            var row = signup
            row.checkedInAt = at
            row.checkinLat = evidence.report.position?.lat
            row.checkinLong = evidence.report.position?.long
            row.checkinAccuracy = evidence.report.accuracy
            row.checkinDeviceTime = evidence.report.deviceTime
            row.checkinFlags = evidence.flags.sorted().map(\.rawValue).joined(separator: ",")
            if isNew {
                try await sql.insert(into: "activity_signups").model(row, with: Self.encoder).run()
            } else {
                let done = try await sql.update("activity_signups").set("checked_in_at", to: at).set("checkin_lat", to: row.checkinLat)
                    .set("checkin_long", to: row.checkinLong).set("checkin_accuracy", to: row.checkinAccuracy)
                    .set("checkin_device_time", to: row.checkinDeviceTime).set("checkin_flags", to: row.checkinFlags).set("walk_in", to: row.walkIn)
                    .where("id", .equal, row.id).where("checked_in_at", .is, SQLLiteral.null).returning("id").all()
                guard !done.isEmpty else { return false }
            }
            try await sql.update("activities").set(SQLIdentifier("checked_in"), to: SQLRaw("checked_in + 1")).where("id", .equal, row.activityId).run()
            return true
        }
    }

    // MARK: Themes

    public func setTheme(_ t: VillageTheme, also: (@Sendable (any Database) async throws -> Void)? = nil) async throws {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            try await sql.delete(from: "village_themes").where("area_id", .equal, t.areaID).where("year", .equal, t.year).run()
            try await sql.insert(into: "village_themes").columns("area_id", "year", "name", "summary", "set_by", "set_at")
                .values(SQLBind(t.areaID), SQLBind(t.year), SQLBind(t.name), SQLBind(t.summary), SQLBind(t.setBy), SQLBind(t.setAt)).run()
            try await also?(tx)
        }
    }

    public func themes(year: Int? = nil, village: UUID? = nil) async throws -> [VillageTheme] {
        let query = sql.select().column("*").from("village_themes")
        if let year { query.where("year", .equal, year) }
        if let village { query.where("area_id", .equal, village) }
        return try await query.orderBy("year", .descending).all().map { row in
            VillageTheme(areaID: try row.decode(column: "area_id", as: UUID.self), year: try row.decode(column: "year", as: Int.self),
                         name: try row.decode(column: "name", as: String.self), summary: try row.decode(column: "summary", as: String.self),
                         setBy: try row.decode(column: "set_by", as: UUID?.self), setAt: try row.decode(column: "set_at", as: Date.self))
        }
    }
}
