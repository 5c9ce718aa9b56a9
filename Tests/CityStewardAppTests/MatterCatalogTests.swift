@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import Foundation
import Testing
import Vapor

@Suite("The entrustable-matter catalog and the streets' lists")
struct MatterCatalogHTTPTests {
    struct MatterView: Decodable {
        var code: String
        var unit: String
        var benchmarkFen: Int
        var timeLimitHours: Int?
        var beyondAuthority: Bool
        var version: Int
    }

    struct Detail: Decodable {
        var matter: MatterView
        var versions: [Version]

        struct Version: Decodable {
            var version: Int
            var changedBy: String
            var note: String?
        }
    }

    struct ListView: Decodable {
        var street: String
        var version: Int?
        var matters: [String]
        var history: [Item]

        struct Item: Decodable { var version: Int }
    }

    func decode<T: Decodable>(_ type: T.Type, _ reply: Reply) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(reply.text.utf8))
    }

    @Test func theDistrictKeepsTheCatalogInVersionsAndTheStreetsDrawUpTheirLists() async throws {
        try await withTestApp { app in
            let admin = bearer(try await token(app, "district-admin"))
            let minzhi = bearer(try await token(app, "street-minzhi"))
            // A new matter: every problem at once, then made.
            let bad = try await send(app, .POST, "/api/v1/catalog/matters?lang=en", headers: admin,
                                     json: ["code": "SAN", "name": "", "domain": "x", "unit": "户", "benchmarkFen": -1])
            #expect(bad.status == .unprocessableEntity && bad.json["field"] as? String == "code,name,domain,benchmarkFen", Comment(rawValue: bad.text))
            let made = try await send(app, .POST, "/api/v1/catalog/matters", headers: admin,
                                      json: ["code": "M-SAN-02", "name": "垃圾分类督导", "nameEn": "Waste sorting supervision", "domain": "sanitation",
                                             "ownerDepartment": "LH-CGJ", "unit": "户", "benchmarkFen": 300, "timeLimitHours": 48])
            #expect(made.status == .created, Comment(rawValue: made.text))
            #expect(try decode(Detail.self, made).matter.timeLimitHours == 48)
            #expect(try await send(app, .POST, "/api/v1/catalog/matters", headers: minzhi,
                                   json: ["code": "M-SAN-03", "name": "x", "domain": "sanitation", "unit": "户", "benchmarkFen": 1]).status == .forbidden)

            // An edit needs its reason and makes version 2; the same again changes nothing.
            #expect(try await send(app, .PUT, "/api/v1/catalog/matters/M-SAN-02", headers: admin, json: ["benchmarkFen": 350]).status == .unprocessableEntity)
            let edited = try await send(app, .PUT, "/api/v1/catalog/matters/M-SAN-02", headers: admin, json: ["benchmarkFen": 350, "note": "2027 年标准"])
            let detail = try decode(Detail.self, edited)
            #expect(detail.matter.version == 2 && detail.matter.benchmarkFen == 350 && detail.matter.unit == "户")
            #expect(detail.versions.map(\.version) == [2, 1] && detail.versions[0].note == "2027 年标准" && detail.versions[0].changedBy == "区专项办管理员")
            // Nothing changed, but a note too long for the history is still refused (not a quiet no-op).
            let longNote = try await send(app, .PUT, "/api/v1/catalog/matters/M-SAN-02", headers: admin, json: ["note": String(repeating: "长", count: 501)])
            #expect(longNote.status == .unprocessableEntity && longNote.json["field"] as? String == "note")
            let again = try await send(app, .PUT, "/api/v1/catalog/matters/M-SAN-02", headers: admin, json: ["benchmarkFen": 350])
            #expect(try decode(Detail.self, again).matter.version == 2)
            // The price endpoint is an edit too: a shipped matter's first change keeps the version it replaces.
            #expect(try await send(app, .PUT, "/api/v1/catalog/prices/M-PAT-01", headers: admin, json: ["unit": "月", "benchmarkFen": 9_000_000]).status == .ok)
            let patrol = try decode(Detail.self, try await send(app, .GET, "/api/v1/catalog/matters/M-PAT-01", headers: admin))
            #expect(patrol.versions.map(\.version) == [2, 1] && patrol.matter.benchmarkFen == 9_000_000)
            #expect(try await send(app, .PUT, "/api/v1/catalog/matters/M-NOPE-01", headers: admin, json: ["note": "x"]).status == .notFound)

            // The street's list: the demo's has the shipped matters; a new one goes on in a new version.
            let list = try decode(ListView.self, try await send(app, .GET, "/api/v1/streets/440309002/matter-list", headers: minzhi))
            #expect(list.version == 1 && !list.matters.contains("M-SAN-02"))
            let setList = try await send(app, .PUT, "/api/v1/streets/440309002/matter-list", headers: minzhi,
                                         json: ["matters": list.matters + ["M-SAN-02"], "note": "新增垃圾分类督导"])
            #expect(try decode(ListView.self, setList).history.map(\.version) == [2, 1])
            // Another street's list is not the street office's to change, nor to read.
            #expect(try await send(app, .PUT, "/api/v1/streets/440309006/matter-list", headers: minzhi, json: ["matters": ["M-SAN-01"]]).status == .notFound)
            #expect(try await send(app, .GET, "/api/v1/streets/440309006/matter-list", headers: admin).status == .ok)

            // A flagged matter leaves the steward: it cannot be listed, and its cases go to the street office.
            let flag = try await send(app, .PUT, "/api/v1/catalog/matters/M-SAN-01", headers: admin, json: ["beyondAuthority": true, "note": "试行：由街道执法"])
            #expect(flag.status == .ok, Comment(rawValue: flag.text))
            let refused = try await send(app, .PUT, "/api/v1/streets/440309002/matter-list?lang=en", headers: minzhi, json: ["matters": ["M-SAN-01"]])
            #expect(refused.status == .unprocessableEntity && refused.text.contains("beyond the steward's authority"))
            let patrolToken = try await token(app, "steward-patrol")
            let garbage = try await report(app, patrolToken, category: "06010", at: try await gridCentre(app, songziyuan, 4))
            #expect((garbage.json["routing"] as? [String: Any])?["rule"] as? String == "beyondAuthority", Comment(rawValue: garbage.text))
        }
    }

    @Test func aContractEntrustsOnlyItsStreetsListAndTakesTheCatalogsLimit() async throws {
        try await withTestApp { app in
            let admin = bearer(try await token(app, "district-admin"))
            let minzhi = bearer(try await token(app, "street-minzhi"))
            _ = try await send(app, .POST, "/api/v1/catalog/matters", headers: admin,
                               json: ["code": "M-SAN-02", "name": "垃圾分类督导", "domain": "sanitation", "unit": "户", "benchmarkFen": 300, "timeLimitHours": 48])
            func contract(_ matter: String) -> [String: Any] {
                ["title": "垃圾分类督导委托", "steward": DemoDistrict.stewardCode, "procurement": "directEntrustment", "areas": [songziyuan],
                 "lines": [["matterCode": matter, "quantity": 1_000, "unit": "户", "unitPriceFen": 300]], "start": "2027-01-01", "end": "2027-12-31",
                 "rightsAndDuties": "按月结算。", "breachLiability": "超期按件扣款。", "guaranteeText": "兜底完成。", "guaranteeFen": 0]
            }
            let off = try await send(app, .POST, "/api/v1/contracts?lang=en", headers: minzhi, json: contract("M-SAN-02"))
            #expect(off.status == .unprocessableEntity && off.json["field"] as? String == "lines[0].matterCode" && off.text.contains("not on the street's list"), Comment(rawValue: off.text))
            let list = try JSONDecoder().decode(ListView.self, from: Data(try await send(app, .GET, "/api/v1/streets/440309002/matter-list", headers: minzhi).text.utf8))
            _ = try await send(app, .PUT, "/api/v1/streets/440309002/matter-list", headers: minzhi, json: ["matters": list.matters + ["M-SAN-02"]])
            let made = try await send(app, .POST, "/api/v1/contracts", headers: minzhi, json: contract("M-SAN-02"))
            #expect(made.status == .created, Comment(rawValue: made.text))
            let id = try #require((made.json["contract"] as? [String: Any])?["id"] as? String)
            let uuid = try #require(UUID(uuidString: id))
            let record = try await ContractStore(db: app.db).find(uuid, scope: .all)
            #expect(record.terms.lines.first?.timeLimitHours == 48, "no limit agreed: the catalog's")
        }
    }

    @Test func theConsoleKeepsWhatWasTypedOnEveryCatalogForm() async throws {
        try await withTestApp { app in
            let (admin, _) = try await webLogin(app, "district-admin")
            let catalog = try await send(app, .GET, "/catalog", headers: ["Cookie": admin])
            #expect(catalog.status == .ok && catalog.text.contains("href=\"/catalog/matters/M-SAN-01\"") && catalog.text.contains("href=\"/catalog/streets/440309002\""))
            let csrf = try #require(catalog.csrfToken)
            let refused = try await send(app, .POST, "/catalog/matters?lang=en", headers: ["Cookie": admin],
                                         form: ["_csrf": csrf, "code": "M-SAN-02", "name": "垃圾分类督导", "domain": "sanitation", "unit": "户",
                                                "benchmarkYuan": "3.005", "timeLimitHours": "两天"])
            #expect(refused.status == .badRequest && refused.text.contains("id=\"matter-price-error\"") && refused.text.contains("value=\"3.005\""))
            #expect(refused.text.contains("value=\"M-SAN-02\"") && refused.text.contains("value=\"垃圾分类督导\""))
            let made = try await send(app, .POST, "/catalog/matters", headers: ["Cookie": admin],
                                      form: ["_csrf": csrf, "code": "M-SAN-02", "name": "垃圾分类督导", "domain": "sanitation", "unit": "户",
                                             "benchmarkYuan": "3.00", "timeLimitHours": "48"])
            #expect(made.location == "/catalog/matters/M-SAN-02")
            let page = try await send(app, .GET, "/catalog/matters/M-SAN-02", headers: ["Cookie": admin])
            #expect(page.status == .ok && page.text.contains("48 个工作小时"))
            let noReason = try await send(app, .POST, "/catalog/matters/M-SAN-02", headers: ["Cookie": admin],
                                          form: ["_csrf": csrf, "name": "垃圾分类督导", "domain": "sanitation", "unit": "户", "benchmarkYuan": "3.50", "timeLimitHours": "48"])
            #expect(noReason.status == .badRequest && noReason.text.contains("id=\"matter-note-error\"") && noReason.text.contains("value=\"3.50\""))
            let saved = try await send(app, .POST, "/catalog/matters/M-SAN-02", headers: ["Cookie": admin],
                                       form: ["_csrf": csrf, "name": "垃圾分类督导", "domain": "sanitation", "unit": "户", "benchmarkYuan": "3.50",
                                              "timeLimitHours": "48", "note": "调价"])
            #expect(saved.location == "/catalog/matters/M-SAN-02?saved=1")
            #expect(try await MatterCatalogStore(db: app.db).find("M-SAN-02")?.version == 2)

            // The street's list page: a beyond-authority matter comes back refused, the ticks kept.
            let (street, _) = try await webLogin(app, "street-minzhi")
            let listPage = try await send(app, .GET, "/catalog/streets/440309002", headers: ["Cookie": street])
            #expect(listPage.status == .ok && listPage.text.contains("value=\"M-SAN-01\" checked"))
            _ = try await send(app, .PUT, "/api/v1/catalog/matters/M-PAT-01", headers: bearer(try await token(app, "district-admin")),
                               json: ["beyondAuthority": true, "note": "执法事项"])
            var headers: HTTPHeaders = ["Cookie": street]
            headers.contentType = .urlEncodedForm
            let bad = try await send(app, .POST, "/catalog/streets/440309002", headers: headers,
                                     raw: "_csrf=\(try #require(listPage.csrfToken))&matters%5B%5D=M-PAT-01&matters%5B%5D=M-SAN-02&note=x")
            #expect(bad.status == .badRequest && bad.text.contains("id=\"list-matters-error\"") && bad.text.contains("value=\"M-SAN-02\" checked"))
            #expect(!bad.text.contains("value=\"M-SAN-01\" checked"), "what was ticked, not what is stored")
            let good = try await send(app, .POST, "/catalog/streets/440309002", headers: headers,
                                      raw: "_csrf=\(try #require(listPage.csrfToken))&matters%5B%5D=M-SAN-01&matters%5B%5D=M-SAN-02&note=%E8%B0%83%E6%95%B4")
            #expect(good.location == "/catalog/streets/440309002?saved=1")
            let minzhiStreet = try #require(try await AreaStore(db: app.db).find(code: "440309002"))
            #expect(try await MatterCatalogStore(db: app.db).streetListHistory(minzhiStreet.id).first?.matters == ["M-SAN-01", "M-SAN-02"])
        }
    }
}
