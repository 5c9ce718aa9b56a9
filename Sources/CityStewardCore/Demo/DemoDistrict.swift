import Foundation

/// The demo district: Longhua with its six streets, the plan's pilot villages (plan §1) gridded in ~100 m cells,
/// the working group's member units (plan §2), the street offices, one steward company and one login per role.
///
/// Street codes are NBS 2023 (reference/longhua-facts.md §2). Community serials and all positions are
/// placeholders (the 12-digit NBS community table and surveyed village outlines were not available): they are
/// plausible and consistent, and marked as such in README/docs; replace them with an import of surveyed GeoJSON.
public enum DemoDistrict {
    public static let password = "demo1234"

    public struct AreaSeed: Sendable, Equatable {
        public var kind: AreaKind
        public var code: String
        public var name: String
        public var nameEn: String?
        public var parentCode: String?
        public var shape: AreaShape?
        public var centre: GeoPoint
    }

    public struct OrgSeed: Sendable, Equatable {
        public var code: String
        public var name: String
        public var nameEn: String
        public var kind: OrgKind
        /// Codes of the areas the org is responsible for or serves.
        public var areaCodes: [String]
    }

    public struct UserSeed: Sendable, Equatable {
        public var username: String
        public var displayName: String
        public var role: Role
        public var orgCode: String?
    }

    struct StreetInfo { let code, name, en: String; let centre: GeoPoint }
    struct VillageInfo {
        let street: String
        let communityCode, communityName, communityEn: String
        let name, en: String
        let centre: GeoPoint
        let columns, rows: Int
        /// Cells cut from the north-east corner, so villages are not plain rectangles.
        let notchColumns, notchRows: Int
        let buildingNames: [String]
    }

    // The district and its streets are the built-in reference set `citysteward init` sets up (every one has a point).
    static let district = (code: DistrictSetup.longhua.district.code, name: DistrictSetup.longhua.district.name,
                           en: DistrictSetup.longhua.district.nameEn ?? "", centre: DistrictSetup.longhua.district.centre ?? GeoPoint(lat: 0, long: 0))

    static let streets: [StreetInfo] = DistrictSetup.longhua.streets.map {
        StreetInfo(code: $0.code, name: $0.name, en: $0.nameEn ?? "", centre: $0.centre ?? district.centre)
    }

    static let villages: [VillageInfo] = [
        VillageInfo(street: "440309004", communityCode: "440309004005", communityName: "浪口社区", communityEn: "Langkou Community",
                    name: "浪口村", en: "Langkou Village", centre: GeoPoint(lat: 22.650, long: 114.000),
                    columns: 8, rows: 6, notchColumns: 2, notchRows: 2,
                    buildingNames: ["浪口村一区 1 栋", "浪口村二区 3 栋", "浪口村三区 8 栋", "华霆路 58 号"]),
        VillageInfo(street: "440309001", communityCode: "440309001009", communityName: "大和社区", communityEn: "Dahe Community",
                    name: "马场新村", en: "Machang New Village", centre: GeoPoint(lat: 22.705, long: 114.055),
                    columns: 6, rows: 5, notchColumns: 2, notchRows: 1,
                    buildingNames: ["马场新村 1 栋", "马场新村 6 栋", "马场新村 12 栋"]),
        VillageInfo(street: "440309002", communityCode: "440309002001", communityName: "民治社区", communityEn: "Minzhi Community",
                    name: "松仔园村", en: "Songziyuan Village", centre: GeoPoint(lat: 22.622, long: 114.030),
                    columns: 6, rows: 5, notchColumns: 1, notchRows: 2,
                    buildingNames: ["松仔园一区 2 栋", "松仔园二区 5 栋", "松仔园四区 9 栋"]),
        VillageInfo(street: "440309003", communityCode: "440309003006", communityName: "油松社区", communityEn: "Yousong Community",
                    name: "上油松村", en: "Shangyousong Village", centre: GeoPoint(lat: 22.668, long: 114.052),
                    columns: 7, rows: 5, notchColumns: 2, notchRows: 2,
                    buildingNames: ["上油松村 3 栋", "上油松村 17 栋", "上油松村 21 栋"]),
        VillageInfo(street: "440309005", communityCode: "440309005004", communityName: "章阁社区", communityEn: "Zhangge Community",
                    name: "章阁新村", en: "Zhangge New Village", centre: GeoPoint(lat: 22.712, long: 114.015),
                    columns: 6, rows: 4, notchColumns: 1, notchRows: 1,
                    buildingNames: ["章阁新村 2 栋", "章阁新村 7 栋", "章阁新村 11 栋"]),
        VillageInfo(street: "440309006", communityCode: "440309006007", communityName: "库坑社区", communityEn: "Kukeng Community",
                    name: "陂老村", en: "Pilao Village", centre: GeoPoint(lat: 22.722, long: 114.095),
                    columns: 6, rows: 5, notchColumns: 2, notchRows: 2,
                    buildingNames: ["陂老新村 1 栋", "陂老老村 4 栋", "陂老新村 9 栋"]),
    ]

