@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import Foundation
import Testing
import Vapor

@Suite("Houses and households")
struct HouseholdsTests {
    func building(_ app: Application) async throws -> Area {
        let store = AreaStore(db: app.db)
        return try #require(try await store.list(scope: .everything, kind: .building).filter { $0.code.hasPrefix("440309002001") }.sorted { $0.code < $1.code }.first)
    }

    @Test func aHouseIsRegisteredWithItsPeopleWhoChangeAndMoveOutOnRecord() async throws {
        try await withTestApp { app in
            let b = try await building(app)
            let street = bearer(try await token(app, "street-minzhi"))
            // Every problem of a house at once; then registered; the door is the building's once.
            let bad = try await send(app, .POST, "/api/v1/houses", headers: street, json: ["building": b.code, "unit": "", "use": "palace", "rooms": 0, "floorArea": -5])
            #expect(bad.status == .unprocessableEntity && bad.json["field"] as? String == "unit,use,rooms,floorArea", "\(bad.text)")
            let made = try await send(app, .POST, "/api/v1/houses", headers: street,
                                      json: ["building": b.code, "unit": "2-301", "use": "rental", "rooms": 3, "floorArea": 86.456, "addressCode": "4403090020010070012"])
            #expect(made.status == .created, "\(made.text)")
            let house = try #require(made.json["house"] as? [String: Any])
            let houseID = try #require(house["id"] as? String)
            #expect(house["floorArea"] as? Double == 86.46 && house["useLabel"] as? String == "出租")
            #expect(try await send(app, .POST, "/api/v1/houses", headers: street, json: ["building": b.code, "unit": "2-301", "use": "rental"]).status == .unprocessableEntity)
            // Out of scope: another street's officer does not find it; line staff may not register.
            #expect(try await send(app, .GET, "/api/v1/houses/\(houseID)", headers: bearer(try await token(app, "street-guanlan"))).status == .notFound)
            #expect(try await send(app, .POST, "/api/v1/houses", headers: bearer(try await token(app, "steward-patrol")),
                                   json: ["building": b.code, "unit": "9-909", "use": "rental"]).status == .forbidden)

            // Its people: the head and a tenant, registered by hand like an import row.
            let people = DemoResidents.make(count: 2, buildings: [b.code], seed: 11)
            let head = try await send(app, .POST, "/api/v1/residents", headers: street,
                                      json: ["name": people[0].name, "idNumber": people[0].idNumber, "phone": people[0].phone, "role": "owner", "relation": "head",
                                             "residence": "registered", "building": b.code, "unit": "2-301", "moveIn": "2020-05-01"])
            #expect(head.status == .created, "\(head.text)")
            #expect(head.json["relationLabel"] as? String == "户主" && (head.json["name"] as? String)?.contains("*") == true, "masked")
            let twice = try await send(app, .POST, "/api/v1/residents", headers: street,
                                       json: ["name": people[0].name, "idNumber": people[0].idNumber, "role": "owner", "building": b.code, "unit": "2-301", "moveIn": "2020-05-01"])
            #expect(twice.status == .unprocessableEntity && twice.json["field"] as? String == "idNumber")
            let tenant = try await send(app, .POST, "/api/v1/residents", headers: street,
                                        json: ["name": people[1].name, "idNumber": people[1].idNumber, "role": "tenant", "relation": "other", "residence": "floating",
                                               "building": b.code, "unit": "2-301", "moveIn": "2025-09-01"])
            let tenantID = try #require(tenant.json["id"] as? String)
            let detail = try await send(app, .GET, "/api/v1/houses/\(houseID)", headers: street)
            #expect((detail.json["occupants"] as? [[String: Any]])?.count == 2)

