@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import SQLKit
import Foundation
import Testing
import VaporTesting

@Suite("Areas API and console")
struct AreasTests {
    @Test func districtSeesEveryAreaStreetOnlyItsStreet() async throws {
        try await withTestApp { app in
            let all = try await send(app, .GET, "/api/v1/areas?kind=village", headers: bearer(try await token(app, "district-admin")))
            #expect(all.status == .ok)
            let villages = try #require(all.json["items"] as? [[String: Any]])
            #expect(villages.count == 6)
            let minzhi = try await send(app, .GET, "/api/v1/areas", headers: bearer(try await token(app, "street-minzhi")))
            let items = try #require(minzhi.json["items"] as? [[String: Any]])
            #expect(!items.isEmpty)
            #expect(items.allSatisfy { ($0["code"] as? String)?.hasPrefix("440309002") == true })
            #expect(items.contains { $0["name"] as? String == "松仔园村" })
            #expect(minzhi.json["total"] as? Int == items.count)
        }
    }

    @Test func anotherStreetsVillageIsNotFound() async throws {
        try await withTestApp { app in
            let pilao = try await areaID(app, code: "440309006007V01")   // 陂老村, 观澜
            let minzhi = bearer(try await token(app, "street-minzhi"))
            for path in ["/api/v1/areas/\(pilao)", "/api/v1/areas/\(pilao)/geojson"] {
                let reply = try await send(app, .GET, path, headers: minzhi)
                #expect(reply.status == .notFound, "\(path)")
                #expect(reply.json["detail"] as? String == "找不到该区域")
            }
            let guanlan = try await send(app, .GET, "/api/v1/areas/\(pilao)", headers: bearer(try await token(app, "street-guanlan")))
            #expect(guanlan.status == .ok)
            // The web page answers the same way.
            let (cookie, _) = try await webLogin(app, "street-minzhi")
            #expect(try await send(app, .GET, "/areas/\(pilao)", headers: ["Cookie": cookie]).status == .notFound)
        }
    }

    @Test func stewardSeesItsVillagesButNotTheStreets() async throws {
        try await withTestApp { app in
            let steward = bearer(try await token(app, "steward-patrol"))
            let villages = try await send(app, .GET, "/api/v1/areas?kind=village", headers: steward)
            #expect((villages.json["items"] as? [Any])?.count == 6)
            let street = try await areaID(app, code: "440309002")
            #expect(try await send(app, .GET, "/api/v1/areas/\(street)", headers: steward).status == .notFound)
        }
    }

    @Test func oneAreaWithItsChildrenAndAncestors() async throws {
        try await withTestApp { app in
            let village = try await areaID(app, code: "440309002001V01")
            let reply = try await send(app, .GET, "/api/v1/areas/\(village)", headers: bearer(try await token(app, "street-minzhi")))
            #expect(reply.status == .ok)
            let area = try #require(reply.json["area"] as? [String: Any])
            #expect(area["kind"] as? String == "village")
            #expect(area["kindLabel"] as? String == "城中村")
            let children = try #require(reply.json["children"] as? [[String: Any]])
            #expect(children.count == 28)
            #expect(children.allSatisfy { $0["kind"] as? String == "grid" })
            let size = try #require(children.first?["areaSquareMetres"] as? Int)
            #expect(abs(size - 10_000) < 150)
            let ancestors = try #require(reply.json["ancestors"] as? [[String: Any]])
            #expect(ancestors.map { $0["code"] as? String } == ["440309", "440309002", "440309002001"])
        }
    }

    @Test func geojsonOfTheChildren() async throws {
        try await withTestApp { app in
            let village = try await areaID(app, code: "440309004005V01")
            let reply = try await send(app, .GET, "/api/v1/areas/\(village)/geojson?lang=en", headers: bearer(try await token(app, "district-admin")))
            #expect(reply.status == .ok)
            #expect(reply.headers.contentType?.subType == "geo+json")
            #expect(reply.json["type"] as? String == "FeatureCollection")
            let features = try #require(reply.json["features"] as? [[String: Any]])
            #expect(features.count == 44)
            let geometry = try #require(features[0]["geometry"] as? [String: Any])
            #expect(geometry["type"] as? String == "Polygon")
            #expect(((features[0]["properties"] as? [String: Any])?["label"] as? String)?.hasPrefix("Langkou Village grid") == true)
            // What the API exports, the importer reads back.
            let parsed = AreaGeoJSON.parse(Data(reply.text.utf8), parentKind: .village, parentCode: "440309004005V01")
            #expect((try? parsed.get())?.count == 44)
        }
    }

