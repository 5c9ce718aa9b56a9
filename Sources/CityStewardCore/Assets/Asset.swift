import Foundation

/// The state a survey or an inspection found a component in.
public enum AssetCondition: String, Sendable, Codable, CaseIterable {
    case good, worn, damaged, outOfService

    public var label: LocalizedText {
        switch self {
        case .good: LocalizedText(zh: "完好", en: "Good")
        case .worn: LocalizedText(zh: "老化", en: "Worn")
        case .damaged: LocalizedText(zh: "损坏", en: "Damaged")
        case .outOfService: LocalizedText(zh: "停用", en: "Out of service")
        }
    }
}

/// A component's shape beyond its position: a line (a road's kerb, a pipe) or an outline (a green, a square).
public enum AssetOutline: Sendable, Equatable {
    case line([GeoPoint])
    case polygon([GeoPoint])

    public var points: [GeoPoint] {
        switch self {
        case .line(let p), .polygon(let p): p
        }
    }

    public var geoJSONType: String {
        switch self {
        case .line: "LineString"
        case .polygon: "Polygon"
        }
    }

    /// GeoJSON geometry text, [long, lat] pairs (a polygon's ring closed).
    public var geoJSON: String {
        let pairs = points.map { "[\($0.long),\($0.lat)]" }
        switch self {
        case .line: return "{\"type\":\"LineString\",\"coordinates\":[\(pairs.joined(separator: ","))]}"
        case .polygon:
            let ring = points.first == points.last ? pairs : pairs + [pairs[0]]
            return "{\"type\":\"Polygon\",\"coordinates\":[[\(ring.joined(separator: ","))]]}"
        }
    }

    /// Reads a GeoJSON geometry object (Point yields no outline, only its position).
    public static func parse(_ object: Any?) -> Result<(position: GeoPoint, outline: AssetOutline?), LocalizedText> {
        guard let geometry = object as? [String: Any], let type = geometry["type"] as? String else {
            return .failure(LocalizedText(zh: "缺少几何（geometry）", en: "the geometry is missing"))
        }
        func point(_ raw: Any) -> GeoPoint? {
            guard let pair = raw as? [Any], pair.count >= 2, let long = (pair[0] as? NSNumber)?.doubleValue, let lat = (pair[1] as? NSNumber)?.doubleValue else { return nil }
            let p = GeoPoint(lat: lat, long: long)
            return p.isValidWGS84 ? p : nil
        }
        let bad = LocalizedText(zh: "坐标应为 WGS84 的 [经度, 纬度]", en: "coordinates are WGS84 [longitude, latitude] pairs")
        switch type {
        case "Point":
            guard let raw = geometry["coordinates"], let p = point(raw) else { return .failure(bad) }
            return .success((p, nil))
        case "LineString":
            guard let raw = geometry["coordinates"] as? [Any], raw.count >= 2, raw.count <= AssetRules.maxVertices else {
                return .failure(LocalizedText(zh: "线须有 2~\(AssetRules.maxVertices) 个点", en: "a line has 2 to \(AssetRules.maxVertices) points"))
            }
            let points = raw.compactMap(point)
            guard points.count == raw.count else { return .failure(bad) }
            return .success((AssetOutline.representative(points), .line(points)))
        case "Polygon":
            guard let rings = geometry["coordinates"] as? [Any], let outer = rings.first as? [Any], outer.count >= 4, outer.count <= AssetRules.maxVertices else {
                return .failure(LocalizedText(zh: "面须有一个 4~\(AssetRules.maxVertices) 个点的闭合外环", en: "a polygon has one closed outer ring of 4 to \(AssetRules.maxVertices) points"))
            }
            var points = outer.compactMap(point)
            guard points.count == outer.count else { return .failure(bad) }
            if points.first == points.last { points.removeLast() }
            return .success((AssetOutline.representative(points), .polygon(points)))
        default:
            return .failure(LocalizedText(zh: "几何类型应为 Point、LineString 或 Polygon", en: "the geometry is a Point, LineString or Polygon"))
        }
    }

