import CityStewardCore
import FluentKit
import Foundation

/// A row of `areas`. Never leaves the store: stores return `Area`.
final class AreaRecord: Model, @unchecked Sendable {
    static let schema = "areas"

    @ID(key: .id) var id: UUID?
    @Field(key: "kind") var kind: String
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @OptionalField(key: "name_en") var nameEn: String?
    @OptionalField(key: "parent_id") var parentID: UUID?
    @OptionalField(key: "street_id") var streetID: UUID?
    @Field(key: "path") var path: String
    @OptionalField(key: "geometry") var geometry: String?
    @OptionalField(key: "min_lat") var minLat: Double?
    @OptionalField(key: "min_long") var minLong: Double?
    @OptionalField(key: "max_lat") var maxLat: Double?
    @OptionalField(key: "max_long") var maxLong: Double?
    @OptionalField(key: "centre_lat") var centreLat: Double?
    @OptionalField(key: "centre_long") var centreLong: Double?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(_ area: Area) {
        id = area.id
        kind = area.kind.rawValue
        code = area.code
        name = area.name
        nameEn = area.nameEn
        parentID = area.parentID
        streetID = area.streetID
        path = Area.encodePath(area.path)
        geometry = area.shape.map(GeometryText.encode)
        let box = area.shape?.boundingBox
        minLat = box?.minLat
        minLong = box?.minLong
        maxLat = box?.maxLat
        maxLong = box?.maxLong
        centreLat = area.centre?.lat
        centreLong = area.centre?.long
    }

    func toArea(includeShape: Bool) -> Area {
        Area(id: id!, kind: AreaKind(rawValue: kind) ?? .grid, code: code, name: name, nameEn: nameEn, parentID: parentID,
             streetID: streetID, path: Area.decodePath(path),
             shape: includeShape ? geometry.flatMap(GeometryText.decode) : nil,
             centre: centreLat.flatMap { lat in centreLong.map { GeoPoint(lat: lat, long: $0) } })
    }
}

/// Shapes are stored as GeoJSON geometry text, so PostGIS (`ST_GeomFromGeoJSON`) or any GIS can read them later.
enum GeometryText {
    static func encode(_ shape: AreaShape) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(FeatureCollection.Geometry(shape))) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Decoded with JSONDecoder, which round-trips doubles exactly (what the encoder wrote, bit for bit).
    static func decode(_ text: String) -> AreaShape? {
        try? JSONDecoder().decode(StoredGeometry.self, from: Data(text.utf8)).shape
    }

    struct StoredGeometry: Decodable {
        var shape: AreaShape

        enum CodingKeys: String, CodingKey { case type, coordinates }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            func polygon(_ rings: [[[Double]]]) -> Polygon {
                let parsed = rings.map { ring in ring.map { GeoPoint(lat: $0[1], long: $0[0]) } }
                return Polygon(outer: parsed.first ?? [], holes: Array(parsed.dropFirst()))
            }
            switch try c.decode(String.self, forKey: .type) {
            case "Polygon": shape = AreaShape(polygons: [polygon(try c.decode([[[Double]]].self, forKey: .coordinates))])
            case "MultiPolygon": shape = AreaShape(polygons: try c.decode([[[[Double]]]].self, forKey: .coordinates).map(polygon))
            default: throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "not a polygon")
            }
        }
    }
}