    @Test func listFiltersAndTheirErrors() async throws {
        try await withTestApp { app in
            let admin = bearer(try await token(app, "district-admin"))
            let badKind = try await send(app, .GET, "/api/v1/areas?kind=planet", headers: admin)
            #expect(badKind.status == .badRequest)
            #expect(badKind.json["field"] as? String == "kind")
            #expect(try await send(app, .GET, "/api/v1/areas?parent=nope", headers: admin).status == .badRequest)
            let street = try await areaID(app, code: "440309006")
            let children = try await send(app, .GET, "/api/v1/areas?parent=\(street)", headers: admin)
            #expect((children.json["items"] as? [[String: Any]])?.map { $0["code"] as? String } == ["440309006007"])
            #expect(try await send(app, .GET, "/api/v1/areas/not-a-uuid", headers: admin).status == .notFound)
            #expect(try await send(app, .GET, "/api/v1/areas/\(UUID())", headers: admin).status == .notFound)
            #expect(try await send(app, .GET, "/api/v1/areas").status == .unauthorized)
        }
    }

    @Test func locateAPointInItsGrid() async throws {
        try await withTestApp { app in
            let grid = try #require(DemoDistrict.areas.first { $0.kind == .grid && $0.code.hasPrefix("440309002001") })
            let url = "/api/v1/areas/locate?lat=\(grid.centre.lat)&long=\(grid.centre.long)"
            let reply = try await send(app, .GET, url, headers: bearer(try await token(app, "street-minzhi")))
            #expect(reply.status == .ok)
            #expect((reply.json["grid"] as? [String: Any])?["code"] as? String == grid.code)
            #expect((reply.json["path"] as? [[String: Any]])?.map { $0["kind"] as? String } == ["district", "street", "community", "village"])
            // The same point is outside what 观澜's officer may see.
            #expect(try await send(app, .GET, url, headers: bearer(try await token(app, "street-guanlan"))).status == .notFound)
            let admin = bearer(try await token(app, "district-admin"))
            #expect(try await send(app, .GET, "/api/v1/areas/locate?lat=22.0&long=113.0", headers: admin).status == .notFound)
            #expect(try await send(app, .GET, "/api/v1/areas/locate?lat=95&long=113.0", headers: admin).status == .badRequest)
            #expect(try await send(app, .GET, "/api/v1/areas/locate?lat=abc", headers: admin).status == .badRequest)
            // The same grid from a GCJ-02 position (as a Chinese map SDK would report it).
            let gcj = ChinaCoordinates.wgs84ToGCJ02(grid.centre)
            let fromGCJ = try await send(app, .GET, "/api/v1/areas/locate?lat=\(gcj.lat)&long=\(gcj.long)&crs=gcj02", headers: admin)
            #expect((fromGCJ.json["grid"] as? [String: Any])?["code"] as? String == grid.code)
            let unconverted = try await send(app, .GET, "/api/v1/areas/locate?lat=\(gcj.lat)&long=\(gcj.long)", headers: admin)
            #expect((unconverted.json["grid"] as? [String: Any])?["code"] as? String != grid.code)   // ~500 m off without it
            #expect(try await send(app, .GET, "\(url)&crs=bd09", headers: admin).status == .badRequest)
        }
    }

