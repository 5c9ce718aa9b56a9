import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// A data consumer (the district data platform, the video-sharing platform): which villages and event kinds it may
/// pull, and the desensitization rules in force (versioned).
public struct DataConsumer: Sendable, Equatable {
    public var id: UUID
    public var code: String
    public var name: String
    public var userID: UUID
    public var areaIDs: [UUID]
    public var kinds: [String]
    public var rules: DesensitizationRules
}

/// One version of a consumer's rules.
public struct RuleVersion: Sendable, Equatable {
    public var rules: DesensitizationRules
    public var changedBy: String
    public var changedAt: Date
}

public struct ConsumerStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    public init(db: any Database) {
        self.db = db
    }

    public static let notFound = DomainError.notFound(zh: "没有这个数据使用方", en: "no such data consumer")

    struct Row: Codable {
        var id: UUID
        var code: String
        var name: String
        var userId: UUID
        var areaIds: String
        var kinds: String
        var rules: String
        var rulesVersion: Int
        var createdAt: Date

        enum CodingKeys: String, CodingKey {
            case id, code, name, kinds, rules
            case userId = "user_id", areaIds = "area_ids", rulesVersion = "rules_version", createdAt = "created_at"
        }
    }

    static func encode(_ rules: DesensitizationRules) throws -> String {
        let map = Dictionary(uniqueKeysWithValues: rules.rules.map { ($0.key.rawValue, $0.value.rawValue) })
        return String(decoding: try JSONSerialization.data(withJSONObject: map, options: [.sortedKeys]), as: UTF8.self)
    }

    static func decode(_ text: String, consumer: String, version: Int) -> DesensitizationRules {
        let map = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: String] ?? [:]
        var rules: [FieldKind: Technique] = [:]
        for (k, v) in map { if let kind = FieldKind(rawValue: k), let t = Technique(rawValue: v) { rules[kind] = t } }
        return DesensitizationRules(consumer: consumer, version: version, rules: rules)
    }

    func consumer(_ r: Row) -> DataConsumer {
        DataConsumer(id: r.id, code: r.code, name: r.name, userID: r.userId,
                     areaIDs: r.areaIds.split(separator: ",").compactMap { UUID(uuidString: String($0)) },
                     kinds: r.kinds.split(separator: ",").map(String.init), rules: Self.decode(r.rules, consumer: r.code, version: r.rulesVersion))
    }

    public func create(code: String, name: String, userID: UUID, areaIDs: [UUID], kinds: [String], rules: DesensitizationRules, by: String, at now: Date) async throws -> DataConsumer {
        let row = Row(id: UUID(), code: code, name: name, userId: userID, areaIds: areaIDs.map(\.uuidString).joined(separator: ","),
                      kinds: kinds.joined(separator: ","), rules: try Self.encode(rules), rulesVersion: 1, createdAt: now)
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            try await sql.insert(into: "data_consumers").model(row, with: SQLQueryEncoder(nilEncodingStrategy: .asNil)).run()
            try await sql.insert(into: "consumer_rules").columns("consumer_id", "version", "rules", "changed_by", "changed_at")
                .values(SQLBind(row.id), SQLBind(1), SQLBind(row.rules), SQLBind(by), SQLBind(now)).run()
        }
        return consumer(row)
    }

    public func find(code: String) async throws -> DataConsumer? {
        try await sql.select().column("*").from("data_consumers").where("code", .equal, code).first(decoding: Row.self).map(consumer)
    }

    public func all() async throws -> [DataConsumer] {
        try await sql.select().column("*").from("data_consumers").orderBy("code").all(decoding: Row.self).map(consumer)
    }

    /// What the consumer receives from now on (its cursor stays: events already read are not sent again).
    public func changeScope(_ consumer: DataConsumer, name: String, areaIDs: [UUID], kinds: [String]) async throws -> DataConsumer {
        try await sql.update("data_consumers").set("name", to: name).set("area_ids", to: areaIDs.map(\.uuidString).joined(separator: ","))
            .set("kinds", to: kinds.joined(separator: ",")).where("id", .equal, consumer.id).run()
        var changed = consumer
        (changed.name, changed.areaIDs, changed.kinds) = (name, areaIDs, kinds)
        return changed
    }

    /// A new version of the rules; the old ones stay in `consumer_rules`.
    public func changeRules(_ consumer: DataConsumer, to rules: [FieldKind: Technique], by: String, at now: Date) async throws -> DesensitizationRules {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            let current = try await sql.select().column("rules_version").from("data_consumers").where("id", .equal, consumer.id)
                .first(decodingColumn: "rules_version", as: Int.self) ?? consumer.rules.version
            let next = DesensitizationRules(consumer: consumer.code, version: current + 1, rules: rules)
            let text = try Self.encode(next)
            try await sql.update("data_consumers").set("rules", to: text).set("rules_version", to: next.version).where("id", .equal, consumer.id).run()
            try await sql.insert(into: "consumer_rules").columns("consumer_id", "version", "rules", "changed_by", "changed_at")
                .values(SQLBind(consumer.id), SQLBind(next.version), SQLBind(text), SQLBind(by), SQLBind(now)).run()
            return next
        }
    }

    public func ruleVersions(_ consumer: DataConsumer) async throws -> [DesensitizationRules] {
        try await sql.select().column("version").column("rules").from("consumer_rules").where("consumer_id", .equal, consumer.id).orderBy("version").all()
            .map { Self.decode(try $0.decode(column: "rules", as: String.self), consumer: consumer.code, version: try $0.decode(column: "version", as: Int.self)) }
    }

    /// Every version of the rules with who set it and when, oldest first.
    public func ruleHistory(_ consumer: DataConsumer) async throws -> [RuleVersion] {
        try await sql.select().columns("version", "rules", "changed_by", "changed_at").from("consumer_rules").where("consumer_id", .equal, consumer.id)
            .orderBy("version").all().map { row in
                RuleVersion(rules: Self.decode(try row.decode(column: "rules", as: String.self), consumer: consumer.code, version: try row.decode(column: "version", as: Int.self)),
                            changedBy: try row.decode(column: "changed_by", as: String.self), changedAt: try row.decode(column: "changed_at", as: Date.self))
            }
    }

    /// Events after `cursor` in the consumer's villages and kinds, in cursor order.
    public func events(for consumer: DataConsumer, after cursor: Int64, limit: Int) async throws -> [DeviceEventRow] {
        let paths = try await sql.select().column("path").from("areas").where("id", .in, consumer.areaIDs).all().map { try $0.decode(column: "path", as: String.self) }
        guard !paths.isEmpty, !consumer.kinds.isEmpty else { return [] }
        return try await sql.select().column("*").from("device_events").where("seq", .greaterThan, cursor)
            .where("kind", .in, consumer.kinds)
            .where { group in
                for p in paths { group.orWhere { $0.where("area_path", .greaterThanOrEqual, p).where("area_path", .lessThan, p + "\u{FFFF}") } }
                return group
            }
            .orderBy("seq").limit(limit).all(decoding: DeviceEventRow.self)
    }
}

