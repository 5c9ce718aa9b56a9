import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Spot inspections (抽查) in the API — `/api/v1/assessment/spot-checks` (list, draw), `/{id}` (the round with its
/// draw and spots), `/{id}/spots/{spot}` (record an inspection), `/{id}/spots/{spot}/recheck` — and the console's
/// `/spot-checks` pages (the inspector's phone form among them), both on `SpotCheckService`.
struct SpotCheckController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped("api", "v1", "assessment", "spot-checks")
        api.get(use: list)
        api.post(use: drawAPI)
        api.get(":id", use: show)
        api.post(":id", "spots", ":spot", use: recordAPI)
        api.post(":id", "spots", ":spot", "recheck", use: recheckAPI)
        routes.get("spot-checks", use: roundsPage)
        routes.post("spot-checks", use: drawForm)
        routes.get("spot-checks", ":id", use: roundPage)
        routes.get("spot-checks", ":id", "spots", ":spot", use: spotPage)
        routes.post("spot-checks", ":id", "spots", ":spot", use: recordForm)
        routes.post("spot-checks", ":id", "spots", ":spot", "recheck", use: recheckForm)
    }

    // MARK: Views

    struct ItemView: Content {
        var index: Int
        var key: String
        var label: String
        var category: String
    }

    struct FindingView: Content {
        var item: Int
        var key: String
        var label: String
        var passed: Bool
        var caseNumber: String?
        var deadline: Date?
        var rectifiedAt: Date?
        var failedAgainAt: Date?
    }

    struct SpotView: Content {
        var id: UUID
        var position: Int
        var grid: String
        var village: String?
        /// `pending`, `passed`, `failed` (items awaiting repair) or `rectified`.
        var state: String
        var failed: Int
        var inspectedAt: Date?
        var lat: Double?
        var long: Double?
        var recheckedAt: Date?
        var findings: [FindingView]?

        init(_ s: SpotCheckRow, type: SpotCheckPlaceType, reference: CaseReference, language: Language) {
            (id, position, grid, state, failed, inspectedAt, lat, long, recheckedAt) = (s.id, s.position, s.gridCode, s.state, s.failed, s.inspectedAt, s.lat, s.long, s.recheckedAt)
            village = s.villageId.flatMap { reference.areas[$0]?.code }
            let items = type.items
            findings = s.decodedFindings?.map { f in
                FindingView(item: f.item, key: f.key, label: f.item < items.count ? items[f.item].label.text(language) : f.key, passed: f.passed,
                            caseNumber: f.caseNumber, deadline: f.deadline, rectifiedAt: f.rectifiedAt, failedAgainAt: f.failedAgainAt)
            }
        }
    }

    struct RoundView: Content {
        var id: UUID
        var code: String
        var title: String
        var placeType: String
        var area: String
        var day: String
        /// The draw's seed (16 hex digits) and the grid codes it drew from, in code order: SplitMix64 from the seed, a
        /// partial Fisher–Yates shuffle of the population (see docs/assessment.md) gives the same spots.
        var seed: String
        var population: [String]?
        var populationSize: Int
        var drawn: Int
        var createdAt: Date
        var items: [ItemView]?
        var spots: [SpotView]

        init(_ r: SpotCheckRoundRow, spots: [SpotCheckRow], full: Bool, reference: CaseReference, language: Language) {
            (id, code, title, placeType, day, seed, drawn, createdAt) = (r.id, r.code, r.title, r.placeType, r.day, r.seed, r.drawn, r.createdAt)
            area = reference.areas[r.scopeAreaId]?.code ?? ""
            let codes = r.populationCodes
            (population, populationSize) = (full ? codes : nil, codes.count)
            items = full ? r.type.items.enumerated().map { ItemView(index: $0.offset, key: $0.element.key, label: $0.element.label.text(language), category: $0.element.category) } : nil
            self.spots = spots.map { SpotView($0, type: r.type, reference: reference, language: language) }
        }
    }

    // MARK: API

    @Sendable func list(req: Request) async throws -> [RoundView] {
        let reference = try await req.caseReference()
        return try await SpotCheckService(req: req).rounds().map { RoundView($0.round, spots: $0.spots, full: false, reference: reference, language: req.language) }
    }

    @Sendable func show(req: Request) async throws -> RoundView {
        let r = try await SpotCheckService(req: req).round(req.parameters.get("id") ?? "")
        return RoundView(r.round, spots: r.spots, full: true, reference: try await req.caseReference(), language: req.language)
    }

    struct DrawBody: Content {
        var title: String?
        var placeType: String?
        /// The code of the street, community or village to draw grids from.
        var area: String?
        var count: Int?
        var day: String?
    }

    static func day(_ text: String?) -> LocalDate?? {
        guard let text, !text.isEmpty else { return .some(nil) }
        return LocalDate(text).map { .some($0) } ?? nil
    }

    @Sendable func drawAPI(req: Request) async throws -> Response {
        let b = try req.content.decode(DrawBody.self)
        guard let day = Self.day(b.day) else { throw DomainError.invalid("day", zh: "day 应为 YYYY-MM-DD", en: "day must be YYYY-MM-DD") }
        let r = try await SpotCheckService(req: req).draw(title: b.title ?? "", placeType: b.placeType ?? "", area: b.area ?? "", count: b.count, day: day)
        return try await RoundView(r.round, spots: r.spots, full: true, reference: try await req.caseReference(), language: req.language)
            .encodeResponse(status: .created, for: req)
    }

    struct AnswerBody: Content {
        /// `pass` or `fail`.
        var value: String?
        /// A photo of the place, base64 (JPEG, PNG or WebP); required for a failed item.
        var photo: String?
    }

    struct RecordBody: Content {
        var items: [AnswerBody]?
        var lat: Double?
        var long: Double?
    }

    struct Recorded: Content {
        var spot: SpotView
        /// The cases the failed items opened.
        var cases: [String]
    }

    @Sendable func recordAPI(req: Request) async throws -> Response {
        let service = SpotCheckService(req: req)
        _ = try await service.spot(req.parameters.get("id") ?? "", req.parameters.get("spot") ?? "")   // 404 before the body
        let b = try req.content.decode(RecordBody.self)
        var answers: [SpotCheckService.Answer] = []
        for (i, a) in (b.items ?? []).enumerated() {
            var photo: Data?
            if let text = a.photo, !text.isEmpty {
                guard let data = Data(base64Encoded: text) else { throw DomainError.refused("items[\(i)].photo", zh: "照片应为 base64", en: "the photo is base64") }
                photo = data
            }
            answers.append(.init(value: a.value ?? "", photo: photo))
        }
        let position = try PatrolController.report(lat: b.lat, long: b.long, accuracy: nil, deviceTime: nil).position
        let r = try await service.record(req.parameters.get("id") ?? "", req.parameters.get("spot") ?? "", answers: answers, position: position)
        return try await Recorded(spot: SpotView(r.spot, type: r.round.round.type, reference: try await req.caseReference(), language: req.language),
                                  cases: r.cases.map(\.number)).encodeResponse(status: .created, for: req)
    }

    struct RecheckItem: Content {
        var item: Int?
        /// `pass` (put right) or `fail` (still failing).
        var value: String?
    }

    struct RecheckBody: Content {
        var items: [RecheckItem]?
    }

    @Sendable func recheckAPI(req: Request) async throws -> SpotView {
        let service = SpotCheckService(req: req)
        _ = try await service.spot(req.parameters.get("id") ?? "", req.parameters.get("spot") ?? "")
        let b = try req.content.decode(RecheckBody.self)
        var answers: [Int: String] = [:]
        for i in b.items ?? [] { if let item = i.item { answers[item] = i.value ?? "" } }
        let r = try await service.recheck(req.parameters.get("id") ?? "", req.parameters.get("spot") ?? "", answers: answers)
        return SpotView(r.spot, type: r.round.round.type, reference: try await req.caseReference(), language: req.language)
    }

    // MARK: Console

    struct RoundRow: Encodable {
        var id: String
        var code: String
        var title: String
        var type: String
        var day: String
        var spots: Int
        var pending: Int
        var failed: Int
    }

    struct DrawForm: Content {
        var title: String?
        var placeType: String?
        var area: String?
        var count: String?
        var day: String?
    }

    struct RoundsPage: Encodable {
        var page: PageChrome
        var rounds: [RoundRow]
        var canDraw: Bool
        var types: [Choice]
        var areas: [Choice]
        var form: DrawForm
        var errors: [String: String]
    }

    @Sendable func roundsPage(req: Request) async throws -> Response {
        try await roundsPage(req, form: nil, errors: [:])
    }

    func roundsPage(_ req: Request, form typed: DrawForm?, errors: [String: String], status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let service = SpotCheckService(req: req)
        let rounds = try await service.rounds()
        let language = req.language
        let areas = try await service.drawableAreas()
        let form = typed ?? DrawForm(title: "", placeType: SpotCheckPlaceType.street.rawValue, area: areas.first?.code ?? "", count: "5",
                                     day: LocalDate.beijing(req.now).description)
        let page = RoundsPage(page: PageChrome(request: req, title: language == .en ? "Spot checks" : "现场抽查"),
                              rounds: rounds.map { r in
                                  RoundRow(id: r.round.id.uuidString.lowercased(), code: r.round.code, title: r.round.title, type: r.round.type.label.text(language),
                                           day: r.round.day, spots: r.spots.count, pending: r.spots.filter { $0.checkState == .pending }.count,
                                           failed: r.spots.filter { $0.checkState == .failed }.count)
                              },
                              canDraw: SpotCheckAccess.inspectScope(for: actor) != .nothing && !areas.isEmpty,
                              types: SpotCheckPlaceType.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == form.placeType) },
                              areas: areas.map { Choice(value: $0.code, label: "\($0.kind.label.text(language)) · \($0.displayName(language))（\($0.code)）", selected: $0.code == form.area) },
                              form: form, errors: errors)
        let response = try await req.page("spot-checks", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func drawForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let form = try req.content.decode(DrawForm.self)
        do {
            guard let day = Self.day(form.day) else { throw FieldProblems([FieldProblem(field: "day", reason: LocalizedText(zh: "日期应为 YYYY-MM-DD", en: "the day is YYYY-MM-DD"))]) }
            let count = form.count.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            let r = try await SpotCheckService(req: req).draw(title: form.title ?? "", placeType: form.placeType ?? "", area: form.area ?? "", count: count, day: day)
            return req.redirect(to: "/spot-checks/\(r.round.id.uuidString.lowercased())")
        } catch let problems as FieldProblems {
            return try await roundsPage(req, form: form, errors: problems.messagesByField(req.language), status: .unprocessableEntity)
        }
    }

    struct SpotRow: Encodable {
        var id: String
        var position: Int
        var grid: String
        var village: String
        var state: String
        var stateLabel: String
        var failed: Int
        var cases: [String]
        var inspectedAt: String?
    }

    struct RoundPage: Encodable {
        var page: PageChrome
        var round: RoundView
        var area: String
        var type: String
        var items: [String]
        var spots: [SpotRow]
        var canRecord: Bool
    }

    @Sendable func roundPage(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        let r = try await SpotCheckService(req: req).round(req.parameters.get("id") ?? "")
        let reference = try await req.caseReference()
        let language = req.language
        let page = RoundPage(page: PageChrome(request: req, title: "\(r.round.code) \(r.round.title)"),
                             round: RoundView(r.round, spots: r.spots, full: true, reference: reference, language: language),
                             area: r.area.map { "\($0.displayName(language))（\($0.code)）" } ?? "", type: r.round.type.label.text(language),
                             items: r.round.type.items.map { $0.label.text(language) },
                             spots: r.spots.map { s in
                                 SpotRow(id: s.id.uuidString.lowercased(), position: s.position, grid: s.gridCode,
                                         village: s.villageId.flatMap { reference.areas[$0]?.displayName(language) } ?? "",
                                         state: s.state, stateLabel: s.checkState.label.text(language), failed: s.failed,
                                         cases: (s.decodedFindings ?? []).compactMap(\.caseNumber), inspectedAt: s.inspectedAt.map(BeijingTime.minute))
                             },
                             canRecord: SpotCheckAccess.mayRecord(actor, roundOrg: r.round.orgId))
        let response = try await req.page("spot-check", page, status: .ok)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    struct ItemField: Encodable {
        var index: Int
        var label: String
        var value: String
        var error: String?
        /// For a re-inspection: the case the failure opened and its deadline.
        var caseNumber: String?
        var deadline: String?
        var passed: Bool?
        var outcome: String?
        /// Failed and not yet put right: re-inspected.
        var open: Bool
    }

    struct SpotPage: Encodable {
        var page: PageChrome
        var round: RoundRow
        var spot: SpotRow
        var grid: String
        var inspect: Bool
        var recheck: Bool
        var items: [ItemField]
        var errors: [String: String]
    }

    @Sendable func spotPage(req: Request) async throws -> Response {
        try await spotPage(req, values: [:], errors: [:])
    }

    func spotPage(_ req: Request, values: [Int: String], errors: [String: String], status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let (r, s) = try await SpotCheckService(req: req).spot(req.parameters.get("id") ?? "", req.parameters.get("spot") ?? "")
        let reference = try await req.caseReference()
        let language = req.language
        let type = r.round.type
        let may = SpotCheckAccess.mayRecord(actor, roundOrg: r.round.orgId)
        let findings = s.decodedFindings
        let items: [ItemField] = type.items.enumerated().map { i, item in
            let f = findings?.first { $0.item == i }
            let outcome: String? = f.map { f in
                if f.passed { return language == .en ? "Pass" : "合格" }
                if let at = f.rectifiedAt { return (language == .en ? "Put right, re-inspected " : "已整改，复查于 ") + BeijingTime.minute(at) }
                if let at = f.failedAgainAt { return (language == .en ? "Still failing at re-inspection " : "复查仍不合格 ") + BeijingTime.minute(at) }
                return language == .en ? "Fail" : "不合格"
            }
            return ItemField(index: i, label: item.label.text(language), value: values[i] ?? "", error: errors["items[\(i)]"], caseNumber: f?.caseNumber,
                             deadline: f?.deadline.map(BeijingTime.minute), passed: f?.passed, outcome: outcome,
                             open: f?.open ?? false)
        }
        let grid = reference.areasByCode[s.gridCode]
        let page = SpotPage(page: PageChrome(request: req, title: "\(r.round.code) · \(s.gridCode)"),
                            round: RoundRow(id: r.round.id.uuidString.lowercased(), code: r.round.code, title: r.round.title, type: type.label.text(language),
                                            day: r.round.day, spots: r.spots.count, pending: 0, failed: 0),
                            spot: SpotRow(id: s.id.uuidString.lowercased(), position: s.position, grid: s.gridCode,
                                          village: s.villageId.flatMap { reference.areas[$0]?.displayName(language) } ?? "", state: s.state,
                                          stateLabel: s.checkState.label.text(language), failed: s.failed, cases: (findings ?? []).compactMap(\.caseNumber),
                                          inspectedAt: s.inspectedAt.map(BeijingTime.minute)),
                            grid: grid.map { $0.displayName(language) } ?? s.gridCode,
                            inspect: may && s.checkState == .pending, recheck: may && s.checkState == .failed, items: items, errors: errors)
        let response = try await req.page("spot-check-spot", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func recordForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        struct Fixed: Content { var lat: String?; var long: String? }
        let fixed = try req.content.decode(Fixed.self)
        let (r, _) = try await SpotCheckService(req: req).spot(req.parameters.get("id") ?? "", req.parameters.get("spot") ?? "")
        var values: [Int: String] = [:]
        var answers: [SpotCheckService.Answer] = []
        for i in r.round.type.items.indices {
            let v = (try? req.content.get(String.self, at: "item\(i)")) ?? ""
            values[i] = v
            var photo: Data?
            if let f = try? req.content.get(File.self, at: "photo\(i)"), f.data.readableBytes > 0 { photo = Data(buffer: f.data) }
            answers.append(.init(value: v, photo: photo))
        }
        func number(_ s: String?) -> Double? { s.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0.isFinite ? $0 : nil } }
        do {
            let position = try PatrolController.report(lat: number(fixed.lat), long: number(fixed.long), accuracy: nil, deviceTime: nil).position
            let done = try await SpotCheckService(req: req).record(req.parameters.get("id") ?? "", req.parameters.get("spot") ?? "", answers: answers, position: position)
            return req.redirect(to: "/spot-checks/\(done.round.round.id.uuidString.lowercased())/spots/\(done.spot.id.uuidString.lowercased())")
        } catch {
            return try await spotPage(req, values: values, errors: try FormErrors.byField(error, req.language), status: .unprocessableEntity)
        }
    }

    @Sendable func recheckForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let (r, _) = try await SpotCheckService(req: req).spot(req.parameters.get("id") ?? "", req.parameters.get("spot") ?? "")
        var answers: [Int: String] = [:]
        for i in r.round.type.items.indices { if let v = try? req.content.get(String.self, at: "item\(i)") { answers[i] = v } }
        do {
            let done = try await SpotCheckService(req: req).recheck(req.parameters.get("id") ?? "", req.parameters.get("spot") ?? "", answers: answers)
            return req.redirect(to: "/spot-checks/\(done.round.round.id.uuidString.lowercased())/spots/\(done.spot.id.uuidString.lowercased())")
        } catch {
            return try await spotPage(req, values: answers, errors: try FormErrors.byField(error, req.language), status: .unprocessableEntity)
        }
    }
}