    @Test func homeShowsSixVillagesForTheDistrictAndOneForAStreet() async throws {
        try await withTestApp { app in
            let (admin, _) = try await webLogin(app, "district-admin")
            let home = try await send(app, .GET, "/", headers: ["Cookie": admin])
            #expect(home.status == .ok)
            for name in ["浪口村", "马场新村", "松仔园村", "上油松村", "章阁新村", "陂老村"] { #expect(home.text.contains(name), "\(name)") }
            #expect(home.text.components(separatedBy: "<svg class=\"map\"").count - 1 == 6)
            let (street, _) = try await webLogin(app, "street-minzhi")
            let streetHome = try await send(app, .GET, "/", headers: ["Cookie": street])
            #expect(streetHome.text.contains("松仔园村"))
            #expect(!streetHome.text.contains("陂老村"))
            #expect(streetHome.text.components(separatedBy: "<svg class=\"map\"").count - 1 == 1)
        }
    }

    @Test func areaPageDrawsGridsWithScaleAndNorth() async throws {
        try await withTestApp { app in
            let (cookie, _) = try await webLogin(app, "steward-dispatch")
            let village = try await areaID(app, code: "440309004005V01")
            let page = try await send(app, .GET, "/areas/\(village)?lang=en", headers: ["Cookie": cookie])
            #expect(page.status == .ok)
            #expect(page.text.contains("<html lang=\"en\">"))
            #expect(page.text.components(separatedBy: "class=\"shape shape-grid\"").count - 1 == 44)
            #expect(page.text.components(separatedBy: "class=\"shape shape-building\"").count - 1 == 4)
            #expect(page.text.contains("class=\"scale\""))
            #expect(page.text.contains("class=\"north\""))
            #expect(page.text.contains("Langkou Village"))
            #expect(page.headers[.setCookie].contains { $0.hasPrefix("lang=en") })
            // The page's download link works with the session.
            #expect(page.text.contains("/areas/\(village)/geojson"))
            let download = try await send(app, .GET, "/areas/\(village)/geojson", headers: ["Cookie": cookie])
            #expect(download.status == .ok)
            #expect((download.json["features"] as? [Any])?.count == 44)
            let pilao = try await areaID(app, code: "440309006007V01")
            let (minzhi, _) = try await webLogin(app, "street-minzhi")
            #expect(try await send(app, .GET, "/areas/\(pilao)/geojson", headers: ["Cookie": minzhi]).status == .notFound)
        }
    }

    @Test func gridPageShowsTheCellInItsVillage() async throws {
        try await withTestApp { app in
            let (cookie, _) = try await webLogin(app, "street-minzhi")
            let grid = try await areaID(app, code: "440309002001007")
            let page = try await send(app, .GET, "/areas/\(grid)", headers: ["Cookie": cookie])
            #expect(page.status == .ok)
            #expect(page.text.components(separatedBy: "class=\"shape shape-selected\"").count - 1 == 1)
            #expect(page.text.components(separatedBy: "class=\"shape shape-grid\"").count - 1 == 27)
            #expect(page.text.contains("shape-outline"))
            // Breadcrumbs link what the officer may see and name the rest.
            #expect(page.text.contains(">松仔园村</a>"))
            #expect(page.text.contains("<span>龙华区</span>"))
        }
    }

    @Test func namesAreEscapedInPagesAndMaps() async throws {
        try await withTestApp { app in
            let hostile = "<script>alert(1)</script>\"'&"
            let quoted = String(decoding: try JSONSerialization.data(withJSONObject: [hostile], options: [.fragmentsAllowed]), as: UTF8.self).dropFirst().dropLast()
            let geojson = """
            {"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"440309002001901","name":\(quoted)},
             "geometry":{"type":"Polygon","coordinates":[[[114.030,22.620],[114.031,22.620],[114.031,22.621],[114.030,22.621],[114.030,22.620]]]}}]}
            """
            let imported = try await ImportAreas(store: AreaStore(db: app.db))(Data(geojson.utf8), parentCode: "440309002001V01")
            #expect((try? imported.get())?.count == 1)
            let (cookie, _) = try await webLogin(app, "street-minzhi")
            let village = try await areaID(app, code: "440309002001V01")
            for path in ["/", "/areas/\(village)", "/areas/\(try await areaID(app, code: "440309002001901"))"] {
                let page = try await send(app, .GET, path, headers: ["Cookie": cookie])
                #expect(page.status == .ok)
                #expect(!page.text.contains("<script>"), "\(path)")
                #expect(page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(path)")
            }
        }
    }

    @Test func pagesNeedALogin() async throws {
        try await withTestApp { app in
            let home = try await send(app, .GET, "/")
            #expect(home.status == .seeOther)
            #expect(home.headers.first(name: .location) == "/login?next=/")
            let village = try await areaID(app, code: "440309004005V01")
            let page = try await send(app, .GET, "/areas/\(village)")
            #expect(page.headers.first(name: .location)?.hasPrefix("/login?next=/areas/") == true)
        }
    }

    @Test func importedGridsAreFoundByTheLocator() async throws {
        try await withTestApp { app in
            let admin = bearer(try await token(app, "district-admin"))
            // Warm the locator, then import a new cell under 章阁新村 through the use case the CLI runs.
            _ = try await send(app, .GET, "/api/v1/areas/locate?lat=22.712&long=114.015", headers: admin)
            let geojson = """
            {"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"440309005004901","name":"新增网格"},
             "geometry":{"type":"Polygon","coordinates":[[[114.10,22.80],[114.101,22.80],[114.101,22.801],[114.10,22.801],[114.10,22.80]]]}}]}
            """
            let result = try await ImportAreas(store: AreaStore(db: app.db))(Data(geojson.utf8), parentCode: "440309005004V01")
            #expect((try? result.get())?.count == 1)
            app.gridLocator.invalidate()
            let found = try await send(app, .GET, "/api/v1/areas/locate?lat=22.8005&long=114.1005", headers: admin)
            #expect((found.json["grid"] as? [String: Any])?["code"] as? String == "440309005004901")
        }
    }
}

@Suite("Operations and errors")
struct ServerOperationsTests {
    @Test func healthReadinessAndMetrics() async throws {
        try await withTestApp { app in
            let health = try await send(app, .GET, "/healthz")
            #expect(health.status == .ok)
            #expect(health.json["status"] as? String == "ok")
            #expect(try await send(app, .GET, "/readyz").status == .ok)
            _ = try await send(app, .GET, "/api/v1/areas")
            let metrics = try await send(app, .GET, "/metrics")
            #expect(metrics.status == .ok)
            #expect(metrics.text.contains("citysteward_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"))
            #expect(metrics.text.contains("citysteward_http_requests_total{method=\"GET\",route=\"/api/v1/areas\",status=\"401\"} 1"))
            #expect(metrics.text.contains("citysteward_http_request_duration_seconds_bucket"))
            #expect(metrics.text.contains("citysteward_database_up 1"))
            #expect((app.db as? any SQLDatabase)?.dialect.name == (TestDatabase.postgresURL == nil ? "sqlite" : "postgresql"))
            #expect(metrics.text.contains("citysteward_database_pool_connections"))
        }
    }

