import Foundation

/// One feature of an area import: the properties we read and its shape.
public struct AreaFeature: Sendable, Equatable {
    public var index: Int
    public var code: String
    public var name: String
    public var nameEn: String?
    public var kind: AreaKind
    public var shape: AreaShape

    public init(index: Int, code: String, name: String, nameEn: String?, kind: AreaKind, shape: AreaShape) {
        self.index = index
        self.code = code
        self.name = name
        self.nameEn = nameEn
        self.kind = kind
        self.shape = shape
    }
}

/// A problem found in an import file. `featureIndex` is nil when the file as a whole is wrong.
public struct GeoJSONProblem: Sendable, Equatable, Error {
    public var featureIndex: Int?
    public var reason: LocalizedText

    public init(featureIndex: Int?, reason: LocalizedText) {
        self.featureIndex = featureIndex
        self.reason = reason
    }

    public func describe(_ language: Language) -> String {
        guard let featureIndex else { return reason.text(language) }
        return language == .en ? "feature \(featureIndex): \(reason.en)" : "第 \(featureIndex) 个要素：\(reason.zh)"
    }
}

/// All the problems of one file.
public struct GeoJSONProblems: Error, Equatable, Sendable {
    public var problems: [GeoJSONProblem]
    public init(_ problems: [GeoJSONProblem]) { self.problems = problems }
}

extension LocalizedText: Error {}

/// Reads a GeoJSON FeatureCollection of areas (RFC 7946: WGS84, [long, lat] order, closed linear rings).
/// Every feature must have `properties.code` and `properties.name` (optional `name_en`, `kind`) and a Polygon or
/// MultiPolygon geometry. The whole file is checked and every problem is reported; callers import nothing
/// unless the list is empty.
public enum AreaGeoJSON {
    public static let maxFeatures = 100_000

    public static func parse(_ data: Data, parentKind: AreaKind, parentCode: String) -> Result<[AreaFeature], GeoJSONProblems> {
        switch collection(data) {
        case .failure(let problems): return .failure(problems)
        case .success(let features): return parse(Array(features.enumerated()), parentKind: parentKind, parentCode: parentCode)
        }
    }

    /// A district's own file (`citysteward init --geojson`): exactly one feature of kind `district`, its boundary,
    /// and the district's streets (kind `street`, the default), each checked as an import under it would be.
    public static func parseDistrict(_ data: Data) -> Result<(district: AreaFeature, streets: [AreaFeature]), GeoJSONProblems> {
        let features: [Any]
        switch collection(data) {
        case .failure(let problems): return .failure(problems)
        case .success(let all): features = all
        }
        let isDistrict = { (raw: Any) in ((raw as? [String: Any])?["properties"] as? [String: Any])?["kind"] as? String == AreaKind.district.rawValue }
        let districts = features.indices.filter { isDistrict(features[$0]) }
        guard districts.count == 1, let at = districts.first else {
            return .failure(GeoJSONProblems([GeoJSONProblem(featureIndex: nil, reason: LocalizedText(
                zh: "文件应恰有一个 kind 为 district 的要素（区界），现有 \(districts.count) 个",
                en: "the file must have exactly one feature of kind district (the boundary); it has \(districts.count)"))]))
        }
        var problems: [GeoJSONProblem] = []
        var district: AreaFeature?
        switch feature(at, features[at], parentKind: nil, parentCode: nil) {
        case .success(let f): district = f
        case .failure(let problem): problems.append(problem)
        }
        let rest = features.enumerated().filter { $0.offset != at }
        if rest.isEmpty {
            problems.append(GeoJSONProblem(featureIndex: nil, reason: LocalizedText(zh: "文件中没有街道要素", en: "the file has no streets")))
        }
        // Streets are checked against the district's code even when the district feature itself has a problem.
        let code = district?.code ?? (((features[at] as? [String: Any])?["properties"] as? [String: Any])?["code"] as? String ?? "")
        switch parse(rest, parentKind: .district, parentCode: code) {
        case .success(let streets):
            if let district, problems.isEmpty { return .success((district, streets)) }
        case .failure(let more):
            problems += more.problems
        }
        return .failure(GeoJSONProblems(problems.sorted { ($0.featureIndex ?? -1) < ($1.featureIndex ?? -1) }))
    }

