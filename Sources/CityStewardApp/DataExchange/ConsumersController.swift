import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The data consumers (plan §8: the district platforms that receive desensitized device events): the register
/// (`/api/v1/consumers`) and its console pages (`/consumers`, `/consumers/{code}`). Create, change what one receives,
/// change its rules and set or remove its webhook are `ConsumerRegister`'s verbs, the same for both.
struct ConsumersController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped("api", "v1", "consumers")
        api.get(use: list)
        api.post(use: create)
        api.get(":code", use: show)
        api.patch(":code", use: changeScope)

        let console = routes.grouped("consumers")
        console.get(use: listPage)
        console.post(use: createForm)
        console.get(":code", use: detailPage)
        console.post(":code", use: scopeForm)
        console.post(":code", "rules", use: rulesForm)
        console.post(":code", "webhook", use: webhookForm)
        console.post(":code", "webhook", "remove", use: removeWebhookForm)
    }

    // MARK: API

    struct ConsumerView: Content {
        var code: String
        var name: String
        /// The account it reads with.
        var account: String
        /// Village codes.
        var villages: [String]
        var kinds: [String]
        var rulesVersion: Int
        /// Where its events are pushed, when they are.
        var webhook: String?
    }

    static func view(_ c: DataConsumer, _ register: ConsumerRegister, reference: CaseReference) async throws -> ConsumerView {
        ConsumerView(code: c.code, name: c.name, account: try await DirectoryStore(db: register.app.db).user(c.userID)?.username ?? "",
                     villages: c.areaIDs.compactMap { reference.areas[$0]?.code }.sorted(), kinds: c.kinds, rulesVersion: c.rules.version,
                     webhook: try await register.store.webhook(for: c)?.url)
    }

    @Sendable func list(req: Request) async throws -> [ConsumerView] {
        let register = ConsumerRegister(app: req.application, actor: try req.require(.feedsRead))
        let reference = try await req.caseReference()
        var views: [ConsumerView] = []
        for c in try await register.visible() { views.append(try await Self.view(c, register, reference: reference)) }
        return views
    }

    @Sendable func show(req: Request) async throws -> ConsumerView {
        let register = ConsumerRegister(app: req.application, actor: try req.require(.feedsRead))
        return try await Self.view(try await register.find(req.parameters.get("code") ?? ""), register, reference: try await req.caseReference())
    }

    struct CreateBody: Content {
        var code: String?
        var name: String?
        var account: String?
        var villages: [String]?
        var kinds: [String]?

        var registration: ConsumerRegistration {
            ConsumerRegistration(code: code ?? "", account: account ?? "", scope: ConsumerScope(name: name ?? "", villages: villages ?? [], kinds: kinds ?? []))
        }
    }

    @Sendable func create(req: Request) async throws -> Response {
        let register = ConsumerRegister(app: req.application, actor: try req.requireActor())
        let made = try await register.create(try req.content.decode(CreateBody.self).registration)
        return try await Self.view(made, register, reference: try await req.caseReference()).encodeResponse(status: .created, for: req)
    }

    /// What is left out stays as it was.
    struct ScopeBody: Content {
        var name: String?
        var villages: [String]?
        var kinds: [String]?
    }

    @Sendable func changeScope(req: Request) async throws -> ConsumerView {
        let register = ConsumerRegister(app: req.application, actor: try req.requireActor())
        let body = try req.content.decode(ScopeBody.self)
        let changed = try await register.changeScope(req.parameters.get("code") ?? "", name: body.name, villages: body.villages, kinds: body.kinds)
        return try await Self.view(changed, register, reference: try await req.caseReference())
    }

    // MARK: Console

    struct Row: Encodable {
        var code: String
        var name: String
        var villages: String
        var kinds: String
        var rulesVersion: Int
        var webhook: String?
        var failures: Int?
    }

    /// The new-consumer form as typed (the checkboxes arrive as `villages[]` and `kinds[]`).
    struct CreateForm: Content {
        var code: String?
        var name: String?
        var account: String?
        var villages: [String]?
        var kinds: [String]?
    }

    struct ListPage: Encodable {
        var page: PageChrome
        var rows: [Row]
        var canManage: Bool
        var form: CreateForm
        var villages: [Choice]
        var kinds: [Choice]
        var errors: [String: String]
    }

    /// A rule's problem sits by its own row of the rules form (`rules.phone` → `phone`).
    static func messages(_ problems: FieldProblems, _ language: Language) -> [String: String] {
        problems.messagesByField(language, rename: Dictionary(uniqueKeysWithValues: FieldKind.allCases.map { ("rules.\($0.rawValue)", $0.rawValue) }))
    }

    /// The district's villages as checkboxes, by street, those chosen ticked.
    static func villageChoices(_ reference: CaseReference, chosen: Set<String>, _ language: Language) -> [Choice] {
        reference.areas.values.filter { $0.kind == .village }
            .sorted { $0.code < $1.code }   // a village code begins with its street's
            .map { Choice(value: $0.code, label: $0.displayName(language), selected: chosen.contains($0.code)) }
    }

    static func kindChoices(chosen: Set<String>, _ language: Language) -> [Choice] {
        FeedKind.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: chosen.contains($0.rawValue)) }
    }

    @Sendable func listPage(req: Request) async throws -> Response {
        try await listPage(req, form: CreateForm(kinds: FeedKind.allCases.map(\.rawValue)), errors: [:])
    }

    func listPage(_ req: Request, form: CreateForm, errors: [String: String], status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        guard actor.can(.feedsRead) else {
            throw DomainError.forbidden(LocalizedText(zh: "无权查看数据使用方", en: "not allowed to see data consumers"))
        }
        let register = ConsumerRegister(app: req.application, actor: actor)
        let language = req.language
        let reference = try await req.caseReference()
        var rows: [Row] = []
        for c in try await register.visible() {
            let hook = try await register.store.webhook(for: c)
            rows.append(Row(code: c.code, name: c.name, villages: c.areaIDs.compactMap { reference.areas[$0]?.displayName(language) }.joined(separator: "、"),
                            kinds: c.kinds.compactMap { FeedKind(rawValue: $0)?.label.text(language) }.joined(separator: language == .en ? ", " : "、"),
                            rulesVersion: c.rules.version, webhook: hook?.url, failures: hook?.failures))
        }
        let page = ListPage(page: PageChrome(request: req, title: language == .en ? "Data consumers" : "数据使用方"), rows: rows,
                            canManage: ExchangeAccess.mayManageConsumers(actor), form: form,
                            villages: Self.villageChoices(reference, chosen: Set(form.villages ?? []), language),
                            kinds: Self.kindChoices(chosen: Set(form.kinds ?? []), language), errors: errors)
        return try await req.page("consumers", page, status: status)
    }

    @Sendable func createForm(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        let form = try req.content.decode(CreateForm.self)
        do {
            let made = try await ConsumerRegister(app: req.application, actor: actor)
                .create(ConsumerRegistration(code: form.code ?? "", account: form.account ?? "",
                                             scope: ConsumerScope(name: form.name ?? "", villages: form.villages ?? [], kinds: form.kinds ?? [])))
            return req.redirect(to: "/consumers/\(made.code)?created=1")
        } catch let problems as FieldProblems {
            return try await listPage(req, form: form, errors: Self.messages(problems, req.language), status: .badRequest)
        }
    }

    struct ScopeForm: Content {
        var name: String?
        var villages: [String]?
        var kinds: [String]?
    }

    struct RulesForm: Content {
        var rules: [String: String]?
    }

    struct WebhookForm: Content {
        var url: String?
        var secret: String?
        var after: String?
    }

    struct RuleRow: Encodable {
        var kind: String
        var label: String
        var options: [Choice]
        var error: String?
    }

    struct HistoryRow: Encodable {
        var version: Int
        var changedBy: String
        var changedAt: String
        var rules: String
    }

    struct WebhookState: Encodable {
        var url: String
        var cursor: Int64
        var delivered: Int64
        var failures: Int
        var lastStatus: Int?
        var lastError: String?
        var deliveredAt: String?
        var nextAttempt: String
        var changedBy: String
        var changedAt: String
    }

    struct DetailPage: Encodable {
        var page: PageChrome
        var code: String
        var name: String
        var account: String
        var villagesText: String
        var kindsText: String
        var rulesVersion: Int
        var canManage: Bool
        var created: Bool
        var notice: String?
        var scope: ScopeForm
        var villages: [Choice]
        var kinds: [Choice]
        var rules: [RuleRow]
        var history: [HistoryRow]
        var webhook: WebhookState?
        var webhookForm: WebhookForm
        /// A secret the server just made for the webhook, shown this once.
        var secret: String?
        var errors: [String: String]
        /// Which form the errors belong to: `scope`, `rules` or `webhook`.
        var refused: String?
    }

    /// What a refused form of the detail page sends back into it.
    struct Refusal {
        var form: String
        var scope: ScopeForm? = nil
        var rules: [String: String]? = nil
        var webhook: WebhookForm? = nil
        var errors: [String: String]
    }

    @Sendable func detailPage(req: Request) async throws -> Response {
        try await detailPage(req, refusal: nil, notice: nil, secret: nil)
    }

    func detailPage(_ req: Request, refusal: Refusal?, notice: String?, secret: String?, status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        guard actor.can(.feedsRead) else {
            throw DomainError.forbidden(LocalizedText(zh: "无权查看数据使用方", en: "not allowed to see data consumers"))
        }
        let register = ConsumerRegister(app: req.application, actor: actor)
        let consumer = try await register.find(req.parameters.get("code") ?? "")
        let language = req.language
        let reference = try await req.caseReference()
        let villageCodes = consumer.areaIDs.compactMap { reference.areas[$0]?.code }
        let scope = refusal?.scope ?? ScopeForm(name: consumer.name, villages: villageCodes, kinds: consumer.kinds)
        let typedRules = refusal?.rules
        let rules = FieldKind.allCases.map { kind in
            let current = typedRules?[kind.rawValue] ?? consumer.rules.technique(for: kind).rawValue
            return RuleRow(kind: kind.rawValue, label: kind.label.text(language),
                           options: Technique.allCases.filter { $0.applies(to: kind) }
                               .map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == current) },
                           error: refusal?.form == "rules" ? refusal?.errors[kind.rawValue] : nil)
        }
        let history = try await register.store.ruleHistory(consumer).reversed().map { v in
            HistoryRow(version: v.rules.version, changedBy: v.changedBy, changedAt: Timestamp.beijing(v.changedAt),
                       rules: FieldKind.allCases.map { "\($0.label.text(language))：\(v.rules.technique(for: $0).label.text(language))" }
                           .joined(separator: language == .en ? "; " : "；"))
        }
        let hook = try await register.store.webhook(for: consumer).map { h in
            WebhookState(url: h.url, cursor: h.cursor, delivered: h.deliveredEvents, failures: h.failures, lastStatus: h.lastStatus, lastError: h.lastError,
                         deliveredAt: h.deliveredAt.map(Timestamp.beijing), nextAttempt: Timestamp.beijing(h.nextAttemptAt),
                         changedBy: h.changedBy, changedAt: Timestamp.beijing(h.changedAt))
        }
        let page = DetailPage(
            page: PageChrome(request: req, title: consumer.name), code: consumer.code, name: consumer.name,
            account: try await DirectoryStore(db: req.db).user(consumer.userID)?.username ?? "",
            villagesText: consumer.areaIDs.compactMap { reference.areas[$0]?.displayName(language) }.joined(separator: "、"),
            kindsText: consumer.kinds.compactMap { FeedKind(rawValue: $0)?.label.text(language) }.joined(separator: language == .en ? ", " : "、"),
            rulesVersion: consumer.rules.version, canManage: ExchangeAccess.mayManageConsumers(actor),
            created: (try? req.query.get(String.self, at: "created")) == "1", notice: notice, scope: scope,
            villages: Self.villageChoices(reference, chosen: Set(scope.villages ?? []), language),
            kinds: Self.kindChoices(chosen: Set(scope.kinds ?? []), language), rules: rules, history: history, webhook: hook,
            webhookForm: refusal?.webhook ?? WebhookForm(url: hook?.url, after: hook.map { String($0.cursor) }), secret: secret,
            errors: refusal?.errors ?? [:], refused: refusal?.form)
        return try await req.page("consumer", page, status: status)
    }

    @Sendable func scopeForm(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        let form = try req.content.decode(ScopeForm.self)
        do {
            _ = try await ConsumerRegister(app: req.application, actor: actor)
                .changeScope(req.parameters.get("code") ?? "", name: form.name ?? "", villages: form.villages ?? [], kinds: form.kinds ?? [])
            return try await detailPage(req, refusal: nil, notice: req.language == .en ? "Saved: it receives this from its next read." : "已保存：下次拉取或推送起按新范围发送。", secret: nil)
        } catch let problems as FieldProblems {
            return try await detailPage(req, refusal: Refusal(form: "scope", scope: form, errors: Self.messages(problems, req.language)),
                                        notice: nil, secret: nil, status: .badRequest)
        }
    }

    @Sendable func rulesForm(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        let rules = try req.content.decode(RulesForm.self).rules ?? [:]
        do {
            let saved = try await ConsumerRegister(app: req.application, actor: actor).changeRules(req.parameters.get("code") ?? "", to: rules)
            return try await detailPage(req, refusal: nil, notice: req.language == .en ? "Rules version \(saved.version) in force." : "第 \(saved.version) 版规则已生效。", secret: nil)
        } catch let problems as FieldProblems {
            return try await detailPage(req, refusal: Refusal(form: "rules", rules: rules, errors: Self.messages(problems, req.language)),
                                        notice: nil, secret: nil, status: .badRequest)
        }
    }

    @Sendable func webhookForm(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        let form = try req.content.decode(WebhookForm.self)
        let secret = form.secret.flatMap { $0.isEmpty ? nil : $0 }
        let afterText = (form.after ?? "").trimmingCharacters(in: .whitespaces)
        do {
            guard afterText.isEmpty || Int64(afterText) != nil else {
                throw FieldProblems([FieldProblem(field: "after", reason: LocalizedText(zh: "after 应为非负整数游标", en: "after is a cursor (a whole number ≥ 0)"))])
            }
            let set = try await ConsumerRegister(app: req.application, actor: actor)
                .setWebhook(req.parameters.get("code") ?? "", url: form.url ?? "", secret: secret, after: Int64(afterText))
            return try await detailPage(req, refusal: nil, notice: req.language == .en ? "Webhook saved." : "推送回调已保存。", secret: set.secret)
        } catch let problems as FieldProblems {
            // A secret typed is never sent back into the page.
            return try await detailPage(req, refusal: Refusal(form: "webhook", webhook: WebhookForm(url: form.url, after: form.after), errors: Self.messages(problems, req.language)),
                                        notice: nil, secret: nil, status: .badRequest)
        }
    }

    @Sendable func removeWebhookForm(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        let code = req.parameters.get("code") ?? ""
        try await ConsumerRegister(app: req.application, actor: actor).removeWebhook(code)
        return req.redirect(to: "/consumers/\(code)")
    }
}