    /// The point a line or an outline is located and drawn by: the mean of its vertices (inside any convex shape, and
    /// near enough for the village outlines components sit in).
    static func representative(_ points: [GeoPoint]) -> GeoPoint {
        GeoPoint(lat: points.map(\.lat).reduce(0, +) / Double(points.count), long: points.map(\.long).reduce(0, +) / Double(points.count))
    }
}

/// A component as typed on the form, in a file's row or in the API: text, checked whole by `AssetRules`.
public struct AssetInput: Sendable, Equatable {
    public var code: String
    public var name: String
    /// The national component class (GB/T 47678.5, 5 digits), e.g. 01013 消防设施.
    public var component: String
    public var lat: String
    public var long: String
    /// A GeoJSON geometry (JSON) for a point, a line or an outline (optional; a line's or outline's position is then its
    /// representative point).
    public var geometry: Data?
    public var condition: String
    /// The department that owns the component (its organisation code), if any.
    public var ownerDepartment: String
    /// The organisation that keeps it (a steward company's code), if any.
    public var maintainer: String
    public var installedOn: String
    /// The QR place residents report it from (a facility code), if it has one.
    public var placeCode: String

    public init(code: String, name: String, component: String, lat: String = "", long: String = "", geometry: Data? = nil, condition: String = "good",
                ownerDepartment: String = "", maintainer: String = "", installedOn: String = "", placeCode: String = "") {
        (self.code, self.name, self.component, self.lat, self.long, self.geometry) = (code, name, component, lat, long, geometry)
        (self.condition, self.ownerDepartment, self.maintainer, self.installedOn, self.placeCode) = (condition, ownerDepartment, maintainer, installedOn, placeCode)
    }
}

/// A component as checked.
public struct AssetTerms: Sendable, Equatable {
    public var code: String
    public var name: String
    public var componentCode: String
    public var position: GeoPoint
    public var outline: AssetOutline?
    public var condition: AssetCondition
    public var ownerDepartment: String?
    public var maintainer: String?
    public var installedOn: LocalDate?
    public var placeCode: String?

    public init(code: String, name: String, componentCode: String, position: GeoPoint, outline: AssetOutline? = nil, condition: AssetCondition = .good,
                ownerDepartment: String? = nil, maintainer: String? = nil, installedOn: LocalDate? = nil, placeCode: String? = nil) {
        (self.code, self.name, self.componentCode, self.position, self.outline) = (code, name, componentCode, position, outline)
        (self.condition, self.ownerDepartment, self.maintainer, self.installedOn, self.placeCode) = (condition, ownerDepartment, maintainer, installedOn, placeCode)
    }
}

/// What a component is checked against: the component classes, the departments and maintainers by code, the QR places.
public struct AssetReference: Sendable {
    /// Component class code → its name.
    public var components: [String: String]
    public var departments: Set<String>
    public var maintainers: Set<String>
    public var places: Set<String>

    public init(components: [String: String], departments: Set<String>, maintainers: Set<String>, places: Set<String>) {
        (self.components, self.departments, self.maintainers, self.places) = (components, departments, maintainers, places)
    }
}

public enum AssetRules {
    public static let maxName = 60
    public static let maxVertices = 500
    public static let maxImportRows = 20_000

    /// The register's own identifier (the survey's 部件标识码 or the steward's tag): letters, digits and `-`, 3–32.
    public static func validCode(_ code: String) -> Bool {
        (3...32).contains(code.count) && code.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" }
    }

