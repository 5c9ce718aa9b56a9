import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The console's home page (the areas the user may see, each village on its map) and one page per area.
struct AreasWebController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(use: home)
        routes.get("areas", ":areaID", use: show)
        routes.post("areas", ":areaID", "takeover", use: setTakeover)
        routes.post("areas", ":areaID", "children", use: addChildForm)
        routes.post("areas", ":areaID", "name", use: renameForm)
        routes.post("api", "v1", "areas", ":areaID", "children", use: addChildAPI)
        routes.patch("api", "v1", "areas", ":areaID", use: renameAPI)
        routes.get("areas", ":areaID", "geojson", use: geojson)
    }

    struct VillageCard: Encodable {
        var id: String
        var name: String
        var code: String
        var grids: Int
        var svg: String?
    }

    struct StreetSection: Encodable {
        var id: String
        var name: String
        var code: String
        var linked: Bool
        var villages: [VillageCard]
    }

    struct HomePage: Encodable {
        var page: PageChrome
        var streets: [StreetSection]
        var villageCount: Int
        var scopeAll: Bool
    }

    @Sendable func home(req: Request) async throws -> Response {
        guard let actor = req.actor else { return req.redirect(to: "/login?next=/") }
        if CaseAccess.startsOnTasks(actor) { return req.redirect(to: "/tasks") }
        try AccessPolicy.require(.areasRead, actor)
        let language = req.language
        let scope = AccessPolicy.areaScope(for: actor)
        let visible = try await req.areas.list(scope: scope, includeShapes: true)
        let visibleIDs = Set(visible.map(\.id))
        let villages = visible.filter { $0.kind == .village }
        // Streets: those visible, plus the streets of visible villages (named for grouping, linked only if visible).
        var streetIDs = Set(villages.compactMap(\.streetID))
        streetIDs.formUnion(visible.filter { $0.kind == .street }.map(\.id))
        let streets = try await req.areas.list(scope: .everything, kind: .street).filter { streetIDs.contains($0.id) }
        let sections = streets.map { street in
            StreetSection(id: street.id.uuidString.lowercased(), name: street.displayName(language), code: street.code,
                          linked: visibleIDs.contains(street.id),
                          villages: villages.filter { $0.streetID == street.id }.map { village in
                              let inside = visible.filter { $0.parentID == village.id || ($0.kind == .building && $0.path.contains(village.id)) }
                              let map = AreaMap.draw(inside.map { AreaMap.Item(area: $0, href: "/areas/\($0.id.uuidString.lowercased())") },
                                                     outline: village, width: 360, language: language)
                              return VillageCard(id: village.id.uuidString.lowercased(), name: village.displayName(language), code: village.code,
                                                 grids: inside.filter { $0.kind == .grid }.count,
                                                 svg: map.map { MapSVG.render($0, label: village.displayName(language)) })
                          })
        }
        let page = HomePage(page: PageChrome(request: req, title: req.t("home.title")), streets: sections,
                            villageCount: villages.count, scopeAll: scope.isEverything)
        return try await req.page("home", page)
    }

    struct AreaPage: Encodable {
        var page: PageChrome
        var id: String
        var name: String
        var kind: String
        var code: String
        var areaSquareMetres: String?
        var centre: String?
        var crumbs: [Link]
        var children: [Link]
        var hasChildren: Bool
        var svg: String?
        var geojsonURL: String
        /// A village's takeover mode (plan §7(1)) and the contracts that cover it.
        var takeover: String?
        var takeoverDetail: String?
        var contracts: [Link] = []
        /// The form to record how the village came to the steward, for its street office (as typed after a refusal).
        var takeoverForm: TakeoverForm?
        var takeoverModes: [Choice] = []
        var takeoverErrors: [String: String] = [:]
        /// Whether the page offers an import of children from GeoJSON (the district office).
        var canImport = false
        /// A building's houses and residents, for those who read the register.
        var housesHref: String?
        /// The district office's forms: a child added, the area renamed (as typed after a refusal).
        var canEdit = false
        var childKinds: [Choice] = []
        var child: AreaForm = .init()
        var childErrors: [String: String] = [:]
        var rename: AreaForm = .init()
        var renameErrors: [String: String] = [:]
    }

    struct AreaForm: Content {
        var code: String?
        var kind: String?
        var name: String?
        var nameEn: String?

        var draft: AreaDraft { AreaDraft(code: code ?? "", kind: kind ?? "", name: name ?? "", nameEn: nameEn ?? "") }
    }

    struct TakeoverForm: Content {
        var mode: String?
        var since: String?
        var formerCompany: String?
        var note: String?
    }

    struct Link: Encodable {
        var name: String
        var code: String
        var kind: String
        var href: String?
    }

    @Sendable func show(req: Request) async throws -> Response {
        try await render(req, takeover: nil, errors: [:])
    }

    static func messages(_ problems: FieldProblems, _ language: Language) -> [String: String] { problems.messagesByField(language) }

    @Sendable func addChildForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let form = try req.content.decode(AreaForm.self)
        do {
            let child = try await EditAreas(req: req).addChild(under: req.parameters.get("areaID"), form.draft)
            return req.redirect(to: Self.href(child))
        } catch let problems as FieldProblems {
            return try await render(req, takeover: nil, errors: [:], child: form, childErrors: Self.messages(problems, req.language), status: .badRequest)
        }
    }

    @Sendable func renameForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let form = try req.content.decode(AreaForm.self)
        do {
            let area = try await EditAreas(req: req).rename(req.parameters.get("areaID"), form.draft)
            return req.redirect(to: Self.href(area))
        } catch let problems as FieldProblems {
            return try await render(req, takeover: nil, errors: [:], rename: form, renameErrors: Self.messages(problems, req.language), status: .badRequest)
        }
    }

    @Sendable func addChildAPI(req: Request) async throws -> Response {
        let child = try await EditAreas(req: req).addChild(under: req.parameters.get("areaID"), try req.content.decode(AreaForm.self).draft)
        return try await AreasAPIController.AreaResponse(child, language: req.language).encodeResponse(status: .created, for: req)
    }

    /// A new name (and English name); left out, the English name stays.
    @Sendable func renameAPI(req: Request) async throws -> AreasAPIController.AreaResponse {
        var form = try req.content.decode(AreaForm.self)
        let (_, current) = try await EditAreas(req: req).area(req.parameters.get("areaID"))
        if form.name == nil { form.name = current.name }
        if form.nameEn == nil { form.nameEn = current.nameEn }
        return AreasAPIController.AreaResponse(try await EditAreas(req: req).rename(req.parameters.get("areaID"), form.draft), language: req.language)
    }

    /// Records a village's takeover mode from its page (the street office); a refusal comes back as the page with the
    /// form as typed and each reason by its field.
    @Sendable func setTakeover(req: Request) async throws -> Response {
        let form = try req.content.decode(TakeoverForm.self)
        let actor = try req.consoleActor()
        guard let id = req.parameters.get("areaID").flatMap(UUID.init(uuidString:)),
              let village = try? await req.areas.find(id, scope: AccessPolicy.areaScope(for: actor), includeShape: false), village.kind == .village else {
            throw DomainError.notFound(zh: "没有这个城中村", en: "no such village")
        }
        // The form records the mode; the contracts that go with it (entered through the API) are kept.
        let kept = try await ContractStore(db: req.db).takeover(villageID: village.id)?.contracts.map {
            ContractsController.TakeoverContractView(counterparty: $0.counterparty.rawValue, kind: $0.kind.rawValue, reference: $0.reference,
                                                     signedOn: $0.signedOn.description, from: $0.from.description, to: $0.to?.description)
        }
        do {
            _ = try await ContractsService(req: req).setTakeover(villageCode: village.code, .init(mode: form.mode ?? "", since: form.since ?? "",
                                                                                                 formerCompany: form.formerCompany, contracts: kept, note: form.note))
            return req.redirect(to: Self.href(village))
        } catch let e as DomainError where FinanceWebController.mayComeBack(e) {
            var errors: [String: String] = [:]
            for (field, message) in e.messagesByField(req.language) {
                let slot = field.flatMap { ["mode", "since", "formerCompany", "note"].contains($0) ? $0 : nil } ?? "form"
                errors[slot] = [errors[slot], message].compactMap { $0 }.joined(separator: req.language == .en ? "; " : "；")
            }
            return try await render(req, takeover: form, errors: errors, status: .badRequest)
        }
    }

    func render(_ req: Request, takeover typed: TakeoverForm?, errors: [String: String], child: AreaForm? = nil, childErrors: [String: String] = [:],
                rename: AreaForm? = nil, renameErrors: [String: String] = [:], status: HTTPStatus = .ok) async throws -> Response {
        guard let actor = req.actor else {
            return req.redirect(to: "/login?next=" + (req.url.path.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "/"))
        }
        try AccessPolicy.require(.areasRead, actor)
        let language = req.language
        let scope = AccessPolicy.areaScope(for: actor)
        let area = try await req.areas.find(try AreasAPIController.areaID(req), scope: scope)
        let ancestors = try await req.areas.ancestors(of: area)
        let subtree = try await req.areas.list(scope: .subtrees([area.id]), includeShapes: true)
        let children = subtree.filter { $0.parentID == area.id }
        var map: AreaMap?
        switch area.kind {
        case .grid, .building:
            // A cell alone says little: draw its village (or community) around it and highlight it.
            let context = ancestors.last { $0.kind == .village || $0.kind == .community }
            if let context, let around = try? await req.areas.list(scope: .subtrees([context.id]), includeShapes: true) {
                let outline = around.first { $0.id == context.id }
                map = AreaMap.draw(around.filter { ($0.kind == .grid || $0.kind == .building) && $0.id != area.id }
                                       .map { AreaMap.Item(area: $0, href: scope.includes($0) ? Self.href($0) : nil) }
                                       + [AreaMap.Item(area: area, href: nil)],
                                   outline: outline?.shape == nil ? nil : outline, width: 800, language: language)
                if let index = map?.shapes.firstIndex(where: { $0.id == area.id.uuidString.lowercased() }) {
                    map?.shapes[index].kind = "selected"
                }
            }
        case .village:
            // The asset layer: the village's registered components, a pin each, coloured by condition.
            let assetScope = AssetAccess.scope(for: actor)
            let assets = assetScope == .nothing ? [] : try await AssetStore(db: req.db).list(assetScope, AssetFilter(underPath: Area.encodePath(area.path), limit: 500))
            let pins = assets.map { a in
                AreaMap.Pin(position: a.position, style: "asset-\(a.condition)", label: "\(a.code) \(a.name) · \(a.conditionValue.label.text(language))",
                            href: "/assets/\(a.id.uuidString.lowercased())")
            }
            map = AreaMap.draw(subtree.filter { $0.kind == .grid || $0.kind == .building }.map { AreaMap.Item(area: $0, href: Self.href($0)) },
                               outline: area.shape == nil ? nil : area, width: 800, language: language, pins: pins)
        default:
            // Streets, communities, the district: their villages and any grids held directly by a community.
            let communities = Set(subtree.filter { $0.kind == .community }.map(\.id))
            let drawn = subtree.filter { $0.kind == .village || ($0.kind == .grid && $0.parentID.map(communities.contains) == true) }
            map = AreaMap.draw(drawn.map { AreaMap.Item(area: $0, href: Self.href($0)) }, outline: area.shape == nil ? nil : area,
                               width: 800, language: language)
        }
        func link(_ a: Area, linked: Bool) -> Link {
            Link(name: a.displayName(language), code: a.code, kind: a.kind.label.text(language), href: linked ? Self.href(a) : nil)
        }
        let page = AreaPage(
            page: PageChrome(request: req, title: area.displayName(language)),
            id: area.id.uuidString.lowercased(), name: area.displayName(language), kind: area.kind.label.text(language), code: area.code,
            areaSquareMetres: area.shape.map { Self.formatArea($0.areaSquareMetres, language) },
            centre: area.centre.map { String(format: "%.5f, %.5f", $0.lat, $0.long) },
            crumbs: ancestors.map { link($0, linked: scope.includes($0)) },
            children: children.map { link($0, linked: true) },
            hasChildren: !children.isEmpty,
            svg: map.map { MapSVG.render($0, label: area.displayName(language)) },
            geojsonURL: "/areas/\(area.id.uuidString.lowercased())/geojson")
        var withMoney = page
        withMoney.canImport = actor.can(.areasManage) && area.kind != .building
        if area.kind == .building, actor.can(.residentsRead) { withMoney.housesHref = "/houses?building=\(area.code)" }
        if actor.can(.areasManage) {
            withMoney.canEdit = true
            let childForm = child ?? AreaForm(kind: area.kind.defaultChild?.rawValue)
            withMoney.child = childForm
            withMoney.childKinds = area.kind.allowedChildren.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == childForm.kind) }
            withMoney.childErrors = childErrors
            withMoney.rename = rename ?? AreaForm(name: area.name, nameEn: area.nameEn)
            withMoney.renameErrors = renameErrors
        }
        if area.kind == .village, let actor = req.actor {
            let store = ContractStore(db: req.db)
            if let t = try await store.takeover(villageID: area.id) {
                withMoney.takeover = t.mode.label.text(language) + (language == .en ? " since \(t.since)" : "，自 \(t.since)")
                withMoney.takeoverDetail = ([t.formerCompany].compactMap { $0 } + t.contracts.map { "\($0.reference)（\($0.from)）" }).joined(separator: " · ")
            }
            withMoney.contracts = try await store.list(scope: ContractAccess.scope(for: actor)).filter { $0.terms.areas.contains(area.code) }.map {
                Link(name: "\($0.number) \($0.terms.title)", code: $0.number, kind: $0.state.label.text(language), href: "/contracts/\($0.id)")
            }
            if let street = area.streetID, ContractAccess.mayManage(actor, streetID: street) {
                let current = try await store.takeover(villageID: area.id)
                let form = typed ?? TakeoverForm(mode: current?.mode.rawValue, since: current?.since.description ?? LocalDate.beijing(req.now).description,
                                                 formerCompany: current?.formerCompany, note: current?.note)
                withMoney.takeoverForm = form
                withMoney.takeoverModes = TakeoverMode.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == form.mode) }
                withMoney.takeoverErrors = errors
            }
        }
        return try await req.page("area", withMoney, status: status)
    }

    /// The console's GeoJSON download (the session-authenticated twin of the API's).
    @Sendable func geojson(req: Request) async throws -> Response {
        guard let actor = req.actor else { return req.redirect(to: "/login") }
        try AccessPolicy.require(.areasRead, actor)
        return try await AreasAPIController.geojson(req, actor: actor)
    }

    static func href(_ area: Area) -> String { "/areas/\(area.id.uuidString.lowercased())" }

    static func formatArea(_ m2: Double, _ language: Language) -> String {
        if m2 >= 100_000 { return String(format: "%.2f km²", m2 / 1_000_000) }
        return "\(Int(m2.rounded())) m²"
    }
}
