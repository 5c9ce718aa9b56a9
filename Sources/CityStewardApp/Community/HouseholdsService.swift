import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Houses and the people in them (实有人口): register a house, change it, add a resident, change one or record the
/// move-out — for the console and the API alike, each with its access check and audit row. Names and ID numbers are
/// sealed and masked as in the register; a wrong one is corrected by a new registration, never edited.
struct HouseholdsService {
    let req: Request

    var houses: HouseStore { HouseStore(db: req.db) }
    var residents: ResidentStore { ResidentStore(db: req.db) }

    static let forbidden = DomainError.forbidden(LocalizedText(zh: "无权登记房屋与住户", en: "not allowed to register houses and residents"))

    func actor() throws -> Actor { try req.require(.residentsRead) }

    /// The buildings in the caller's scope, by code.
    func buildings(_ actor: Actor) async throws -> [String: Area] {
        let scope = AccessPolicy.areaScope(for: actor)
        let all = try await req.caseReference().areas.values.filter { $0.kind == .building && scope.includes($0) }
        return Dictionary(uniqueKeysWithValues: all.map { ($0.code, $0) })
    }

    /// A building the caller may see and its houses; any other code answers as missing.
    func houses(building code: String) async throws -> (building: Area, houses: [HouseRow]) {
        let actor = try actor()
        guard let building = try await buildings(actor)[code] else { throw DomainError.notFound(zh: "没有这个楼栋", en: "no such building") }
        return (building, try await houses.list(buildingCode: code))
    }

    func house(_ id: String) async throws -> (house: HouseRow, occupants: [ResidentRow]) {
        let actor = try actor()
        guard let uuid = UUID(uuidString: id) else { throw HouseStore.notFound }
        let house = try await houses.find(uuid, scope: AccessPolicy.areaScope(for: actor))
        return (house, try await residents.occupants(buildingCode: house.buildingCode, unit: house.unit))
    }

    func createHouse(_ input: HouseInput) async throws -> HouseRow {
        let actor = try req.requireActor()
        guard HouseholdAccess.mayManage(actor) else { throw Self.forbidden }
        let buildings = try await buildings(actor)
        let code = input.building.trimmingCharacters(in: .whitespaces), unit = input.unit.trimmingCharacters(in: .whitespaces)
        let taken = buildings[code] != nil && !unit.isEmpty ? try await houses.exists(buildingCode: code, unit: unit) : false
        let terms: HouseTerms
        switch HouseholdRules.validate(input, knownBuildings: Set(buildings.keys), unitTaken: taken) {
        case .failure(let problems): throw problems
        case .success(let t): terms = t
        }
        let made = try await houses.create(terms, in: buildings[terms.building]!, at: req.now)
        try await req.audit(.residentChanged, subject: "house:\(made.buildingCode)/\(made.unit)", detail: "registered; use=\(terms.use.rawValue)")
        return made
    }

    /// The house's use, address code, rooms and area as typed (its building and door stay).
    func editHouse(_ id: String, _ input: HouseInput) async throws -> HouseRow {
        let actor = try req.requireActor()
        guard HouseholdAccess.mayManage(actor) else { throw Self.forbidden }
        let current = try await house(id).house
        var typed = input
        (typed.building, typed.unit) = (current.buildingCode, current.unit)
        let terms: HouseTerms
        switch HouseholdRules.validate(typed, knownBuildings: [current.buildingCode], unitTaken: false) {
        case .failure(let problems): throw problems
        case .success(let t): terms = t
        }
        let changed = try await houses.update(current, to: terms, at: req.now)
        try await req.audit(.residentChanged, subject: "house:\(changed.buildingCode)/\(changed.unit)", detail: "changed; use=\(terms.use.rawValue)")
        return changed
    }

    /// One resident registered by hand, checked like an import row; an ID number already registered is refused by its
    /// field (the person is changed, not registered twice).
    func addResident(_ input: ResidentInput, relation: String, residence: String) async throws -> ResidentRow {
        let actor = try req.requireActor()
        guard HouseholdAccess.mayManage(actor) else { throw Self.forbidden }
        let buildings = try await buildings(actor)
        var problems: [FieldProblem] = []
        var valid: ValidResident?
        switch ResidentRules.validate(input, knownBuildings: Set(buildings.keys)) {
        case .failure(let p): problems += p.problems
        case .success(let v): valid = v
        }
        let extra = HouseholdRules.validate(ResidentChange(relation: relation, residence: residence), moveIn: nil, movedOut: false, today: LocalDate.beijing(req.now))
        if case .failure(let p) = extra { problems += p.problems }
        let cipher = req.application.fieldCipher
        if let v = valid, !(try await residents.existing(idIndexes: cipher.blindIndexes(v.idNumber.value))).isEmpty {
            problems.append(FieldProblem(field: "idNumber", reason: LocalizedText(zh: "该身份证号已登记：请在其记录中修改", en: "this ID number is registered already: change that record")))
        }
        guard problems.isEmpty, let v = valid, case .success(let household) = extra else { throw FieldProblems(problems) }
        var row = try ResidentStore.row(v, in: buildings[v.building]!, cipher: cipher, now: req.now)
        row.relation = household.relation?.rawValue
        row.residence = household.residence?.rawValue
        try await residents.insert([row])
        try await req.audit(.residentChanged, subject: "resident:\(row.id.uuidString.lowercased())", detail: "registered at \(row.buildingCode)/\(row.unit)")
        return row
    }

    /// A change of a resident: phone, role, relation, residence, door within the building, or the move-out (after which
    /// the record stays, read-only).
    func changeResident(_ id: String, _ change: ResidentChange) async throws -> ResidentRow {
        let actor = try req.requireActor()
        guard HouseholdAccess.mayManage(actor) else { throw Self.forbidden }
        guard let uuid = UUID(uuidString: id) else { throw ResidentStore.notFound }
        var row = try await residents.find(uuid, scope: AccessPolicy.areaScope(for: actor))
        let valid: ValidResidentChange
        switch HouseholdRules.validate(change, moveIn: LocalDate(row.moveIn), movedOut: row.moveOut != nil, today: LocalDate.beijing(req.now)) {
        case .failure(let problems): throw problems
        case .success(let v): valid = v
        }
        let cipher = req.application.fieldCipher
        if let phone = valid.phone {
            (row.phoneSealed, row.phoneMasked, row.phoneIndex) = (try phone.map { try cipher.seal($0.sealedForm) }, phone?.masked, phone.map { cipher.blindIndex($0.e164) })
        }
        if let r = valid.role { row.role = r.rawValue }
        if let r = valid.relation { row.relation = r.rawValue }
        if let r = valid.residence { row.residence = r.rawValue }
        if let u = valid.unit { row.unit = u }
        if let d = valid.moveOut { row.moveOut = d.description }
        try await residents.update(row)
        try await req.audit(.residentChanged, subject: "resident:\(row.id.uuidString.lowercased())",
                            detail: valid.moveOut.map { "moved out \($0)" } ?? "changed")
        return row
    }
}
