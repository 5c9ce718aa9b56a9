import CityStewardCore
import Foundation
import Testing

@Suite("Device register")
struct DeviceRegisterTests {
    let street = UUID(), village = UUID(), otherStreet = UUID()
    var grid: Area {
        Area(id: UUID(), kind: .grid, code: "440309002001V01G004", name: "松仔园村网格 004", parentID: village, streetID: street,
             path: [street, village], shape: AreaShape(polygons: [.rectangle(GeoBox(minLat: 22.62, minLong: 114.03, maxLat: 22.63, maxLong: 114.04))]),
             centre: GeoPoint(lat: 22.625, long: 114.035))
    }

    func input(code: String = "cam-szy-03", kind: String = "camera", lat: String = "", long: String = "") -> DeviceRegistration {
        DeviceRegistration(code: code, kind: kind, name: "垃圾点摄像头", vendor: "dahua", areaCode: grid.code, lat: lat, long: long, keyHolder: "steward-patrol")
    }

    func fields(_ r: Result<ValidDevice, FieldProblems>) -> [String] {
        if case .failure(let p) = r { return p.problems.map(\.field) }
        return []
    }

    @Test func aRegistrationIsCheckedWholeAndStandsWhereItSays() throws {
        let valid = try DeviceRules.validate(input(), area: grid, codeTaken: false, keyHolderMaySend: true).get()
        #expect(valid.code == "CAM-SZY-03" && valid.kind == .camera && valid.position == grid.centre, "codes are upper case; no position: the centre")
        let placed = try DeviceRules.validate(input(lat: "22.621", long: "114.031"), area: grid, codeTaken: false, keyHolderMaySend: true).get()
        #expect(placed.position == GeoPoint(lat: 22.621, long: 114.031))
        // Everything wrong at once, each by its field.
        let bad = DeviceRegistration(code: "摄像头", kind: "drone", name: String(repeating: "长", count: 61), vendor: "acme", areaCode: "X",
                                     lat: "north", long: "", keyHolder: "nobody")
        #expect(fields(DeviceRules.validate(bad, area: nil, codeTaken: false, keyHolderMaySend: false)) == ["code", "kind", "name", "vendor", "area", "position", "keyHolder"])
        #expect(fields(DeviceRules.validate(input(), area: grid, codeTaken: true, keyHolderMaySend: true)) == ["code"])
        #expect(fields(DeviceRules.validate(input(lat: "22.70", long: "114.20"), area: grid, codeTaken: false, keyHolderMaySend: true)) == ["position"])
        var villageArea = grid
        villageArea.kind = .village
        #expect(fields(DeviceRules.validate(input(), area: villageArea, codeTaken: false, keyHolderMaySend: true)) == ["area"])
    }

    @Test func whoManagesDevicesWhere() {
        let office = Org(id: UUID(), code: "S2", name: "民治街道办", nameEn: nil, kind: .streetOffice)
        let steward = Org(id: UUID(), code: "ST", name: "管家", nameEn: nil, kind: .steward)
        func actor(_ role: Role, _ org: Org?, _ areas: [UUID]) -> Actor {
            Actor(user: User(id: UUID(), username: "u", displayName: "U", role: role, orgID: org?.id, isActive: true), org: org, orgAreas: areas)
        }
        // role × (own area, someone else's area)
        let table: [(Role, Org?, [UUID], Bool, Bool)] = [
            (.districtAdmin, nil, [], true, true),
            (.streetOfficer, office, [street], true, false),
            (.stewardDispatcher, steward, [village], true, false),
            (.stewardStaff, steward, [village], false, false),
            (.departmentOfficer, nil, [], false, false),
            (.auditor, nil, [], false, false),
            (.dataConsumer, nil, [], false, false),
            (.resident, nil, [], false, false),
        ]
        let elsewhere = Area(id: UUID(), kind: .grid, code: "440309004005V01G001", name: "浪口村网格 001", parentID: UUID(), streetID: otherStreet,
                             path: [otherStreet, UUID()], shape: nil, centre: nil)
        for (role, org, areas, own, other) in table {
            let a = actor(role, org, areas)
            #expect(ExchangeAccess.mayManageDevices(a, in: grid) == own, "\(role) in its own area")
            #expect(ExchangeAccess.mayManageDevices(a, in: elsewhere) == other, "\(role) elsewhere")
            #expect(ExchangeAccess.managesDevices(a) == own, "\(role) sees the register form")
        }
    }
}