    /// Cell size in metres (GB/T grid practice: about 10,000 m² a cell).
    public static let cellMetres = 100.0

    /// Every area, parents before children.
    public static let areas: [AreaSeed] = {
        var seeds: [AreaSeed] = [AreaSeed(kind: .district, code: district.code, name: district.name, nameEn: district.en,
                                          parentCode: nil, shape: nil, centre: district.centre)]
        for s in streets {
            seeds.append(AreaSeed(kind: .street, code: s.code, name: s.name, nameEn: s.en, parentCode: district.code, shape: nil, centre: s.centre))
        }
        for v in villages {
            seeds.append(AreaSeed(kind: .community, code: v.communityCode, name: v.communityName, nameEn: v.communityEn,
                                  parentCode: v.street, shape: nil, centre: v.centre))
            seeds.append(contentsOf: villageAreas(v))
        }
        return seeds
    }()

    /// The village outline, its grid cells (numbered west→east, north→south) and a few buildings.
    static func villageAreas(_ v: VillageInfo) -> [AreaSeed] {
        let villageCode = v.communityCode + "V01"
        let width = Double(v.columns) * cellMetres, height = Double(v.rows) * cellMetres
        // North-west corner of the village block.
        let origin = v.centre.offset(eastMetres: -width / 2, northMetres: height / 2)
        func corner(_ column: Int, _ row: Int) -> GeoPoint {
            let p = origin.offset(eastMetres: Double(column) * cellMetres, northMetres: -Double(row) * cellMetres)
            // Round to 1e-7° (~1 cm) so shared edges are bit-identical between neighbours.
            return GeoPoint(lat: (p.lat * 1e7).rounded() / 1e7, long: (p.long * 1e7).rounded() / 1e7)
        }
        func isCell(_ column: Int, _ row: Int) -> Bool {
            !(column >= v.columns - v.notchColumns && row < v.notchRows)
        }
        // The outline: an L-shape, counter-clockwise from the south-west corner.
        let outline = Polygon(outer: [
            corner(0, v.rows), corner(v.columns, v.rows), corner(v.columns, v.notchRows),
            corner(v.columns - v.notchColumns, v.notchRows), corner(v.columns - v.notchColumns, 0), corner(0, 0),
            corner(0, v.rows),
        ])
        var seeds = [AreaSeed(kind: .village, code: villageCode, name: v.name, nameEn: v.en, parentCode: v.communityCode,
                              shape: AreaShape(polygons: [outline]), centre: v.centre)]
        var sequence = 0
        var gridCodes: [(code: String, column: Int, row: Int)] = []
        for row in 0..<v.rows {
            for column in 0..<v.columns where isCell(column, row) {
                sequence += 1
                let code = v.communityCode + String(format: "%03d", sequence)
                let box = GeoBox(minLat: corner(column, row + 1).lat, minLong: corner(column, row).long,
                                 maxLat: corner(column, row).lat, maxLong: corner(column + 1, row).long)
                seeds.append(AreaSeed(kind: .grid, code: code, name: "\(v.name)网格 \(String(format: "%03d", sequence))",
                                      nameEn: "\(v.en) grid \(String(format: "%03d", sequence))", parentCode: villageCode,
                                      shape: AreaShape(polygons: [Polygon.rectangle(box)]), centre: box.centre))
                gridCodes.append((code, column, row))
            }
        }
        // Buildings spread over the village: each a 30 m × 18 m footprint inside one cell.
        for (i, name) in v.buildingNames.enumerated() {
            let cell = gridCodes[(i * 7 + 3) % gridCodes.count]
            let sw = corner(cell.column, cell.row + 1).offset(eastMetres: 20 + Double(i % 3) * 10, northMetres: 25 + Double(i % 2) * 20)
            let ne = sw.offset(eastMetres: 30, northMetres: 18)
            let box = GeoBox(minLat: sw.lat, minLong: sw.long, maxLat: ne.lat, maxLong: ne.long)
            seeds.append(AreaSeed(kind: .building, code: cell.code + String(format: "B%02d", i + 1), name: name, nameEn: nil,
                                  parentCode: cell.code, shape: AreaShape(polygons: [Polygon.rectangle(box)]), centre: box.centre))
        }
        return seeds
    }

