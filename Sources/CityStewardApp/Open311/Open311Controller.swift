import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Open311 GeoReport v2 at `/open311/v2/` (reference/open311.md): discovery, services, service definitions, POST
/// and GET requests, tokens, and mySociety's GET servicerequestupdates, in XML and JSON as the spec shapes them.
/// Services are the national matter classes; a request is a case (its number is the service_request_id).
struct Open311Controller: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let v2 = routes.grouped("open311", "v2")
        v2.get(":resource", use: resource)
        v2.on(.POST, ":resource", body: .collect(maxSize: "64mb"), use: post)
        v2.get("services", ":file", use: serviceDefinition)
        v2.get("requests", ":file", use: request)
        v2.get("tokens", ":file", use: token)
        routes.get("open311", "**") { _ -> Response in throw Self.noSuchResource }
        routes.post("open311", "**") { _ -> Response in throw Self.noSuchResource }
    }

    static let noSuchResource = DomainError.notFound(zh: "没有这个 Open311 资源（如 services.xml、requests.json）",
                                                     en: "no such Open311 resource (e.g. services.xml, requests.json)")
    static let specification = "http://wiki.open311.org/GeoReport_v2"
    /// "Default query limit is a span of 90 days or first 1000 requests returned, whichever is smallest."
    static let maxSpan: TimeInterval = 90 * 24 * 3600
    static let maxPageSize = 1000

    func split(_ req: Request, _ name: String) throws -> (name: String, format: Open311Format) {
        guard let parts = Open311Format.split(req.parameters.get(name) ?? "") else { throw Self.noSuchResource }
        return parts
    }

    // MARK: GET {resource}.{format}

    @Sendable func resource(req: Request) async throws -> Response {
        let (name, format) = try split(req, "resource")
        try checkJurisdiction(req)
        switch name {
        case "discovery": return discovery(req).response(format)
        case "services": return try await services(req).response(format)
        case "requests": return try await requests(req).response(format)
        case "servicerequestupdates": return try await updates(req).response(format)
        default: throw Self.noSuchResource
        }
    }

    /// One endpoint serves one jurisdiction: `jurisdiction_id` may be left out; a different one is 404.
    func checkJurisdiction(_ req: Request, value: String? = nil) throws {
        let given = value ?? (try? req.query.get(String.self, at: "jurisdiction_id"))
        guard let given, !given.isEmpty else { return }
        guard Self.jurisdictions(req).contains(given.lowercased()) else {
            throw DomainError.notFound(zh: "本接口只服务龙华区（jurisdiction_id 为 \(Self.jurisdictions(req)[0])），不认识 \(given)",
                                       en: "this endpoint serves Longhua District only (jurisdiction_id \(Self.jurisdictions(req)[0])); \(given) is unknown")
        }
    }

    static func jurisdictions(_ req: Request) -> [String] {
        let host = URL(string: PortalController.baseURL(req))?.host?.lowercased() ?? "127.0.0.1"
        return [host, "longhua", "440309"]
    }

    func discovery(_ req: Request) -> Open311Document {
        let base = PortalController.baseURL(req)
        return Open311Document(root: "discovery", value: .object([
            ("changeset", .string(Open311Projection.datetime(Date(timeIntervalSince1970: 1_764_547_200)))),
            ("contact", .string("龙华区城市管家专项工作组办公室 · Longhua City Steward Working Group Office")),
            ("key_service", .string("\(base)/api/v1/auth/token (API keys are issued by the district office)")),
            ("endpoints", .list(item: "endpoint", [.object([
                ("specification", .string(Self.specification)),
                ("url", .string("\(base)/open311/v2")),
                ("changeset", .string(Open311Projection.datetime(Date(timeIntervalSince1970: 1_764_547_200)))),
                ("type", .string("production")),
                ("formats", .list(item: "format", [.string("text/xml"), .string("application/json")])),
            ])])),
        ]))
    }

    // MARK: Services

    static func keywords(_ c: CaseCategory, _ language: Language) -> String {
        var words = [c.name, c.majorName, c.group.label.zh]
        words += ResidentTopic.all.filter { $0.category == c.code }.map(\.name.zh)
        if language == .en { words += [c.nameEn, c.group.label.en] }
        var seen = Set<String>()
        return words.filter { seen.insert($0).inserted }.joined(separator: ",")
    }

    static func limitText(_ c: CaseCategory, _ language: Language) -> String {
        guard let limit = c.limit(.normal) else { return "" }
        let amount = limit.amount == limit.amount.rounded() ? String(Int(limit.amount)) : String(limit.amount)
        switch (limit.unit, language) {
        case (.workingHours, .en): return "\(amount) working hours"
        case (.workingDays, .en): return "\(amount) working days"
        case (.calendarHours, .en): return "\(amount) hours"
        case (.workingHours, _): return "\(amount) 个工作时"
        case (.workingDays, _): return "\(amount) 个工作日"
        case (.calendarHours, _): return "\(amount) 小时"
        }
    }

    func services(_ req: Request) async throws -> Open311Document {
        let language = req.language
        let reference = try await req.caseReference()
        let items = reference.taxonomy.categories.filter { $0.kind == .event }.map { c -> Open311Value in
            let description = language == .en
                ? "\(c.majorNameEn). Time limit: \(Self.limitText(c, language))."
                : "\(c.majorName)。处置时限：\(Self.limitText(c, language))。"
            return .object([
                ("service_code", .string(c.code)),
                ("service_name", .string(c.displayName(language))),
                ("description", .string(description)),
                ("metadata", .bool(true)),
                ("type", .string("realtime")),
                ("keywords", .string(Self.keywords(c, language))),
                ("group", .string(c.group.label.text(language))),
            ])
        }
        return Open311Document(root: "services", value: .list(item: "service", items))
    }

    @Sendable func serviceDefinition(req: Request) async throws -> Response {
        let (code, format) = try split(req, "file")
        try checkJurisdiction(req)
        let language = req.language
        let reference = try await req.caseReference()
        guard let category = reference.taxonomy.eventCategory(code) else {
            throw DomainError.notFound(zh: "没有服务代码 \(code)", en: "no service has the code \(code)")
        }
        let urgency: Open311Value = .object([
            ("variable", .bool(true)),
            ("code", .string("urgency")),
            ("datatype", .string("singlevaluelist")),
            ("required", .bool(false)),
            ("datatype_description", .string(language == .en ? "Urgent cases have the shorter time limit" : "紧急案件适用更短的处置时限")),
            ("order", .int(1)),
            ("description", .string(language == .en ? "Urgency" : "紧急程度")),
            ("values", .list(item: "value", Urgency.allCases.map { u in
                .object([("key", .string(u.rawValue)), ("name", .string(u.label.text(language)))])
            })),
        ])
        let doc = Open311Document(root: "service_definition", value: .object([
            ("service_code", .string(category.code)),
            ("attributes", .list(item: "attribute", [urgency])),
        ]))
        return doc.response(format)
    }

    // MARK: POST requests

    struct PostBody: Content {
        var api_key: String?
        var jurisdiction_id: String?
        var service_code: String?
        var lat: String?
        var long: String?
        var crs: String?
        var address_string: String?
        var address_id: String?
        var email: String?
        var device_id: String?
        var account_id: String?
        var first_name: String?
        var last_name: String?
        var phone: String?
        var description: String?
        var media_url: String?
        var attribute: [String: String]?
        var media: File?
    }

    static let maxDescription = 4000

    @Sendable func post(req: Request) async throws -> Response {
        let (name, format) = try split(req, "resource")
        guard name == "requests" else {
            throw DomainError.notFound(zh: "只能向 requests 提交（POST requests.xml 或 requests.json）", en: "only requests can be posted (POST requests.xml or requests.json)")
        }
        let body = try req.content.decode(PostBody.self)
        try checkJurisdiction(req, value: body.jurisdiction_id)
        // A key, when sent, must be valid and allowed to report; without one, only if anonymous posting is on.
        var actor: Actor?
        if let key = body.api_key, !key.isEmpty {
            guard let token = try await req.directory.verifyToken(key, now: req.now),
                  let found = try await req.directory.actor(userID: token.userID, keyScopes: token.kind == .apiKey ? (token.scopes ?? []) : nil, now: req.now),
                  found.can(.casesReport) else {
                throw DomainError.forbidden(LocalizedText(zh: "api_key 无效或无权提交", en: "invalid api_key received, or it may not submit requests"))
            }
            actor = found
        } else if !req.config.acceptsAnonymousOpen311 {
            throw DomainError.forbidden(LocalizedText(zh: "缺少 api_key（本站不接受匿名提交）", en: "an api_key is required (this endpoint does not take anonymous requests)"))
        }
        let reference = try await req.caseReference()
        guard let code = body.service_code, !code.isEmpty else {
            throw DomainError.invalid("service_code", zh: "缺少 service_code", en: "service_code is required")
        }
        guard let category = reference.taxonomy.eventCategory(code) else {
            throw DomainError.notFound(zh: "没有服务代码 \(code)", en: "service_code \(code) was not found")
        }
        let position = try CasesAPIController.position(lat: try CasesAPIController.decimal(body.lat, field: "lat"),
                                                       long: try CasesAPIController.decimal(body.long, field: "long"), crs: body.crs)
        let placeCode = (body.address_id ?? "").isEmpty ? nil : body.address_id
        if position == nil, placeCode == nil {
            throw DomainError.invalid("lat", zh: (body.address_string ?? "").isEmpty ? "缺少位置：lat/long 或 address_id（地点代码）"
                                                : "仅凭 address_string 无法定位，请提供 lat/long 或 address_id（地点代码）",
                                      en: (body.address_string ?? "").isEmpty ? "a location is required: lat and long, or address_id (a place code)"
                                                : "address_string alone cannot be located; send lat and long, or address_id (a place code)")
        }
        let text = (body.description ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count <= Self.maxDescription else {
            throw DomainError.invalid("description", zh: "描述不能超过 \(Self.maxDescription) 字", en: "a description is at most \(Self.maxDescription) characters")
        }
        var urgency: String?
        if let u = body.attribute?["urgency"], !u.isEmpty {
            guard Urgency(rawValue: u) != nil else {
                throw DomainError.invalid("attribute[urgency]", zh: "attribute[urgency] 应为 normal 或 urgent", en: "attribute[urgency] must be normal or urgent")
            }
            urgency = u
        }
        // Never refused for its contact number: what cannot be read is kept as written, sealed, and flagged.
        let phone = ContactNumber.read(body.phone)
        var description = text.isEmpty ? category.name : text
        if let media = body.media_url, !media.isEmpty {
            // Remote media are not fetched (the server sends no requests outside); the link is kept with the report.
            description += "\n[media_url] " + media
        }
        let photos = CasesWebController.fileData(body.media).map { [(data: $0, role: PhotoRole.report)] } ?? []
        let reporterName = [body.last_name, body.first_name].compactMap { $0?.isEmpty == false ? $0 : nil }.joined()
        let report = CaseReport(category: category.code, position: position, placeCode: position == nil ? placeCode : nil,
                                description: description, urgency: urgency)
        // FixMyStreet-style senders name their own report id: a retry of the same id answers with the same case.
        let senderID = body.attribute?["fixmystreet_id"] ?? body.attribute?["external_id"]
        let idempotencyKey = senderID.flatMap { $0.isEmpty ? nil : "open311:\(actor?.user.id.uuidString ?? "public"):\($0)" }
        let input = ReportCase.Input(report: report, source: actor.flatMap { CaseAccess.sources(for: $0).first } ?? .resident, photos: photos,
                                     idempotencyKey: idempotencyKey,
                                     reporterName: reporterName.isEmpty ? (actor == nil ? "Open311 居民" : nil) : reporterName,
                                     resident: actor == nil || phone != nil ? .init(phone: phone, language: req.language, formKey: nil) : nil)
        let outcome = try await ReportCase(request: req).run(input, actor: actor, now: req.now)
        let saved = outcome.saved
        let notice = req.language == .en
            ? "Routed to \(saved.responsible.name); expected by \(Open311Projection.datetime(saved.workflow.deadline))."
            : "已派给\(saved.responsible.name)，预计 \(Timestamp.beijing(saved.workflow.deadline)) 前处理。"
        let doc = Open311Document(root: "service_requests", value: .list(item: "request", [.object([
            ("service_request_id", .string(saved.number)),
            ("service_notice", .string(notice)),
            ("account_id", .string(body.account_id)),
        ])]))
        return doc.response(format)
    }

    // MARK: GET requests

    func record(_ c: Case, base: String, reference: CaseReference, language: Language, note: String?, media: String?) -> Open311Value {
        let path = reference.areas[c.place.areaID].map { reference.path(of: $0).filter { $0.kind != .district }.map { $0.displayName(language) } } ?? []
        var address = path.joined(separator: " ")
        if let place = c.place.placeCode.flatMap(reference.place), place.facility != nil { address += " " + place.name(language) }
        let w = c.workflow
        return .object([
            ("service_request_id", .string(c.number)),
            ("status", .string(Open311Projection.status(w.state))),
            ("status_notes", .string(note)),
            ("service_name", .string(language == .en ? c.category.nameEn : c.category.name)),
            ("service_code", .string(c.category.code)),
            ("description", .string(c.description)),
            ("agency_responsible", .string(c.responsible.name)),
            ("service_notice", .string(language == .en ? "\(w.state.label.en); \(c.routing.explanation.en)" : "\(w.state.label.zh)；\(c.routing.explanation.zh)")),
            ("requested_datetime", .string(Open311Projection.datetime(w.reportedAt))),
            ("updated_datetime", .string(Open311Projection.datetime(w.state.isFinal ? (c.closedAt ?? c.updatedAt) : c.updatedAt))),
            ("expected_datetime", .string(Open311Projection.datetime(w.deadline))),
            ("address", .string(address)),
            ("address_id", .string(c.place.placeCode)),
            ("zipcode", .string(nil)),
            ("lat", .double(c.position.lat)),
            ("long", .double(c.position.long)),
            ("media_url", .string(media.map { base + $0 })),
        ])
    }

    func records(_ rows: [CaseRow], _ req: Request) async throws -> Open311Document {
        let reference = try await req.caseReference()
        let base = PortalController.baseURL(req)
        var items: [Open311Value] = []
        // Two queries for the whole page, not two per request listed.
        let ids = rows.map(\.id)
        let eventsByCase = try await req.cases.events(of: ids), photosByCase = try await req.cases.photos(of: ids)
        for row in rows {
            let events = eventsByCase[row.id] ?? []
            // The latest public note: a rejection or merge reason, a handling note, or the last step's note.
            let note = events.reversed().first { Open311Projection.extendedStatus(action: $0.action) != nil && !($0.note ?? "").isEmpty && $0.action != "report" }?.note
            let photo = (photosByCase[row.id] ?? []).first(where: \.showsTheProblem)
            let media = photo.map { "/public/photos/\($0.publicHash).\(PhotoFormat(rawValue: $0.format)?.fileExtension ?? "jpg")" }
            items.append(record(row.case, base: base, reference: reference, language: req.language, note: note, media: media))
        }
        return Open311Document(root: "service_requests", value: .list(item: "request", items))
    }

    struct ListQuery: Content {
        var service_request_id: String?
        var service_code: String?
        var start_date: String?
        var end_date: String?
        var status: String?
        var updated_after: String?
        var updated_before: String?
        var page: String?
        var page_size: String?
    }

    static func date(_ text: String?, _ field: String) throws -> Date? {
        guard let text, !text.isEmpty else { return nil }
        guard let date = Open311Projection.parseDatetime(text) else {
            throw DomainError.invalid(field, zh: "\(field) 应为带时区的 W3C 时间，如 2026-03-02T14:30:00+08:00", en: "\(field) must be a W3C datetime with a zone, e.g. 2026-03-02T14:30:00+08:00")
        }
        return date
    }

    static func list(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func requests(_ req: Request) async throws -> Open311Document {
        let q = try req.query.decode(ListQuery.self)
        var filter = CaseFilter()
        let ids = Self.list(q.service_request_id)
        var limit = Self.maxPageSize, offset = 0
        if !ids.isEmpty {
            // "service_request_id … overrides all other arguments".
            filter.numbers = ids.compactMap(ShortNumber.normalize)
            guard filter.numbers.count == ids.count else {
                throw DomainError.invalid("service_request_id", zh: "service_request_id 应为案件编号，如 LH-2026-000123", en: "a service_request_id is a case number such as LH-2026-000123")
            }
        } else {
            filter.categoryCodes = Self.list(q.service_code)
            let statuses = Self.list(q.status).map { $0.lowercased() }
            for s in statuses where s != "open" && s != "closed" {
                throw DomainError.invalid("status", zh: "status 只能是 open 或 closed（可用逗号分隔）", en: "status is open or closed (comma-separated)")
            }
            if Set(statuses).count == 1 {
                filter.states = statuses[0] == "open" ? CaseState.open : CaseState.allCases.filter(\.isFinal)
            }
            var start = try Self.date(q.start_date, "start_date"), end = try Self.date(q.end_date, "end_date")
            if let s = start, let e = end {
                guard s <= e else { throw DomainError.invalid("end_date", zh: "end_date 早于 start_date", en: "end_date is before start_date") }
                guard e.timeIntervalSince(s) <= Self.maxSpan else {
                    throw DomainError.invalid("end_date", zh: "start_date 与 end_date 相隔不能超过 90 天", en: "start_date and end_date may span at most 90 days")
                }
            }
            filter.updatedAfter = try Self.date(q.updated_after, "updated_after")
            filter.updatedBefore = try Self.date(q.updated_before, "updated_before")
            // Without dates: the last 90 days (a change feed by updated_after needs no report window).
            if start == nil, end == nil, filter.updatedAfter == nil, filter.updatedBefore == nil { start = req.now.addingTimeInterval(-Self.maxSpan) }
            if let s = start, end == nil, filter.updatedAfter == nil { end = s.addingTimeInterval(Self.maxSpan) }
            if let e = end, start == nil { start = e.addingTimeInterval(-Self.maxSpan) }
            filter.reportedFrom = start
            filter.reportedBefore = end
            let page = try Self.positive(q.page, "page", default: 1, max: 1_000_000)
            limit = try Self.positive(q.page_size, "page_size", default: Self.maxPageSize, max: Self.maxPageSize)
            offset = (page - 1) * limit
            // A public list reads at most this deep into its window: a deeper page is a narrower window.
            guard offset <= CaseStore.maxOffset else {
                throw DomainError.invalid("page", zh: "最多翻到第 \(CaseStore.maxOffset) 条，请缩小 start_date 与 end_date 的范围",
                                          en: "pages reach at most \(CaseStore.maxOffset) requests deep; narrow start_date and end_date instead")
            }
        }
        let rows = try await req.cases.page(scope: .everything, filter: filter, limit: limit, offset: offset).rows
        return try await records(rows, req)
    }

    static func positive(_ text: String?, _ field: String, default value: Int, max: Int) throws -> Int {
        guard let text, !text.isEmpty else { return value }
        guard let n = Int(text), n >= 1, n <= max else {
            throw DomainError.invalid(field, zh: "\(field) 应为 1~\(max) 的整数", en: "\(field) must be a whole number from 1 to \(max)")
        }
        return n
    }

    @Sendable func request(req: Request) async throws -> Response {
        let (id, format) = try split(req, "file")
        try checkJurisdiction(req)
        guard let number = ShortNumber.normalize(id), let row = try? await req.cases.find(number: number, scope: nil) else {
            throw DomainError.notFound(zh: "没有编号为 \(id) 的请求", en: "service_request_id \(id) was not found")
        }
        return try await records([row], req).response(format)
    }

    @Sendable func token(req: Request) async throws -> Response {
        let (token, format) = try split(req, "file")
        try checkJurisdiction(req)
        guard token.count >= 16, token.count <= 64, let report = try await ResidentReportStore(db: req.db).find(token: token),
              let row = try? await req.cases.find(report.caseId, scope: nil) else {
            throw DomainError.notFound(zh: "没有这个 token", en: "token \(token) was not found")
        }
        return Open311Document(root: "service_requests", value: .list(item: "request", [.object([
            ("service_request_id", .string(row.number)), ("token", .string(token)),
        ])])).response(format)
    }

    // MARK: GET servicerequestupdates (mySociety)

    struct UpdatesQuery: Content {
        var start_date: String?
        var end_date: String?
        var api_key: String?
    }

    func updates(_ req: Request) async throws -> Open311Document {
        let q = try req.query.decode(UpdatesQuery.self)
        if let key = q.api_key, !key.isEmpty, try await req.directory.verifyToken(key, now: req.now) == nil {
            throw DomainError.forbidden(LocalizedText(zh: "api_key 无效", en: "invalid api_key received"))
        }
        let now = req.now
        var start = try Self.date(q.start_date, "start_date"), end = try Self.date(q.end_date, "end_date")
        if start == nil, end == nil { start = now.addingTimeInterval(-24 * 3600); end = now.addingTimeInterval(1) }
        if let s = start, end == nil { end = s.addingTimeInterval(Self.maxSpan) }
        if let e = end, start == nil { start = e.addingTimeInterval(-Self.maxSpan) }
        guard let s = start, let e = end, s <= e else {
            throw DomainError.invalid("end_date", zh: "end_date 早于 start_date", en: "end_date is before start_date")
        }
        guard e.timeIntervalSince(s) <= Self.maxSpan else {
            throw DomainError.invalid("end_date", zh: "start_date 与 end_date 相隔不能超过 90 天", en: "start_date and end_date may span at most 90 days")
        }
        let language = req.language
        let events = try await req.cases.events(from: s, to: e, limit: 5000)
        let items = events.compactMap { item -> Open311Value? in
            let event = item.event
            guard let status = Open311Projection.extendedStatus(action: event.action) else { return nil }
            let plain = PlainTimeline.steps([PlainTimeline.Event(action: event.action, at: event.at, note: event.note, responsibleName: event.actorName)]).first?.text
            let text = [plain?.text(language), event.action == "report" ? nil : event.note].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "：")
            return .object([
                ("update_id", .string("\(event.caseId.uuidString.lowercased())-\(event.seq)")),
                ("service_request_id", .string(item.number)),
                ("status", .string(status)),
                ("description", .string(text)),
                ("updated_datetime", .string(Open311Projection.datetime(event.at))),
                ("media_url", .string(nil)),
                ("external_status_code", .string(event.action)),
            ])
        }
        return Open311Document(root: "service_request_updates", value: .list(item: "request_update", items))
    }
}
