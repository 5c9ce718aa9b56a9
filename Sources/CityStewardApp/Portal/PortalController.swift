import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The residents' portal (i社区码上办): no login. Pick a problem in plain words, say where (a QR code's place, the
/// browser's position or a tap on the village map), add a photo, get a tracking link and a short number; follow
/// the case in plain words, rate it after closure, reopen it once within 7 days; find a case again by its number
/// or the phone number left with it.
struct PortalController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("report", use: picker)
        routes.get("report", "new", use: form)
        routes.get("report", "nearby", use: nearby)
        routes.on(.POST, "report", body: .collect(maxSize: "64mb"), use: submit)
        routes.get("t", ":token", use: track)
        routes.post("t", ":token", "rate", use: rate)
        routes.post("t", ":token", "reopen", use: reopen)
        routes.get("find", use: find)
        routes.post("find", "code", use: sendCode)
        routes.post("find", "verify", use: verifyCode)
        routes.get("c", ":number", use: publicCase)
        routes.get("public", "photos", ":name", use: publicPhoto)
    }

    // MARK: Shared pieces

    struct Link: Encodable {
        var href: String
        var label: String
    }

    struct TopicGroup: Encodable {
        var key: String
        var label: String
        var topics: [Link]
    }

    struct PlaceView: Encodable {
        var code: String
        var name: String
        var path: String
    }

    static func placeView(_ place: CaseReference.Place, _ reference: CaseReference, _ language: Language) -> PlaceView {
        let names = reference.path(of: place.area).filter { $0.kind == .street || $0.kind == .village || $0.kind == .building }
            .map { $0.displayName(language) }
        return PlaceView(code: place.code, name: place.name(language), path: names.joined(separator: " · "))
    }

    static let queryValue = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))

    static func query(_ items: [String: String?]) -> String {
        let parts = items.keys.sorted().compactMap { key -> String? in
            guard let value = items[key] ?? nil, !value.isEmpty else { return nil }
            return key + "=" + (value.addingPercentEncoding(withAllowedCharacters: Self.queryValue) ?? value)
        }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }

    static func emergencyNumbers(_ language: Language) -> [Link] {
        [EmergencyNumber.police, .fire, .ambulance, .traffic].map { Link(href: "tel:\($0.number)", label: "\($0.number) \($0.name.text(language))") }
    }

    // MARK: Picker

    struct PickerPage: Encodable {
        var page: PageChrome
        var place: PlaceView?
        var facilityTopic: Link?
        var groups: [TopicGroup]
        var emergency: [Link]
        var otherLink: String
        /// The notices shown where the code was scanned (its village and above), and the village's own page.
        var notices: [Link] = []
        var villagePage: String?
    }

    @Sendable func picker(req: Request) async throws -> Response {
        let language = req.language
        let reference = try await req.caseReference()
        let code = try? req.query.get(String.self, at: "place")
        var place: CaseReference.Place?
        if let code, !code.isEmpty {
            guard let found = reference.place(code) else {
                throw DomainError.notFound(zh: "没有地点代码 \(code)，请重新扫码", en: "there is no place \(code); scan the code again")
            }
            place = found
        }
        let placeCode = place?.code
        let groups = CategoryGroup.allCases.map { g in
            TopicGroup(key: g.rawValue, label: g.label.text(language), topics: ResidentTopic.all.filter { $0.group == g }.map {
                Link(href: "/report/new" + Self.query(["topic": $0.id, "place": placeCode]), label: $0.name.text(language))
            })
        }
        // A facility's own code offers its problem first ("this street light: report a problem").
        let facilityTopic = place?.facility.flatMap { f -> Link? in
            guard let category = reference.taxonomy.eventCategory(f.reportCategory) else { return nil }
            return Link(href: "/report/new" + Self.query(["category": category.code, "place": placeCode]), label: category.displayName(language))
        }
        var page = PickerPage(page: PageChrome(request: req, title: language == .en ? "Report a problem" : "反映问题"),
                              place: place.map { Self.placeView($0, reference, language) }, facilityTopic: facilityTopic, groups: groups,
                              emergency: Self.emergencyNumbers(language),
                              otherLink: "/report/new" + Self.query(["place": placeCode]))
        // Where a code was scanned, what is posted there for residents (the village's notices and those above it).
        if let area = place?.area {
            page.notices = try await NoticesService.shown(req, along: area.path, limit: 3).map { Link(href: "/n/\($0.id.uuidString.lowercased())", label: $0.title) }
            if let village = area.path.lazy.compactMap({ reference.areas[$0] }).first(where: { $0.kind == .village }) { page.villagePage = "/v/\(village.code)" }
        }
        return try await req.page("portal/picker", page)
    }

    // MARK: Form


    struct OptionGroup: Encodable {
        var label: String
        var options: [Choice]
    }

    struct NearbyView: Encodable {
        var number: String
        var category: String
        var status: String
        var metres: Int
        var reported: String
        var href: String
    }

    struct VillageMap: Encodable {
        var code: String
        var name: String
        var svg: String
        /// The map's projection for the tap-to-place script: SVG x/y of two corners and their positions.
        var minLat: Double
        var maxLat: Double
        var minLong: Double
        var maxLong: Double
        var x0: Double
        var y0: Double
        var x1: Double
        var y1: Double
    }

    struct FormPage: Encodable {
        var page: PageChrome
        var topic: String
        var topicID: String?
        var category: String?
        /// No topic: every class of the national scheme, grouped.
        var allCategories: [OptionGroup]?
        var place: PlaceView?
        var villages: [Choice]
        var maps: [VillageMap]
        var nearby: [NearbyView]
        var formKey: String
        var emergency: EmergencyView?
        var photoLimit: String
        /// What the resident typed, when the form comes back refused.
        var typed = Typed()
        /// A message per field (`errors.phone` …), in the resident's language.
        var errors: [String: String] = [:]
    }

    struct Typed: Encodable {
        var description = ""
        var phone = ""
        var lat = ""
        var long = ""
        /// Photos were chosen but cannot be given back by the browser: say so next to the field.
        var hadPhotos = false
    }

    struct EmergencyView: Encodable {
        var title: String
        var advice: String
        var numbers: [Link]
        var continueLink: String
    }

    @Sendable func form(req: Request) async throws -> Response {
        try await formPage(req, topicID: try? req.query.get(String.self, at: "topic"), categoryCode: try? req.query.get(String.self, at: "category"),
                           placeCode: try? req.query.get(String.self, at: "place"))
    }

    /// The report form; after a refused submission, with what was typed and the message by its field.
    func formPage(_ req: Request, topicID: String?, categoryCode: String?, placeCode: String?, typed: Typed = Typed(), village: String? = nil,
                  errors: [String: String] = [:], status: HTTPStatus = .ok) async throws -> Response {
        let language = req.language
        let reference = try await req.caseReference()
        var place: CaseReference.Place?
        if let placeCode, !placeCode.isEmpty {
            guard let found = reference.place(placeCode) else {
                throw DomainError.notFound(zh: "没有地点代码 \(placeCode)，请重新扫码", en: "there is no place \(placeCode); scan the code again")
            }
            place = found
        }
        var topic: ResidentTopic?
        if let topicID, !topicID.isEmpty {
            guard let found = ResidentTopic.find(topicID) else {
                throw DomainError.invalid("topic", zh: "没有这个问题类型：\(topicID)", en: "unknown problem type \(topicID)")
            }
            topic = found
        }
        var category: CaseCategory?
        if let code = topic?.category ?? categoryCode, !code.isEmpty {
            guard let found = reference.taxonomy.eventCategory(code) else {
                throw DomainError.invalid("category", zh: "没有类别代码 \(code)", en: "unknown category \(code)")
            }
            category = found
        }
        let title = topic?.name.text(language) ?? category?.displayName(language) ?? (language == .en ? "Another problem" : "其他问题")
        var emergency: EmergencyView?
        if let kind = topic?.emergency {
            emergency = EmergencyView(
                title: topic!.name.text(language), advice: EmergencyNumber.advice(for: kind).text(language),
                numbers: EmergencyNumber.first(for: kind).map { Link(href: "tel:\($0.number)", label: "\($0.number) \($0.name.text(language))") },
                continueLink: "/report" + Self.query(["place": place?.code]) + "#group-safety")
        }
        var allCategories: [OptionGroup]?
        if category == nil, emergency == nil {
            allCategories = CategoryGroup.allCases.map { g in
                OptionGroup(label: g.label.text(language), options: reference.taxonomy.categories
                    .filter { $0.kind == .event && $0.group == g }
                    .map { Choice(value: $0.code, label: $0.displayName(language), selected: false) })
            }
        }
        // Likely duplicates at a QR code's place are shown right away; elsewhere the page script asks once the
        // position is known.
        var nearby: [NearbyView] = []
        if let category, let position = place?.position {
            nearby = try await Self.nearbyCases(req, category: category.code, at: position, language: language)
        }
        let villages = reference.areas.values.filter { $0.kind == .village }.sorted { $0.code < $1.code }
        // The reference keeps areas without shapes: the maps read the village outlines.
        var maps: [VillageMap] = []
        if place == nil {
            // Buildings are drawn for orientation (a resident knows "behind building 5").
            let buildings = try await req.areas.list(scope: .everything, kind: .building, includeShapes: true)
            maps = try await req.areas.list(scope: .everything, kind: .village, includeShapes: true).compactMap { v in
                Self.villageMap(v, buildings: buildings.filter { $0.path.contains(v.id) }, language)
            }
        }
        let page = FormPage(
            page: PageChrome(request: req, title: title).withCSRF(req), topic: title, topicID: topic?.id, category: category?.code,
            allCategories: allCategories, place: place.map { Self.placeView($0, reference, language) },
            villages: villages.map { Choice(value: $0.code, label: $0.displayName(language), selected: $0.code == village) }, maps: maps,
            nearby: nearby, formKey: UUID().uuidString.lowercased(), emergency: emergency,
            photoLimit: language == .en ? "JPEG, PNG or WebP, up to 8 MB each, at most 6" : "JPEG/PNG/WebP，每张不超过 8 MB，最多 6 张",
            typed: typed, errors: errors)
        return try await req.page(emergency == nil ? "portal/form" : "portal/emergency", page, status: status)
    }

    static func villageMap(_ village: Area, buildings: [Area], _ language: Language) -> VillageMap? {
        let items = [AreaMap.Item(area: village, href: nil)] + buildings.map { AreaMap.Item(area: $0, href: nil) }
        guard let map = AreaMap.draw(items, width: 360, language: language),
              map.frame.count == 4, map.bounds.count == 4 else { return nil }
        return VillageMap(code: village.code, name: village.displayName(language),
                          svg: MapSVG.render(map, label: village.displayName(language)),
                          minLat: map.bounds[0], maxLat: map.bounds[2], minLong: map.bounds[1], maxLong: map.bounds[3],
                          x0: map.frame[0], y0: map.frame[1], x1: map.frame[2], y1: map.frame[3])
    }

    static func nearbyCases(_ req: Request, category: String, at position: GeoPoint, language: Language) async throws -> [NearbyView] {
        let found = try await req.application.recentCases.nearby(category: category, at: position, now: req.now, db: req.db)
        guard !found.isEmpty else { return [] }
        var out: [NearbyView] = []
        for (entry, metres) in found {
            guard let row = try? await req.cases.find(entry.id, scope: nil), !row.caseState.isFinal || row.caseState == .closed else { continue }
            out.append(NearbyView(number: row.number, category: language == .en ? row.categoryNameEn : row.categoryName,
                                  status: PlainTimeline.status(row.caseState).text(language), metres: Int(metres.rounded()),
                                  reported: Timestamp.beijing(row.reportedAt), href: "/c/\(row.number)"))
        }
        return out
    }

    /// Likely duplicates for the page script: same category, within 50 m, in the last 48 h.
    @Sendable func nearby(req: Request) async throws -> Response {
        struct Query: Content {
            var category: String?
            var lat: Double?
            var long: Double?
            var place: String?
        }
        let q = try req.query.decode(Query.self)
        let reference = try await req.caseReference()
        guard let code = q.category, reference.taxonomy.eventCategory(code) != nil else {
            throw DomainError.invalid("category", zh: "缺少或未知的类别", en: "a known category is required")
        }
        var position: GeoPoint?
        if let lat = q.lat, let long = q.long { position = GeoPoint(lat: lat, long: long) }
        if position == nil, let place = q.place.flatMap(reference.place) { position = place.position }
        guard let position else { throw DomainError.invalid("lat", zh: "缺少位置", en: "a position is required") }
        let items = try await Self.nearbyCases(req, category: code, at: position, language: req.language)
        let response = Response(status: .ok)
        try response.content.encode(items, as: .json)
        return response
    }

    // MARK: Submit

    struct ReportBody: Content {
        var topic: String?
        var category: String?
        var description: String?
        var phone: String?
        var lat: String?
        var long: String?
        var placeCode: String?
        var village: String?
        /// `photos[]` from the form's multiple-file input; `photo` for a client that sends one file.
        var photos: [File]?
        var photo: File?
        var formKey: String?
    }

    @Sendable func submit(req: Request) async throws -> Response {
        let body = try req.content.decode(ReportBody.self)
        do {
            return try await submit(req, body)
        } catch let error as DomainError {
            // The form comes back with what was typed and the message by its field; a problem that is not the
            // resident's to fix (an unknown place code, the rate limit) keeps its own page.
            let field: String? = switch error {
            case .invalid(let f, _), .unprocessable(let f, _): f.map { ["lat", "long", "placeCode", "village"].contains($0) ? "where" : $0 } ?? "where"
            case .tooLarge, .unsupportedType: "photos"
            default: nil
            }
            guard let field else { throw error }
            let chosen = ((body.photos ?? []) + [body.photo].compactMap { $0 }).contains { $0.data.readableBytes > 0 }
            let typed = Typed(description: body.description ?? "", phone: body.phone ?? "", lat: body.lat ?? "", long: body.long ?? "", hadPhotos: chosen)
            let topic = (body.topic ?? "").isEmpty ? nil : body.topic
            return try await formPage(req, topicID: topic.flatMap { ResidentTopic.find($0) == nil ? nil : $0 },
                                      categoryCode: field == "category" ? nil : body.category, placeCode: body.placeCode,
                                      typed: typed, village: body.village, errors: [field: error.message(req.language)], status: error.status)
        }
    }

    func submit(_ req: Request, _ body: ReportBody) async throws -> Response {
        let language = req.language
        let reference = try await req.caseReference()
        var code = body.category
        var topicName: String?
        if let id = body.topic, !id.isEmpty {
            guard let topic = ResidentTopic.find(id), topic.category != nil else {
                throw DomainError.invalid("topic", zh: "没有这个问题类型：\(id)", en: "unknown problem type \(id)")
            }
            code = topic.category
            topicName = topic.name.zh
        }
        guard let code, !code.isEmpty else {
            throw DomainError.invalid("category", zh: "请选择问题类型", en: "choose what the problem is")
        }
        guard let category = reference.taxonomy.eventCategory(code) else {
            throw DomainError.invalid("category", zh: "没有这个问题类型：\(code)", en: "unknown problem type \(code)")
        }
        // Never refused for its contact number: what cannot be read is kept as written, sealed, and flagged.
        let phone = ContactNumber.read(body.phone)
        let position = try CasesAPIController.position(lat: try CasesAPIController.decimal(body.lat, field: "lat"),
                                                       long: try CasesAPIController.decimal(body.long, field: "long"), crs: nil)
        let placeCode = position == nil ? ((body.placeCode ?? "").isEmpty ? body.village : body.placeCode) : body.placeCode
        // Residents may just send a photo: the problem's own name then describes it.
        let text = (body.description ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let description = text.isEmpty ? (topicName ?? category.name) : text
        let photos = ((body.photos ?? []) + [body.photo].compactMap { $0 }).compactMap { CasesWebController.fileData($0) }
            .map { (data: $0, role: PhotoRole.report) }
        let report = CaseReport(category: category.code, position: position, placeCode: (placeCode ?? "").isEmpty ? nil : placeCode,
                                description: description, urgency: nil)
        let formKey = (body.formKey ?? "").isEmpty ? nil : body.formKey
        let input = ReportCase.Input(report: report, source: .resident, photos: photos, idempotencyKey: formKey.map { "portal:\($0)" },
                                     reporterName: phone.map { "居民 \($0.masked)" } ?? "居民",
                                     resident: .init(phone: phone, language: language, formKey: formKey))
        let outcome = try await ReportCase(request: req).run(input, actor: nil, now: req.now)
        guard let token = outcome.trackingToken else { throw Abort(.internalServerError) }
        return req.redirect(to: "/t/\(token)?new=1", redirectType: .normal)
    }

    // MARK: Tracking

    struct StepView: Encodable {
        var at: String
        var text: String
    }

    struct PhotoView: Encodable {
        var url: String
    }

    struct TrackPage: Encodable {
        var page: PageChrome
        var isNew: Bool
        /// What the reporter just did (after a rating or a reopening).
        var notice: String?
        var isOwner: Bool
        var token: String?
        var trackURL: String?
        var number: String
        var status: String
        var state: String
        var category: String
        var place: String
        var reported: String
        var responsible: String
        var deadline: String?
        var overdue: Bool
        var steps: [StepView]
        var photos: [PhotoView]
        var phone: String?
        var canRate: Bool
        var rating: Int?
        var ratingComment: String?
        var canReopen: Bool
        var reopenUntil: String?
        var stars: [Int]
    }

    func trackPage(_ req: Request, row: CaseRow, resident: ResidentReportRow?, token: String?) async throws -> TrackPage {
        let language = req.language
        let now = req.now
        let events = try await req.cases.events(of: row.id)
        let steps = PlainTimeline.steps(events.map {
            PlainTimeline.Event(action: $0.action, at: $0.at, note: $0.note, responsibleName: row.responsibleName)
        }).map { StepView(at: Timestamp.beijing($0.at), text: $0.text.text(language)) }
        let photos = try await req.cases.photos(of: row.id).filter(\.showsTheProblem)
            .map { PhotoView(url: "/public/photos/\($0.publicHash).\(PhotoFormat(rawValue: $0.format)?.fileExtension ?? "jpg")") }
        let state = row.caseState
        let isOwner = token != nil
        let open = !state.isFinal && state != .handled && state != .verified
        let canReopen = isOwner && ResidentFeedback.canReopen(state: state, closedAt: row.closedAt, reopenCount: resident?.reopenCount ?? 0, now: now)
        let base = Self.baseURL(req)
        let reference = try await req.caseReference()
        let placeName = row.placeCode.flatMap(reference.place).map { Self.placeView($0, reference, language) }
            .map { "\($0.name)（\($0.path)）" } ?? row.areaName
        return TrackPage(
            page: PageChrome(request: req, title: row.number).withCSRF(req), isNew: (try? req.query.get(String.self, at: "new")) == "1",
            notice: isOwner ? Self.notice((try? req.query.get(String.self, at: "done")) ?? "", language) : nil,
            isOwner: isOwner, token: token, trackURL: token.map { "\(base)/t/\($0)" }, number: row.number,
            status: PlainTimeline.status(state).text(language), state: state.rawValue,
            category: language == .en ? row.categoryNameEn : row.categoryName, place: placeName,
            reported: Timestamp.beijing(row.reportedAt), responsible: row.responsibleName,
            deadline: open ? Timestamp.beijing(row.deadline) : nil, overdue: open && row.deadline < now, steps: steps, photos: photos,
            phone: isOwner ? resident?.phoneMasked : nil,
            canRate: isOwner && state == .closed && resident != nil && resident?.rating == nil,
            rating: resident?.rating, ratingComment: isOwner ? resident?.ratingComment : nil, canReopen: canReopen,
            reopenUntil: canReopen ? row.closedAt.map { Timestamp.beijing($0.addingTimeInterval(ResidentFeedback.reopenWindow)) } : nil,
            stars: [5, 4, 3, 2, 1])
    }

    static func notice(_ done: String, _ language: Language) -> String? {
        switch done {
        case "rated": LocalizedText(zh: "谢谢您的评价！", en: "Thank you for rating!").text(language)
        case "reopened": LocalizedText(zh: "已要求重新办理，负责单位会再次处理。", en: "Asked to redo: the responsible office will handle it again.").text(language)
        default: nil
        }
    }

    static func baseURL(_ req: Request) -> String {
        if let configured = req.config.publicURL { return configured }
        let host = req.headers.first(name: .host) ?? "127.0.0.1:\(req.config.port)"
        return "http://\(host)"
    }

    func resident(_ req: Request) async throws -> (token: String, report: ResidentReportRow, row: CaseRow) {
        let token = req.parameters.get("token") ?? ""
        guard token.count >= 16, token.count <= 64, let report = try await ResidentReportStore(db: req.db).find(token: token) else {
            throw DomainError.notFound(zh: "找不到该跟踪链接，请检查链接是否完整", en: "no case has this tracking link; check that the link is complete")
        }
        return (token, report, try await req.cases.find(report.caseId, scope: nil))
    }

    @Sendable func track(req: Request) async throws -> Response {
        let (token, report, row) = try await resident(req)
        let page = try await trackPage(req, row: row, resident: report, token: token)
        let response = try await req.page("portal/track", page)
        // The link is the reporter's key: keep it out of other sites' Referer headers and shared caches.
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }

    struct RateBody: Content {
        var rating: String?
        var comment: String?
    }

    @Sendable func rate(req: Request) async throws -> Response {
        let (token, report, row) = try await resident(req)
        let body = try req.content.decode(RateBody.self)
        let score = body.rating.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let comment = body.comment.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        try ResidentFeedback.checkRating(score, comment: comment, state: row.caseState, alreadyRated: report.rating != nil)
        try await ResidentFollowUp(request: req).rate(row, rating: score!, comment: comment, now: req.now)
        return req.redirect(to: "/t/\(token)?done=rated", redirectType: .normal)
    }

    struct ReopenBody: Content {
        var reason: String?
    }

    @Sendable func reopen(req: Request) async throws -> Response {
        let (token, report, row) = try await resident(req)
        let body = try req.content.decode(ReopenBody.self)
        try ResidentFeedback.checkReopen(state: row.caseState, closedAt: row.closedAt, reopenCount: report.reopenCount, now: req.now)
        _ = try await ActOnCase(request: req).run(caseID: row.id, input: .init(action: .reopen, note: body.reason), reporter: report, now: req.now)
        return req.redirect(to: "/t/\(token)?done=reopened", redirectType: .normal)
    }

    // MARK: Finding a case again

    struct FoundCase: Encodable {
        var number: String
        var category: String
        var status: String
        var reported: String
        var phone: String?
        var href: String
    }

    struct FindPage: Encodable {
        var page: PageChrome
        var number: String
        var phone: String
        var searched: Bool
        var results: [FoundCase]
        var message: String?
        /// The step of the search by phone: "phone" (type it), "code" (type the code sent), "verified" (its list).
        var phoneStep: String
        var maskedPhone: String?
        var errors: [String: String] = [:]
        /// Whether this deployment can send codes at all.
        var canVerify: Bool
    }

    /// The session keys of a verified phone: its blind indexes and until when the list stays open.
    static let verifiedPhoneKey = "findPhone", verifiedUntilKey = "findUntil", verifiedMaskKey = "findMask"

    func verifiedIndexes(_ req: Request) -> (indexes: [String], masked: String)? {
        guard let text = req.session.data[Self.verifiedPhoneKey], let until = req.session.data[Self.verifiedUntilKey].flatMap(Double.init),
              Date(timeIntervalSince1970: until) > req.now else { return nil }
        return (text.split(separator: ",").map(String.init), req.session.data[Self.verifiedMaskKey] ?? "")
    }

    func findPage(_ req: Request, number: String = "", phone: String = "", results: [FoundCase] = [], searched: Bool = false,
                  phoneStep: String = "phone", maskedPhone: String? = nil, errors: [String: String] = [:], status: HTTPStatus = .ok) async throws -> Response {
        let language = req.language
        let message = searched && results.isEmpty
            ? (language == .en ? "No case found. Check the number, or report the problem again." : "没有找到案件，请核对编号或重新反映。") : nil
        let page = FindPage(page: PageChrome(request: req, title: language == .en ? "Find my report" : "查询进度").withCSRF(req), number: number,
                            phone: phone, searched: searched, results: results, message: message, phoneStep: phoneStep, maskedPhone: maskedPhone,
                            errors: errors, canVerify: req.application.smsGateway != nil)
        let response = try await req.page("portal/find", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    /// By case number: anyone (a number is on the receipt). By phone: only after the phone is proved with a code
    /// sent to it, and then only that phone's reports.
    @Sendable func find(req: Request) async throws -> Response {
        let language = req.language
        let numberText = ((try? req.query.get(String.self, at: "number")) ?? "").trimmingCharacters(in: .whitespaces)
        let phoneText = ((try? req.query.get(String.self, at: "phone")) ?? "").trimmingCharacters(in: .whitespaces)
        if !numberText.isEmpty {
            guard let number = ShortNumber.normalize(numberText) else {
                return try await findPage(req, number: numberText, errors: ["number": language == .en
                    ? "a case number looks like LH-2026-000123 or 2026-123" : "编号格式应为 LH-2026-000123 或 2026-123"], status: .badRequest)
            }
            var results: [FoundCase] = []
            if let row = try? await req.cases.find(number: number, scope: nil) {
                results.append(Self.found(row, try await ResidentReportStore(db: req.db).find(caseID: row.id), language))
            }
            return try await findPage(req, number: numberText, results: results, searched: true)
        }
        if let verified = verifiedIndexes(req) {
            let store = ResidentReportStore(db: req.db)
            var results: [FoundCase] = []
            for id in try await store.caseIDs(phoneIndexes: verified.indexes) {
                guard let row = try? await req.cases.find(id, scope: nil) else { continue }
                results.append(Self.found(row, try await store.find(caseID: id), language))
            }
            return try await findPage(req, results: results, searched: true, phoneStep: "verified", maskedPhone: verified.masked)
        }
        // A phone in the address (an old link) is only filled in: its reports show after the code.
        return try await findPage(req, phone: phoneText)
    }

    struct PhoneBody: Content {
        var phone: String?
        var code: String?
    }

    /// Sends a one-time code to the phone typed, then asks for it.
    @Sendable func sendCode(req: Request) async throws -> Response {
        let language = req.language
        let body = try req.content.decode(PhoneBody.self)
        let typed = body.phone ?? ""
        guard let gateway = req.application.smsGateway else {
            return try await findPage(req, phone: typed, errors: ["phone": language == .en
                ? "This service cannot send text messages: search by the case number on your receipt." : "本系统未开通短信验证，请用回执上的案件编号查询。"],
                status: .serviceUnavailable)
        }
        guard let phone = PhoneNumber.parse(typed) else {
            return try await findPage(req, phone: typed, errors: ["phone": PhoneNumber.problem.text(language)], status: .badRequest)
        }
        let cipher = req.application.fieldCipher
        let index = cipher.blindIndex(phone.e164)
        let code = String(format: "%06d", Int.random(in: 0..<1_000_000))
        let store = PhoneChallengeStore(db: req.db)
        switch PhoneVerification.send(previous: try await store.find(index), phoneIndex: index,
                                      codeHash: cipher.derivedToken("find-code", index + ":" + code), now: req.now) {
        case .failure(let refusal):
            let response = try await findPage(req, phone: typed, errors: ["phone": refusal.message(language)], status: refusal.status)
            for (name, value) in refusal.headers { response.headers.replaceOrAdd(name: name, value: value) }
            return response
        case .success(let challenge):
            try await store.save(challenge)
            let text = "【龙华城市管家】验证码 \(code)，10 分钟内有效，用于查询您反映的问题。Your code: \(code) (10 minutes)."
            do {
                try await gateway.send(SMSMessage(phone: phone.dialable, text: text), client: req.client, logger: req.logger)
            } catch {
                return try await findPage(req, phone: typed, errors: ["phone": language == .en
                    ? "The text message could not be sent just now; try again in a minute." : "短信暂时发送失败，请稍后再试。"], status: .serviceUnavailable)
            }
            return try await findPage(req, phone: phone.dialable, phoneStep: "code", maskedPhone: phone.masked)
        }
    }

    /// Checks the code; a right one opens the phone's list for this browser session.
    @Sendable func verifyCode(req: Request) async throws -> Response {
        let language = req.language
        let body = try req.content.decode(PhoneBody.self)
        guard let phone = PhoneNumber.parse(body.phone ?? "") else {
            return try await findPage(req, phone: body.phone ?? "", errors: ["phone": PhoneNumber.problem.text(language)], status: .badRequest)
        }
        guard let code = PhoneVerification.normalize(body.code ?? "") else {
            return try await findPage(req, phone: phone.dialable, phoneStep: "code", maskedPhone: phone.masked,
                                      errors: ["code": language == .en ? "the code is 6 digits" : "验证码为 6 位数字"], status: .badRequest)
        }
        let cipher = req.application.fieldCipher
        let index = cipher.blindIndex(phone.e164)
        let store = PhoneChallengeStore(db: req.db)
        let challenge = try await store.find(index)
        switch PhoneVerification.check(challenge, codeHash: cipher.derivedToken("find-code", index + ":" + code), now: req.now) {
        case .verified:
            if let challenge { try await store.spend(challenge) }
            req.session.data[Self.verifiedPhoneKey] = phone.indexForms.flatMap { cipher.blindIndexes($0) }.joined(separator: ",")
            req.session.data[Self.verifiedUntilKey] = String(req.now.addingTimeInterval(PhoneVerification.verifiedFor).timeIntervalSince1970)
            req.session.data[Self.verifiedMaskKey] = phone.masked
            return req.redirect(to: "/find", redirectType: .normal)
        case .wrong(let counted):
            try await store.save(counted)
            return try await findPage(req, phone: phone.dialable, phoneStep: "code", maskedPhone: phone.masked,
                                      errors: ["code": PhoneVerification.wrongCode.text(language)], status: .badRequest)
        case .refused(let reason):
            return try await findPage(req, phone: phone.dialable, errors: ["phone": reason.text(language)], status: .badRequest)
        }
    }

    static func found(_ row: CaseRow, _ resident: ResidentReportRow?, _ language: Language) -> FoundCase {
        FoundCase(number: row.number, category: language == .en ? row.categoryNameEn : row.categoryName,
                  status: PlainTimeline.status(row.caseState).text(language), reported: Timestamp.beijing(row.reportedAt),
                  phone: resident?.phoneMasked, href: "/c/\(row.number)")
    }

    /// A case's public page (no rating or reopening: those need the tracking link).
    @Sendable func publicCase(req: Request) async throws -> Response {
        let text = req.parameters.get("number") ?? ""
        guard let number = ShortNumber.normalize(text), let row = try? await req.cases.find(number: number, scope: nil) else {
            throw DomainError.notFound(zh: "找不到编号为 \(text) 的案件", en: "no case has the number \(text)")
        }
        let page = try await trackPage(req, row: row, resident: try await ResidentReportStore(db: req.db).find(caseID: row.id), token: nil)
        return try await req.page("portal/track", page)
    }

    /// The public copy of a case photo (location metadata stripped); originals stay staff-only.
    @Sendable func publicPhoto(req: Request) async throws -> Response {
        let name = req.parameters.get("name") ?? ""
        let hash = (name as NSString).deletingPathExtension
        guard PhotoStorage.isValidName(hash), let photo = try await req.cases.photo(hash: hash), photo.publicHash == hash,
              let format = PhotoFormat(rawValue: photo.format),
              let data = try await req.application.photoStorage.read(hash: hash, format: format) else { throw CasesAPIController.photoNotFound }
        return CasesAPIController.photoResponse(data, format: format, cacheControl: "public, max-age=86400, immutable")
    }
}

extension PageChrome {
    /// Anonymous pages with forms (the portal) need a CSRF token too: the session is made on first use.
    func withCSRF(_ req: Request) -> PageChrome {
        var copy = self
        copy.csrf = CSRFMiddleware.token(for: req)
        return copy
    }
}
