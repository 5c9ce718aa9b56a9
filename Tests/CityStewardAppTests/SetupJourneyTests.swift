@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import Testing
import VaporTesting

/// A real district from an empty database, no demo loader anywhere (issue 16 §9): init, its villages, two street
/// offices, a department, a steward with staff, a priced matter, a contract taken to activation — and then the
/// steward's staff see the village and a resident's report there reaches them. On SQLite and PostgreSQL alike.
@Suite("Setting up a district")
struct SetupJourneyTests {
    static let password = "a-long-password"

    func signIn(_ app: Application, _ username: String, _ password: String) async throws -> HTTPHeaders {
        let reply = try await send(app, .POST, "/api/v1/auth/token", json: ["username": username, "password": password])
        #expect(reply.status == .ok, Comment(rawValue: "\(username): \(reply.text)"))
        return bearer(try #require(reply.json["token"] as? String))
    }

    func decode<T: Decodable>(_ type: T.Type, _ reply: Reply) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(reply.text.utf8))
    }

    /// A square of `metres` with its south-west corner at `sw`, as a GeoJSON Feature.
    static func square(_ code: String, _ name: String, kind: String, sw: GeoPoint, metres: Double) -> String {
        let ne = sw.offset(eastMetres: metres, northMetres: metres)
        let ring = [[sw.long, sw.lat], [ne.long, sw.lat], [ne.long, ne.lat], [sw.long, ne.lat], [sw.long, sw.lat]]
            .map { "[\($0[0]),\($0[1])]" }.joined(separator: ",")
        return #"{"type":"Feature","properties":{"code":"\#(code)","name":"\#(name)","kind":"\#(kind)"},"geometry":{"type":"Polygon","coordinates":[[\#(ring)]]}}"#
    }

    static func collection(_ features: [String]) -> Data { Data(#"{"type":"FeatureCollection","features":[\#(features.joined(separator: ","))]}"#.utf8) }

    @Test func fromAnEmptyDatabaseToAResidentsReportReachingTheSteward() async throws {
        try await withTestApp(demo: false) { app in
            #expect(try await DemoLoader.isEmpty(app.db))
            // 1. init (the use case `citysteward init` runs).
            let setUp = try await InitDistrict(app: app)(.init(reference: DistrictSetup.longhua, adminUsername: "wang", adminName: "王主任",
                                                                password: Self.password, by: "test"))
            #expect((try? setUp.get())?.plan.createAreas.count == 7)
            let admin = try await signIn(app, "wang", Self.password)

            // 2. A community, its village and two grids under 民治街道, surveyed (the use case `areas import` runs).
            let sw = GeoPoint(lat: 22.6200, long: 114.0280)
            let areas = AreaStore(db: app.db)
            for (parent, features) in [
                ("440309002", [Self.square("440309002001", "民治社区", kind: "community", sw: sw, metres: 600)]),
                ("440309002001", [Self.square("440309002001V01", "松仔园村", kind: "village", sw: sw, metres: 400)]),
                ("440309002001V01", [Self.square("440309002001001", "松仔园村网格 001", kind: "grid", sw: sw, metres: 200),
                                     Self.square("440309002001002", "松仔园村网格 002", kind: "grid", sw: sw.offset(eastMetres: 200, northMetres: 0), metres: 200)]),
            ] {
                let imported = try await ImportAreas(store: areas)(Self.collection(features), parentCode: parent)
                #expect((try? imported.get())?.count == features.count, "under \(parent)")
            }
            app.gridLocator.invalidate()

            // 3. Organisations: two street offices, a department, a steward (assigned nothing: its contracts decide).
            for org: [String: Any] in [
                ["code": "LH-ST-002", "name": "民治街道办事处", "kind": "streetOffice", "areaCodes": ["440309002"]],
                ["code": "LH-ST-006", "name": "观澜街道办事处", "kind": "streetOffice", "areaCodes": ["440309006"]],
                ["code": "LH-ZJJ", "name": "区住房建设局", "kind": "department"],
                ["code": "LH-STEWARD-09", "name": "示范城市管家有限公司", "kind": "steward"],
            ] {
                let reply = try await send(app, .POST, "/api/v1/orgs", headers: admin, json: org)
                #expect(reply.status == .created, Comment(rawValue: reply.text))
            }
            // 4. People: the street's officer, the steward's dispatcher and patroller, a resident.
            for user: [String: Any] in [
                ["username": "li-wei", "displayName": "李伟", "role": "streetOfficer", "orgCode": "LH-ST-002", "password": Self.password],
                ["username": "zhou-lead", "displayName": "周主任", "role": "streetOfficer", "orgCode": "LH-ST-002", "password": Self.password],
                ["username": "zhao-dispatch", "displayName": "赵调度", "role": "stewardDispatcher", "orgCode": "LH-STEWARD-09", "password": Self.password],
                ["username": "qian-patrol", "displayName": "钱巡查", "role": "stewardStaff", "orgCode": "LH-STEWARD-09", "password": Self.password],
                ["username": "sun-resident", "displayName": "孙女士", "role": "resident", "password": Self.password],
            ] {
                let reply = try await send(app, .POST, "/api/v1/users", headers: admin, json: user)
                #expect(reply.status == .created, Comment(rawValue: reply.text))
            }
            let street = try await signIn(app, "li-wei", Self.password)
            let patrol = try await signIn(app, "qian-patrol", Self.password)
            // Before any contract the steward serves nothing.
            let none = try decode(AreasAPIController.AreaList.self, try await send(app, .GET, "/api/v1/areas?kind=village", headers: patrol))
            #expect(none.items.isEmpty)

            // 5. The matter list's price, then the street's contract: drafted, reviewed, signed, activated.
            let price = try await send(app, .PUT, "/api/v1/catalog/prices/M-SAN-01", headers: admin, json: ["unit": "m²", "benchmarkFen": 85])
            #expect(price.status == .ok, Comment(rawValue: price.text))
            let contract: [String: Any] = [
                "title": "松仔园村环境卫生委托合同", "steward": "LH-STEWARD-09", "procurement": "directEntrustment", "areas": ["440309002001V01"],
                "lines": [["matterCode": "M-SAN-01", "quantity": 40_000, "unit": "m²"]], "start": "2026-11-01", "end": "2027-10-31",
                "rightsAndDuties": "按月结算。", "breachLiability": "超期按件扣款。", "deductions": [["basis": "overdueCase", "amountFen": 20_000, "capFen": 50_000]],
                "guaranteeText": "兜底完成。", "guaranteeFen": 500_000,
                "qualificationChecks": [["item": "保洁作业资质", "passed": true, "checker": "民治街道办", "date": "2026-10-20"]],
                "notice": ["date": "2026-10-25", "channel": "村务公开栏", "text": "松仔园村环境卫生由城市管家承担。"],
            ]
            // No contract before the street has drawn up its list of entrusted matters from the catalog.
            let early = try await send(app, .POST, "/api/v1/contracts?lang=en", headers: street, json: contract)
            #expect(early.status == .unprocessableEntity && early.text.contains("no list of entrusted matters yet"), Comment(rawValue: early.text))
            let list = try await send(app, .PUT, "/api/v1/streets/440309002/matter-list", headers: street,
                                      json: ["matters": ["M-SAN-01", "M-PAT-01"], "note": "首批委托保洁与巡查"])
            #expect(list.status == .ok && list.json["version"] as? Int == 1, Comment(rawValue: list.text))
            let created = try await send(app, .POST, "/api/v1/contracts", headers: street, json: contract)
            #expect(created.status == .created, Comment(rawValue: created.text))
            let id = try #require((created.json["contract"] as? [String: Any])?["id"] as? String)
            // Submitted by one officer, countersigned by the steward, signed by another officer, activated.
            let dispatcher = try await signIn(app, "zhao-dispatch", Self.password), lead = try await signIn(app, "zhou-lead", Self.password)
            for (action, who) in [("submit", street), ("countersign", dispatcher), ("sign", lead), ("activate", street)] {
                let reply = try await send(app, .POST, "/api/v1/contracts/\(id)/actions/\(action)", headers: who, json: [:])
                #expect(reply.status == .ok, Comment(rawValue: "\(action): \(reply.text)"))
            }

            // 6. The steward's staff see the village now; a resident's report there reaches the steward.
            let patrolNow = try await signIn(app, "qian-patrol", Self.password)
            let seen = try decode(AreasAPIController.AreaList.self, try await send(app, .GET, "/api/v1/areas?kind=village", headers: patrolNow))
            #expect(seen.items.map(\.code) == ["440309002001V01"])
            let taxonomy = try await TaxonomyStore(db: app.db).current(deviceEvents: [])
            let sanitation = try #require(taxonomy.categories.first { $0.kind == .event && $0.matter == "M-SAN-01" })
            let resident = try await signIn(app, "sun-resident", Self.password)
            let inGrid = sw.offset(eastMetres: 50, northMetres: 50)
            let reported = try await send(app, .POST, "/api/v1/cases", headers: resident,
                                          json: ["category": sanitation.code, "lat": inGrid.lat, "long": inGrid.long, "description": "公厕无人清扫"])
            #expect(reported.status == .created, Comment(rawValue: reported.text))
            let routing = try #require(reported.json["routing"] as? [String: Any])
            #expect(routing["rule"] as? String == "entrusted", Comment(rawValue: reported.text))
            #expect((reported.json["responsible"] as? [String: Any])?["name"] as? String == "示范城市管家有限公司", Comment(rawValue: reported.text))
            let number = try #require(reported.json["number"] as? String)
            for who in [patrolNow, try await signIn(app, "zhao-dispatch", Self.password), street] {
                let queue = try await send(app, .GET, "/api/v1/cases", headers: who)
                #expect(((queue.json["items"] as? [[String: Any]]) ?? []).contains { $0["number"] as? String == number }, Comment(rawValue: queue.text))
            }
            // The other street's office does not see it.
            _ = try await send(app, .POST, "/api/v1/users", headers: admin, json: [
                "username": "zhou-guanlan", "displayName": "周", "role": "streetOfficer", "orgCode": "LH-ST-006", "password": Self.password])
            let other = try await send(app, .GET, "/api/v1/cases", headers: try await signIn(app, "zhou-guanlan", Self.password))
            #expect(!((other.json["items"] as? [[String: Any]]) ?? []).contains { $0["number"] as? String == number })
        }
    }
}
