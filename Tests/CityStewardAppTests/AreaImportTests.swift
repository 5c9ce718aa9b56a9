@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import Foundation
import Testing
import Vapor

@Suite("Area imports that replace outlines, previewed first")
struct AreaImportTests {
    static func collection(_ features: [(code: String, name: String, box: GeoBox)]) -> String {
        let items = features.map { f in
            let ring = [[f.box.minLong, f.box.minLat], [f.box.maxLong, f.box.minLat], [f.box.maxLong, f.box.maxLat], [f.box.minLong, f.box.maxLat], [f.box.minLong, f.box.minLat]]
            let coordinates = ring.map { "[\($0[0]),\($0[1])]" }.joined(separator: ",")
            return #"{"type":"Feature","properties":{"code":"\#(f.code)","name":"\#(f.name)"},"geometry":{"type":"Polygon","coordinates":[[\#(coordinates)]]}}"#
        }
        return #"{"type":"FeatureCollection","features":[\#(items.joined(separator: ","))]}"#
    }

    func post(_ app: Application, _ query: String, _ body: String, _ headers: HTTPHeaders) async throws -> Reply {
        var h = headers
        h.contentType = HTTPMediaType(type: "application", subType: "geo+json")
        return try await send(app, .POST, "/api/v1/areas/import?\(query)", headers: h, raw: body)
    }

    @Test func aSurveyedOutlineReplacesAGridAndItsCasesStayInIt() async throws {
        try await withTestApp { app in
            let admin = bearer(try await token(app, "district-admin"))
            let store = AreaStore(db: app.db)
            let village = try #require(try await store.find(code: songziyuan))
            let grids = try await store.children(of: village.id).filter { $0.kind == .grid }.sorted { $0.code < $1.code }
            let grid = grids[0]
            let oldCentre = try #require(grid.centre)
            // A case reported in the grid as it was drawn.
            let patrol = try await token(app, "steward-patrol")
            let before = try await report(app, patrol, category: "06010", at: oldCentre)
            let caseID = try #require(before.json["id"] as? String)
            #expect((before.json["area"] as? [String: Any])?["name"] as? String == grid.name)

            // The surveyed outline lies a little north-east; a new grid beside it.
            let surveyed = GeoBox(minLat: oldCentre.lat + 0.0003, minLong: oldCentre.long + 0.0003, maxLat: oldCentre.lat + 0.0012, maxLong: oldCentre.long + 0.0012)
            let newGrid = GeoBox(minLat: oldCentre.lat + 0.0013, minLong: oldCentre.long + 0.0003, maxLat: oldCentre.lat + 0.0020, maxLong: oldCentre.long + 0.0012)
            let file = Self.collection([(grid.code, grid.name + "（测绘）", surveyed), ("440309002001901", "新网格", newGrid)])

            // Without replace the stored code is refused; a street officer may not import at all.
            let refused = try await post(app, "parent=\(songziyuan)", file, admin)
            #expect(refused.status == .unprocessableEntity && refused.text.contains("already exists") == false && refused.text.contains("已存在"), "\(refused.text.prefix(300))")
            #expect(try await post(app, "parent=\(songziyuan)&replace=true", file, bearer(try await token(app, "street-minzhi"))).status == .forbidden)
            // A dry run says what would happen and writes nothing.
            let preview = try await post(app, "parent=\(songziyuan)&replace=true&dryRun=true", file, admin)
            #expect(preview.status == .ok && preview.json["applied"] as? Bool == false, "\(preview.text)")
            #expect(preview.json["created"] as? [String] == ["440309002001901"])
            #expect(((preview.json["changed"] as? [[String: Any]])?.first)?["outline"] as? Bool == true)
            #expect(try await store.find(code: "440309002001901") == nil)

            let applied = try await post(app, "parent=\(songziyuan)&replace=true", file, admin)
            #expect(applied.status == .ok && applied.json["applied"] as? Bool == true, "\(applied.text)")
            let now = try #require(try await store.find(code: grid.code))
            let box = try #require(now.shape?.boundingBox)
            let close = [box.minLat - surveyed.minLat, box.minLong - surveyed.minLong, box.maxLat - surveyed.maxLat, box.maxLong - surveyed.maxLong].allSatisfy { abs($0) < 1e-9 }
            #expect(now.id == grid.id && now.name == grid.name + "（测绘）" && close, "the same area, its new outline (to the file's precision)")

            // The old case keeps its grid; a new report inside the surveyed outline is located in it.
            let same = try await send(app, .GET, "/api/v1/cases/\(caseID)", headers: admin)
            #expect((same.json["area"] as? [String: Any])?["id"] as? String == grid.id.uuidString)
            let after = try await report(app, patrol, category: "06010", at: GeoPoint(lat: surveyed.centre.lat, long: surveyed.centre.long))
            #expect((after.json["area"] as? [String: Any])?["id"] as? String == grid.id.uuidString, "\(after.text.prefix(300))")
            let trail = try await AuditStore(db: app.db).list(AuditStore.Filter(action: "import")).rows
            #expect(trail.contains { $0.subject == "areas:\(songziyuan)" && $0.detail.hasPrefix("1 new, 1 changed") })
            // The same file again changes nothing.
            let again = try await post(app, "parent=\(songziyuan)&replace=true", file, admin)
            #expect(again.json["created"] as? [String] == [] && (again.json["changed"] as? [Any])?.isEmpty == true && again.json["unchanged"] as? Int == 2)
        }
    }

