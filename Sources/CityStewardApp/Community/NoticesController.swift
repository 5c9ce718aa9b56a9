import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Notices to residents: `/api/v1/notices` (publishers and auditors, scoped), the console's `/notices`, and on the
/// portal a village's page `/v/{code}` and a notice's own page `/n/{id}` (printable; counts its readers).
struct NoticesController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped("api", "v1")
        api.get("notices", use: list)
        // Pictures ride in the body, base64: up to six of 8 MB, as a case's report takes them.
        api.on(.POST, "notices", body: .collect(maxSize: "64mb"), use: publish)
        api.get("notices", ":id", use: show)
        api.post("notices", ":id", "withdraw", use: withdraw)
        routes.get("notices", use: page)
        routes.post("notices", use: publishForm)
        routes.post("notices", ":id", "withdraw", use: withdrawForm)
        routes.get("v", ":code", use: village)
        routes.get("n", ":id", use: notice)
        routes.get("n", ":id", "photos", ":name", use: photo)
    }

    struct NoticeView: Content {
        var id: String
        var title: String
        var body: String
        var kind: String
        var kindLabel: String
        var audience: String
        var audienceLabel: String
        var areas: [AreaRef]
        var shownFrom: String
        var shownUntil: String?
        var status: String
        var publisher: String?
        var createdAt: Date
        var withdrawnAt: Date?
        var withdrawnReason: String?
        var contract: String?
        var reads: Int
        var url: String
        /// Its pictures (public copies) on the portal.
        var photos: [String]

        struct AreaRef: Content {
            var code: String
            var name: String
        }

        init(_ n: Notice, _ reference: CaseReference, _ language: Language, today: LocalDate, photos: [NoticeStore.Photo] = []) {
            id = n.id.uuidString.lowercased()
            (title, body, kind, kindLabel) = (n.title, n.body, n.kind.rawValue, n.kind.label.text(language))
            (audience, audienceLabel) = (n.audience.rawValue, n.audience.label.text(language))
            areas = n.areas.compactMap { reference.areas[$0] }.map { AreaRef(code: $0.code, name: $0.displayName(language)) }
            (shownFrom, shownUntil, status) = (n.shownFrom.description, n.shownUntil?.description, n.status(on: today).rawValue)
            publisher = n.orgID.flatMap { reference.orgs[$0]?.displayName(language) }
            (createdAt, withdrawnAt, withdrawnReason, reads) = (n.createdAt, n.withdrawnAt, n.withdrawnReason, n.reads)
            contract = n.contractID?.uuidString.lowercased()
            url = "/n/\(id)"
            let base = url
            self.photos = photos.compactMap { p in PhotoFormat(rawValue: p.format).map { "\(base)/photos/\(p.publicHash).\($0.fileExtension)" } }
        }
    }

    struct NoticeList: Content {
        var items: [NoticeView]
    }

    struct WithdrawBody: Content {
        var reason: String?
    }

    // MARK: API

    @Sendable func list(req: Request) async throws -> NoticeList {
        let notices = try await NoticesService(req: req).list(kind: try req.query.get(String?.self, at: "kind"))
        let reference = try await req.caseReference(), today = NoticesService.today(req)
        let photos = try await NoticeStore(db: req.db).photos(of: notices.map(\.id))
        return NoticeList(items: notices.map { NoticeView($0, reference, req.language, today: today, photos: photos[$0.id] ?? []) })
    }

    @Sendable func publish(req: Request) async throws -> Response {
        let input = try req.content.decode(NoticesService.Input.self)
        let made = try await NoticesService(req: req).publish(input)
        let view = NoticeView(made, try await req.caseReference(), req.language, today: NoticesService.today(req),
                              photos: try await NoticeStore(db: req.db).photos(of: [made.id])[made.id] ?? [])
        return try await view.encodeResponse(status: .created, for: req)
    }

    @Sendable func show(req: Request) async throws -> NoticeView {
        let found = try await NoticesService(req: req).find(req.parameters.get("id"))
        return NoticeView(found.notice, try await req.caseReference(), req.language, today: NoticesService.today(req),
                          photos: try await NoticeStore(db: req.db).photos(of: [found.notice.id])[found.notice.id] ?? [])
    }

    @Sendable func withdraw(req: Request) async throws -> NoticeView {
        let service = NoticesService(req: req)
        _ = try await service.find(req.parameters.get("id"))   // the notice the path names first: 404 before the body
        let body = (req.body.data?.readableBytes ?? 0) == 0 ? WithdrawBody() : try req.content.decode(WithdrawBody.self)
        let done = try await service.withdraw(req.parameters.get("id"), reason: body.reason)
        return NoticeView(done, try await req.caseReference(), req.language, today: NoticesService.today(req),
                          photos: try await NoticeStore(db: req.db).photos(of: [done.id])[done.id] ?? [])
    }

    // MARK: Console

    /// The console's form is the API's body, typed into fields.
    typealias Form = NoticesService.Input

    struct ConsolePage: Encodable {
        var page: PageChrome
        var notices: [Row]
        var kinds: [Choice]
        var canPublish: Bool
        var form: Form
        var formKinds: [Choice]
        var formAudiences: [Choice]
        var formAreas: [Choice]
        var errors: [String: String]

        struct Row: Encodable {
            var view: NoticeView
            var statusLabel: String
            var mayWithdraw: Bool
            /// Why a withdrawal of this notice was just refused (shown by its reason field).
            var withdrawError: String?
        }
    }

    @Sendable func page(req: Request) async throws -> Response {
        try await page(req, form: nil, errors: [:])
    }

    static func statusLabel(_ status: Notice.Status) -> LocalizedText {
        switch status {
        case .scheduled: LocalizedText(zh: "待展示", en: "Scheduled")
        case .shown: LocalizedText(zh: "展示中", en: "Shown")
        case .ended: LocalizedText(zh: "已结束", en: "Ended")
        case .withdrawn: LocalizedText(zh: "已撤回", en: "Withdrawn")
        }
    }

    func page(_ req: Request, form typed: Form?, errors: [String: String], refusedWithdrawal: (id: String, message: String)? = nil,
              status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let language = req.language
        let kindFilter = (try? req.query.get(String?.self, at: "kind")).flatMap { $0 }.flatMap { NoticeKind(rawValue: $0) }
        let notices = try await NoticesService(req: req).list(kind: kindFilter?.rawValue)
        let reference = try await req.caseReference(), today = NoticesService.today(req)
        // Where the caller may publish: the district, its streets and villages within its scope.
        let scope = NoticeAccess.publishScope(for: actor)
        let places = reference.areas.values.filter { [.district, .street, .village].contains($0.kind) && NoticeAccess.covers(scope, path: $0.path) }
            .sorted { $0.code < $1.code }
        let form = typed ?? Form(kind: NoticeKind.general.rawValue, audience: NoticeAudience.everyone.rawValue, shownFrom: today.description)
        let chosen = Set(form.areas ?? [])
        let page = ConsolePage(
            page: PageChrome(request: req, title: language == .en ? "Notices" : "公告"),
            notices: notices.map { n in
                let paths = n.areas.map { reference.areas[$0]?.path ?? [$0] }
                return .init(view: NoticeView(n, reference, language, today: today), statusLabel: Self.statusLabel(n.status(on: today)).text(language),
                             mayWithdraw: n.withdrawnAt == nil && NoticeAccess.mayWithdraw(actor, n, paths: paths),
                             withdrawError: refusedWithdrawal.flatMap { $0.id == n.id.uuidString.lowercased() ? $0.message : nil })
            },
            kinds: [Choice(value: "", label: language == .en ? "All kinds" : "全部类型", selected: kindFilter == nil)]
                + NoticeKind.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0 == kindFilter) },
            canPublish: scope != .nothing, form: form,
            formKinds: NoticeKind.allCases.filter { $0 != .contract }.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == form.kind) },
            formAudiences: NoticeAudience.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == form.audience) },
            formAreas: places.map { Choice(value: $0.code, label: "\($0.displayName(language))（\($0.code)）", selected: chosen.contains($0.code)) },
            errors: errors)
        let response = try await req.page("notices", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func publishForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let form = try req.content.decode(Form.self)
        do {
            let made = try await NoticesService(req: req).publish(form)
            return req.redirect(to: "/notices#notice-\(made.id.uuidString.lowercased())")
        } catch let problems as FieldProblems {
            return try await page(req, form: form, errors: problems.messagesByField(req.language), status: .unprocessableEntity)
        }
    }

    @Sendable func withdrawForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let form = try req.content.decode(WithdrawBody.self)
        let id = req.parameters.get("id")
        do {
            _ = try await NoticesService(req: req).withdraw(id, reason: form.reason)
        } catch let problems as FieldProblems {
            let message = problems.messagesByField(req.language).values.joined(separator: " ")
            return try await page(req, form: nil, errors: [:], refusedWithdrawal: ((id ?? "").lowercased(), message), status: .unprocessableEntity)
        }
        return req.redirect(to: "/notices#notice-\(id ?? "")")
    }

    // MARK: Portal

    struct VillagePage: Encodable {
        var page: PageChrome
        var name: String
        var street: String?
        var code: String
        var reportURL: String
        var notices: [NoticeView]
        var theme: ActivitiesController.ThemeView?
        /// Coming up and on now; then the latest reported.
        var activities: [ActivitiesController.ActivityView]
        var past: [ActivitiesController.ActivityView]
        /// Deliberation items taken up, with their decisions and outcomes.
        var deliberations: [DeliberationsController.ItemView]
    }

    /// A village's page for its residents: what is shown there today, next to "report a problem".
    @Sendable func village(req: Request) async throws -> Response {
        let language = req.language
        let reference = try await req.caseReference()
        let code = req.parameters.get("code") ?? ""
        guard let area = reference.areasByCode[code], area.kind == .village else {
            throw DomainError.notFound(zh: "没有这个城中村", en: "there is no such village")
        }
        let today = NoticesService.today(req)
        let shown = try await NoticesService.shown(req, along: area.path)
        let activities = ActivityStore(db: req.db)
        let page = VillagePage(page: PageChrome(request: req, title: area.displayName(language)), name: area.displayName(language),
                               street: area.streetID.flatMap { reference.areas[$0]?.displayName(language) }, code: area.code,
                               reportURL: "/report" + (reference.place(area.code) != nil ? "?place=\(area.code)" : ""),
                               notices: shown.map { NoticeView($0, reference, language, today: today) },
                               theme: try await activities.themes(year: today.year, village: area.id).first.map { ActivitiesController.ThemeView($0, reference, language) },
                               activities: try await activities.shown(village: area.id, after: req.now).map { ActivitiesController.ActivityView($0, reference, language, now: req.now) },
                               past: try await activities.reported(village: area.id, limit: 5).map { ActivitiesController.ActivityView($0, reference, language, now: req.now) },
                               deliberations: try await DeliberationStore(db: req.db).shown(village: area.id).map {
                                   DeliberationsController.ItemView($0, reference, language, today: today, staff: false) })
        return try await req.page("portal/village", page)
    }

    struct NoticePage: Encodable {
        var page: PageChrome
        var notice: NoticeView
        var paragraphs: [String]
        var villages: [NoticeView.AreaRef]
    }

    /// A notice's own page (no login; printable): only while it is shown, else 404 like one that never was.
    @Sendable func notice(req: Request) async throws -> Response {
        let language = req.language
        let today = NoticesService.today(req)
        let store = NoticeStore(db: req.db)
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)), let found = try await store.find(id), found.isShown(on: today) else {
            throw NoticeStore.notFound
        }
        try await store.countRead(found.id)
        let reference = try await req.caseReference()
        var view = NoticeView(found, reference, language, today: today, photos: try await store.photos(of: [found.id])[found.id] ?? [])
        view.reads += 1
        let villages = found.areas.compactMap { reference.areas[$0] }.flatMap { a in
            a.kind == .village ? [a] : reference.areas.values.filter { $0.kind == .village && $0.path.contains(a.id) }.sorted { $0.code < $1.code }
        }.map { NoticeView.AreaRef(code: $0.code, name: $0.displayName(language)) }
        let page = NoticePage(page: PageChrome(request: req, title: found.title), notice: view,
                              paragraphs: found.body.components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty },
                              villages: Array(villages.prefix(30)))
        return try await req.page("portal/notice", page)
    }
}

extension NoticesController {
    /// A shown notice's picture (its public copy); anything else 404.
    @Sendable func photo(req: Request) async throws -> Response {
        let store = NoticeStore(db: req.db)
        let name = req.parameters.get("name") ?? ""
        let hash = (name as NSString).deletingPathExtension
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)), PhotoStorage.isValidName(hash),
              let found = try await store.find(id), found.isShown(on: NoticesService.today(req)),
              let photo = try await store.photos(of: [id])[id]?.first(where: { $0.publicHash == hash }), let format = PhotoFormat(rawValue: photo.format),
              let data = try await req.application.photoStorage.read(hash: hash, format: format) else { throw CasesAPIController.photoNotFound }
        return CasesAPIController.photoResponse(data, format: format, cacheControl: "public, max-age=3600")
    }
}
