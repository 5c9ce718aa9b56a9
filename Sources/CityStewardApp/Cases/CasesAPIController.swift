import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// `/api/v1/cases` and what goes with it: intake, the queue, one case, workflow actions, device alerts, photos,
/// the taxonomy, matters and entrustments, the working calendar, the caller's notifications.
struct CasesAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped("api", "v1")
        api.on(.POST, "cases", body: .collect(maxSize: "64mb"), use: create)
        api.get("cases", use: list)
        api.get("cases", "export.csv", use: exportCSV)
        api.get("cases", "export.xlsx", use: exportXLSX)
        api.get("cases", ":caseID", use: show)
        api.on(.POST, "cases", ":caseID", "actions", body: .collect(maxSize: "64mb"), use: act)
        api.on(.POST, "device-alerts", body: .collect(maxSize: "16mb"), use: deviceAlert)
        api.get("photos", ":name", use: photo)
        api.get("categories", use: categories)
        api.get("categories", ":code", use: category)
        api.put("categories", ":code", use: editCategory)
        api.get("matters", use: matters)
        api.get("entrusted-matters", use: entrustedMatters)
        api.get("calendar", ":year", use: calendar)
        api.get("notifications", use: notifications)
    }

    // MARK: Intake

    struct CreateBody: Content {
        init() {}
        var category: String?
        var lat: Double?
        var long: Double?
        var crs: String?
        var placeCode: String?
        var description: String?
        var urgency: String?
        var source: String?
        var photos: [PhotoUpload]?
        var selfHandled: Bool?
        var handledNote: String?
    }

    static func position(lat: Double?, long: Double?, crs: String?) throws -> GeoPoint? {
        guard let lat, let long else {
            if lat != nil || long != nil {
                throw DomainError.refused("lat,long", zh: "lat 和 long 需要同时提供", en: "lat and long go together")
            }
            return nil
        }
        switch (crs ?? "wgs84").lowercased() {
        case "wgs84", "epsg:4326": return GeoPoint(lat: lat, long: long)
        case "gcj02", "gcj-02": return ChinaCoordinates.gcj02ToWGS84(GeoPoint(lat: lat, long: long))
        default: throw DomainError.invalid("crs", zh: "crs 应为 wgs84 或 gcj02", en: "crs must be wgs84 or gcj02")
        }
    }

    /// A number typed into a form field (empty: not given).
    static func decimal(_ text: String?, field: String) throws -> Double? {
        guard let t = text?.trimmingCharacters(in: .whitespaces), !t.isEmpty else { return nil }
        guard let v = Double(t), v.isFinite else { throw DomainError.invalid(field, zh: "\(field) 应为数字", en: "\(field) must be a number") }
        return v
    }

    /// A stored photo as an HTTP answer.
    static func photoResponse(_ data: Data, format: PhotoFormat, cacheControl: String) -> Response {
        let response = Response(status: .ok, body: .init(data: data))
        response.headers.contentType = HTTPMediaType(type: "image", subType: format == .jpeg ? "jpeg" : format.rawValue)
        response.headers.replaceOrAdd(name: .cacheControl, value: cacheControl)
        return response
    }

    /// A flat JSON body (every report without photos) read by the flat parser: Vapor's content decoding costs more
    /// than the rest of reading the request. Anything else — nesting, a value of the wrong type, other media types —
    /// goes through `Content`, which also words the errors.
    static func quickBody(_ req: Request) -> CreateBody? {
        guard Self.isJSON(req.headers.first(name: .contentType)), let buffer = req.body.data,
              let fields = buffer.withUnsafeReadableBytes({ FlatJSON.fields($0) }) else { return nil }
        var b = CreateBody()
        // Members in order, so a repeated key ends with its last value (null included), as in a dictionary.
        for (key, value) in fields {
            if let field = Self.textField(key) {
                switch value {
                case .string(let text): b[keyPath: field] = text
                case .null: b[keyPath: field] = nil
                default: return nil
                }
            } else if key == "lat" || key == "long" {
                let field: WritableKeyPath<CreateBody, Double?> = key == "lat" ? \.lat : \.long
                switch value {
                case .number(let n): b[keyPath: field] = n
                case .null: b[keyPath: field] = nil
                default: return nil
                }
            } else if key == "selfHandled" {
                switch value {
                case .bool(let flag): b.selfHandled = flag
                case .null: b.selfHandled = nil
                default: return nil
                }
            } else if key == "photos", value != .null {
                return nil
            }
        }
        return b
    }

    private static func textField(_ key: String) -> WritableKeyPath<CreateBody, String?>? {
        switch key {
        case "category": \.category
        case "crs": \.crs
        case "placeCode": \.placeCode
        case "description": \.description
        case "urgency": \.urgency
        case "source": \.source
        case "handledNote": \.handledNote
        default: nil
        }
    }

    /// `application/json`, with or without parameters, read from the header's text (the typed getter parses every
    /// directive of the header on each call).
    static func isJSON(_ contentType: String?) -> Bool {
        guard let value = contentType?.utf8 else { return false }
        let type = "application/json".utf8
        guard value.count >= type.count, zip(value, type).allSatisfy({ $0 | 0x20 == $1 | 0x20 }) else { return false }
        let rest = value.dropFirst(type.count)
        return rest.first.map { $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: " ") } ?? true
    }

    @Sendable func create(req: Request) async throws -> Response {
        let actor = try req.require(.casesReport)
        let body = try Self.quickBody(req) ?? req.content.decode(CreateBody.self)
        let allowed = CaseAccess.sources(for: actor)
        var source = allowed.first ?? .api
        if let text = body.source {
            let names = allowed.map(\.rawValue)
            // Not a source anyone may claim (the document's enum) is malformed (400); one this caller may not claim is
            // refused by rule (422).
            guard let s = CaseSource(rawValue: text), s != .device, s != .deliberation else {
                throw DomainError.invalid("source", zh: "source 应为 \(names.joined(separator: "、"))", en: "source must be \(names.joined(separator: ", "))")
            }
            guard allowed.contains(s) else {
                throw DomainError.refused("source", zh: "source 应为 \(names.joined(separator: "、"))", en: "source must be \(names.joined(separator: ", "))")
            }
            source = s
        }
        let report = CaseReport(category: body.category, position: try Self.position(lat: body.lat, long: body.long, crs: body.crs),
                                placeCode: body.placeCode, description: body.description, urgency: body.urgency)
        let input = ReportCase.Input(report: report, source: source,
                                     photos: try PhotoUpload.decode(body.photos, defaultRole: .report),
                                     selfHandled: body.selfHandled ?? false, handledNote: body.handledNote,
                                     idempotencyKey: req.headers.first(name: "Idempotency-Key").map { "\(actor.user.id):\($0)" })
        let outcome = try await ReportCase(request: req).run(input, actor: actor, now: req.now)
        var answer = CaseResponse(outcome.saved, language: req.language, now: req.now)
        answer.duplicateOf = outcome.duplicateOf.flatMap { dup in
            CaseAccess.mayNameNearbyCase(actor, outcome.saved.parties) ? .init(id: dup.id, number: dup.number) : nil
        }
        return Self.intakeResponse(answer, created: outcome.created)
    }

    static func intakeResponse(_ answer: CaseResponse, created: Bool) -> Response {
        var headers = HTTPHeaders()
        // Written as text: the typed setter and `uuidString` showed up in the intake's profile.
        headers.add(name: .contentType, value: "application/json; charset=utf-8")
        headers.add(name: .location, value: "/api/v1/cases/\(answer.id.text(uppercase: false))")
        return Response(status: created ? .created : .ok, headers: headers, body: .init(buffer: ByteBuffer(bytes: answer.intakeJSON())))
    }

    struct DeviceAlertBody: Content {
        var eventId: String?
        var device: String?
        var vendor: String?
        var type: String?
        var lat: Double?
        var long: Double?
        var crs: String?
        var confidence: Double?
        var description: String?
        var image: String?
    }

    /// An AI camera's (or sensor's) event, mapped to its category; the case waits for a human to verify it before filing.
    @Sendable func deviceAlert(req: Request) async throws -> Response {
        let actor = try req.require(.casesReport)
        let body = try req.content.decode(DeviceAlertBody.self)
        var missing: [String] = []
        if (body.eventId ?? "").isEmpty { missing.append("eventId") }
        if (body.device ?? "").isEmpty { missing.append("device") }
        if (body.type ?? "").isEmpty { missing.append("type") }
        if body.lat == nil || body.long == nil { missing.append("lat,long") }
        guard missing.isEmpty else {
            throw DomainError.invalid(missing.joined(separator: ","), zh: "缺少字段：\(missing.joined(separator: "、"))", en: "missing: \(missing.joined(separator: ", "))")
        }
        let reference = try await req.caseReference()
        // Only a registered device in the caller's areas raises alerts: sources count in the assessment.
        guard let device = try await DeviceStore(db: req.db).find(codes: [body.device!])[body.device!],
              let deviceArea = reference.areas[device.areaId], CaseAccess.mayRaiseAlert(actor, deviceAreaPath: deviceArea.path) else {
            throw DomainError.refused("device", zh: "设备 \(body.device!) 不在本单位的设备登记中", en: "device \(body.device!) is not in your organisation's device register")
        }
        guard let category = reference.taxonomy.deviceEvent(vendor: body.vendor, code: body.type!) else {
            throw DomainError.refused("type", zh: "无法识别的设备事件类型 \(body.type!)", en: "unknown device event type \(body.type!)")
        }
        if let c = body.confidence, !(0...1).contains(c) {
            throw DomainError.invalid("confidence", zh: "置信度应在 0~1 之间", en: "confidence is between 0 and 1")
        }
        let confidence = body.confidence.map { String(format: "%.2f", $0) } ?? "—"
        let description = body.description.flatMap { $0.trimmedWhitespace.isEmpty ? nil : $0 } ?? "设备 \(body.device!) 告警：\(body.type!)（\(category.name)，置信度 \(confidence)）"
        let report = CaseReport(category: category.code, position: try Self.position(lat: body.lat, long: body.long, crs: body.crs),
                                placeCode: nil, description: description, urgency: nil)
        let photos = try PhotoUpload.decode(body.image.map { [PhotoUpload(data: $0, role: "report")] }, defaultRole: .report)
        let input = ReportCase.Input(report: report, source: .device, photos: photos,
                                     idempotencyKey: "device:\(actor.user.id):\(body.device!):\(body.eventId!)",
                                     reporterName: "设备 \(body.device!)")
        let outcome = try await ReportCase(request: req).run(input, actor: actor, now: req.now)
        var answer = CaseResponse(outcome.saved, language: req.language, now: req.now)
        if !CaseAccess.mayNameNearbyCase(actor, outcome.saved.parties) { answer.duplicateOf = nil }
        return Self.intakeResponse(answer, created: outcome.created)
    }

    // MARK: Reading

    struct ListQuery: Content {
        var state: String?
        var overdue: Bool?
        var area: UUID?
        var category: String?
        var source: String?
        var supervised: Bool?
        var limit: Int?
        var offset: Int?
        /// The `next` of the page before: where this page starts (keyset; any depth).
        var after: String?
        /// The console's way back: the page that ends just before this cursor.
        var before: String?
        /// A case number (`LH-2026-000123`), or words its description contains.
        var q: String?

        init(state: String? = nil, overdue: Bool? = nil, area: UUID? = nil, category: String? = nil, source: String? = nil, supervised: Bool? = nil,
             limit: Int? = nil, offset: Int? = nil, after: String? = nil, before: String? = nil) {
            (self.state, self.overdue, self.area, self.category, self.source, self.supervised) = (state, overdue, area, category, source, supervised)
            (self.limit, self.offset, self.after, self.before) = (limit, offset, after, before)
        }

        /// A value of the wrong type is a 400 naming the field in the caller's language (the console's filter form
        /// leaves out the fields left on "all": `CasesWebController.queue`).
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            func text(_ key: CodingKeys) throws -> String? { try c.decodeIfPresent(String.self, forKey: key) }
            func flag(_ key: CodingKeys) throws -> Bool? {
                try text(key).map { value in
                    switch value.lowercased() {
                    case "true", "1", "on", "yes": return true
                    case "false", "0", "off", "no": return false
                    default: throw DomainError.invalid(key.stringValue, zh: "\(key.stringValue) 应为 true 或 false", en: "\(key.stringValue) must be true or false")
                    }
                }
            }
            func number(_ key: CodingKeys) throws -> Int? {
                try text(key).map { value in
                    guard let n = Int(value) else {
                        throw DomainError.invalid(key.stringValue, zh: "\(key.stringValue) 应为整数", en: "\(key.stringValue) must be a whole number")
                    }
                    return n
                }
            }
            state = try text(.state)
            overdue = try flag(.overdue)
            area = try text(.area).map { value in
                guard let id = UUID(uuidString: value) else { throw DomainError.invalid("area", zh: "area 应为区域 id（UUID）", en: "area must be an area id (UUID)") }
                return id
            }
            category = try text(.category)
            source = try text(.source)
            supervised = try flag(.supervised)
            limit = try number(.limit)
            offset = try number(.offset)
            after = try text(.after)
            before = try text(.before)
            q = try text(.q)
        }
    }

    struct CaseList: Content {
        var items: [CaseResponse]
        var total: Int
        var counts: [String: Int]
        var overdue: Int
        /// Pass as `after` for the next page; absent on the last.
        var next: String?
    }

    /// Where a page starts: an offset (at most `CaseStore.maxOffset`) or the cursor of the page before.
    static func start(_ q: ListQuery) throws -> (offset: Int, after: CaseCursor?, before: CaseCursor?) {
        let offset = q.offset ?? 0
        guard offset >= 0, offset <= CaseStore.maxOffset else {
            throw DomainError.invalid("offset", zh: "offset 应为 0~\(CaseStore.maxOffset)；更深的页请用上一页的 next 作为 after",
                                      en: "offset is 0 to \(CaseStore.maxOffset); for deeper pages pass the previous page's next as after")
        }
        func cursor(_ text: String?, _ field: String) throws -> CaseCursor? {
            guard let text, !text.isEmpty else { return nil }
            guard let cursor = CaseCursor(token: text) else {
                throw DomainError.invalid(field, zh: "\(field) 应为上一页返回的 next", en: "\(field) must be the next value of a page")
            }
            return cursor
        }
        return (offset, try cursor(q.after, "after"), try cursor(q.before, "before"))
    }

    static func filter(_ q: ListQuery, now: Date) throws -> CaseFilter {
        var states: [CaseState] = []
        if let text = q.state, !text.isEmpty {
            if text == "open" { states = CaseState.open } else {
                states = try text.split(separator: ",").map { part in
                    guard let s = CaseState(rawValue: String(part)) else {
                        throw DomainError.invalid("state", zh: "未知状态 \(part)", en: "unknown state \(part); one of open, \(CaseState.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    return s
                }
            }
        }
        var source: CaseSource?
        if let text = q.source, !text.isEmpty {
            guard let s = CaseSource(rawValue: text) else { throw DomainError.invalid("source", zh: "未知来源 \(text)", en: "unknown source \(text)") }
            source = s
        }
        var filter = CaseFilter(states: states, overdueAt: q.overdue == true ? now : nil, areaID: q.area,
                                categoryCode: (q.category ?? "").isEmpty ? nil : q.category, source: source, supervisedOnly: q.supervised == true)
        let search = (q.q ?? "").trimmingCharacters(in: .whitespaces)
        if !search.isEmpty {
            if search.range(of: #"^[A-Za-z]{2}-\d{4}-\d{6}$"#, options: .regularExpression) != nil {
                filter.numbers = [search.uppercased()]
            } else if search.count < 2 || search.count > 50 {
                throw DomainError.invalid("q", zh: "请输入完整的案件编号（如 LH-2026-000123）或 2~50 个字的描述关键词",
                                          en: "give a whole case number (e.g. LH-2026-000123) or 2–50 characters of its description")
            } else {
                filter.words = search
            }
        }
        return filter
    }

    @Sendable func list(req: Request) async throws -> CaseList {
        let actor = try req.requireActor()
        guard CaseAccess.mayList(actor) else {
            throw DomainError.forbidden(LocalizedText(zh: "该凭据只能上报案件", en: "this credential may report cases, not read them"))
        }
        let q = try req.query.decode(ListQuery.self)
        let now = req.now
        let filter = try Self.filter(q, now: now)
        let limit = min(max(q.limit ?? 50, 1), 200)
        let scope = CaseAccess.scope(for: actor)
        let (offset, after, _) = try Self.start(q)
        let (page, counts) = try await req.caseQueue(scope: scope, filter: filter, limit: limit, offset: offset, after: after)
        return CaseList(items: page.rows.map { CaseResponse($0.case, language: req.language, now: now) },
                        total: counts.total(states: filter.states, overdueOnly: filter.overdueAt != nil),
                        counts: Dictionary(uniqueKeysWithValues: counts.byState.map { ($0.key.rawValue, $0.value) }), overdue: counts.overdue,
                        next: page.next?.token)
    }

    /// The queue as a spreadsheet, with the list's filters.
    @Sendable func exportCSV(req: Request) async throws -> Response {
        try await ExportCases(req: req).csv(try req.query.decode(ListQuery.self))
    }

    @Sendable func exportXLSX(req: Request) async throws -> Response {
        try await ExportCases(req: req).xlsx(try req.query.decode(ListQuery.self))
    }

    static func caseID(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("caseID", as: UUID.self) else { throw CaseStore.notFound }
        return id
    }

    @Sendable func show(req: Request) async throws -> CaseResponse {
        let actor = try req.requireAny([.casesRead, .casesReport])
        let row = try await req.cases.find(try Self.caseID(req), scope: CaseAccess.scope(for: actor))
        return try await Self.detail(row.case, actor: actor, req: req)
    }

    static func detail(_ c: Case, actor: Actor, req: Request) async throws -> CaseResponse {
        var answer = CaseResponse(c, language: req.language, now: req.now)
        answer.events = CaseResponse.events(try await req.cases.events(of: c.id))
        answer.photos = CaseResponse.photos(try await req.cases.photos(of: c.id), staff: actor.can(.casesRead))
        answer.actions = CaseWorkflow.available(on: c.workflow, as: CaseAccess.capacities(of: actor, on: c.parties)).map(\.rawValue)
        if c.source == .hotline, actor.can(.casesRead), let ticket = try await HotlineStore(db: req.db).ticket(caseID: c.id) {
            answer.hotline = .init(ticket, pushes: try await HotlineStore(db: req.db).pushes(ticketID: ticket.id), language: req.language)
        }
        // A linked case is named only to a caller who may open it.
        let scope = CaseAccess.scope(for: actor)
        if let dup = c.duplicateOf {
            if let other = try? await req.cases.find(dup, scope: scope) { answer.duplicateOf?.number = other.number } else { answer.duplicateOf = nil }
        }
        if let merged = c.mergedInto {
            if let other = try? await req.cases.find(merged, scope: scope) { answer.mergedInto?.number = other.number } else { answer.mergedInto = nil }
        }
        return answer
    }

    struct ActionBody: Content {
        var action: String?
        var note: String?
        var hours: Double?
        var responsible: UUID?
        var category: String?
        var mergeInto: String?
        var lat: Double?
        var long: Double?
        var photos: [PhotoUpload]?
        var revision: Int?
    }

    @Sendable func act(req: Request) async throws -> CaseResponse {
        let actor = try req.require(.casesWork)
        let body = try req.content.decode(ActionBody.self)
        guard let text = body.action, !text.isEmpty else {
            throw DomainError.invalid("action", zh: "缺少 action", en: "action is required")
        }
        guard let action = CaseAction(rawValue: text) else {
            throw DomainError.invalid("action", zh: "未知操作 \(text)", en: "unknown action \(text); one of \(CaseAction.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let input = ActOnCase.Input(action: action, note: body.note, hours: body.hours, responsibleID: body.responsible, category: body.category,
                                    mergeInto: body.mergeInto, position: try Self.position(lat: body.lat, long: body.long, crs: nil),
                                    photos: try PhotoUpload.decode(body.photos, defaultRole: action == .handle ? .after : .evidence),
                                    expectedRevision: body.revision)
        let acted = try await ActOnCase(request: req).run(caseID: try Self.caseID(req), input: input, actor: actor, now: req.now)
        return try await Self.detail(acted, actor: actor, req: req)
    }

    /// A photo file: the public copy for anyone who may see the case; the original (with its metadata) for staff.
    @Sendable func photo(req: Request) async throws -> Response {
        let actor = try req.requireAny([.casesRead, .casesReport])
        let name = req.parameters.get("name") ?? ""
        let hash = (name as NSString).deletingPathExtension
        guard PhotoStorage.isValidName(hash), let photo = try await req.cases.photo(hash: hash),
              let format = PhotoFormat(rawValue: photo.format) else { throw Self.photoNotFound }
        // The photo is visible exactly when its case is (404 otherwise).
        _ = try await req.cases.find(photo.caseId, scope: CaseAccess.scope(for: actor))
        if hash == photo.hash, hash != photo.publicHash, !actor.can(.casesRead) { throw Self.photoNotFound }
        guard let data = try await req.application.photoStorage.read(hash: hash, format: format) else { throw Self.photoNotFound }
        return Self.photoResponse(data, format: format, cacheControl: "private, max-age=86400, immutable")
    }

    static let photoNotFound = DomainError.notFound(zh: "找不到该照片", en: "photo not found")

    // MARK: Taxonomy

    struct CategoryQuery: Content {
        var kind: String?
        var group: String?
        var q: String?
        var legacy: String?
    }

    @Sendable func categories(req: Request) async throws -> [CategoryResponse] {
        _ = try req.requireAny([.casesRead, .casesReport])
        let q = try req.query.decode(CategoryQuery.self)
        var kind = CategoryKind.event
        if let text = q.kind {
            guard let k = CategoryKind(rawValue: text) else {
                throw DomainError.invalid("kind", zh: "kind 应为 event（事件）或 component（部件）", en: "kind is event or component")
            }
            kind = k
        }
        let reference = try await req.caseReference()
        if let legacy = q.legacy {
            guard let c = reference.taxonomy.fromLegacy(legacy) else { return [] }
            return [CategoryResponse(c, version: reference.taxonomy.version(of: c.code), language: req.language)]
        }
        return reference.taxonomy.categories.filter { c in
            c.kind == kind && (q.group == nil || c.group.rawValue == q.group)
                && (q.q.map { t in c.name.contains(t) || c.nameEn.localizedCaseInsensitiveContains(t) || c.code.hasPrefix(t) } ?? true)
        }.map { CategoryResponse($0, version: reference.taxonomy.version(of: $0.code), language: req.language) }
    }

    struct CategoryDetail: Content {
        var category: CategoryResponse
        var versions: [Version]
        struct Version: Content {
            var version: Int
            var current: Bool
            var createdAt: String
            var note: String?
            var category: CategoryResponse
        }
    }

    @Sendable func category(req: Request) async throws -> CategoryDetail {
        try await Self.categoryDetail(code: req.parameters.get("code") ?? "", req: req)
    }

    /// One class with its versions: the query behind the API's answer and the console's edit page.
    static func categoryDetail(code: String, req: Request) async throws -> CategoryDetail {
        _ = try req.requireAny([.casesRead, .casesReport])
        let history = try await req.taxonomyStore.history(kind: .event, code: code)
        guard let current = history.first(where: \.isCurrent) else { throw CaseStore.notFoundCategory(code) }
        return CategoryDetail(category: CategoryResponse(current.category, version: current.version, language: req.language),
                              versions: history.map { .init(version: $0.version, current: $0.isCurrent, createdAt: Timestamp.iso($0.createdAt), note: $0.note,
                                                            category: CategoryResponse($0.category, version: $0.version, language: req.language)) })
    }

    struct EditBody: Content {
        struct Limit: Content {
            var amount: Double
            var unit: String
        }
        var name: String?
        var nameEn: String?
        var group: String?
        var limits: [String: Limit]?
        var beyondStewardAuthority: Bool?
        var ownerDepartment: String?
        var clearOwnerDepartment: Bool?
        var matter: String?
        var clearMatter: Bool?
        /// What handling a case of the class must leave on record (a note, a photo after).
        var handlingEvidence: HandlingEvidence?
        var note: String?
    }

    @Sendable func editCategory(req: Request) async throws -> CategoryDetail {
        let actor = try req.require(.taxonomyManage)
        let code = req.parameters.get("code") ?? ""
        let body = try req.content.decode(EditBody.self)
        _ = try await EditCategory(request: req).run(code: code, body: body, actor: actor)
        return try await category(req: req)
    }

    struct MatterResponse: Content {
        var code: String
        var name: String
        var domain: String
        var domainLabel: String
        var ownerDepartment: String?
        var categories: [String]
    }

    @Sendable func matters(req: Request) async throws -> [MatterResponse] {
        _ = try req.requireAny([.casesRead, .casesReport])
        let reference = try await req.caseReference()
        return reference.taxonomy.matters.map {
            MatterResponse(code: $0.code, name: $0.displayName(req.language), domain: $0.domain.rawValue, domainLabel: $0.domain.label.text(req.language),
                           ownerDepartment: $0.ownerDepartment, categories: $0.categories)
        }
    }

    struct EntrustmentResponse: Content {
        var matter: String
        var area: CaseResponse.Place
        var steward: CaseResponse.Party
        var validFrom: String
        var validTo: String?
        var contractReference: String
        var active: Bool
    }

    @Sendable func entrustedMatters(req: Request) async throws -> [EntrustmentResponse] {
        let actor = try req.require(.casesRead)
        let reference = try await req.caseReference()
        let scope = AccessPolicy.areaScope(for: actor)
        let now = req.now
        return reference.entrustments.filter { e in reference.areas[e.areaID].map(scope.includes) ?? false }.map { e in
            EntrustmentResponse(matter: e.matterCode, area: .init(id: e.areaID, name: e.areaName, placeCode: reference.areas[e.areaID]?.code),
                                steward: .init(id: e.steward.id, name: e.steward.name, kind: e.steward.kind.rawValue),
                                validFrom: Timestamp.iso(e.validFrom), validTo: Timestamp.iso(e.validTo), contractReference: e.contractReference,
                                active: e.isActive(at: now))
        }
    }

    struct CalendarResponse: Content {
        var year: Int
        var provisional: Bool
        var note: String
        var workingHours: [String]
        var holidays: [Holiday]
        var workdays: [String]
        struct Holiday: Content {
            var first: String
            var last: String
            var name: String
        }
    }

    @Sendable func calendar(req: Request) async throws -> CalendarResponse {
        guard let year = req.parameters.get("year", as: Int.self), (2000...2100).contains(year) else {
            throw DomainError.invalid("year", zh: "年份应为 2000~2100", en: "year must be 2000–2100")
        }
        let calendar = req.application.caseReference.calendar
        let data = calendar.years[year]
        let hours = calendar.periods.map { String(format: "%02d:%02d–%02d:%02d", $0.start / 3600, $0.start % 3600 / 60, $0.end / 3600, $0.end % 3600 / 60) }
        return CalendarResponse(
            year: year, provisional: data == nil,
            note: data == nil ? (req.language == .en ? "No published holiday schedule for \(year): weekends only (provisional)." : "\(year) 年节假日安排尚未发布：暂按周末计算（临时）。")
                : (req.language == .en ? "Published holiday schedule." : "已按国务院办公厅公布的节假日安排。"),
            workingHours: hours,
            holidays: (data?.holidays ?? []).map { .init(first: $0.first.description, last: $0.last.description, name: $0.name) },
            workdays: (data?.workdays ?? []).sorted().map(\.description))
    }

    struct NotificationResponse: Content {
        var id: UUID
        var kind: String
        var text: String
        var caseId: UUID?
        var createdAt: String
        var sentAt: String?
        /// Whether the caller has read it (each person of an organisation reads its notices on their own).
        var read: Bool
    }

    @Sendable func notifications(req: Request) async throws -> [NotificationResponse] {
        let inbox = try await NotificationsController.inbox(req)
        return inbox.rows.map {
            NotificationResponse(id: $0.id, kind: $0.kind, text: req.language == .en ? $0.textEn : $0.textZh, caseId: $0.caseId,
                                 createdAt: Timestamp.iso($0.createdAt), sentAt: Timestamp.iso($0.sentAt), read: inbox.read.contains($0.id))
        }
    }
}

/// Editing a category: a new version, checked before anything is stored.
struct EditCategory {
    let request: Request

    func run(code: String, body: CasesAPIController.EditBody, actor: Actor) async throws -> Int {
        try AccessPolicy.require(.taxonomyManage, actor)
        let reference = try await request.caseReference()
        guard var category = reference.taxonomy.eventCategory(code) else { throw CaseStore.notFoundCategory(code) }
        if let v = body.name { category.name = v.trimmedWhitespace }
        if let v = body.nameEn { category.nameEn = v.trimmedWhitespace }
        if let v = body.group {
            guard let g = CategoryGroup(rawValue: v) else { throw DomainError.invalid("group", zh: "未知分组 \(v)", en: "unknown group \(v)") }
            category.group = g
        }
        if let limits = body.limits {
            for (key, value) in limits {
                guard let urgency = Urgency(rawValue: key) else { throw DomainError.invalid("limits", zh: "未知紧急程度 \(key)", en: "unknown urgency \(key)") }
                guard let unit = TimeLimitUnit(rawValue: value.unit) else {
                    throw DomainError.invalid("limits.\(key).unit", zh: "时限单位应为 workingHours、workingDays 或 calendarHours", en: "unit must be workingHours, workingDays or calendarHours")
                }
                category.limits[urgency] = TimeLimit(amount: value.amount, unit: unit, isDefault: false, basis: "edited by \(actor.user.username)")
            }
        }
        if let v = body.beyondStewardAuthority { category.beyondStewardAuthority = v }
        if let v = body.handlingEvidence { category.handlingEvidence = v }
        if body.clearOwnerDepartment == true { category.ownerDepartment = nil } else if let v = body.ownerDepartment, !v.isEmpty { category.ownerDepartment = v }
        if body.clearMatter == true { category.matter = nil } else if let v = body.matter, !v.isEmpty { category.matter = v }
        let problems = category.problems(knownDepartments: Set(reference.departments.keys), knownMatters: Set(reference.taxonomy.matters.map(\.code)))
        if !problems.isEmpty {
            throw DomainError.unprocessable(field: problems.map(\.field).joined(separator: ","), LocalizedText(
                zh: problems.map(\.reason.zh).joined(separator: "；"), en: problems.map(\.reason.en).joined(separator: "; ")))
        }
        let version = try await request.taxonomyStore.save(category, editedBy: actor.user.id, note: body.note, at: request.now)
        request.application.caseReference.invalidate()
        try await request.audit(.ruleChanged, subject: "category:\(category.code)", detail: "version=\(version); \(body.note ?? "")")
        return version
    }
}
