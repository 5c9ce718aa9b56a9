@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import SQLKit
import Testing
import VaporTesting

/// Loads the demo's synthetic residents; returns the inputs they came from (in the same order).
@discardableResult
func loadDemoResidents(_ app: Application, count: Int = 300) async throws -> [ResidentInput] {
    let loaded = try await DemoLoader.loadResidents(on: app.db, cipher: app.fieldCipher, count: count, now: app.clock.now)
    #expect(loaded == count)
    let buildings = try await AreaStore(db: app.db).list(scope: .everything, kind: .building).map(\.code).sorted()
    return DemoResidents.make(count: count, buildings: buildings)
}

@Suite("Residents (实有人口)")
struct ResidentsTests {
    @Test func personalDataIsSealedAtRestAndMaskedByRole() async throws {
        try await withTestApp { app in
            let people = try await loadDemoResidents(app)
            #expect(Set(people.map(\.idNumber)).count == 300 && people.allSatisfy { IdentityNumber.parse($0.idNumber).isSuccess })
            // Nothing personal is stored in clear: every stored text value of every row is scanned.
            let sql = app.db as! any SQLDatabase
            let dump: String
            if sql.dialect.name == "sqlite" {
                dump = try await sql.raw("SELECT * FROM residents").all().map { row in
                    row.allColumns.map { (try? row.decode(column: $0, as: String.self)) ?? "" }.joined(separator: "|")
                }.joined(separator: "\n")
            } else {
                dump = try await sql.raw("SELECT residents::text AS t FROM residents").all().map { try $0.decode(column: "t", as: String.self) }.joined(separator: "\n")
            }
            #expect(dump.count > 10_000)
            for p in people.prefix(100) {
                #expect(!dump.contains(p.idNumber), "ID number of \(p.name) in clear")
                if !p.phone.isEmpty { #expect(!dump.contains(p.phone), "phone of \(p.name) in clear") }
                #expect(!dump.contains(p.name), "name \(p.name) in clear")
            }

            // A street officer sees its street's residents, masked; a steward's dispatcher its villages; neither gets a
            // full value from a list.
            let minzhi = try await token(app, "street-minzhi")
            let list = try await send(app, .GET, "/api/v1/residents", headers: bearer(minzhi))
            #expect(list.status == .ok)
            let items = try #require(list.json["items"] as? [[String: Any]])
            let songziyuanBuildings = Set(DemoDistrict.areas.filter { $0.kind == .building && $0.code.hasPrefix("440309002") }.map(\.code))
            #expect(!items.isEmpty && items.allSatisfy { songziyuanBuildings.contains($0["building"] as? String ?? "") })
            #expect(list.json["total"] as? Int == people.filter { songziyuanBuildings.contains($0.building) }.count)
            for item in items {
                #expect((item["idNumber"] as? String)?.contains("********") == true)
                #expect((item["name"] as? String)?.contains("*") == true)
                if let phone = item["phone"] as? String { #expect(phone.contains("****")) }
            }
            let all = try await send(app, .GET, "/api/v1/residents?page=1", headers: bearer(try await token(app, "district-admin")))
            #expect(all.json["total"] as? Int == 300)
            // Paged the one way every long list pages: `after` the `next` of the page before, until there is none.
            let adminToken = try await token(app, "district-admin")
            var seen = Set<String>(), after: String? = nil, pages = 0
            repeat {
                let page = try await send(app, .GET, "/api/v1/residents" + (after.map { "?after=\($0)" } ?? ""), headers: bearer(adminToken))
                seen.formUnion((page.json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String })
                after = page.json["next"] as? String
                pages += 1
            } while after != nil && pages < 20
            #expect(seen.count == 300 && pages == 6)
            #expect(try await send(app, .GET, "/api/v1/residents?after=x", headers: bearer(adminToken)).status == .badRequest)
            #expect(try await send(app, .GET, "/api/v1/residents", headers: bearer(try await token(app, "dept-housing"))).status == .forbidden)

            // Exact search by phone or ID number through the blind index.
            let someone = try #require(people.first { songziyuanBuildings.contains($0.building) && !$0.phone.isEmpty })
            let byPhone = try await send(app, .GET, "/api/v1/residents?phone=\(someone.phone)", headers: bearer(minzhi))
            #expect((byPhone.json["items"] as? [[String: Any]])?.contains { $0["phone"] as? String == Masking.phone(someone.phone) } == true)
            let byID = try await send(app, .GET, "/api/v1/residents?idNumber=\(someone.idNumber)", headers: bearer(minzhi))
            #expect(byID.json["total"] as? Int == 1)
            #expect(try await send(app, .GET, "/api/v1/residents?idNumber=440309199001011234", headers: bearer(minzhi)).status == .unprocessableEntity)
            // Another street's resident is not found from here.
            let elsewhere = try #require(people.first { !songziyuanBuildings.contains($0.building) })
            #expect(try await send(app, .GET, "/api/v1/residents?idNumber=\(elsewhere.idNumber)", headers: bearer(minzhi)).json["total"] as? Int == 0)

            // Revealing: the street officer may, with a reason, and it is audited; the steward's dispatcher may not.
            let id = try #require((byID.json["items"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await send(app, .POST, "/api/v1/residents/\(id)/reveal", headers: bearer(minzhi), json: ["field": "idNumber"]).status == .badRequest)   // no reason at all
            let revealed = try await send(app, .POST, "/api/v1/residents/\(id)/reveal", headers: bearer(minzhi), json: ["field": "idNumber", "reason": "办理居住证核验"])
            #expect(revealed.status == .ok && revealed.json["value"] as? String == someone.idNumber)
            #expect(revealed.headers.first(name: .cacheControl) == "no-store")
            let phone = try await send(app, .POST, "/api/v1/residents/\(id)/reveal", headers: bearer(minzhi), json: ["field": "phone", "reason": "回访"])
            #expect(phone.json["value"] as? String == PhoneNumber.parse(someone.phone)?.e164)   // kept in E.164
            let dispatcher = try await token(app, "steward-dispatch")
            #expect(try await send(app, .GET, "/api/v1/residents/\(id)", headers: bearer(dispatcher)).status == .ok)
            #expect(try await send(app, .POST, "/api/v1/residents/\(id)/reveal", headers: bearer(dispatcher), json: ["field": "phone", "reason": "回访"]).status == .forbidden)
            #expect(try await send(app, .POST, "/api/v1/residents/\(id)/reveal", headers: bearer(try await token(app, "street-guanlan")),
                                   json: ["field": "phone", "reason": "回访"]).status == .notFound)
            let reveals = try await AuditStore(db: app.db).list(AuditStore.Filter(action: "reveal")).rows
            #expect(reveals.count == 2 && reveals.allSatisfy { $0.subject == "resident:\(id.lowercased())" && $0.actorName == "民治街道工作人员" })
            #expect(reveals.contains { $0.detail == "field=idNumber; reason=办理居住证核验" })

            // The console: masked list, reveal form only for those who may.
            let (cookie, _) = try await webLogin(app, "street-minzhi")
            let page = try await send(app, .GET, "/residents", headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.text.contains("********") && !page.text.contains(someone.idNumber))
            let detail = try await send(app, .GET, "/residents/\(id)", headers: ["Cookie": cookie])
            #expect(detail.text.contains("/reveal") && !detail.text.contains(someone.idNumber))
            let posted = try await send(app, .POST, "/residents/\(id)/reveal", headers: ["Cookie": cookie],
                                        form: ["_csrf": try #require(detail.csrfToken), "field": "name", "reason": "上门核实"])
            #expect(posted.status == .seeOther && !posted.text.contains(someone.name))   // post/redirect/get
            let shown = try await send(app, .GET, try #require(posted.headers.first(name: .location)), headers: ["Cookie": cookie])
            #expect(shown.status == .ok && shown.text.contains(someone.name))
            // Reloading the page shows the masked value again and logs no second reveal.
            let reloaded = try await send(app, .GET, "/residents/\(id)", headers: ["Cookie": cookie])
            #expect(!reloaded.text.contains(someone.name))
            #expect(try await AuditStore(db: app.db).list(AuditStore.Filter(action: "reveal")).rows.filter { $0.detail == "field=name; reason=上门核实" }.count == 1)
            let (dispatchCookie, _) = try await webLogin(app, "steward-dispatch")
            #expect(!(try await send(app, .GET, "/residents/\(id)", headers: ["Cookie": dispatchCookie])).text.contains("/reveal\""))
        }
    }

    @Test func aCSVImportReportsEveryBadRowAndImportsAllOrNothing() async throws {
        try await withTestApp { app in
            let building = try #require(DemoDistrict.areas.first { $0.kind == .building && $0.code.hasPrefix("440309002") }).code
            let other = try #require(DemoDistrict.areas.first { $0.kind == .building && $0.code.hasPrefix("440309006") }).code
            let good1 = DemoResidents.make(count: 3, buildings: [building], seed: 7)
            // A real-looking ID number with the wrong check character.
            let first17 = "44030919900101123"
            let right = try #require(IdentityNumber.checkCharacter(for: first17))
            let badCheck = first17 + (right == "1" ? "2" : "1")
            let csv = """
            \u{FEFF}姓名,身份证号,手机号,身份,楼栋代码,房号,入住日期,迁出日期
            \(good1[0].name),\(good1[0].idNumber),\(good1[0].phone),租户,\(building),1-101,2024-03-01,
            "\(good1[1].name)",\(good1[1].idNumber),,业主,\(building),"2-202",2020-01-01,
            王五,\(badCheck),13800138000,租户,\(building),3-301,2024-01-01,
            ,\(good1[2].idNumber),12345,房客,\(building),3-302,2024-13-01,
            赵六,\(good1[0].idNumber),13900000000,family,\(building),1-101,2024-03-01,
            孙七,110105194912310021,13700000000,tenant,\(other),5-505,2024-03-01,2023-01-01
            """
            let manager = try await token(app, "street-minzhi")
            var headers = bearer(manager)
            headers.contentType = HTTPMediaType(type: "text", subType: "csv")
            let refused = try await send(app, .POST, "/api/v1/residents/import", headers: headers, raw: csv)
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.json["imported"] as? Int == 0)
            let problems = try #require(refused.json["problems"] as? [[String: Any]])
            func has(_ row: Int, _ field: String) -> Bool { problems.contains { $0["row"] as? Int == row && $0["field"] as? String == field } }
            #expect(has(4, "idNumber"), "\(problems)")                    // bad check character
            #expect(has(5, "name") && has(5, "phone") && has(5, "role") && has(5, "moveIn"))   // every problem of a row at once
            #expect(has(6, "idNumber"))                                   // the same ID number as row 2
            #expect(has(7, "building") && has(7, "moveOut"))              // another street's building (out of scope); out before in
            #expect(!has(2, "name") && !has(3, "name"))
            #expect(try await ResidentStore(db: app.db).count() == 0)     // nothing imported
            // Asked to keep the valid rows: rows 2 and 3 go in.
            let partial = try await send(app, .POST, "/api/v1/residents/import?partial=true", headers: headers, raw: csv)
            #expect(partial.status == .created && partial.json["imported"] as? Int == 2)
            #expect(try await ResidentStore(db: app.db).count() == 2)
            // Once registered, a person in the next import is brought up to date, not registered twice.
            let moved = csv.replacingOccurrences(of: "\(building),1-101,2024-03-01,\n", with: "\(building),1-102,2024-03-01,2026-06-30\n")
            let again = try await send(app, .POST, "/api/v1/residents/import?partial=true", headers: headers, raw: moved)
            #expect(again.json["imported"] as? Int == 0 && again.json["updated"] as? Int == 2, "\(again.text)")
            #expect(try await ResidentStore(db: app.db).count() == 2)
            let index = app.fieldCipher.blindIndex(good1[0].idNumber)
            let updated = try #require(try await ResidentStore(db: app.db).rows(idIndexes: [index])[index])
            #expect(updated.unit == "1-102" && updated.moveOut == "2026-06-30")
            // A header without the needed columns, an empty body, a caller who may not import.
            #expect(try await send(app, .POST, "/api/v1/residents/import", headers: headers, raw: "foo,bar\n1,2").status == .unprocessableEntity)
            #expect(try await send(app, .POST, "/api/v1/residents/import", headers: headers, raw: "").status == .unprocessableEntity)
            var staff = bearer(try await token(app, "steward-patrol"))
            staff.contentType = HTTPMediaType(type: "text", subType: "csv")
            #expect(try await send(app, .POST, "/api/v1/residents/import", headers: staff, raw: csv).status == .forbidden)
            // The import is audited.
            #expect(try await AuditStore(db: app.db).list(AuditStore.Filter(action: "import")).rows.map(\.detail)
                    == ["imported=0; updated=2; refused rows=4", "imported=2; updated=0; refused rows=4"])
            // The console's import page reports the rows too.
            let (cookie, _) = try await webLogin(app, "street-minzhi")
            let form = try await send(app, .GET, "/residents/import", headers: ["Cookie": cookie])
            var upload = MultipartForm()
            upload.field("_csrf", try #require(form.csrfToken))
            upload.file("file", Data(csv.utf8), "text/csv", filename: "residents.csv")
            let result = try await upload.send(app, "/residents/import", cookie: cookie)
            #expect(result.status == .badRequest && result.text.contains("身份证号校验位不正确"))
        }
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
