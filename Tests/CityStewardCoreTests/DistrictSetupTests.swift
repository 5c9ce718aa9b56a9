import CityStewardCore
import Foundation
import Testing

@Suite("District setup")
struct DistrictSetupTests {
    let empty = DistrictSetup.Existing(districts: [], areasByCode: [:], office: nil, admin: nil)

    func area(_ place: DistrictSetup.Place) -> Area {
        Area(id: UUID(), kind: place.kind, code: place.code, name: place.name, parentID: nil, streetID: nil, path: [], shape: nil, centre: nil)
    }

    func user(_ role: Role) -> User {
        User(id: UUID(), username: "admin", displayName: "管理员", role: role, orgID: nil, isActive: true)
    }

    @Test func theBuiltInSetIsLonghuaWithItsSixNBSStreets() {
        let ref = DistrictSetup.longhua
        #expect(ref.district.code == "440309" && ref.district.kind == .district)
        #expect(ref.streets.map(\.code) == (1...6).map { "44030900\($0)" })
        #expect(ref.streets.allSatisfy { AreaCode.validate($0.code, kind: .street, parentCode: "440309") == nil })
        #expect(ref.office.code == "LH-OFFICE")
    }

    @Test func anEmptyDatabaseGetsEverything() throws {
        let plan = try DistrictSetup.plan(DistrictSetup.longhua, existing: empty, adminUsername: "admin").get()
        #expect(plan.createAreas.map(\.code) == ["440309"] + DistrictSetup.longhua.streets.map(\.code))
        #expect(plan.createAreas.first?.kind == .district)   // parents first
        #expect(plan.createOffice == DistrictSetup.longhua.office)
        #expect(plan.createAdmin)
        #expect(!plan.isEmpty)
    }

    @Test func aSecondRunAddsOnlyWhatIsMissing() throws {
        let ref = DistrictSetup.longhua
        var byCode = Dictionary(uniqueKeysWithValues: ([ref.district] + ref.streets).map { ($0.code, area($0)) })
        let office = Org(id: UUID(), code: ref.office.code, name: ref.office.name, nameEn: nil, kind: .districtOffice)
        let all = DistrictSetup.Existing(districts: [byCode["440309"]!], areasByCode: byCode, office: office, admin: user(.districtAdmin))
        let again = try DistrictSetup.plan(ref, existing: all, adminUsername: "admin").get()
        #expect(again.isEmpty)
        #expect(again.keptAreas.count == 7)
        byCode["440309004"] = nil
        let partly = DistrictSetup.Existing(districts: all.districts, areasByCode: byCode, office: office, admin: nil)
        let rest = try DistrictSetup.plan(ref, existing: partly, adminUsername: "admin").get()
        #expect(rest.createAreas.map(\.code) == ["440309004"])
        #expect(rest.createOffice == nil && rest.createAdmin)
    }

    @Test func whatCannotBeSetUpIsRefusedBeforeAnythingIsWritten() {
        let ref = DistrictSetup.longhua
        let other = Area(id: UUID(), kind: .district, code: "440307", name: "龙岗区", parentID: nil, streetID: nil, path: [], shape: nil, centre: nil)
        let refusals: [(DistrictSetup.Existing, String)] = [
            (.init(districts: [other], areasByCode: [:], office: nil, admin: nil), "admin"),        // another district
            (.init(districts: [], areasByCode: [:], office: nil, admin: user(.streetOfficer)), "admin"),   // the name is someone else's
            (.init(districts: [], areasByCode: [:], office: Org(id: UUID(), code: "LH-OFFICE", name: "x", nameEn: nil, kind: .steward), admin: nil), "admin"),
            (.init(districts: [], areasByCode: ["440309002": Area(id: UUID(), kind: .community, code: "440309002", name: "x", parentID: nil,
                                                                   streetID: nil, path: [], shape: nil, centre: nil)], office: nil, admin: nil), "admin"),
            (empty, "9-bad name"),
        ]
        for (existing, username) in refusals {
            guard case .failure(let reason) = DistrictSetup.plan(ref, existing: existing, adminUsername: username) else {
                Issue.record("expected a refusal for \(existing) / \(username)"); continue
            }
            #expect(!reason.zh.isEmpty && !reason.en.isEmpty)
        }
    }

