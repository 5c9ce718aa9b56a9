@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import Testing
import Vapor

/// The asset register (issue 18 §1): components registered one by one and from files checked whole, a case linked to
/// its component with the history and reliability that gives, the layer on the map, and scope.
@Suite("Asset register")
struct AssetsTests {
    /// A grid of the steward's first village and its centre.
    static func grid(_ app: Application, _ headers: HTTPHeaders) async throws -> (code: String, centre: GeoPoint) {
        let villages = try await send(app, .GET, "/api/v1/areas?kind=village", headers: headers)
        let village = try #require((villages.json["items"] as? [[String: Any]])?.compactMap { $0["code"] as? String }.sorted().first)
        let grids = try await AreaStore(db: app.db).children(of: try #require(try await AreaStore(db: app.db).find(code: village)).id, includeShapes: false)
        let grid = try #require(grids.filter { $0.kind == .grid && $0.centre != nil }.min { $0.code < $1.code })
        return (grid.code, grid.centre!)
    }

    @Test func aComponentIsRegisteredChangedAndLinkedToItsCases() async throws {
        try await withTestApp { app in
            let dispatcher = bearer(try await token(app, "steward-dispatch"))
            let (gridCode, centre) = try await Self.grid(app, dispatcher)
            let box: [String: Any] = ["code": "xf-0001", "name": "消防器材箱 1 号", "component": "01013", "lat": centre.lat, "long": centre.long,
                                      "condition": "good", "ownerDepartment": "LH-XFDD", "maintainer": "LH-STEWARD-01", "installedOn": "2022-03-15"]
            // Every problem at once, each by its field; nothing stored.
            let bad = try await send(app, .POST, "/api/v1/assets", headers: dispatcher,
                                     json: ["code": "x", "name": "", "component": "99999", "lat": 22.7, "long": 114.0, "condition": "broken",
                                            "ownerDepartment": "NOPE", "installedOn": "2099-01-01"])
            #expect(bad.status == .unprocessableEntity, "\(bad.text)")
            let fields = Set(((bad.json["errors"] as? [[String: Any]]) ?? []).compactMap { $0["field"] as? String })
            #expect(fields == ["code", "name", "component", "condition", "ownerDepartment", "installedOn"], "\(bad.text)")
            // Outside the caller's areas (far in the north of the district, another street): refused by its position.
            let elsewhere = try await send(app, .POST, "/api/v1/assets", headers: dispatcher,
                                           json: box.merging(["lat": 22.5, "long": 113.5]) { $1 })
            #expect(elsewhere.status == .unprocessableEntity && elsewhere.json["field"] as? String == "lat", "\(elsewhere.text)")
            #expect(try await send(app, .POST, "/api/v1/assets", headers: bearer(try await token(app, "steward-patrol")), json: box).status == .forbidden)

            let made = try await send(app, .POST, "/api/v1/assets", headers: dispatcher, json: box)
            #expect(made.status == .created, "\(made.text)")
            let asset = try #require(made.json["asset"] as? [String: Any])
            let id = try #require(asset["id"] as? String)
            #expect(asset["code"] as? String == "XF-0001" && (asset["area"] as? [String: Any])?["code"] as? String == gridCode && asset["componentName"] as? String == "消防设施")
            let twice = try await send(app, .POST, "/api/v1/assets", headers: dispatcher, json: box)
            #expect(twice.status == .unprocessableEntity && twice.json["field"] as? String == "code")

            // A change: only what is sent; the code stays.
            let changed = try await send(app, .PATCH, "/api/v1/assets/\(id)", headers: dispatcher, json: ["condition": "damaged", "code": "OTHER-1"])
            #expect(changed.status == .ok && (changed.json["asset"] as? [String: Any])?["condition"] as? String == "damaged"
                    && (changed.json["asset"] as? [String: Any])?["code"] as? String == "XF-0001" && (changed.json["asset"] as? [String: Any])?["installedOn"] as? String == "2022-03-15", "\(changed.text)")

            // A case about it: reported, then linked by its number; the history lists it.
            let reported = try await send(app, .POST, "/api/v1/cases", headers: dispatcher,
                                          json: ["category": "01013", "lat": centre.lat, "long": centre.long, "description": "灭火器压力不足"])
            #expect(reported.status == .created, "\(reported.text)")
            let number = try #require(reported.json["number"] as? String)
            let unknown = try await send(app, .POST, "/api/v1/assets/\(id)/cases", headers: dispatcher, json: ["case": "2026-9999999"])
            #expect(unknown.status == .unprocessableEntity && unknown.json["field"] as? String == "case")
            let linked = try await send(app, .POST, "/api/v1/assets/\(id)/cases", headers: dispatcher, json: ["case": number])
            #expect(linked.status == .ok && (linked.json["cases"] as? [[String: Any]])?.first?["number"] as? String == number, "\(linked.text)")
            #expect((linked.json["reliability"] as? [String: Any])?["failures"] as? Int == 1 && (linked.json["reliability"] as? [String: Any])?["repaired"] as? Int == 0)
            let classes = try await send(app, .GET, "/api/v1/assets/reliability", headers: dispatcher)
            let classList = try JSONSerialization.jsonObject(with: Data(classes.text.utf8)) as? [[String: Any]] ?? []
            #expect(classList.contains { $0["component"] as? String == "01013" && $0["registered"] as? Int == 1 }, "\(classes.text)")

            // Lists: filtered, paged by code; the audit has each change.
            let list = try await send(app, .GET, "/api/v1/assets?condition=damaged&q=xf", headers: dispatcher)
            #expect(list.json["total"] as? Int == 1, "\(list.text)")
            #expect(try await send(app, .GET, "/api/v1/assets?condition=rusty", headers: dispatcher).status == .badRequest)
            let audit = try await AuditStore(db: app.db).list(AuditStore.Filter(action: "asset.changed"))
            #expect(audit.total == 3, "registered, changed, linked")

            // Scope: another street's officer and a department that does not own it find nothing; the fire brigade's
            // own department would, the district office does.
            let guanlan = bearer(try await token(app, "street-guanlan"))
            #expect(try await send(app, .GET, "/api/v1/assets/\(id)", headers: guanlan).status == .notFound)
            #expect(try await send(app, .GET, "/api/v1/assets", headers: guanlan).json["total"] as? Int == 0)
            #expect(try await send(app, .GET, "/api/v1/assets/\(id)", headers: bearer(try await token(app, "dept-housing"))).status == .notFound)
            #expect(try await send(app, .GET, "/api/v1/assets/\(id)", headers: bearer(try await token(app, "district-admin"))).status == .ok)
        }
    }