    /// The features of a FeatureCollection, or why the file is not one.
    static func collection(_ data: Data) -> Result<[Any], GeoJSONProblems> {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            return .failure(GeoJSONProblems([GeoJSONProblem(featureIndex: nil, reason: LocalizedText(zh: "文件不是有效的 JSON", en: "the file is not valid JSON"))]))
        }
        guard let root = object as? [String: Any], root["type"] as? String == "FeatureCollection",
              let features = root["features"] as? [Any] else {
            return .failure(GeoJSONProblems([GeoJSONProblem(featureIndex: nil, reason: LocalizedText(
                zh: "文件应为 GeoJSON FeatureCollection（含 features 数组）",
                en: "the file must be a GeoJSON FeatureCollection with a features array"))]))
        }
        if features.isEmpty {
            return .failure(GeoJSONProblems([GeoJSONProblem(featureIndex: nil, reason: LocalizedText(zh: "文件中没有要素", en: "the file has no features"))]))
        }
        if features.count > maxFeatures {
            return .failure(GeoJSONProblems([GeoJSONProblem(featureIndex: nil, reason: LocalizedText(
                zh: "要素过多（上限 \(maxFeatures)）", en: "too many features (limit \(maxFeatures))"))]))
        }
        return .success(features)
    }

    /// Every feature checked as a child of the parent; every problem reported.
    static func parse(_ features: [(offset: Int, element: Any)], parentKind: AreaKind, parentCode: String) -> Result<[AreaFeature], GeoJSONProblems> {
        var problems: [GeoJSONProblem] = []
        var result: [AreaFeature] = []
        var seenCodes: [String: Int] = [:]
        for (index, raw) in features {
            switch feature(index, raw, parentKind: parentKind, parentCode: parentCode) {
            case .failure(let problem):
                problems.append(problem)
            case .success(let f):
                if let earlier = seenCodes[f.code] {
                    problems.append(GeoJSONProblem(featureIndex: index, reason: LocalizedText(
                        zh: "代码 \(f.code) 与第 \(earlier) 个要素重复", en: "code \(f.code) repeats feature \(earlier)")))
                    continue
                }
                seenCodes[f.code] = index
                result.append(f)
            }
        }
        return problems.isEmpty ? .success(result) : .failure(GeoJSONProblems(problems))
    }

    /// One feature; with no parent it must be a district.
    static func feature(_ index: Int, _ raw: Any, parentKind: AreaKind?, parentCode: String?) -> Result<AreaFeature, GeoJSONProblem> {
        func problem(_ zh: String, _ en: String) -> Result<AreaFeature, GeoJSONProblem> {
            .failure(GeoJSONProblem(featureIndex: index, reason: LocalizedText(zh: zh, en: en)))
        }
        guard let feature = raw as? [String: Any], feature["type"] as? String == "Feature" else {
            return problem("不是 GeoJSON Feature", "not a GeoJSON Feature")
        }
        let properties = feature["properties"] as? [String: Any] ?? [:]
        guard let code = (properties["code"] as? String)?.trimmingCharacters(in: .whitespaces), !code.isEmpty else {
            return problem("缺少 properties.code", "properties.code is missing")
        }
        guard let name = (properties["name"] as? String)?.trimmingCharacters(in: .whitespaces), !name.isEmpty else {
            return problem("缺少 properties.name", "properties.name is missing")
        }
        if name.count > 100 { return problem("名称过长（上限 100 字）", "the name is longer than 100 characters") }
        let nameEn = (properties["name_en"] as? String)?.trimmingCharacters(in: .whitespaces)
        var kind = parentKind?.defaultChild ?? .district
        if let kindText = properties["kind"] as? String {
            guard let k = AreaKind(rawValue: kindText) else { return problem("未知的区域类型 \(kindText)", "unknown area kind \(kindText)") }
            kind = k
        }
        if let parentKind {
            guard parentKind.allowedChildren.contains(kind) else {
                return problem("\(parentKind.label.zh)下不能有\(kind.label.zh)", "a \(parentKind.rawValue) cannot contain a \(kind.rawValue)")
            }
        } else if kind != .district {
            return problem("顶层要素应为区", "the top feature must be a district")
        }
        if let reason = AreaCode.validate(code, kind: kind, parentCode: parentCode) {
            return .failure(GeoJSONProblem(featureIndex: index, reason: reason))
        }
        switch parseGeometry(feature["geometry"]) {
        case .success(let shape):
            return .success(AreaFeature(index: index, code: code, name: name, nameEn: nameEn?.isEmpty == true ? nil : nameEn, kind: kind, shape: shape))
        case .failure(let reason):
            return .failure(GeoJSONProblem(featureIndex: index, reason: reason))
        }
    }

    public static func parseGeometry(_ raw: Any?) -> Result<AreaShape, LocalizedText> {
        guard let geometry = raw as? [String: Any], let type = geometry["type"] as? String else {
            return .failure(LocalizedText(zh: "缺少 geometry", en: "geometry is missing"))
        }
        switch type {
        case "Polygon":
            guard let rings = geometry["coordinates"] as? [Any] else { return .failure(badCoordinates) }
            return parsePolygon(rings).map { AreaShape(polygons: [$0]) }
        case "MultiPolygon":
            guard let polygons = geometry["coordinates"] as? [Any], !polygons.isEmpty else { return .failure(badCoordinates) }
            var parsed: [Polygon] = []
            for p in polygons {
                guard let rings = p as? [Any] else { return .failure(badCoordinates) }
                switch parsePolygon(rings) {
                case .success(let polygon): parsed.append(polygon)
                case .failure(let reason): return .failure(reason)
                }
            }
            return .success(AreaShape(polygons: parsed))
        default:
            return .failure(LocalizedText(zh: "几何类型应为 Polygon 或 MultiPolygon，而不是 \(type)",
                                          en: "geometry must be a Polygon or MultiPolygon, not \(type)"))
        }
    }

    static let badCoordinates = LocalizedText(zh: "coordinates 结构不正确", en: "coordinates are malformed")

    static func parsePolygon(_ rings: [Any]) -> Result<Polygon, LocalizedText> {
        guard !rings.isEmpty else { return .failure(LocalizedText(zh: "多边形没有环", en: "the polygon has no ring")) }
        var parsed: [[GeoPoint]] = []
        for (ringIndex, rawRing) in rings.enumerated() {
            guard let positions = rawRing as? [Any] else { return .failure(badCoordinates) }
            var ring: [GeoPoint] = []
            for rawPosition in positions {
                guard let position = rawPosition as? [Any], position.count >= 2,
                      let long = number(position[0]), let lat = number(position[1]) else { return .failure(badCoordinates) }
                let point = GeoPoint(lat: lat, long: long)
                guard point.isValidWGS84 else {
                    return .failure(LocalizedText(zh: "坐标 [\(long), \(lat)] 超出 WGS84 范围（应为 [经度, 纬度]）",
                                                  en: "position [\(long), \(lat)] is outside WGS84 (expected [long, lat])"))
                }
                ring.append(point)
            }
            guard ring.count >= 4 else {
                return .failure(LocalizedText(zh: "第 \(ringIndex) 个环少于 4 个坐标", en: "ring \(ringIndex) has fewer than 4 positions"))
            }
            guard ring.first == ring.last else {
                return .failure(LocalizedText(zh: "第 \(ringIndex) 个环未闭合（首尾坐标应相同）", en: "ring \(ringIndex) is not closed (first and last positions differ)"))
            }
            guard Polygon(outer: ring).areaSquareMetres > 0 else {
                return .failure(LocalizedText(zh: "第 \(ringIndex) 个环面积为零", en: "ring \(ringIndex) has no area"))
            }
            parsed.append(ring)
        }
        let polygon = Polygon(outer: parsed[0], holes: Array(parsed.dropFirst()))
        for (i, hole) in polygon.holes.enumerated() where !hole.allSatisfy({ polygon.outer.count > 0 && Polygon.locate($0, in: polygon.outer) != .outside }) {
            return .failure(LocalizedText(zh: "第 \(i + 1) 个内环（洞）超出外环", en: "hole \(i + 1) lies outside the outer ring"))
        }
        return .success(polygon)
    }

    static func number(_ value: Any) -> Double? {
        if value is Bool { return nil }
        if let d = value as? Double, d.isFinite { return d }
        if let i = value as? Int { return Double(i) }
        return nil
    }
}

