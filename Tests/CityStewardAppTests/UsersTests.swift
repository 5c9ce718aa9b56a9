@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import Testing
import VaporTesting

@Suite("Accounts and own API keys")
struct UsersTests {
    func decode<T: Decodable>(_ type: T.Type, _ reply: Reply) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(T.self, from: Data(reply.text.utf8))
    }

    @Test func theDistrictOfficeCreatesChangesDisablesAndResetsAccounts() async throws {
        try await withTestApp { app in
            let admin = bearer(try await token(app, "district-admin"))
            let created = try await send(app, .POST, "/api/v1/users", headers: admin, json: [
                "username": "Zhou-Min", "displayName": "周敏", "role": "stewardStaff", "orgCode": "lh-steward-01",
            ])
            #expect(created.status == .created, Comment(rawValue: created.text))
            #expect(created.headers.first(name: .cacheControl) == "no-store")
            let body = try decode(UsersAPIController.Created.self, created)
            #expect(body.user.username == "zhou-min" && body.user.orgCode == "LH-STEWARD-01" && body.user.isActive)
            let password = try #require(body.password)
            // The generated password signs in.
            let signIn = try await send(app, .POST, "/api/v1/auth/token", json: ["username": "zhou-min", "password": password])
            #expect(signIn.status == .ok)
            let staffToken = try #require(signIn.json["token"] as? String)
            #expect(try await send(app, .GET, "/api/v1/areas?kind=village", headers: bearer(staffToken)).status == .ok)

            // Promoted to dispatcher, renamed; the change is audited.
            let promoted = try await send(app, .PATCH, "/api/v1/users/zhou-min", headers: admin, json: ["role": "stewardDispatcher", "displayName": "周敏（调度）"])
            #expect(promoted.status == .ok, Comment(rawValue: promoted.text))
            #expect(try decode(UsersAPIController.Account.self, promoted).role == "stewardDispatcher")
            // A role that does not fit the organisation, an unknown organisation: refused, nothing changed.
            let wrong = try await send(app, .PATCH, "/api/v1/users/zhou-min", headers: admin, json: ["role": "streetOfficer"])
            #expect(wrong.status == .unprocessableEntity && wrong.json["field"] as? String == "role")
            #expect(try await send(app, .PATCH, "/api/v1/users/zhou-min", headers: admin, json: ["orgCode": "NOPE"]).status == .unprocessableEntity)
            #expect(try await DirectoryStore(db: app.db).user(username: "zhou-min")?.role == .stewardDispatcher)

            // Disabled: the token stops working at once (this instance), signing in is refused.
            let disabled = try await send(app, .PATCH, "/api/v1/users/zhou-min", headers: admin, json: ["isActive": false])
            #expect(try decode(UsersAPIController.Account.self, disabled).isActive == false)
            #expect(try await send(app, .GET, "/api/v1/areas", headers: bearer(staffToken)).status == .unauthorized)
            #expect(try await send(app, .POST, "/api/v1/auth/token", json: ["username": "zhou-min", "password": password]).status != .ok)

            // Enabled again with a reset password: the old one no longer signs in, the new one does.
            _ = try await send(app, .PATCH, "/api/v1/users/zhou-min", headers: admin, json: ["isActive": true])
            let reset = try await send(app, .POST, "/api/v1/users/zhou-min/password", headers: admin)
            let fresh = try decode(UsersAPIController.NewPassword.self, reset).password
            #expect(fresh != password)
            #expect(try await send(app, .POST, "/api/v1/auth/token", json: ["username": "zhou-min", "password": password]).status != .ok)
            #expect(try await send(app, .POST, "/api/v1/auth/token", json: ["username": "zhou-min", "password": fresh]).status == .ok)

            let list = try decode(UsersAPIController.AccountList.self, try await send(app, .GET, "/api/v1/users", headers: admin))
            #expect(list.items.contains { $0.username == "zhou-min" && $0.displayName == "周敏（调度）" })
            let audit = try await AuditStore(db: app.db).list(AuditStore.Filter()).rows.filter { $0.subject == "user:zhou-min" && $0.action.hasPrefix("user.") }.map(\.action)
            #expect(Set(audit) == ["user.created", "user.changed", "user.password"])
            #expect(audit.filter { $0 == "user.changed" }.count == 3)   // promoted, disabled, enabled (the refusals wrote nothing)
        }
    }

    @Test func everyProblemOfANewAccountIsNamed() async throws {
        try await withTestApp { app in
            let admin = bearer(try await token(app, "district-admin")).merging(["Accept-Language": "en"])
            let bad = try await send(app, .POST, "/api/v1/users", headers: admin, json: [
                "username": "street-minzhi", "displayName": " ", "role": "resident", "orgCode": "LH-ST-002", "password": "short",
            ])
            #expect(bad.status == .unprocessableEntity)
            let detail = try #require(bad.json["detail"] as? String)
            for part in ["username street-minzhi already exists", "displayName:", "org:", "password:"] { #expect(detail.contains(part), "\(part): \(detail)") }
            #expect(try await send(app, .POST, "/api/v1/users", headers: admin, json: ["username": "x1y", "displayName": "x", "role": "king"]).status == .unprocessableEntity)
        }
    }

    @Test func anAdministratorCannotLockThemselvesOut() async throws {
        try await withTestApp { app in
            let admin = bearer(try await token(app, "district-admin"))
            #expect(try await send(app, .PATCH, "/api/v1/users/district-admin", headers: admin, json: ["isActive": false]).status == .conflict)
            #expect(try await send(app, .PATCH, "/api/v1/users/district-admin", headers: admin, json: ["role": "auditor"]).status == .conflict)
            #expect(try await send(app, .PATCH, "/api/v1/users/nobody", headers: admin, json: ["isActive": false]).status == .notFound)
            #expect(try await DirectoryStore(db: app.db).user(username: "district-admin")?.isActive == true)
        }
    }

    @Test func onlyTheDistrictOfficeAdministersAccounts() async throws {
        try await withTestApp { app in
            for user in ["street-minzhi", "steward-dispatch", "auditor", "dept-housing", "data-platform", "resident-demo"] {
                let caller = bearer(try await token(app, user))
                #expect(try await send(app, .GET, "/api/v1/users", headers: caller).status == .forbidden, "\(user)")
                #expect(try await send(app, .POST, "/api/v1/users", headers: caller, json: ["username": "evil", "displayName": "x", "role": "districtAdmin",
                                                                                            "orgCode": "LH-OFFICE"]).status == .forbidden, "\(user)")
                #expect(try await send(app, .PATCH, "/api/v1/users/district-admin", headers: caller, json: ["isActive": false]).status == .forbidden)
                #expect(try await send(app, .POST, "/api/v1/users/district-admin/password", headers: caller).status == .forbidden)
            }
            #expect(try await DirectoryStore(db: app.db).user(username: "evil") == nil)
            // Without credentials: 401, for accounts and for one's keys alike.
            for (method, path) in [(HTTPMethod.GET, "/api/v1/users"), (.GET, "/api/v1/me/api-keys"), (.POST, "/api/v1/me/api-keys"), (.PATCH, "/api/v1/users/auditor")] {
                #expect(try await send(app, method, path, json: [:]).status == .unauthorized, "\(method) \(path)")
            }
        }
    }

    @Test func everyoneKeepsTheirOwnKeysNarrowedToTheirRole() async throws {
        try await withTestApp { app in
            let minzhi = bearer(try await token(app, "street-minzhi"))
            let created = try await send(app, .POST, "/api/v1/me/api-keys", headers: minzhi, json: ["name": "GIS 同步", "scopes": ["areas:read"], "expiresDays": 30])
            #expect(created.status == .created, Comment(rawValue: created.text))
            let key = try decode(UsersAPIController.CreatedKey.self, created)
            #expect(key.key.scopes == ["areas:read"] && key.secret.hasPrefix("csk_"))
            #expect(try await send(app, .GET, "/api/v1/areas", headers: ["X-API-Key": key.secret]).status == .ok)
            #expect(try await send(app, .GET, "/api/v1/cases", headers: ["X-API-Key": key.secret]).status == .forbidden)   // narrowed
            // Beyond the role, unknown, none: refused.
            for scopes in [["users:manage"], ["nope"], []] {
                #expect(try await send(app, .POST, "/api/v1/me/api-keys", headers: minzhi, json: ["name": "x", "scopes": scopes]).status == .unprocessableEntity, "\(scopes)")
            }
            // A key cannot mint or list keys; another user cannot revoke it.
            #expect(try await send(app, .POST, "/api/v1/me/api-keys", headers: ["X-API-Key": key.secret], json: ["name": "x", "scopes": ["areas:read"]]).status == .forbidden)
            #expect(try await send(app, .GET, "/api/v1/me/api-keys", headers: ["X-API-Key": key.secret]).status == .forbidden)
            let other = bearer(try await token(app, "street-guanlan"))
            #expect(try await send(app, .DELETE, "/api/v1/me/api-keys/\(key.key.id)", headers: other).status == .notFound)
            let mine = try decode(UsersAPIController.KeyList.self, try await send(app, .GET, "/api/v1/me/api-keys", headers: minzhi))
            #expect(mine.items.map(\.id) == [key.key.id])
            #expect(try await send(app, .DELETE, "/api/v1/me/api-keys/\(key.key.id)", headers: minzhi).status == .noContent)
            #expect(try await send(app, .GET, "/api/v1/areas", headers: ["X-API-Key": key.secret]).status == .unauthorized)
            #expect(try await send(app, .DELETE, "/api/v1/me/api-keys/\(key.key.id)", headers: minzhi).status == .notFound)   // once
        }
    }
}