    @Test func securityHeadersAndRequestIDs() async throws {
        try await withTestApp { app in
            let page = try await send(app, .GET, "/login", headers: ["X-Request-Id": "client-req-12345"])
            let csp = try #require(page.headers.first(name: "Content-Security-Policy"))
            #expect(csp.contains("frame-ancestors 'none'"))
            #expect(!csp.contains("unsafe-inline"))
            #expect(page.headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(page.headers.first(name: "Referrer-Policy") != nil)
            #expect(page.headers.first(name: "X-Request-Id") == "client-req-12345")
            let generated = try await send(app, .GET, "/healthz", headers: ["X-Request-Id": "<bad>"])
            #expect(generated.headers.first(name: "X-Request-Id")?.count == 36)
            // No inline script or style anywhere in the page.
            #expect(!page.text.contains("<script"))
            #expect(!page.text.contains("style="))
        }
    }

    @Test func errorsAreProblemsForTheAPIAndPagesForBrowsers() async throws {
        try await withTestApp { app in
            let api = try await send(app, .GET, "/api/v1/nothing-here")
            #expect(api.status == .notFound)
            #expect(api.headers.contentType?.subType == "problem+json")
            #expect(api.json["status"] as? Int == 404)
            #expect(api.json["requestId"] != nil)
            let page = try await send(app, .GET, "/nothing-here?lang=en")
            #expect(page.status == .notFound)
            #expect(page.headers.contentType == .html)
            #expect(page.text.contains("no such address or record"))
            // Over real HTTP, a body above the limit is refused before it is read whole. The server takes a port the
            // system gives it (a random one collided with another test's once in CI).
            let body = ByteBuffer(string: "{\"username\":\"" + String(repeating: "a", count: 3_000_000) + "\"}")
            try await app.http.server.shared.start(address: .hostname("127.0.0.1", port: 0))
            let port = try #require(app.http.server.shared.localAddress?.port)
            let tooBig: ClientResponse
            do {
                // `Connection: close` lets the connection end with the answer: a connection the test server still holds when it
                // shuts down trips Vapor's debug assertion in HTTPServerConnection.deinit (seen once under load).
                tooBig = try await app.client.post(URI(string: "http://127.0.0.1:\(port)/api/v1/auth/token"),
                                                   headers: ["Content-Type": "application/json", "Connection": "close"]) { $0.body = body }
            } catch {
                await app.http.server.shared.shutdown()
                throw error
            }
            await app.http.server.shared.shutdown()
            #expect(tooBig.status == .payloadTooLarge)
        }
    }

