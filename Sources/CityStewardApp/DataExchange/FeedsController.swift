import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Desensitized feeds for the district platforms (issue 5 §4): `GET /api/v1/feeds/{consumer}/events?after=&limit=`
/// pages through the consumer's events in cursor order (never one twice, never one skipped), every field passed
/// through the consumer's rules; each read is an audit row. `GET|PUT /api/v1/feeds/{consumer}/rules` shows and
/// changes the rules (a new version each time; district admins only). `GET|PUT|DELETE /api/v1/feeds/{consumer}/webhook`
/// shows, sets and removes the push delivery (`FeedPusher`).
struct FeedsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let feeds = routes.grouped("api", "v1", "feeds", ":consumer")
        feeds.get("events", use: events)
        feeds.get("rules", use: rules)
        feeds.put("rules", use: changeRules)
        feeds.get("webhook", use: webhook)
        feeds.put("webhook", use: setWebhook)
        feeds.delete("webhook", use: removeWebhook)
    }

    static let maxLimit = 1000

    func consumer(_ req: Request, _ actor: Actor) async throws -> DataConsumer {
        // Another consumer's feed answers 404, exactly as a missing one.
        try await ConsumerRegister(app: req.application, actor: actor).find(req.parameters.get("consumer") ?? "")
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
        let page = try await FeedProjection(app: req.application, db: req.db).page(for: consumer, after: after, limit: limit)
        try await req.audit(.feedRead, subject: "consumer:\(consumer.code)", detail: "after=\(after); events=\(page.events.count); rules=v\(consumer.rules.version)")
        return page
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
        let register = ConsumerRegister(app: req.application, actor: try req.requireActor())
        let code = req.parameters.get("consumer") ?? ""
        let saved = try await register.changeRules(code, to: try req.content.decode(RulesBody.self).rules)
        return Self.view(saved, history: try await register.store.ruleVersions(try await register.find(code)).map(\.version))
    }

    struct WebhookView: Content {
        var consumer: String
        var url: String
        /// Only in the answer that set it, when the server generated it: it is not shown again.
        var secret: String?
        var cursor: Int64
        var failures: Int
        var nextAttemptAt: Date
        var lastAttemptAt: Date?
        var lastStatus: Int?
        var lastError: String?
        var deliveredAt: Date?
        var deliveredEvents: Int64
        var changedBy: String
        var changedAt: Date

        init(_ consumer: DataConsumer, _ h: ConsumerWebhook, secret: String? = nil) {
            self.consumer = consumer.code
            url = h.url
            self.secret = secret
            cursor = h.cursor
            failures = h.failures
            nextAttemptAt = h.nextAttemptAt
            lastAttemptAt = h.lastAttemptAt
            lastStatus = h.lastStatus
            lastError = h.lastError
            deliveredAt = h.deliveredAt
            deliveredEvents = h.deliveredEvents
            changedBy = h.changedBy
            changedAt = h.changedAt
        }
    }

    static let noWebhook = DomainError.notFound(zh: "该数据使用方未设置推送回调", en: "this consumer has no webhook")

    @Sendable func webhook(req: Request) async throws -> WebhookView {
        let actor = try req.require(.feedsRead)
        let consumer = try await consumer(req, actor)
        guard let hook = try await ConsumerStore(db: req.db).webhook(for: consumer) else { throw Self.noWebhook }
        return WebhookView(consumer, hook)
    }

    struct WebhookBody: Content {
        var url: String
        var secret: String?
        /// Deliver events after this cursor (default 0: everything in scope).
        var after: Int64?
    }

    /// The consumer's own account or a district admin sets where its events are pushed.
    @Sendable func setWebhook(req: Request) async throws -> WebhookView {
        let actor = try req.require(.feedsRead)
        let body = try req.content.decode(WebhookBody.self)
        let set = try await ConsumerRegister(app: req.application, actor: actor)
            .setWebhook(req.parameters.get("consumer") ?? "", url: body.url, secret: body.secret, after: body.after)
        return WebhookView(set.consumer, set.hook, secret: set.secret)
    }

    @Sendable func removeWebhook(req: Request) async throws -> HTTPStatus {
        let actor = try req.require(.feedsRead)
        try await ConsumerRegister(app: req.application, actor: actor).removeWebhook(req.parameters.get("consumer") ?? "")
        return .noContent
    }
}
