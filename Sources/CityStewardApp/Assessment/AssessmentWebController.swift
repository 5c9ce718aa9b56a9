import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The assessment in the console: `/assessment` (the plans; the district office makes a year's plan from the standard
/// method), `/assessment/plans/{id}` (the method with its formulas and bands, the versions with their reasons,
/// publishing, a change as a new version, and every village's score ranked) and
/// `/assessment/plans/{id}/villages/{code}` (one village's points, each explained down to its cases). On `AssessmentService`.
struct AssessmentWebController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("assessment", use: plans)
        routes.post("assessment", "plans", use: create)
        routes.get("assessment", "plans", ":id", use: plan)
        routes.post("assessment", "plans", ":id", "publish", use: publish)
        routes.post("assessment", "plans", ":id", "versions", use: change)
        routes.get("assessment", "plans", ":id", "villages", ":code", use: village)
        routes.get("assessment", "plans", ":id", "export.csv", use: exportCSV)
        routes.get("assessment", "plans", ":id", "export.xlsx", use: exportXLSX)
        routes.post("assessment", "plans", ":id", "results", use: publishResults)
        routes.post("assessment", "comments", ":id", "hide", use: hide)
        routes.post("assessment", "comments", ":id", "answer", use: answer)
        routes.post("assessment", "comments", ":id", "recheck", use: recheck)
    }

    typealias API = AssessmentController

    @Sendable func exportCSV(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        return try await ExportScores(req: req).csv(req.parameters.get("id") ?? "")
    }

    @Sendable func exportXLSX(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        return try await ExportScores(req: req).xlsx(req.parameters.get("id") ?? "")
    }

    // MARK: Plans

    struct PlanRow: Encodable {
        var id: String
        var year: Int
        var name: String
        var version: Int
        var published: String?
    }

    struct NewPlanForm: Content {
        var year: String?
        var name: String?
    }

    struct PlansPage: Encodable {
        var page: PageChrome
        var plans: [PlanRow]
        var canManage: Bool
        var form: NewPlanForm
        var errors: [String: String]
    }

    @Sendable func plans(req: Request) async throws -> Response {
        try await plans(req, form: nil, errors: [:])
    }

    func plans(_ req: Request, form typed: NewPlanForm?, errors: [String: String], status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.consoleActor()
        let rows = try await AssessmentService(req: req).plans()
        let next = LocalDate.beijing(req.now).year + 1
        let language = req.language
        let page = PlansPage(page: PageChrome(request: req, title: language == .en ? "Assessment" : "考核"),
                             plans: rows.map { PlanRow(id: $0.id.uuidString.lowercased(), year: $0.year, name: $0.name, version: $0.version,
                                                       published: $0.publishedAt.map(BeijingTime.minute)) },
                             canManage: AssessmentAccess.mayManage(actor),
                             form: typed ?? NewPlanForm(year: String(next), name: language == .en ? "\(next) steward assessment" : "\(next) 年度城市管家考核"),
                             errors: errors)
        let response = try await req.page("assessment", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    /// A year's plan from the district's standard method (changed afterwards as a new version, on the plan's page).
    @Sendable func create(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let form = try req.content.decode(NewPlanForm.self)
        do {
            let made = try await AssessmentService(req: req).create(year: Int(form.year ?? ""), name: form.name ?? "", method: .standard)
            return req.redirect(to: "/assessment/plans/\(made.id.uuidString.lowercased())")
        } catch let problems as FieldProblems {
            return try await plans(req, form: form, errors: problems.messagesByField(req.language), status: .unprocessableEntity)
        }
    }

    // MARK: One plan

    struct MethodRow: Encodable {
        var key: String
        var name: String
        var depth: Int
        var weight: String
        var formula: String?
        var bands: String?
    }

    static func rows(_ indicators: [Indicator], _ language: Language, depth: Int = 1) -> [MethodRow] {
        indicators.flatMap { i -> [MethodRow] in
            let unit = i.measure?.unit ?? ""
            let cmp = i.measure?.higherIsBetter == false ? "≤" : "≥"
            let bands = i.children.isEmpty ? i.bands.map { "\(cmp)\(AssessmentScoring.fmt($0.threshold))\(unit) → \(AssessmentScoring.fmt($0.points))" }.joined(separator: "；") : nil
            let formula = i.measure.map { "\($0.label.text(language))：\($0.formula.text(language))" }
            return [MethodRow(key: i.key, name: i.name, depth: depth, weight: AssessmentScoring.fmt(i.weight) + "%", formula: formula, bands: bands)]
                + rows(i.children, language, depth: depth + 1)
        }
    }

    struct VersionRow: Encodable {
        var number: Int
        var name: String
        var reason: String?
        var at: String
    }

    struct ScoreRow: Encodable {
        var code: String
        var village: String
        var steward: String
        var total: String
        var grade: String?
        var rank: Int?
        var cases: Int
        /// Against the period before: "+1.5", "−2", or nil.
        var change: String?
    }

    struct StreetRow: Encodable {
        var name: String
        var villages: Int
        var total: String
        var grade: String?
    }

    struct ChangeForm: Content {
        var name: String?
        var method: String?
        var reason: String?
    }

    struct PlanPage: Encodable {
        var page: PageChrome
        var id: String
        var plan: PlanRow
        var method: [MethodRow]
        var grades: String
        var versions: [VersionRow]
        var canPublish: Bool
        var canChange: Bool
        /// Whether the plan's year has begun (before it, there are no scores).
        var begun: Bool
        var from: String
        var through: String
        var scores: [ScoreRow]
        var streets: [StreetRow]
        /// The periods to score over (the year, its quarters and months begun) and the one shown.
        var periods: [Choice]
        var showChange: Bool
        var departments: [Choice]
        /// The department whose matters the scores count, if one.
        var department: String?
        var exportQuery: String
        var form: ChangeForm
        var errors: [String: String]
        /// The published results (公示), newest first, with the window and the form to publish or correct them.
        var results: [ResultRow]
        var canPublishResults: Bool
        var correcting: Bool
        var resultForm: ResultForm
        var comments: [CommentRow]
        var canModerate: Bool
    }

    struct ResultRow: Encodable {
        var version: Int
        var published: String
        var window: String
        var reason: String?
        var villages: Int
    }

    struct ResultForm: Content {
        var opens: String?
        var closes: String?
        var reason: String?
    }

    struct CommentRow: Encodable {
        var id: String
        var kind: String
        var village: String?
        var name: String?
        var body: String
        var at: String
        var hidden: String?
        var answer: String?
        /// The spot-check round re-checking an objection, or whether one can be arranged.
        var recheck: String?
        var recheckHref: String?
        var canRecheck: Bool
        /// What was typed in its forms, and their problems.
        var typedReason: String?
        var typedAnswer: String?
        var hideError: String?
        var answerError: String?
    }

    /// What a moderation form sent back with a problem: which comment, which form, what was typed, the problem.
    struct Moderation {
        var comment: String
        var hiding: Bool
        var text: String
        var error: String
    }

    static let pretty: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    @Sendable func plan(req: Request) async throws -> Response {
        try await plan(req, form: nil, errors: [:])
    }

    func plan(_ req: Request, form typed: ChangeForm?, errors: [String: String], status: HTTPStatus = .ok, resultForm: ResultForm? = nil,
              moderation: Moderation? = nil) async throws -> Response {
        let actor = try req.consoleActor()
        let id = req.parameters.get("id") ?? ""
        let service = AssessmentService(req: req)
        let found = try await service.plan(id)
        guard let current = found.versions.last else { throw AssessmentStore.notFound }
        let language = req.language
        // A year not yet begun has no scores to show.
        let begun = LocalDate.beijing(req.now).year >= found.plan.year
        let period = try AssessmentController.period(req) ?? .year(found.plan.year)
        let asked = try await AssessmentController.department(req)
        let scored = begun ? try await service.scores(id, from: nil, through: nil, period: period, department: asked) : nil
        let reference = try await req.caseReference()
        // A department officer's scores are its own matters' (no choice to offer); the others may pick a department.
        let chosen = scored?.department?.id ?? asked
        let departments = AssessmentAccess.department(for: actor, asked: nil) != nil ? [] : reference.orgs.values.filter { $0.kind == .department }
            .sorted { $0.code < $1.code }.map { Choice(value: $0.code, label: $0.displayName(language), selected: $0.id == chosen) }
        var exportQuery = "period=\(period.description)"
        if let code = scored?.department?.code { exportQuery += "&department=\(code)" }
        func signed(_ x: Double) -> String { x > 0 ? "+" + AssessmentScoring.fmt(x) : x < 0 ? "−" + AssessmentScoring.fmt(-x) : "0" }
        let published = try await AssessmentResultService(req: req).results(id)
        let rounds = Dictionary(try await SpotCheckStore(db: req.db).rounds().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let method = String(decoding: try Self.pretty.encode(MethodBody(current.method)), as: UTF8.self)
        let page = PlanPage(
            page: PageChrome(request: req, title: found.plan.name), id: found.plan.id.uuidString.lowercased(),
            plan: PlanRow(id: found.plan.id.uuidString.lowercased(), year: found.plan.year, name: found.plan.name, version: found.plan.version,
                          published: found.plan.publishedAt.map(BeijingTime.minute)),
            method: Self.rows(current.method.indicators, language),
            grades: current.method.grades.sorted { $0.minimum > $1.minimum }.map { "\($0.grade) ≥ \(AssessmentScoring.fmt($0.minimum))" }.joined(separator: "，"),
            versions: found.versions.map { VersionRow(number: $0.number, name: $0.name, reason: $0.reason, at: BeijingTime.minute($0.createdAt)) },
            canPublish: AssessmentAccess.mayManage(actor) && found.plan.publishedAt == nil && AssessmentRules.mayPublish(year: found.plan.year, today: LocalDate.beijing(req.now)),
            canChange: AssessmentAccess.mayManage(actor), begun: begun, from: scored?.from.description ?? "", through: scored?.through.description ?? "",
            scores: (scored?.scores ?? []).map { s in
                ScoreRow(code: s.village.code, village: s.village.displayName(language), steward: s.steward.flatMap { reference.orgs[$0]?.displayName(language) } ?? "—",
                         total: AssessmentScoring.fmt(s.card.total), grade: s.card.grade, rank: s.rank, cases: s.cases, change: s.change.map(signed))
            },
            streets: scored.map { r in AssessmentService.streets(r.scores, method: r.version.method, reference: reference).map {
                StreetRow(name: $0.street.displayName(language), villages: $0.villages, total: AssessmentScoring.fmt($0.total), grade: $0.grade)
            } } ?? [],
            periods: begun ? AssessmentPeriod.choices(year: found.plan.year, today: LocalDate.beijing(req.now)).map {
                Choice(value: $0.description, label: Self.periodLabel($0, language), selected: $0 == period)
            } : [],
            showChange: period.previous != nil, departments: departments, department: scored?.department?.displayName(language), exportQuery: exportQuery,
            form: typed ?? ChangeForm(name: found.plan.name, method: method, reason: ""), errors: errors,
            results: published.results.reversed().map { r in
                ResultRow(version: r.version, published: BeijingTime.minute(r.publishedAt), window: "\(r.opens) — \(r.closes)", reason: r.reason, villages: r.scores.count)
            },
            canPublishResults: AssessmentAccess.mayManage(actor) && found.plan.publishedAt != nil && LocalDate.beijing(req.now).year > found.plan.year,
            correcting: !published.results.isEmpty,
            resultForm: resultForm ?? ResultForm(opens: LocalDate.beijing(req.now).description, closes: LocalDate.beijing(req.now).adding(days: 9).description, reason: ""),
            comments: published.comments.reversed().map { c in
                let round = c.recheckRoundId.flatMap { rounds[$0] }
                let mine = moderation?.comment == c.id.uuidString.lowercased() ? moderation : nil
                return CommentRow(id: c.id.uuidString.lowercased(), kind: CommentKind(rawValue: c.kind)?.label.text(language) ?? c.kind, village: c.village, name: c.name,
                                  body: c.body, at: BeijingTime.minute(c.createdAt), hidden: c.hiddenReason, answer: c.answer,
                                  recheck: round?.code, recheckHref: round.map { "/spot-checks/\($0.id.uuidString.lowercased())" },
                                  canRecheck: c.kind == CommentKind.objection.rawValue && c.village != nil && c.recheckRoundId == nil,
                                  typedReason: mine?.hiding == true ? mine?.text : nil, typedAnswer: mine?.hiding == false ? mine?.text : c.answer,
                                  hideError: mine?.hiding == true ? mine?.error : nil, answerError: mine?.hiding == false ? mine?.error : nil)
            },
            canModerate: AssessmentAccess.mayManage(actor))
        let response = try await req.page("assessment-plan", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    static func periodLabel(_ p: AssessmentPeriod, _ language: Language) -> String {
        let en = language == .en
        switch p {
        case .year(let y): return en ? "The year \(y)" : "\(y) 全年"
        case .quarter(let y, let q): return en ? "\(y) Q\(q)" : "\(y) 年第 \(q) 季度"
        case .month(let y, let m): return en ? "\(LedgerChart.monthNames[m - 1]) \(y)" : "\(y) 年 \(m) 月"
        }
    }

    /// The method as the change form shows it: the API's body, so what is copied from one fits the other.
    struct MethodBody: Encodable {
        var indicators: [API.IndicatorBody]
        var grades: [GradeBand]

        init(_ m: AssessmentMethod) {
            func body(_ i: Indicator) -> API.IndicatorBody {
                API.IndicatorBody(key: i.key, name: i.name, weight: i.weight, measure: i.measure?.rawValue, bands: i.children.isEmpty ? i.bands : nil,
                                  children: i.children.isEmpty ? nil : i.children.map(body))
            }
            indicators = m.indicators.map(body)
            grades = m.grades
        }
    }

    @Sendable func publish(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let id = req.parameters.get("id") ?? ""
        _ = try await AssessmentService(req: req).publish(id)
        return req.redirect(to: "/assessment/plans/\(id)")
    }

    /// A new version from the form: the name, the method as JSON (the API's body) and the reason.
    @Sendable func change(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let id = req.parameters.get("id") ?? ""
        let service = AssessmentService(req: req)
        let current = try await service.plan(id)
        let form = try req.content.decode(ChangeForm.self)
        do {
            var method: AssessmentMethod?
            if let text = form.method, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                guard let body = try? JSONDecoder().decode(API.PlanBody.self, from: Data(text.utf8)) else {
                    throw FieldProblems([FieldProblem(field: "method", reason: LocalizedText(zh: "方法须为 JSON：indicators 与 grades（与接口相同）",
                                                                                             en: "the method is JSON: indicators and grades (as the API takes them)"))])
                }
                method = try API.method(body, over: current.versions.last?.method)
            }
            _ = try await service.change(id, name: form.name, method: method, reason: form.reason ?? "")
            return req.redirect(to: "/assessment/plans/\(id)")
        } catch let problems as FieldProblems {
            // An indicator's problem shows by the method's field.
            let messages = problems.messagesByField(req.language)
            var errors: [String: String] = [:]
            for (field, text) in messages {
                let key = field.hasPrefix("indicators") || field == "grades" ? "method" : field
                errors[key] = errors[key].map { $0 + "；" + text } ?? text
            }
            return try await plan(req, form: form, errors: errors, status: .unprocessableEntity)
        }
    }

    // MARK: Published results

    /// Publishes (or corrects) the year's results from the form; a problem comes back by its field with what was typed.
    @Sendable func publishResults(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let id = req.parameters.get("id") ?? ""
        let form = try req.content.decode(ResultForm.self)
        do {
            _ = try await AssessmentResultService(req: req).publish(id, opens: form.opens ?? "", closes: form.closes ?? "", reason: form.reason ?? "")
            return req.redirect(to: "/assessment/plans/\(id)#results", redirectType: .normal)
        } catch let problems as FieldProblems {
            let errors = problems.messagesByField(req.language)
            return try await plan(req, form: nil, errors: Dictionary(uniqueKeysWithValues: errors.map { ("results" + $0.key.prefix(1).uppercased() + $0.key.dropFirst(), $0.value) }), status: .unprocessableEntity,
                                  resultForm: form)
        }
    }

    struct ModerationForm: Content {
        var reason: String?
        var answer: String?
    }

    @Sendable func hide(req: Request) async throws -> Response {
        try await moderate(req, hiding: true)
    }

    @Sendable func answer(req: Request) async throws -> Response {
        try await moderate(req, hiding: false)
    }

    /// Arranges an objection's on-the-spot re-check, then opens the round drawn for it.
    @Sendable func recheck(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let done = try await AssessmentResultService(req: req).recheck((req.parameters.get("id") ?? "").lowercased(), count: nil)
        return req.redirect(to: "/spot-checks/\(done.round.id.uuidString.lowercased())")
    }

    /// Hides or answers a comment, then its plan's page; a problem comes back by the comment's form with what was typed.
    func moderate(_ req: Request, hiding: Bool) async throws -> Response {
        _ = try req.consoleActor()
        let id = (req.parameters.get("id") ?? "").lowercased()
        let form = try req.content.decode(ModerationForm.self)
        let service = AssessmentResultService(req: req)
        let text = (hiding ? form.reason : form.answer) ?? ""
        do {
            let done = hiding ? try await service.hide(id, reason: text) : try await service.answer(id, text: text)
            return req.redirect(to: "/assessment/plans/\(done.planId.uuidString.lowercased())#comments", redirectType: .normal)
        } catch let problems as FieldProblems {
            guard let uuid = UUID(uuidString: id) else { throw AssessmentResultStore.commentNotFound }
            let comment = try await AssessmentResultStore(db: req.db).comment(uuid)
            req.parameters.set("id", to: comment.planId.uuidString.lowercased())
            let message = problems.messagesByField(req.language).values.joined(separator: "；")
            return try await plan(req, form: nil, errors: [:], status: .unprocessableEntity,
                                  moderation: Moderation(comment: id, hiding: hiding, text: text, error: message))
        }
    }

    // MARK: One village

    struct PointRow: Encodable {
        var key: String
        var name: String
        var depth: Int
        var points: String
        var share: String
        var contribution: String
        var explanation: String
        var evidence: [String]
    }

    struct VillagePage: Encodable {
        var page: PageChrome
        var id: String
        var plan: String
        var village: String
        var from: String
        var through: String
        var total: String
        var grade: String?
        var rank: Int?
        var rows: [PointRow]
    }

    static func pointRows(_ scores: [IndicatorScore], _ language: Language, depth: Int = 1) -> [PointRow] {
        scores.flatMap { s -> [PointRow] in
            [PointRow(key: s.key, name: s.name, depth: depth, points: s.points.map(AssessmentScoring.fmt) ?? "—", share: AssessmentScoring.fmt(s.share) + "%",
                      contribution: AssessmentScoring.fmt(s.contribution), explanation: s.explanation.text(language),
                      evidence: s.children.isEmpty ? (s.measured?.evidence ?? []) : [])]
                + pointRows(s.children, language, depth: depth + 1)
        }
    }

    @Sendable func village(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let id = req.parameters.get("id") ?? "", code = req.parameters.get("code") ?? ""
        let service = AssessmentService(req: req)
        let found = try await service.plan(id)
        let scored = try await service.scores(id, from: nil, through: nil)
        guard let s = scored.scores.first(where: { $0.village.code == code }) else {
            throw DomainError.notFound(zh: "考核范围内没有这个村（社区）", en: "no such village in the assessment's scope")
        }
        let language = req.language
        let page = VillagePage(page: PageChrome(request: req, title: s.village.displayName(language)), id: found.plan.id.uuidString.lowercased(),
                               plan: found.plan.name, village: s.village.displayName(language), from: scored.from.description, through: scored.through.description,
                               total: AssessmentScoring.fmt(s.card.total), grade: s.card.grade, rank: s.rank, rows: Self.pointRows(s.card.indicators, language))
        let response = try await req.page("assessment-village", page)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}

/// The public assessment (公示, plan §10): `/public/assessment/{year}`, no login, phone first, zh-Hans and English — the
/// year's published plan with its indicators, formulas, bands and grades, and every version with its date and reason
/// (the method is public before any score is); once the year's results are published, every village's score with the
/// working of each point, every version of the results with its reason, the comment window, the comments (hidden ones
/// with the reason in their place, answers with them) and, while the window is open, the form to comment or object.
struct PublicAssessmentController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("public", "assessment", ":year", use: page)
        routes.post("public", "assessment", ":year", "comments", use: comment)
    }

    struct VersionRow: Encodable {
        var number: Int
        var at: String
        var reason: String?
    }

    struct LineRow: Encodable {
        var key: String
        var name: String
        var points: String
        var contribution: String
        var working: String
        var evidence: [String]
    }

    struct ResultRow: Encodable {
        var code: String
        var village: String
        var steward: String
        var total: String
        var grade: String?
        var rank: Int?
        var cases: Int
        var lines: [LineRow]
    }

    struct ResultVersion: Encodable {
        var version: Int
        var published: String
        var reason: String?
        var opens: String
        var closes: String
    }

    struct CommentRow: Encodable {
        var id: String
        var kind: String
        var village: String?
        var name: String?
        var body: String?
        var at: String
        var hidden: String?
        var answer: String?
        /// The spot-check round re-checking an objection.
        var recheck: String?
    }

    struct CommentForm: Content {
        var kind: String?
        var village: String?
        var body: String?
        var name: String?
    }

    struct Choice: Encodable {
        var value: String
        var label: String
        var selected: Bool
    }

    struct PublicPage: Encodable {
        var page: PageChrome
        var year: Int
        var name: String
        var published: String
        var version: Int
        var method: [AssessmentWebController.MethodRow]
        var grades: String
        var versions: [VersionRow]
        /// The latest results and every version of them, newest first.
        var results: [ResultRow]
        var resultVersions: [ResultVersion]
        var current: ResultVersion?
        /// `open`, `before` or `closed` (final).
        var window: String?
        var comments: [CommentRow]
        var villages: [Choice]
        var kinds: [Choice]
        var form: CommentForm
        var errors: [String: String]
        var sent: Bool
    }

    @Sendable func page(req: Request) async throws -> Response {
        try await page(req, form: nil, errors: [:])
    }

    func page(_ req: Request, form typed: CommentForm?, errors: [String: String], status: HTTPStatus = .ok) async throws -> Response {
        let text = req.parameters.get("year") ?? ""
        guard let year = Int(text), let found = try await AssessmentResultService(req: req).year(year), let published = found.plan.publishedAt else {
            throw DomainError.notFound(zh: "\(text) 年度没有已公布的考核方案", en: "no assessment plan is published for \(text)")
        }
        let rounds = Dictionary(try await SpotCheckStore(db: req.db).rounds().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let versions = try await AssessmentStore(db: req.db).versions(found.plan.id)
        guard let current = versions.last else { throw AssessmentStore.notFound }
        let language = req.language
        let reference = try await req.caseReference()
        let latest = found.results.last
        func version(_ r: AssessmentResult) -> ResultVersion {
            ResultVersion(version: r.version, published: BeijingTime.minute(r.publishedAt), reason: r.reason, opens: r.opens.description, closes: r.closes.description)
        }
        var window: String?
        if let latest {
            let w = latest.window
            window = req.now < w.start ? "before" : req.now < w.end ? "open" : "closed"
        }
        let form = typed ?? CommentForm(kind: CommentKind.comment.rawValue, village: "", body: "", name: "")
        let names = Dictionary((latest?.scores ?? []).map { ($0.village, reference.areasByCode[$0.village]?.displayName(language) ?? $0.villageName) }, uniquingKeysWith: { a, _ in a })
        // A session (for the form's CSRF token) only while comments are taken.
        let chrome = PageChrome(request: req, title: current.name)
        let page = PublicPage(
            page: window == "open" ? chrome.withCSRF(req) : chrome, year: found.plan.year, name: current.name, published: BeijingTime.minute(published),
            version: current.number, method: AssessmentWebController.rows(current.method.indicators, language),
            grades: current.method.grades.sorted { $0.minimum > $1.minimum }.map { "\($0.grade) ≥ \(AssessmentScoring.fmt($0.minimum))" }.joined(separator: language == .en ? ", " : "，"),
            versions: versions.map { VersionRow(number: $0.number, at: BeijingTime.minute($0.createdAt), reason: $0.reason) },
            results: (latest?.scores ?? []).map { s in
                ResultRow(code: s.village, village: names[s.village] ?? s.villageName,
                          steward: s.steward.flatMap { code in reference.orgs.values.first { $0.code == code }?.displayName(language) } ?? "—",
                          total: AssessmentScoring.fmt(s.total), grade: s.grade, rank: s.rank, cases: s.cases,
                          lines: s.lines.map { LineRow(key: $0.key, name: $0.name, points: $0.points.map(AssessmentScoring.fmt) ?? "—",
                                                       contribution: AssessmentScoring.fmt($0.contribution), working: $0.working.text(language), evidence: $0.evidence) })
            },
            resultVersions: found.results.reversed().map(version), current: latest.map(version), window: window,
            comments: found.comments.map { c in
                CommentRow(id: c.id.uuidString.lowercased(), kind: CommentKind(rawValue: c.kind)?.label.text(language) ?? c.kind, village: c.village.map { names[$0] ?? $0 },
                           name: c.hiddenAt == nil ? c.name : nil, body: c.hiddenAt == nil ? c.body : nil, at: BeijingTime.minute(c.createdAt),
                           hidden: c.hiddenAt == nil ? nil : c.hiddenReason, answer: c.answer, recheck: c.recheckRoundId.flatMap { rounds[$0]?.code })
            },
            villages: (latest?.scores ?? []).map { Choice(value: $0.village, label: names[$0.village] ?? $0.villageName, selected: $0.village == form.village) }
                .sorted { $0.value < $1.value },
            kinds: CommentKind.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == form.kind) },
            form: form, errors: errors, sent: req.query[String.self, at: "sent"] == "1")
        let response = try await req.page("portal/assessment", page, status: status)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    /// A comment or an objection from the page: stored, then the page again (303) with a note that it was received;
    /// a problem comes back by its field with what was typed.
    @Sendable func comment(req: Request) async throws -> Response {
        let text = req.parameters.get("year") ?? ""
        guard let year = Int(text) else { throw DomainError.notFound(zh: "没有这个年度", en: "no such year") }
        let form = try req.content.decode(CommentForm.self)
        do {
            _ = try await AssessmentResultService(req: req).comment(year: year, kind: form.kind ?? "", village: form.village ?? "", body: form.body ?? "", name: form.name ?? "")
        } catch let problems as FieldProblems {
            return try await page(req, form: form, errors: problems.messagesByField(req.language), status: .unprocessableEntity)
        }
        let lang = req.query[String.self, at: "lang"].map { "&lang=\($0)" } ?? ""
        return req.redirect(to: "/public/assessment/\(year)?sent=1\(lang)#comments", redirectType: .normal)
    }
}
