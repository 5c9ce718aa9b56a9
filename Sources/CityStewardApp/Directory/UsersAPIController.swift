import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// `/api/v1/users` (the district office's account administration) and `/api/v1/me/api-keys` (everyone's own keys).
struct UsersAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let users = routes.grouped("api", "v1", "users")
        users.get(use: list)
        users.post(use: create)
        users.patch(":username", use: update)
        users.post(":username", "password", use: resetPassword)
        let keys = routes.grouped("api", "v1", "me", "api-keys")
        keys.get(use: listKeys)
        keys.post(use: createKey)
        keys.delete(":id", use: revokeKey)
    }

    struct Account: Content {
        var id: UUID
        var username: String
        var displayName: String
        var role: String
        var roleLabel: String
        var orgCode: String?
        var orgName: String?
        var isActive: Bool
    }

    struct AccountList: Content {
        var items: [Account]
        var total: Int
    }

    struct CreateBody: Content {
        var username: String
        var displayName: String
        var role: String
        var orgCode: String?
        /// Omitted: a random one is made and answered once.
        var password: String?
    }

    struct Created: Content {
        var user: Account
        var password: String?
    }

    struct UpdateBody: Content {
        var displayName: String?
        var role: String?
        var orgCode: String?
        var isActive: Bool?
    }

    struct NewPassword: Content {
        var password: String
    }

    struct KeyBody: Content {
        var name: String
        var scopes: [String]
        var expiresDays: Int?
    }

    struct Key: Content {
        var id: UUID
        var name: String
        var prefix: String
        var scopes: [String]
        var expiresAt: Date?
        var revokedAt: Date?
        var lastUsedAt: Date?
        var createdAt: Date?
    }

    struct KeyList: Content {
        var items: [Key]
        var total: Int
    }

    struct CreatedKey: Content {
        var key: Key
        /// The secret, shown this once.
        var secret: String
    }

    static func account(_ user: User, orgs: [UUID: Org], language: Language) -> Account {
        let org = user.orgID.flatMap { orgs[$0] }
        return Account(id: user.id, username: user.username, displayName: user.displayName, role: user.role.rawValue,
                       roleLabel: user.role.label.text(language), orgCode: org?.code, orgName: org?.name, isActive: user.isActive)
    }

    static func key(_ info: TokenInfo) -> Key {
        Key(id: info.id, name: info.name, prefix: info.prefix, scopes: (info.scopes ?? []).map(\.rawValue).sorted(), expiresAt: info.expiresAt,
            revokedAt: info.revokedAt, lastUsedAt: info.lastUsedAt, createdAt: info.createdAt)
    }

    func orgs(_ req: Request) async throws -> [UUID: Org] {
        Dictionary(uniqueKeysWithValues: try await req.directory.orgs().map { ($0.id, $0) })
    }

    @Sendable func list(req: Request) async throws -> AccountList {
        try DirectoryAccess.require(try req.requireActor(), .manageDirectory)
        let orgs = try await orgs(req)
        let items = try await req.directory.users().map { Self.account($0, orgs: orgs, language: req.language) }
        return AccountList(items: items, total: items.count)
    }

    @Sendable func create(req: Request) async throws -> Response {
        let service = try UsersService(app: req.application, actor: try req.requireActor())
        let body = try req.content.decode(CreateBody.self)
        let created = try await service.create(UserDraft(username: body.username, displayName: body.displayName, role: body.role, orgCode: body.orgCode),
                                               password: body.password)
        let response = try await Created(user: Self.account(created.user, orgs: try await orgs(req), language: req.language),
                                         password: created.generatedPassword).encodeResponse(status: .created, for: req)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func update(req: Request) async throws -> Account {
        let service = try UsersService(app: req.application, actor: try req.requireActor())
        let body = try req.content.decode(UpdateBody.self)
        let user = try await service.update(username: req.parameters.get("username") ?? "",
                                            .init(displayName: body.displayName, role: body.role, orgCode: body.orgCode, isActive: body.isActive))
        return Self.account(user, orgs: try await orgs(req), language: req.language)
    }

    @Sendable func resetPassword(req: Request) async throws -> Response {
        let service = try UsersService(app: req.application, actor: try req.requireActor())
        let password = try await service.resetPassword(username: req.parameters.get("username") ?? "")
        let response = try await NewPassword(password: password).encodeResponse(for: req)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func listKeys(req: Request) async throws -> KeyList {
        let keys = try await OwnAPIKeys(app: req.application, actor: try req.requireActor()).list().map(Self.key)
        return KeyList(items: keys, total: keys.count)
    }

    @Sendable func createKey(req: Request) async throws -> Response {
        let keys = try OwnAPIKeys(app: req.application, actor: try req.requireActor())
        let body = try req.content.decode(KeyBody.self)
        let issued = try await keys.create(name: body.name, scopes: body.scopes, expiresDays: body.expiresDays)
        let response = try await CreatedKey(key: Self.key(issued.info), secret: issued.secret).encodeResponse(status: .created, for: req)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func revokeKey(req: Request) async throws -> HTTPStatus {
        let keys = try OwnAPIKeys(app: req.application, actor: try req.requireActor())
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw DomainError.notFound(LocalizedText(zh: "找不到该密钥", en: "no such key"))
        }
        try await keys.revoke(id)
        return .noContent
    }
}