@Suite("Organisations and accounts in the console")
struct DirectoryConsoleTests {
    @Test func aRefusedFormKeepsWhatWasTypedAndPutsEachMessageByItsField() async throws {
        try await withTestApp { app in
            let (cookie, _) = try await webLogin(app, "district-admin")
            let page = try await send(app, .GET, "/directory/orgs", headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.text.contains("民治街道办事处") && page.text.contains("按合同"))
            let csrf = try #require(page.csrfToken)
            let bad = try await send(app, .POST, "/directory/orgs", headers: ["Cookie": cookie],
                                     form: ["_csrf": csrf, "code": "LH-ST-002", "name": "民治新办", "kind": "streetOffice", "areaCodes": "440309002001V01"])
            #expect(bad.status == .badRequest)
            #expect(bad.text.contains("value=\"民治新办\"") && bad.text.contains("value=\"440309002001V01\""))   // kept
            #expect(bad.text.contains("id=\"org-code-error\"") && bad.text.contains("机构代码 LH-ST-002 已存在"))
            #expect(bad.text.contains("id=\"org-areas-error\"") && bad.text.contains("aria-invalid=\"true\""))
            #expect(!bad.text.contains("id=\"org-name-error\""))   // only the fields that are wrong
            let good = try await send(app, .POST, "/directory/orgs", headers: ["Cookie": cookie],
                                      form: ["_csrf": csrf, "code": "LH-PC-002001", "name": "民治社区党委", "kind": "partyCommittee", "areaCodes": "440309002001"])
            #expect(good.status == .seeOther && good.headers.first(name: .location) == "/directory/orgs?created=LH-PC-002001")
            #expect(try await DirectoryStore(db: app.db).org(code: "LH-PC-002001")?.kind == .partyCommittee)
        }
    }

