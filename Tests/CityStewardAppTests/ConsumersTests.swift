@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import Foundation
import Testing
import Vapor

@Suite("Data consumers: the register in the API and the console")
struct ConsumersTests {
    static let szy = "440309002001V01"
    static let blc = "440309005004V01"

    struct ConsumerView: Decodable {
        var code: String
        var name: String
        var account: String
        var villages: [String]
        var kinds: [String]
        var rulesVersion: Int
        var webhook: String?
    }

    /// A form body with repeated keys, as a browser sends ticked checkboxes.
    func form(_ pairs: [(String, String)]) -> String {
        pairs.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }
            .joined(separator: "&")
    }

    func post(_ app: Application, _ path: String, cookie: String, _ pairs: [(String, String)]) async throws -> Reply {
        var headers: HTTPHeaders = ["Cookie": cookie]
        headers.contentType = .urlEncodedForm
        return try await send(app, .POST, path, headers: headers, raw: form(pairs))
    }

    @Test func theDistrictOfficeCreatesAConsumerAndChangesWhatItReceives() async throws {
        try await withTestApp { app in
            _ = try #require(try await DemoDevices.load(app))
            let admin = bearer(try await token(app, "district-admin"))
            // Every problem at once, each named.
            let bad = try await send(app, .POST, "/api/v1/consumers?lang=en", headers: admin,
                                     json: ["code": "X", "name": "", "account": "street-minzhi", "villages": ["440309002001V01G004"], "kinds": ["radar"]])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.json["field"] as? String == "code,account,name,villages,kinds", "\(bad.text)")
            #expect(try await ConsumerStore(db: app.db).find(code: "x") == nil, "nothing written")

            let made = try await send(app, .POST, "/api/v1/consumers", headers: admin,
                                      json: ["code": "Fire-Platform", "name": "区消防平台", "account": "data-platform", "villages": [Self.szy], "kinds": ["ai"]])
            #expect(made.status == .created, "\(made.text)")
            let view = try JSONDecoder().decode(ConsumerView.self, from: Data(made.text.utf8))
            #expect(view.code == "fire-platform" && view.account == "data-platform" && view.villages == [Self.szy] && view.kinds == ["ai"] && view.rulesVersion == 1)
            #expect(try await send(app, .POST, "/api/v1/consumers", headers: admin,
                                   json: ["code": "fire-platform", "name": "again", "account": "data-platform", "villages": [Self.szy], "kinds": ["ai"]]).status == .unprocessableEntity)

            // A change of scope keeps what is left out.
            let changed = try await send(app, .PATCH, "/api/v1/consumers/fire-platform", headers: admin, json: ["villages": [Self.szy, Self.blc]])
            #expect(changed.status == .ok, "\(changed.text)")
            let after = try JSONDecoder().decode(ConsumerView.self, from: Data(changed.text.utf8))
            #expect(after.villages == [Self.szy, Self.blc] && after.kinds == ["ai"] && after.name == "区消防平台")
            #expect(try await send(app, .PATCH, "/api/v1/consumers/fire-platform", headers: admin, json: ["kinds": []]).status == .unprocessableEntity)

            // The consumer's account reads its own; the rules and the scope stay the district office's.
            let platform = bearer(try await token(app, "data-platform"))
            let mine = try await send(app, .GET, "/api/v1/consumers", headers: platform)
            let codes = try JSONDecoder().decode([ConsumerView].self, from: Data(mine.text.utf8)).map(\.code)
            #expect(codes == ["district-platform", "fire-platform", "video-platform"])
            #expect(try await send(app, .PATCH, "/api/v1/consumers/fire-platform", headers: platform, json: ["kinds": ["gate"]]).status == .forbidden)
            #expect(try await send(app, .POST, "/api/v1/consumers", headers: platform,
                                   json: ["code": "mine", "name": "m", "account": "data-platform", "villages": [Self.szy], "kinds": ["ai"]]).status == .forbidden)
            // Staff without feeds: refused before any lookup; a missing consumer is 404 for the office.
            let street = bearer(try await token(app, "street-minzhi"))
            #expect(try await send(app, .GET, "/api/v1/consumers", headers: street).status == .forbidden)
            #expect(try await send(app, .PATCH, "/api/v1/consumers/nope", headers: street, json: ["kinds": ["ai"]]).status == .forbidden)
            #expect(try await send(app, .PATCH, "/api/v1/consumers/nope", headers: admin, json: ["kinds": ["ai"]]).status == .notFound)
            #expect(try await send(app, .GET, "/api/v1/consumers").status == .unauthorized)

            // Each change is on the audit trail.
            let trail = try await AuditStore(db: app.db).list(AuditStore.Filter(action: "consumer.changed")).rows.map(\.detail)
            #expect(trail.contains { $0.hasPrefix("created; account=data-platform; villages=\(Self.szy); kinds=ai") })
            #expect(trail.contains { $0 == "scope: villages=\(Self.szy),\(Self.blc); kinds=ai" })
        }
    }

    @Test func theConsolePagesKeepWhatWasTypedAndChangeRulesAndWebhook() async throws {
        try await withTestApp { app in
            _ = try #require(try await DemoDevices.load(app))
            let (cookie, _) = try await webLogin(app, "district-admin")
            let list = try await send(app, .GET, "/consumers", headers: ["Cookie": cookie])
            #expect(list.status == .ok && list.text.contains("district-platform") && list.text.contains("新增数据使用方"))
            let csrf = try #require(list.csrfToken)

            // Refused: the form comes back with what was typed and each message by its field.
            let refused = try await post(app, "/consumers", cookie: cookie, [("_csrf", csrf), ("code", "fire-platform"), ("name", "区消防平台"),
                                                                             ("account", "nobody"), ("villages[]", Self.szy)])
            #expect(refused.status == .badRequest)
            #expect(refused.text.contains("value=\"fire-platform\"") && refused.text.contains("value=\"区消防平台\""))
            #expect(refused.text.contains("id=\"consumer-account-error\"") && refused.text.contains("id=\"consumer-kinds-error\""))
            #expect(!refused.text.contains("id=\"consumer-code-error\""))
            #expect(refused.text.contains("value=\"\(Self.szy)\" checked"), "the village stays ticked")

            let created = try await post(app, "/consumers", cookie: cookie, [("_csrf", csrf), ("code", "fire-platform"), ("name", "区消防平台"),
                                                                             ("account", "data-platform"), ("villages[]", Self.szy), ("kinds[]", "ai"), ("kinds[]", "gate")])
            #expect(created.status == .seeOther || created.status == .found, "\(created.status)")
            #expect(created.location == "/consumers/fire-platform?created=1")
            let consumer = try #require(try await ConsumerStore(db: app.db).find(code: "fire-platform"))
            #expect(Set(consumer.kinds) == ["ai", "gate"] && consumer.rules == .standard(consumer: "fire-platform"))

            // Rules: a technique that does not fit comes back by its row, in English when asked; a good set is version 2.
            let page = try await send(app, .GET, "/consumers/fire-platform?created=1&lang=en", headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.text.contains("Created, on version 1"))
            let rulesBad = try await post(app, "/consumers/fire-platform/rules?lang=en", cookie: cookie,
                                          [("_csrf", csrf), ("rules[name]", "keep"), ("rules[phone]", "mask")])
            #expect(rulesBad.status == .badRequest && rulesBad.text.contains("id=\"rule-name-error\"") && !rulesBad.text.contains("id=\"rule-phone-error\""))
            #expect(rulesBad.text.contains("keep does not apply to name"))
            let rulesOK = try await post(app, "/consumers/fire-platform/rules", cookie: cookie,
                                         FieldKind.allCases.map { ("rules[\($0.rawValue)]", $0 == .phone ? "mask" : DesensitizationRules.standard(consumer: "").technique(for: $0).rawValue) } + [("_csrf", csrf)])
            #expect(rulesOK.status == .ok && rulesOK.text.contains("第 2 版规则已生效"))
            let now = try #require(try await ConsumerStore(db: app.db).find(code: "fire-platform"))
            #expect(now.rules.version == 2 && now.rules.technique(for: .phone) == .mask)
            #expect(try await ConsumerStore(db: app.db).ruleHistory(now).map(\.changedBy) == ["district-admin", "district-admin"])

            // Scope: an empty choice is refused by its field, the name typed kept.
            let scopeBad = try await post(app, "/consumers/fire-platform", cookie: cookie, [("_csrf", csrf), ("name", "新名称"), ("kinds[]", "ai")])
            #expect(scopeBad.status == .badRequest && scopeBad.text.contains("id=\"scope-villages-error\"") && scopeBad.text.contains("value=\"新名称\""))

            // Webhook: a bad address by its field; a good one shows a generated secret once.
            let hookBad = try await post(app, "/consumers/fire-platform/webhook", cookie: cookie, [("_csrf", csrf), ("url", "ftp://x"), ("after", "-1")])
            #expect(hookBad.status == .badRequest && hookBad.text.contains("id=\"hook-url-error\"") && hookBad.text.contains("value=\"ftp://x\""))
            let hook = try await post(app, "/consumers/fire-platform/webhook", cookie: cookie, [("_csrf", csrf), ("url", "http://127.0.0.1:9/fire"), ("after", "")])
            #expect(hook.status == .ok && hook.text.contains("class=\"secret\""))
            #expect(try await ConsumerStore(db: app.db).webhook(for: now)?.url == "http://127.0.0.1:9/fire")
            let again = try await send(app, .GET, "/consumers/fire-platform", headers: ["Cookie": cookie])
            #expect(!again.text.contains("class=\"secret\""), "the secret is shown once")
            let removed = try await post(app, "/consumers/fire-platform/webhook/remove", cookie: cookie, [("_csrf", csrf)])
            #expect(removed.location == "/consumers/fire-platform")
            #expect(try await ConsumerStore(db: app.db).webhook(for: now) == nil)

            // The consumer's account sees its own pages without the office's forms; a street officer gets none.
            let (platform, _) = try await webLogin(app, "data-platform")
            let own = try await send(app, .GET, "/consumers/fire-platform", headers: ["Cookie": platform])
            #expect(own.status == .ok && !own.text.contains("action=\"/consumers/fire-platform/rules\"") && own.text.contains("action=\"/consumers/fire-platform/webhook\""))
            let (street, _) = try await webLogin(app, "street-minzhi")
            #expect(try await send(app, .GET, "/consumers", headers: ["Cookie": street]).status == .forbidden)
        }
    }
}
