import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The assessment in the API: `/api/v1/assessment/plans` (list, make), `/plans/{id}` (with its versions),
/// `/plans/{id}/versions` (a change), `/plans/{id}/publish`, and `/plans/{id}/scores` (every village's score in the
/// caller's scope, each point explained), on `AssessmentService`.
struct AssessmentController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped("api", "v1", "assessment", "plans")
        api.get(use: list)
        api.post(use: create)
        api.get(":id", use: show)
        api.post(":id", "versions", use: change)
        api.post(":id", "publish", use: publish)
        api.get(":id", "scores", use: scores)
        api.get(":id", "scores", "export.csv", use: scoresCSV)
        api.get(":id", "scores", "export.xlsx", use: scoresXLSX)
        api.get(":id", "results", use: results)
        api.post(":id", "results", use: publishResults)
        let comments = routes.grouped("api", "v1", "assessment", "comments")
        comments.post(":id", "hide", use: hide)
        comments.post(":id", "answer", use: answer)
        comments.post(":id", "recheck", use: recheck)
    }

    // MARK: Views

    struct IndicatorView: Content {
        var key: String
        var name: String
        var weight: Double
        var measure: String?
        var measureLabel: String?
        var formula: String?
        var higherIsBetter: Bool?
        var bands: [ScoreBand]?
        var children: [IndicatorView]?

        init(_ i: Indicator, _ language: Language) {
            (key, name, weight) = (i.key, i.name, i.weight)
            measure = i.measure?.rawValue
            measureLabel = i.measure?.label.text(language)
            formula = i.measure?.formula.text(language)
            higherIsBetter = i.measure?.higherIsBetter
            bands = i.children.isEmpty ? i.bands : nil
            children = i.children.isEmpty ? nil : i.children.map { IndicatorView($0, language) }
        }
    }

    struct VersionView: Content {
        var number: Int
        var name: String
        var reason: String?
        var createdAt: Date
        var indicators: [IndicatorView]
        var grades: [GradeBand]
    }

    struct PlanView: Content {
        var id: UUID
        var year: Int
        var name: String
        var version: Int
        var published: Bool
        var publishedAt: Date?
        var versions: [VersionView]?

        init(_ p: AssessmentPlanRow, versions: [AssessmentPlanVersion]?, _ language: Language) {
            (id, year, name, version, published, publishedAt) = (p.id, p.year, p.name, p.version, p.publishedAt != nil, p.publishedAt)
            self.versions = versions?.map {
                VersionView(number: $0.number, name: $0.name, reason: $0.reason, createdAt: $0.createdAt,
                            indicators: $0.method.indicators.map { IndicatorView($0, language) }, grades: $0.method.grades)
            }
        }
    }

    // MARK: Plans

    struct IndicatorBody: Content {
        var key: String?
        var name: String?
        var weight: Double?
        var measure: String?
        var bands: [ScoreBand]?
        var children: [IndicatorBody]?
    }

    struct PlanBody: Content {
        var year: Int?
        var name: String?
        var indicators: [IndicatorBody]?
        var grades: [GradeBand]?
        var reason: String?
    }

    /// The method as sent; an unknown measure is refused by its indicator's key.
    static func method(_ b: PlanBody, over base: AssessmentMethod? = nil) throws -> AssessmentMethod? {
        guard b.indicators != nil || b.grades != nil || base == nil else { return nil }
        var unknown: [FieldProblem] = []
        func indicator(_ i: IndicatorBody, depth: Int) -> Indicator {
            var measure: IndicatorMeasure?
            if let m = i.measure, !m.isEmpty {
                measure = IndicatorMeasure(rawValue: m)
                if measure == nil {
                    unknown.append(FieldProblem(field: "indicators.\(i.key ?? "")", reason: LocalizedText(zh: "没有这个数据来源：\(m)", en: "no such measure: \(m)")))
                }
            }
            // Deeper than the method allows is refused by the rules; the tree is not read further.
            let children = depth > AssessmentRules.maxDepth ? [] : (i.children ?? []).map { indicator($0, depth: depth + 1) }
            return Indicator(key: i.key ?? "", name: i.name ?? "", weight: i.weight ?? 0, measure: measure, bands: i.bands ?? [], children: children)
        }
        let method = AssessmentMethod(indicators: b.indicators.map { $0.map { indicator($0, depth: 1) } } ?? base?.indicators ?? [],
                                      grades: b.grades ?? base?.grades ?? [])
        guard unknown.isEmpty else { throw FieldProblems(unknown) }
        return method
    }

    @Sendable func list(req: Request) async throws -> [PlanView] {
        try await AssessmentService(req: req).plans().map { PlanView($0, versions: nil, req.language) }
    }

    @Sendable func create(req: Request) async throws -> Response {
        let b = try req.content.decode(PlanBody.self)
        let made = try await AssessmentService(req: req).create(year: b.year, name: b.name ?? "", method: try Self.method(b) ?? AssessmentMethod(indicators: [], grades: []))
        let found = try await AssessmentService(req: req).plan(made.id.uuidString)
        return try await PlanView(found.plan, versions: found.versions, req.language).encodeResponse(status: .created, for: req)
    }

    @Sendable func show(req: Request) async throws -> PlanView {
        let found = try await AssessmentService(req: req).plan(req.parameters.get("id") ?? "")
        return PlanView(found.plan, versions: found.versions, req.language)
    }

    /// What is left out keeps its value; a published plan's change needs its `reason`.
    @Sendable func change(req: Request) async throws -> Response {
        let service = AssessmentService(req: req)
        let id = req.parameters.get("id") ?? ""
        let current = try await service.plan(id)   // the plan the path names first: 404 before anything the body says
        let b = try req.content.decode(PlanBody.self)
        _ = try await service.change(id, name: b.name, method: try Self.method(b, over: current.versions.last?.method), reason: b.reason ?? "")
        let found = try await service.plan(id)
        return try await PlanView(found.plan, versions: found.versions, req.language).encodeResponse(status: .created, for: req)
    }

    @Sendable func publish(req: Request) async throws -> PlanView {
        let service = AssessmentService(req: req)
        let published = try await service.publish(req.parameters.get("id") ?? "")
        return PlanView(published, versions: nil, req.language)
    }

    // MARK: Scores

    struct Points: Content {
        var key: String
        var name: String
        var measure: String?
        var weight: Double
        var share: Double
        var value: Double?
        var numerator: Double?
        var denominator: Double?
        var points: Double?
        var contribution: Double
        var explanation: String
        /// Records that cost points (case numbers).
        var evidence: [String]?
        var children: [Points]?

        init(_ s: IndicatorScore, _ language: Language) {
            (key, name, measure, weight, share) = (s.key, s.name, s.measure?.rawValue, s.weight, s.share)
            (value, numerator, denominator) = (s.measured?.value, s.measured?.numerator, s.measured?.denominator)
            (points, contribution, explanation) = (s.points, s.contribution, s.explanation.text(language))
            evidence = s.children.isEmpty ? (s.measured?.evidence ?? []) : nil
            children = s.children.isEmpty ? nil : s.children.map { Points($0, language) }
        }
    }

    struct VillageScoreView: Content {
        var area: OperationsAPIController.AreaRef
        var steward: String?
        var total: Double
        var grade: String?
        var rank: Int?
        var cases: Int
        /// With `period`: the total of the period before and the change since.
        var previous: Double?
        var change: Double?
        var indicators: [Points]
    }

    struct StreetScoreView: Content {
        var area: OperationsAPIController.AreaRef
        var villages: Int
        /// The mean of its scored villages' totals.
        var total: Double
        var grade: String?
    }

    struct ScoresAnswer: Content {
        var plan: UUID
        var year: Int
        var version: Int
        var period: String?
        /// Set when the scores count one department's matters only.
        var department: OperationsAPIController.AreaRef?
        var from: String
        var through: String
        var villages: [VillageScoreView]
        var streets: [StreetScoreView]
    }

    static func period(_ req: Request) throws -> AssessmentPeriod? {
        guard let text = try req.query.get(String?.self, at: "period"), !text.isEmpty else { return nil }
        guard let p = AssessmentPeriod(text) else {
            throw DomainError.invalid("period", zh: "period 应为 YYYY、YYYY-Qn 或 YYYY-MM", en: "period is YYYY, YYYY-Qn or YYYY-MM")
        }
        return p
    }

    /// `department`: a department organisation's id or code.
    static func department(_ req: Request) async throws -> UUID? {
        guard let text = try req.query.get(String?.self, at: "department"), !text.isEmpty else { return nil }
        if let id = UUID(uuidString: text) { return id }
        guard let org = try await req.caseReference().orgs.values.first(where: { $0.code == text && $0.kind == .department }) else {
            throw DomainError.refused("department", zh: "没有这个职能部门", en: "there is no such department")
        }
        return org.id
    }

    @Sendable func scores(req: Request) async throws -> ScoresAnswer {
        let service = AssessmentService(req: req)
        let id = req.parameters.get("id") ?? ""
        _ = try await service.plan(id)
        let period = try Self.period(req)
        let r = try await service.scores(id, from: try OperationsAPIController.date(req, "from"), through: try OperationsAPIController.date(req, "through"), period: period,
                                         department: try await Self.department(req))
        let reference = try await req.caseReference()
        let language = req.language
        func ref(_ a: Area) -> OperationsAPIController.AreaRef { OperationsAPIController.AreaRef(id: a.id, code: a.code, name: a.displayName(language)) }
        return ScoresAnswer(plan: r.plan.id, year: r.plan.year, version: r.version.number, period: period?.description,
                            department: r.department.map { OperationsAPIController.AreaRef(id: $0.id, code: $0.code, name: $0.displayName(language)) }, from: r.from.description, through: r.through.description,
                            villages: r.scores.map { s in
                                VillageScoreView(area: ref(s.village), steward: s.steward.flatMap { reference.orgs[$0]?.code }, total: s.card.total, grade: s.card.grade,
                                                 rank: s.rank, cases: s.cases, previous: s.previous, change: s.change, indicators: s.card.indicators.map { Points($0, language) })
                            },
                            streets: AssessmentService.streets(r.scores, method: r.version.method, reference: reference).map {
                                StreetScoreView(area: ref($0.street), villages: $0.villages, total: $0.total, grade: $0.grade)
                            })
    }

    @Sendable func scoresCSV(req: Request) async throws -> Response {
        try await ExportScores(req: req).csv(req.parameters.get("id") ?? "")
    }

    @Sendable func scoresXLSX(req: Request) async throws -> Response {
        try await ExportScores(req: req).xlsx(req.parameters.get("id") ?? "")
    }

    // MARK: Published results (公示)

    struct ResultLineView: Content {
        var key: String
        var name: String
        var points: Double?
        var contribution: Double
        var working: String
        var evidence: [String]
    }

    struct ResultScoreView: Content {
        var village: String
        var villageName: String
        var steward: String?
        var total: Double
        var grade: String?
        var rank: Int?
        var cases: Int
        var indicators: [ResultLineView]
    }

    struct ResultView: Content {
        var id: UUID
        var version: Int
        var planVersion: Int
        var from: String
        var through: String
        var reason: String?
        var opens: String
        var closes: String
        /// `before`, `open` or `closed` (the result is final).
        var window: String
        var publishedAt: Date
        var villages: [ResultScoreView]

        init(_ r: AssessmentResult, _ language: Language, now: Date) {
            (id, version, planVersion, from, through, reason) = (r.id, r.version, r.planVersion, r.from.description, r.through.description, r.reason)
            (opens, closes, publishedAt) = (r.opens.description, r.closes.description, r.publishedAt)
            window = now < r.window.start ? "before" : now < r.window.end ? "open" : "closed"
            villages = r.scores.map { s in
                ResultScoreView(village: s.village, villageName: s.villageName, steward: s.steward, total: s.total, grade: s.grade, rank: s.rank, cases: s.cases,
                                indicators: s.lines.map { ResultLineView(key: $0.key, name: $0.name, points: $0.points, contribution: $0.contribution,
                                                                         working: $0.working.text(language), evidence: $0.evidence) })
            }
        }
    }

    struct CommentView: Content {
        var id: UUID
        var result: UUID
        var kind: String
        var village: String?
        var body: String
        var name: String?
        var createdAt: Date
        var hiddenAt: Date?
        var hiddenReason: String?
        var answer: String?
        var answeredAt: Date?
        /// The spot-check round drawn to re-check an objection.
        var recheckRound: UUID?

        /// A hidden comment's words are the moderators' to read; others get the reason only.
        init(_ c: AssessmentComment, full: Bool = true) {
            let shown = full || c.hiddenAt == nil
            (id, result, kind, village, body, name, createdAt) = (c.id, c.resultId, c.kind, c.village, shown ? c.body : "", shown ? c.name : nil, c.createdAt)
            (hiddenAt, hiddenReason, answer, answeredAt, recheckRound) = (c.hiddenAt, c.hiddenReason, c.answer, c.answeredAt, c.recheckRoundId)
        }
    }

    struct ResultsAnswer: Content {
        var plan: UUID
        var year: Int
        /// Every published version, oldest first; the last is in force.
        var results: [ResultView]
        var comments: [CommentView]
    }

    @Sendable func results(req: Request) async throws -> ResultsAnswer {
        let found = try await AssessmentResultService(req: req).results(req.parameters.get("id") ?? "")
        let full = AssessmentAccess.mayManage(try req.requireActor())
        return ResultsAnswer(plan: found.plan.id, year: found.plan.year, results: found.results.map { ResultView($0, req.language, now: req.now) },
                             comments: found.comments.map { CommentView($0, full: full) })
    }

    struct PublishResultsBody: Content {
        /// The comment window's first and last day (Beijing), YYYY-MM-DD.
        var opens: String?
        var closes: String?
        /// Required for a correction (a later version).
        var reason: String?
    }

    /// Publishes the year's results as they stand (201); again, a correction with its reason.
    @Sendable func publishResults(req: Request) async throws -> Response {
        let b = try req.content.decode(PublishResultsBody.self)
        let made = try await AssessmentResultService(req: req).publish(req.parameters.get("id") ?? "", opens: b.opens ?? "", closes: b.closes ?? "", reason: b.reason ?? "")
        return try await ResultView(made, req.language, now: req.now).encodeResponse(status: .created, for: req)
    }

    struct HideBody: Content {
        var reason: String?
    }

    struct AnswerBody: Content {
        var answer: String?
    }

    @Sendable func hide(req: Request) async throws -> CommentView {
        let b = try req.content.decode(HideBody.self)
        return CommentView(try await AssessmentResultService(req: req).hide(req.parameters.get("id") ?? "", reason: b.reason ?? ""))
    }

    struct RecheckBody: Content {
        /// Grids to draw in the village objected to (default 3, at most the village's).
        var count: Int?
    }

    struct Rechecked: Content {
        var comment: CommentView
        var round: UUID
        var code: String
    }

    /// An objection re-checked on the spot: 201 with the spot-check round drawn for it.
    @Sendable func recheck(req: Request) async throws -> Response {
        let b = req.headers.contentType == nil && req.body.data == nil ? RecheckBody() : try req.content.decode(RecheckBody.self)
        let done = try await AssessmentResultService(req: req).recheck(req.parameters.get("id") ?? "", count: b.count)
        return try await Rechecked(comment: CommentView(done.comment), round: done.round.id, code: done.round.code).encodeResponse(status: .created, for: req)
    }

    @Sendable func answer(req: Request) async throws -> CommentView {
        let b = try req.content.decode(AnswerBody.self)
        return CommentView(try await AssessmentResultService(req: req).answer(req.parameters.get("id") ?? "", text: b.answer ?? ""))
    }
}
