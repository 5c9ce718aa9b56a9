import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Houses and their occupants in the API (`/api/v1/buildings/{code}/houses`, `/api/v1/houses`, `POST|PATCH
/// /api/v1/residents`) and the console (`/houses?building=`, `/houses/{id}`, the resident's page), on
/// `HouseholdsService`.
struct HouseholdsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped("api", "v1")
        api.get("buildings", ":code", "houses", use: listAPI)
        api.post("houses", use: createAPI)
        api.get("houses", ":id", use: showAPI)
        api.patch("houses", ":id", use: editAPI)
        api.post("residents", use: addResidentAPI)
        api.patch("residents", ":id", use: changeResidentAPI)

        routes.get("houses", use: listPage)
        routes.post("houses", use: createForm)
        routes.get("houses", ":id", use: housePage)
        routes.post("houses", ":id", use: editForm)
        routes.post("houses", ":id", "residents", use: addResidentForm)
        routes.post("residents", ":id", "change", use: changeResidentForm)
    }

    // MARK: API

    struct HouseView: Content {
        var id: UUID
        var building: String
        var unit: String
        var addressCode: String?
        var use: String
        var useLabel: String
        var rooms: Int?
        var floorArea: Double?

        init(_ h: HouseRow, _ language: Language) {
            (id, building, unit, addressCode, use, rooms, floorArea) = (h.id, h.buildingCode, h.unit, h.addressCode, h.use, h.rooms, h.floorArea)
            useLabel = HouseUse(rawValue: h.use)?.label.text(language) ?? h.use
        }
    }

    struct HouseDetail: Content {
        var house: HouseView
        var occupants: [ResidentsController.ResidentView]
    }

    struct HouseBody: Content {
        var building: String?
        var unit: String?
        var addressCode: String?
        var use: String?
        var rooms: Int?
        var floorArea: Double?
    }

    @Sendable func listAPI(req: Request) async throws -> [HouseView] {
        try await HouseholdsService(req: req).houses(building: req.parameters.get("code") ?? "").houses.map { HouseView($0, req.language) }
    }

    func detail(_ req: Request, _ id: String) async throws -> HouseDetail {
        let found = try await HouseholdsService(req: req).house(id)
        let reference = try await req.caseReference()
        return HouseDetail(house: HouseView(found.house, req.language), occupants: found.occupants.map { ResidentsController.view($0, reference, req.language) })
    }

    @Sendable func createAPI(req: Request) async throws -> Response {
        let b = try req.content.decode(HouseBody.self)
        let made = try await HouseholdsService(req: req).createHouse(HouseInput(building: b.building ?? "", unit: b.unit ?? "", addressCode: b.addressCode ?? "",
                                                                                  use: b.use ?? "", rooms: b.rooms.map(String.init) ?? "",
                                                                                  floorArea: b.floorArea.map { String($0) } ?? ""))
        return try await detail(req, made.id.uuidString).encodeResponse(status: .created, for: req)
    }

    @Sendable func showAPI(req: Request) async throws -> HouseDetail {
        try await detail(req, req.parameters.get("id") ?? "")
    }

    /// What is left out keeps its value.
    @Sendable func editAPI(req: Request) async throws -> HouseDetail {
        let id = req.parameters.get("id") ?? ""
        let service = HouseholdsService(req: req)
        _ = try req.requireActor()
        guard HouseholdAccess.mayManage(try req.requireActor()) else { throw HouseholdsService.forbidden }
        let current = try await service.house(id).house
        let b = try req.content.decode(HouseBody.self)
        _ = try await service.editHouse(id, HouseInput(building: current.buildingCode, unit: current.unit, addressCode: b.addressCode ?? current.addressCode ?? "",
                                                       use: b.use ?? current.use, rooms: (b.rooms ?? current.rooms).map(String.init) ?? "",
                                                       floorArea: (b.floorArea ?? current.floorArea).map { String($0) } ?? ""))
        return try await detail(req, id)
    }

    struct ResidentBody: Content {
        var name: String?
        var idNumber: String?
        var phone: String?
        var role: String?
        var relation: String?
        var residence: String?
        var building: String?
        var unit: String?
        var moveIn: String?
    }

    @Sendable func addResidentAPI(req: Request) async throws -> Response {
        let b = try req.content.decode(ResidentBody.self)
        let row = try await HouseholdsService(req: req).addResident(
            ResidentInput(name: b.name ?? "", idNumber: b.idNumber ?? "", phone: b.phone ?? "", role: b.role ?? "", building: b.building ?? "",
                          unit: b.unit ?? "", moveIn: b.moveIn ?? ""), relation: b.relation ?? "", residence: b.residence ?? "")
        return try await ResidentsController.view(row, try await req.caseReference(), req.language).encodeResponse(status: .created, for: req)
    }

    struct ChangeBody: Content {
        var phone: String?
        var role: String?
        var relation: String?
        var residence: String?
        var unit: String?
        var moveOut: String?

        var change: ResidentChange { ResidentChange(phone: phone, role: role, relation: relation, residence: residence, unit: unit, moveOut: moveOut) }
    }

    @Sendable func changeResidentAPI(req: Request) async throws -> ResidentsController.ResidentView {
        let row = try await HouseholdsService(req: req).changeResident(req.parameters.get("id") ?? "", try req.content.decode(ChangeBody.self).change)
        return ResidentsController.view(row, try await req.caseReference(), req.language)
    }

    // MARK: Console

    struct HouseForm: Content {
        var building: String?
        var unit: String?
        var addressCode: String?
        var use: String?
        var rooms: String?
        var floorArea: String?

        var input: HouseInput {
            HouseInput(building: building ?? "", unit: unit ?? "", addressCode: addressCode ?? "", use: use ?? "", rooms: rooms ?? "", floorArea: floorArea ?? "")
        }
    }

    static func messages(_ problems: FieldProblems, _ language: Language) -> [String: String] { problems.messagesByField(language) }

    static func uses(_ chosen: String?, _ language: Language) -> [Choice] {
        HouseUse.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == chosen) }
    }

    static func relations(_ chosen: String?, _ language: Language) -> [Choice] {
        [Choice(value: "", label: "—", selected: (chosen ?? "").isEmpty)]
            + HouseholdRelation.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == chosen) }
    }

    static func residences(_ chosen: String?, _ language: Language) -> [Choice] {
        [Choice(value: "", label: "—", selected: (chosen ?? "").isEmpty)]
            + ResidenceStatus.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == chosen) }
    }

    static func roles(_ chosen: String?, _ language: Language) -> [Choice] {
        ResidentRole.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == chosen) }
    }

    struct ListPage: Encodable {
        var page: PageChrome
        var building: String
        var buildingName: String
        var buildingHref: String
        var houses: [HouseView]
        var canManage: Bool
        var form: HouseForm
        var uses: [Choice]
        var errors: [String: String]
    }

    @Sendable func listPage(req: Request) async throws -> Response {
        try await listPage(req, form: HouseForm(use: HouseUse.residential.rawValue), errors: [:])
    }

    func listPage(_ req: Request, form: HouseForm, errors: [String: String], status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let code = (try? req.query.get(String.self, at: "building")) ?? form.building ?? ""
        let found = try await HouseholdsService(req: req).houses(building: code)
        let language = req.language
        let page = ListPage(page: PageChrome(request: req, title: (language == .en ? "Houses · " : "房屋 · ") + found.building.displayName(language)),
                            building: found.building.code, buildingName: found.building.displayName(language), buildingHref: AreasWebController.href(found.building),
                            houses: found.houses.map { HouseView($0, language) }, canManage: HouseholdAccess.mayManage(actor), form: form,
                            uses: Self.uses(form.use, language), errors: errors)
        let response = try await req.page("houses", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func createForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let form = try req.content.decode(HouseForm.self)
        do {
            let made = try await HouseholdsService(req: req).createHouse(form.input)
            return req.redirect(to: "/houses/\(made.id.uuidString.lowercased())")
        } catch let problems as FieldProblems {
            return try await listPage(req, form: form, errors: Self.messages(problems, req.language), status: .badRequest)
        }
    }

    struct HousePage: Encodable {
        var page: PageChrome
        var house: HouseView
        var buildingName: String
        var listHref: String
        var living: [ResidentsController.ResidentView]
        var movedOut: [ResidentsController.ResidentView]
        var canManage: Bool
        var form: HouseForm
        var uses: [Choice]
        var errors: [String: String]
        var person: PersonForm
        var roles: [Choice]
        var relations: [Choice]
        var residences: [Choice]
        var personErrors: [String: String]
    }

    struct PersonForm: Content {
        var name: String?
        var idNumber: String?
        var phone: String?
        var role: String?
        var relation: String?
        var residence: String?
        var moveIn: String?
    }

    @Sendable func housePage(req: Request) async throws -> Response {
        try await housePage(req, form: nil, errors: [:], person: nil, personErrors: [:])
    }

    func housePage(_ req: Request, form typed: HouseForm?, errors: [String: String], person typedPerson: PersonForm?, personErrors: [String: String],
                   status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let found = try await HouseholdsService(req: req).house(req.parameters.get("id") ?? "")
        let language = req.language
        let reference = try await req.caseReference()
        let h = found.house
        let form = typed ?? HouseForm(building: h.buildingCode, unit: h.unit, addressCode: h.addressCode, use: h.use, rooms: h.rooms.map(String.init),
                                      floorArea: h.floorArea.map { String($0) })
        let person = typedPerson ?? PersonForm(role: ResidentRole.owner.rawValue, moveIn: LocalDate.beijing(req.now).description)
        let views = found.occupants.map { ResidentsController.view($0, reference, language) }
        let page = HousePage(
            page: PageChrome(request: req, title: "\(h.buildingCode) · \(h.unit)"), house: HouseView(h, language),
            buildingName: reference.areas[h.buildingId]?.displayName(language) ?? h.buildingCode, listHref: "/houses?building=\(h.buildingCode)",
            living: views.filter { $0.moveOut == nil }, movedOut: views.filter { $0.moveOut != nil }, canManage: HouseholdAccess.mayManage(actor),
            form: form, uses: Self.uses(form.use, language), errors: errors, person: person, roles: Self.roles(person.role, language),
            relations: Self.relations(person.relation, language), residences: Self.residences(person.residence, language), personErrors: personErrors)
        let response = try await req.page("house", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func editForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let form = try req.content.decode(HouseForm.self)
        let id = req.parameters.get("id") ?? ""
        do {
            _ = try await HouseholdsService(req: req).editHouse(id, form.input)
            return req.redirect(to: "/houses/\(id)")
        } catch let problems as FieldProblems {
            return try await housePage(req, form: form, errors: Self.messages(problems, req.language), person: nil, personErrors: [:], status: .badRequest)
        }
    }

    @Sendable func addResidentForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let person = try req.content.decode(PersonForm.self)
        let service = HouseholdsService(req: req)
        let house = try await service.house(req.parameters.get("id") ?? "").house
        do {
            _ = try await service.addResident(ResidentInput(name: person.name ?? "", idNumber: person.idNumber ?? "", phone: person.phone ?? "", role: person.role ?? "",
                                                            building: house.buildingCode, unit: house.unit, moveIn: person.moveIn ?? ""),
                                              relation: person.relation ?? "", residence: person.residence ?? "")
            return req.redirect(to: "/houses/\(house.id.uuidString.lowercased())")
        } catch let problems as FieldProblems {
            // The ID number typed is not sent back into the page: it is personal data.
            var kept = person
            kept.idNumber = nil
            return try await housePage(req, form: nil, errors: [:], person: kept, personErrors: Self.messages(problems, req.language), status: .badRequest)
        }
    }

    /// The form's own switch: its phone field left empty changes nothing; this clears the number.
    struct ClearPhone: Content {
        var clearPhone: String?
    }

    @Sendable func changeResidentForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        var body = try req.content.decode(ChangeBody.self)
        if (try req.content.decode(ClearPhone.self)).clearPhone == "on" { body.phone = "" } else if body.phone?.trimmingCharacters(in: .whitespaces).isEmpty == true { body.phone = nil }
        let id = req.parameters.get("id") ?? ""
        do {
            _ = try await HouseholdsService(req: req).changeResident(id, body.change)
            return req.redirect(to: "/residents/\(id)")
        } catch let problems as FieldProblems {
            return try await ResidentsController().changeRefused(req, typed: body, errors: Self.messages(problems, req.language))
        }
    }
}
