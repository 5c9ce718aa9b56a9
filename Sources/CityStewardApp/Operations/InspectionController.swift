import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Checklists and inspections in the API (`/api/v1/checklists`, `/api/v1/inspections`) and the console (`/checklists`,
/// `/assets/{id}/inspect`, the form the inspector fills on a phone), and cases given to a team or a person
/// (`PUT /api/v1/cases/{id}/assignee`, `GET /api/v1/me/cases`, the case page's form), on `InspectionService`.
struct InspectionController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped("api", "v1")
        api.get("checklists", use: listAPI)
        api.post("checklists", use: createAPI)
        api.on(.POST, "inspections", body: .collect(maxSize: "40mb"), use: inspectAPI)
        api.put("cases", ":caseID", "assignee", use: assignAPI)
        api.get("me", "cases", use: assignedAPI)

        routes.get("checklists", use: checklistsPage)
        routes.post("checklists", use: createForm)
        routes.get("assets", ":id", "inspect", use: inspectPage)
        routes.on(.POST, "assets", ":id", "inspect", body: .collect(maxSize: "40mb"), use: inspectForm)
        routes.post("cases", ":caseID", "assignee", use: assignForm)
    }

    // MARK: Views

    struct ChecklistItemView: Content {
        var label: String
        var kind: String
        var min: Double?
        var max: Double?
        var unit: String?
        var photoRequired: Bool

        init(_ i: ChecklistItem) { (label, kind, min, max, unit, photoRequired) = (i.label, i.kind.rawValue, i.min, i.max, i.unit, i.photoRequired) }

        var item: ChecklistItem {
            ChecklistItem(label: label, kind: ChecklistItemKind(rawValue: kind) ?? .text, min: min, max: max, unit: unit, photoRequired: photoRequired)
        }
    }

    struct ChecklistView: Content {
        var id: UUID
        var name: String
        var component: String
        var items: [ChecklistItemView]

        init(_ c: ChecklistRow) { (id, name, component, items) = (c.id, c.name, c.componentCode, c.terms.items.map(ChecklistItemView.init)) }
    }

    struct ResultView: Content {
        var item: Int
        var label: String
        var value: String
        var passed: Bool
    }

    struct InspectionView: Content {
        var id: UUID
        var asset: UUID
        var assetCode: String
        var checklist: UUID
        var checklistName: String
        var task: UUID?
        var signature: String
        var signedAt: Date
        var results: [ResultView]
        var failed: Int
        /// Numbers of the cases its failed items opened.
        var cases: [String]

        init(_ r: InspectionService.Recorded) {
            let i = r.inspection
            (id, asset, assetCode, checklist, checklistName, task) = (i.id, r.asset.id, r.asset.code, r.checklist.id, r.checklist.name, i.taskId)
            (signature, signedAt, failed, cases) = (i.signature, i.signedAt, i.failed, i.cases)
            results = i.resultList.map { ResultView(item: $0.item, label: $0.label, value: $0.value, passed: $0.passed) }
        }
    }

    // MARK: API

    @Sendable func listAPI(req: Request) async throws -> [ChecklistView] {
        let component = try req.query.get(String?.self, at: "component").flatMap { $0.isEmpty ? nil : $0 }
        return try await InspectionService(req: req).checklists(component: component).map(ChecklistView.init)
    }

    struct ChecklistBody: Content {
        var name: String?
        var component: String?
        var items: [ChecklistItemView]?
    }

    @Sendable func createAPI(req: Request) async throws -> Response {
        let b = try req.content.decode(ChecklistBody.self)
        for (i, item) in (b.items ?? []).enumerated() where ChecklistItemKind(rawValue: item.kind) == nil {
            throw DomainError.invalid("items[\(i)].kind", zh: "检查项类型为 passFail、number 或 text", en: "an item's kind is passFail, number or text")
        }
        let made = try await InspectionService(req: req).createChecklist(name: b.name ?? "", component: b.component ?? "", items: (b.items ?? []).map(\.item))
        return try await ChecklistView(made).encodeResponse(status: .created, for: req)
    }

    struct AnswerBody: Content {
        var value: String
        /// A photo of what was checked, base64 (JPEG, PNG or WebP).
        var photo: String?
    }

    struct InspectionBody: Content {
        var asset: String
        var checklist: String
        var task: String?
        var items: [AnswerBody]
        /// The inspector's own name, typed: the confirmation that closes the round.
        var signature: String
        var lat: Double?
        var long: Double?
    }

    /// A signed inspection: 201 with its results and the cases failed items opened; sent again with the same
    /// `Idempotency-Key`, the one stored (200).
    @Sendable func inspectAPI(req: Request) async throws -> Response {
        let b = try req.content.decode(InspectionBody.self)
        let key = req.headers.first(name: "Idempotency-Key").flatMap { $0.isEmpty ? nil : $0 }
        if let key, key.count > 100 { throw DomainError.invalid("Idempotency-Key", zh: "Idempotency-Key 不超过 100 个字符", en: "Idempotency-Key is at most 100 characters") }
        let position = try PatrolController.report(lat: b.lat, long: b.long, accuracy: nil, deviceTime: nil).position
        var answers: [InspectionService.Answer] = []
        for (i, a) in b.items.enumerated() {
            var photo: Data?
            if let text = a.photo, !text.isEmpty {
                guard let data = Data(base64Encoded: text) else { throw DomainError.refused("items[\(i)].photo", zh: "照片应为 base64", en: "the photo is base64") }
                photo = data
            }
            answers.append(.init(value: a.value, photo: photo))
        }
        let recorded = try await InspectionService(req: req).record(asset: b.asset, checklist: b.checklist, answers: answers, signature: b.signature,
                                                                    position: position, task: b.task, idempotencyKey: key)
        return try await InspectionView(recorded).encodeResponse(status: recorded.created ? .created : .ok, for: req)
    }

    struct AssignBody: Content {
        /// `team:ID`, `person:ID`, or null/empty to take it back to the organisation.
        var assignee: String?
    }

    struct AssignAnswer: Content {
        var id: UUID
        var number: String
        var assignee: String?
    }

    @Sendable func assignAPI(req: Request) async throws -> AssignAnswer {
        let id = try CasesAPIController.caseID(req)
        let b = try req.content.decode(AssignBody.self)
        let (row, assignee) = try await InspectionService(req: req).assign(case: id, to: b.assignee)
        return AssignAnswer(id: row.id, number: row.number, assignee: assignee?.text)
    }

    struct AssignedCase: Content {
        var id: UUID
        var number: String
        var category: String
        var categoryName: String
        var state: String
        var description: String
        var deadline: Date
        var overdue: Bool
    }

    static func assigned(_ req: Request) async throws -> [AssignedCase] {
        try await InspectionService(req: req).myCases().map { row in
            AssignedCase(id: row.id, number: row.number, category: row.categoryCode, categoryName: req.language == .en ? row.categoryNameEn : row.categoryName,
                         state: row.state, description: row.description, deadline: row.deadline, overdue: row.isOverdue(at: req.now))
        }
    }

    @Sendable func assignedAPI(req: Request) async throws -> [AssignedCase] {
        _ = try req.requireAny([.casesRead])
        return try await Self.assigned(req)
    }

    // MARK: Console

    struct ChecklistForm: Content {
        var name: String?
        var component: String?
        /// One item a line: label | passFail, number or text | minimum | maximum | unit | photo.
        var items: String?

        var parsed: [ChecklistItem] {
            (items ?? "").split(whereSeparator: \.isNewline).compactMap { line in
                let parts = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                guard let label = parts.first, !label.isEmpty else { return nil }
                func part(_ i: Int) -> String { i < parts.count ? parts[i] : "" }
                let kind = ChecklistItemKind(rawValue: part(1)) ?? (part(1).isEmpty ? .passFail : .text)
                return ChecklistItem(label: label, kind: kind, min: Double(part(2)), max: Double(part(3)), unit: part(4).isEmpty ? nil : part(4),
                                     photoRequired: ["photo", "照片", "yes", "是"].contains(part(5).lowercased()))
            }
        }
    }

    struct ChecklistsPage: Encodable {
        var page: PageChrome
        var checklists: [ChecklistView]
        var names: [String: String]
        var canPlan: Bool
        var form: ChecklistForm
        var errors: [String: String]
        var components: [Choice]
    }

    @Sendable func checklistsPage(req: Request) async throws -> Response {
        try await checklistsPage(req, form: ChecklistForm(name: nil, component: "01013", items: nil), errors: [:])
    }

    func checklistsPage(_ req: Request, form: ChecklistForm, errors: [String: String], status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let service = InspectionService(req: req)
        let names = try await service.checkableComponents()
        let page = ChecklistsPage(page: PageChrome(request: req, title: req.language == .en ? "Inspection checklists" : "巡检表"),
                                  checklists: try await service.checklists().map(ChecklistView.init), names: names, canPlan: OperationsAccess.mayPlanAny(actor),
                                  form: form, errors: errors,
                                  components: names.sorted { $0.key < $1.key }.map { Choice(value: $0.key, label: "\($0.key) \($0.value)", selected: $0.key == form.component) })
        let response = try await req.page("checklists", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func createForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let form = try req.content.decode(ChecklistForm.self)
        do {
            _ = try await InspectionService(req: req).createChecklist(name: form.name ?? "", component: form.component ?? "", items: form.parsed)
            return req.redirect(to: "/checklists")
        } catch let problems as FieldProblems {
            var errors: [String: String] = [:]
            for p in problems.problems {
                let field = p.field.hasPrefix("items") ? "items" : p.field
                errors[field] = [errors[field], p.reason.text(req.language)].compactMap { $0 }.joined(separator: req.language == .en ? "; " : "；")
            }
            return try await checklistsPage(req, form: form, errors: errors, status: .unprocessableEntity)
        }
    }

    struct ItemField: Encodable {
        var index: Int
        var label: String
        var kind: String
        var limits: String?
        var photoRequired: Bool
        var value: String
        var error: String?
    }

    struct InspectPage: Encodable {
        var page: PageChrome
        var asset: AssetsController.AssetView
        var checklists: [Choice]
        var checklist: ChecklistView?
        var items: [ItemField]
        var key: String
        var task: String
        var signature: String
        var errors: [String: String]
        var inspector: String
    }

    @Sendable func inspectPage(req: Request) async throws -> Response {
        try await inspectPage(req, typed: nil, errors: [:])
    }

    func inspectPage(_ req: Request, typed: InspectForm?, errors: [String: String], status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let asset = try await AssetService(req: req).asset(req.parameters.get("id") ?? "")
        let service = InspectionService(req: req)
        let lists = try await service.checklists(component: asset.componentCode)
        let chosenID = typed?.checklist ?? (try? req.query.get(String?.self, at: "checklist")) ?? nil
        let chosen = lists.first { $0.id.uuidString.lowercased() == chosenID?.lowercased() } ?? lists.first
        var items: [ItemField] = []
        for (i, item) in (chosen?.terms.items ?? []).enumerated() {
            var limits: String?
            if item.kind == .number {
                let bounds = [item.min.map { "≥ \($0.formatted())" }, item.max.map { "≤ \($0.formatted())" }].compactMap { $0 }.joined(separator: " ")
                limits = bounds + (item.unit.map { " \($0)" } ?? "")
            }
            items.append(ItemField(index: i, label: item.label, kind: item.kind.rawValue, limits: limits, photoRequired: item.photoRequired,
                                   value: typed?.values[i] ?? "", error: errors["items[\(i)]"]))
        }
        let names = try await AssetService(req: req).componentNames()
        let queryTask = ((try? req.query.get(String?.self, at: "task")) ?? nil) ?? ""
        let page = InspectPage(page: PageChrome(request: req, title: asset.name),
                               asset: AssetsController.AssetView(asset, components: names, reference: try await req.caseReference(), language: req.language),
                               checklists: lists.map { Choice(value: $0.id.uuidString.lowercased(), label: $0.name, selected: $0.id == chosen?.id) },
                               checklist: chosen.map(ChecklistView.init), items: items, key: typed?.key ?? UUID().uuidString.lowercased(),
                               task: typed?.task ?? queryTask, signature: typed?.signature ?? "", errors: errors,
                               inspector: actor.user.displayName)
        let response = try await req.page("inspect", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    /// The phone's form: `item0`…`itemN` the answers, `photo0`… the photos, the signature, the position the page's
    /// script read, and the form's own key (sent twice, stored once).
    struct InspectForm {
        var checklist: String?
        var task: String?
        var key: String?
        var signature: String?
        var lat: String?
        var long: String?
        var values: [Int: String]
        var photos: [Int: Data]
    }

    static func readForm(_ req: Request) throws -> InspectForm {
        struct Fixed: Content { var checklist: String?; var task: String?; var key: String?; var signature: String?; var lat: String?; var long: String? }
        let fixed = try req.content.decode(Fixed.self)
        var values: [Int: String] = [:], photos: [Int: Data] = [:]
        for i in 0..<ChecklistRules.maxItems {
            if let v = try? req.content.get(String.self, at: "item\(i)") { values[i] = v }
            if let f = try? req.content.get(File.self, at: "photo\(i)"), f.data.readableBytes > 0 { photos[i] = Data(buffer: f.data) }
        }
        return InspectForm(checklist: fixed.checklist, task: fixed.task, key: fixed.key, signature: fixed.signature, lat: fixed.lat, long: fixed.long, values: values, photos: photos)
    }

    @Sendable func inspectForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let form = try Self.readForm(req)
        let assetID = req.parameters.get("id") ?? ""
        let service = InspectionService(req: req)
        let lists = try await service.checklists()
        let count = lists.first { $0.id.uuidString.lowercased() == form.checklist?.lowercased() }?.terms.items.count ?? 0
        let answers = (0..<count).map { InspectionService.Answer(value: form.values[$0] ?? "", photo: form.photos[$0]) }
        func number(_ s: String?) -> Double? { s.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0.isFinite ? $0 : nil } }
        do {
            let position = try PatrolController.report(lat: number(form.lat), long: number(form.long), accuracy: nil, deviceTime: nil).position
            let recorded = try await service.record(asset: assetID, checklist: form.checklist ?? "", answers: answers, signature: form.signature ?? "",
                                                    position: position, task: form.task, idempotencyKey: form.key.flatMap { $0.isEmpty ? nil : "form:\($0.prefix(80))" })
            return req.redirect(to: "/assets/\(recorded.asset.id.uuidString.lowercased())?inspection=\(recorded.inspection.id.uuidString.lowercased())")
        } catch {
            return try await inspectPage(req, typed: form, errors: try FormErrors.byField(error, req.language), status: .unprocessableEntity)
        }
    }

    struct AssignForm: Content {
        var assignee: String?
    }

    @Sendable func assignForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let id = try CasesAPIController.caseID(req)
        let form = try req.content.decode(AssignForm.self)
        _ = try await InspectionService(req: req).assign(case: id, to: form.assignee)
        return req.redirect(to: "/cases/\(id.uuidString.lowercased())")
    }
}
