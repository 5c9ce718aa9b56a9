import CityStewardCore
import Foundation
import Testing

@Suite("Households")
struct HouseholdRulesTests {
    func fields<T>(_ r: Result<T, FieldProblems>) -> [String] {
        if case .failure(let p) = r { return p.problems.map(\.field) }
        return []
    }

    @Test func aHouseIsCheckedWhole() throws {
        let ok = try HouseholdRules.validate(HouseInput(building: "B1", unit: " 2-301 ", addressCode: "44030900-2", use: "rental", rooms: "3", floorArea: "86.456"),
                                             knownBuildings: ["B1"], unitTaken: false).get()
        #expect(ok.unit == "2-301" && ok.use == .rental && ok.rooms == 3 && ok.floorArea == 86.46 && ok.addressCode == "44030900-2")
        #expect(fields(HouseholdRules.validate(HouseInput(building: "B9", unit: "", addressCode: "地址", use: "x", rooms: "0", floorArea: "-1"),
                                               knownBuildings: ["B1"], unitTaken: false)) == ["building", "unit", "addressCode", "use", "rooms", "floorArea"])
        #expect(fields(HouseholdRules.validate(HouseInput(building: "B1", unit: "2-301", addressCode: "", use: "vacant", rooms: "", floorArea: ""),
                                               knownBuildings: ["B1"], unitTaken: true)) == ["unit"])
    }

    @Test func aResidentChangesUntilTheyMoveOut() throws {
        let moveIn = LocalDate(year: 2024, month: 3, day: 1), today = LocalDate(year: 2026, month: 12, day: 6)
        let v = try HouseholdRules.validate(ResidentChange(phone: "", relation: "spouse", residence: "temporary", moveOut: "2026-11-30"),
                                            moveIn: moveIn, movedOut: false, today: today).get()
        #expect(v.phone == .some(nil) && v.relation == .spouse && v.residence == .temporary && v.moveOut == LocalDate(year: 2026, month: 11, day: 30))
        #expect(try HouseholdRules.validate(ResidentChange(), moveIn: moveIn, movedOut: false, today: today).get() == ValidResidentChange(), "nothing given, nothing changes")
        #expect(fields(HouseholdRules.validate(ResidentChange(phone: "12", role: "boss", relation: "cousin", residence: "nomad", moveOut: "2024-02-01"),
                                               moveIn: moveIn, movedOut: false, today: today)) == ["phone", "role", "relation", "residence", "moveOut"])
        #expect(fields(HouseholdRules.validate(ResidentChange(moveOut: "2027-01-01"), moveIn: moveIn, movedOut: false, today: today)) == ["moveOut"], "not in the future")
        #expect(fields(HouseholdRules.validate(ResidentChange(role: "owner"), moveIn: moveIn, movedOut: true, today: today)) == ["form"], "moved out: read-only")
    }
}
