import Foundation

/// Setting up a real district from an empty database (`citysteward init`): the district and its streets, the
/// district office (区城市管家专项工作组办公室, plan §2) that runs the system, and its first administrator.
/// The plan is decided here from what the database already holds, so running `init` again adds only what is
/// missing and never changes what is there.
public enum DistrictSetup {
    /// An area `init` creates: the district or one of its streets.
    public struct Place: Sendable, Equatable {
        public var kind: AreaKind
        public var code: String
        public var name: String
        public var nameEn: String?
        public var shape: AreaShape?
        public var centre: GeoPoint?

        public init(kind: AreaKind, code: String, name: String, nameEn: String?, shape: AreaShape?, centre: GeoPoint?) {
            self.kind = kind
            self.code = code
            self.name = name
            self.nameEn = nameEn
            self.shape = shape
            self.centre = centre
        }
    }

    public struct Office: Sendable, Equatable {
        public var code: String
        public var name: String
        public var nameEn: String?

        public init(code: String, name: String, nameEn: String?) {
            self.code = code
            self.name = name
            self.nameEn = nameEn
        }
    }

    /// What a district is made of before anything is stored.
    public struct Reference: Sendable, Equatable {
        public var district: Place
        public var streets: [Place]
        public var office: Office

        public init(district: Place, streets: [Place], office: Office) {
            self.district = district
            self.streets = streets
            self.office = office
        }
    }

    /// The built-in Longhua reference set: GB/T 2260 district code and the NBS 2023 street codes
    /// (reference/longhua-facts.md §2). Positions are map-framing points only (no surveyed outlines): import the
    /// streets' and villages' outlines with `areas import`.
    public static let longhua = Reference(
        district: Place(kind: .district, code: "440309", name: "龙华区", nameEn: "Longhua District", shape: nil,
                        centre: GeoPoint(lat: 22.6787, long: 114.0358)),
        streets: [
            ("440309001", "观湖街道", "Guanhu Subdistrict", 22.702, 114.065),
            ("440309002", "民治街道", "Minzhi Subdistrict", 22.622, 114.030),
            ("440309003", "龙华街道", "Longhua Subdistrict", 22.662, 114.035),
            ("440309004", "大浪街道", "Dalang Subdistrict", 22.667, 113.997),
            ("440309005", "福城街道", "Fucheng Subdistrict", 22.708, 114.020),
            ("440309006", "观澜街道", "Guanlan Subdistrict", 22.740, 114.065),
        ].map { Place(kind: .street, code: $0.0, name: $0.1, nameEn: $0.2, shape: nil, centre: GeoPoint(lat: $0.3, long: $0.4)) },
        office: Office(code: "LH-OFFICE", name: "龙华区城市管家专项工作组办公室", nameEn: "Longhua City Steward Working Group Office"))

    /// A district's own GeoJSON (one feature of kind `district`, its boundary, and its streets); the office is named
    /// after the district unless given.
    public static func reference(geoJSON data: Data, officeCode: String? = nil, officeName: String? = nil) -> Result<Reference, GeoJSONProblems> {
        switch AreaGeoJSON.parseDistrict(data) {
        case .failure(let problems):
            return .failure(problems)
        case .success(let parsed):
            func place(_ f: AreaFeature) -> Place {
                Place(kind: f.kind, code: f.code, name: f.name, nameEn: f.nameEn, shape: f.shape, centre: f.shape.labelPoint)
            }
            let district = place(parsed.district)
            let office = Office(code: officeCode ?? "\(district.code)-OFFICE", name: officeName ?? "\(district.name)城市管家专项工作组办公室",
                                nameEn: district.nameEn.map { "\($0) City Steward Working Group Office" })
            return .success(Reference(district: district, streets: parsed.streets.map(place), office: office))
        }
    }

    /// What the database holds already, as far as `init` cares.
    public struct Existing: Sendable, Equatable {
        /// The districts stored (there should be at most one).
        public var districts: [Area]
        /// Stored areas with a code of the reference.
        public var areasByCode: [String: Area]
        public var office: Org?
        public var admin: User?

        public init(districts: [Area], areasByCode: [String: Area], office: Org?, admin: User?) {
            self.districts = districts
            self.areasByCode = areasByCode
            self.office = office
            self.admin = admin
        }
    }

    public struct Plan: Sendable, Equatable {
        /// Areas to create, parents first (the district, if missing, then streets).
        public var createAreas: [Place]
        /// Codes of the reference's areas that are there already (left as they are).
        public var keptAreas: [String]
        public var createOffice: Office?
        public var createAdmin: Bool

        public var isEmpty: Bool { createAreas.isEmpty && createOffice == nil && !createAdmin }
    }

    /// Decides what `init` adds, or why it cannot run at all (nothing is written then).
    public static func plan(_ reference: Reference, existing: Existing, adminUsername: String) -> Result<Plan, LocalizedText> {
        if let other = existing.districts.first(where: { $0.code != reference.district.code }) {
            return .failure(LocalizedText(zh: "数据库中已有区 \(other.code) \(other.name)；一个系统只设立一个区",
                                          en: "the database already holds district \(other.code) \(other.name); a deployment sets up one district"))
        }
        if let problem = CredentialRules.validateUsername(adminUsername.lowercased()) {
            return .failure(LocalizedText(zh: "管理员用户名无效：\(problem.zh)", en: "the administrator's username is invalid: \(problem.en)"))
        }
        if let admin = existing.admin, admin.role != .districtAdmin {
            return .failure(LocalizedText(zh: "用户 \(admin.username) 已存在，但不是区管理员", en: "user \(admin.username) exists and is not a district administrator"))
        }
        if let office = existing.office, office.kind != .districtOffice {
            return .failure(LocalizedText(zh: "机构代码 \(office.code) 已被“\(office.kind.label.zh)”类机构使用",
                                          en: "organisation code \(office.code) belongs to a \(office.kind.rawValue)"))
        }
        var create: [Place] = [], kept: [String] = []
        for place in [reference.district] + reference.streets {
            if let area = existing.areasByCode[place.code] {
                guard area.kind == place.kind else {
                    return .failure(LocalizedText(zh: "代码 \(place.code) 已用于\(area.kind.label.zh)“\(area.name)”",
                                                  en: "code \(place.code) is taken by the \(area.kind.rawValue) \(area.name)"))
                }
                kept.append(place.code)
            } else {
                create.append(place)
            }
        }
        return .success(Plan(createAreas: create, keptAreas: kept, createOffice: existing.office == nil ? reference.office : nil,
                             createAdmin: existing.admin == nil))
    }
}