    @Test func anAccountIsCreatedWithAPasswordShownOnceAndCanBeDisabled() async throws {
        try await withTestApp { app in
            let (cookie, _) = try await webLogin(app, "district-admin")
            let page = try await send(app, .GET, "/directory/users", headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.headers.first(name: .cacheControl) == "no-store")
            let csrf = try #require(page.csrfToken)
            let refused = try await send(app, .POST, "/directory/users", headers: ["Cookie": cookie],
                                         form: ["_csrf": csrf, "username": "wu-fang", "displayName": "吴芳", "role": "streetOfficer", "orgCode": "LH-STEWARD-01", "password": "secret-typed-1"])
            #expect(refused.status == .badRequest && refused.text.contains("value=\"wu-fang\"") && refused.text.contains("id=\"user-role-error\""))
            #expect(!refused.text.contains("secret-typed-1"))   // a password is never sent back
            let created = try await send(app, .POST, "/directory/users", headers: ["Cookie": cookie],
                                         form: ["_csrf": csrf, "username": "wu-fang", "displayName": "吴芳", "role": "streetOfficer", "orgCode": "LH-ST-002"])
            #expect(created.status == .created)
            let shown = try #require(created.text.range(of: "<strong class=\"code\">").map { created.text[$0.upperBound...].prefix(16) }).description
            #expect(try await webLogin(app, "wu-fang", password: shown).reply.status == .seeOther)
            // Disabled from the list: the account can no longer sign in.
            let off = try await send(app, .POST, "/directory/users/wu-fang/active", headers: ["Cookie": cookie], form: ["_csrf": csrf])
            #expect(off.status == .seeOther)
            #expect(try await DirectoryStore(db: app.db).user(username: "wu-fang")?.isActive == false)
            // Others get 403 and no link in their menu.
            let (street, home) = try await webLogin(app, "street-minzhi")
            #expect(!home.text.contains("/directory/users"))
            #expect(try await send(app, .GET, "/directory/users", headers: ["Cookie": street]).status == .forbidden)
            #expect(try await send(app, .GET, "/", headers: ["Cookie": cookie]).text.contains("/directory/users"))
        }
    }
}