/// A consumer's webhook and how far its push has got.
public struct ConsumerWebhook: Sendable, Equatable, Codable {
    public var consumerId: UUID
    public var url: String
    public var secretSealed: String
    public var cursor: Int64
    public var failures: Int
    public var nextAttemptAt: Date
    public var lastAttemptAt: Date?
    public var lastStatus: Int?
    public var lastError: String?
    public var deliveredAt: Date?
    public var deliveredEvents: Int64
    public var changedBy: String
    public var changedAt: Date

    enum CodingKeys: String, CodingKey {
        case url, cursor, failures
        case consumerId = "consumer_id", secretSealed = "secret_sealed", nextAttemptAt = "next_attempt_at", lastAttemptAt = "last_attempt_at"
        case lastStatus = "last_status", lastError = "last_error", deliveredAt = "delivered_at", deliveredEvents = "delivered_events"
        case changedBy = "changed_by", changedAt = "changed_at"
    }
}

extension ConsumerStore {
    public func webhook(for consumer: DataConsumer) async throws -> ConsumerWebhook? {
        try await sql.select().column("*").from("consumer_webhooks").where("consumer_id", .equal, consumer.id).first(decoding: ConsumerWebhook.self)
    }

    /// Sets (or replaces) the consumer's webhook; delivery starts after `cursor` at the next push run.
    public func setWebhook(_ consumer: DataConsumer, url: String, secretSealed: String, cursor: Int64, by: String, now: Date) async throws -> ConsumerWebhook {
        let hook = ConsumerWebhook(consumerId: consumer.id, url: url, secretSealed: secretSealed, cursor: cursor, failures: 0, nextAttemptAt: now,
                                   lastAttemptAt: nil, lastStatus: nil, lastError: nil, deliveredAt: nil, deliveredEvents: 0, changedBy: by, changedAt: now)
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            try await sql.delete(from: "consumer_webhooks").where("consumer_id", .equal, consumer.id).run()
            try await sql.insert(into: "consumer_webhooks").model(hook, with: SQLQueryEncoder(nilEncodingStrategy: .asNil)).run()
        }
        return hook
    }

    @discardableResult
    public func removeWebhook(_ consumer: DataConsumer) async throws -> Bool {
        let existed = try await webhook(for: consumer) != nil
        try await sql.delete(from: "consumer_webhooks").where("consumer_id", .equal, consumer.id).run()
        return existed
    }

    /// Webhooks whose next attempt is due.
    public func dueWebhooks(now: Date) async throws -> [ConsumerWebhook] {
        try await sql.select().column("*").from("consumer_webhooks").where("next_attempt_at", .lessThanOrEqual, now)
            .orderBy("next_attempt_at").all(decoding: ConsumerWebhook.self)
    }

    public func consumer(id: UUID) async throws -> DataConsumer? {
        try await sql.select().column("*").from("data_consumers").where("id", .equal, id).first(decoding: Row.self).map(consumer)
    }

    /// The receiver took the page `(from, to]`. Only moves a cursor still at `from`, so a webhook replaced meanwhile
    /// (a new sealed secret each time) or a second pusher cannot move it twice; false when it did not move.
    @discardableResult
    public func recordDelivery(_ hook: ConsumerWebhook, to cursor: Int64, events: Int, status: Int, at: Date) async throws -> Bool {
        let rows = try await sql.update("consumer_webhooks")
            .set("cursor", to: cursor).set("failures", to: 0).set("next_attempt_at", to: at)
            .set("last_attempt_at", to: at).set("last_status", to: status).set("last_error", to: SQLLiteral.null)
            .set("delivered_at", to: at).set("delivered_events", to: SQLBinaryExpression(SQLColumn("delivered_events"), .add, SQLBind(Int64(events))))
            .where("consumer_id", .equal, hook.consumerId).where("cursor", .equal, hook.cursor).where("secret_sealed", .equal, hook.secretSealed)
            .returning("cursor").all()
        return !rows.isEmpty
    }

    /// The receiver failed or could not be reached; the next try waits `FeedPush.backoff`.
    public func recordFailure(_ hook: ConsumerWebhook, status: Int?, error: String, at: Date) async throws {
        let failures = hook.failures + 1
        try await sql.update("consumer_webhooks")
            .set("failures", to: failures).set("next_attempt_at", to: at.addingTimeInterval(FeedPush.backoff(afterFailures: failures)))
            .set("last_attempt_at", to: at).set("last_status", to: status.map { SQLBind($0) as any SQLExpression } ?? SQLLiteral.null)
            .set("last_error", to: String(error.prefix(500)))
            .where("consumer_id", .equal, hook.consumerId).where("cursor", .equal, hook.cursor).where("secret_sealed", .equal, hook.secretSealed).run()
    }
}
