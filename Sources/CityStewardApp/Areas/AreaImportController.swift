import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Area imports over HTTP, on `ImportAreas` like the command line: `POST /api/v1/areas/import?parent=&replace=&dryRun=`
/// with the GeoJSON as the body, and in the console an upload on the area's page that shows what will change before
/// it is applied (`/areas/{id}/import` → preview → confirm). The district office only (`areas:manage`).
struct AreaImportController: RouteCollection {
    static let maxBody: ByteCount = "32mb"

    func boot(routes: any RoutesBuilder) throws {
        routes.on(.POST, "api", "v1", "areas", "import", body: .collect(maxSize: Self.maxBody), use: importAPI)
        routes.on(.POST, "areas", ":areaID", "import", body: .collect(maxSize: Self.maxBody), use: importForm)
    }

    struct ImportView: Content {
        var parent: String
        /// False for a dry run: nothing was written.
        var applied: Bool
        var created: [String]
        var changed: [Changed]
        var unchanged: Int

        struct Changed: Content {
            var code: String
            var name: String
            var previousName: String
            var outline: Bool
            var renamed: Bool
        }

        init(_ o: ImportAreas.Outcome) {
            parent = o.parent.code
            applied = o.applied
            created = o.plan.creates.map(\.code)
            changed = o.plan.changes.map { Changed(code: $0.feature.code, name: $0.feature.name, previousName: $0.current.name, outline: $0.reshaped, renamed: $0.renamed) }
            unchanged = o.plan.unchanged.count
        }
    }

    static func flag(_ req: Request, _ name: String) -> Bool {
        guard let text = try? req.query.get(String.self, at: name) else { return false }
        return ["true", "1", "yes", "on"].contains(text.lowercased())
    }

    /// Runs the import and, when it wrote something, refreshes what reads areas and leaves an audit row.
    static func run(_ req: Request, _ data: Data, parentCode: String, replace: Bool, dryRun: Bool) async throws -> Result<ImportAreas.Outcome, GeoJSONProblems> {
        let actor = try req.require(.areasManage)
        let result = try await ImportAreas(store: AreaStore(db: req.db)).run(data, parentCode: parentCode, replace: replace, dryRun: dryRun)
        if case .success(let o) = result, o.applied, !o.plan.writesNothing {
            req.application.gridLocator.invalidate()
            req.application.caseReference.invalidate()
            try await req.audit(.importData, subject: "areas:\(o.parent.code)",
                                detail: "\(o.created.count) new, \(o.changed.count) changed (\(o.changed.map(\.code).joined(separator: ","))) by \(actor.user.username)")
        }
        return result
    }

    @Sendable func importAPI(req: Request) async throws -> ImportView {
        _ = try req.require(.areasManage)
        guard let parent = try? req.query.get(String.self, at: "parent"), !parent.isEmpty else {
            throw DomainError.invalid("parent", zh: "请用 ?parent= 写明上级区域代码", en: "name the parent area's code with ?parent=")
        }
        guard let body = req.body.data, body.readableBytes > 0 else {
            throw DomainError.invalid("body", zh: "请求体应为 GeoJSON FeatureCollection", en: "the body is a GeoJSON FeatureCollection")
        }
        switch try await Self.run(req, Data(buffer: body), parentCode: parent, replace: Self.flag(req, "replace"), dryRun: Self.flag(req, "dryRun")) {
        case .success(let outcome): return ImportView(outcome)
        case .failure(let problems):
            throw ValidationProblems(summary: LocalizedText(zh: "文件有 \(problems.problems.count) 处问题，未导入任何区域",
                                                            en: "the file has \(problems.problems.count) problem(s); nothing was imported"), problems: problems.problems)
        }
    }

    // MARK: Console

    /// The upload (a file), or the confirmation of a preview (the same GeoJSON sent back as text).
    struct ImportForm: Content {
        var file: File?
        var geojson: String?
        var replace: String?
        var confirm: String?
    }

    struct PreviewPage: Encodable {
        var page: PageChrome
        var parentID: String
        var parentName: String
        var parentCode: String
        var replace: Bool
        var geojson: String
        var created: [Row]
        var changed: [Row]
        var unchanged: Int
        var writesNothing: Bool
        var before: String?
        var after: String?
        var problems: [String]
        var done: Bool
    }

    struct Row: Encodable {
        var code: String
        var name: String
        var what: String
    }

    @Sendable func importForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let (_, parent) = try await EditAreas(req: req).area(req.parameters.get("areaID"))
        let id = parent.id
        let form = try req.content.decode(ImportForm.self)
        let text: String
        if let file = form.file, file.data.readableBytes > 0 { text = String(buffer: file.data) } else { text = form.geojson ?? "" }
        let replace = form.replace == "on" || form.replace == "true"
        let confirm = form.confirm == "1"
        let language = req.language
        let result = try await Self.run(req, Data(text.utf8), parentCode: parent.code, replace: replace, dryRun: !confirm)
        var page = PreviewPage(page: PageChrome(request: req, title: (language == .en ? "Import under " : "导入到 ") + parent.displayName(language)),
                               parentID: id.uuidString.lowercased(), parentName: parent.displayName(language), parentCode: parent.code, replace: replace,
                               geojson: text, created: [], changed: [], unchanged: 0, writesNothing: true, before: nil, after: nil, problems: [], done: false)
        switch result {
        case .failure(let problems):
            page.problems = problems.problems.map { $0.describe(language) }
            return try await req.page("area-import", page, status: .badRequest)
        case .success(let o):
            page.done = o.applied
            page.writesNothing = o.plan.writesNothing
            page.unchanged = o.plan.unchanged.count
            page.created = o.plan.creates.map { Row(code: $0.code, name: $0.name, what: $0.kind.label.text(language)) }
            page.changed = o.plan.changes.map { c in
                var what: [String] = []
                if c.reshaped { what.append(language == .en ? "outline replaced" : "替换边界") }
                if c.renamed { what.append(language == .en ? "renamed from \(c.current.name)" : "名称由“\(c.current.name)”改为“\(c.feature.name)”") }
                return Row(code: c.feature.code, name: c.feature.name, what: what.joined(separator: language == .en ? "; " : "；"))
            }
            // Before and after, side by side: the parent's children as stored, then as the file would leave them.
            let children = try await AreaStore(db: req.db).list(scope: .everything, parentID: parent.id, includeShapes: true)
            let replaced = Dictionary(uniqueKeysWithValues: o.plan.changes.map { ($0.current.id, $0.feature) })
            let afterAreas = children.map { a -> Area in
                guard let f = replaced[a.id] else { return a }
                var b = a
                b.shape = f.shape
                b.name = f.name
                return b
            } + o.plan.creates.map { f in
                Area(id: UUID(), kind: f.kind, code: f.code, name: f.name, nameEn: f.nameEn, parentID: parent.id, streetID: parent.streetID,
                     path: parent.path, shape: f.shape, centre: f.shape.labelPoint)
            }
            if !o.applied {
                page.before = AreaMap.draw(children.map { AreaMap.Item(area: $0, href: nil) }, outline: parent, width: 480, language: language)
                    .map { MapSVG.render($0, label: (language == .en ? "Now: " : "现在：") + parent.displayName(language)) }
                page.after = AreaMap.draw(afterAreas.map { AreaMap.Item(area: $0, href: nil) }, outline: parent, width: 480, language: language)
                    .map { MapSVG.render($0, label: (language == .en ? "After the import: " : "导入后：") + parent.displayName(language)) }
            }
            return try await req.page("area-import", page)
        }
    }
}