    /// Every problem at once, each by its field.
    public static func validate(_ input: AssetInput, reference: AssetReference, today: LocalDate) -> Result<AssetTerms, FieldProblems> {
        var problems: [FieldProblem] = []
        func problem(_ field: String, _ zh: String, _ en: String) { problems.append(FieldProblem(field: field, reason: LocalizedText(zh: zh, en: en))) }
        let code = input.code.trimmingCharacters(in: .whitespaces).uppercased()
        if !validCode(code) { problem("code", "部件编号为 3~32 位字母、数字或 -", "the asset code is 3 to 32 letters, digits or -") }
        let name = input.name.trimmingCharacters(in: .whitespaces)
        if name.isEmpty || name.count > maxName { problem("name", "请填写名称（不超过 \(maxName) 个字）", "give a name (at most \(maxName) characters)") }
        let component = input.component.trimmingCharacters(in: .whitespaces)
        if reference.components[component] == nil {
            problem("component", "没有部件类别 \(component)（GB/T 47678.5 的 5 位部件代码，如 01013 消防设施）",
                    "unknown component class \(component) (a 5-digit GB/T 47678.5 component code, e.g. 01013 fire equipment)")
        }
        var position: GeoPoint?
        var outline: AssetOutline?
        if let geometry = input.geometry {
            switch AssetOutline.parse(try? JSONSerialization.jsonObject(with: geometry)) {
            case .success(let g): (position, outline) = (g.position, g.outline)
            case .failure(let reason): problems.append(FieldProblem(field: "geometry", reason: reason))
            }
        } else {
            let lat = Double(input.lat.trimmingCharacters(in: .whitespaces)), long = Double(input.long.trimmingCharacters(in: .whitespaces))
            if let lat, let long, GeoPoint(lat: lat, long: long).isValidWGS84 {
                position = GeoPoint(lat: lat, long: long)
            } else {
                let latOK = lat.map { $0.isFinite && (-90...90).contains($0) } ?? false
                problem(latOK ? "long" : "lat", "请填写 WGS84 纬度和经度", "give a WGS84 latitude and longitude")
            }
        }
        let condition = AssetCondition(rawValue: input.condition.trimmingCharacters(in: .whitespaces).isEmpty ? "good" : input.condition.trimmingCharacters(in: .whitespaces))
        if condition == nil { problem("condition", "状况应为 完好、老化、损坏 或 停用", "the condition is good, worn, damaged or outOfService") }
        func optional(_ text: String) -> String? { let t = text.trimmingCharacters(in: .whitespaces); return t.isEmpty ? nil : t }
        let owner = optional(input.ownerDepartment)
        if let owner, !reference.departments.contains(owner) { problem("ownerDepartment", "没有职能部门 \(owner)", "no department \(owner)") }
        let maintainer = optional(input.maintainer)
        if let maintainer, !reference.maintainers.contains(maintainer) { problem("maintainer", "没有维护单位 \(maintainer)", "no organisation \(maintainer) to keep it") }
        var installed: LocalDate?
        if let text = optional(input.installedOn) {
            if let d = LocalDate(text), d <= today, d.year >= 1900 { installed = d } else { problem("installedOn", "安装日期应为不晚于今天的 YYYY-MM-DD", "the install date is a YYYY-MM-DD no later than today") }
        }
        let place = optional(input.placeCode)
        if let place, !reference.places.contains(place) { problem("placeCode", "没有二维码地点 \(place)", "no QR place \(place)") }
        guard problems.isEmpty, let position, let condition else { return .failure(FieldProblems(problems)) }
        return .success(AssetTerms(code: code, name: name, componentCode: component, position: position, outline: outline, condition: condition,
                                   ownerDepartment: owner, maintainer: maintainer, installedOn: installed, placeCode: place))
    }
}

/// Files of components, checked whole: every bad row is reported and nothing is imported while one is bad.
public enum AssetFile {
    public static let columns: [(key: String, names: [String])] = [
        ("code", ["code", "编号", "部件编号", "部件标识码"]), ("name", ["name", "名称"]), ("component", ["component", "部件类别", "部件代码", "小类代码"]),
        ("lat", ["lat", "纬度"]), ("long", ["long", "lng", "lon", "经度"]), ("condition", ["condition", "状况"]),
        ("ownerDepartment", ["owner_department", "ownerdepartment", "主管部门", "权属部门"]), ("maintainer", ["maintainer", "养护单位", "维护单位"]),
        ("installedOn", ["installed_on", "installedon", "安装日期"]), ("placeCode", ["place_code", "placecode", "地点代码"]),
    ]

    public typealias RowProblem = ResidentCSV.RowProblem

    /// A file refused whole: every bad row.
    public struct Problems: Error, Sendable {
        public var rows: [RowProblem]
        public init(_ rows: [RowProblem]) { self.rows = rows }
    }

