import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// `/api/v1/areas`: the area tree as the caller may see it.
struct AreasAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let areas = routes.grouped("api", "v1", "areas")
        areas.get(use: list)
        areas.get("locate", use: locate)
        areas.get(":areaID", use: show)
        areas.get(":areaID", "geojson", use: geojson)
    }

    struct AreaResponse: Content {
        var id: UUID
        var kind: String
        var kindLabel: String
        var code: String
        var name: String
        var nameEn: String?
        var parentId: UUID?
        var streetId: UUID?
        var centre: GeoPoint?
        var bbox: [Double]?
        var areaSquareMetres: Int?

        init(_ area: Area, language: Language) {
            id = area.id
            kind = area.kind.rawValue
            kindLabel = area.kind.label.text(language)
            code = area.code
            name = area.name
            nameEn = area.nameEn
            parentId = area.parentID
            streetId = area.streetID
            centre = area.centre
            if let box = area.shape?.boundingBox { bbox = [box.minLong, box.minLat, box.maxLong, box.maxLat] }
            if let shape = area.shape { areaSquareMetres = Int(shape.areaSquareMetres.rounded()) }
        }
    }

    struct AreaList: Content {
        var items: [AreaResponse]
        var total: Int
    }

    struct AreaDetail: Content {
        var area: AreaResponse
        var ancestors: [Crumb]
        var children: [AreaResponse]
    }

    struct Crumb: Content {
        var id: UUID
        var kind: String
        var code: String
        var name: String
    }

    struct ListQuery: Content {
        var kind: String?
        var parent: String?
    }

    @Sendable func list(req: Request) async throws -> AreaList {
        let actor = try req.require(.areasRead)
        let query = try req.query.decode(ListQuery.self)
        var kind: AreaKind?
        if let text = query.kind {
            guard let k = AreaKind(rawValue: text) else {
                throw DomainError.invalid("kind", zh: "kind 应为 \(AreaKind.allCases.map(\.rawValue).joined(separator: "、")) 之一",
                                          en: "kind must be one of \(AreaKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            kind = k
        }
        var parentID: UUID?
        if let text = query.parent {
            guard let id = UUID(uuidString: text) else {
                throw DomainError.invalid("parent", zh: "parent 应为区域 id（UUID）", en: "parent must be an area id (UUID)")
            }
            parentID = id
        }
        let areas = try await req.areas.list(scope: AccessPolicy.areaScope(for: actor), kind: kind, parentID: parentID)
        return AreaList(items: areas.map { AreaResponse($0, language: req.language) }, total: areas.count)
    }

    @Sendable func show(req: Request) async throws -> AreaDetail {
        let actor = try req.require(.areasRead)
        let area = try await req.areas.find(try Self.areaID(req), scope: AccessPolicy.areaScope(for: actor))
        let ancestors = try await req.areas.ancestors(of: area)
        let children = try await req.areas.children(of: area.id)
        let language = req.language
        return AreaDetail(area: AreaResponse(area, language: language),
                          ancestors: ancestors.map { Crumb(id: $0.id, kind: $0.kind.rawValue, code: $0.code, name: $0.displayName(language)) },
                          children: children.map { AreaResponse($0, language: language) })
    }

    @Sendable func geojson(req: Request) async throws -> Response {
        try await Self.geojson(req, actor: try req.require(.areasRead))
    }

    /// The children of an area as GeoJSON; shared by the API and the console's download link.
    static func geojson(_ req: Request, actor: Actor) async throws -> Response {
        let area = try await req.areas.find(try Self.areaID(req), scope: AccessPolicy.areaScope(for: actor))
        let children = try await req.areas.children(of: area.id)
        let collection = FeatureCollection(areas: children, language: req.language)
        let data = try JSONEncoder().encode(collection)
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "application", subType: "geo+json", parameters: ["charset": "utf-8"])
        headers.replaceOrAdd(name: .contentDisposition, value: "inline; filename=\"\(area.code).geojson\"")
        return Response(status: .ok, headers: headers, body: .init(data: data))
    }

    struct Located: Content {
        var grid: AreaResponse
        var path: [Crumb]
    }

    @Sendable func locate(req: Request) async throws -> Located {
        let actor = try req.require(.areasRead)
        guard let lat = try? req.query.get(Double.self, at: "lat"), let long = try? req.query.get(Double.self, at: "long") else {
            throw DomainError.invalid("lat", zh: "请提供数字形式的 lat 和 long（WGS84）", en: "lat and long (WGS84 numbers) are required")
        }
        var point = GeoPoint(lat: lat, long: long)
        guard point.isValidWGS84 else {
            throw DomainError.invalid("lat", zh: "坐标超出 WGS84 范围", en: "the position is outside WGS84 ranges")
        }
        // Chinese map SDKs report GCJ-02; `crs=gcj02` converts before the lookup.
        switch (try? req.query.get(String.self, at: "crs"))?.lowercased() {
        case nil, "wgs84": break
        case "gcj02": point = ChinaCoordinates.gcj02ToWGS84(point)
        case let other?:
            throw DomainError.invalid("crs", zh: "crs 应为 wgs84 或 gcj02（收到 \(other)）", en: "crs must be wgs84 or gcj02 (got \(other))")
        }
        let store = req.areas
        guard let grid = try await req.application.gridLocator.grid(at: point, store: store),
              AccessPolicy.areaScope(for: actor).includes(grid) else {
            throw DomainError.notFound(zh: "该位置不在任何可见网格内", en: "the position is not inside any grid you may see")
        }
        let ancestors = try await store.ancestors(of: grid)
        let language = req.language
        return Located(grid: AreaResponse(grid, language: language),
                       path: ancestors.map { Crumb(id: $0.id, kind: $0.kind.rawValue, code: $0.code, name: $0.displayName(language)) })
    }

    static func areaID(_ req: Request) throws -> UUID {
        guard let text = req.parameters.get("areaID"), let id = UUID(uuidString: text) else {
            // Not a UUID: no such area (a 404, as for any id the caller cannot see).
            throw AreaStore.notFound
        }
        return id
    }
}
