import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Everyone's own API keys in the console (`/me/keys`): the same use case as `/api/v1/me/api-keys` — list, create
/// (the secret shown on the answer page only), revoke.
struct OwnKeysWebController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("me", "keys", use: page)
        routes.post("me", "keys", use: create)
        routes.post("me", "keys", ":id", "revoke", use: revoke)
    }

    struct KeyRow: Encodable {
        var id: String
        var name: String
        var prefix: String
        var scopes: String
        var created: String?
        var expires: String?
        var lastUsed: String?
        var revoked: String?
    }

    struct KeyForm: Content {
        var name: String?
        var scopes: [String]?
        var expiresDays: String?
    }

    struct Page: Encodable {
        var page: PageChrome
        var keys: [KeyRow]
        var scopes: [Choice]
        var form: KeyForm
        var errors: [String: String]
        var secret: String?
    }

    func render(_ req: Request, form: KeyForm = KeyForm(), errors: [String: String] = [:], secret: String? = nil, status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let keys = try OwnAPIKeys(app: req.application, actor: actor)
        let language = req.language
        let chosen = Set(form.scopes ?? [])
        let page = Page(page: PageChrome(request: req, title: language == .en ? "My API keys" : "我的 API 密钥"),
                        keys: try await keys.list().map { k in
                            KeyRow(id: k.id.uuidString.lowercased(), name: k.name, prefix: k.prefix, scopes: (k.scopes ?? []).map(\.rawValue).sorted().joined(separator: " "),
                                   created: k.createdAt.map(Timestamp.beijing), expires: k.expiresAt.map(Timestamp.beijing),
                                   lastUsed: k.lastUsedAt.map(Timestamp.beijing), revoked: k.revokedAt.map(Timestamp.beijing))
                        },
                        scopes: Permission.allCases.filter { actor.can($0) }.map { Choice(value: $0.rawValue, label: $0.rawValue, selected: chosen.contains($0.rawValue)) },
                        form: form, errors: errors, secret: secret)
        let response = try await req.page("my-keys", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func page(req: Request) async throws -> Response { try await render(req) }

    @Sendable func create(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        let form = try req.content.decode(KeyForm.self)
        let daysText = (form.expiresDays ?? "").trimmingCharacters(in: .whitespaces)
        do {
            guard daysText.isEmpty || Int(daysText) != nil else {
                throw FieldProblems([FieldProblem(field: "expiresDays", reason: LocalizedText(zh: "有效天数应为 1~3650 的整数", en: "expiresDays is a whole number from 1 to 3650"))])
            }
            let made = try await OwnAPIKeys(app: req.application, actor: actor).create(name: form.name ?? "", scopes: form.scopes ?? [], expiresDays: Int(daysText))
            return try await render(req, secret: made.secret, status: .created)
        } catch let problems as FieldProblems {
            return try await render(req, form: form, errors: problems.messagesByField(req.language), status: .badRequest)
        }
    }

    @Sendable func revoke(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(LocalizedText(zh: "找不到该密钥", en: "no such key")) }
        try await OwnAPIKeys(app: req.application, actor: actor).revoke(id)
        return req.redirect(to: "/me/keys", redirectType: .normal)
    }
}