    @Test func aFileIsCheckedWholeAndImportedOnlyWhenEveryRowIsGood() async throws {
        try await withTestApp { app in
            let dispatcher = bearer(try await token(app, "steward-dispatch"))
            let (_, c) = try await Self.grid(app, dispatcher)
            func csv(_ rows: [String]) -> String { (["部件编号,名称,部件类别,纬度,经度,状况,安装日期"] + rows).joined(separator: "\r\n") }
            var headers = dispatcher
            headers.contentType = HTTPMediaType(type: "text", subType: "csv")
            // Three bad rows of five: each named, nothing stored.
            let bad = csv(["LD-001,路灯 1,01037,\(c.lat),\(c.long),good,2019-11-20", "LD-002,路灯 2,01037,abc,\(c.long),good,", "LD-003,,01037,\(c.lat),\(c.long),,",
                           "LD-001,路灯 1 again,01037,\(c.lat),\(c.long),,", "LD-005,路灯 5,01037,\(c.lat),\(c.long),rusty,"])
            let refused = try await send(app, .POST, "/api/v1/assets/import", headers: headers, raw: bad)
            #expect(refused.status == .unprocessableEntity, "\(refused.text)")
            let problems = (refused.json["problems"] as? [[String: Any]] ?? []).map { "\($0["row"] as? Int ?? -1):\($0["field"] as? String ?? "")" }
            #expect(problems == ["3:lat", "4:name", "5:code", "6:condition"], "\(refused.text)")
            #expect(try await AssetStore(db: app.db).count(.all, AssetFilter()) == 0)
            // Good: checked only, then stored; again with a change updates by code.
            let good = csv(["LD-001,路灯 1,01037,\(c.lat),\(c.long),good,2019-11-20", "LD-002,路灯 2,01037,\(c.lat + 0.0002),\(c.long),worn,"])
            let preview = try await send(app, .POST, "/api/v1/assets/import?dryRun=true", headers: headers, raw: good)
            #expect(preview.status == .ok && preview.json["created"] as? Int == 2 && preview.json["stored"] as? Bool == false, "\(preview.text)")
            #expect(try await AssetStore(db: app.db).count(.all, AssetFilter()) == 0)
            let stored = try await send(app, .POST, "/api/v1/assets/import", headers: headers, raw: good)
            #expect(stored.status == .created && stored.json["created"] as? Int == 2, "\(stored.text)")
            let again = try await send(app, .POST, "/api/v1/assets/import", headers: headers, raw: good.replacingOccurrences(of: "worn", with: "damaged"))
            #expect(again.json["created"] as? Int == 0 && again.json["updated"] as? Int == 2, "\(again.text)")
            #expect(try await AssetStore(db: app.db).find(code: "LD-002")?.condition == "damaged")

            // GeoJSON: a polygon (a green) and a line (a kerb) keep their shapes; the position is their middle.
            var geo = dispatcher
            geo.contentType = HTTPMediaType(type: "application", subType: "geo+json")
            let square = [[c.long, c.lat], [c.long + 0.0002, c.lat], [c.long + 0.0002, c.lat + 0.0002], [c.long, c.lat + 0.0002], [c.long, c.lat]]
            let collection: [String: Any] = ["type": "FeatureCollection", "features": [
                ["type": "Feature", "properties": ["code": "LD-GREEN", "name": "街心绿地", "component": "04001"], "geometry": ["type": "Polygon", "coordinates": [square]]],
                ["type": "Feature", "properties": ["code": "LD-KERB", "name": "路缘石", "component": "02001"],
                 "geometry": ["type": "LineString", "coordinates": [[c.long, c.lat], [c.long + 0.0003, c.lat]]]],
            ]]
            let body = String(data: try JSONSerialization.data(withJSONObject: collection), encoding: .utf8)!
            let features = try await send(app, .POST, "/api/v1/assets/import", headers: geo, raw: body)
            #expect(features.status == .created && features.json["created"] as? Int == 2, "\(features.text)")
            let green = try #require(try await AssetStore(db: app.db).find(code: "LD-GREEN"))
            #expect(abs(green.lat - (c.lat + 0.0001)) < 1e-9 && green.outline?.contains("Polygon") == true)
            let shown = try await send(app, .GET, "/api/v1/assets/\(green.id.uuidString)", headers: dispatcher)
            #expect(((shown.json["asset"] as? [String: Any])?["outline"] as? [String: Any])?["type"] as? String == "Polygon", "\(shown.text)")
            let broken = try await send(app, .POST, "/api/v1/assets/import", headers: geo, raw: #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"X-1","name":"x","component":"01037"}}]}"#)
            #expect(broken.status == .unprocessableEntity && (broken.json["problems"] as? [[String: Any]])?.first?["field"] as? String == "geometry", "\(broken.text)")
            var text = dispatcher
            text.contentType = .plainText
            #expect(try await send(app, .POST, "/api/v1/assets/import", headers: text, raw: good).status == .unsupportedMediaType)
        }
    }

    @Test func theConsoleDrawsTheLayerAndItsFormsKeepWhatWasTyped() async throws {
        try await withTestApp { app in
            let dispatcher = bearer(try await token(app, "steward-dispatch"))
            let (gridCode, c) = try await Self.grid(app, dispatcher)
            let made = try await send(app, .POST, "/api/v1/assets", headers: dispatcher,
                                      json: ["code": "LD-009", "name": "路灯 9 号", "component": "01037", "lat": c.lat, "long": c.long])
            let id = try #require((made.json["asset"] as? [String: Any])?["id"] as? String)
            let (cookie, _) = try await webLogin(app, "steward-dispatch")
            let list = try await send(app, .GET, "/assets?area=\(gridCode)", headers: ["Cookie": cookie])
            #expect(list.status == .ok && list.text.contains("pin-asset-good") && list.text.contains("/assets/\(id.lowercased())"), "\(list.text.prefix(400))")
            // The same layer on the village's own map.
            let village = try #require(try await AreaStore(db: app.db).find(code: gridCode)?.parentID)
            let villagePage = try await send(app, .GET, "/areas/\(village.uuidString.lowercased())", headers: ["Cookie": cookie])
            #expect(villagePage.status == .ok && villagePage.text.contains("pin-asset-good") && villagePage.text.contains("LD-009"))
            let refused = try await send(app, .POST, "/assets", headers: ["Cookie": cookie],
                                         form: ["_csrf": try #require(list.csrfToken), "code": "LD-010", "name": "路灯十号", "component": "01037", "lat": "91", "long": "\(c.long)"])
            #expect(refused.status == .unprocessableEntity && refused.text.contains("value=\"路灯十号\"") && refused.text.contains("asset-lat-error"))
            let page = try await send(app, .GET, "/assets/\(id)", headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.text.contains("LD-009"))
            let link = try await send(app, .POST, "/assets/\(id)/cases", headers: ["Cookie": cookie], form: ["_csrf": try #require(page.csrfToken), "case": "nope"])
            #expect(link.status == .unprocessableEntity && link.text.contains("link-case-error") && link.text.contains("value=\"nope\""))
            var upload = MultipartForm()
            upload.field("_csrf", try #require(page.csrfToken))
            upload.field("mode", "preview")
            upload.file("file", Data("code,name,component,lat,long\nLD-011,路灯,01037,\(c.lat),\(c.long)\n".utf8), "text/csv", filename: "lights.csv")
            let checked = try await upload.send(app, "/assets/import", cookie: cookie)
            #expect(checked.status == .ok && checked.text.contains("role=\"status\""), "\(checked.text.prefix(300))")
            #expect(try await AssetStore(db: app.db).find(code: "LD-011") == nil)
        }
    }
}