    /// A path that exists but not with this method: 405 with the methods it takes, before any credential is asked.
    @Test func otherMethodsOnAKnownPathAre405() async throws {
        try await withTestApp { app in
            let admin = try await token(app, "district-admin")
            for method in [HTTPMethod.TRACE, .DELETE, .PATCH] {
                let reply = try await send(app, method, "/api/v1/areas", headers: bearer(admin))
                #expect(reply.status == .methodNotAllowed && reply.headers.first(name: .allow) == "GET, HEAD", "\(method)")
                #expect(reply.headers.contentType?.subType == "problem+json")
            }
            let some = try await send(app, .TRACE, "/api/v1/areas/\(UUID())")
            #expect(some.status == .methodNotAllowed && some.headers.first(name: .allow) == "GET, HEAD, PATCH")
            #expect(try await send(app, .PUT, "/api/v1/cases/\(UUID())/actions").headers.first(name: .allow) == "POST")
            // The most exact route names the path: /cases/dispatch is the dispatch route's, not a case read by id.
            #expect(try await send(app, .OPTIONS, "/api/v1/cases/dispatch").headers.first(name: .allow) == "POST")
            #expect(try await send(app, .TRACE, "/api/v1/nothing-here").status == .notFound)
            // Outside the API too: a method no route takes is 405, not a forged form refused (403).
            let health = try await send(app, .TRACE, "/healthz")
            #expect(health.status == .methodNotAllowed && health.headers.first(name: .allow) == "GET, HEAD")
            #expect(try await send(app, .POST, "/cases/dispatch").status == .forbidden)   // a real form without its token still is
        }
    }

    /// The API names its languages; a page falls back to the default instead.
    @Test func anUnknownLanguageIsRefusedByTheAPI() async throws {
        try await withTestApp { app in
            let admin = try await token(app, "district-admin")
            let refused = try await send(app, .GET, "/api/v1/areas?lang=AAA", headers: bearer(admin))
            #expect(refused.status == .badRequest && refused.json["field"] as? String == "lang")
            #expect(try await send(app, .GET, "/api/v1/areas?lang=zh-!", headers: bearer(admin)).status == .badRequest)
            for tag in ["en", "zh-Hans", "zh-CN", "en_US", "EN"] {
                #expect(try await send(app, .GET, "/api/v1/areas?lang=\(tag)", headers: bearer(admin)).status == .ok, "\(tag)")
            }
            #expect(try await send(app, .GET, "/api/v1/areas?lang=en", headers: bearer(admin)).text.contains("Longhua District"))
            #expect(try await send(app, .GET, "/login?lang=AAA").status == .ok)
        }
    }

    @Test func openAPIDocumentIsServed() async throws {
        try await withTestApp { app in
            let reply = try await send(app, .GET, "/openapi.json")
            #expect(reply.status == .ok)
            #expect(reply.json["openapi"] as? String == "3.1.0")
            let paths = try #require(reply.json["paths"] as? [String: Any])
            for path in ["/api/v1/areas", "/api/v1/areas/{id}", "/api/v1/areas/{id}/geojson", "/api/v1/areas/locate", "/api/v1/auth/token", "/api/v1/me", "/healthz", "/api/v1/orgs", "/api/v1/orgs/{code}/areas"] {
                #expect(paths[path] != nil, "\(path)")
            }
            // Every API operation the server routes is in the document, and the document names no other: the same
            // methods on the same paths (parameters compared by position, not name). The routes that only answer 405
            // for a method a constant path does not take (`AllowedMethods.shadowed`) are not operations.
            func shape(_ path: String) -> String {
                path.split(separator: "/").map { $0.hasPrefix("{") || $0.hasPrefix(":") ? "{}" : String($0) }.joined(separator: "/")
            }
            let shadowed = Set(app.allowedMethods.shadowed().map { "\($0.method) \(shape($0.path.map(\.description).joined(separator: "/")))" })
            let routed = Set(app.routes.all.compactMap { route -> String? in
                let path = route.path.map(\.description).joined(separator: "/")
                guard path.hasPrefix("api/v1/"), route.method != .HEAD else { return nil }
                return "\(route.method.rawValue) \(shape(path))"
            }).subtracting(shadowed)
            var documented = Set<String>()
            for (path, item) in paths where path.hasPrefix("/api/v1/") {
                for method in (item as? [String: Any] ?? [:]).keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                    documented.insert("\(method.uppercased()) \(shape(path))")
                }
            }
            #expect(routed.subtracting(documented).sorted() == [], "routed, not documented")
            #expect(documented.subtracting(routed).sorted() == [], "documented, not routed")
        }
    }
}