    static let square = "[[114.0,22.6],[114.1,22.6],[114.1,22.7],[114.0,22.7],[114.0,22.6]]"
    static func feature(_ code: String, _ name: String, kind: String? = nil, geometry: String? = nil) -> String {
        let k = kind.map { ",\"kind\":\"\($0)\"" } ?? ""
        return #"{"type":"Feature","properties":{"code":"\#(code)","name":"\#(name)"\#(k)},"geometry":\#(geometry ?? #"{"type":"Polygon","coordinates":[\#(square)]}"#)}"#
    }
    static func file(_ features: [String]) -> Data { Data(#"{"type":"FeatureCollection","features":[\#(features.joined(separator: ","))]}"#.utf8) }

    @Test func aDistrictsOwnFileGivesItsBoundaryStreetsAndOffice() throws {
        let data = Self.file([Self.feature("440309001", "观湖街道"), Self.feature("440309", "龙华区", kind: "district"), Self.feature("440309002", "民治街道", kind: "street")])
        let ref = try DistrictSetup.reference(geoJSON: data).get()
        #expect(ref.district.code == "440309" && ref.district.shape != nil && ref.district.centre != nil)
        #expect(ref.streets.map(\.code) == ["440309001", "440309002"])
        #expect(ref.office.code == "440309-OFFICE" && ref.office.name == "龙华区城市管家专项工作组办公室")
        let named = try DistrictSetup.reference(geoJSON: data, officeCode: "LH-OFFICE", officeName: "专项办").get()
        #expect(named.office == DistrictSetup.Office(code: "LH-OFFICE", name: "专项办", nameEn: nil))
    }

    @Test func aBadDistrictFileReportsEveryProblem() {
        func problems(_ data: Data) -> [GeoJSONProblem] {
            if case .failure(let p) = DistrictSetup.reference(geoJSON: data) { return p.problems }
            return []
        }
        #expect(problems(Self.file([Self.feature("440309001", "观湖街道")])).count == 1)   // no district feature
        #expect(problems(Self.file([Self.feature("440309", "a", kind: "district"), Self.feature("440310", "b", kind: "district")])).count == 1)
        #expect(problems(Self.file([Self.feature("440309", "龙华区", kind: "district")])).count == 1)   // no streets
        let several = problems(Self.file([
            Self.feature("44030", "龙华区", kind: "district"),   // 5 digits
            Self.feature("440407001", "不在区内"),                 // not under the district code
            Self.feature("440309002", "民治街道", geometry: #"{"type":"Point","coordinates":[114.0,22.6]}"#),
            Self.feature("440309003", "龙华街道", kind: "village"),
        ]))
        #expect(several.map(\.featureIndex) == [0, 1, 2, 3])
        #expect(problems(Data("not json".utf8)).count == 1)
    }

    @Test func organisationsAreCheckedWholeWithTheAreasTheirKindServes() {
        let street = Area(id: UUID(), kind: .street, code: "440309002", name: "民治街道", parentID: nil, streetID: nil, path: [], shape: nil, centre: nil)
        let village = Area(id: UUID(), kind: .village, code: "440309002001V01", name: "松仔园村", parentID: nil, streetID: nil, path: [], shape: nil, centre: nil)
        let areas = [street.code: street, village.code: village]
        let good = OrgRules.validate(OrgDraft(code: " lh-st-002 ", name: " 民治街道办事处 ", nameEn: "", kind: "streetOffice", areaCodes: [street.code, street.code]),
                                     areas: areas, codeTaken: false)
        #expect(good == .success(ValidOrg(code: "LH-ST-002", name: "民治街道办事处", nameEn: nil, kind: .streetOffice, areas: [street])))
        // kind × area kind: who may serve what.
        let table: [(OrgKind, Area, Bool)] = [
            (.streetOffice, street, true), (.streetOffice, village, false), (.steward, village, true), (.steward, street, false),
            (.shareholdingCompany, village, true), (.department, street, true), (.department, village, false),
            (.districtOffice, street, false), (.partyCommittee, village, true),
        ]
        for (kind, area, allowed) in table {
            let result = OrgRules.validate(OrgDraft(code: "X1", name: "x", nameEn: nil, kind: kind.rawValue, areaCodes: [area.code]), areas: areas, codeTaken: false)
            #expect(((try? result.get()) != nil) == allowed, "\(kind) serving a \(area.kind)")
        }
        guard case .failure(let bad) = OrgRules.validate(OrgDraft(code: "-", name: "", nameEn: String(repeating: "x", count: 201), kind: "club",
                                                                  areaCodes: ["NOPE"]), areas: areas, codeTaken: false) else {
            Issue.record("expected problems"); return
        }
        #expect(bad.problems.map(\.field) == ["code", "name", "nameEn", "kind", "areas"])
        guard case .failure(let taken) = OrgRules.validate(OrgDraft(code: "LH-ST-002", name: "x", nameEn: nil, kind: "streetOffice", areaCodes: []),
                                                           areas: areas, codeTaken: true) else { Issue.record("expected a taken code"); return }
        #expect(taken.problems.map(\.field) == ["code"])
    }
}

@Suite("Account changes")
struct AccountChangeTests {
    @Test func anEditIsDescribedFieldByField() {
        let before = User(id: UUID(), username: "li", displayName: "李", role: .stewardStaff, orgID: UUID(), isActive: true)
        #expect(UserRules.changes(from: before, to: before, orgCode: nil).isEmpty)
        var after = before
        after.role = .stewardDispatcher
        after.isActive = false
        after.displayName = "李（调度）"
        #expect(UserRules.changes(from: before, to: after, orgCode: "G") == ["displayName", "role=stewardDispatcher", "disabled"])
        after.orgID = nil
        #expect(UserRules.changes(from: before, to: after, orgCode: nil).contains("org=-"))
    }
}