    public struct FacilitySeed: Sendable, Equatable {
        public let code: String
        public let name: String
        public let nameEn: String
        public let componentCode: String
        public let gridCode: String
        public let position: GeoPoint
    }

    /// Four public facilities per village, each with its own QR code: a garbage room, a public toilet, fitness
    /// equipment and a street light, spread over the village's grid cells.
    public static let facilities: [FacilitySeed] = {
        let kinds: [(component: String, zh: String, en: String)] = [
            ("03004", "垃圾收集点", "garbage room"), ("03001", "公共厕所", "public toilet"),
            ("01046", "健身广场器材", "fitness equipment"), ("01037", "路灯", "street light"),
        ]
        var out: [FacilitySeed] = []
        for v in villages {
            let villageCode = v.communityCode + "V01"
            let grids = areas.filter { $0.kind == .grid && $0.parentCode == villageCode }
            guard !grids.isEmpty else { continue }
            for (i, kind) in kinds.enumerated() {
                let grid = grids[(i * 5 + 1) % grids.count]
                let position = grid.centre.offset(eastMetres: Double(i * 9) - 12, northMetres: Double(i % 2 == 0 ? 15 : -15))
                out.append(FacilitySeed(code: grid.code + String(format: "F%02d", i + 1), name: v.name + kind.zh, nameEn: "\(v.en) \(kind.en)",
                                        componentCode: kind.component, gridCode: grid.code,
                                        position: GeoPoint(lat: (position.lat * 1e7).rounded() / 1e7, long: (position.long * 1e7).rounded() / 1e7)))
            }
        }
        return out
    }()

    public static let villageCodes: [String] = villages.map { $0.communityCode + "V01" }

