import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import Vapor

/// The data consumers' verbs — create, change what one receives, change its rules, set and remove its webhook — for
/// the console and the API alike, each with its access check and audit row here.
struct ConsumerRegister {
    let app: Application
    let actor: Actor

    var store: ConsumerStore { ConsumerStore(db: app.db) }

    /// The consumers the actor may see: all for the district office, its own for a consumer's account.
    func visible() async throws -> [DataConsumer] {
        guard actor.can(.feedsRead) else { return [] }
        return try await store.all().filter { ExchangeAccess.mayUse(consumerOwnedBy: $0.userID, actor) }
    }

    /// One consumer the actor may use; any other answers as missing.
    func find(_ code: String) async throws -> DataConsumer {
        guard let consumer = try await store.find(code: code), ExchangeAccess.mayUse(consumerOwnedBy: consumer.userID, actor) else {
            throw ConsumerStore.notFound
        }
        return consumer
    }

    static let forbidden = DomainError.forbidden(LocalizedText(zh: "只有区管理员可以管理数据使用方", en: "only district admins manage data consumers"))

    func villages() async throws -> [String: Area] {
        try await app.caseReference.get(app.db).areasByCode
    }

    func create(_ input: ConsumerRegistration) async throws -> DataConsumer {
        guard ExchangeAccess.mayManageConsumers(actor) else { throw Self.forbidden }
        let code = input.code.trimmingCharacters(in: .whitespaces).lowercased()
        let taken = code.isEmpty ? false : try await store.find(code: code) != nil
        let account = try await DirectoryStore(db: app.db).user(username: input.account.trimmingCharacters(in: .whitespaces))
        let mayRead = account.map(ExchangeAccess.mayReadAsConsumer) ?? false
        let valid: (code: String, scope: ValidConsumerScope)
        switch ConsumerRules.validate(input, villages: try await villages(), codeTaken: taken, accountMayRead: mayRead) {
        case .failure(let problems): throw problems
        case .success(let checked): valid = checked
        }
        guard let account else { throw ConsumerStore.notFound }
        let now = app.clock.now
        return try await app.db.writeTransaction { tx in
            let made = try await ConsumerStore(db: tx).create(code: valid.code, name: valid.scope.name, userID: account.id, areaIDs: valid.scope.villages.map(\.id),
                                                              kinds: valid.scope.kinds.map(\.rawValue), rules: .standard(consumer: valid.code),
                                                              by: actor.user.username, at: now)
            try await audit(.consumerChanged, made, "created; account=\(account.username); villages=\(Self.codes(valid.scope)); kinds=\(made.kinds.joined(separator: ",")); rules=v1", tx)
            return made
        }
    }

    /// What the consumer receives from now on; a part left nil stays as it is.
    func changeScope(_ code: String, name: String?, villages: [String]?, kinds: [String]?) async throws -> DataConsumer {
        // Permission before lookup: who may not change scopes learns nothing of which consumers exist.
        guard ExchangeAccess.mayManageConsumers(actor) else { throw Self.forbidden }
        let consumer = try await find(code)
        let reference = try await app.caseReference.get(app.db)
        let input = ConsumerScope(name: name ?? consumer.name, villages: villages ?? consumer.areaIDs.compactMap { reference.areas[$0]?.code },
                                  kinds: kinds ?? consumer.kinds)
        let valid: ValidConsumerScope
        switch ConsumerRules.validate(input, villages: reference.areasByCode) {
        case .failure(let problems): throw problems
        case .success(let checked): valid = checked
        }
        return try await app.db.writeTransaction { tx in
            let changed = try await ConsumerStore(db: tx).changeScope(consumer, name: valid.name, areaIDs: valid.villages.map(\.id), kinds: valid.kinds.map(\.rawValue))
            try await audit(.consumerChanged, changed, "scope: villages=\(Self.codes(valid)); kinds=\(changed.kinds.joined(separator: ","))", tx)
            return changed
        }
    }

    /// A new version of the rules (the district office only); the old versions stay on record.
    func changeRules(_ code: String, to map: [String: String]) async throws -> DesensitizationRules {
        guard ExchangeAccess.mayChangeRules(actor) else {
            throw DomainError.forbidden(LocalizedText(zh: "只有区管理员可以修改脱敏规则", en: "only district admins change desensitization rules"))
        }
        let consumer = try await find(code)
        let rules: DesensitizationRules
        switch DesensitizationRules.parse(map, consumer: consumer.code, version: consumer.rules.version + 1) {
        case .failure(let problems): throw problems
        case .success(let parsed): rules = parsed
        }
        let now = app.clock.now
        return try await app.db.writeTransaction { tx in
            let saved = try await ConsumerStore(db: tx).changeRules(consumer, to: rules.rules, by: actor.user.username, at: now)
            try await audit(.ruleChanged, consumer, "rules=v\(saved.version)", tx)
            return saved
        }
    }

    /// Sets where the consumer's events are pushed: its own account or the district office. The answer carries the
    /// secret when the server made it (shown this once).
    func setWebhook(_ code: String, url typed: String, secret: String?, after: Int64?) async throws -> (consumer: DataConsumer, hook: ConsumerWebhook, secret: String?) {
        let consumer = try await find(code)
        let url = typed.trimmingCharacters(in: .whitespaces)
        var problems: [FieldProblem] = []
        if let problem = FeedPush.validate(url: url) { problems.append(FieldProblem(field: "url", reason: problem)) }
        if let secret, let problem = FeedPush.validate(secret: secret) { problems.append(FieldProblem(field: "secret", reason: problem)) }
        if let after, after < 0 {
            problems.append(FieldProblem(field: "after", reason: LocalizedText(zh: "after 应为非负整数游标", en: "after is a cursor (a whole number ≥ 0)")))
        }
        guard problems.isEmpty else { throw FieldProblems(problems) }
        let generated = secret == nil ? FeedPusher.generateSecret() : nil
        let sealed = try app.fieldCipher.seal(secret ?? generated!)
        let now = app.clock.now
        let hook = try await app.db.writeTransaction { tx in
            let hook = try await ConsumerStore(db: tx).setWebhook(consumer, url: url, secretSealed: sealed, cursor: after ?? 0, by: actor.user.username, now: now)
            try await audit(.webhookChanged, consumer, "url=\(url); after=\(hook.cursor)", tx)
            return hook
        }
        return (consumer, hook, generated)
    }

    func removeWebhook(_ code: String) async throws {
        let consumer = try await find(code)
        try await app.db.writeTransaction { tx in
            guard try await ConsumerStore(db: tx).removeWebhook(consumer) else { throw FeedsController.noWebhook }
            try await audit(.webhookChanged, consumer, "removed", tx)
        }
    }

    static func codes(_ scope: ValidConsumerScope) -> String { scope.villages.map(\.code).joined(separator: ",") }

    private func audit(_ action: AuditAction, _ consumer: DataConsumer, _ detail: String, _ db: any Database) async throws {
        try await AuditStore(db: db).append(action: action.rawValue, subject: "consumer:\(consumer.code)", detail: detail,
                                            actorID: actor.user.id, actorName: actor.user.displayName, at: app.clock.now)
    }
}