    @Test func theConsoleShowsThePlanBeforeItWritesAnything() async throws {
        try await withTestApp { app in
            let store = AreaStore(db: app.db)
            let village = try #require(try await store.find(code: songziyuan))
            let grid = try #require(try await store.children(of: village.id).filter { $0.kind == .grid }.sorted { $0.code < $1.code }.first)
            let c = try #require(grid.centre)
            let file = Self.collection([(grid.code, grid.name, GeoBox(minLat: c.lat, minLong: c.long, maxLat: c.lat + 0.0008, maxLong: c.long + 0.0008))])
            let (admin, _) = try await webLogin(app, "district-admin")
            let path = "/areas/\(village.id.uuidString.lowercased())"
            let page = try await send(app, .GET, path, headers: ["Cookie": admin])
            #expect(page.text.contains("action=\"\(path)/import\""))
            var upload = MultipartForm()
            upload.field("_csrf", try #require(page.csrfToken))
            upload.field("replace", "on")
            upload.file("file", Data(file.utf8), "application/geo+json", filename: "surveyed.geojson")
            let preview = try await upload.send(app, path + "/import", cookie: admin)
            #expect(preview.status == .ok && preview.text.contains(grid.code) && preview.text.contains("替换边界") && preview.text.contains("name=\"confirm\""))
            #expect(preview.text.contains("<svg"), "before and after drawn")
            #expect(try await store.find(code: grid.code)?.shape == grid.shape, "nothing written by the preview")
            var confirm = MultipartForm()
            confirm.field("_csrf", try #require(page.csrfToken))
            confirm.field("replace", "on")
            confirm.field("confirm", "1")
            confirm.field("geojson", file)
            let done = try await confirm.send(app, path + "/import", cookie: admin)
            #expect(done.status == .ok && done.text.contains("已导入"))
            #expect(try await store.find(code: grid.code)?.shape != grid.shape)
            // A broken file lists its problems and writes nothing.
            var broken = MultipartForm()
            broken.field("_csrf", try #require(page.csrfToken))
            broken.file("file", Data("{\"type\":\"FeatureCollection\",\"features\":[{}]}".utf8), "application/json")
            let bad = try await broken.send(app, path + "/import", cookie: admin)
            #expect(bad.status == .badRequest && bad.text.contains("role=\"alert\""))
            // Street officers see no import form.
            let (street, _) = try await webLogin(app, "street-minzhi")
            #expect(!(try await send(app, .GET, path, headers: ["Cookie": street]).text.contains("/import\"")))
        }
    }

    @Test func theDistrictOfficeAddsAndRenamesAreasOnTheirPages() async throws {
        try await withTestApp { app in
            let store = AreaStore(db: app.db)
            let village = try #require(try await store.find(code: songziyuan))
            let grid = try #require(try await store.children(of: village.id).filter { $0.kind == .grid }.sorted { $0.code < $1.code }.first)
            let (admin, _) = try await webLogin(app, "district-admin")
            let path = "/areas/\(grid.id.uuidString.lowercased())"
            let page = try await send(app, .GET, path, headers: ["Cookie": admin])
            #expect(page.text.contains("action=\"\(path)/children\"") && page.text.contains("<option value=\"building\" selected>"))
            let csrf = try #require(page.csrfToken)
            // A code that does not extend the grid's is refused by its field, the rest kept.
            let bad = try await send(app, .POST, path + "/children?lang=en", headers: ["Cookie": admin],
                                     form: ["_csrf": csrf, "kind": "building", "code": "440309002001999B01", "name": "7 栋"])
            #expect(bad.status == .badRequest && bad.text.contains("id=\"child-code-error\"") && bad.text.contains("value=\"7 栋\""))
            let made = try await send(app, .POST, path + "/children", headers: ["Cookie": admin],
                                      form: ["_csrf": csrf, "kind": "building", "code": grid.code + "B77", "name": "7 栋"])
            let building = try #require(try await store.find(code: grid.code + "B77"))
            #expect(made.location == "/areas/\(building.id.uuidString.lowercased())" && building.parentID == grid.id && building.path == grid.path + [building.id])
            // Renamed: the code and the place stay; an empty name is refused.
            #expect(try await send(app, .POST, path + "/name", headers: ["Cookie": admin], form: ["_csrf": csrf, "name": " "]).status == .badRequest)
            let renamed = try await send(app, .POST, path + "/name", headers: ["Cookie": admin], form: ["_csrf": csrf, "name": "松仔园村第一网格", "nameEn": "Grid 1"])
            #expect(renamed.location == path)
            let now = try #require(try await store.find(code: grid.code))
            #expect(now.name == "松仔园村第一网格" && now.nameEn == "Grid 1" && now.id == grid.id && now.shape == grid.shape)
            // The API does the same for the district office only.
            let api = try await send(app, .PATCH, "/api/v1/areas/\(grid.id.uuidString)", headers: bearer(try await token(app, "district-admin")), json: ["name": "网格一"])
            #expect(api.status == .ok && api.json["name"] as? String == "网格一" && api.json["nameEn"] as? String == "Grid 1")
            #expect(try await send(app, .PATCH, "/api/v1/areas/\(grid.id.uuidString)", headers: bearer(try await token(app, "street-minzhi")), json: ["name": "x"]).status == .forbidden)
        }
    }
}