    /// The working group's member units as named in plan §2, the district office, the street offices, the demo
    /// steward, the pilot villages' shareholding companies and one community party committee.
    public static let orgs: [OrgSeed] = {
        var orgs: [OrgSeed] = [
            OrgSeed(code: DistrictSetup.longhua.office.code, name: DistrictSetup.longhua.office.name, nameEn: DistrictSetup.longhua.office.nameEn ?? "",
                    kind: .districtOffice, areaCodes: [district.code]),
        ]
        let departments: [(String, String, String)] = [
            ("LH-ZZB", "区委组织部", "District Party Organisation Department"),
            ("LH-ZFW", "区委政法委", "District Political and Legal Affairs Commission"),
            ("LH-GA", "龙华公安分局", "Longhua Public Security Sub-bureau"),
            ("LH-FGJ", "区发展和改革局", "District Development and Reform Bureau"),
            ("LH-GXJ", "区工业和信息化局", "District Industry and Information Technology Bureau"),
            ("LH-MZJ", "区民政局", "District Civil Affairs Bureau"),
            ("LH-SFJ", "区司法局", "District Justice Bureau"),
            ("LH-CZJ", "区财政局", "District Finance Bureau"),
            ("LH-ZJJ", "区住房建设局", "District Housing and Construction Bureau"),
            ("LH-SWJ", "区水务局", "District Water Affairs Bureau"),
            ("LH-WTJ", "区文化广电旅游体育局", "District Culture, Radio, Tourism and Sports Bureau"),
            ("LH-WJJ", "区卫生健康局", "District Health Bureau"),
            ("LH-GZJ", "区国有资产监督管理局", "District State-owned Assets Supervision Bureau"),
            ("LH-CGJ", "区城管和综合执法局", "District Urban Management and Law Enforcement Bureau"),
            ("LH-ZSJ", "区政务服务数据管理局", "District Government Services and Data Management Bureau"),
            ("LH-QTB", "区群团工作部", "District Mass Organisations Work Department"),
            ("LH-WGZX", "区社区网格管理中心", "District Community Grid Management Centre"),
            ("LH-JTJ", "市交通运输局龙华管理局", "Municipal Transport Bureau, Longhua Branch"),
            ("LH-SJJ", "市市场监督管理局龙华监管局", "Municipal Market Supervision Bureau, Longhua Branch"),
            ("LH-HJJ", "市生态环境局龙华管理局", "Municipal Ecology and Environment Bureau, Longhua Branch"),
            ("LH-JJDD", "龙华交警大队", "Longhua Traffic Police Brigade"),
            ("LH-XFDD", "区消防救援大队", "District Fire and Rescue Brigade"),
            ("LH-JSFZ", "深圳市龙华建设发展有限公司", "Shenzhen Longhua Construction and Development Co., Ltd."),
        ]
        for (code, name, en) in departments {
            orgs.append(OrgSeed(code: code, name: name, nameEn: en, kind: .department, areaCodes: []))
        }
        for s in streets {
            orgs.append(OrgSeed(code: "LH-ST-\(s.code.suffix(3))", name: "\(s.name)办事处", nameEn: "\(s.en) Office",
                                kind: .streetOffice, areaCodes: [s.code]))
        }
        orgs.append(OrgSeed(code: "LH-STEWARD-01", name: "龙华城市管家运营有限公司（演示）", nameEn: "Longhua City Steward Operations Co. (demo)",
                            kind: .steward, areaCodes: []))   // its villages come from its contracts (DemoContracts)
        for v in villages {
            orgs.append(OrgSeed(code: "LH-SH-\(v.communityCode.suffix(6))", name: "\(v.name)股份合作公司",
                                nameEn: "\(v.en) Shareholding Co.", kind: .shareholdingCompany, areaCodes: [v.communityCode + "V01"]))
        }
        orgs.append(OrgSeed(code: "LH-PC-440309004005", name: "浪口社区党委", nameEn: "Langkou Community Party Committee",
                            kind: .partyCommittee, areaCodes: ["440309004005"]))
        return orgs
    }()

    /// The demo steward: every pilot village's matters (sanitation, facilities, patrol) are entrusted to it from
    /// 2026-01-01 under one contract per street office (`DemoContracts.swift`).
    public static let stewardCode = "LH-STEWARD-01"

    /// The villages with the street each lies in (codes), for seeding entrustments.
    public static var villageStreets: [(village: String, street: String)] {
        villages.map { ($0.communityCode + "V01", $0.street) }
    }

    /// One login per role (DESIGN §2), and a second street officer of 民治 who signs what the first submits; all use
    /// `password`.
    public static let users: [UserSeed] = [
        UserSeed(username: "district-admin", displayName: "区专项办管理员", role: .districtAdmin, orgCode: "LH-OFFICE"),
        UserSeed(username: "street-minzhi", displayName: "民治街道工作人员", role: .streetOfficer, orgCode: "LH-ST-002"),
        // A contract is signed by a second person of the street office, not the one who submitted it.
        UserSeed(username: "street-minzhi-lead", displayName: "民治街道分管领导", role: .streetOfficer, orgCode: "LH-ST-002"),
        UserSeed(username: "street-guanlan", displayName: "观澜街道工作人员", role: .streetOfficer, orgCode: "LH-ST-006"),
        UserSeed(username: "dept-housing", displayName: "区住房建设局工作人员", role: .departmentOfficer, orgCode: "LH-ZJJ"),
        UserSeed(username: "steward-dispatch", displayName: "管家调度中心", role: .stewardDispatcher, orgCode: "LH-STEWARD-01"),
        UserSeed(username: "steward-patrol", displayName: "管家巡查员", role: .stewardStaff, orgCode: "LH-STEWARD-01"),
        // The repair team's member: cases a failed inspection opens reach them.
        UserSeed(username: "steward-repair", displayName: "管家维修员", role: .stewardStaff, orgCode: "LH-STEWARD-01"),
        UserSeed(username: "auditor", displayName: "纪检监督员", role: .auditor, orgCode: "LH-OFFICE"),
        UserSeed(username: "data-platform", displayName: "区大数据平台", role: .dataConsumer, orgCode: "LH-ZSJ"),
        UserSeed(username: "resident-demo", displayName: "浪口村居民", role: .resident, orgCode: nil),
    ]
}
