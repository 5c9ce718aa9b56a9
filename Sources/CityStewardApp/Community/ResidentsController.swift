import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The population register (实有人口): residents of the caller's areas, masked in every list and page; exact
/// search by phone or ID number through the blind index; revealing a full value is an explicit, audited action
/// for `residents:reveal` only; CSV import with a per-row report that imports nothing unless asked to keep the
/// valid rows; CSV export of what the caller may see (masked, scoped, audited).
struct ResidentsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("residents", use: page)
        routes.get("residents", "import", use: importPage)
        routes.get("residents", "export.csv", use: export)
        routes.on(.POST, "residents", "import", body: .collect(maxSize: "10mb"), use: importForm)
        routes.get("residents", ":id", use: detail)
        routes.post("residents", ":id", "reveal", use: revealForm)
        let api = routes.grouped("api", "v1", "residents")
        api.get(use: list)
        api.get("export.csv", use: export)
        api.on(.POST, "import", body: .collect(maxSize: "10mb"), use: importAPI)
        api.get(":id", use: one)
        api.post(":id", "reveal", use: revealAPI)
    }

    // MARK: Views

    struct ResidentView: Content {
        var id: UUID
        var name: String
        var idNumber: String
        var phone: String?
        var role: String
        var roleLabel: String
        var building: String
        var buildingName: String
        var unit: String
        var birthYear: Int
        var moveIn: String
        var moveOut: String?
        var relation: String?
        var relationLabel: String?
        var residence: String?
        var residenceLabel: String?
    }

    static func view(_ r: ResidentRow, _ reference: CaseReference, _ language: Language) -> ResidentView {
        ResidentView(id: r.id, name: r.nameMasked, idNumber: r.idMasked, phone: r.phoneMasked, role: r.role,
                     roleLabel: ResidentRole(rawValue: r.role)?.label.text(language) ?? r.role, building: r.buildingCode,
                     buildingName: reference.areas[r.areaId]?.displayName(language) ?? r.buildingCode, unit: r.unit, birthYear: r.birthYear,
                     moveIn: r.moveIn, moveOut: r.moveOut, relation: r.relation,
                     relationLabel: r.relation.flatMap(HouseholdRelation.init(rawValue:))?.label.text(language),
                     residence: r.residence, residenceLabel: r.residence.flatMap(ResidenceStatus.init(rawValue:))?.label.text(language))
    }

    struct Query: Content {
        var phone: String?
        var idNumber: String?
        var area: String?
        var page: Int?
        /// The `next` of the page before (the same as its page number).
        var after: String?
    }

    /// The filter from the query: exact phone or ID number (through the blind index), an area code.
    func filter(_ req: Request, _ reference: CaseReference) throws -> (ResidentStore.Filter, Query) {
        let q = try req.query.decode(Query.self)
        var f = ResidentStore.Filter()
        let cipher = req.application.fieldCipher
        if let text = q.phone, !text.isEmpty {
            guard let phone = PhoneNumber.parse(text) else { throw DomainError.unprocessable(field: "phone", PhoneNumber.problem) }
            f.phoneIndexes = phone.indexForms.flatMap { cipher.blindIndexes($0) }
        }
        if let text = q.idNumber, !text.isEmpty {
            switch IdentityNumber.parse(text) {
            case .success(let id): f.idIndexes = cipher.blindIndexes(id.value)
            case .failure(let problem): throw DomainError.unprocessable(field: "idNumber", problem.message)
            }
        }
        if let code = q.area, !code.isEmpty {
            guard let area = reference.areasByCode[code] else { throw DomainError.refused("area", zh: "没有区域代码 \(code)", en: "no area has the code \(code)") }
            f.underPath = Area.encodePath(area.path)
        }
        _ = try PageToken.page(page: q.page, after: q.after, max: Self.maxPage)
        return (f, q)
    }

    static let pageSize = 50
    /// The deepest page a list answers (the document says the same).
    static let maxPage = 100_000

    struct ListAnswer: Content {
        var items: [ResidentView]
        var total: Int
        var page: Int
        /// Pass as `after` for the page after this one; absent on the last.
        var next: String?
    }

    @Sendable func list(req: Request) async throws -> ListAnswer {
        let actor = try req.require(.residentsRead)
        let reference = try await req.caseReference()
        let (f, q) = try filter(req, reference)
        let page = try PageToken.page(page: q.page, after: q.after, max: Self.maxPage)
        let (rows, total) = try await ResidentStore(db: req.db).list(scope: AccessPolicy.areaScope(for: actor), filter: f,
                                                                    limit: Self.pageSize, offset: (page - 1) * Self.pageSize)
        return ListAnswer(items: rows.map { Self.view($0, reference, req.language) }, total: total, page: page,
                          next: PageToken.next(after: page, total: total, size: Self.pageSize))
    }

    func resident(_ req: Request, _ actor: Actor) async throws -> ResidentRow {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw ResidentStore.notFound }
        return try await ResidentStore(db: req.db).find(id, scope: AccessPolicy.areaScope(for: actor))
    }

    @Sendable func one(req: Request) async throws -> ResidentView {
        let actor = try req.require(.residentsRead)
        return Self.view(try await resident(req, actor), try await req.caseReference(), req.language)
    }

    // MARK: Reveal

    struct RevealBody: Content {
        var field: String?
        var reason: String?
    }

    struct Revealed: Content {
        var field: String
        var value: String
    }

    /// The full value of one field, for one stated reason; the reveal is an audit row before the value leaves.
    func reveal(_ req: Request, actor: Actor, body: RevealBody) async throws -> (ResidentRow, PersonalField, String) {
        let row = try await resident(req, actor)
        guard let field = body.field.flatMap(PersonalField.init(rawValue:)) else {
            throw DomainError.invalid("field", zh: "field 应为 name、idNumber 或 phone", en: "field is name, idNumber or phone")
        }
        // No reason at all does not follow the document (400); one too short once trimmed is refused by rule (422).
        guard let given = body.reason else { throw DomainError.invalid("reason", zh: "缺少字段 reason", en: "reason is required") }
        let reason = given.trimmingCharacters(in: .whitespacesAndNewlines)
        guard reason.count >= 2, reason.count <= 200 else {
            throw DomainError.refused("reason", zh: "请写明查看明文的理由（2~200 字）", en: "state why the full value is needed (2–200 characters)")
        }
        guard let sealed = row.sealed(field) else {
            throw DomainError.notFound(zh: "该居民没有登记\(field.label.zh)", en: "this resident has no \(field.label.en.lowercased())")
        }
        let value = try req.application.fieldCipher.open(sealed)
        try await req.audit(.reveal, subject: "resident:\(row.id.uuidString.lowercased())", detail: "field=\(field.rawValue); reason=\(reason)")
        return (row, field, value)
    }

    @Sendable func revealAPI(req: Request) async throws -> Response {
        let actor = try req.require(.residentsReveal)
        let (_, field, value) = try await reveal(req, actor: actor, body: try req.content.decode(RevealBody.self))
        let response = try await Revealed(field: field.rawValue, value: value).encodeResponse(for: req)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    // MARK: Import

    struct ImportAnswer: Content {
        var imported: Int
        /// People already registered whose rows the file brought up to date (door, phone, role, dates).
        var updated: Int = 0
        var rows: Int
        var problems: [Problem]

        struct Problem: Content {
            var row: Int
            var field: String
            var reason: String
        }
    }

    /// Checks the whole file; writes all valid rows in one transaction, or nothing when any row has a problem and
    /// `partial` is off.
    func importCSV(_ req: Request, actor: Actor, text: String, partial: Bool) async throws -> ImportAnswer {
        let reference = try await req.caseReference()
        let scope = AccessPolicy.areaScope(for: actor)
        let buildings = reference.areas.values.filter { $0.kind == .building && scope.includes($0) }
        let byCode = Dictionary(uniqueKeysWithValues: buildings.map { ($0.code, $0) })
        var (valid, problems) = ResidentCSV.parse(text, knownBuildings: Set(byCode.keys))
        let cipher = req.application.fieldCipher
        // A person already registered is brought up to date, not registered twice (matched by the ID number's index
        // under every key of the ring).
        let store = ResidentStore(db: req.db)
        let registered = try await store.rows(idIndexes: valid.flatMap { cipher.blindIndexes($0.resident.idNumber.value) })
        let scopePaths = scope
        var updates: [ResidentRow] = []
        valid.removeAll { v in
            guard let current = cipher.blindIndexes(v.resident.idNumber.value).lazy.compactMap({ registered[$0] }).first else { return false }
            guard scopePaths.includes(path: Area.decodePath(current.areaPath)) else {
                problems.append(ResidentCSV.RowProblem(row: v.row, field: "idNumber", reason: LocalizedText(
                    zh: "该身份证号已在辖区外登记", en: "this ID number is registered outside your areas")))
                return true
            }
            guard let building = byCode[v.resident.building], let fresh = try? ResidentStore.row(v.resident, in: building, cipher: cipher, now: req.now) else { return true }
            var row = current
            (row.areaId, row.areaPath, row.streetId, row.buildingCode, row.unit, row.role) = (fresh.areaId, fresh.areaPath, fresh.streetId, fresh.buildingCode, fresh.unit, fresh.role)
            if fresh.phoneSealed != nil { (row.phoneSealed, row.phoneMasked, row.phoneIndex) = (fresh.phoneSealed, fresh.phoneMasked, fresh.phoneIndex) }
            (row.moveIn, row.moveOut) = (fresh.moveIn, fresh.moveOut)
            updates.append(row)
            return true
        }
        problems.sort { ($0.row, $0.field) < ($1.row, $1.field) }
        let language = req.language
        let report = problems.map { ImportAnswer.Problem(row: $0.row, field: $0.field, reason: $0.reason.text(language)) }
        let total = valid.count + updates.count + Set(problems.map(\.row)).count
        guard problems.isEmpty || partial else { return ImportAnswer(imported: 0, updated: 0, rows: total, problems: report) }
        let now = req.now
        let rows = try valid.map { try ResidentStore.row($0.resident, in: byCode[$0.resident.building]!, cipher: cipher, now: now) }
        let changed = updates
        try await req.db.writeTransaction { tx in
            try await ResidentStore(db: tx).insert(rows)
            for row in changed { try await ResidentStore(db: tx).update(row) }
        }
        try await req.audit(.importData, subject: "residents", detail: "imported=\(rows.count); updated=\(updates.count); refused rows=\(Set(problems.map(\.row)).count)")
        return ImportAnswer(imported: rows.count, updated: updates.count, rows: total, problems: report)
    }

    @Sendable func importAPI(req: Request) async throws -> Response {
        let actor = try req.require(.residentsManage)
        guard let body = req.body.data, body.readableBytes > 0 else {
            throw DomainError.refused("body", zh: "文件是空的：请求体应为带表头的 CSV 文本", en: "the file is empty: the body is CSV text with its header row")
        }
        let partial = try req.flag("partial")
        let answer = try await importCSV(req, actor: actor, text: String(buffer: body), partial: partial)
        let status: HTTPResponseStatus = answer.problems.isEmpty ? .created : (partial ? .created : .unprocessableEntity)
        return try await answer.encodeResponse(status: status, for: req)
    }

    // MARK: Console

    struct Page: Encodable {
        var page: PageChrome
        var rows: [ResidentView]
        var total: Int
        var phone: String
        var idNumber: String
        var area: String
        var villages: [Choice]
        var canManage: Bool
        var nextPage: String?
        var previousPage: String?
        var exportLink: String
    }

    @Sendable func page(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        try AccessPolicy.require(.residentsRead, actor)
        let language = req.language
        let reference = try await req.caseReference()
        let (f, q) = try filter(req, reference)
        let pageNumber = q.page ?? 1
        let scope = AccessPolicy.areaScope(for: actor)
        let (rows, total) = try await ResidentStore(db: req.db).list(scope: scope, filter: f, limit: Self.pageSize, offset: (pageNumber - 1) * Self.pageSize)
        let pager = Pager.links(path: "/residents", filters: [("phone", q.phone), ("idNumber", q.idNumber), ("area", q.area)],
                                page: pageNumber, pageSize: Self.pageSize, total: total)
        let villages = reference.areas.values.filter { $0.kind == .village && scope.includes($0) }.sorted { $0.code < $1.code }
            .map { Choice(value: $0.code, label: $0.displayName(language), selected: $0.code == q.area) }
        let page = Page(page: PageChrome(request: req, title: language == .en ? "Residents" : "实有人口"), rows: rows.map { Self.view($0, reference, language) },
                        total: total, phone: q.phone ?? "", idNumber: q.idNumber ?? "", area: q.area ?? "", villages: villages,
                        canManage: actor.can(.residentsManage),
                        nextPage: pager.next, previousPage: pager.previous,
                        exportLink: Pager.link(path: "/residents/export.csv", filters: [("phone", q.phone), ("idNumber", q.idNumber), ("area", q.area)]))
        return try await req.page("residents", page)
    }

    struct DetailPage: Encodable {
        var page: PageChrome
        var r: ResidentView
        var canReveal: Bool
        var fields: [Choice]
        var revealedField: String?
        var revealedValue: String?
        /// The change form (phone, role, relation, residence, door, move-out), for those who register residents, as typed
        /// after a refusal.
        var canChange: Bool = false
        var change: HouseholdsController.ChangeBody = .init()
        var roles: [Choice] = []
        var relations: [Choice] = []
        var residences: [Choice] = []
        var errors: [String: String] = [:]
        var houseHref: String?
    }

    func renderDetail(_ req: Request, actor: Actor, row: ResidentRow, revealed: (PersonalField, String)?, typed: HouseholdsController.ChangeBody? = nil,
                      errors: [String: String] = [:], status: HTTPStatus = .ok) async throws -> Response {
        let language = req.language
        let view = Self.view(row, try await req.caseReference(), language)
        let fields = PersonalField.allCases.filter { row.sealed($0) != nil }.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: false) }
        var page = DetailPage(page: PageChrome(request: req, title: view.name), r: view, canReveal: actor.can(.residentsReveal), fields: fields,
                              revealedField: revealed?.0.label.text(language), revealedValue: revealed?.1)
        if HouseholdAccess.mayManage(actor), row.moveOut == nil {
            let change = typed ?? HouseholdsController.ChangeBody(role: row.role, relation: row.relation, residence: row.residence, unit: row.unit)
            page.canChange = true
            page.change = change
            page.roles = HouseholdsController.roles(change.role, language)
            page.relations = HouseholdsController.relations(change.relation, language)
            page.residences = HouseholdsController.residences(change.residence, language)
            page.errors = errors
        }
        if let house = try await HouseStore(db: req.db).list(buildingCode: row.buildingCode).first(where: { $0.unit == row.unit }) {
            page.houseHref = "/houses/\(house.id.uuidString.lowercased())"
        }
        let response = try await req.page("resident", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    /// A refused change comes back as the resident's page with the form as typed and each reason by its field.
    func changeRefused(_ req: Request, typed: HouseholdsController.ChangeBody, errors: [String: String]) async throws -> Response {
        let actor = try req.consoleActor()
        let row = try await resident(req, actor)
        return try await renderDetail(req, actor: actor, row: row, revealed: nil, typed: typed, errors: errors, status: .badRequest)
    }

    /// The session's one-time pass to show a value just revealed (post/redirect/get): which resident and field,
    /// until when. The value itself never goes into the session; the page opens it again, once.
    static let revealPassKey = "revealPass"

    @Sendable func detail(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        try AccessPolicy.require(.residentsRead, actor)
        let row = try await resident(req, actor)
        var revealed: (PersonalField, String)?
        if let pass = req.session.data[Self.revealPassKey] {
            req.session.data[Self.revealPassKey] = nil   // spent: a reload shows the masked value and logs nothing
            let parts = pass.split(separator: "|").map(String.init)
            if parts.count == 3, parts[0] == row.id.uuidString, let field = PersonalField(rawValue: parts[1]),
               let until = Double(parts[2]), Date(timeIntervalSince1970: until) > req.now, actor.can(.residentsReveal),
               let sealed = row.sealed(field) {
                revealed = (field, try req.application.fieldCipher.open(sealed))
            }
        }
        return try await renderDetail(req, actor: actor, row: row, revealed: revealed)
    }

    /// Reveals (one audit row) and sends the browser to the resident's page, which shows the value once: reloading
    /// that page neither asks to reveal again nor logs a second reveal.
    @Sendable func revealForm(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        try AccessPolicy.require(.residentsReveal, actor)
        let (row, field, _) = try await reveal(req, actor: actor, body: try req.content.decode(RevealBody.self))
        req.session.data[Self.revealPassKey] = "\(row.id.uuidString)|\(field.rawValue)|\(req.now.addingTimeInterval(60).timeIntervalSince1970)"
        return req.redirect(to: "/residents/\(row.id.uuidString.lowercased())", redirectType: .normal)
    }

    struct ImportPage: Encodable {
        var page: PageChrome
        var result: ImportAnswer?
        var columns: String
    }

    @Sendable func importPage(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        try AccessPolicy.require(.residentsManage, actor)
        return try await req.page("residents-import", ImportPage(page: PageChrome(request: req, title: req.language == .en ? "Import residents" : "导入实有人口"),
                                                                 result: nil, columns: Self.columnsHint))
    }

    static let columnsHint = "姓名,身份证号,手机号,身份,楼栋代码,房号,入住日期,迁出日期"

    struct ImportFormBody: Content {
        var file: File?
        var partial: String?
    }

    @Sendable func importForm(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        try AccessPolicy.require(.residentsManage, actor)
        let body = try req.content.decode(ImportFormBody.self)
        guard let file = body.file, file.data.readableBytes > 0 else {
            throw DomainError.invalid("file", zh: "请选择 CSV 文件", en: "choose a CSV file")
        }
        let answer = try await importCSV(req, actor: actor, text: String(buffer: file.data), partial: body.partial == "on" || body.partial == "true")
        let page = ImportPage(page: PageChrome(request: req, title: req.language == .en ? "Import residents" : "导入实有人口"), result: answer, columns: Self.columnsHint)
        return try await req.page("residents-import", page, status: answer.imported == 0 && !answer.problems.isEmpty ? .badRequest : .ok)
    }

    // MARK: Export

    /// Every resident the filter finds in the caller's areas, as the caller sees them (masked: an export never
    /// reveals), as CSV; one audit row with the count and the filter.
    @Sendable func export(req: Request) async throws -> Response {
        let actor = try req.require(.residentsRead)
        let reference = try await req.caseReference()
        let (f, q) = try filter(req, reference)
        let language = req.language
        let store = ResidentStore(db: req.db)
        var views: [ResidentView] = []
        while true {
            let (rows, _) = try await store.list(scope: AccessPolicy.areaScope(for: actor), filter: f, limit: 1000, offset: views.count)
            views += rows.map { Self.view($0, reference, language) }
            if rows.count < 1000 { break }
        }
        let header = language == .en
            ? ["name", "id_number", "phone", "role", "building", "building_name", "unit", "birth_year", "move_in", "move_out"]
            : ["姓名", "身份证号", "手机号", "身份", "楼栋代码", "楼栋", "房号", "出生年份", "入住日期", "迁出日期"]
        let csv = CSV.document(header: header, rows: views.map {
            [$0.name, $0.idNumber, $0.phone ?? "", $0.roleLabel, $0.building, $0.buildingName, $0.unit, String($0.birthYear), $0.moveIn, $0.moveOut ?? ""]
        })
        let filterText = [("area", q.area), ("phone", q.phone.map { _ in "…" }), ("idNumber", q.idNumber.map { _ in "…" })]
            .compactMap { k, v in v.flatMap { $0.isEmpty ? nil : "\(k)=\($0)" } }.joined(separator: "; ")
        try await req.audit(.export, subject: "residents", detail: "rows=\(views.count); masked" + (filterText.isEmpty ? "" : "; " + filterText))
        return CSVResponse.make(csv, filename: "residents.csv")
    }
}