            // A change; then the move-out keeps the record, read-only; a move-out before the move-in is refused.
            let changed = try await send(app, .PATCH, "/api/v1/residents/\(tenantID)", headers: street, json: ["residence": "temporary", "phone": "+86 139-0000-1111"])
            #expect(changed.status == .ok && changed.json["residence"] as? String == "temporary" && changed.json["phone"] as? String == "139****1111", "\(changed.text)")
            #expect(try await send(app, .PATCH, "/api/v1/residents/\(tenantID)", headers: street, json: ["moveOut": "2025-01-01"]).status == .unprocessableEntity)
            let out = try await send(app, .PATCH, "/api/v1/residents/\(tenantID)", headers: street, json: ["moveOut": "2026-10-31"])
            #expect(out.status == .ok && out.json["moveOut"] as? String == "2026-10-31")
            #expect(try await send(app, .PATCH, "/api/v1/residents/\(tenantID)", headers: street, json: ["role": "owner"]).status == .unprocessableEntity)
            let after = try await send(app, .GET, "/api/v1/houses/\(houseID)", headers: street)
            #expect((after.json["occupants"] as? [[String: Any]])?.map { $0["moveOut"] as? String } == [nil, "2026-10-31"], "still on record, after those living there")
            let trail = try await AuditStore(db: app.db).list(AuditStore.Filter(action: "resident.changed")).rows.map(\.detail)
            #expect(trail.first == "moved out 2026-10-31" && trail.count == 5)
        }
    }

    @Test func theConsoleRegistersHousesAndPeopleKeepingWhatWasTyped() async throws {
        try await withTestApp { app in
            let b = try await building(app)
            let (cookie, _) = try await webLogin(app, "street-minzhi")
            let area = try await send(app, .GET, "/areas/\(b.id.uuidString.lowercased())", headers: ["Cookie": cookie])
            #expect(area.text.contains("href=\"/houses?building=\(b.code)\""))
            let list = try await send(app, .GET, "/houses?building=\(b.code)", headers: ["Cookie": cookie])
            let csrf = try #require(list.csrfToken)
            let refused = try await send(app, .POST, "/houses?building=\(b.code)", headers: ["Cookie": cookie],
                                         form: ["_csrf": csrf, "building": b.code, "unit": "3-502", "use": "mixed", "rooms": "很多", "floorArea": "60"])
            #expect(refused.status == .badRequest && refused.text.contains("id=\"house-rooms-error\"") && refused.text.contains("value=\"3-502\""))
            #expect(refused.text.contains("<option value=\"mixed\" selected>"))
            let made = try await send(app, .POST, "/houses?building=\(b.code)", headers: ["Cookie": cookie],
                                      form: ["_csrf": csrf, "building": b.code, "unit": "3-502", "use": "mixed", "rooms": "2", "floorArea": "60"])
            let path = try #require(made.location)
            #expect(path.hasPrefix("/houses/"))
            // A person with a broken ID number: the form comes back, the ID number not echoed.
            let person = DemoResidents.make(count: 1, buildings: [b.code], seed: 5)[0]
            let badID = try await send(app, .POST, path + "/residents", headers: ["Cookie": cookie],
                                       form: ["_csrf": csrf, "name": person.name, "idNumber": "123", "role": "tenant", "relation": "other", "residence": "floating", "moveIn": "2026-01-01"])
            #expect(badID.status == .badRequest && badID.text.contains("id=\"person-id-error\"") && badID.text.contains("value=\"\(person.name)\""))
            #expect(!badID.text.contains("value=\"123\""))
            let added = try await send(app, .POST, path + "/residents", headers: ["Cookie": cookie],
                                       form: ["_csrf": csrf, "name": person.name, "idNumber": person.idNumber, "phone": "13800001234", "role": "tenant", "relation": "other",
                                              "residence": "floating", "moveIn": "2026-01-01"])
            #expect(added.location == path)
            let house = try await send(app, .GET, path, headers: ["Cookie": cookie])
            let residentLink = try #require(house.text.range(of: "href=\"/residents/").map { String(house.text[$0.upperBound...].prefix(36)) })
            // The resident's page: a change keeps the phone unless asked; a bad move-out comes back by its field.
            let page = "/residents/\(residentLink)"
            let resident = try await send(app, .GET, page, headers: ["Cookie": cookie])
            #expect(resident.text.contains("action=\"\(page)/change\"") && resident.text.contains("href=\"\(path)\""))
            let bad = try await send(app, .POST, page + "/change", headers: ["Cookie": cookie],
                                     form: ["_csrf": csrf, "phone": "", "role": "tenant", "relation": "other", "residence": "temporary", "unit": "3-502", "moveOut": "2025-12-31"])
            #expect(bad.status == .badRequest && bad.text.contains("id=\"change-move-out-error\"") && bad.text.contains("<option value=\"temporary\" selected>"))
            let good = try await send(app, .POST, page + "/change", headers: ["Cookie": cookie],
                                      form: ["_csrf": csrf, "phone": "", "role": "tenant", "relation": "other", "residence": "temporary", "unit": "3-502", "moveOut": ""])
            #expect(good.location == page)
            let id = try #require(UUID(uuidString: residentLink))
            let row = try await ResidentStore(db: app.db).find(id, scope: .everything)
            #expect(row.residence == "temporary" && row.phoneMasked == "138****1234", "the phone kept: an empty field changes nothing")
        }
    }
}