/// GeoJSON output (RFC 7946), built from areas.
public struct FeatureCollection: Encodable, Sendable {
    public let type = "FeatureCollection"
    public var features: [Feature]

    public init(areas: [Area], language: Language) {
        features = areas.map { Feature(area: $0, language: language) }
    }

    public struct Feature: Encodable, Sendable {
        public let type = "Feature"
        public var id: String
        public var properties: Properties
        public var geometry: Geometry?

        init(area: Area, language: Language) {
            id = area.id.uuidString.lowercased()
            properties = Properties(code: area.code, name: area.name, name_en: area.nameEn, kind: area.kind.rawValue,
                                    label: area.displayName(language))
            geometry = area.shape.map(Geometry.init)
        }

        private enum CodingKeys: String, CodingKey { case type, id, properties, geometry }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(type, forKey: .type)
            try c.encode(id, forKey: .id)
            try c.encode(properties, forKey: .properties)
            if let geometry { try c.encode(geometry, forKey: .geometry) } else { try c.encodeNil(forKey: .geometry) }
        }
    }

    public struct Properties: Encodable, Sendable {
        public var code: String
        public var name: String
        public var name_en: String?
        public var kind: String
        public var label: String
    }

    public struct Geometry: Encodable, Sendable {
        var shape: AreaShape
        public init(_ shape: AreaShape) { self.shape = shape }

        private enum CodingKeys: String, CodingKey { case type, coordinates }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            func rings(_ p: Polygon) -> [[[Double]]] {
                ([p.outer] + p.holes).map { ring in ring.map { [$0.long, $0.lat] } }
            }
            if shape.polygons.count == 1 {
                try c.encode("Polygon", forKey: .type)
                try c.encode(rings(shape.polygons[0]), forKey: .coordinates)
            } else {
                try c.encode("MultiPolygon", forKey: .type)
                try c.encode(shape.polygons.map(rings), forKey: .coordinates)
            }
        }
    }
}
