import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The asset register in the API (`/api/v1/assets`) and the console (`/assets`, `/assets/{id}`): list and map, one
/// component with its cases and reliability, the register's forms, the file import with its preview, and a case linked
/// to its component — all on `AssetService`.
struct AssetsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped("api", "v1", "assets")
        api.get(use: listAPI)
        api.post(use: createAPI)
        api.get("reliability", use: reliabilityAPI)
        api.on(.POST, "import", body: .collect(maxSize: "20mb"), use: importAPI)
        api.get(":id", use: showAPI)
        api.patch(":id", use: editAPI)
        api.post(":id", "cases", use: linkAPI)

        let pages = routes.grouped("assets")
        pages.get(use: listPage)
        pages.post(use: createForm)
        pages.on(.POST, "import", body: .collect(maxSize: "20mb"), use: importForm)
        pages.get(":id", use: assetPage)
        pages.post(":id", use: editForm)
        pages.post(":id", "cases", use: linkForm)
    }

    // MARK: Views

    struct OutlineView: Content {
        /// `LineString` or `Polygon`.
        var type: String
        /// [longitude, latitude] pairs (a polygon's ring not repeated at its end).
        var points: [[Double]]
    }

    struct AssetView: Content {
        var id: UUID
        var code: String
        var name: String
        var component: String
        var componentName: String
        var area: OperationsAPIController.AreaRef
        var lat: Double
        var long: Double
        var outline: OutlineView?
        var condition: String
        var conditionLabel: String
        var ownerDepartment: String?
        var maintainer: String?
        var installedOn: String?
        var placeCode: String?
        var updatedAt: Date

        init(_ a: AssetRow, components: [String: String], reference: CaseReference, language: Language) {
            (id, code, name, component, componentName) = (a.id, a.code, a.name, a.componentCode, components[a.componentCode] ?? a.componentCode)
            let area = reference.areas[a.areaId]
            self.area = .init(id: a.areaId, code: area?.code ?? "", name: area?.displayName(language) ?? "")
            (lat, long, condition, conditionLabel) = (a.lat, a.long, a.condition, a.conditionValue.label.text(language))
            (ownerDepartment, maintainer, installedOn, placeCode, updatedAt) = (a.ownerDepartment, a.maintainer, a.installedOn, a.placeCode, a.updatedAt)
            if let text = a.outline, let data = text.data(using: .utf8), case .success(let g)? = Optional(AssetOutline.parse(try? JSONSerialization.jsonObject(with: data))),
               let o = g.outline {
                outline = OutlineView(type: o.geoJSONType, points: o.points.map { [$0.long, $0.lat] })
            }
        }
    }

    struct CaseRef: Content {
        var id: UUID
        var number: String
        var category: String
        var categoryName: String
        var state: String
        var reportedAt: Date
        var closedAt: Date?
    }

    struct ReliabilityView: Content {
        var failures: Int
        var repaired: Int
        var meanHoursToRepair: Double?
        var meanHoursBetweenFailures: Double?

        init(_ r: AssetReliability) {
            (failures, repaired, meanHoursToRepair, meanHoursBetweenFailures) = (r.failures, r.repaired, r.meanHoursToRepair, r.meanHoursBetweenFailures)
        }
    }

    struct AssetDetail: Content {
        var asset: AssetView
        /// Cases filed about it, oldest first.
        var cases: [CaseRef]
        var reliability: ReliabilityView
    }

    struct AssetPageBody: Content {
        var items: [AssetView]
        var total: Int
        /// The code to pass as `after` for the next page; absent on the last.
        var next: String?
    }

    struct ClassView: Content {
        var component: String
        var name: String
        var registered: Int
        var reliability: ReliabilityView
    }

    static func detail(_ req: Request, _ asset: AssetRow) async throws -> AssetDetail {
        let service = AssetService(req: req)
        let history = try await service.history(asset)
        return AssetDetail(asset: AssetView(asset, components: try await service.componentNames(), reference: try await req.caseReference(), language: req.language),
                           cases: history.cases.map { CaseRef(id: $0.caseId, number: $0.number, category: $0.categoryCode, categoryName: $0.categoryName, state: $0.state,
                                                              reportedAt: $0.reportedAt, closedAt: $0.closedAt) },
                           reliability: ReliabilityView(history.reliability))
    }

    // MARK: API

    struct AssetBody: Content {
        var code: String?
        var name: String?
        var component: String?
        var lat: Double?
        var long: Double?
        var outline: OutlineView?
        var condition: String?
        var ownerDepartment: String?
        var maintainer: String?
        var installedOn: String?
        var placeCode: String?

        /// The input for the rules, over `current`'s values for a change (fields left out keep theirs).
        func input(over current: AssetRow? = nil) throws -> AssetInput {
            var geometry: Data?
            if let o = outline {
                let coordinates: Any = o.type == "Polygon" ? [o.points] : o.points
                geometry = try JSONSerialization.data(withJSONObject: ["type": o.type, "coordinates": coordinates])
            } else if lat == nil, long == nil, let current, let text = current.outline {
                geometry = Data(text.utf8)
            }
            func number(_ d: Double?, _ old: Double?) -> String { (d ?? old).map { String($0) } ?? "" }
            return AssetInput(code: code ?? current?.code ?? "", name: name ?? current?.name ?? "", component: component ?? current?.componentCode ?? "",
                              lat: number(lat, current?.lat), long: number(long, current?.long), geometry: geometry,
                              condition: condition ?? current?.condition ?? "", ownerDepartment: ownerDepartment ?? current?.ownerDepartment ?? "",
                              maintainer: maintainer ?? current?.maintainer ?? "", installedOn: installedOn ?? current?.installedOn ?? "",
                              placeCode: placeCode ?? current?.placeCode ?? "")
        }
    }

    static func filter(_ req: Request) async throws -> AssetFilter {
        var f = AssetFilter()
        if let code = try req.query.get(String?.self, at: "area"), !code.isEmpty {
            guard let area = try await req.caseReference().areasByCode[code] else {
                throw DomainError.refused("area", zh: "没有区域代码 \(code)", en: "no area \(code)")
            }
            f.underPath = Area.encodePath(area.path)
        }
        if let c = try req.query.get(String?.self, at: "component"), !c.isEmpty { f.component = c }
        if let c = try req.query.get(String?.self, at: "condition"), !c.isEmpty {
            guard AssetCondition(rawValue: c) != nil else { throw DomainError.invalid("condition", zh: "没有这个状况", en: "no such condition") }
            f.condition = c
        }
        if let q = try req.query.get(String?.self, at: "q"), !q.isEmpty {
            guard q.count <= 60 else { throw DomainError.invalid("q", zh: "搜索词不超过 60 个字", en: "the search is at most 60 characters") }
            f.text = q
        }
        if let a = try req.query.get(String?.self, at: "after"), !a.isEmpty { f.after = a }
        return f
    }

    static func views(_ req: Request, _ rows: [AssetRow]) async throws -> [AssetView] {
        let names = try await AssetService(req: req).componentNames()
        let reference = try await req.caseReference()
        return rows.map { AssetView($0, components: names, reference: reference, language: req.language) }
    }

    @Sendable func listAPI(req: Request) async throws -> AssetPageBody {
        var f = try await Self.filter(req)
        let limit = try req.query.get(Int?.self, at: "limit") ?? 100
        guard (1...500).contains(limit) else { throw DomainError.invalid("limit", zh: "limit 为 1~500", en: "limit is 1 to 500") }
        f.limit = limit
        let page = try await AssetService(req: req).list(f)
        return AssetPageBody(items: try await Self.views(req, page.rows), total: page.total, next: page.rows.count == limit ? page.rows.last?.code : nil)
    }

    @Sendable func createAPI(req: Request) async throws -> Response {
        let b = try req.content.decode(AssetBody.self)
        let made = try await AssetService(req: req).create(try b.input())
        return try await Self.detail(req, made).encodeResponse(status: .created, for: req)
    }

    @Sendable func showAPI(req: Request) async throws -> AssetDetail {
        try await Self.detail(req, try await AssetService(req: req).asset(req.parameters.get("id") ?? ""))
    }

    @Sendable func editAPI(req: Request) async throws -> AssetDetail {
        let service = AssetService(req: req)
        let current = try await service.asset(req.parameters.get("id") ?? "")
        let b = try req.content.decode(AssetBody.self)
        return try await Self.detail(req, try await service.edit(current.id.uuidString, try b.input(over: current)))
    }

    struct LinkBody: Content {
        /// The case's number.
        var `case`: String
    }

    @Sendable func linkAPI(req: Request) async throws -> AssetDetail {
        let service = AssetService(req: req)
        let id = req.parameters.get("id") ?? ""
        _ = try await service.asset(id)
        let b = try req.content.decode(LinkBody.self)
        return try await Self.detail(req, try await service.link(asset: id, caseNumber: b.case))
    }

    @Sendable func reliabilityAPI(req: Request) async throws -> [ClassView] {
        try await AssetService(req: req).reliabilityByClass().map { ClassView(component: $0.component, name: $0.name, registered: $0.registered, reliability: ReliabilityView($0.reliability)) }
    }

    struct ImportAnswer: Content {
        var created: Int
        var updated: Int
        /// False for a preview (`dryRun=true`) or a refused file.
        var stored: Bool
        var problems: [Problem]

        struct Problem: Content {
            /// The CSV line (header 1) or the feature's number (from 1); 0: the file as a whole.
            var row: Int
            var field: String
            var reason: String
        }

        init(_ o: AssetService.ImportOutcome, _ language: Language) {
            (created, updated, stored) = (o.created, o.updated, o.stored)
            problems = o.problems.map { Problem(row: $0.row, field: $0.field, reason: $0.reason.text(language)) }
        }
    }

    static func isGeoJSON(_ req: Request, name: String? = nil) -> Bool {
        if let name { return name.lowercased().hasSuffix(".geojson") || name.lowercased().hasSuffix(".json") }
        let type = req.headers.contentType.map { "\($0.type)/\($0.subType)".lowercased() } ?? ""
        return type == "application/geo+json" || type == "application/json"
    }

    /// A CSV (`text/csv`) or GeoJSON (`application/geo+json`) file: 201 stored, 200 checked only (`dryRun=true`), 422
    /// refused whole with every bad row.
    @Sendable func importAPI(req: Request) async throws -> Response {
        _ = try AssetService(req: req).actor()
        let type = req.headers.contentType.map { "\($0.type)/\($0.subType)".lowercased() } ?? ""
        guard ["text/csv", "application/geo+json", "application/json"].contains(type) else {
            throw DomainError.unsupportedType(LocalizedText(zh: "文件应为 text/csv 或 application/geo+json", en: "send text/csv or application/geo+json"))
        }
        guard let body = req.body.data, body.readableBytes > 0 else {
            throw DomainError.refused("body", zh: "文件是空的", en: "the file is empty")
        }
        let dryRun = try req.flag("dryRun")
        let outcome = try await AssetService(req: req).importFile(Data(buffer: body), geoJSON: Self.isGeoJSON(req), commit: !dryRun)
        let status: HTTPStatus = !outcome.problems.isEmpty ? .unprocessableEntity : (outcome.stored ? .created : .ok)
        return try await ImportAnswer(outcome, req.language).encodeResponse(status: status, for: req)
    }

    // MARK: Console

    struct AssetForm: Content {
        var code: String?
        var name: String?
        var component: String?
        var lat: String?
        var long: String?
        var condition: String?
        var ownerDepartment: String?
        var maintainer: String?
        var installedOn: String?
        var placeCode: String?

        init() {}

        init(_ a: AssetRow) {
            (code, name, component, lat, long, condition) = (a.code, a.name, a.componentCode, String(a.lat), String(a.long), a.condition)
            (ownerDepartment, maintainer, installedOn, placeCode) = (a.ownerDepartment, a.maintainer, a.installedOn, a.placeCode)
        }

        func input(outline: String?) -> AssetInput {
            AssetInput(code: code ?? "", name: name ?? "", component: component ?? "", lat: lat ?? "", long: long ?? "", geometry: outline.map { Data($0.utf8) },
                       condition: condition ?? "", ownerDepartment: ownerDepartment ?? "", maintainer: maintainer ?? "", installedOn: installedOn ?? "",
                       placeCode: placeCode ?? "")
        }
    }

    struct ListPage: Encodable {
        var page: PageChrome
        var assets: [AssetView]
        var total: Int
        var next: String?
        var query: [String: String]
        var map: String?
        var classes: [ClassView]
        var canEdit: Bool
        var form: AssetForm
        var errors: [String: String]
        var components: [Choice]
        var conditions: [Choice]
        var filterConditions: [Choice]
        var areas: [Choice]
        var importAnswer: ImportAnswer?
        var importPreview: Bool
    }

    static func messages(_ error: any Error, _ language: Language) -> [String: String]? {
        var out: [String: String] = [:]
        if let problems = error as? FieldProblems {
            for (field, message) in problems.messagesByField(language) { out[field] = message }
            return out
        }
        if let domain = error as? DomainError, case .unprocessable = domain {
            for m in domain.messagesByField(language) { out[m.field ?? "form"] = m.message }
            return out
        }
        return nil
    }

    @Sendable func listPage(req: Request) async throws -> Response {
        try await listPage(req, form: AssetForm(), errors: [:])
    }

    func listPage(_ req: Request, form: AssetForm, errors: [String: String], importAnswer: ImportAnswer? = nil, status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let service = AssetService(req: req)
        _ = try service.actor()
        let language = req.language
        var filter = try await Self.filter(req)
        filter.limit = 100
        let page = try await service.list(filter)
        let reference = try await req.caseReference()
        let names = try await service.componentNames()
        let views = page.rows.map { AssetView($0, components: names, reference: reference, language: language) }
        // The layer: the chosen area's village (or the only village in view) with its grids, a pin per component.
        var svg: String?
        let chosen = (try? req.query.get(String?.self, at: "area")).flatMap { $0 }.flatMap { reference.areasByCode[$0] }
        let villages = Set(page.rows.compactMap { reference.areas[$0.areaId].flatMap { a in reference.path(of: a).first { $0.kind == .village } }?.id })
        let villageID = chosen.flatMap { c in reference.path(of: c).first { $0.kind == .village }?.id } ?? (villages.count == 1 ? villages.first : nil)
        if let villageID, let village = try? await req.areas.find(villageID, scope: .everything) {
            let inside = try await req.areas.children(of: villageID)
            let pins = page.rows.filter { reference.areas[$0.areaId]?.path.contains(villageID) == true }.map { a in
                AreaMap.Pin(position: a.position, style: "asset-\(a.condition)", label: "\(a.code) \(a.name) · \(a.conditionValue.label.text(language))",
                            href: "/assets/\(a.id.uuidString.lowercased())")
            }
            svg = AreaMap.draw(inside.map { AreaMap.Item(area: $0, href: nil) }, outline: village, width: 800, language: language, pins: pins)
                .map { MapSVG.render($0, label: village.displayName(language)) }
        }
        let classes = try await service.reliabilityByClass().map { ClassView(component: $0.component, name: $0.name, registered: $0.registered, reliability: ReliabilityView($0.reliability)) }
        var query: [String: String] = [:]
        for key in ["area", "component", "condition", "q"] { if let v = (try? req.query.get(String?.self, at: key)) ?? nil, !v.isEmpty { query[key] = v } }
        let canEdit = AssetAccess.mayEdit(actor)
        let scope = AccessPolicy.areaScope(for: actor)
        let areas = reference.areas.values.filter { [.street, .village, .community, .grid].contains($0.kind) && scope.includes($0) }
            .sorted { $0.code < $1.code }.map { Choice(value: $0.code, label: "\($0.displayName(language))（\($0.code)）", selected: $0.code == query["area"]) }
        let components = names.sorted { $0.key < $1.key }.map { Choice(value: $0.key, label: "\($0.key) \($0.value)", selected: $0.key == (form.component ?? "01013")) }
        let conditions = AssetCondition.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == (form.condition ?? "good")) }
        let filterConditions = AssetCondition.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == query["condition"]) }
        let body = ListPage(page: PageChrome(request: req, title: language == .en ? "Asset register" : "部件登记"), assets: views, total: page.total,
                            next: page.rows.count == 100 ? page.rows.last?.code : nil, query: query, map: svg, classes: classes, canEdit: canEdit, form: form,
                            errors: errors, components: components, conditions: conditions, filterConditions: filterConditions, areas: areas,
                            importAnswer: importAnswer, importPreview: importAnswer.map { !$0.stored && $0.problems.isEmpty } ?? false)
        let response = try await req.page("assets", body, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func createForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let form = try req.content.decode(AssetForm.self)
        do {
            let made = try await AssetService(req: req).create(form.input(outline: nil))
            return req.redirect(to: "/assets/\(made.id.uuidString.lowercased())")
        } catch {
            guard let errors = Self.messages(error, req.language) else { throw error }
            return try await listPage(req, form: form, errors: errors, status: .unprocessableEntity)
        }
    }

    struct ImportForm: Content {
        var file: File?
        /// "preview" checks only; anything else imports.
        var mode: String?
    }

    @Sendable func importForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let form = try req.content.decode(ImportForm.self)
        guard let file = form.file, file.data.readableBytes > 0 else {
            let answer = ImportAnswer(.refused([AssetFile.RowProblem(row: 0, field: "file", reason: LocalizedText(zh: "请选择文件", en: "choose a file"))]), req.language)
            return try await listPage(req, form: AssetForm(), errors: [:], importAnswer: answer, status: .unprocessableEntity)
        }
        let outcome = try await AssetService(req: req).importFile(Data(buffer: file.data), geoJSON: Self.isGeoJSON(req, name: file.filename),
                                                                  commit: form.mode != "preview")
        return try await listPage(req, form: AssetForm(), errors: [:], importAnswer: ImportAnswer(outcome, req.language),
                                  status: outcome.problems.isEmpty ? .ok : .unprocessableEntity)
    }

    struct AssetPage: Encodable {
        var page: PageChrome
        var detail: AssetDetail
        var map: String?
        var canEdit: Bool
        var canLink: Bool
        var form: AssetForm
        var errors: [String: String]
        var components: [Choice]
        var conditions: [Choice]
        var linkCase: String
        var cases: [CaseLine]
        var inspections: [InspectionLine]
        /// The inspection just signed (`?inspection=`), shown at the top.
        var signed: InspectionLine?
        var canInspect: Bool
    }

    struct InspectionLine: Encodable {
        var id: String
        var at: String
        var by: String
        var failed: Int
        var failedItems: [String]
        var cases: [String]
    }

    struct CaseLine: Encodable {
        var id: String
        var number: String
        var category: String
        var state: String
        var reported: String
        var closed: String?
    }

    @Sendable func assetPage(req: Request) async throws -> Response {
        let asset = try await AssetService(req: req).asset(req.parameters.get("id") ?? "")
        return try await assetPage(req, asset, form: AssetForm(asset), errors: [:])
    }

    func assetPage(_ req: Request, _ asset: AssetRow, form: AssetForm, errors: [String: String], linkCase: String = "", status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let language = req.language
        let reference = try await req.caseReference()
        var svg: String?
        if let area = reference.areas[asset.areaId], let village = reference.path(of: area).first(where: { $0.kind == .village }),
           let outline = try? await req.areas.find(village.id, scope: .everything) {
            let inside = try await req.areas.children(of: village.id)
            svg = AreaMap.draw(inside.map { AreaMap.Item(area: $0, href: nil) }, outline: outline, width: 360, language: language,
                               pins: [AreaMap.Pin(position: asset.position, style: "asset-\(asset.condition)", label: "\(asset.code) \(asset.name)", href: nil)])
                .map { MapSVG.render($0, label: village.displayName(language)) }
        }
        let names = try await AssetService(req: req).componentNames()
        let detail = try await Self.detail(req, asset)
        let lines = detail.cases.map { c in
            CaseLine(id: c.id.uuidString.lowercased(), number: c.number, category: c.categoryName,
                     state: CaseState(rawValue: c.state)?.label.text(language) ?? c.state, reported: Timestamp.beijing(c.reportedAt),
                     closed: c.closedAt.map { Timestamp.beijing($0) })
        }
        let users = Dictionary(uniqueKeysWithValues: try await DirectoryStore(db: req.db).users().map { ($0.id, $0.displayName) })
        let inspections = try await InspectionStore(db: req.db).inspections(asset: asset.id).map { i in
            InspectionLine(id: i.id.uuidString.lowercased(), at: Timestamp.beijing(i.signedAt), by: users[i.userId] ?? i.signature, failed: i.failed,
                           failedItems: i.resultList.filter { !$0.passed }.map { "\($0.label)（\($0.value)）" }, cases: i.cases)
        }
        let signedID = ((try? req.query.get(String?.self, at: "inspection")) ?? nil)?.lowercased()
        let page = AssetPage(page: PageChrome(request: req, title: asset.name), detail: detail, map: svg,
                             canEdit: AssetAccess.mayEdit(actor), canLink: AssetAccess.mayLinkCases(actor), form: form, errors: errors,
                             components: names.sorted { $0.key < $1.key }.map { Choice(value: $0.key, label: "\($0.key) \($0.value)", selected: $0.key == form.component) },
                             conditions: AssetCondition.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == form.condition) },
                             linkCase: linkCase, cases: lines, inspections: inspections, signed: inspections.first { $0.id == signedID },
                             canInspect: OperationsAccess.scope(for: actor) != .nothing && actor.can(.casesWork))
        let response = try await req.page("asset", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func editForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let service = AssetService(req: req)
        let current = try await service.asset(req.parameters.get("id") ?? "")
        var form = try req.content.decode(AssetForm.self)
        form.code = current.code
        // The form edits the position; a line or outline stays as registered unless the position is moved.
        let keepsOutline = form.lat == String(current.lat) && form.long == String(current.long)
        do {
            let changed = try await service.edit(current.id.uuidString, form.input(outline: keepsOutline ? current.outline : nil))
            return req.redirect(to: "/assets/\(changed.id.uuidString.lowercased())")
        } catch {
            guard let errors = Self.messages(error, req.language) else { throw error }
            return try await assetPage(req, current, form: form, errors: errors, status: .unprocessableEntity)
        }
    }

    struct LinkForm: Content {
        var `case`: String?
    }

    @Sendable func linkForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let service = AssetService(req: req)
        let current = try await service.asset(req.parameters.get("id") ?? "")
        let form = try req.content.decode(LinkForm.self)
        do {
            _ = try await service.link(asset: current.id.uuidString, caseNumber: form.case ?? "")
            return req.redirect(to: "/assets/\(current.id.uuidString.lowercased())")
        } catch let error as DomainError {
            guard case .unprocessable = error else { if case .invalid = error {} else { throw error }; return try await linkRefused(req, current, form, error) }
            return try await linkRefused(req, current, form, error)
        }
    }

    private func linkRefused(_ req: Request, _ asset: AssetRow, _ form: LinkForm, _ error: DomainError) async throws -> Response {
        try await assetPage(req, asset, form: AssetForm(asset), errors: ["case": error.message(req.language)], linkCase: form.case ?? "",
                            status: error.status)
    }
}
