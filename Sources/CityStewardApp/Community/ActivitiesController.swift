import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Activities for residents: `/api/v1/activities` and `/api/v1/village-themes` (organisers and auditors, scoped), the
/// console's `/activities` with each activity's page and its check-in poster, and on the portal (no login) an
/// activity's page `/a/{id}` with its sign-up form, the sign-up's receipt `/a/s/{token}`, and the check-in page
/// `/ac/{code}` its QR code at the place opens.
struct ActivitiesController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped("api", "v1")
        api.get("activities", use: listAPI)
        api.post("activities", use: organiseAPI)
        api.get("activities", ":id", use: showAPI)
        api.post("activities", ":id", "cancel", use: cancelAPI)
        // Pictures ride in the body, base64: up to six of 8 MB, as a notice takes them.
        api.on(.POST, "activities", ":id", "report", body: .collect(maxSize: "64mb"), use: reportAPI)
        api.get("village-themes", use: themesAPI)
        api.post("village-themes", use: setThemeAPI)
        routes.get("activities", use: listPage)
        routes.post("activities", use: organiseForm)
        routes.post("activities", "themes", use: themeForm)
        routes.get("activities", ":id", use: activityPage)
        routes.get("activities", ":id", "poster", use: poster)
        routes.post("activities", ":id", "cancel", use: cancelForm)
        routes.on(.POST, "activities", ":id", "report", body: .collect(maxSize: "64mb"), use: reportForm)
        routes.get("a", ":id", use: publicPage)
        routes.post("a", ":id", "signup", use: signUpForm)
        routes.get("a", ":id", "photos", ":name", use: photo)
        routes.get("a", "s", ":token", use: receiptPage)
        routes.post("a", "s", ":token", "cancel", use: cancelSignupForm)
        routes.get("ac", ":code", use: checkinPage)
        routes.post("ac", ":code", use: checkinForm)
    }

    // MARK: Views

    struct AreaRef: Content {
        var code: String
        var name: String
    }

    struct ActivityView: Content {
        var id: String
        var kind: String
        var kindLabel: String
        var title: String
        var description: String
        var village: AreaRef
        var place: String
        var lat: Double
        var long: Double
        var radius: Int
        var startsAt: Date
        var endsAt: Date
        /// Beijing time, for people.
        var when: String
        var organiser: String
        var organisation: String?
        var capacity: Int?
        var signedUp: Int
        var checkedIn: Int
        var placesLeft: Int?
        var status: String
        var statusLabel: String
        var cancelledAt: Date?
        var cancelReason: String?
        var outcome: String?
        var reportedAt: Date?
        /// The residents' page.
        var url: String
        var photos: [String]
        /// What the QR code at the place opens (organisers only; nil on the portal).
        var checkinURL: String?

        init(_ a: Activity, _ reference: CaseReference, _ language: Language, now: Date, photos: [NoticeStore.Photo] = [], checkinBase: String? = nil) {
            id = a.id.uuidString.lowercased()
            (kind, kindLabel, title, description) = (a.kind.rawValue, a.kind.label.text(language), a.title, a.description)
            let area = reference.areas[a.areaID]
            village = AreaRef(code: area?.code ?? "", name: area?.displayName(language) ?? "")
            (place, lat, long, radius, startsAt, endsAt) = (a.place, a.position.lat, a.position.long, a.radiusMetres, a.startsAt, a.endsAt)
            let sameDay = LocalDate.beijing(a.startsAt) == LocalDate.beijing(a.endsAt)
            when = BeijingTime.minute(a.startsAt) + " – " + (sameDay ? String(BeijingTime.minute(a.endsAt).suffix(5)) : BeijingTime.minute(a.endsAt))
            organiser = a.organiser
            organisation = a.orgID.flatMap { reference.orgs[$0]?.displayName(language) }
            (capacity, signedUp, checkedIn, placesLeft) = (a.capacity, a.signedUp, a.checkedIn, a.placesLeft)
            let s = a.status(at: now)
            (status, statusLabel) = (s.rawValue, s.label.text(language))
            (cancelledAt, cancelReason, outcome, reportedAt) = (a.cancelledAt, a.cancelReason, a.outcome, a.reportedAt)
            url = "/a/\(id)"
            let base = url
            self.photos = photos.compactMap { p in PhotoFormat(rawValue: p.format).map { "\(base)/photos/\(p.publicHash).\($0.fileExtension)" } }
            checkinURL = checkinBase.map { $0 + "/ac/" + a.checkinCode }
        }
    }

    struct SignupView: Content {
        var id: String
        /// Masked (surname and *), as the residents register shows names.
        var name: String
        var phone: String
        var signedUpAt: Date
        var walkIn: Bool
        var cancelledAt: Date?
        var checkedInAt: Date?
        var flags: [String]
        var flagLabels: [String]

        init(_ r: ActivitySignupRow, _ language: Language) {
            (id, name, phone, signedUpAt, walkIn) = (r.id.uuidString.lowercased(), r.nameMasked, r.phoneMasked, r.signedUpAt, r.walkIn)
            (cancelledAt, checkedInAt) = (r.cancelledAt, r.checkedInAt)
            flags = r.flags.map(\.rawValue)
            flagLabels = r.flags.map { $0.label.text(language) }
        }
    }

    struct ActivityDetail: Content {
        var activity: ActivityView
        var signups: [SignupView]
    }

    struct ActivityList: Content {
        var items: [ActivityView]
    }

    struct ThemeView: Content {
        var village: AreaRef
        var year: Int
        var name: String
        var summary: String
        var setAt: Date

        init(_ t: VillageTheme, _ reference: CaseReference, _ language: Language) {
            let area = reference.areas[t.areaID]
            village = AreaRef(code: area?.code ?? "", name: area?.displayName(language) ?? "")
            (year, name, summary, setAt) = (t.year, t.name, t.summary, t.setAt)
        }
    }

    struct ThemeList: Content {
        var items: [ThemeView]
    }

    /// The API's body: numbers as numbers, times as ISO 8601 (or Beijing's `YYYY-MM-DD HH:MM`).
    struct OrganiseBody: Content {
        var kind: String?
        var title: String?
        var description: String?
        /// The village's code.
        var area: String?
        var place: String?
        var lat: Double?
        var long: Double?
        var radius: Int?
        var startsAt: String?
        var endsAt: String?
        var organiser: String?
        var capacity: Int?
    }

    struct ReasonBody: Content {
        var reason: String?
    }

    struct ReportBody: Content {
        var outcome: String?
        var photos: [PhotoUpload]?
    }

    struct ThemeBody: Content {
        var area: String?
        var year: Int?
        var name: String?
        var summary: String?
    }

    static func number(_ v: Double?) -> String { v.map { String($0) } ?? "" }

    // MARK: API

    @Sendable func listAPI(req: Request) async throws -> ActivityList {
        let from = try req.query.get(String?.self, at: "from"), to = try req.query.get(String?.self, at: "to")
        func day(_ text: String?, _ field: String) throws -> Date? {
            guard let text, !text.isEmpty else { return nil }
            guard let d = LocalDate(text) else { throw DomainError.invalid(field, zh: "日期应为 YYYY-MM-DD", en: "a date is YYYY-MM-DD") }
            return d.beijingMidnight
        }
        let items = try await ActivitiesService(req: req).list(village: try req.query.get(String?.self, at: "village"),
                                                               kind: try req.query.get(String?.self, at: "kind"),
                                                               from: try day(from, "from"), to: try day(to, "to").map { $0.addingTimeInterval(86_400) })
        let reference = try await req.caseReference(), base = PortalController.baseURL(req)
        return ActivityList(items: items.map { ActivityView($0, reference, req.language, now: req.now, checkinBase: base) })
    }

    @Sendable func organiseAPI(req: Request) async throws -> Response {
        let b = try req.content.decode(OrganiseBody.self)
        guard let kind = try ActivitiesService.kind(b.kind) else { throw FieldProblems([FieldProblem(field: "kind", reason: LocalizedText(zh: "请选择活动类型", en: "choose the kind of activity"))]) }
        let input = ActivityInput(kind: kind, title: b.title ?? "", description: b.description ?? "", place: b.place ?? "", lat: Self.number(b.lat),
                                  long: Self.number(b.long), radius: b.radius.map(String.init) ?? "", startsAt: b.startsAt ?? "", endsAt: b.endsAt ?? "",
                                  organiser: b.organiser ?? "", capacity: b.capacity.map(String.init) ?? "")
        let made = try await ActivitiesService(req: req).organise(area: b.area, input: input)
        return try await detail(req, made).encodeResponse(status: .created, for: req)
    }

    func detail(_ req: Request, _ a: Activity) async throws -> ActivityDetail {
        let store = ActivityStore(db: req.db)
        return ActivityDetail(activity: ActivityView(a, try await req.caseReference(), req.language, now: req.now, photos: try await store.photos(of: a.id),
                                                     checkinBase: PortalController.baseURL(req)),
                              signups: try await store.signups(of: a.id).map { SignupView($0, req.language) })
    }

    @Sendable func showAPI(req: Request) async throws -> ActivityDetail {
        try await detail(req, try await ActivitiesService(req: req).find(req.parameters.get("id")).activity)
    }

    @Sendable func cancelAPI(req: Request) async throws -> ActivityDetail {
        let service = ActivitiesService(req: req)
        _ = try await service.find(req.parameters.get("id"))   // the activity the path names first: 404 before the body
        let body = (req.body.data?.readableBytes ?? 0) == 0 ? ReasonBody() : try req.content.decode(ReasonBody.self)
        return try await detail(req, try await service.cancel(req.parameters.get("id"), reason: body.reason))
    }

    @Sendable func reportAPI(req: Request) async throws -> ActivityDetail {
        let service = ActivitiesService(req: req)
        _ = try await service.find(req.parameters.get("id"))
        let body = try req.content.decode(ReportBody.self)
        let photos = try PhotoUpload.decode(body.photos, defaultRole: .report)
        return try await detail(req, try await service.report(req.parameters.get("id"), outcome: body.outcome, photos: photos))
    }

    @Sendable func themesAPI(req: Request) async throws -> ThemeList {
        let year = try req.query.get(Int?.self, at: "year") ?? LocalDate.beijing(req.now).year
        let reference = try await req.caseReference()
        return ThemeList(items: try await ActivitiesService(req: req).themes(year: year).map { ThemeView($0, reference, req.language) })
    }

    @Sendable func setThemeAPI(req: Request) async throws -> Response {
        let b = try req.content.decode(ThemeBody.self)
        let theme = try await ActivitiesService(req: req).setTheme(area: b.area, year: b.year, name: b.name, summary: b.summary)
        return try await ThemeView(theme, try await req.caseReference(), req.language).encodeResponse(status: .created, for: req)
    }

    // MARK: Console

    /// The console's form: the API's body typed into fields (all text), the village chosen from the caller's.
    struct Form: Content {
        var kind: String?
        var title: String?
        var description: String?
        var area: String?
        var place: String?
        var lat: String?
        var long: String?
        var radius: String?
        var startsAt: String?
        var endsAt: String?
        var organiser: String?
        var capacity: String?
    }

    struct ThemeForm: Content {
        var area: String?
        var year: String?
        var name: String?
        var summary: String?
    }

    struct ListPage: Encodable {
        var page: PageChrome
        var activities: [ActivityView]
        var themes: [ThemeView]
        var year: Int
        var kinds: [Choice]
        var villages: [Choice]
        var canOrganise: Bool
        var form: Form
        var formKinds: [Choice]
        var formVillages: [Choice]
        var errors: [String: String]
        var themeForm: ThemeForm
        var themeVillages: [Choice]
        var themeErrors: [String: String]
    }

    @Sendable func listPage(req: Request) async throws -> Response {
        try await listPage(req, form: nil, errors: [:], themeForm: nil, themeErrors: [:])
    }

    func listPage(_ req: Request, form typed: Form?, errors: [String: String], themeForm typedTheme: ThemeForm?, themeErrors: [String: String],
                  status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let language = req.language
        let service = ActivitiesService(req: req)
        let kindFilter = (try? req.query.get(String?.self, at: "kind")).flatMap { $0 }.flatMap { ActivityKind(rawValue: $0) }
        let villageFilter = (try? req.query.get(String?.self, at: "village")).flatMap { $0 } ?? ""
        let reference = try await req.caseReference()
        // From thirty days back: what is coming, on, and still to be reported.
        let items = try await service.list(village: reference.areasByCode[villageFilter]?.kind == .village ? villageFilter : nil, kind: kindFilter?.rawValue,
                                           from: req.now.addingTimeInterval(-30 * 86_400), to: nil)
        let year = LocalDate.beijing(req.now).year
        let themes = try await service.themes(year: year)
        let organisable = ActivityAccess.organiseScope(for: actor) == .nothing ? [] : try await service.organisable()
        let seen = reference.areas.values.filter { $0.kind == .village && NoticeAccess.covers(ActivityAccess.readScope(for: actor), path: $0.path) }
            .sorted { $0.code < $1.code }
        let tomorrow = LocalDate.beijing(req.now).adding(days: 1).description
        let form = typed ?? Form(kind: ActivityKind.villageTheme.rawValue, area: organisable.first?.code, startsAt: tomorrow + "T09:00", endsAt: tomorrow + "T11:00",
                                 organiser: actor.org?.displayName(language))
        let theme = typedTheme ?? ThemeForm(area: organisable.first?.code, year: String(year))
        func villageChoices(_ selected: String?) -> [Choice] {
            organisable.map { Choice(value: $0.code, label: "\($0.displayName(language))（\($0.code)）", selected: $0.code == selected) }
        }
        let page = ListPage(
            page: PageChrome(request: req, title: language == .en ? "Activities" : "活动"),
            activities: items.map { ActivityView($0, reference, language, now: req.now) },
            themes: themes.map { ThemeView($0, reference, language) }, year: year,
            kinds: [Choice(value: "", label: language == .en ? "All kinds" : "全部类型", selected: kindFilter == nil)]
                + ActivityKind.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0 == kindFilter) },
            villages: [Choice(value: "", label: language == .en ? "All villages" : "全部城中村", selected: villageFilter.isEmpty)]
                + seen.map { Choice(value: $0.code, label: $0.displayName(language), selected: $0.code == villageFilter) },
            canOrganise: !organisable.isEmpty, form: form,
            formKinds: ActivityKind.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == form.kind) },
            formVillages: villageChoices(form.area), errors: errors, themeForm: theme, themeVillages: villageChoices(theme.area), themeErrors: themeErrors)
        let response = try await req.page("activities", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func organiseForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let f = try req.content.decode(Form.self)
        do {
            guard let kind = (try? ActivitiesService.kind(f.kind)).flatMap({ $0 }) else {
                throw FieldProblems([FieldProblem(field: "kind", reason: LocalizedText(zh: "请选择活动类型", en: "choose the kind of activity"))])
            }
            let input = ActivityInput(kind: kind, title: f.title ?? "", description: f.description ?? "", place: f.place ?? "", lat: f.lat ?? "",
                                      long: f.long ?? "", radius: f.radius ?? "", startsAt: f.startsAt ?? "", endsAt: f.endsAt ?? "",
                                      organiser: f.organiser ?? "", capacity: f.capacity ?? "")
            let made = try await ActivitiesService(req: req).organise(area: f.area, input: input)
            return req.redirect(to: "/activities/\(made.id.uuidString.lowercased())")
        } catch let problems as FieldProblems {
            return try await listPage(req, form: f, errors: problems.messagesByField(req.language), themeForm: nil, themeErrors: [:], status: .unprocessableEntity)
        }
    }

    @Sendable func themeForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let f = try req.content.decode(ThemeForm.self)
        do {
            _ = try await ActivitiesService(req: req).setTheme(area: f.area, year: f.year.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? -1,
                                                               name: f.name, summary: f.summary)
            return req.redirect(to: "/activities#themes")
        } catch let problems as FieldProblems {
            return try await listPage(req, form: nil, errors: [:], themeForm: f, themeErrors: problems.messagesByField(req.language), status: .unprocessableEntity)
        }
    }

    struct DetailPage: Encodable {
        var page: PageChrome
        var activity: ActivityView
        var signups: [SignupRow]
        var mayManage: Bool
        var mayCancel: Bool
        var mayReport: Bool
        var qr: String
        var cancelReason: String
        var cancelError: String?
        var outcome: String
        var reportErrors: [String: String]

        struct SignupRow: Encodable {
            var view: SignupView
            var signedUp: String
            var checkedIn: String?
        }
    }

    @Sendable func activityPage(req: Request) async throws -> Response {
        try await activityPage(req, cancel: nil, report: nil)
    }

    func activityPage(_ req: Request, cancel: (reason: String, error: String)?, report: (outcome: String, errors: [String: String])?,
                      status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let (a, path) = try await ActivitiesService(req: req).find(req.parameters.get("id"))
        let d = try await detail(req, a)
        let manage = ActivityAccess.mayManage(actor, a, villagePath: path)
        let s = a.status(at: req.now)
        let url = d.activity.checkinURL ?? ""
        let rows = d.signups.map { DetailPage.SignupRow(view: $0, signedUp: BeijingTime.minute($0.signedUpAt), checkedIn: $0.checkedInAt.map(BeijingTime.minute)) }
        let page = DetailPage(page: PageChrome(request: req, title: a.title), activity: d.activity, signups: rows, mayManage: manage,
                              mayCancel: manage && (s == .upcoming || s == .ongoing || s == .awaitingReport),
                              mayReport: manage && (s == .ongoing || s == .awaitingReport),
                              qr: try QRCode.encode(url).svg(moduleSize: 4, title: url), cancelReason: cancel?.reason ?? "", cancelError: cancel?.error,
                              outcome: report?.outcome ?? "", reportErrors: report?.errors ?? [:])
        let response = try await req.page("activity", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    struct PosterPage: Encodable {
        var page: PageChrome
        var activity: ActivityView
        var qr: String
        var url: String
    }

    /// The check-in code to print and put up at the place (or show on the organiser's screen).
    @Sendable func poster(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let (a, _) = try await ActivitiesService(req: req).find(req.parameters.get("id"))
        let view = ActivityView(a, try await req.caseReference(), req.language, now: req.now, checkinBase: PortalController.baseURL(req))
        let url = view.checkinURL ?? ""
        return try await req.page("activity-poster", PosterPage(page: PageChrome(request: req, title: a.title), activity: view,
                                                                qr: try QRCode.encode(url).svg(moduleSize: 8, title: url), url: url))
    }

    @Sendable func cancelForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let f = try req.content.decode(ReasonBody.self)
        let id = req.parameters.get("id") ?? ""
        do {
            _ = try await ActivitiesService(req: req).cancel(id, reason: f.reason)
        } catch let problems as FieldProblems {
            return try await activityPage(req, cancel: (f.reason ?? "", problems.messagesByField(req.language).values.joined(separator: " ")), report: nil,
                                          status: .unprocessableEntity)
        }
        return req.redirect(to: "/activities/\(id)")
    }

    struct ReportForm: Content {
        var outcome: String?
        var photos: [File]?
    }

    @Sendable func reportForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let f = try req.content.decode(ReportForm.self)
        let id = req.parameters.get("id") ?? ""
        // Files the browser sends with no name and no bytes are the empty file field.
        let photos = (f.photos ?? []).filter { $0.data.readableBytes > 0 }.map { (data: Data(buffer: $0.data), role: PhotoRole.report) }
        do {
            _ = try await ActivitiesService(req: req).report(id, outcome: f.outcome, photos: photos)
        } catch let problems as FieldProblems {
            return try await activityPage(req, cancel: nil, report: (f.outcome ?? "", problems.messagesByField(req.language)), status: .unprocessableEntity)
        }
        return req.redirect(to: "/activities/\(id)")
    }

    // MARK: Portal

    struct PublicPage: Encodable {
        var page: PageChrome
        var activity: ActivityView
        var paragraphs: [String]
        var signupOpen: Bool
        var name: String
        var phone: String
        var errors: [String: String]
        var message: String?
        /// Why a sign-up was refused when the form is no longer shown (full, started, cancelled).
        var closedMessage: String?
    }

    @Sendable func publicPage(req: Request) async throws -> Response {
        try await publicPage(req, name: "", phone: "", errors: [:])
    }

    func publicPage(_ req: Request, name: String, phone: String, errors: [String: String], message: String? = nil, status: HTTPStatus = .ok) async throws -> Response {
        let a = try await ActivitiesService.publicActivity(req, req.parameters.get("id"))
        let view = ActivityView(a, try await req.caseReference(), req.language, now: req.now, photos: try await ActivityStore(db: req.db).photos(of: a.id))
        let decision = ActivityRules.decideSignup(a, alreadySignedUp: false, now: req.now)
        let open = decision == .signUp
        var closed: String?
        if case .refused(let why) = decision { closed = errors["phone"] ?? why.text(req.language) }
        let page = PublicPage(page: PageChrome(request: req, title: a.title).withCSRF(req), activity: view,
                              paragraphs: a.description.components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty },
                              signupOpen: open, name: name, phone: phone, errors: errors, message: message, closedMessage: closed)
        return try await req.page("portal/activity", page, status: status)
    }

    struct SignUpForm: Content {
        var name: String?
        var phone: String?
    }

    @Sendable func signUpForm(req: Request) async throws -> Response {
        let f = try req.content.decode(SignUpForm.self)
        do {
            let done = try await ActivitiesService(req: req).signUp(req.parameters.get("id"), name: f.name, phone: f.phone)
            guard let token = done.token else {
                return try await publicPage(req, name: f.name ?? "", phone: f.phone ?? "", errors: [:], message: req.language == .en
                    ? "This number is already signed up: the link you were given shows your sign-up." : "这个号码已经报名：报名时给出的链接可查看报名。")
            }
            return req.redirect(to: "/a/s/\(token)?new=1")
        } catch let problems as FieldProblems {
            return try await publicPage(req, name: f.name ?? "", phone: f.phone ?? "", errors: problems.messagesByField(req.language), status: .unprocessableEntity)
        }
    }

    struct ReceiptPage: Encodable {
        var page: PageChrome
        var activity: ActivityView
        var signup: SignupView
        var token: String
        var isNew: Bool
        var mayCancel: Bool
        var link: String
        var checkedIn: String?
    }

    @Sendable func receiptPage(req: Request) async throws -> Response {
        let token = req.parameters.get("token") ?? ""
        let (a, row) = try await ActivitiesService.receipt(req, token: token)
        let page = ReceiptPage(page: PageChrome(request: req, title: a.title).withCSRF(req), activity: ActivityView(a, try await req.caseReference(), req.language, now: req.now),
                               signup: SignupView(row, req.language), token: token, isNew: (try? req.query.get(String?.self, at: "new")).flatMap { $0 } == "1",
                               mayCancel: row.isActive && row.checkedInAt == nil && req.now < a.startsAt,
                               link: PortalController.baseURL(req) + "/a/s/" + token, checkedIn: row.checkedInAt.map(BeijingTime.minute))
        let response = try await req.page("portal/activity-receipt", page)
        // The link is the resident's key to the sign-up: never cached (the portal's pages send no referrer).
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func cancelSignupForm(req: Request) async throws -> Response {
        let token = req.parameters.get("token") ?? ""
        _ = try await ActivitiesService(req: req).cancelSignup(token: token)
        return req.redirect(to: "/a/s/\(token)")
    }

    struct CheckinPage: Encodable {
        var page: PageChrome
        var activity: ActivityView
        var code: String
        var name: String
        var phone: String
        var errors: [String: String]
        var done: Done?

        struct Done: Encodable {
            var already: Bool
            var walkIn: Bool
            var flagLabels: [String]
            var checkedInAt: String?
            var phone: String
        }
    }

    /// The check-in page, or — after a check-in (`?done=<sign-up>`) — what was recorded.
    @Sendable func checkinPage(req: Request) async throws -> Response {
        var done: CheckinPage.Done?
        if let id = try req.query.get(String?.self, at: "done").flatMap(UUID.init(uuidString:)),
           let a = try await ActivityStore(db: req.db).find(checkinCode: (req.parameters.get("code") ?? "").uppercased()),
           let row = try await ActivityStore(db: req.db).signup(id), row.activityId == a.id, row.checkedInAt != nil {
            done = .init(already: (try? req.query.get(String?.self, at: "already")).flatMap { $0 } == "1", walkIn: row.walkIn,
                         flagLabels: row.flags.map { $0.label.text(req.language) }, checkedInAt: row.checkedInAt.map(BeijingTime.minute), phone: row.phoneMasked)
        }
        return try await checkinPage(req, name: "", phone: "", errors: [:], done: done)
    }

    func checkinPage(_ req: Request, name: String, phone: String, errors: [String: String], done: CheckinPage.Done?, status: HTTPStatus = .ok) async throws -> Response {
        let code = (req.parameters.get("code") ?? "").uppercased()
        guard let a = try await ActivityStore(db: req.db).find(checkinCode: code) else { throw ActivityStore.notFound }
        let page = CheckinPage(page: PageChrome(request: req, title: a.title).withCSRF(req), activity: ActivityView(a, try await req.caseReference(), req.language, now: req.now),
                               code: code, name: name, phone: phone, errors: errors, done: done)
        let response = try await req.page("portal/activity-checkin", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    struct CheckinForm: Content {
        var name: String?
        var phone: String?
        var lat: String?
        var long: String?
        var accuracy: String?
        /// Milliseconds since 1970 by the phone's clock.
        var deviceTime: String?
    }

    @Sendable func checkinForm(req: Request) async throws -> Response {
        let f = try req.content.decode(CheckinForm.self)
        func number(_ s: String?) -> Double? { s.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0.isFinite ? $0 : nil } }
        do {
            let report = try PatrolController.report(lat: number(f.lat), long: number(f.long), accuracy: number(f.accuracy),
                                                     deviceTime: number(f.deviceTime).map { Date(timeIntervalSince1970: $0 / 1000) })
            let done = try await ActivitiesService(req: req).checkIn(code: req.parameters.get("code") ?? "", name: f.name, phone: f.phone, report: report)
            // Then to what was recorded (a reload does not send the check-in again).
            return req.redirect(to: "/ac/\(done.activity.checkinCode)?done=\(done.signup.id.uuidString.lowercased())\(done.already ? "&already=1" : "")")
        } catch let problems as FieldProblems {
            return try await checkinPage(req, name: f.name ?? "", phone: f.phone ?? "", errors: problems.messagesByField(req.language), done: nil,
                                         status: .unprocessableEntity)
        }
    }

    /// A reported activity's picture (its public copy); anything else 404.
    @Sendable func photo(req: Request) async throws -> Response {
        let name = req.parameters.get("name") ?? ""
        let hash = (name as NSString).deletingPathExtension
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)), PhotoStorage.isValidName(hash),
              let p = try await ActivityStore(db: req.db).photos(of: id).first(where: { $0.publicHash == hash }), let format = PhotoFormat(rawValue: p.format),
              let data = try await req.application.photoStorage.read(hash: hash, format: format) else { throw CasesAPIController.photoNotFound }
        return CasesAPIController.photoResponse(data, format: format, cacheControl: "public, max-age=3600")
    }
}
