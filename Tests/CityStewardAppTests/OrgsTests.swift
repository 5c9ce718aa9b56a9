@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import Testing
import VaporTesting

@Suite("Organisations API")
struct OrgsTests {
    func decode<T: Decodable>(_ type: T.Type, _ reply: Reply) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(reply.text.utf8))
    }

    @Test func theDistrictOfficeCreatesOrganisationsWithTheAreasTheyServe() async throws {
        try await withTestApp { app in
            let admin = bearer(try await token(app, "district-admin"))
            let created = try await send(app, .POST, "/api/v1/orgs", headers: admin, json: [
                "code": "lh-sh-new-01", "name": "马场新村股份合作公司（新）", "kind": "shareholdingCompany", "areaCodes": ["440309001009V01"],
            ])
            #expect(created.status == .created, Comment(rawValue: created.text))
            let org = try decode(OrgsAPIController.OrgResponse.self, created)
            #expect(org.code == "LH-SH-NEW-01" && org.kind == "shareholdingCompany" && org.areaCodes == ["440309001009V01"])
            #expect(org.kindLabel == "股份合作公司")

            let more = try await send(app, .POST, "/api/v1/orgs/LH-SH-NEW-01/areas", headers: admin, json: ["areaCodes": ["440309001009"]])
            #expect(more.status == .ok, "\(more.text)")
            #expect(try decode(OrgsAPIController.OrgResponse.self, more).areaCodes == ["440309001009", "440309001009V01"])

            let list = try decode(OrgsAPIController.OrgList.self, try await send(app, .GET, "/api/v1/orgs", headers: admin))
            #expect(list.total == list.items.count)
            #expect(list.items.contains { $0.code == "LH-SH-NEW-01" })
            #expect(list.items.first { $0.code == "LH-ST-002" }?.areaCodes == ["440309002"])
            let audit = try await AuditStore(db: app.db).list(AuditStore.Filter(action: "org.changed")).rows
            #expect(audit.map(\.subject) == ["org:LH-SH-NEW-01", "org:LH-SH-NEW-01"])
        }
    }

    @Test func everyProblemIsNamedAndNothingIsWritten() async throws {
        try await withTestApp { app in
            let admin = bearer(try await token(app, "district-admin"))
            let bad = try await send(app, .POST, "/api/v1/orgs", headers: admin.merging(["Accept-Language": "en"]), json: [
                "code": "LH-ST-002", "name": "", "kind": "club", "areaCodes": ["NOPE"],
            ])
            #expect(bad.status == .unprocessableEntity)
            let problem = try decode(Problem.self, bad)
            #expect(problem.field == "code,name,kind,areas")
            #expect(problem.detail.contains("code LH-ST-002 already exists") && problem.detail.contains("name:") && problem.detail.contains("kind:"))
            // A street office cannot serve a village; an unknown organisation is 404.
            let wrongKind = try await send(app, .POST, "/api/v1/orgs/LH-ST-002/areas", headers: admin, json: ["areaCodes": ["440309002001V01"]])
            #expect(wrongKind.status == .unprocessableEntity)
            #expect(try await send(app, .POST, "/api/v1/orgs/NOPE/areas", headers: admin, json: ["areaCodes": ["440309002"]]).status == .notFound)
            #expect(try await send(app, .POST, "/api/v1/orgs/LH-ST-002/areas", headers: admin, json: ["areaCodes": []]).status == .badRequest)
            let org = try #require(try await DirectoryStore(db: app.db).org(code: "LH-ST-002"))
            #expect(try await DirectoryStore(db: app.db).areaIDs(ofOrg: org.id).count == 1)
            #expect(try await AuditStore(db: app.db).list(AuditStore.Filter(action: "org.changed")).total == 0)
        }
    }

    @Test func onlyTheDistrictOfficeManagesOrganisations() async throws {
        try await withTestApp { app in
            for user in ["street-minzhi", "steward-dispatch", "auditor", "dept-housing", "data-platform", "resident-demo"] {
                let caller = bearer(try await token(app, user))
                #expect(try await send(app, .GET, "/api/v1/orgs", headers: caller).status == .forbidden, "\(user)")
                let create = try await send(app, .POST, "/api/v1/orgs", headers: caller, json: ["code": "X-1", "name": "x", "kind": "department"])
                #expect(create.status == .forbidden, "\(user)")
            }
            #expect(try await send(app, .GET, "/api/v1/orgs").status == .unauthorized)
            #expect(try await DirectoryStore(db: app.db).org(code: "X-1") == nil)
        }
    }
}

extension HTTPHeaders {
    func merging(_ more: [String: String]) -> HTTPHeaders {
        var copy = self
        for (name, value) in more { copy.replaceOrAdd(name: name, value: value) }
        return copy
    }
}
