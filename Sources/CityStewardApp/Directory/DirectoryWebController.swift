import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The console's organisations and accounts (the district office): the same use cases as `/api/v1/orgs`,
/// `/api/v1/users` and the command line. A refused form comes back with what was typed and each message by its field.
struct DirectoryWebController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let directory = routes.grouped("directory")
        directory.get("orgs", use: orgs)
        directory.post("orgs", use: createOrg)
        directory.get("users", use: users)
        directory.post("users", use: createUser)
        directory.post("orgs", ":code", "areas", use: assignAreas)
        directory.post("users", ":username", use: changeUser)
        directory.post("users", ":username", "active", use: toggleActive)
        directory.post("users", ":username", "password", use: resetPassword)
    }

    struct OrgRow: Encodable {
        var code: String
        var name: String
        var kind: String
        var areas: String
        /// Areas typed into the row's form after a refusal, and why.
        var typedAreas: String?
        var error: String?
    }

    struct OrgForm: Content {
        var code: String?
        var name: String?
        var nameEn: String?
        var kind: String?
        var areaCodes: String?
    }

    /// A field's message, for the template (`errors.code` …).
    typealias FieldMessages = [String: String]

    struct OrgsPage: Encodable {
        var page: PageChrome
        var rows: [OrgRow]
        var kinds: [Choice]
        var form: OrgForm
        var errors: FieldMessages
        var created: String?
    }

    struct UserRow: Encodable {
        var username: String
        var displayName: String
        /// The row's role and organisation as choices for its change form (as typed after a refusal).
        var roleChoices: [Choice] = []
        var orgChoices: [Choice] = []
        var error: String?
        var role: String
        var org: String
        var isActive: Bool
        var isSelf: Bool
    }

    struct UserForm: Content {
        var username: String?
        var displayName: String?
        var role: String?
        var orgCode: String?
        var password: String?
    }

    struct UsersPage: Encodable {
        var page: PageChrome
        var rows: [UserRow]
        var roles: [Choice]
        var orgs: [Choice]
        var form: UserForm
        var errors: FieldMessages
        /// A password shown once (after creating an account without one, or a reset), with whose it is.
        var shownPassword: String?
        var shownFor: String?
        var notice: String?
    }

    static func messages(_ problems: FieldProblems, _ language: Language) -> [String: String] { problems.messagesByField(language) }

    func requireAdmin(_ req: Request) throws -> Actor {
        let actor = try req.consoleActor()
        try DirectoryAccess.require(actor, .manageDirectory)
        return actor
    }

    // MARK: Organisations

    /// A refused row form: which row, what was typed, why.
    struct RowRefusal {
        var key: String
        var typed: [String: String]
        var message: String
    }

    func orgsPage(_ req: Request, form: OrgForm = OrgForm(), errors: FieldMessages = [:], created: String? = nil, refusal: RowRefusal? = nil,
                  status: HTTPStatus = .ok) async throws -> Response {
        let language = req.language
        let directory = DirectoryStore(db: req.db)
        let codes = Dictionary(uniqueKeysWithValues: try await req.areas.list(scope: .everything).map { ($0.id, $0.code) })
        var rows: [OrgRow] = []
        for org in try await directory.orgs() {
            let served = try await directory.areaIDs(ofOrg: org.id).compactMap { codes[$0] }.sorted()
            let mine = refusal?.key == org.code ? refusal : nil
            rows.append(OrgRow(code: org.code, name: org.displayName(language), kind: org.kind.label.text(language),
                               areas: served.isEmpty ? (org.kind.servesEntrustedAreas ? (language == .en ? "by its contracts" : "按合同") : "—") : served.joined(separator: ", "),
                               typedAreas: mine?.typed["areaCodes"], error: mine?.message))
        }
        let page = OrgsPage(page: PageChrome(request: req, title: language == .en ? "Organisations" : "机构"), rows: rows,
                            kinds: OrgKind.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == form.kind) },
                            form: form, errors: errors, created: created)
        return try await req.page("directory-orgs", page, status: status)
    }

    @Sendable func orgs(req: Request) async throws -> Response {
        _ = try requireAdmin(req)
        return try await orgsPage(req, created: try? req.query.get(String.self, at: "created"))
    }

    @Sendable func createOrg(req: Request) async throws -> Response {
        let actor = try requireAdmin(req)
        let form = try req.content.decode(OrgForm.self)
        let codes = (form.areaCodes ?? "").split(whereSeparator: { $0 == "," || $0 == " " || $0 == "，" || $0.isNewline }).map(String.init)
        let draft = OrgDraft(code: form.code ?? "", name: form.name ?? "", nameEn: form.nameEn, kind: form.kind ?? "", areaCodes: codes)
        do {
            let org = try await SaveOrg(app: req.application)(draft, by: actor.user.displayName, actorID: actor.user.id)
            return req.redirect(to: "/directory/orgs?created=\(org.code.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "")", redirectType: .normal)
        } catch let problems as FieldProblems {
            return try await orgsPage(req, form: form, errors: Self.messages(problems, req.language), status: .badRequest)
        }
    }

    /// More areas for an organisation (a street office's streets, a department's district): the use case the API and
    /// `citysteward orgs assign` run.
    @Sendable func assignAreas(req: Request) async throws -> Response {
        let actor = try requireAdmin(req)
        let code = req.parameters.get("code") ?? ""
        let typed = (try req.content.decode(OrgForm.self)).areaCodes ?? ""
        let codes = typed.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "，" || $0.isNewline }).map(String.init)
        do {
            _ = try await AssignOrgAreas(app: req.application)(orgCode: code, areaCodes: codes, by: actor.user.displayName, actorID: actor.user.id)
            return req.redirect(to: "/directory/orgs", redirectType: .normal)
        } catch let problems as FieldProblems {
            let message = problems.messagesByField(req.language).values.sorted().joined(separator: req.language == .en ? "; " : "；")
            return try await orgsPage(req, refusal: RowRefusal(key: code.uppercased(), typed: ["areaCodes": typed], message: message), status: .badRequest)
        }
    }

    // MARK: Accounts

    func usersPage(_ req: Request, actor: Actor, form: UserForm = UserForm(), errors: FieldMessages = [:], shownPassword: String? = nil,
                   shownFor: String? = nil, notice: String? = nil, refusal: RowRefusal? = nil, status: HTTPStatus = .ok) async throws -> Response {
        let language = req.language
        let directory = DirectoryStore(db: req.db)
        let orgs = try await directory.orgs()
        let byID = Dictionary(uniqueKeysWithValues: orgs.map { ($0.id, $0) })
        let rows = try await directory.users().map { u in
            let mine = refusal?.key == u.username ? refusal : nil
            let role = mine?.typed["role"] ?? u.role.rawValue
            let orgCode = mine?.typed["orgCode"] ?? u.orgID.flatMap { byID[$0] }?.code ?? ""
            return UserRow(username: u.username, displayName: u.displayName,
                           roleChoices: Role.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == role) },
                           orgChoices: [Choice(value: "", label: language == .en ? "— none —" : "— 无 —", selected: orgCode.isEmpty)]
                               + orgs.map { Choice(value: $0.code, label: $0.code, selected: $0.code == orgCode) },
                           error: mine?.message, role: u.role.label.text(language),
                           org: u.orgID.flatMap { byID[$0] }.map { "\($0.displayName(language)) (\($0.code))" } ?? "—", isActive: u.isActive, isSelf: u.id == actor.user.id)
        }
        var form = form
        form.password = nil   // never sent back
        let page = UsersPage(page: PageChrome(request: req, title: language == .en ? "Accounts" : "账号"), rows: rows,
                             roles: Role.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == form.role) },
                             orgs: [Choice(value: "", label: language == .en ? "— none (residents) —" : "— 无（居民）—", selected: (form.orgCode ?? "").isEmpty)]
                                + orgs.map { Choice(value: $0.code, label: "\($0.displayName(language)) (\($0.code))", selected: $0.code == form.orgCode) },
                             form: form, errors: errors, shownPassword: shownPassword, shownFor: shownFor, notice: notice)
        let response = try await req.page("directory-users", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func users(req: Request) async throws -> Response {
        try await usersPage(req, actor: try requireAdmin(req))
    }

    @Sendable func createUser(req: Request) async throws -> Response {
        let actor = try requireAdmin(req)
        let form = try req.content.decode(UserForm.self)
        let password = (form.password ?? "").isEmpty ? nil : form.password
        do {
            let created = try await UsersService(app: req.application, actor: actor).create(
                UserDraft(username: form.username ?? "", displayName: form.displayName ?? "", role: form.role ?? "", orgCode: form.orgCode), password: password)
            let language = req.language
            return try await usersPage(req, actor: actor, shownPassword: created.generatedPassword, shownFor: created.user.username,
                                       notice: (language == .en ? "Created " : "已创建 ") + created.user.username, status: .created)
        } catch let problems as FieldProblems {
            return try await usersPage(req, actor: actor, form: form, errors: Self.messages(problems, req.language), status: .badRequest)
        }
    }

    struct ChangeForm: Content {
        var role: String?
        var orgCode: String?
    }

    /// A new role or organisation for an account (one's own role stays: `DirectoryAccess.selfChangeRefusal`).
    @Sendable func changeUser(req: Request) async throws -> Response {
        let actor = try requireAdmin(req)
        let username = req.parameters.get("username") ?? ""
        let form = try req.content.decode(ChangeForm.self)
        do {
            let user = try await UsersService(app: req.application, actor: actor).update(username: username, .init(role: form.role, orgCode: form.orgCode ?? ""))
            return try await usersPage(req, actor: actor, notice: (req.language == .en ? "Changed " : "已修改 ") + user.username)
        } catch let problems as FieldProblems {
            let message = problems.messagesByField(req.language).values.sorted().joined(separator: req.language == .en ? "; " : "；")
            return try await usersPage(req, actor: actor, refusal: RowRefusal(key: username, typed: ["role": form.role ?? "", "orgCode": form.orgCode ?? ""], message: message),
                                       status: .badRequest)
        } catch let e as DomainError where FinanceWebController.mayComeBack(e) {
            return try await usersPage(req, actor: actor, refusal: RowRefusal(key: username, typed: ["role": form.role ?? "", "orgCode": form.orgCode ?? ""],
                                                                              message: e.message(req.language)), status: e.status)
        }
    }

    @Sendable func toggleActive(req: Request) async throws -> Response {
        let actor = try requireAdmin(req)
        let username = req.parameters.get("username") ?? ""
        guard let user = try await DirectoryStore(db: req.db).user(username: username) else { throw UsersService.noSuchUser }
        _ = try await UsersService(app: req.application, actor: actor).update(username: username, .init(isActive: !user.isActive))
        return req.redirect(to: "/directory/users", redirectType: .normal)
    }

    @Sendable func resetPassword(req: Request) async throws -> Response {
        let actor = try requireAdmin(req)
        let username = req.parameters.get("username") ?? ""
        let password = try await UsersService(app: req.application, actor: actor).resetPassword(username: username)
        return try await usersPage(req, actor: actor, shownPassword: password, shownFor: username)
    }
}