    /// The rows of a CSV file with a header (Chinese or English column names); `row` is the line number, the header 1.
    public static func csv(_ text: String) -> Result<[(row: Int, input: AssetInput)], Problems> {
        let all = ResidentCSV.records(text)
        guard let header = all.first else { return .failure(Problems([RowProblem(row: 1, field: "", reason: LocalizedText(zh: "文件是空的", en: "the file is empty"))])) }
        var index: [String: Int] = [:]
        for (i, name) in header.enumerated() {
            let n = name.trimmingCharacters(in: .whitespaces).lowercased()
            if let column = columns.first(where: { $0.names.contains(n) }) { index[column.key] = i }
        }
        let missing = columns.prefix(5).filter { index[$0.key] == nil }
        if !missing.isEmpty {
            return .failure(Problems(missing.map { RowProblem(row: 1, field: $0.key, reason: LocalizedText(zh: "表头缺少列 \($0.names[1])（\($0.names[0])）",
                                                                                                          en: "the header lacks the column \($0.names[0]) (\($0.names[1]))")) }))
        }
        guard all.count - 1 <= AssetRules.maxImportRows else {
            return .failure(Problems([RowProblem(row: 1, field: "", reason: LocalizedText(zh: "一次最多导入 \(AssetRules.maxImportRows) 行", en: "at most \(AssetRules.maxImportRows) rows at once"))]))
        }
        return .success(all.dropFirst().enumerated().map { offset, record in
            func value(_ key: String) -> String { index[key].flatMap { $0 < record.count ? record[$0] : nil } ?? "" }
            return (offset + 2, AssetInput(code: value("code"), name: value("name"), component: value("component"), lat: value("lat"), long: value("long"),
                                           condition: value("condition"), ownerDepartment: value("ownerDepartment"), maintainer: value("maintainer"),
                                           installedOn: value("installedOn"), placeCode: value("placeCode")))
        })
    }

    /// The features of a GeoJSON FeatureCollection, their properties named as the CSV's columns; `row` is the
    /// feature's number from 1.
    public static func geoJSON(_ data: Data) -> Result<[(row: Int, input: AssetInput)], Problems> {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], object["type"] as? String == "FeatureCollection",
              let features = object["features"] as? [Any] else {
            return .failure(Problems([RowProblem(row: 0, field: "", reason: LocalizedText(zh: "不是 GeoJSON FeatureCollection", en: "not a GeoJSON FeatureCollection"))]))
        }
        guard features.count <= AssetRules.maxImportRows else {
            return .failure(Problems([RowProblem(row: 0, field: "", reason: LocalizedText(zh: "一次最多导入 \(AssetRules.maxImportRows) 个要素", en: "at most \(AssetRules.maxImportRows) features at once"))]))
        }
        return .success(features.enumerated().map { offset, raw in
            let feature = raw as? [String: Any] ?? [:]
            let properties = feature["properties"] as? [String: Any] ?? [:]
            func value(_ key: String) -> String {
                guard let names = columns.first(where: { $0.key == key })?.names, let hit = properties.first(where: { names.contains($0.key.lowercased()) })?.value else { return "" }
                if let s = hit as? String { return s }
                if let n = hit as? NSNumber { return n.stringValue }
                return ""
            }
            // A feature without a geometry is refused by its row (empty JSON object), never read as "no outline".
            let geometry = feature["geometry"].flatMap { JSONSerialization.isValidJSONObject($0) ? try? JSONSerialization.data(withJSONObject: $0) : nil } ?? Data("{}".utf8)
            return (offset + 1, AssetInput(code: value("code"), name: value("name"), component: value("component"), geometry: geometry,
                                           condition: value("condition"), ownerDepartment: value("ownerDepartment"), maintainer: value("maintainer"),
                                           installedOn: value("installedOn"), placeCode: value("placeCode")))
        })
    }

    /// Checks every row; a code twice in the file is named by its second row.
    public static func check(_ rows: [(row: Int, input: AssetInput)], reference: AssetReference, today: LocalDate) -> Result<[(row: Int, terms: AssetTerms)], Problems> {
        var valid: [(row: Int, terms: AssetTerms)] = []
        var problems: [RowProblem] = []
        var seen: [String: Int] = [:]
        for (row, input) in rows {
            switch AssetRules.validate(input, reference: reference, today: today) {
            case .success(let terms):
                if let first = seen[terms.code] {
                    problems.append(RowProblem(row: row, field: "code", reason: LocalizedText(zh: "与第 \(first) 行编号重复", en: "the same code as row \(first)")))
                } else {
                    seen[terms.code] = row
                    valid.append((row, terms))
                }
            case .failure(let list): problems += list.problems.map { RowProblem(row: row, field: $0.field, reason: $0.reason) }
            }
        }
        if rows.isEmpty { problems.append(RowProblem(row: 0, field: "", reason: LocalizedText(zh: "文件里没有部件", en: "the file holds no components"))) }
        return problems.isEmpty ? .success(valid) : .failure(Problems(problems))
    }
}

