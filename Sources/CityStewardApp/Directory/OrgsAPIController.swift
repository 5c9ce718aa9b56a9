import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// `/api/v1/orgs`: the organisations of the plan and the areas each serves; the district office manages them
/// (`users:manage`). The command line's `orgs` calls the same use cases.
struct OrgsAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let orgs = routes.grouped("api", "v1", "orgs")
        orgs.get(use: list)
        orgs.post(use: create)
        orgs.post(":code", "areas", use: assign)
    }

    struct OrgResponse: Content {
        var id: UUID
        var code: String
        var name: String
        var nameEn: String?
        var kind: String
        var kindLabel: String
        var areaCodes: [String]
    }

    struct OrgList: Content {
        var items: [OrgResponse]
        var total: Int
    }

    struct OrgBody: Content {
        var code: String
        var name: String
        var nameEn: String?
        var kind: String
        var areaCodes: [String]?
    }

    struct AreasBody: Content {
        var areaCodes: [String]
    }

    static func response(_ org: Org, areaCodes: [String], language: Language) -> OrgResponse {
        OrgResponse(id: org.id, code: org.code, name: org.name, nameEn: org.nameEn, kind: org.kind.rawValue,
                    kindLabel: org.kind.label.text(language), areaCodes: areaCodes.sorted())
    }

    /// The org with the codes of the areas it serves, as answered after a change.
    static func detail(_ org: Org, req: Request) async throws -> OrgResponse {
        let ids = Set(try await DirectoryStore(db: req.db).areaIDs(ofOrg: org.id))
        let codes = try await req.areas.list(scope: .everything).filter { ids.contains($0.id) }.map(\.code)
        return response(org, areaCodes: codes, language: req.language)
    }

    @Sendable func list(req: Request) async throws -> OrgList {
        _ = try req.require(.usersManage)
        let directory = DirectoryStore(db: req.db)
        let codes = Dictionary(uniqueKeysWithValues: try await req.areas.list(scope: .everything).map { ($0.id, $0.code) })
        var items: [OrgResponse] = []
        for org in try await directory.orgs() {
            items.append(Self.response(org, areaCodes: try await directory.areaIDs(ofOrg: org.id).compactMap { codes[$0] }, language: req.language))
        }
        return OrgList(items: items, total: items.count)
    }

    @Sendable func create(req: Request) async throws -> Response {
        let actor = try req.require(.usersManage)
        let body = try req.content.decode(OrgBody.self)
        let draft = OrgDraft(code: body.code, name: body.name, nameEn: body.nameEn, kind: body.kind, areaCodes: body.areaCodes ?? [])
        let org = try await SaveOrg(app: req.application)(draft, by: actor.user.displayName, actorID: actor.user.id)
        return try await Self.detail(org, req: req).encodeResponse(status: .created, for: req)
    }

    @Sendable func assign(req: Request) async throws -> OrgResponse {
        let actor = try req.require(.usersManage)
        let body = try req.content.decode(AreasBody.self)
        guard !body.areaCodes.isEmpty else {
            throw DomainError.invalid("areaCodes", zh: "请给出至少一个区域代码", en: "give at least one area code")
        }
        let org = try await AssignOrgAreas(app: req.application)(orgCode: req.parameters.get("code") ?? "", areaCodes: body.areaCodes,
                                                                 by: actor.user.displayName, actorID: actor.user.id)
        return try await Self.detail(org, req: req)
    }
}
