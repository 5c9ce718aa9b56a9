import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Desensitized feeds for the district platforms (issue 5 §4): `GET /api/v1/feeds/{consumer}/events?after=&limit=`
/// pages through the consumer's events in cursor order (never one twice, never one skipped), every field passed
/// through the consumer's rules; each read is an audit row. `GET|PUT /api/v1/feeds/{consumer}/rules` shows and
/// changes the rules (a new version each time; district admins only).
struct FeedsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let feeds = routes.grouped("api", "v1", "feeds", ":consumer")
        feeds.get("events", use: events)
        feeds.get("rules", use: rules)
        feeds.put("rules", use: changeRules)
    }

    static let maxLimit = 1000

    func consumer(_ req: Request, _ actor: Actor) async throws -> DataConsumer {
        let code = req.parameters.get("consumer") ?? ""
        // Another consumer's feed answers 404, exactly as a missing one.
        guard let consumer = try await ConsumerStore(db: req.db).find(code: code),
              consumer.userID == actor.user.id || actor.role == .districtAdmin else { throw ConsumerStore.notFound }
        return consumer
    }

    struct FeedEvent: Content {
        var cursor: Int64
        var kind: String
        var time: String?
        var grid: String?
        var lat: Double?
        var long: Double?
        var direction: String?
        var method: String?
        var person: String?
        var plate: String?
        var eventType: String?
        var category: String?
        var confidence: Double?
        var image: String?
    }

    struct FeedPage: Content {
        var consumer: String
        var rulesVersion: Int
        var events: [FeedEvent]
        /// Pass as `after` for the next page (equal to `after` when nothing new has come).
        var next: Int64
    }

    @Sendable func events(req: Request) async throws -> FeedPage {
        let actor = try req.require(.feedsRead)
        let consumer = try await consumer(req, actor)
        let afterText = (try? req.query.get(String.self, at: "after")) ?? "0"
        guard let after = Int64(afterText.isEmpty ? "0" : afterText), after >= 0 else {
            throw DomainError.invalid("after", zh: "after 应为上一页返回的 next（非负整数）", en: "after is the previous page's next (a whole number ≥ 0)")
        }
        let limitText = (try? req.query.get(String.self, at: "limit")) ?? "100"
        guard let limit = Int(limitText), (1...Self.maxLimit).contains(limit) else {
            throw DomainError.invalid("limit", zh: "limit 应为 1~\(Self.maxLimit)", en: "limit is 1 to \(Self.maxLimit)")
        }
        let rows = try await ConsumerStore(db: req.db).events(for: consumer, after: after, limit: limit)
        let reference = try await req.caseReference()
        let devices = Dictionary(uniqueKeysWithValues: try await DeviceStore(db: req.db).all().map { ($0.id, $0) })
        let cipher = req.application.fieldCipher
        let d = Desensitizer(rules: consumer.rules, pseudonymize: cipher.pseudonymizer(consumer: consumer.code), gridCode: { _ in nil })
        let events = rows.map { r -> FeedEvent in
            let device = devices[r.deviceId]
            let area = device.flatMap { reference.areas[$0.areaId] }
            let place: (point: GeoPoint?, grid: String?)
            switch consumer.rules.technique(for: .position) {
            case .keep: place = (device.map { GeoPoint(lat: $0.lat, long: $0.long) }, area?.code)
            case .generalize: place = (nil, area?.code)
            default: place = (nil, nil)
            }
            let person = r.personSealed.flatMap { try? cipher.open($0) }
            let plate = r.plateSealed.flatMap { try? cipher.open($0) }
            return FeedEvent(cursor: r.seq, kind: r.kind, time: d.time(r.at).map(Open311Projection.datetime), grid: place.grid,
                             lat: place.point?.lat, long: place.point?.long, direction: r.direction, method: r.method,
                             person: d.text(person, .personRef), plate: d.text(plate, .plate), eventType: r.eventType,
                             category: r.categoryCode, confidence: r.confidence, image: d.text(r.imageRef, .faceImage))
        }
        let next = rows.last?.seq ?? after
        try await req.audit(.feedRead, subject: "consumer:\(consumer.code)", detail: "after=\(after); events=\(events.count); rules=v\(consumer.rules.version)")
        return FeedPage(consumer: consumer.code, rulesVersion: consumer.rules.version, events: events, next: next)
    }

    struct RulesView: Content {
        var consumer: String
        var version: Int
        var rules: [String: String]
        var history: [Int]
    }

    static func view(_ r: DesensitizationRules, history: [Int]) -> RulesView {
        RulesView(consumer: r.consumer, version: r.version, rules: Dictionary(uniqueKeysWithValues: r.rules.map { ($0.key.rawValue, $0.value.rawValue) }),
                  history: history)
    }

    @Sendable func rules(req: Request) async throws -> RulesView {
        let actor = try req.requireActor()
        let consumer = try await consumer(req, actor)
        return Self.view(consumer.rules, history: try await ConsumerStore(db: req.db).ruleVersions(consumer).map(\.version))
    }

    struct RulesBody: Content {
        var rules: [String: String]
    }

    @Sendable func changeRules(req: Request) async throws -> RulesView {
        let actor = try req.requireActor()
        guard actor.role == .districtAdmin else {
            throw DomainError.forbidden(LocalizedText(zh: "只有区管理员可以修改脱敏规则", en: "only district admins change desensitization rules"))
        }
        let consumer = try await consumer(req, actor)
        let body = try req.content.decode(RulesBody.self)
        var rules: [FieldKind: Technique] = [:]
        for (k, v) in body.rules {
            guard let kind = FieldKind(rawValue: k) else {
                throw DomainError.invalid("rules.\(k)", zh: "没有字段类型 \(k)", en: "no field kind \(k)")
            }
            guard let technique = Technique(rawValue: v) else {
                throw DomainError.invalid("rules.\(k)", zh: "没有脱敏方法 \(v)", en: "no technique \(v)")
            }
            rules[kind] = technique
        }
        let candidate = DesensitizationRules(consumer: consumer.code, version: consumer.rules.version + 1, rules: rules)
        let problems = candidate.problems()
        guard problems.isEmpty else {
            throw DomainError.invalid(field: problems.map { "rules." + $0.field }.joined(separator: ","), LocalizedText(
                zh: problems.map(\.reason.zh).joined(separator: "；"), en: problems.map(\.reason.en).joined(separator: "; ")))
        }
        let saved = try await ConsumerStore(db: req.db).changeRules(consumer, to: rules, by: actor.user.username)
        try await req.audit(.ruleChanged, subject: "consumer:\(consumer.code)", detail: "rules=v\(saved.version)")
        return Self.view(saved, history: try await ConsumerStore(db: req.db).ruleVersions(consumer).map(\.version))
    }
}