/// Time between failures and time to repair, from the cases filed about components.
public struct AssetReliability: Sendable, Equatable, Codable {
    /// Cases about the component(s).
    public var failures: Int
    /// Of them, closed.
    public var repaired: Int
    /// Mean hours from report to closure over the closed cases (MTTR); nil without one.
    public var meanHoursToRepair: Double?
    /// Mean hours between one failure's report and the next of the same component (MTBF); nil without two.
    public var meanHoursBetweenFailures: Double?

    public init(failures: Int, repaired: Int, meanHoursToRepair: Double?, meanHoursBetweenFailures: Double?) {
        (self.failures, self.repaired, self.meanHoursToRepair, self.meanHoursBetweenFailures) = (failures, repaired, meanHoursToRepair, meanHoursBetweenFailures)
    }

    public struct Failure: Sendable, Equatable {
        public var asset: UUID
        public var reportedAt: Date
        public var closedAt: Date?

        public init(asset: UUID, reportedAt: Date, closedAt: Date?) {
            (self.asset, self.reportedAt, self.closedAt) = (asset, reportedAt, closedAt)
        }
    }

    /// Over any set of components: repair times are pooled; gaps are taken per component, between consecutive
    /// reports, then pooled (a class's MTBF is the mean gap of its members, not of the class's reports interleaved).
    public static func of(_ failures: [Failure]) -> AssetReliability {
        let repairs = failures.compactMap { f in f.closedAt.map { max(0, $0.timeIntervalSince(f.reportedAt)) / 3600 } }
        var gaps: [Double] = []
        for (_, list) in Dictionary(grouping: failures, by: \.asset) {
            let times = list.map(\.reportedAt).sorted()
            for (a, b) in zip(times, times.dropFirst()) { gaps.append(b.timeIntervalSince(a) / 3600) }
        }
        func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : (values.reduce(0, +) / Double(values.count) * 10).rounded() / 10 }
        return AssetReliability(failures: failures.count, repaired: repairs.count, meanHoursToRepair: mean(repairs), meanHoursBetweenFailures: mean(gaps))
    }
}

/// Which components a caller sees.
public enum AssetScope: Sendable, Equatable {
    case all
    /// Components standing in these areas' subtrees.
    case areas([UUID])
    /// Components the department owns.
    case ownerDepartment(String)
    case nothing
}

public enum AssetAccess {
    public static func scope(for actor: Actor) -> AssetScope {
        guard actor.can(.areasRead) else { return .nothing }
        switch actor.role {
        case .districtAdmin, .auditor: return .all
        case .streetOfficer, .stewardDispatcher, .stewardStaff: return .areas(actor.orgAreas)
        case .departmentOfficer: return actor.org.map { .ownerDepartment($0.code) } ?? .nothing
        case .resident, .dataConsumer: return .nothing
        }
    }

    /// Keeping the register (部件普查 and its upkeep): the district office, a street office in its street, the
    /// steward's dispatcher in its villages. The component's area must be in the caller's scope as well.
    public static func mayEdit(_ actor: Actor) -> Bool {
        guard actor.can(.areasRead) else { return false }
        switch actor.role {
        case .districtAdmin, .streetOfficer, .stewardDispatcher: return true
        default: return false
        }
    }

    /// Linking a case to the component it is about: anyone who works cases in scope.
    public static func mayLinkCases(_ actor: Actor) -> Bool { actor.can(.casesWork) }
}