@Suite("The directory's row forms and one's own keys in the console")
struct DirectoryConsoleFormsTests {
    @Test func areasAreAddedToAnOrganisationAndAnAccountChangesRoleOnItsRow() async throws {
        try await withTestApp { app in
            let (admin, _) = try await webLogin(app, "district-admin")
            let orgs = try await send(app, .GET, "/directory/orgs", headers: ["Cookie": admin])
            let csrf = try #require(orgs.csrfToken)
            #expect(orgs.text.contains("action=\"/directory/orgs/LH-ST-002/areas\""))
            // A street office may not serve a village: refused on its row, the codes kept.
            let bad = try await send(app, .POST, "/directory/orgs/LH-ST-002/areas", headers: ["Cookie": admin], form: ["_csrf": csrf, "areaCodes": "440309002001V01"])
            #expect(bad.status == .badRequest && bad.text.contains("id=\"areas-LH-ST-002-error\"") && bad.text.contains("value=\"440309002001V01\""))
            let good = try await send(app, .POST, "/directory/orgs/LH-ST-002/areas", headers: ["Cookie": admin], form: ["_csrf": csrf, "areaCodes": "440309001"])
            #expect(good.location == "/directory/orgs")
            let org = try #require(try await DirectoryStore(db: app.db).org(code: "LH-ST-002"))
            let served = try await DirectoryStore(db: app.db).areaIDs(ofOrg: org.id)
            let dalang = try #require(try await AreaStore(db: app.db).find(code: "440309001"))
            #expect(served.contains(dalang.id))

            // An account's role and organisation from its row; a resident with an organisation is refused by the row.
            let changed = try await send(app, .POST, "/directory/users/street-guanlan", headers: ["Cookie": admin],
                                         form: ["_csrf": csrf, "role": "departmentOfficer", "orgCode": "LH-ZJJ"])
            #expect(changed.status == .ok && changed.text.contains("已修改 street-guanlan"))
            #expect(try await DirectoryStore(db: app.db).user(username: "street-guanlan")?.role == .departmentOfficer)
            let refused = try await send(app, .POST, "/directory/users/street-guanlan", headers: ["Cookie": admin],
                                         form: ["_csrf": csrf, "role": "streetOfficer", "orgCode": "LH-ZJJ"])
            #expect(refused.status == .badRequest && refused.text.contains("id=\"user-street-guanlan-error\""))
            #expect(try await DirectoryStore(db: app.db).user(username: "street-guanlan")?.role == .departmentOfficer, "nothing changed")
        }
    }

    @Test func everyoneKeepsTheirOwnKeysInTheConsole() async throws {
        try await withTestApp { app in
            let (street, _) = try await webLogin(app, "street-minzhi")
            let home = try await send(app, .GET, "/cases", headers: ["Cookie": street])
            #expect(home.text.contains("href=\"/me/keys\""))
            let page = try await send(app, .GET, "/me/keys", headers: ["Cookie": street])
            let csrf = try #require(page.csrfToken)
            #expect(page.status == .ok && page.text.contains("value=\"cases:read\"") && !page.text.contains("value=\"users:manage\""), "only what the role grants")
            var headers: HTTPHeaders = ["Cookie": street]
            headers.contentType = .urlEncodedForm
            let refused = try await send(app, .POST, "/me/keys", headers: headers, raw: "_csrf=\(csrf)&name=%E5%A4%A7%E5%B1%8F&expiresDays=forever")
            #expect(refused.status == .badRequest && refused.text.contains("id=\"key-days-error\"") && refused.text.contains("value=\"大屏\""))
            let made = try await send(app, .POST, "/me/keys", headers: headers, raw: "_csrf=\(csrf)&name=%E5%A4%A7%E5%B1%8F&scopes%5B%5D=cases%3Aread&expiresDays=30")
            #expect(made.status == .created && made.text.contains("class=\"secret\""))
            let secret = try #require(made.text.range(of: "<code class=\"secret\">").map { String(made.text[$0.upperBound...].prefix { $0 != "<" }) })
            #expect(try await send(app, .GET, "/api/v1/cases", headers: ["X-API-Key": secret]).status == .ok, "the key works")
            let owner = try #require(try await DirectoryStore(db: app.db).user(username: "street-minzhi"))
            let key = try #require(try await DirectoryStore(db: app.db).apiKeys(userID: owner.id).first)
            let revoked = try await send(app, .POST, "/me/keys/\(key.id.uuidString.lowercased())/revoke", headers: ["Cookie": street], form: ["_csrf": csrf])
            #expect(revoked.location == "/me/keys")
            #expect(try await send(app, .GET, "/api/v1/cases", headers: ["X-API-Key": secret]).status == .unauthorized)
        }
    }
}
