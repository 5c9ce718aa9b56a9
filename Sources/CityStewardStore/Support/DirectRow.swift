import CityStewardCore
import Foundation
import SQLKit
import SQLiteNIO

/// A column value bound directly instead of through Codable. It stores exactly what each driver's Codable path
/// stores (`DirectRowTests` compares the two for every row type), at a fraction of the cost: `SQLQueryEncoder` was
/// the largest part of the intake writer's own work.
public enum ColumnValue: Sendable, Equatable {
    case text(String)
    case integer(Int)
    case double(Double)
    case date(Date)
    case uuid(UUID)
    case bool(Bool)
    case null

    public static func of(_ v: String?) -> ColumnValue { v.map { .text($0) } ?? .null }
    public static func of(_ v: Int?) -> ColumnValue { v.map { .integer($0) } ?? .null }
    public static func of(_ v: Double?) -> ColumnValue { v.map { .double($0) } ?? .null }
    public static func of(_ v: Date?) -> ColumnValue { v.map { .date($0) } ?? .null }
    public static func of(_ v: UUID?) -> ColumnValue { v.map { .uuid($0) } ?? .null }

    /// For SQLKit (PostgreSQL, and SQLite through the shared pool).
    public var expression: any SQLExpression {
        switch self {
        case .text(let v): SQLBind(v)
        case .integer(let v): SQLBind(v)
        case .double(let v): SQLBind(v)
        case .date(let v): SQLBind(v)
        case .uuid(let v): SQLBind(v)
        case .bool(let v): SQLBind(v)
        case .null: SQLLiteral.null
        }
    }

    /// For a raw SQLite statement: a UUID as its upper-case text and a date as Unix seconds, as SQLiteKit's
    /// encoder writes them (so lookups by either path find the row).
    public var sqlite: SQLiteData {
        switch self {
        case .text(let v): .text(v)
        case .integer(let v): .integer(v)
        case .double(let v): .float(v)
        case .date(let v): .float(v.timeIntervalSince1970)
        case .uuid(let v): .text(v.text(uppercase: true))
        case .bool(let v): .integer(v ? 1 : 0)
        case .null: .null
        }
    }
}

/// A row type written without Codable: its table's columns and the values in that order.
public protocol DirectRow: Sendable {
    static var columns: [String] { get }
    var columnValues: [ColumnValue] { get }
}

extension CaseRow: DirectRow {
    public static let columns = [
        "id", "number", "category_code", "category_version", "category_name", "category_name_en", "urgency", "source", "description",
        "state", "revision", "lat", "long", "area_id", "area_path", "area_name", "village_id", "street_id", "place_code", "responsible_id",
        "responsible_name", "responsible_kind", "routing_rule", "routing_explanation_zh", "routing_explanation_en", "contract_reference",
        "owner_department_id", "reporter_id", "reporter_name", "reported_at", "deadline", "step_due", "pending", "pending_hours",
        "suspended_at", "resume_state", "handled_by", "supervised", "escalation", "duplicate_of", "merged_into", "closed_at", "updated_at",
        "idempotency_key", "responded_at", "first_handled_at", "response_hours", "handling_hours", "reworks", "reopens", "rating",
    ]

    public var columnValues: [ColumnValue] {
        [.uuid(id), .text(number), .text(categoryCode), .integer(categoryVersion), .text(categoryName), .text(categoryNameEn), .text(urgency),
         .text(source), .text(description), .text(state), .integer(revision), .double(lat), .double(long), .uuid(areaId), .text(areaPath),
         .text(areaName), .of(villageId), .of(streetId), .of(placeCode), .uuid(responsibleId), .text(responsibleName), .text(responsibleKind),
         .text(routingRule), .text(routingExplanationZh), .text(routingExplanationEn), .of(contractReference), .of(ownerDepartmentId),
         .of(reporterId), .of(reporterName), .date(reportedAt), .date(deadline), .of(stepDue), .of(pending), .of(pendingHours),
         .of(suspendedAt), .of(resumeState), .of(handledBy), .bool(supervised), .integer(escalation), .of(duplicateOf), .of(mergedInto),
         .of(closedAt), .date(updatedAt), .of(idempotencyKey), .of(respondedAt), .of(firstHandledAt), .of(responseHours), .of(handlingHours),
         .integer(reworks), .integer(reopens), .of(rating)]
    }
}

extension CaseEventRow: DirectRow {
    public static let columns = ["id", "case_id", "seq", "action", "from_state", "to_state", "actor_id", "actor_name", "at", "note", "lat", "long", "detail"]

    public var columnValues: [ColumnValue] {
        [.uuid(id), .uuid(caseId), .integer(seq), .text(action), .of(fromState), .text(toState), .of(actorId), .text(actorName), .date(at),
         .of(note), .of(lat), .of(long), .of(detail)]
    }
}

extension CasePhotoRow: DirectRow {
    public static let columns = ["id", "case_id", "event_seq", "role", "hash", "public_hash", "format", "bytes", "created_at"]

    public var columnValues: [ColumnValue] {
        [.uuid(id), .uuid(caseId), .integer(eventSeq), .text(role), .text(hash), .text(publicHash), .text(format), .integer(bytes), .date(createdAt)]
    }
}

extension NotificationRow: DirectRow {
    public static let columns = ["id", "channel", "org_id", "user_id", "case_id", "kind", "text_zh", "text_en", "created_at", "sent_at", "attempts"]

    public var columnValues: [ColumnValue] {
        [.uuid(id), .text(channel), .of(orgId), .of(userId), .of(caseId), .text(kind), .text(textZh), .text(textEn), .date(createdAt),
         .of(sentAt), .integer(attempts)]
    }
}

extension ResidentReportRow: DirectRow {
    public static let columns = ["case_id", "tracking_hash", "phone_sealed", "phone_index", "phone_masked", "language", "rating",
                                 "rating_comment", "rated_at", "reopen_count", "created_at"]

    public var columnValues: [ColumnValue] {
        [.uuid(caseId), .text(trackingHash), .of(phoneSealed), .of(phoneIndex), .of(phoneMasked), .text(language), .of(rating),
         .of(ratingComment), .of(ratedAt), .integer(reopenCount), .date(createdAt)]
    }
}

extension FastSQL {
    /// Inserts rows of one type in one statement, values bound directly.
    static func insert<T: DirectRow>(_ rows: some Collection<T>, on sql: any SQLDatabase, into table: String) async throws {
        guard !rows.isEmpty else { return }
        try await sql.execute(sql: Insert(table: table, columns: T.columns, rows: rows.map { $0.columnValues.map(\.expression) })) { _ in }
    }
}
